//! `Conv2d`: 2-d convolution (cross-correlation) through im2col and one
//! matrix product per group.

use rand::Rng;
use wengert_tensor::{Float, Param, Tape, Var};

use super::channel_bias::add_channel_bias;
use super::padding::{pad2d, PaddingMode};
use super::window::{im2col_sized, Window2d};
use crate::error::{NnError, Result};
use crate::init::Init;
use crate::module::input_error;
use crate::Module;

/// Builds a [`Conv2d`]. Defaults as PyTorch: stride 1, no padding, no
/// dilation, one group, a bias, zero padding mode, PyTorch's default init.
///
/// ```
/// use wengert_nn::conv::{Conv2dConfig, PaddingMode};
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// // PyTorch: nn.Conv2d(3, 8, 4, padding="same", padding_mode="reflect")
/// let conv = Conv2dConfig::new(3, 8, 4)
///     .with_padding_same()
///     .with_padding_mode(PaddingMode::Reflect)
///     .build::<f64, _>(&mut seeded_rng(0))
///     .unwrap();
/// let tape = Tape::new();
/// let y = conv.forward(&tape, tape.constant(Tensor::zeros(&[2, 3, 5, 7]))).unwrap();
/// assert_eq!(y.shape(), vec![2, 8, 5, 7]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2dConfig {
    /// Input channels `C`.
    pub in_channels: usize,
    /// Output channels `O`.
    pub out_channels: usize,
    /// Kernel, stride, padding and dilation; `window.padding` is added on
    /// both sides of its axis (PyTorch's `padding` as an int or a pair).
    pub window: Window2d,
    /// PyTorch's `padding = "same"`: the output is as large as the input.
    /// Each axis gets `dilation * (kernel - 1)` positions of padding, half
    /// before and half after; when that is odd, the extra one goes after
    /// (right, bottom), as in PyTorch. Needs stride 1 and
    /// `window.padding = [0, 0]`.
    pub same_padding: bool,
    /// What the padding reads: zeros, or the input reflected, replicated or
    /// wrapped around (PyTorch's `padding_mode`).
    pub padding_mode: PaddingMode,
    /// Groups `g`: `C` and `O` split into `g` blocks, block `k` of the
    /// output sees only block `k` of the input.
    pub groups: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
    /// Weight initialisation; `None` is PyTorch's default
    /// ([`Init::PYTORCH_LINEAR_WEIGHT`], fans from `[O, C/g, kh, kw]`).
    pub weight_init: Option<Init>,
    /// Bias initialisation; `None` is PyTorch's default
    /// ([`Init::pytorch_linear_bias`] with the weight's fan-in).
    pub bias_init: Option<Init>,
}

impl Conv2dConfig {
    /// `in_channels -> out_channels` with a square `kernel x kernel` kernel.
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize) -> Self {
        Conv2dConfig {
            in_channels,
            out_channels,
            window: Window2d::square(kernel),
            same_padding: false,
            padding_mode: PaddingMode::Zeros,
            groups: 1,
            bias: true,
            weight_init: None,
            bias_init: None,
        }
    }

    /// With this weight initialisation (PyTorch: `nn.init.xavier_uniform_`
    /// and friends on `conv.weight` after construction). The fans are
    /// those of the weight `[O, C/g, kh, kw]`: `fan_in = C/g * kh * kw`,
    /// `fan_out = O * kh * kw`, as in PyTorch.
    ///
    /// ```
    /// use wengert_nn::conv::{Conv2d, Conv2dConfig};
    /// use wengert_nn::init::Init;
    /// use wengert_tensor::seeded_rng;
    /// let conv: Conv2d<f64> = Conv2dConfig::new(6, 16, 5)
    ///     .with_weight_init(Init::XavierUniform { gain: 1.0 })
    ///     .with_bias_init(Init::Zeros)
    ///     .build(&mut seeded_rng(0))
    ///     .unwrap();
    /// let bound = (6.0f64 / ((6 + 16) * 25) as f64).sqrt();
    /// assert!(conv.weight().value().to_vec().iter().all(|w| w.abs() <= bound));
    /// assert!(conv.bias().unwrap().value().to_vec().iter().all(|&b| b == 0.0));
    /// ```
    pub fn with_weight_init(mut self, init: Init) -> Self {
        self.weight_init = Some(init);
        self
    }

    /// With this bias initialisation.
    pub fn with_bias_init(mut self, init: Init) -> Self {
        self.bias_init = Some(init);
        self
    }

    /// With this stride (both axes).
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.window.stride = [stride, stride];
        self
    }

    /// With this padding on every side (both axes), in the padding mode.
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.window.padding = [padding, padding];
        self.same_padding = false;
        self
    }

    /// With PyTorch's `padding = "same"` (see
    /// [`same_padding`](Self::same_padding)).
    pub fn with_padding_same(mut self) -> Self {
        self.window.padding = [0, 0];
        self.same_padding = true;
        self
    }

    /// With PyTorch's `padding = "valid"`: no padding.
    pub fn with_padding_valid(self) -> Self {
        self.with_padding(0)
    }

    /// With this padding mode (PyTorch's `padding_mode`).
    pub fn with_padding_mode(mut self, mode: PaddingMode) -> Self {
        self.padding_mode = mode;
        self
    }

    /// The padding `[top, bottom, left, right]` this configuration adds.
    ///
    /// ```
    /// use wengert_nn::conv::Conv2dConfig;
    /// assert_eq!(Conv2dConfig::new(1, 1, 3).with_padding(2).padding(), [2, 2, 2, 2]);
    /// // "same" with a 2x4 kernel: 1 row and 3 columns in all, the odd one after.
    /// let mut same = Conv2dConfig::new(1, 1, 1).with_padding_same();
    /// same.window.kernel = [2, 4];
    /// assert_eq!(same.padding(), [0, 1, 1, 2]);
    /// ```
    pub fn padding(&self) -> [usize; 4] {
        let w = &self.window;
        if self.same_padding {
            let total = |a: usize| w.dilation[a] * w.kernel[a].saturating_sub(1);
            let (th, tw) = (total(0), total(1));
            [th / 2, th - th / 2, tw / 2, tw - tw / 2]
        } else {
            let [ph, pw] = w.padding;
            [ph, ph, pw, pw]
        }
    }

    /// With this dilation (both axes).
    pub fn with_dilation(mut self, dilation: usize) -> Self {
        self.window.dilation = [dilation, dilation];
        self
    }

    /// With this many groups.
    pub fn with_groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    /// With or without a bias.
    pub fn with_bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Draws weight then bias from `rng`, by default as PyTorch:
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both, `fan_in = C/g * kh * kw`
    /// (see [`Conv2dConfig::with_weight_init`] for others).
    pub fn build<T: Float, R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Conv2d<T>> {
        let g = self.groups;
        let invalid = |why: String| NnError::InvalidConfig {
            layer: "Conv2d".into(),
            why,
        };
        if g == 0 || self.in_channels % g != 0 || self.out_channels % g != 0 {
            return Err(invalid(format!(
                "groups ({g}) must divide in_channels ({}) and out_channels ({})",
                self.in_channels, self.out_channels
            )));
        }
        let w = &self.window;
        if w.taps() == 0 || w.stride.contains(&0) || w.dilation.contains(&0) {
            return Err(invalid(format!(
                "kernel, stride and dilation must be positive, got {w:?}"
            )));
        }
        if self.same_padding && w.stride != [1, 1] {
            return Err(invalid(format!(
                "padding \"same\" is not supported for strided convolutions (stride {:?}), as in PyTorch",
                w.stride
            )));
        }
        if self.same_padding && w.padding != [0, 0] {
            return Err(invalid(format!(
                "padding \"same\" computes the padding itself: window.padding must be [0, 0], got {:?}",
                w.padding
            )));
        }
        let shape = [
            self.out_channels,
            self.in_channels / g,
            w.kernel[0],
            w.kernel[1],
        ];
        let weight = self
            .weight_init
            .unwrap_or(Init::PYTORCH_LINEAR_WEIGHT)
            .tensor(&shape, rng)?;
        let bias = if self.bias {
            let fan_in = shape[1] * w.taps();
            let init = self
                .bias_init
                .unwrap_or_else(|| Init::pytorch_linear_bias(fan_in));
            Some(init.tensor(&[self.out_channels], rng)?)
        } else {
            None
        };
        Ok(Conv2d {
            config: *self,
            weight: Param::new("weight", weight),
            bias: bias.map(|b| Param::new("bias", b)),
        })
    }
}

/// 2-d convolution over `[N, C, H, W]` images, as PyTorch computes it
/// (cross-correlation: the kernel is not flipped):
///
/// ```text
/// y[n, o, i, j] = b[o] + sum_{c in group(o), u, v}
///                 w[o, c', u, v] * xpad[n, c, i*stride + u*dilation, j*stride + v*dilation]
/// ```
///
/// Computed as `W_g @ im2col(x)_{n,g}` for each image `n` and group `g`
/// (one batched matrix product), whose result is already laid out
/// `[N, O, oh, ow]`. Backward comes from the matrix product and
/// im2col's adjoint col2im: `dW_g = dY_g cols_g^T`, `dx = col2im(W_g^T dY_g)`,
/// `db = sum dY`; all composed, so twice differentiable.
///
/// # Shapes
/// `[N, C, H, W] -> [N, O, oh, ow]`, `oh = floor((H + top + bottom - d(k - 1) - 1) / s) + 1`
/// with the padding of [`Conv2dConfig::padding`] (`top = bottom = p` for
/// a padding `p`; `oh = H` for `"same"`). Weight `[O, C/g, kh, kw]`, bias
/// `[O]`.
///
/// # Padding
/// Zero padding is free: im2col reads positions outside the input as
/// zeros, also for an asymmetric `"same"`. The other modes
/// ([`PaddingMode`]) first build the padded input (an `index_select` per
/// axis, whose backward adds each copy's gradient back to its source).
///
/// # PyTorch options
/// `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=True, padding_mode='zeros')`, all present in
/// [`Conv2dConfig`]:
/// - `kernel_size`, `stride`, `dilation`, per axis: the fields of
///   [`Conv2dConfig::window`]; `groups`, `bias`: the fields of the same
///   names.
/// - `padding` as an int or a pair: `window.padding`
///   ([`Conv2dConfig::with_padding`]); `"same"`:
///   [`Conv2dConfig::with_padding_same`], refused with a stride, as in
///   PyTorch; `"valid"`: [`Conv2dConfig::with_padding_valid`].
/// - `padding_mode`: [`Conv2dConfig::with_padding_mode`], with PyTorch's
///   limits on the input size for reflect and circular.
/// - `device`, `dtype`: the tensor's type parameter (`f32`, `f64`) is the
///   dtype; wengert runs on the CPU.
///
/// ```
/// use wengert_nn::conv::{Conv2d, Conv2dConfig};
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let conv: Conv2d<f32> = Conv2dConfig::new(1, 8, 3).with_padding(1).build(&mut seeded_rng(0)).unwrap();
/// let tape = Tape::new();
/// let y = conv.forward(&tape, tape.constant(Tensor::zeros(&[2, 1, 28, 28]))).unwrap();
/// assert_eq!(y.shape(), vec![2, 8, 28, 28]);
/// ```
#[derive(Clone, Debug, Module)]
pub struct Conv2d<T: Float> {
    #[module(skip)]
    config: Conv2dConfig,
    weight: Param<T>,
    bias: Option<Param<T>>,
}

impl<T: Float> Conv2d<T> {
    /// `in -> out` channels, `k x k` kernel, PyTorch's defaults otherwise.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        rng: &mut R,
    ) -> Self {
        crate::error::or_panic(Conv2dConfig::new(in_channels, out_channels, kernel).build(rng))
    }

    /// The configuration.
    pub fn config(&self) -> &Conv2dConfig {
        &self.config
    }

    /// The weight `[O, C/g, kh, kw]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The bias `[O]`, if any.
    pub fn bias(&self) -> Option<&Param<T>> {
        self.bias.as_ref()
    }
}

impl<T: Float> Module<T> for Conv2d<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let cfg = &self.config;
        let (c, o, g) = (cfg.in_channels, cfg.out_channels, cfg.groups);
        let shape = x.shape();
        if shape.len() != 4 || shape[1] != c {
            return Err(input_error(
                format!("Conv2d({c} -> {o})"),
                format!("[N, {c}, H, W]"),
                shape,
            ));
        }
        let pads = cfg.padding();
        let mut win = cfg.window;
        let x = if cfg.padding_mode == PaddingMode::Zeros || pads == [0; 4] {
            // im2col reads the zeros; its window starts at the top-left
            // padding, and the output size carries the bottom-right one.
            win.padding = [pads[0], pads[2]];
            x
        } else {
            win.padding = [0, 0];
            pad2d(x, pads, cfg.padding_mode, "Conv2d")?
        };
        let padded = |a: usize| {
            let (before, after) = (
                win.padding[a],
                pads[2 * a] + pads[2 * a + 1] - win.padding[a],
            );
            before + shape[2 + a] + after
        };
        let out = win
            .axis_output(0, padded(0), false)
            .zip(win.axis_output(1, padded(1), false));
        let (oh, ow) = out.ok_or_else(|| cfg.window.misfit("Conv2d", &shape))?;
        let n = shape[0];
        let k = (c / g) * cfg.window.taps();
        // [N, g, K, L] columns; the weight [g, O/g, K] broadcasts over the
        // batch, and the product [N, g, O/g, L] is already [N, O, oh, ow].
        let cols = im2col_sized(x, win, (oh, ow)).reshape(&[n, g, k, oh * ow]);
        let w = tape.param(&self.weight).reshape(&[g, o / g, k]);
        let mut y = w.matmul(cols).reshape(&[n, o, oh, ow]);
        if let Some(b) = &self.bias {
            // One pass per channel run, forward and backward (no broadcast
            // bias, no transposed copy to sum the gradient).
            y = add_channel_bias(y, tape.param(b));
        }
        Ok(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::seeded_rng;

    #[test]
    fn the_default_init_is_pytorch_s_and_a_chosen_one_uses_the_conv_fans() {
        let config = Conv2dConfig::new(3, 8, 3);
        let default: Conv2d<f64> = config.build(&mut seeded_rng(4)).unwrap();
        let explicit: Conv2d<f64> = config
            .with_weight_init(Init::PYTORCH_LINEAR_WEIGHT)
            .with_bias_init(Init::pytorch_linear_bias(27))
            .build(&mut seeded_rng(4))
            .unwrap();
        assert_eq!(
            default.weight().value().to_vec(),
            explicit.weight().value().to_vec()
        );
        assert_eq!(
            default.bias().unwrap().value().to_vec(),
            explicit.bias().unwrap().value().to_vec()
        );
        // Kaiming normal (fan-in, ReLU gain): std sqrt(2 / (C * kh * kw)).
        let big: Conv2d<f64> = Conv2dConfig::new(16, 64, 3)
            .with_weight_init(Init::KaimingNormal {
                mode: crate::init::FanMode::FanIn,
                nonlinearity: crate::init::Nonlinearity::ReLU,
            })
            .build(&mut seeded_rng(5))
            .unwrap();
        let w = big.weight().value().to_vec();
        let std = (w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64).sqrt();
        let want = (2.0f64 / (16.0 * 9.0)).sqrt();
        assert!((std / want - 1.0).abs() < 0.05, "std {std} vs {want}");
    }
}
