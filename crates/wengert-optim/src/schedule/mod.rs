//! Learning-rate schedules: learning-rate decay in the text's words.
//!
//! A schedule is a function of a base rate and a step number:
//! [`LrSchedule::lr`] gives the rate used by step `t` (counting from 0), in
//! closed form, for plots and tests. Each matches the PyTorch scheduler of
//! the same name; PyTorch updates most of them recursively, which differs
//! from the closed form only in the last bits.
//!
//! **Every group from its own base rate.** A schedule driving an optimizer
//! works out each rate group's rate from that group's base rate
//! ([`Optimizer::group_base_lr`]: the optimizer's `lr` for the default
//! group, a [`crate::ParamGroup`]'s own), as PyTorch's schedulers work on
//! each `param_group` from its `initial_lr`. For multiplicative schedules
//! that is the same as scaling one rate; for additive ones it is not:
//! cosine annealing moves each group from its own base rate to the same
//! `eta_min`, and [`ReduceLrOnPlateau`] floors each group at its `min_lr`.
//!
//! | schedule | rate at step `t` | PyTorch |
//! | --- | --- | --- |
//! | [`StepLr`] | `base * gamma^(t / step_size)` | `StepLR` |
//! | [`MultiStepLr`] | `base * gamma^(milestones <= t)` | `MultiStepLR` |
//! | [`ExponentialLr`] | `base * gamma^t` | `ExponentialLR` |
//! | [`CosineAnnealingLr`] | `eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2` | `CosineAnnealingLR` |
//! | [`CosineAnnealingWarmRestarts`] | the same within cycles of length `T_0, T_0 T_mult, ...` | `CosineAnnealingWarmRestarts` |
//! | [`LinearLr`] | `base * (start + (end - start) min(t, n) / n)` (linear warmup) | `LinearLR` |
//! | [`ConstantLr`] | `base * factor` before step `n`, then `base` | `ConstantLR` |
//! | [`PolynomialLr`] | `base * (1 - min(t, n) / n)^power` | `PolynomialLR` |
//! | [`OneCycleLr`] | cosine up to `max_lr`, then down (every group alike); momentum the other way | `OneCycleLR` |
//! | [`SequentialLr`] | one schedule, then the next from its own step 0 | `SequentialLR` |
//!
//! **PyTorch options.** Each schedule takes its PyTorch scheduler's
//! arguments under the same names, except `last_epoch` (use
//! [`LrSchedule::resume`]) and the deprecated `verbose`; [`OneCycleLr`],
//! [`ConstantLr`], [`PolynomialLr`] and [`ReduceLrOnPlateau`] list what
//! they leave out or check more strictly.
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
//! state machine on each group's current rate instead.
//!
//! **Nothing goes wrong silently.** The rate of step 0 is set by
//! [`LrSchedule::start`], before the first optimizer step, so a warmup's
//! first step is warmed up too. Each [`LrScheduler::step`] checks that the
//! optimizer has stepped since the last one ([`Optimizer::step_count`]), so
//! calling it before `opt.step` (which would run the whole schedule one
//! step early) is an error, [`OptimError::ScheduleBeforeStep`]. A schedule
//! that cycles the momentum refuses, at its start, an optimizer that has
//! none (AdaGrad, AdaDelta), as PyTorch's OneCycleLR does.
//!
//! **Checkpoints.** A schedule's state is its step count,
//! [`LrScheduler::steps`]; the optimizer's state
//! ([`Optimizer::state`]) holds every group's rates and its step count.
//! Restore both and call [`LrSchedule::resume`]: the run continues bitwise
//! (the rates and momentum of the next step are the closed form at that
//! count).

mod constant;
mod cosine;
mod linear;
mod one_cycle;
mod plateau;
mod polynomial;
mod sequential;
mod step;

pub use constant::ConstantLr;
pub use cosine::{CosineAnnealingLr, CosineAnnealingWarmRestarts};
pub use linear::LinearLr;
pub use one_cycle::{Anneal, OneCycleLr};
pub use plateau::{PlateauMode, ReduceLrOnPlateau, ThresholdMode};
pub use polynomial::PolynomialLr;
pub use sequential::SequentialLr;
pub use step::{ExponentialLr, MultiStepLr, StepLr};

use wengert_tensor::Float;

use crate::error::{OptimError, Result};
use crate::optimizer::Optimizer;

/// A learning rate (and optionally a momentum) for every step, worked out
/// from a base rate: each rate group's, when it drives an optimizer.
pub trait LrSchedule {
    /// The learning rate of step `step` (counting from 0) for a group whose
    /// base rate is `base_lr`.
    fn lr(&self, base_lr: f64, step: usize) -> f64;

    /// The momentum for step `step`, for schedules that cycle it
    /// ([`OneCycleLr`]); `None` leaves the optimizer's momentum alone.
    fn momentum(&self, step: usize) -> Option<f64> {
        let _ = step;
        None
    }

    /// Whether [`LrSchedule::momentum`] gives a momentum at some step (a
    /// one-cycle schedule cycling it, or a sequence holding one): such a
    /// schedule needs an optimizer with momentum.
    fn cycles_momentum(&self) -> bool {
        false
    }

    /// Starts the schedule on `optimizer`: sets the rates (and momentum) of
    /// its next step to the schedule's step 0. Call it before the first
    /// optimizer step the schedule is meant for.
    ///
    /// An error, changing nothing, when the schedule cycles the momentum
    /// and the optimizer has none ([`Optimizer::momentum`] is `None`:
    /// AdaGrad, AdaDelta), as PyTorch's OneCycleLR raises "optimizer must
    /// support momentum or beta1 with `cycle_momentum` option enabled".
    fn try_start<T: Float>(self, optimizer: &mut dyn Optimizer<T>) -> Result<LrScheduler<Self>>
    where
        Self: Sized,
    {
        self.try_resume(optimizer, 0)
    }

    /// Panicking form of [`LrSchedule::try_start`].
    #[track_caller]
    fn start<T: Float>(self, optimizer: &mut dyn Optimizer<T>) -> LrScheduler<Self>
    where
        Self: Sized,
    {
        self.try_start(optimizer).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Resumes the schedule after `steps` calls of [`LrScheduler::step`]
    /// (saved from [`LrScheduler::steps`]), on an optimizer whose state was
    /// restored: sets the rates (and momentum) of its next step to the
    /// schedule's step `steps`, exactly as the interrupted run had them.
    /// Refuses what [`LrSchedule::try_start`] refuses.
    fn try_resume<T: Float>(
        self,
        optimizer: &mut dyn Optimizer<T>,
        steps: usize,
    ) -> Result<LrScheduler<Self>>
    where
        Self: Sized,
    {
        if self.cycles_momentum() && optimizer.momentum().is_none() {
            return Err(OptimError::InvalidHyperparameter {
                op: optimizer.name(),
                why: format!(
                    "the schedule cycles the momentum, but {} has no momentum (PyTorch's OneCycleLR refuses it too: \"optimizer must support momentum or beta1 with `cycle_momentum` option enabled\"); build the schedule with `cycle_momentum(false)`",
                    optimizer.name()
                ),
            });
        }
        let scheduler = LrScheduler {
            schedule: self,
            steps,
            optimizer_steps: optimizer.step_count(),
        };
        scheduler.apply(optimizer);
        Ok(scheduler)
    }

    /// Panicking form of [`LrSchedule::try_resume`].
    #[track_caller]
    fn resume<T: Float>(self, optimizer: &mut dyn Optimizer<T>, steps: usize) -> LrScheduler<Self>
    where
        Self: Sized,
    {
        self.try_resume(optimizer, steps)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl<S: LrSchedule + ?Sized> LrSchedule for Box<S> {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        (**self).lr(base_lr, step)
    }

    fn momentum(&self, step: usize) -> Option<f64> {
        (**self).momentum(step)
    }

    fn cycles_momentum(&self) -> bool {
        (**self).cycles_momentum()
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
    /// Moves the schedule one step on and sets the optimizer's rates (and
    /// momentum, if the schedule has one) for its next step; returns the
    /// default group's rate. Call it after the optimizer step (or the
    /// epoch) it follows.
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

    /// Sets every group's rate and the momentum of the schedule's current
    /// step; returns the default group's rate.
    fn apply<T: Float>(&self, optimizer: &mut dyn Optimizer<T>) -> f64 {
        for group in 0..optimizer.group_count() {
            let lr = self.schedule.lr(optimizer.group_base_lr(group), self.steps);
            optimizer.set_group_lr(group, lr);
        }
        if let Some(m) = self.schedule.momentum(self.steps) {
            // The start made sure the optimizer has a momentum to set.
            let _ = optimizer.set_momentum(m);
        }
        optimizer.lr()
    }
}

/// Panics with a message naming the schedule unless `ok`.
#[track_caller]
fn require(ok: bool, schedule: &str, why: impl FnOnce() -> String) {
    assert!(ok, "{schedule}: {}", why());
}
