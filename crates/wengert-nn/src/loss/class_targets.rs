//! What cross-entropy and NLL share: the layout of class scores (`[C]`,
//! `[N, C]` or `[N, C, d1, ...]`), the checks of class-index targets,
//! per-class weights and `ignore_index`, and the reduction of
//! `-sum_c W log p` with PyTorch's weighted mean.
//!
//! The loss is composed of `Var` ops (`gather` of the target's
//! log-probability, a sum over classes for label smoothing, `select` to
//! drop ignored positions), so its gradient and second derivatives come
//! from the tensor crate's rules.

use wengert_tensor::{Float, Tensor, Var};

use super::Reduction;
use crate::error::{NnError, Result};

/// Where the classes are in a scores tensor: `n` samples, `c` classes on
/// `class_axis`, and `s` positions per sample (the product of `d1, ...`;
/// 1 for `[N, C]` and for an unbatched `[C]`).
#[derive(Clone, Copy, Debug)]
pub(super) struct ClassLayout {
    pub n: usize,
    pub c: usize,
    pub s: usize,
    pub class_axis: usize,
}

impl ClassLayout {
    /// Reads the layout of `shape`: `[C]` is one unbatched sample (as
    /// PyTorch, with a 0-d target), `[N, C, d1, ...]` has classes on axis 1.
    pub fn of(loss: &'static str, shape: &[usize]) -> Result<ClassLayout> {
        match shape.len() {
            0 => Err(NnError::InvalidTarget {
                loss,
                why: format!(
                    "expected scores of shape [classes] (one unbatched sample), \
                     [batch, classes] or [batch, classes, d1, ...], got {shape:?}"
                ),
            }),
            1 => Ok(ClassLayout {
                n: 1,
                c: shape[0],
                s: 1,
                class_axis: 0,
            }),
            _ => Ok(ClassLayout {
                n: shape[0],
                c: shape[1],
                s: shape[2..].iter().product(),
                class_axis: 1,
            }),
        }
    }

    /// How many positions carry a target: `N * d1 * ...` (1 unbatched).
    pub fn positions(&self) -> usize {
        self.n * self.s
    }
}

/// The shape PyTorch gives the targets of scores `shape`: `[N, d1, ...]`,
/// or `[]` for unbatched `[C]` scores.
pub(super) fn target_shape(shape: &[usize]) -> Vec<usize> {
    if shape.len() < 2 {
        return vec![];
    }
    let mut t = vec![shape[0]];
    t.extend_from_slice(&shape[2..]);
    t
}

/// The multi-index of flat position `p` in a row-major `shape`.
fn unravel(mut p: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, &d) in shape.iter().enumerate().rev() {
        index[i] = p % d.max(1);
        p /= d.max(1);
    }
    index
}

/// Checks one class index per position (row-major over `[N, d1, ...]`),
/// each below `C` unless it is the `ignore_index` (which, as in PyTorch,
/// may lie outside `0..C`: 255 for the void pixels of a segmentation).
pub(super) fn check_class_indices(
    loss: &'static str,
    shape: &[usize],
    layout: &ClassLayout,
    targets: &[usize],
    ignore_index: Option<usize>,
) -> Result<()> {
    let want = layout.positions();
    if targets.len() != want {
        let why = match shape.len() {
            1 => format!(
                "{} targets for one unbatched sample (scores {shape:?}): expected 1",
                targets.len()
            ),
            2 => format!(
                "{} targets for a batch of {} (scores {shape:?})",
                targets.len(),
                layout.n
            ),
            _ => format!(
                "{} targets for scores {shape:?}: expected {want}, one per position of \
                 [batch, d1, ...] = {:?}, in row-major order",
                targets.len(),
                target_shape(shape)
            ),
        };
        return Err(NnError::InvalidTarget { loss, why });
    }
    let bad = targets
        .iter()
        .enumerate()
        .find(|&(_, &t)| t >= layout.c && Some(t) != ignore_index);
    if let Some((i, &t)) = bad {
        let mut why = format!(
            "target {t} at position {i} is not a class index below {}",
            layout.c
        );
        if let Some(k) = ignore_index {
            why.push_str(&format!(" nor the ignore_index {k}"));
        }
        if shape.len() > 2 {
            let ts = target_shape(shape);
            why.push_str(&format!(
                " (index {:?} of targets shaped {ts:?})",
                unravel(i, &ts)
            ));
        }
        return Err(NnError::InvalidTarget { loss, why });
    }
    Ok(())
}

/// Checks PyTorch's `weight`: one rescaling factor per class, shape `[C]`.
pub(super) fn check_class_weight<T: Float>(
    loss: &'static str,
    shape: &[usize],
    layout: &ClassLayout,
    weight: Option<&Tensor<T>>,
) -> Result<()> {
    match weight {
        Some(w) if w.shape() != [layout.c] => Err(NnError::InvalidConfig {
            layer: loss.into(),
            why: format!(
                "weight must hold one factor per class, shape [{}] for scores {shape:?} \
                 (classes on axis {}), got {:?}",
                layout.c,
                layout.class_axis,
                w.shape()
            ),
        }),
        _ => Ok(()),
    }
}

/// A checked `[C]` weight shaped to broadcast against scores of `ndim`
/// axes: `[C]` followed by a 1 per axis after the classes (`[C, 1, 1]` for
/// `[N, C, H, W]`); the batch broadcasts from the left.
pub(super) fn class_weight_along_axis<T: Float>(
    weight: &Tensor<T>,
    layout: &ClassLayout,
    ndim: usize,
) -> Result<Tensor<T>> {
    let mut along = vec![layout.c];
    along.resize(ndim - layout.class_axis, 1);
    Ok(weight.try_reshape(&along)?)
}

/// Checks label smoothing, a mass in `[0, 1]`.
pub(super) fn check_label_smoothing(loss: &'static str, eps: f64) -> Result<()> {
    if (0.0..=1.0).contains(&eps) {
        Ok(())
    } else {
        Err(NnError::InvalidConfig {
            layer: loss.into(),
            why: format!("label smoothing must lie in [0, 1], got {eps}"),
        })
    }
}

/// Cross-entropy or NLL of log-probabilities `log_p` against checked class
/// indices, as PyTorch's `nll_loss` (label smoothing 0) and the smoothed
/// branch of `cross_entropy`:
///
/// ```text
/// l_p = (1 - eps) w_t (-log p[t]) + eps / C * sum_c w_c (-log p[c])
/// ```
///
/// at each position `p` whose target `t` is not ignored, 0 at an ignored
/// one; reduced per position (`None`: `[N, d1, ...]`, or `[]` unbatched),
/// summed, or summed and divided by the sum of the targets' class weights
/// `sum_p w_t` (`Mean`: their count without `weight`).
///
/// The target term is a `gather`, so the other classes are never
/// multiplied (a logit of `-inf` on a class that is not the target, a
/// masked class, gives a finite loss as in PyTorch); ignored positions are
/// removed with a `select`, so their values never reach the result.
///
/// The mean divides each position's coefficient, so its gradient is
/// PyTorch's also where the weight sum is 0: `w_t / 0` (NaN for `0/0`) at
/// the targets that count, 0 elsewhere. A batch whose every target is
/// ignored (or an empty batch) has a mean of `0/0`: NaN, as in PyTorch,
/// and a zero gradient, also as in PyTorch.
#[allow(clippy::too_many_arguments)]
pub(super) fn class_index_loss<'t, T: Float>(
    log_p: Var<'t, T>,
    layout: &ClassLayout,
    targets: &[usize],
    weight: Option<&Tensor<T>>,
    ignore_index: Option<usize>,
    eps: f64,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    let tape = log_p.tape();
    let shape = log_p.shape();
    let per_position = target_shape(&shape);
    let class_w: Vec<f64> = match weight {
        Some(w) => w.values().iter().map(|&v| Float::to_f64(v)).collect(),
        None => vec![1.0; layout.c],
    };
    let counts = |t: usize| Some(t) != ignore_index;
    let active = targets.iter().filter(|&&t| counts(t)).count();
    let weight_sum: f64 = targets
        .iter()
        .filter(|&&t| counts(t))
        .map(|&t| class_w[t])
        .sum();
    let denom = if reduction == Reduction::Mean {
        weight_sum
    } else {
        1.0
    };
    let coefficients = |of: &dyn Fn(usize) -> f64| -> Tensor<T> {
        let c: Vec<T> = targets
            .iter()
            .map(|&t| T::from_f64(if counts(t) { of(t) / denom } else { 0.0 }))
            .collect();
        Tensor::from_vec(c, &per_position)
    };

    // An ignored target may lie outside 0..C: gather class 0 there instead
    // (its value is removed below).
    let index: Vec<usize> = targets
        .iter()
        .map(|&t| if counts(t) { t } else { 0 })
        .collect();
    let picked = log_p
        .try_gather(layout.class_axis, &index)?
        .try_reshape(&per_position)?;
    let mut losses = picked * tape.constant(coefficients(&|t| -(1.0 - eps) * class_w[t]));
    if eps > 0.0 {
        let weighted = match weight {
            None => log_p,
            Some(w) => log_p * tape.constant(class_weight_along_axis(w, layout, shape.len())?),
        };
        let spread = eps / layout.c as f64;
        let smooth = weighted.try_sum_axes(&[layout.class_axis], false)?;
        losses = losses + smooth * tape.constant(coefficients(&|_| -spread));
    }
    if active < targets.len() {
        let keep: Vec<T> = targets
            .iter()
            .map(|&t| if counts(t) { T::one() } else { T::zero() })
            .collect();
        let keep = Tensor::from_vec(keep, &per_position);
        let zeros = tape.constant(Tensor::zeros(&per_position));
        losses = Var::try_select(&keep, losses, zeros)?;
    }
    Ok(match reduction {
        Reduction::None => losses,
        Reduction::Sum => losses.sum(),
        // Every coefficient is 0 here: a zero gradient, and 0/0 for the value.
        Reduction::Mean if active == 0 => losses.sum().add_scalar(T::nan()),
        Reduction::Mean => losses.sum(),
    })
}
