//! A constant factor for the first steps (a crude warmup).

use super::{require, LrSchedule};

/// `base * factor` for the first `total_steps` steps, then `base`.
/// PyTorch: `ConstantLR(optimizer, factor=1/3, total_iters=5)`.
///
/// PyTorch updates the rate recursively (times `factor` at step 0, times
/// `1 / factor` at `total_iters`); this is the closed form, which agrees to
/// the last bits, and also where PyTorch's form breaks: with `factor = 0`
/// PyTorch divides by zero at `total_iters`, here the rate returns to the
/// base rate.
///
/// # PyTorch options
///
/// Both, `factor` and `total_iters`, with PyTorch's range for `factor`,
/// `[0, 1]`. `total_iters = 0` is refused: PyTorch's recursive form then
/// keeps `base * factor` for ever while its closed form gives `base`.
///
/// ```
/// use wengert_optim::{ConstantLr, LrSchedule};
/// let s = ConstantLr::new(0.5, 3);
/// assert_eq!((s.lr(0.1, 0), s.lr(0.1, 2), s.lr(0.1, 3)), (0.05, 0.05, 0.1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConstantLr {
    factor: f64,
    total_steps: usize,
}

impl ConstantLr {
    /// `factor` times the base rate for `total_steps` steps.
    ///
    /// # Panics
    /// Unless `0 <= factor <= 1` and `total_steps > 0`.
    #[track_caller]
    pub fn new(factor: f64, total_steps: usize) -> Self {
        require((0.0..=1.0).contains(&factor), "ConstantLr", || {
            format!("factor must be in [0, 1], got {factor}")
        });
        require(total_steps > 0, "ConstantLr", || {
            "total_iters must be > 0 (PyTorch takes 0, where its recursive and closed forms disagree)"
                .into()
        });
        ConstantLr {
            factor,
            total_steps,
        }
    }
}

impl LrSchedule for ConstantLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        if step < self.total_steps {
            base_lr * self.factor
        } else {
            base_lr
        }
    }
}
