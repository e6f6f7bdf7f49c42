//! Regression losses: squared error, absolute error, Huber.
//!
//! All three refuse an input and a target of different shapes, where
//! PyTorch broadcasts them and only warns: an `[N, 1]` output against `[N]`
//! targets would compare every output with every target (`[N, N]`) and
//! train towards the batch mean without an error. Reshape one of them.

use wengert_tensor::{Float, Var};

use super::Reduction;
use crate::error::{or_panic, NnError, Result};

/// Refuses an input and a target of different shapes, where PyTorch
/// broadcasts them with only a warning: the usual mismatch is an `[N, 1]`
/// output against `[N]` targets, which broadcasts to `[N, N]` and
/// silently averages every output against every target. The loss then
/// trains towards the batch mean, with no error anywhere.
fn check_same_shape<T: Float>(
    loss: &'static str,
    input: Var<'_, T>,
    target: Var<'_, T>,
) -> Result<()> {
    if input.shape() != target.shape() {
        return Err(NnError::InvalidTarget {
            loss,
            why: format!(
                "input {:?} and target {:?} must have the same shape; wengert refuses to \
                 broadcast them on purpose (PyTorch broadcasts with only a warning, and an \
                 [N, 1] output against [N] targets then silently compares every output with \
                 every target as [N, N]): reshape one of them",
                input.shape(),
                target.shape()
            ),
        });
    }
    Ok(())
}

/// Mean squared error: `l = (x - t)^2`, reduced. Gradient `2 (x - t)`
/// (divided by the element count for the mean).
///
/// # Shapes
/// `input` and `target` of one shape; a scalar, or that shape for
/// [`Reduction::None`]. PyTorch: `nn.MSELoss(reduction)`.
///
/// # PyTorch options
/// - `reduction`: [`Reduction`].
/// - Broadcasting input against target is refused on purpose, where
///   PyTorch only warns ("Using a target size that is different to the
///   input size"): an `[N, 1]` output against `[N]` targets broadcasts to
///   `[N, N]` and the loss silently trains every output towards the batch
///   mean. The error says so; reshape one of them. The same holds for
///   [`try_l1_loss`] and [`try_huber_loss`].
/// - `size_average` and `reduce` (deprecated in PyTorch) do not exist.
///
/// ```
/// use wengert_nn::loss::{mse_loss, Reduction};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// let t = tape.constant(Tensor::from_vec(vec![0.0, 0.0], &[2]));
/// assert_eq!(mse_loss(x, t, Reduction::Mean).item(), 2.5); // (1 + 4) / 2
/// ```
pub fn try_mse_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    check_same_shape("mse_loss", input, target)?;
    Ok(reduction.apply((input - target).square()))
}

/// Panicking form of [`try_mse_loss`].
#[track_caller]
pub fn mse_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    or_panic(try_mse_loss(input, target, reduction))
}

/// Mean absolute error: `l = |x - t|`, reduced. Gradient `sign(x - t)`
/// with sign(0) = 0 at a tie, as PyTorch.
///
/// # Shapes
/// As [`try_mse_loss`]. PyTorch: `nn.L1Loss(reduction)`.
///
/// # PyTorch options
/// `reduction`; broadcasting refused on purpose, as in [`try_mse_loss`].
pub fn try_l1_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    check_same_shape("l1_loss", input, target)?;
    Ok(reduction.apply((input - target).abs()))
}

/// Panicking form of [`try_l1_loss`].
#[track_caller]
pub fn l1_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    or_panic(try_l1_loss(input, target, reduction))
}

/// Huber loss with threshold `delta` on `d = x - t`:
/// `0.5 d^2` where `|d| < delta`, `delta (|d| - delta/2)` beyond. Gradient
/// `clamp(d, -delta, delta)`.
///
/// Composed as `0.5 q^2 + delta (|d| - q)` with `q = min(|d|, delta)`
/// (a clamp, whose gradient is 0 at its bound, as PyTorch's): both branches
/// agree at `|d| = delta`, and so do their gradients (`delta sign(d)`), so
/// the kink convention of the clamp does not matter there.
///
/// Not SmoothL1Loss, which divides by its beta; the two agree at delta 1.
///
/// # Shapes
/// As [`try_mse_loss`]. PyTorch: `nn.HuberLoss(reduction, delta)`.
///
/// # PyTorch options
/// `reduction` and `delta` (positive); broadcasting refused on purpose,
/// as in [`try_mse_loss`].
///
/// ```
/// use wengert_nn::loss::{huber_loss, Reduction};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![0.5, 3.0], &[2]));
/// let t = tape.constant(Tensor::zeros(&[2]));
/// // 0.5 * 0.25 and 1 * (3 - 0.5)
/// assert_eq!(huber_loss(x, t, 1.0, Reduction::Sum).item(), 0.125 + 2.5);
/// ```
pub fn try_huber_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    delta: f64,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    check_same_shape("huber_loss", input, target)?;
    if delta <= 0.0 || delta.is_nan() {
        return Err(NnError::InvalidConfig {
            layer: "huber_loss".into(),
            why: format!("delta must be positive, got {delta}"),
        });
    }
    let delta = T::from_f64(delta);
    let a = (input - target).abs();
    let q = a.clamp(T::zero(), delta);
    let losses = (q * q).mul_scalar(T::from_f64(0.5)) + (a - q).mul_scalar(delta);
    Ok(reduction.apply(losses))
}

/// Panicking form of [`try_huber_loss`].
#[track_caller]
pub fn huber_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    delta: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    or_panic(try_huber_loss(input, target, delta, reduction))
}
