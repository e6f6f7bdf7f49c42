//! Softmax cross-entropy from logits, with PyTorch's options: per-class
//! `weight`, `ignore_index`, `label_smoothing`, K-dimensional scores
//! `[N, C, d1, ...]`, unbatched `[C]` scores, and class-probability targets.
//! Log-probabilities come from `Var::log_softmax` of wengert-tensor (stable:
//! it subtracts the maximum).

use wengert_tensor::{Float, Tensor, Var};

use super::class_targets::{
    check_class_indices, check_class_weight, check_label_smoothing, class_index_loss,
    class_weight_along_axis, ClassLayout,
};
use super::Reduction;
use crate::error::{or_panic, NnError, Result};

/// The options of [`cross_entropy_with`] and [`cross_entropy_probs`]:
/// PyTorch's keyword arguments of `F.cross_entropy`, with its defaults.
///
/// # PyTorch options
/// - `weight`: a `[C]` tensor of per-class factors. Each position's loss
///   is scaled by its target's factor, and the mean divides by the sum of
///   the factors of the targets that count (not by their number), as
///   PyTorch. With class probabilities, each class's term is scaled and
///   the mean divides by the number of positions, also as PyTorch.
/// - `ignore_index`: `Some(k)` drops every position whose target is `k`
///   from the loss and from the mean's denominator; `k` may lie outside
///   `0..C` (255 for void pixels). PyTorch's default `-100` matches no
///   class, which here is `None` (targets are `usize`). If every target is
///   ignored, the mean is NaN (`0/0`) with a zero gradient, as in PyTorch.
///   Refused with class-probability targets, as PyTorch refuses it.
/// - `label_smoothing`: the mass `eps` in `[0, 1]` spread evenly over all
///   `C` classes, the target included: class-index targets become
///   `(1 - eps) onehot + eps / C` (an ignored position stays ignored, and
///   under `weight` each class's share is scaled by its factor);
///   probabilities `y` become `(1 - eps) y + eps / C`.
/// - `reduction`: [`Reduction`], default the mean.
/// - `size_average` and `reduce` (deprecated in PyTorch in favour of
///   `reduction`) do not exist.
///
/// ```
/// use wengert_nn::loss::{CrossEntropyOptions, Reduction};
/// use wengert_tensor::Tensor;
/// let options = CrossEntropyOptions::new()
///     .weight(Tensor::<f64>::from_vec(vec![1.0, 2.0, 0.5], &[3]))
///     .ignore_index(255)
///     .label_smoothing(0.1)
///     .reduction(Reduction::Sum);
/// assert_eq!(options.ignore_index, Some(255));
/// ```
#[derive(Clone, Debug)]
pub struct CrossEntropyOptions<T: Float> {
    /// Per-class factors, shape `[C]` (`None`: all 1).
    pub weight: Option<Tensor<T>>,
    /// A target value whose positions do not count (`None`: every target
    /// counts, PyTorch's default `-100`).
    pub ignore_index: Option<usize>,
    /// Label smoothing in `[0, 1]` (default 0).
    pub label_smoothing: f64,
    /// How the per-position losses are combined (default the mean).
    pub reduction: Reduction,
}

impl<T: Float> Default for CrossEntropyOptions<T> {
    fn default() -> Self {
        CrossEntropyOptions {
            weight: None,
            ignore_index: None,
            label_smoothing: 0.0,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> CrossEntropyOptions<T> {
    /// PyTorch's defaults: no weight, nothing ignored, no smoothing, mean.
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

    /// Sets the label smoothing, in `[0, 1]`.
    pub fn label_smoothing(mut self, eps: f64) -> Self {
        self.label_smoothing = eps;
        self
    }

    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

/// Softmax cross-entropy from logits with integer class targets:
/// `l_i = -log softmax(z_i)[t_i] = logsumexp(z_i) - z_i[t_i]`, reduced over
/// the batch. Gradient `softmax(z_i) - onehot(t_i)` (divided by N for the
/// mean). [`cross_entropy_with`] with `reduction` and PyTorch's other
/// defaults.
///
/// # Shapes
/// `logits [N, C]` (or `[C]`, or `[N, C, d1, ...]`: see
/// [`cross_entropy_with`]), `targets` N indices below C; a scalar, or `[N]`
/// for [`Reduction::None`]. PyTorch: `F.cross_entropy(logits, targets,
/// reduction=...)`.
///
/// ```
/// use wengert_nn::loss::{cross_entropy, Reduction};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let z = tape.var(Tensor::zeros(&[2, 4])); // uniform over 4 classes
/// let l = cross_entropy(z, &[0, 3], Reduction::Mean);
/// assert!((l.item() - 4f64.ln()).abs() < 1e-15);
/// ```
pub fn try_cross_entropy<'t, T: Float>(
    logits: Var<'t, T>,
    targets: &[usize],
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    try_cross_entropy_with(
        logits,
        targets,
        &CrossEntropyOptions::new().reduction(reduction),
    )
}

/// Panicking form of [`try_cross_entropy`].
#[track_caller]
pub fn cross_entropy<'t, T: Float>(
    logits: Var<'t, T>,
    targets: &[usize],
    reduction: Reduction,
) -> Var<'t, T> {
    or_panic(try_cross_entropy(logits, targets, reduction))
}

/// Cross-entropy with label smoothing `eps` in `[0, 1]`, as PyTorch: the
/// smoothing mass is spread over every class, the target included, so
/// `l_i = (1 - eps) (-log p_i[t_i]) + eps * mean_c(-log p_i[c])`; the target
/// gets weight `1 - eps + eps/C`, every other class `eps/C`.
///
/// PyTorch: `F.cross_entropy(logits, targets, reduction, label_smoothing=eps)`.
pub fn try_cross_entropy_smoothed<'t, T: Float>(
    logits: Var<'t, T>,
    targets: &[usize],
    label_smoothing: f64,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    try_cross_entropy_with(
        logits,
        targets,
        &CrossEntropyOptions::new()
            .label_smoothing(label_smoothing)
            .reduction(reduction),
    )
}

/// Panicking form of [`try_cross_entropy_smoothed`].
#[track_caller]
pub fn cross_entropy_smoothed<'t, T: Float>(
    logits: Var<'t, T>,
    targets: &[usize],
    label_smoothing: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    or_panic(try_cross_entropy_smoothed(
        logits,
        targets,
        label_smoothing,
        reduction,
    ))
}

/// Softmax cross-entropy from logits with class-index targets and
/// PyTorch's options ([`CrossEntropyOptions`]): at each position `p` with
/// target `t`, not ignored, and label smoothing `eps`,
///
/// ```text
/// l_p = (1 - eps) w_t (-log p[t]) + eps / C * sum_c w_c (-log p[c])
/// ```
///
/// (`w` = 1 without `weight`); 0 at an ignored position. The mean divides
/// the sum by `sum_p w_t` over the positions that count. Gradient
/// `softmax(z) sum_c W_c - W` with `W` those coefficients (`softmax -
/// onehot` in the plain case); twice differentiable.
///
/// # Shapes
/// - `[N, C]` logits with `N` targets: the usual batch.
/// - `[C]` logits with one target: one unbatched sample (PyTorch's 0-d
///   target); [`Reduction::None`] gives a 0-d loss.
/// - `[N, C, d1, ...]` logits (a class score per pixel, per time step)
///   with `N * d1 * ...` targets in row-major order of `[N, d1, ...]`;
///   [`Reduction::None`] gives `[N, d1, ...]`.
///
/// PyTorch: `F.cross_entropy(logits, targets, weight, ignore_index=...,
/// reduction=..., label_smoothing=...)`.
///
/// ```
/// use wengert_nn::loss::{cross_entropy_with, CrossEntropyOptions};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // Two samples over 3 classes, uniform logits; class 2 weighs 3.
/// let z = tape.var(Tensor::zeros(&[2, 3]));
/// let options = CrossEntropyOptions::new().weight(Tensor::from_vec(vec![1.0, 1.0, 3.0], &[3]));
/// let l = cross_entropy_with(z, &[0, 2], &options);
/// // (1 * ln 3 + 3 * ln 3) / (1 + 3): the weighted mean of equal losses.
/// assert!((l.item() - 3f64.ln()).abs() < 1e-15);
/// // Ignoring class 2 leaves the first sample alone.
/// let l = cross_entropy_with(z, &[0, 2], &options.ignore_index(2));
/// assert!((l.item() - 3f64.ln()).abs() < 1e-15);
/// ```
pub fn try_cross_entropy_with<'t, T: Float>(
    logits: Var<'t, T>,
    targets: &[usize],
    options: &CrossEntropyOptions<T>,
) -> Result<Var<'t, T>> {
    const LOSS: &str = "cross_entropy";
    let shape = logits.shape();
    let layout = ClassLayout::of(LOSS, &shape)?;
    check_class_indices(LOSS, &shape, &layout, targets, options.ignore_index)?;
    check_class_weight(LOSS, &shape, &layout, options.weight.as_ref())?;
    check_label_smoothing(LOSS, options.label_smoothing)?;
    let log_p = logits.try_log_softmax(layout.class_axis)?;
    class_index_loss(
        log_p,
        &layout,
        targets,
        options.weight.as_ref(),
        options.ignore_index,
        options.label_smoothing,
        options.reduction,
    )
}

/// Panicking form of [`try_cross_entropy_with`].
#[track_caller]
pub fn cross_entropy_with<'t, T: Float>(
    logits: Var<'t, T>,
    targets: &[usize],
    options: &CrossEntropyOptions<T>,
) -> Var<'t, T> {
    or_panic(try_cross_entropy_with(logits, targets, options))
}

/// Softmax cross-entropy from logits against class probabilities `y` of
/// the logits' shape (soft labels, mixup, distillation):
/// `l_p = -sum_c w_c y_c log p_c` at each position (`w` = 1 without
/// `weight`), with `y` replaced by `(1 - eps) y + eps / C` under label
/// smoothing. The mean divides by the number of positions (`N * d1 * ...`),
/// whatever the weights, as PyTorch; an empty batch gives NaN.
///
/// `y` is a `Var`: its gradient `-w_c log p_c` (times `1 - eps`) is
/// there for whoever needs it (a learned teacher); pass a constant
/// otherwise. Its rows are not checked to sum to 1, as in PyTorch.
/// Gradient for the logits `softmax(z) sum_c w_c y_c - w y`; twice
/// differentiable. `ignore_index` is refused: there is no class index to
/// compare (PyTorch refuses it too).
///
/// # Shapes
/// `logits` `[N, C]`, `[C]` or `[N, C, d1, ...]`, and `y` of the same
/// shape; [`Reduction::None`] gives `[N, d1, ...]` (`[]` unbatched).
/// PyTorch: `F.cross_entropy(logits, y, weight, reduction=...,
/// label_smoothing=...)` with a float `y` of the logits' shape.
///
/// ```
/// use wengert_nn::loss::{cross_entropy_probs, CrossEntropyOptions};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let z = tape.var(Tensor::zeros(&[1, 2])); // p = [1/2, 1/2]
/// let y = tape.constant(Tensor::from_vec(vec![0.25, 0.75], &[1, 2]));
/// let l = cross_entropy_probs(z, y, &CrossEntropyOptions::new());
/// assert!((l.item() - 2f64.ln()).abs() < 1e-15);
/// // d/dz = p - y
/// assert_eq!(l.backward().wrt(z).unwrap().to_vec(), vec![0.25, -0.25]);
/// ```
pub fn try_cross_entropy_probs<'t, T: Float>(
    logits: Var<'t, T>,
    probs: Var<'t, T>,
    options: &CrossEntropyOptions<T>,
) -> Result<Var<'t, T>> {
    const LOSS: &str = "cross_entropy";
    let shape = logits.shape();
    let layout = ClassLayout::of(LOSS, &shape)?;
    if probs.shape() != shape {
        return Err(NnError::InvalidTarget {
            loss: LOSS,
            why: format!(
                "class-probability targets {:?} must have the logits' shape {shape:?}",
                probs.shape()
            ),
        });
    }
    if let Some(k) = options.ignore_index {
        return Err(NnError::InvalidConfig {
            layer: LOSS.into(),
            why: format!(
                "ignore_index {k} does not apply to class-probability targets: they hold no \
                 class index to compare (PyTorch refuses it too); give the positions to drop \
                 zero probabilities instead"
            ),
        });
    }
    check_class_weight(LOSS, &shape, &layout, options.weight.as_ref())?;
    let eps = options.label_smoothing;
    check_label_smoothing(LOSS, eps)?;
    let tape = logits.tape();
    let log_p = logits.try_log_softmax(layout.class_axis)?;
    let y = if eps > 0.0 {
        probs
            .mul_scalar(T::from_f64(1.0 - eps))
            .add_scalar(T::from_f64(eps / layout.c as f64))
    } else {
        probs
    };
    let mut terms = log_p * y;
    if let Some(w) = &options.weight {
        terms = terms * tape.constant(class_weight_along_axis(w, &layout, shape.len())?);
    }
    Ok(match options.reduction {
        Reduction::None => -terms.try_sum_axes(&[layout.class_axis], false)?,
        Reduction::Sum => -terms.sum(),
        // No element: 0/0, NaN as in PyTorch.
        Reduction::Mean if terms.numel() == 0 => terms.sum().add_scalar(T::nan()),
        Reduction::Mean => (-terms.sum()).div_scalar(T::from_f64(layout.positions() as f64)),
    })
}

/// Panicking form of [`try_cross_entropy_probs`].
#[track_caller]
pub fn cross_entropy_probs<'t, T: Float>(
    logits: Var<'t, T>,
    probs: Var<'t, T>,
    options: &CrossEntropyOptions<T>,
) -> Var<'t, T> {
    or_panic(try_cross_entropy_probs(logits, probs, options))
}
