//! Learning-rate schedules: learning-rate decay in the text's words.
//!
//! A schedule is a function of the optimizer's base rate (the `lr` its
//! config was built with, [`Optimizer::base_lr`]) and a step number:
//! [`LrSchedule::lr`] gives the rate used by step `t` (counting from 0), in
//! closed form, for plots and tests. Each matches the PyTorch scheduler of
//! the same name; PyTorch updates most of them recursively, which differs
//! from the closed form only in the last bits.
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
//! # Driving an optimizer
//!
//! [`LrSchedule::start`] sets the rate of step 0 on the optimizer and gives
//! an [`LrScheduler`]; call its [`LrScheduler::step`] after each optimizer
//! step (or after each epoch, for a schedule in epochs), as PyTorch's
//! `scheduler.step()` follows `optimizer.step()`:
//!
//! ```
//! use wengert_optim::{CosineAnnealingLr, LinearLr, LrSchedule, Optimizer, SequentialLr, SgdConfig};
//! use wengert_tensor::{Grads, Param, Tensor};
//!
//! let mut w = Param::new("w", Tensor::from_vec(vec![1.0f64], &[1]));
//! let mut grads = Grads::new();
//! grads.insert(w.id(), Tensor::ones(&[1]));
//! let mut opt = SgdConfig::new(0.1).build();
//! // Five steps of linear warmup from 0.1 * base, then cosine decay to 0
//! // over 25 steps; the base rate comes from the optimizer.
//! let mut sched = SequentialLr::new(
//!     vec![
//!         Box::new(LinearLr::new(0.1, 1.0, 5)),
//!         Box::new(CosineAnnealingLr::new(25, 0.0)),
//!     ],
//!     vec![5],
//! )
//! .start(&mut opt);
//! assert!((opt.lr() - 0.01).abs() < 1e-15); // step 0 warms up too
//! for _ in 0..5 {
//!     opt.step(&mut w, &grads);
//!     sched.step(&mut opt);
//! }
//! assert_eq!(opt.lr(), 0.1); // the cosine's step 0: the base rate
//! assert_eq!(sched.schedule().lr(opt.base_lr(), 5), opt.lr()); // closed form
//! ```
//!
//! **Who counts.** The scheduler counts its own [`LrScheduler::step`]
//! calls (PyTorch's `last_epoch`), not the optimizer's steps: the same
//! schedule then works per step or per epoch, whichever the loop calls it
//! at. Sub-schedules of a [`SequentialLr`] and the momentum of a
//! [`OneCycleLr`] are closed-form functions of that one count, so there is
//! no second counter to drift. [`ReduceLrOnPlateau`] is different: it is
//! driven by a validation metric, not by a step number, so it is a small
//! state machine on the optimizer's current rate instead.
//!
//! **Nothing goes wrong silently.** The rate of step 0 is set by
//! [`LrSchedule::start`], before the first optimizer step, so a warmup's
//! first step is warmed up too. Each [`LrScheduler::step`] checks that the
//! optimizer has stepped since the last one ([`Optimizer::step_count`]), so
//! calling it before `opt.step` (which would run the whole schedule one
//! step early) is an error, [`OptimError::ScheduleBeforeStep`].
//!
//! **Checkpoints.** A schedule's state is its step count,
//! [`LrScheduler::steps`]; the optimizer's state
//! ([`Optimizer::state`]) holds its rates and step count. Restore both and
//! call [`LrSchedule::resume`]: the run continues bitwise (the rate and
//! momentum of the next step are the closed form at that count).

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

use crate::error::{OptimError, Result};
use crate::optimizer::Optimizer;

/// A learning rate (and optionally a momentum) for every step, worked out
/// from the optimizer's base rate.
pub trait LrSchedule {
    /// The learning rate of step `step` (counting from 0) for an optimizer
    /// built with learning rate `base_lr`.
    fn lr(&self, base_lr: f64, step: usize) -> f64;

    /// The momentum for step `step`, for schedules that cycle it
    /// ([`OneCycleLr`]); `None` leaves the optimizer's momentum alone.
    fn momentum(&self, step: usize) -> Option<f64> {
        let _ = step;
        None
    }

    /// Starts the schedule on `optimizer`: sets the rate (and momentum) of
    /// its next step to the schedule's step 0. Call it before the first
    /// optimizer step the schedule is meant for.
    fn start<T: Float>(self, optimizer: &mut dyn Optimizer<T>) -> LrScheduler<Self>
    where
        Self: Sized,
    {
        self.resume(optimizer, 0)
    }

    /// Resumes the schedule after `steps` calls of [`LrScheduler::step`]
    /// (saved from [`LrScheduler::steps`]), on an optimizer whose state was
    /// restored: sets the rate (and momentum) of its next step to the
    /// schedule's step `steps`, exactly as the interrupted run had them.
    fn resume<T: Float>(self, optimizer: &mut dyn Optimizer<T>, steps: usize) -> LrScheduler<Self>
    where
        Self: Sized,
    {
        let scheduler = LrScheduler {
            schedule: self,
            steps,
            optimizer_steps: optimizer.step_count(),
        };
        scheduler.apply(optimizer);
        scheduler
    }
}

impl<S: LrSchedule + ?Sized> LrSchedule for Box<S> {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        (**self).lr(base_lr, step)
    }

    fn momentum(&self, step: usize) -> Option<f64> {
        (**self).momentum(step)
    }
}

/// A schedule driving an optimizer: it counts its own steps and sets the
/// optimizer's rate (and momentum) for the next one. Made by
/// [`LrSchedule::start`] (or [`LrSchedule::resume`]); PyTorch: a
/// `torch.optim.lr_scheduler` object. See the [module docs](self) for a
/// loop.
#[derive(Clone, Debug, PartialEq)]
pub struct LrScheduler<S> {
    schedule: S,
    /// Calls of `step` so far: the schedule's step the optimizer is at.
    steps: usize,
    /// The optimizer's step count at the last call (or at the start).
    optimizer_steps: u64,
}

impl<S: LrSchedule> LrScheduler<S> {
    /// Moves the schedule one step on and sets the optimizer's rate (and
    /// momentum, if the schedule has one and the optimizer takes it) for
    /// its next step; returns that rate. Call it after the optimizer step
    /// (or the epoch) it follows.
    ///
    /// An error, changing nothing, unless the optimizer has stepped since
    /// the start or the previous call: then the schedule would run ahead of
    /// the optimizer.
    pub fn try_step<T: Float>(&mut self, optimizer: &mut dyn Optimizer<T>) -> Result<f64> {
        let optimizer_steps = optimizer.step_count();
        if optimizer_steps == self.optimizer_steps {
            return Err(OptimError::ScheduleBeforeStep {
                optimizer: optimizer.name(),
                schedule_steps: self.steps,
                optimizer_steps,
            });
        }
        self.steps += 1;
        self.optimizer_steps = optimizer_steps;
        Ok(self.apply(optimizer))
    }

    /// Panicking form of [`LrScheduler::try_step`].
    #[track_caller]
    pub fn step<T: Float>(&mut self, optimizer: &mut dyn Optimizer<T>) -> f64 {
        self.try_step(optimizer).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Calls of [`LrScheduler::step`] so far (PyTorch's `last_epoch`): the
    /// schedule's state, to save with a checkpoint and pass to
    /// [`LrSchedule::resume`].
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The schedule, for its closed form ([`LrSchedule::lr`]).
    pub fn schedule(&self) -> &S {
        &self.schedule
    }

    /// Sets the rate and momentum of the schedule's current step.
    fn apply<T: Float>(&self, optimizer: &mut dyn Optimizer<T>) -> f64 {
        let lr = self.schedule.lr(optimizer.base_lr(), self.steps);
        optimizer.set_lr(lr);
        if let Some(m) = self.schedule.momentum(self.steps) {
            // Optimizers without momentum (AdaGrad, AdaDelta) ignore it, as
            // PyTorch's OneCycleLR refuses to cycle what is not there.
            let _ = optimizer.set_momentum(m);
        }
        lr
    }
}

/// Panics with a message naming the schedule unless `ok`.
#[track_caller]
fn require(ok: bool, schedule: &str, why: impl FnOnce() -> String) {
    assert!(ok, "{schedule}: {}", why());
}
