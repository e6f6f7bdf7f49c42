//! Classification losses: softmax cross-entropy from logits, negative
//! log-likelihood, binary cross-entropy from logits. Log-probabilities come
//! from `Var::log_softmax` of wengert-tensor (stable: it subtracts the
//! maximum).

use wengert_tensor::{Float, Tensor, Var};

use super::Reduction;
use crate::error::{or_panic, NnError, Result};

/// Checks `[N, C]` scores against `N` class indices below `C`.
fn check_class_targets(
    loss: &'static str,
    shape: &[usize],
    targets: &[usize],
) -> Result<(usize, usize)> {
    if shape.len() != 2 {
        return Err(NnError::InvalidTarget {
            loss,
            why: format!("expected scores of shape [batch, classes], got {shape:?}"),
        });
    }
    let (n, c) = (shape[0], shape[1]);
    if targets.len() != n {
        return Err(NnError::InvalidTarget {
            loss,
            why: format!(
                "{} targets for a batch of {n} (scores {shape:?})",
                targets.len()
            ),
        });
    }
    if let Some((i, &t)) = targets.iter().enumerate().find(|(_, &t)| t >= c) {
        return Err(NnError::InvalidTarget {
            loss,
            why: format!("target {t} at position {i} is not a class index below {c}"),
        });
    }
    Ok((n, c))
}

/// Per-class weights of each sample: `on` at the target, `off` elsewhere.
fn target_weights<T: Float>(n: usize, c: usize, targets: &[usize], on: f64, off: f64) -> Tensor<T> {
    let mut w = vec![T::from_f64(off); n * c];
    for (i, &t) in targets.iter().enumerate() {
        w[i * c + t] = T::from_f64(on);
    }
    Tensor::from_vec(w, &[n, c])
}

/// Softmax cross-entropy from logits with integer class targets:
/// `l_i = -log softmax(z_i)[t_i] = logsumexp(z_i) - z_i[t_i]`, reduced over
/// the batch. Gradient `softmax(z_i) - onehot(t_i)` (divided by N for the
/// mean). Same as [`cross_entropy_smoothed`] with smoothing 0.
///
/// # Shapes
/// `logits [N, C]`, `targets` N indices below C; a scalar, or `[N]` for
/// [`Reduction::None`]. PyTorch: `F.cross_entropy(logits, targets, reduction)`.
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
    cross_entropy_impl("cross_entropy", logits, targets, 0.0, reduction)
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
    cross_entropy_impl("cross_entropy", logits, targets, label_smoothing, reduction)
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

fn cross_entropy_impl<'t, T: Float>(
    loss: &'static str,
    logits: Var<'t, T>,
    targets: &[usize],
    eps: f64,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    let (n, c) = check_class_targets(loss, &logits.shape(), targets)?;
    if !(0.0..=1.0).contains(&eps) {
        return Err(NnError::InvalidConfig {
            layer: loss.into(),
            why: format!("label smoothing must lie in [0, 1], got {eps}"),
        });
    }
    let log_p = logits.log_softmax(1);
    // l_i = -sum_c w_ic log p_ic with w = (1 - eps) onehot + eps / C.
    let off = eps / c as f64;
    let w = logits
        .tape()
        .constant(target_weights(n, c, targets, 1.0 - eps + off, off));
    Ok(reduction.apply(-(log_p * w).sum_axes(&[1], false)))
}

/// Negative log-likelihood of log-probabilities: `l_i = -x_i[t_i]`,
/// reduced over the batch. Gradient `-1` at each target (divided by N for
/// the mean), 0 elsewhere. Applied to `Var::log_softmax(1)` of logits it is
/// [`cross_entropy`].
///
/// # Shapes
/// `log_probs [N, C]`, `targets` N indices below C. PyTorch:
/// `nn.NLLLoss(reduction)`.
pub fn try_nll_loss<'t, T: Float>(
    log_probs: Var<'t, T>,
    targets: &[usize],
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    let (n, c) = check_class_targets("nll_loss", &log_probs.shape(), targets)?;
    let onehot = log_probs
        .tape()
        .constant(target_weights(n, c, targets, 1.0, 0.0));
    Ok(reduction.apply(-(log_probs * onehot).sum_axes(&[1], false)))
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

/// Binary cross-entropy from logits `x` with targets `t` in `[0, 1]`:
/// `l = -t ln sigmoid(x) - (1 - t) ln(1 - sigmoid(x))`, gradient
/// `sigmoid(x) - t`.
///
/// Computed in the stable form `max(x, 0) - x t + ln(1 + e^-|x|)`, which
/// never exponentiates a large positive number. `max(x, 0)` and `|x|` are
/// written as `x m` and `x (2m - 1)` with a constant mask `m = [x >= 0]`:
/// composing with relu and abs instead would take their subgradients at
/// x = 0 (both 0) and give `-t` there instead of `1/2 - t`.
///
/// # Shapes
/// `logits` and `targets` of one shape. PyTorch:
/// `nn.BCEWithLogitsLoss(reduction)` (no pos_weight).
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
    if logits.shape() != targets.shape() {
        return Err(NnError::InvalidTarget {
            loss: "bce_with_logits",
            why: format!(
                "logits {:?} and targets {:?} must have the same shape",
                logits.shape(),
                targets.shape()
            ),
        });
    }
    let tape = logits.tape();
    let m = logits
        .value()
        .map(|v| if v >= T::zero() { T::one() } else { T::zero() });
    let sign = m.map(|v| v + v - T::one());
    let (m, sign) = (tape.constant(m), tape.constant(sign));
    let abs = logits * sign;
    // ln(1 + e^-|x|) = softplus(-|x|); its argument is <= 0, below the
    // softplus threshold, so it is the exact log1p form.
    let losses = logits * m - logits * targets + (-abs).softplus();
    Ok(reduction.apply(losses))
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
