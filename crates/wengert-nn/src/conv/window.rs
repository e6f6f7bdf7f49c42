//! The geometry of a 2-d sliding window (kernel, stride, padding,
//! dilation) and the `im2col` / `col2im` pair that lays windows out as
//! matrix columns.
//!
//! `im2col` copies every window of a zero-padded input into one column, so
//! a convolution becomes one matrix product per image. It is linear, and its adjoint
//! is `col2im`, which adds each column back into the windows it came from
//! (overlapping windows sum). Each is the other's backward rule, written as
//! a `Var` op, so both are differentiable any number of times.

use std::ops::Range;

use wengert_tensor::kernels::parallel::zeroed_in_chunks;
use wengert_tensor::kernels::PARALLEL_THRESHOLD;
use wengert_tensor::{Float, Tensor, Var};

use crate::error::{NnError, Result};

/// A 2-d sliding window: `[height, width]` pairs as in PyTorch's
/// `kernel_size`, `stride`, `padding`, `dilation`.
///
/// The output size along each axis is
/// `floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1`
/// (floor mode: a partial window at the end is dropped); pooling layers
/// also offer PyTorch's ceil mode ([`Window2d::output_size_ceil`]).
///
/// ```
/// use wengert_nn::conv::Window2d;
/// let w = Window2d::square(3).with_stride(2).with_padding(1);
/// assert_eq!(w.output_size(5, 5), Some((3, 3)));
/// assert_eq!(Window2d::square(2).with_stride(2).output_size(5, 5), Some((2, 2)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window2d {
    /// Kernel `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// Zeros added on each side.
    pub padding: [usize; 2],
    /// Spacing between kernel taps (1: contiguous).
    pub dilation: [usize; 2],
}

impl Window2d {
    /// A `k x k` window, stride 1, no padding, no dilation.
    pub fn square(k: usize) -> Self {
        Window2d {
            kernel: [k, k],
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }

    /// With the same stride on both axes.
    pub fn with_stride(mut self, s: usize) -> Self {
        self.stride = [s, s];
        self
    }

    /// With the same padding on both axes.
    pub fn with_padding(mut self, p: usize) -> Self {
        self.padding = [p, p];
        self
    }

    /// With the same dilation on both axes.
    pub fn with_dilation(mut self, d: usize) -> Self {
        self.dilation = [d, d];
        self
    }

    /// `kh * kw`.
    pub fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// `(out_h, out_w)` for an input `h x w`, or `None` when the window
    /// does not fit (or a size, stride or dilation is 0).
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        self.pooled_output_size(h, w, false)
    }

    /// `(out_h, out_w)` in PyTorch's ceil mode: the size is rounded up, so
    /// a last, partial window is kept, but only if it starts inside the
    /// input or the left (top) padding: a last window that would start in
    /// the right padding is dropped. `None` when not even one window fits.
    ///
    /// ```
    /// use wengert_nn::conv::Window2d;
    /// let w = Window2d::square(2).with_stride(2);
    /// assert_eq!(w.output_size(5, 5), Some((2, 2)));
    /// assert_eq!(w.output_size_ceil(5, 5), Some((3, 3)));
    /// // With padding 1, a fourth window would start in the right padding.
    /// assert_eq!(w.with_padding(1).output_size_ceil(5, 5), Some((3, 3)));
    /// ```
    pub fn output_size_ceil(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        self.pooled_output_size(h, w, true)
    }

    /// The output size in floor or ceil mode, by PyTorch's rule.
    pub(crate) fn pooled_output_size(
        &self,
        h: usize,
        w: usize,
        ceil_mode: bool,
    ) -> Option<(usize, usize)> {
        let axis = |n: usize, a: usize| {
            let p = self.padding[a];
            let out = self.axis_output(a, n + 2 * p, ceil_mode)?;
            // Ceil mode: the last window must start inside the input or
            // the left padding.
            if ceil_mode && (out - 1) * self.stride[a] >= n + p {
                (out > 1).then(|| out - 1)
            } else {
                Some(out)
            }
        };
        Some((axis(h, 0)?, axis(w, 1)?))
    }

    /// The number of windows along axis `a` over `padded` positions (the
    /// input plus every padding of that axis), before ceil mode's
    /// right-padding rule.
    pub(crate) fn axis_output(&self, a: usize, padded: usize, ceil_mode: bool) -> Option<usize> {
        let (k, s, d) = (self.kernel[a], self.stride[a], self.dilation[a]);
        if k == 0 || s == 0 || d == 0 {
            return None;
        }
        let span = d * (k - 1) + 1;
        let room = padded + if ceil_mode { s - 1 } else { 0 };
        (room >= span).then(|| (room - span) / s + 1)
    }

    /// How many taps of output `o` along axis `a` (input size `n`) land in
    /// the input, or in the input and its padding with `with_padding`;
    /// taps past the right padding (ceil mode) never count.
    pub(crate) fn taps_inside(&self, a: usize, o: usize, n: usize, with_padding: bool) -> usize {
        let p = if with_padding { self.padding[a] } else { 0 };
        (0..self.kernel[a])
            .filter(|&u| {
                let pos = o * self.stride[a] + u * self.dilation[a]; // in padded coordinates
                pos + p >= self.padding[a] && pos < n + self.padding[a] + p
            })
            .count()
    }

    /// The input position read by output index `o` and tap `u` along axis
    /// `a`, or `None` when it falls in the padding.
    #[inline]
    pub(crate) fn source(&self, a: usize, o: usize, u: usize, n: usize) -> Option<usize> {
        let pos = (o * self.stride[a] + u * self.dilation[a]) as isize - self.padding[a] as isize;
        (pos >= 0 && (pos as usize) < n).then_some(pos as usize)
    }

    fn describe(&self) -> String {
        format!(
            "kernel {:?}, stride {:?}, padding {:?}, dilation {:?}",
            self.kernel, self.stride, self.padding, self.dilation
        )
    }

    /// Checks `[N, C, H, W]` and returns `(oh, ow)`; `layer` names the caller.
    pub(crate) fn check_input(&self, layer: &str, shape: &[usize]) -> Result<(usize, usize)> {
        self.check_pool_input(layer, shape, false)
    }

    /// [`Window2d::check_input`] in floor or ceil mode.
    pub(crate) fn check_pool_input(
        &self,
        layer: &str,
        shape: &[usize],
        ceil_mode: bool,
    ) -> Result<(usize, usize)> {
        let out = if shape.len() == 4 {
            self.pooled_output_size(shape[2], shape[3], ceil_mode)
        } else {
            None
        };
        out.ok_or_else(|| self.misfit(layer, shape))
    }

    /// The error of an input the window does not fit.
    pub(crate) fn misfit(&self, layer: &str, shape: &[usize]) -> NnError {
        NnError::InputShape {
            layer: format!("{layer}({})", self.describe()),
            expected:
                "[N, C, H, W] with H and W at least the dilated kernel minus twice the padding"
                    .into(),
            got: shape.to_vec(),
        }
    }
}

impl Window2d {
    /// The outputs `o` whose tap `u` along axis `a` reads inside an input
    /// of size `n` (not the padding), among the first `outs`: a range,
    /// since the position read, `o * stride + u * dilation - padding`,
    /// grows with `o`. What [`Window2d::source`] says one index at a time.
    fn outputs_inside(&self, a: usize, u: usize, n: usize, outs: usize) -> Range<usize> {
        let (s, p, offset) = (self.stride[a], self.padding[a], u * self.dilation[a]);
        // First o with o*s + offset >= p; first o with o*s + offset >= n + p.
        let lo = p.saturating_sub(offset).div_ceil(s).min(outs);
        let hi = (n + p).saturating_sub(offset).div_ceil(s).clamp(lo, outs);
        lo..hi
    }
}

/// Images per parallel part of im2col and col2im: enough elements that a
/// hand-off pays (see `wengert_tensor::kernels::PARALLEL_THRESHOLD`).
fn images_per_part(per_image: usize) -> usize {
    (PARALLEL_THRESHOLD / per_image.max(1)).max(1)
}

/// The column layout: `[N, C * kh * kw, oh * ow]`, row `(c, u, v)` and
/// column `(i, j)` of image `n`, so a weight `[O, C * kh * kw]` times image
/// `n`'s block gives its output `[O, oh * ow]` with no reordering.
///
/// For each tap `(u, v)` the output rows and columns that read inside the
/// input form ranges ([`Window2d::outputs_inside`]); only those are
/// copied (a contiguous run per output row at stride 1), the rest stays
/// zero. Images are independent parts, so the result is the same on any
/// number of threads.
fn im2col_kernel<T: Float>(
    x: &[T],
    shape: [usize; 4],
    win: &Window2d,
    out: (usize, usize),
) -> Vec<T> {
    let [n, c, h, w] = shape;
    let (oh, ow) = out;
    let [kh, kw] = win.kernel;
    let cols = oh * ow;
    let per_image = c * kh * kw * cols;
    let images = images_per_part(per_image);
    zeroed_in_chunks(n * per_image, images * per_image, |part, chunk| {
        let planes = x[part * images * c * h * w..].chunks(h * w);
        for (block, plane) in chunk.chunks_mut(kh * kw * cols).zip(planes) {
            // `block` holds the rows (u, v) of one (image, channel) pair.
            for u in 0..kh {
                let rows = win.outputs_inside(0, u, h, oh);
                for v in 0..kw {
                    let columns = win.outputs_inside(1, v, w, ow);
                    if columns.is_empty() {
                        continue; // this tap reads only padding
                    }
                    let row = &mut block[(u * kw + v) * cols..(u * kw + v + 1) * cols];
                    for i in rows.clone() {
                        let hi = i * win.stride[0] + u * win.dilation[0] - win.padding[0];
                        let first =
                            columns.start * win.stride[1] + v * win.dilation[1] - win.padding[1];
                        let src = &plane[hi * w + first..];
                        let dst = &mut row[i * ow + columns.start..i * ow + columns.end];
                        if win.stride[1] == 1 {
                            dst.copy_from_slice(&src[..dst.len()]);
                        } else {
                            dst.iter_mut()
                                .zip(src.iter().step_by(win.stride[1]))
                                .for_each(|(d, &s)| *d = s);
                        }
                    }
                }
            }
        }
    })
}

/// The adjoint of [`im2col_kernel`]: each column entry is added back to the
/// input position it was copied from, over the same ranges. Each
/// (image, channel) plane receives its sums in one fixed order, taps
/// `(u, v)` outermost, whatever the thread count.
fn col2im_kernel<T: Float>(
    cols: &[T],
    shape: [usize; 4],
    win: &Window2d,
    out: (usize, usize),
) -> Vec<T> {
    let [n, c, h, w] = shape;
    let (oh, ow) = out;
    let [kh, kw] = win.kernel;
    let ncols = oh * ow;
    let images = images_per_part(c * kh * kw * ncols);
    zeroed_in_chunks(n * c * h * w, images * c * h * w, |part, chunk| {
        let blocks = cols[part * images * c * kh * kw * ncols..].chunks(kh * kw * ncols);
        for (plane, block) in chunk.chunks_mut(h * w).zip(blocks) {
            for u in 0..kh {
                let rows = win.outputs_inside(0, u, h, oh);
                for v in 0..kw {
                    let columns = win.outputs_inside(1, v, w, ow);
                    if columns.is_empty() {
                        continue; // this tap reads only padding
                    }
                    let row = &block[(u * kw + v) * ncols..(u * kw + v + 1) * ncols];
                    for i in rows.clone() {
                        let hi = i * win.stride[0] + u * win.dilation[0] - win.padding[0];
                        let first =
                            columns.start * win.stride[1] + v * win.dilation[1] - win.padding[1];
                        let src = &row[i * ow + columns.start..i * ow + columns.end];
                        let dst = &mut plane[hi * w + first..];
                        if win.stride[1] == 1 {
                            // A contiguous run: the loop the compiler vectorises.
                            dst[..src.len()]
                                .iter_mut()
                                .zip(src)
                                .for_each(|(d, &s)| *d += s);
                        } else {
                            dst.iter_mut()
                                .step_by(win.stride[1])
                                .zip(src)
                                .for_each(|(d, &s)| *d += s);
                        }
                    }
                }
            }
        }
    })
}

/// Every window of `x [N, C, H, W]` as a column: `[N, C * kh * kw, oh * ow]`,
/// zeros where a window reaches into the padding.
///
/// Linear; backward: `dx = col2im(dcols)`. PyTorch: `F.unfold`.
///
/// ```
/// use wengert_nn::conv::{im2col, Window2d};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::arange(0.0, 9.0, 1.0).reshape(&[1, 1, 3, 3]));
/// let cols = im2col(x, Window2d::square(2)).unwrap(); // 4 taps x 4 windows
/// assert_eq!(cols.shape(), vec![1, 4, 4]);
/// // Row 0 is the top-left tap of each window: x[0,0], x[0,1], x[1,0], x[1,1].
/// assert_eq!(cols.value().to_vec()[..4], [0.0, 1.0, 3.0, 4.0]);
/// ```
pub fn im2col<'t, T: Float>(x: Var<'t, T>, win: Window2d) -> Result<Var<'t, T>> {
    let shape = x.shape();
    let out = win.check_input("im2col", &shape)?;
    Ok(im2col_sized(x, win, out))
}

/// [`im2col`] with `out` windows per axis, which the caller has checked:
/// `x` is `[N, C, H, W]`, and every window starts at or after the left
/// padding. The windows may reach past the right edge (ceil mode, or a
/// right padding larger than the left one): what lies there reads as zero,
/// so `win.padding` is the left (top) padding and `out` carries the right.
pub(crate) fn im2col_sized<'t, T: Float>(
    x: Var<'t, T>,
    win: Window2d,
    out: (usize, usize),
) -> Var<'t, T> {
    let shape = x.shape();
    let s4 = [shape[0], shape[1], shape[2], shape[3]];
    let xv = x.value();
    let cols = im2col_kernel(&xv.values(), s4, &win, out);
    let value = Tensor::from_vec(cols, &[s4[0], s4[1] * win.taps(), out.0 * out.1]);
    x.tape().record("im2col", &[x], value, move |_ctx, dcols| {
        [Some(col2im_var(dcols, win, s4, out))]
    })
}

/// The adjoint of [`im2col`]: columns `[N, C * kh * kw, oh * ow]` summed
/// back into an input of shape `[N, C, H, W]` (overlapping windows add up).
/// Backward: `dcols = im2col(dx)`. PyTorch: `F.fold`.
///
/// ```
/// use wengert_nn::conv::{col2im, Window2d};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // 2x2 windows over 3x3 with stride 1: the centre lies in all four windows.
/// let ones = tape.constant(Tensor::ones(&[1, 4, 4]));
/// let x = col2im(ones, Window2d::square(2), [1, 1, 3, 3]).unwrap();
/// assert_eq!(x.value().to_vec(), vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
/// ```
pub fn col2im<'t, T: Float>(
    cols: Var<'t, T>,
    win: Window2d,
    input_shape: [usize; 4],
) -> Result<Var<'t, T>> {
    let out = win.check_input("col2im", &input_shape)?;
    let expected = [input_shape[0], input_shape[1] * win.taps(), out.0 * out.1];
    if cols.shape() != expected {
        return Err(NnError::InputShape {
            layer: format!("col2im(into {input_shape:?})"),
            expected: format!("columns of shape {expected:?}"),
            got: cols.shape(),
        });
    }
    Ok(col2im_var(cols, win, input_shape, out))
}

fn col2im_var<'t, T: Float>(
    cols: Var<'t, T>,
    win: Window2d,
    shape: [usize; 4],
    out: (usize, usize),
) -> Var<'t, T> {
    let cv = cols.value();
    let x = col2im_kernel(&cv.values(), shape, &win, out);
    let value = Tensor::from_vec(x, &shape);
    cols.tape()
        .record("col2im", &[cols], value, move |_ctx, dx| {
            [Some(im2col_sized(dx, win, out))]
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// im2col one element at a time through [`Window2d::source`], the
    /// definition the range-wise kernel must reproduce.
    fn im2col_by_definition(
        x: &[f64],
        [n, c, h, w]: [usize; 4],
        win: &Window2d,
        (oh, ow): (usize, usize),
    ) -> Vec<f64> {
        let [kh, kw] = win.kernel;
        let mut dst = vec![0.0; n * c * kh * kw * oh * ow];
        for img in 0..n {
            for ch in 0..c {
                for u in 0..kh {
                    for v in 0..kw {
                        for i in 0..oh {
                            for j in 0..ow {
                                let (Some(hi), Some(wj)) =
                                    (win.source(0, i, u, h), win.source(1, j, v, w))
                                else {
                                    continue;
                                };
                                let row = ((img * c + ch) * kh + u) * kw + v;
                                dst[row * oh * ow + i * ow + j] =
                                    x[((img * c + ch) * h + hi) * w + wj];
                            }
                        }
                    }
                }
            }
        }
        dst
    }

    #[test]
    fn range_wise_im2col_and_col2im_match_the_definition_and_each_other() {
        let shape = [2, 3, 7, 6];
        let x: Vec<f64> = (0..shape.iter().product::<usize>())
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        for (k, s, p, d) in [
            (3, 1, 1, 1),
            (3, 2, 1, 1),
            (2, 3, 0, 1),
            (3, 1, 2, 2),
            (1, 1, 0, 1),
            (5, 2, 4, 1), // windows that lie wholly in the padding
            (2, 2, 1, 3),
        ] {
            let win = Window2d::square(k)
                .with_stride(s)
                .with_padding(p)
                .with_dilation(d);
            let out = win.output_size(shape[2], shape[3]).unwrap();
            let cols = im2col_kernel(&x, shape, &win, out);
            assert_eq!(cols, im2col_by_definition(&x, shape, &win, out), "{win:?}");
            // Adjointness: <im2col(x), y> = <x, col2im(y)>, for y = the columns' own values.
            let back = col2im_kernel(&cols, shape, &win, out);
            let lhs: f64 = cols.iter().map(|v| v * v).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() <= 1e-12 * lhs.abs().max(1.0), "{win:?}");
        }
    }

    #[test]
    fn im2col_and_col2im_are_bitwise_the_same_on_one_and_two_threads() {
        // Enough images for several parallel parts.
        let shape = [64, 8, 14, 14];
        let x: Vec<f32> = (0..shape.iter().product::<usize>())
            .map(|i| (i as f32 * 0.11).cos())
            .collect();
        let win = Window2d::square(3).with_padding(1);
        let out = (14, 14);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let cols = im2col_kernel(&x, shape, &win, out);
                    let back = col2im_kernel(&cols, shape, &win, out);
                    (cols, back)
                })
        };
        let (one, two) = (run(1), run(2));
        assert!(
            one.0 == two.0
                && one
                    .1
                    .iter()
                    .zip(&two.1)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
}
