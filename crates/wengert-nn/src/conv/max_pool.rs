//! [`MaxPool2d`]: each window's maximum and the position of its first
//! maximum, found in one pass (`max_pool_kernel.rs`, with a branch-free
//! loop for kernel 2, stride 2, and planes split between threads); the
//! gradient is routed to those positions by the adjoint pair in
//! `argmax_route.rs`, one pass each way, twice differentiable.

use std::rc::Rc;

use wengert_tensor::{Float, Tape, Tensor, Var};

use super::argmax_route::{route_back, Route};
use super::max_pool_kernel::{pool_with_argmax, Planes};
use super::window::Window2d;
use crate::error::Result;
use crate::Module;

/// Max pooling over `kh x kw` windows of `[N, C, H, W]`:
/// `y[n, c, i, j] = max over the window of x[n, c, ., .]`. Padding never
/// wins: it counts as -infinity, so a window lying entirely in the padding
/// (possible with dilation, e.g. kernel 2, padding 1, dilation 3 along an
/// axis of 2) gives -infinity, as in PyTorch.
///
/// Backward: the whole `dy` of a window goes to its maximum (the first one
/// in row-major order on ties, as PyTorch on CPU); every other position,
/// and rows and columns no window reads, get zero; the `dy` of a window
/// lying entirely in the padding goes nowhere. NaN wins a window, as in
/// PyTorch.
///
/// # Shapes
/// `[N, C, H, W] -> [N, C, oh, ow]`, see [`Window2d::output_size`] (floor
/// mode, the default) and [`Window2d::output_size_ceil`] (ceil mode).
///
/// # PyTorch options
/// `nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
/// return_indices=False, ceil_mode=False)`:
/// - `kernel_size`, `stride`, `padding`, `dilation`, per axis: the fields of
///   [`Window2d`], through [`MaxPool2d::from_window`]; [`MaxPool2d::new`]
///   takes PyTorch's default stride (the kernel).
/// - `ceil_mode`: [`MaxPool2d::with_ceil_mode`].
/// - `return_indices`: not offered. It feeds `MaxUnpool2d`, which wengert
///   does not have; the gradient, the other use of the indices, is already
///   routed by the tape.
/// - Differences on purpose: PyTorch refuses a padding above half the
///   kernel; wengert accepts any padding (more windows lie wholly in it and
///   give -infinity, by the same rule). And where a window lies wholly in
///   the padding, PyTorch (2.x, CPU) records as its maximum the window's
///   start stepped out of the left padding by the dilation, a column past
///   the end of its row, so backward adds that window's `dy` to the element
///   of a later row this flat position names, if the plane has one; the
///   output is a constant, so wengert's gradient there is zero.
///
/// ```
/// use wengert_nn::conv::MaxPool2d;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]));
/// let y = MaxPool2d::new(2).forward(&tape, x).unwrap();
/// assert_eq!(y.value().to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
/// // Ceil mode keeps the partial windows of a 3x3 input.
/// let x = tape.var(Tensor::arange(0.0, 9.0, 1.0).reshape(&[1, 1, 3, 3]));
/// let y = MaxPool2d::new(2).with_ceil_mode(true).forward(&tape, x).unwrap();
/// assert_eq!(y.value().to_vec(), vec![4.0, 5.0, 7.0, 8.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct MaxPool2d {
    #[module(skip)]
    window: Window2d,
    #[module(skip)]
    ceil_mode: bool,
}

impl MaxPool2d {
    /// `k x k` windows with stride `k` (PyTorch's default stride), floor mode.
    pub fn new(kernel: usize) -> Self {
        Self::from_window(Window2d::square(kernel).with_stride(kernel))
    }

    /// Any window (stride, padding, dilation), floor mode.
    pub fn from_window(window: Window2d) -> Self {
        MaxPool2d {
            window,
            ceil_mode: false,
        }
    }

    /// In ceil mode (PyTorch's `ceil_mode=True`): a partial window at the
    /// end is kept if it starts inside the input or the left padding.
    pub fn with_ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// The window.
    pub fn window(&self) -> &Window2d {
        &self.window
    }

    /// Whether the output size rounds up.
    pub fn ceil_mode(&self) -> bool {
        self.ceil_mode
    }
}

impl<T: Float> Module<T> for MaxPool2d {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let (oh, ow) = self
            .window
            .check_pool_input("MaxPool2d", &shape, self.ceil_mode)?;
        let xv = x.value();
        let dims = Planes {
            planes: shape[0] * shape[1],
            input: (shape[2], shape[3]),
            output: (oh, ow),
        };
        let (values, index) = pool_with_argmax(&xv.values(), dims, &self.window);
        let output_shape = vec![shape[0], shape[1], oh, ow];
        let value = Tensor::from_vec(values, &output_shape);
        let route = Rc::new(Route {
            index,
            dims,
            input_shape: shape,
            output_shape,
        });
        Ok(x.tape().record("max_pool2d", &[x], value, move |_ctx, dy| {
            [Some(route_back(dy, route.clone()))]
        }))
    }
}
