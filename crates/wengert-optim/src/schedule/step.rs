//! Piecewise-constant and exponential decay.

use super::{require, LrSchedule};

/// Multiplies the rate by `gamma` every `step_size` steps:
/// `lr(t) = base * gamma^(t / step_size)` (integer division).
/// PyTorch: `StepLR(optimizer, step_size, gamma)`.
///
/// ```
/// use wengert_optim::{LrSchedule, StepLr};
/// let s = StepLr::new(10, 0.5);
/// assert_eq!((s.lr(0.1, 9), s.lr(0.1, 10), s.lr(0.1, 20)), (0.1, 0.05, 0.025));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StepLr {
    step_size: usize,
    gamma: f64,
}

impl StepLr {
    /// # Panics
    /// If `step_size` is 0.
    #[track_caller]
    pub fn new(step_size: usize, gamma: f64) -> Self {
        require(step_size > 0, "StepLr", || "step_size must be > 0".into());
        StepLr { step_size, gamma }
    }
}

impl LrSchedule for StepLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        base_lr * self.gamma.powi((step / self.step_size) as i32)
    }
}

/// Multiplies the rate by `gamma` at each milestone:
/// `lr(t) = base * gamma^(number of milestones <= t)`.
/// PyTorch: `MultiStepLR(optimizer, milestones, gamma)`.
///
/// ```
/// use wengert_optim::{LrSchedule, MultiStepLr};
/// let s = MultiStepLr::new(vec![5, 12], 0.5);
/// assert_eq!((s.lr(0.1, 4), s.lr(0.1, 5), s.lr(0.1, 12)), (0.1, 0.05, 0.025));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MultiStepLr {
    milestones: Vec<usize>,
    gamma: f64,
}

impl MultiStepLr {
    /// # Panics
    /// If the milestones are not increasing.
    #[track_caller]
    pub fn new(milestones: Vec<usize>, gamma: f64) -> Self {
        require(
            milestones.windows(2).all(|w| w[0] < w[1]),
            "MultiStepLr",
            || format!("milestones must be increasing, got {milestones:?}"),
        );
        MultiStepLr { milestones, gamma }
    }
}

impl LrSchedule for MultiStepLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let passed = self.milestones.iter().filter(|&&m| m <= step).count();
        base_lr * self.gamma.powi(passed as i32)
    }
}

/// Multiplies the rate by `gamma` every step: `lr(t) = base * gamma^t`.
/// PyTorch: `ExponentialLR(optimizer, gamma)`.
///
/// ```
/// use wengert_optim::{ExponentialLr, LrSchedule};
/// let s = ExponentialLr::new(0.9);
/// assert!((s.lr(0.1, 2) - 0.081).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialLr {
    gamma: f64,
}

impl ExponentialLr {
    /// Decay by `gamma` per step.
    pub fn new(gamma: f64) -> Self {
        ExponentialLr { gamma }
    }
}

impl LrSchedule for ExponentialLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        base_lr * self.gamma.powf(step as f64)
    }
}
