//! [`AvgPool2d`]: `im2col` and a sum over the taps, divided by each
//! window's divisor (a constant per window, so the gradient needs no rule
//! of its own).

use wengert_tensor::{Float, Tape, Tensor, Var};

use super::window::{im2col_sized, Window2d};
use crate::error::{NnError, Result};
use crate::Module;

/// Average pooling over `kh x kw` windows of `[N, C, H, W]`: the sum of a
/// window divided by its divisor, as PyTorch computes it:
///
/// - `divisor_override = d`: `d` for every window;
/// - else `count_include_pad = true` (the default): the window's positions
///   in the input and its padding (`kh * kw` in floor mode; in ceil mode a
///   last window reaching past the padding counts only what it covers);
/// - else (`count_include_pad = false`): its positions in the input.
///
/// Padding adds zeros to the sum. Backward spreads `dy / divisor` over the
/// window's input positions.
///
/// # Shapes
/// `[N, C, H, W] -> [N, C, oh, ow]`, see [`Window2d::output_size`] (floor
/// mode, the default) and [`Window2d::output_size_ceil`] (ceil mode).
///
/// # PyTorch options
/// `nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False,
/// count_include_pad=True, divisor_override=None)`, all present:
/// - `kernel_size`, `stride`, `padding`, per axis: the fields of
///   [`Window2d`], through [`AvgPool2d::from_window`]; [`AvgPool2d::new`]
///   takes PyTorch's default stride (the kernel).
/// - `ceil_mode`: [`AvgPool2d::with_ceil_mode`].
/// - `count_include_pad`: [`AvgPool2d::with_count_include_pad`].
/// - `divisor_override`: [`AvgPool2d::with_divisor_override`] (0 is refused,
///   as in PyTorch).
/// - Differences on purpose: wengert accepts a window's `dilation`, which
///   PyTorch's `AvgPool2d` does not have (the window's taps are then spread
///   out, and the divisors count taps); and any padding, where PyTorch
///   refuses one above half the kernel. A window that then lies entirely in
///   the padding averages to 0 and passes no gradient, also with
///   `count_include_pad = false`, where its divisor would be 0.
///
/// ```
/// use wengert_nn::conv::{AvgPool2d, Window2d};
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]));
/// let y = AvgPool2d::new(2).forward(&tape, x).unwrap();
/// assert_eq!(y.value().to_vec(), vec![2.5, 4.5, 10.5, 12.5]);
/// // Padding 1: the corner window holds x[0, 0] = 0 and three zeros of
/// // padding; without counting the padding it is the mean of x[0, 0] alone.
/// let x = tape.constant(Tensor::ones(&[1, 1, 2, 2]));
/// let pool = AvgPool2d::from_window(Window2d::square(2).with_stride(2).with_padding(1));
/// assert_eq!(pool.forward(&tape, x).unwrap().value().to_vec(), vec![0.25; 4]);
/// let pool = pool.with_count_include_pad(false);
/// assert_eq!(pool.forward(&tape, x).unwrap().value().to_vec(), vec![1.0; 4]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct AvgPool2d {
    #[module(skip)]
    window: Window2d,
    #[module(skip)]
    ceil_mode: bool,
    #[module(skip)]
    count_include_pad: bool,
    #[module(skip)]
    divisor_override: Option<usize>,
}

impl AvgPool2d {
    /// `k x k` windows with stride `k`, PyTorch's defaults otherwise.
    pub fn new(kernel: usize) -> Self {
        Self::from_window(Window2d::square(kernel).with_stride(kernel))
    }

    /// Any window (stride, padding; dilation as given), PyTorch's defaults
    /// otherwise: floor mode, padding counted, no divisor override.
    pub fn from_window(window: Window2d) -> Self {
        AvgPool2d {
            window,
            ceil_mode: false,
            count_include_pad: true,
            divisor_override: None,
        }
    }

    /// In ceil mode (PyTorch's `ceil_mode=True`): a partial window at the
    /// end is kept if it starts inside the input or the left padding.
    pub fn with_ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// Whether padding positions count in a window's divisor (PyTorch's
    /// `count_include_pad`, default true).
    pub fn with_count_include_pad(mut self, count_include_pad: bool) -> Self {
        self.count_include_pad = count_include_pad;
        self
    }

    /// Divides every window's sum by `divisor` (PyTorch's
    /// `divisor_override`); `None` restores the counted divisors.
    ///
    /// # Panics
    /// On `Some(0)`, with the message of
    /// [`AvgPool2d::try_with_divisor_override`].
    #[track_caller]
    pub fn with_divisor_override(self, divisor: Option<usize>) -> Self {
        crate::error::or_panic(self.try_with_divisor_override(divisor))
    }

    /// [`AvgPool2d::with_divisor_override`], returning an error on
    /// `Some(0)` (PyTorch refuses it too).
    pub fn try_with_divisor_override(mut self, divisor: Option<usize>) -> Result<Self> {
        if divisor == Some(0) {
            return Err(NnError::InvalidConfig {
                layer: "AvgPool2d".into(),
                why: "divisor_override must be positive, got 0".into(),
            });
        }
        self.divisor_override = divisor;
        Ok(self)
    }

    /// The window.
    pub fn window(&self) -> &Window2d {
        &self.window
    }

    /// Whether the output size rounds up.
    pub fn ceil_mode(&self) -> bool {
        self.ceil_mode
    }

    /// Whether padding counts in the divisors.
    pub fn count_include_pad(&self) -> bool {
        self.count_include_pad
    }

    /// The divisor of every window, if overridden.
    pub fn divisor_override(&self) -> Option<usize> {
        self.divisor_override
    }

    /// `1 / divisor` of each window, `[oh * ow]` row-major, for input
    /// `h x w`; 0 for a window with nothing to count.
    fn reciprocal_divisors<T: Float>(
        &self,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
    ) -> Vec<T> {
        let win = &self.window;
        let with_pad = self.count_include_pad;
        let rows: Vec<usize> = (0..oh)
            .map(|i| win.taps_inside(0, i, h, with_pad))
            .collect();
        let cols: Vec<usize> = (0..ow)
            .map(|j| win.taps_inside(1, j, w, with_pad))
            .collect();
        let mut out = Vec::with_capacity(oh * ow);
        for &r in &rows {
            for &c in &cols {
                let count = r * c;
                out.push(if count == 0 {
                    T::zero()
                } else {
                    T::one() / T::from_f64(count as f64)
                });
            }
        }
        out
    }
}

impl<T: Float> Module<T> for AvgPool2d {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let out = self
            .window
            .check_pool_input("AvgPool2d", &shape, self.ceil_mode)?;
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
        // Each channel as its own one-channel image: the columns are then
        // [N*C, taps, oh*ow], and a sum over the taps is each window's sum.
        let cols = im2col_sized(x.reshape(&[n * c, 1, h, w]), self.window, out);
        let y = match self.divisor_override {
            Some(d) => cols
                .try_sum_axes(&[1], false)?
                .div_scalar(T::from_f64(d as f64)),
            // Floor mode counting the padding: every divisor is kh * kw.
            None if !self.ceil_mode && self.count_include_pad => cols.try_mean_axes(&[1], false)?,
            None => {
                let recip =
                    Tensor::from_vec(self.reciprocal_divisors((h, w), out), &[1, out.0 * out.1]);
                cols.try_sum_axes(&[1], false)? * tape.constant(recip)
            }
        };
        Ok(y.reshape(&[n, c, out.0, out.1]))
    }
}
