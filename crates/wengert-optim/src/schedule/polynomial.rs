//! Polynomial decay to zero.

use super::{require, LrSchedule};

/// `base * (1 - min(t, total) / total)^power`: from the base rate down to 0
/// at step `total_steps`, then 0; `power = 1` is a straight line, larger
/// powers drop faster at first.
/// PyTorch: `PolynomialLR(optimizer, total_iters=5, power=1.0)`.
///
/// # PyTorch options
///
/// Both, `total_iters` and `power`. Refused: `total_iters = 0` (PyTorch
/// divides by zero) and a negative or non-finite `power` (PyTorch's rate
/// becomes infinite at `total_iters`, where it divides by zero too).
///
/// ```
/// use wengert_optim::{LrSchedule, PolynomialLr};
/// let s = PolynomialLr::new(4, 2.0);
/// assert_eq!((s.lr(0.8, 0), s.lr(0.8, 2), s.lr(0.8, 4), s.lr(0.8, 9)), (0.8, 0.2, 0.0, 0.0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PolynomialLr {
    total_steps: usize,
    power: f64,
}

impl PolynomialLr {
    /// Decay over `total_steps` steps with exponent `power`.
    ///
    /// # Panics
    /// Unless `total_steps > 0` and `power` is finite and `>= 0`.
    #[track_caller]
    pub fn new(total_steps: usize, power: f64) -> Self {
        require(total_steps > 0, "PolynomialLr", || {
            "total_iters must be > 0".into()
        });
        require(power.is_finite() && power >= 0.0, "PolynomialLr", || {
            format!("power must be finite and >= 0, got {power} (PyTorch takes a negative power and divides by zero at total_iters)")
        });
        PolynomialLr { total_steps, power }
    }
}

impl LrSchedule for PolynomialLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let done = step.min(self.total_steps) as f64 / self.total_steps as f64;
        base_lr * (1.0 - done).powf(self.power)
    }
}
