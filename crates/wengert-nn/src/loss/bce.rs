//! Binary cross-entropy from logits, with PyTorch's `weight` and
//! `pos_weight`.

use wengert_tensor::{Float, Tensor, Var};

use super::Reduction;
use crate::error::{or_panic, NnError, Result};

/// The options of [`bce_with_logits_with`]: PyTorch's keyword arguments of
/// `F.binary_cross_entropy_with_logits`, with its defaults.
///
/// # PyTorch options
/// - `weight`: a factor per element, broadcast against the logits (aligned
///   from the right, as PyTorch); the mean stays the plain mean over the
///   elements, as PyTorch.
/// - `pos_weight`: a factor on the positive term `t ln sigmoid(x)`,
///   broadcast against the logits from the right like `weight`: a `[C]`
///   tensor weighs each of the `C` classes of `[N, C]` logits (use
///   `[C, 1, 1]` for `[N, C, H, W]`). Above 1 it raises recall, below 1
///   precision; `n_negative / n_positive` balances a class.
/// - `reduction`: [`Reduction`], default the mean.
/// - `size_average` and `reduce` (deprecated in PyTorch) do not exist.
///
/// Either weight must broadcast *to* the logits' shape (the loss keeps
/// that shape), as PyTorch, which fails otherwise too.
///
/// ```
/// use wengert_nn::loss::{BceWithLogitsOptions, Reduction};
/// use wengert_tensor::Tensor;
/// let options = BceWithLogitsOptions::new()
///     .pos_weight(Tensor::<f32>::from_vec(vec![3.0, 0.5], &[2]))
///     .reduction(Reduction::Sum);
/// assert!(options.weight.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct BceWithLogitsOptions<T: Float> {
    /// A factor per element, broadcast against the logits (`None`: 1).
    pub weight: Option<Tensor<T>>,
    /// A factor on the positive term, broadcast against the logits
    /// (`None`: 1).
    pub pos_weight: Option<Tensor<T>>,
    /// How the per-element losses are combined (default the mean).
    pub reduction: Reduction,
}

impl<T: Float> Default for BceWithLogitsOptions<T> {
    fn default() -> Self {
        BceWithLogitsOptions {
            weight: None,
            pos_weight: None,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> BceWithLogitsOptions<T> {
    /// PyTorch's defaults: no weights, mean.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the per-element factors.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Sets the factors of the positive term.
    pub fn pos_weight(mut self, pos_weight: Tensor<T>) -> Self {
        self.pos_weight = Some(pos_weight);
        self
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

/// Binary cross-entropy from logits `x` with targets `t` in `[0, 1]`:
/// `l = -t ln sigmoid(x) - (1 - t) ln(1 - sigmoid(x))`, gradient
/// `sigmoid(x) - t`. [`bce_with_logits_with`] with `reduction` and no
/// weights.
///
/// Computed in the stable form `max(x, 0) - x t + ln(1 + e^-|x|)`, which
/// never exponentiates a large positive number. `max(x, 0)` and `|x|` are
/// written as `x m` and `x (2m - 1)` with a constant mask `m = [x >= 0]`:
/// composing with relu and abs instead would take their subgradients at
/// x = 0 (both 0) and give `-t` there instead of `1/2 - t`.
///
/// # Shapes
/// `logits` and `targets` of one shape (PyTorch refuses other targets
/// too). PyTorch: `nn.BCEWithLogitsLoss(reduction)`.
///
/// ```
/// use wengert_nn::loss::{bce_with_logits, Reduction};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![0.0], &[1]));
/// let t = tape.constant(Tensor::from_vec(vec![1.0], &[1]));
/// let l = bce_with_logits(x, t, Reduction::Mean);
/// assert!((l.item() - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(l.backward().wrt(x).unwrap().to_vec(), vec![-0.5]); // sigmoid(0) - 1
/// ```
pub fn try_bce_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    targets: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    try_bce_with_logits_with(
        logits,
        targets,
        &BceWithLogitsOptions::new().reduction(reduction),
    )
}

/// Panicking form of [`try_bce_with_logits`].
#[track_caller]
pub fn bce_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    targets: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    or_panic(try_bce_with_logits(logits, targets, reduction))
}

/// Binary cross-entropy from logits with PyTorch's options
/// ([`BceWithLogitsOptions`]): with `pw` the positive weight and `w` the
/// element weight,
///
/// ```text
/// l = -w [pw t ln sigmoid(x) + (1 - t) ln(1 - sigmoid(x))]
///   = w [(1 - t) x + (1 + (pw - 1) t) softplus(-x)]
/// ```
///
/// Gradient `w [(1 + (pw - 1) t) sigmoid(x) - pw t]` for the logits and
/// `w [(pw - 1) softplus(-x) - x]` for the targets; twice differentiable.
/// Computed as the plain loss (see [`try_bce_with_logits`]) plus
/// `(pw - 1) t softplus(-x)`, with `softplus(-x) = max(x, 0) - x +
/// ln(1 + e^-|x|)` in the same stable form, so a `pos_weight` of 1 adds
/// exactly zero.
///
/// # Shapes
/// `logits` and `targets` of one shape; `weight` and `pos_weight`
/// broadcast to it (`[C]` for `[N, C]`); the loss has that shape for
/// [`Reduction::None`]. PyTorch: `F.binary_cross_entropy_with_logits(x, t,
/// weight, reduction=..., pos_weight=...)`.
///
/// ```
/// use wengert_nn::loss::{bce_with_logits_with, BceWithLogitsOptions};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::zeros(&[1, 2]));
/// let t = tape.constant(Tensor::from_vec(vec![1.0, 0.0], &[1, 2]));
/// let options = BceWithLogitsOptions::new().pos_weight(Tensor::from_vec(vec![3.0, 3.0], &[2]));
/// // The positive (3 ln 2) weighs 3, the negative (ln 2) does not.
/// let l = bce_with_logits_with(x, t, &options);
/// assert!((l.item() - 2.0 * 2f64.ln()).abs() < 1e-15);
/// ```
pub fn try_bce_with_logits_with<'t, T: Float>(
    logits: Var<'t, T>,
    targets: Var<'t, T>,
    options: &BceWithLogitsOptions<T>,
) -> Result<Var<'t, T>> {
    const LOSS: &str = "bce_with_logits";
    let shape = logits.shape();
    if targets.shape() != shape {
        return Err(NnError::InvalidTarget {
            loss: LOSS,
            why: format!(
                "logits {shape:?} and targets {:?} must have the same shape (as in PyTorch)",
                targets.shape()
            ),
        });
    }
    let broadcast = |what: &str, w: &Tensor<T>| -> Result<Tensor<T>> {
        w.try_broadcast_to(&shape)
            .map_err(|_| NnError::InvalidConfig {
                layer: LOSS.into(),
                why: format!(
                    "{what} {:?} does not broadcast to the logits' shape {shape:?}: axes are \
                     aligned from the right, each must match or be 1 (for [N, C, H, W] \
                     logits, a per-class {what} is [C, 1, 1])",
                    w.shape()
                ),
            })
    };
    let weight = options
        .weight
        .as_ref()
        .map(|w| broadcast("weight", w))
        .transpose()?;
    let pos_weight = options
        .pos_weight
        .as_ref()
        .map(|w| broadcast("pos_weight", w))
        .transpose()?;

    let tape = logits.tape();
    let m = logits
        .value()
        .map(|v| if v >= T::zero() { T::one() } else { T::zero() });
    let sign = m.map(|v| v + v - T::one());
    let (m, sign) = (tape.constant(m), tape.constant(sign));
    let abs = logits * sign;
    // ln(1 + e^-|x|) = softplus(-|x|); its argument is <= 0, below the
    // softplus threshold, so it is the exact log1p form.
    let log1p_exp = (-abs).softplus();
    let mut losses = logits * m - logits * targets + log1p_exp;
    if let Some(pw) = pos_weight {
        // softplus(-x) = -ln sigmoid(x), the positive term's loss.
        let positive = logits * m - logits + log1p_exp;
        let extra = tape.constant(pw.map(|v| v - T::one()));
        losses = losses + extra * targets * positive;
    }
    if let Some(w) = weight {
        losses = losses * tape.constant(w);
    }
    Ok(options.reduction.apply(losses))
}

/// Panicking form of [`try_bce_with_logits_with`].
#[track_caller]
pub fn bce_with_logits_with<'t, T: Float>(
    logits: Var<'t, T>,
    targets: Var<'t, T>,
    options: &BceWithLogitsOptions<T>,
) -> Var<'t, T> {
    or_panic(try_bce_with_logits_with(logits, targets, options))
}
