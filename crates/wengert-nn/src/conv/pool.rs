//! Pooling: [`MaxPool2d`], [`AvgPool2d`], [`GlobalAvgPool2d`]; and
//! [`Flatten`], which usually follows them.
//!
//! None needs a backward rule of its own. Max pooling picks each window's
//! maximum with `gather` at indices found on the values (its backward,
//! `scatter_add`, routes the gradient to those positions); average pooling
//! is `im2col` followed by a mean over the taps.

use wengert_tensor::{Float, Tape, Var};

use super::window::{im2col, Window2d};
use crate::error::Result;
use crate::module::input_error;
use crate::Module;

/// Max pooling over `k x k` windows of `[N, C, H, W]`:
/// `y[n, c, i, j] = max over the window of x[n, c, ., .]` (padding never
/// wins: it counts as -infinity).
///
/// Backward: the whole `dy` of a window goes to its maximum (the first one
/// in row-major order on ties, as PyTorch on CPU); every other position, and
/// rows and columns dropped by floor mode, get zero.
///
/// # Shapes
/// `[N, C, H, W] -> [N, C, oh, ow]` (see [`Window2d::output_size`]).
///
/// PyTorch: `nn.MaxPool2d(k, stride=k, padding, dilation)`.
///
/// ```
/// use wengert_nn::conv::MaxPool2d;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]));
/// let y = MaxPool2d::new(2).forward(&tape, x).unwrap();
/// assert_eq!(y.value().to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct MaxPool2d {
    #[module(skip)]
    window: Window2d,
}

impl MaxPool2d {
    /// `k x k` windows with stride `k` (PyTorch's default stride).
    pub fn new(kernel: usize) -> Self {
        MaxPool2d {
            window: Window2d::square(kernel).with_stride(kernel),
        }
    }

    /// Any window (stride, padding, dilation).
    pub fn from_window(window: Window2d) -> Self {
        MaxPool2d { window }
    }

    /// The window.
    pub fn window(&self) -> &Window2d {
        &self.window
    }
}

impl<T: Float> Module<T> for MaxPool2d {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let (oh, ow) = self.window.check_input("MaxPool2d", &shape)?;
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3]);
        let win = &self.window;
        let xv = x.value();
        let xs = xv.values();
        // For every output, the flat position (within its H*W plane) of the
        // window's first maximum.
        let mut index = Vec::with_capacity(planes * oh * ow);
        for p in 0..planes {
            let plane = &xs[p * h * w..(p + 1) * h * w];
            for i in 0..oh {
                for j in 0..ow {
                    let mut best: Option<(usize, T)> = None;
                    for u in 0..win.kernel[0] {
                        let Some(hi) = win.source(0, i, u, h) else {
                            continue;
                        };
                        for v in 0..win.kernel[1] {
                            let Some(wj) = win.source(1, j, v, w) else {
                                continue;
                            };
                            let at = hi * w + wj;
                            let val = plane[at];
                            // NaN propagates, as in PyTorch.
                            if best.is_none_or(|(_, b)| val > b || val.is_nan()) {
                                best = Some((at, val));
                            }
                        }
                    }
                    index.push(best.map_or(0, |(at, _)| at));
                }
            }
        }
        let y = x.reshape(&[planes, h * w]).try_gather(1, &index)?;
        Ok(y.reshape(&[shape[0], shape[1], oh, ow]))
    }
}

/// Average pooling over `k x k` windows of `[N, C, H, W]`:
/// `y = mean of the window`, padding counted as zeros in the mean
/// (PyTorch's `count_include_pad=True`). Backward spreads `dy / (kh * kw)`
/// over each window.
///
/// # Shapes
/// `[N, C, H, W] -> [N, C, oh, ow]`.
///
/// PyTorch: `nn.AvgPool2d(k, stride=k, padding)`.
///
/// ```
/// use wengert_nn::conv::AvgPool2d;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]));
/// let y = AvgPool2d::new(2).forward(&tape, x).unwrap();
/// assert_eq!(y.value().to_vec(), vec![2.5, 4.5, 10.5, 12.5]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct AvgPool2d {
    #[module(skip)]
    window: Window2d,
}

impl AvgPool2d {
    /// `k x k` windows with stride `k`.
    pub fn new(kernel: usize) -> Self {
        AvgPool2d {
            window: Window2d::square(kernel).with_stride(kernel),
        }
    }

    /// Any window (stride, padding; dilation as given).
    pub fn from_window(window: Window2d) -> Self {
        AvgPool2d { window }
    }
}

impl<T: Float> Module<T> for AvgPool2d {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let (oh, ow) = self.window.check_input("AvgPool2d", &shape)?;
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
        // Each channel as its own one-channel image: the columns are then
        // [N*C, taps, oh*ow], and the mean over the taps is the pool.
        let cols = im2col(x.reshape(&[n * c, 1, h, w]), self.window)?;
        Ok(cols.mean_axes(&[1], false).reshape(&[n, c, oh, ow]))
    }
}

/// Global average pooling: the mean of each channel over the whole image,
/// `[N, C, H, W] -> [N, C, 1, 1]`. Backward: `dx = dy / (H * W)` everywhere.
///
/// PyTorch: `nn.AdaptiveAvgPool2d(1)` (follow it with [`Flatten`] for `[N, C]`).
///
/// ```
/// use wengert_nn::conv::GlobalAvgPool2d;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::arange(0.0, 8.0, 1.0).reshape(&[1, 2, 2, 2]));
/// let y = GlobalAvgPool2d.forward(&tape, x).unwrap();
/// assert_eq!((y.shape(), y.value().to_vec()), (vec![1, 2, 1, 1], vec![1.5, 5.5]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Module)]
#[module(type_name = "AdaptiveAvgPool2d")]
pub struct GlobalAvgPool2d;

impl<T: Float> Module<T> for GlobalAvgPool2d {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        if shape.len() != 4 || shape[2] * shape[3] == 0 {
            return Err(input_error(
                "GlobalAvgPool2d".into(),
                "[N, C, H, W] with H, W >= 1".into(),
                shape,
            ));
        }
        Ok(x.mean_axes(&[2, 3], true))
    }
}

/// Flattens every axis after the first: `[N, d1, d2, ...] -> [N, d1*d2*...]`.
/// Backward: a reshape back.
///
/// PyTorch: `nn.Flatten()` (start_dim 1).
///
/// ```
/// use wengert_nn::conv::Flatten;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let y = Flatten.forward(&tape, tape.constant(Tensor::zeros(&[2, 16, 1, 1]))).unwrap();
/// assert_eq!(y.shape(), vec![2, 16]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Module)]
pub struct Flatten;

impl<T: Float> Module<T> for Flatten {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        if shape.is_empty() {
            return Err(input_error("Flatten".into(), "[N, ...]".into(), shape));
        }
        let rest: usize = shape[1..].iter().product();
        Ok(x.reshape(&[shape[0], rest]))
    }
}
