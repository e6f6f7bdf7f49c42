//! Learning-rate schedules: learning-rate decay in the text's words.
//!
//! A schedule is a function of the step number: [`LrSchedule::lr`] gives the
//! rate used by optimizer step `t` (counting from 0), in closed form, so a
//! resumed run needs nothing but its step count. Each matches the PyTorch
//! scheduler of the same name (where `scheduler.step()` follows each
//! `optimizer.step()`); PyTorch updates most of them recursively, which
//! differs from the closed form only in the last bits.
//!
//! | schedule | rate at step `t` | PyTorch |
//! | --- | --- | --- |
//! | [`StepLr`] | `base * gamma^(t / step_size)` | `StepLR` |
//! | [`MultiStepLr`] | `base * gamma^(milestones <= t)` | `MultiStepLR` |
//! | [`ExponentialLr`] | `base * gamma^t` | `ExponentialLR` |
//! | [`CosineAnnealingLr`] | `eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2` | `CosineAnnealingLR` |
//! | [`CosineAnnealingWarmRestarts`] | the same within cycles of length `T_0, T_0 T_mult, ...` | `CosineAnnealingWarmRestarts` |
//! | [`LinearLr`] | `base * (start + (end - start) min(t, n) / n)` (linear warmup) | `LinearLR` |
//! | [`OneCycleLr`] | cosine up to `max_lr`, then down; momentum the other way | `OneCycleLR` |
//! | [`SequentialLr`] | one schedule, then the next from its own step 0 | `SequentialLR` |
//!
//! [`ReduceLrOnPlateau`] is different: it is driven by a validation metric,
//! not by the step number, so it is a small state machine instead.
//!
//! ```
//! use wengert_optim::{apply_schedule, CosineAnnealingLr, LinearLr, LrSchedule, SequentialLr, SgdConfig};
//!
//! // Five steps of linear warmup from 0.1 * base, then cosine decay to 0 over 25 steps.
//! let base = 0.1;
//! let warmup_then_cosine = SequentialLr::new(
//!     vec![
//!         Box::new(LinearLr::new(base, 0.1, 1.0, 5)),
//!         Box::new(CosineAnnealingLr::new(base, 25, 0.0)),
//!     ],
//!     vec![5],
//! );
//! assert!((warmup_then_cosine.lr(0) - 0.01).abs() < 1e-15);
//! assert_eq!(warmup_then_cosine.lr(5), 0.1);
//! let mut sgd = SgdConfig::new(base).build::<f32>();
//! apply_schedule(&warmup_then_cosine, 3, &mut sgd);
//! ```

mod cosine;
mod linear;
mod one_cycle;
mod plateau;
mod sequential;
mod step;

pub use cosine::{CosineAnnealingLr, CosineAnnealingWarmRestarts};
pub use linear::LinearLr;
pub use one_cycle::{Anneal, OneCycleLr};
pub use plateau::{PlateauMode, ReduceLrOnPlateau, ThresholdMode};
pub use sequential::SequentialLr;
pub use step::{ExponentialLr, MultiStepLr, StepLr};

use wengert_tensor::Float;

use crate::optimizer::Optimizer;

/// A learning rate (and optionally a momentum) for every step.
pub trait LrSchedule {
    /// The learning rate used by optimizer step `step` (counting from 0).
    fn lr(&self, step: usize) -> f64;

    /// The momentum for step `step`, for schedules that cycle it
    /// ([`OneCycleLr`]); `None` leaves the optimizer's momentum alone.
    fn momentum(&self, step: usize) -> Option<f64> {
        let _ = step;
        None
    }
}

/// Sets the optimizer's learning rate (and momentum, if the schedule has
/// one and the optimizer takes it) for step `step`. Call it before the
/// optimizer step it is meant for.
pub fn apply_schedule<T: Float>(
    schedule: &dyn LrSchedule,
    step: usize,
    optimizer: &mut dyn Optimizer<T>,
) {
    optimizer.set_lr(schedule.lr(step));
    if let Some(m) = schedule.momentum(step) {
        // Optimizers without momentum (AdaGrad, AdaDelta) ignore it, as
        // PyTorch's OneCycleLR refuses to cycle what is not there.
        let _ = optimizer.set_momentum(m);
    }
}

/// Panics with a message naming the schedule unless `ok`.
#[track_caller]
fn require(ok: bool, schedule: &str, why: impl FnOnce() -> String) {
    assert!(ok, "{schedule}: {}", why());
}
