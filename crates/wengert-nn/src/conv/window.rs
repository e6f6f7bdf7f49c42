//! The geometry of a 2-d sliding window (kernel, stride, padding,
//! dilation) and the `im2col` / `col2im` pair that lays windows out as
//! matrix columns.
//!
//! `im2col` copies every window of a zero-padded input into one column, so
//! a convolution becomes one matrix product per image. It is linear, and its adjoint
//! is `col2im`, which adds each column back into the windows it came from
//! (overlapping windows sum). Each is the other's backward rule, written as
//! a `Var` op, so both are differentiable any number of times.

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

/// The column layout: `[N, C * kh * kw, oh * ow]`, row `(c, u, v)` and
/// column `(i, j)` of image `n`, so a weight `[O, C * kh * kw]` times image
/// `n`'s block gives its output `[O, oh * ow]` with no reordering.
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
    let mut dst = vec![T::zero(); n * c * kh * kw * cols];
    for (block, plane) in dst.chunks_mut(kh * kw * cols).zip(x.chunks(h * w)) {
        // `block` holds the rows (u, v) of one (image, channel) pair.
        for u in 0..kh {
            for v in 0..kw {
                let row = &mut block[(u * kw + v) * cols..(u * kw + v + 1) * cols];
                for i in 0..oh {
                    let Some(hi) = win.source(0, i, u, h) else {
                        continue; // a padding row: zeros
                    };
                    for j in 0..ow {
                        if let Some(wj) = win.source(1, j, v, w) {
                            row[i * ow + j] = plane[hi * w + wj];
                        }
                    }
                }
            }
        }
    }
    dst
}

/// The adjoint of [`im2col_kernel`]: each column entry is added back to the
/// input position it was copied from.
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
    let mut dst = vec![T::zero(); n * c * h * w];
    for (plane, block) in dst.chunks_mut(h * w).zip(cols.chunks(kh * kw * ncols)) {
        for u in 0..kh {
            for v in 0..kw {
                let row = &block[(u * kw + v) * ncols..(u * kw + v + 1) * ncols];
                for i in 0..oh {
                    let Some(hi) = win.source(0, i, u, h) else {
                        continue;
                    };
                    for j in 0..ow {
                        if let Some(wj) = win.source(1, j, v, w) {
                            plane[hi * w + wj] += row[i * ow + j];
                        }
                    }
                }
            }
        }
    }
    dst
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
