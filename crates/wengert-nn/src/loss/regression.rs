//! Regression losses: squared error, absolute error, Huber.

use wengert_tensor::{Float, Var};

use super::Reduction;
use crate::error::{or_panic, NnError, Result};

fn check_same_shape<T: Float>(
    loss: &'static str,
    input: Var<'_, T>,
    target: Var<'_, T>,
) -> Result<()> {
    // No broadcasting: PyTorch only warns, and a [N, 1] vs [N] mix-up then
    // silently computes an N x N loss.
    if input.shape() != target.shape() {
        return Err(NnError::InvalidTarget {
            loss,
            why: format!(
                "input {:?} and target {:?} must have the same shape",
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
