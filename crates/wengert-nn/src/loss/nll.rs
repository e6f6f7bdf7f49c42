//! Negative log-likelihood of log-probabilities, with PyTorch's options:
//! per-class `weight`, `ignore_index`, K-dimensional and unbatched input.

use wengert_tensor::{Float, Tensor, Var};

use super::class_targets::{
    check_class_indices, check_class_weight, class_index_loss, ClassLayout,
};
use super::Reduction;
use crate::error::{or_panic, Result};

/// The options of [`nll_loss_with`]: PyTorch's keyword arguments of
/// `F.nll_loss`, with its defaults.
///
/// # PyTorch options
/// - `weight`: a `[C]` tensor of per-class factors; each position's loss
///   is scaled by its target's factor and the mean divides by the sum of
///   the factors of the targets that count, as PyTorch.
/// - `ignore_index`: `Some(k)` drops the positions whose target is `k`
///   (which may lie outside `0..C`) from the loss and the mean; PyTorch's
///   default `-100` is `None` here (targets are `usize`). All ignored:
///   the mean is NaN with a zero gradient, as in PyTorch.
/// - `reduction`: [`Reduction`], default the mean.
/// - `size_average` and `reduce` (deprecated in PyTorch) do not exist.
///
/// ```
/// use wengert_nn::loss::{NllLossOptions, Reduction};
/// let options = NllLossOptions::<f32>::new().ignore_index(0).reduction(Reduction::Sum);
/// assert_eq!(options.ignore_index, Some(0));
/// ```
#[derive(Clone, Debug)]
pub struct NllLossOptions<T: Float> {
    /// Per-class factors, shape `[C]` (`None`: all 1).
    pub weight: Option<Tensor<T>>,
    /// A target value whose positions do not count (`None`: all count).
    pub ignore_index: Option<usize>,
    /// How the per-position losses are combined (default the mean).
    pub reduction: Reduction,
}

impl<T: Float> Default for NllLossOptions<T> {
    fn default() -> Self {
        NllLossOptions {
            weight: None,
            ignore_index: None,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> NllLossOptions<T> {
    /// PyTorch's defaults: no weight, nothing ignored, mean.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the per-class factors, shape `[C]`.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Ignores the positions whose target is `index`.
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

/// Negative log-likelihood of log-probabilities: `l_i = -x_i[t_i]`,
/// reduced over the batch. Gradient `-1` at each target (divided by N for
/// the mean), 0 elsewhere. Applied to `Var::log_softmax(1)` of logits it is
/// [`cross_entropy`](super::cross_entropy). [`nll_loss_with`] with
/// `reduction` and PyTorch's other defaults.
///
/// # Shapes
/// `log_probs [N, C]` (or `[C]`, or `[N, C, d1, ...]`: see
/// [`nll_loss_with`]), `targets` N indices below C. PyTorch:
/// `nn.NLLLoss(reduction)`.
pub fn try_nll_loss<'t, T: Float>(
    log_probs: Var<'t, T>,
    targets: &[usize],
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    try_nll_loss_with(
        log_probs,
        targets,
        &NllLossOptions::new().reduction(reduction),
    )
}

/// Panicking form of [`try_nll_loss`].
#[track_caller]
pub fn nll_loss<'t, T: Float>(
    log_probs: Var<'t, T>,
    targets: &[usize],
    reduction: Reduction,
) -> Var<'t, T> {
    or_panic(try_nll_loss(log_probs, targets, reduction))
}

/// Negative log-likelihood with PyTorch's options ([`NllLossOptions`]):
/// `l_p = -w_t x_p[t]` at each position `p` whose target `t` is not
/// ignored, 0 at an ignored one; the mean divides by `sum_p w_t` over the
/// positions that count. Gradient `-w_t` (over that sum for the mean) at
/// each counted target, 0 elsewhere.
///
/// # Shapes
/// - `[N, C]` with `N` targets;
/// - `[C]` with one target: an unbatched sample, a 0-d loss for
///   [`Reduction::None`];
/// - `[N, C, d1, ...]` with `N * d1 * ...` targets in row-major order of
///   `[N, d1, ...]`; [`Reduction::None`] gives `[N, d1, ...]`.
///
/// PyTorch: `F.nll_loss(log_probs, targets, weight, ignore_index=...,
/// reduction=...)`.
///
/// ```
/// use wengert_nn::loss::{nll_loss_with, NllLossOptions, Reduction};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![-1.0, -2.0, -3.0, -4.0], &[2, 2]));
/// let options = NllLossOptions::new()
///     .weight(Tensor::from_vec(vec![1.0, 3.0], &[2]))
///     .reduction(Reduction::Mean);
/// // (1 * 1 + 3 * 4) / (1 + 3)
/// assert_eq!(nll_loss_with(x, &[0, 1], &options).item(), 13.0 / 4.0);
/// ```
pub fn try_nll_loss_with<'t, T: Float>(
    log_probs: Var<'t, T>,
    targets: &[usize],
    options: &NllLossOptions<T>,
) -> Result<Var<'t, T>> {
    const LOSS: &str = "nll_loss";
    let shape = log_probs.shape();
    let layout = ClassLayout::of(LOSS, &shape)?;
    check_class_indices(LOSS, &shape, &layout, targets, options.ignore_index)?;
    check_class_weight(LOSS, &shape, &layout, options.weight.as_ref())?;
    class_index_loss(
        log_probs,
        &layout,
        targets,
        options.weight.as_ref(),
        options.ignore_index,
        0.0,
        options.reduction,
    )
}

/// Panicking form of [`try_nll_loss_with`].
#[track_caller]
pub fn nll_loss_with<'t, T: Float>(
    log_probs: Var<'t, T>,
    targets: &[usize],
    options: &NllLossOptions<T>,
) -> Var<'t, T> {
    or_panic(try_nll_loss_with(log_probs, targets, options))
}
