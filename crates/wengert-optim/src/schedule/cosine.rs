//! Cosine annealing (Loshchilov & Hutter, "SGDR: Stochastic Gradient
//! Descent with Warm Restarts", ICLR 2017).

use std::f64::consts::PI;

use super::{require, LrSchedule};

/// `eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2`: from the base
/// rate at step 0 down to `eta_min` at step `T_max`.
/// PyTorch: `CosineAnnealingLR(optimizer, T_max, eta_min)`.
///
/// ```
/// use wengert_optim::{CosineAnnealingLr, LrSchedule, Optimizer, SgdConfig};
/// use wengert_tensor::{Grads, Param, Tensor};
///
/// let s = CosineAnnealingLr::new(30, 0.001);
/// assert_eq!(s.lr(0.1, 0), 0.1); // closed form, for base rate 0.1
/// assert!((s.lr(0.1, 15) - 0.0505).abs() < 1e-15);
///
/// // Driving an optimizer: the base rate is the one it was built with.
/// let mut w = Param::new("w", Tensor::from_vec(vec![1.0f64], &[1]));
/// let mut grads = Grads::new();
/// grads.insert(w.id(), Tensor::ones(&[1]));
/// let mut opt = SgdConfig::new(0.1).build();
/// let mut sched = CosineAnnealingLr::new(30, 0.001).start(&mut opt);
/// for _ in 0..15 {
///     opt.step(&mut w, &grads);
///     sched.step(&mut opt);
/// }
/// assert_eq!(opt.lr(), s.lr(0.1, 15));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CosineAnnealingLr {
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealingLr {
    /// # Panics
    /// If `t_max` is 0.
    #[track_caller]
    pub fn new(t_max: usize, eta_min: f64) -> Self {
        require(t_max > 0, "CosineAnnealingLr", || {
            "T_max must be > 0".into()
        });
        CosineAnnealingLr { t_max, eta_min }
    }
}

/// The cosine from `hi` at `t = 0` to `lo` at `t = period`.
fn cosine(hi: f64, lo: f64, t: usize, period: usize) -> f64 {
    lo + (hi - lo) * (1.0 + (PI * t as f64 / period as f64).cos()) / 2.0
}

impl LrSchedule for CosineAnnealingLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        cosine(base_lr, self.eta_min, step, self.t_max)
    }
}

/// Cosine annealing restarted at the base rate after cycles of length
/// `T_0`, `T_0 * T_mult`, `T_0 * T_mult^2`, ...
/// PyTorch: `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult, eta_min)`.
///
/// ```
/// use wengert_optim::{CosineAnnealingWarmRestarts, LrSchedule};
/// let s = CosineAnnealingWarmRestarts::new(10, 2, 0.001);
/// assert_eq!(s.lr(0.1, 10), 0.1); // the first restart
/// assert_eq!(s.lr(0.1, 30), 0.1); // the second, after a cycle of 20
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CosineAnnealingWarmRestarts {
    t_0: usize,
    t_mult: usize,
    eta_min: f64,
}

impl CosineAnnealingWarmRestarts {
    /// # Panics
    /// If `t_0` or `t_mult` is 0.
    #[track_caller]
    pub fn new(t_0: usize, t_mult: usize, eta_min: f64) -> Self {
        require(t_0 > 0 && t_mult > 0, "CosineAnnealingWarmRestarts", || {
            format!("T_0 and T_mult must be > 0, got {t_0} and {t_mult}")
        });
        CosineAnnealingWarmRestarts {
            t_0,
            t_mult,
            eta_min,
        }
    }
}

impl LrSchedule for CosineAnnealingWarmRestarts {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        // Walk the cycles (integers only, so a restart lands exactly).
        let (mut start, mut len) = (0, self.t_0);
        while step >= start + len {
            start += len;
            len *= self.t_mult;
        }
        cosine(base_lr, self.eta_min, step - start, len)
    }
}
