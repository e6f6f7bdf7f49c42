//! Linear change of the rate, most often a warmup.

use super::{require, LrSchedule};

/// `base * (start + (end - start) * min(t, total) / total)`: from
/// `start * base` to `end * base` over `total` steps, then constant. With
/// `start < end = 1` it is a linear warmup, which keeps the first steps of
/// Adam or large-batch SGD from overshooting while its averages are young.
/// PyTorch: `LinearLR(optimizer, start_factor, end_factor, total_iters)`.
///
/// ```
/// use wengert_optim::{LinearLr, LrSchedule};
/// let warmup = LinearLr::new(0.1, 1.0, 5);
/// assert!((warmup.lr(0.1, 0) - 0.01).abs() < 1e-15);
/// assert_eq!(warmup.lr(0.1, 5), 0.1);
/// assert_eq!(warmup.lr(0.1, 100), 0.1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LinearLr {
    start_factor: f64,
    end_factor: f64,
    total_steps: usize,
}

impl LinearLr {
    /// # Panics
    /// If `total_steps` is 0.
    #[track_caller]
    pub fn new(start_factor: f64, end_factor: f64, total_steps: usize) -> Self {
        require(total_steps > 0, "LinearLr", || {
            "total_iters must be > 0".into()
        });
        LinearLr {
            start_factor,
            end_factor,
            total_steps,
        }
    }
}

impl LrSchedule for LinearLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let done = step.min(self.total_steps) as f64 / self.total_steps as f64;
        base_lr * (self.start_factor + (self.end_factor - self.start_factor) * done)
    }
}
