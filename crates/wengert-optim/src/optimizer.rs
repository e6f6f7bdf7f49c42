//! The [`Optimizer`] trait: what every optimizer of the crate offers.
//!
//! # How parameters reach an optimizer
//!
//! An optimizer needs each parameter mutably, together with the [`Grads`]
//! of the last backward pass. Models own their parameters, so the optimizer
//! does not hold them; a step is handed whatever owns them, as anything
//! that implements [`Parameters`]: a wengert-nn module (usually through
//! `#[derive(Module)]`), a tuple or list of modules (names prefixed with
//! the position), or bare parameters:
//!
//! ```text
//! opt.step(&mut model, &grads);
//! opt.step(&mut (&mut encoder, &mut head), &grads);
//! opt.step(&mut [&mut w, &mut b], &grads);
//! ```
//!
//! The names it passes (a module's full paths, like `layers.0.weight`) are
//! what parameter groups match and what saved state is keyed by.
//!
//! # Nothing is left out silently
//!
//! [`Optimizer::step`] refuses gradients for parameters that the model
//! did not list, naming them: a module whose hand-written visitor forgets a
//! child would otherwise get gradients for that child, and the step would
//! never update it. To step part of a model on purpose (two optimizers on
//! two submodules from one backward), use [`Optimizer::step_part`].

use wengert_tensor::{Float, Grads, ParamId, Parameters};

use crate::error::{OptimError, Result};
use crate::state::OptimizerState;

/// An optimizer: updates parameters in place from their gradients.
///
/// Frozen parameters ([`wengert_tensor::Param::is_frozen`]) and parameters
/// without a gradient in the given [`Grads`] are skipped, as PyTorch skips
/// parameters whose `.grad` is `None`.
///
/// ```
/// use wengert_optim::{Optimizer, SgdConfig};
/// use wengert_tensor::{Param, Tape, Tensor};
///
/// // Minimise f(x) = 0.1 x1^2 + 2 x2^2 with SGD, lr 0.4.
/// let mut x = Param::new("x", Tensor::from_vec(vec![-5.0f64, -2.0], &[2]));
/// let mut opt = SgdConfig::new(0.4).build();
/// for _ in 0..20 {
///     let tape = Tape::new();
///     let v = tape.param(&x);
///     let c = tape.constant(Tensor::from_vec(vec![0.1, 2.0], &[2]));
///     let grads = (c * v * v).sum().backward();
///     opt.step(&mut x, &grads);
/// }
/// let x = x.value().to_vec();
/// assert!((x[0] - (-0.943467)).abs() < 1e-6 && x[1].abs() < 1e-4);
/// ```
pub trait Optimizer<T: Float> {
    /// The PyTorch name of the algorithm (`"SGD"`, `"Adam"`, `"AdamW"`, ...).
    fn name(&self) -> &'static str;

    /// One update of every parameter `part` lists that has a gradient in
    /// `grads`; gradients of parameters it does not list are ignored on
    /// purpose. A failed step (a gradient of the wrong shape, restored
    /// state that does not fit) changes no parameter.
    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()>;

    /// Panicking form of [`Optimizer::try_step_part`].
    #[track_caller]
    fn step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) {
        self.try_step_part(part, grads)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// One update of every parameter of `model`. Gradients for parameters
    /// that `model` does not list are an error naming them
    /// ([`OptimError::UnlistedGradients`]), and nothing changes.
    fn try_step(&mut self, model: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        check_all_listed(self.name(), &*model, grads)?;
        self.try_step_part(model, grads)
    }

    /// Panicking form of [`Optimizer::try_step`].
    #[track_caller]
    fn step(&mut self, model: &mut dyn Parameters<T>, grads: &Grads<T>) {
        self.try_step(model, grads)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The learning rate of the default group's next step (the parameters
    /// in no [`crate::ParamGroup`]); each group has its own,
    /// [`Optimizer::group_lr`].
    fn lr(&self) -> f64 {
        self.group_lr(0)
    }

    /// Sets the default group's learning rate, and moves every parameter
    /// group with it: a group's rate becomes `lr` times its `lr_scale`, or,
    /// for a group given its own base rate, times the ratio of that base
    /// rate to the default group's, so the groups keep the ratios of their
    /// base rates, as under a multiplicative schedule. (With a default base
    /// rate of 0 there is no ratio, and such groups keep their rates.) To
    /// set each group's rate, as PyTorch's `param_group["lr"] = ...`, use
    /// [`Optimizer::set_group_lr`]; schedules do.
    fn set_lr(&mut self, lr: f64);

    /// The learning rate the optimizer was built with, the default group's
    /// base rate (PyTorch's `initial_lr`). Saved with [`Optimizer::state`].
    fn base_lr(&self) -> f64 {
        self.group_base_lr(0)
    }

    /// The number of rate groups: 1 (the default group, the parameters in
    /// no [`crate::ParamGroup`]) plus one per group, in the order they were
    /// added. PyTorch: `len(optimizer.param_groups)`, with the default
    /// group in front.
    fn group_count(&self) -> usize;

    /// The learning rate of the next step of rate group `group` (0 is the
    /// default group, `i + 1` the `i`-th [`crate::ParamGroup`]). PyTorch:
    /// `param_groups[i]["lr"]`.
    ///
    /// # Panics
    /// If there is no such group.
    fn group_lr(&self, group: usize) -> f64;

    /// The base rate of `group`, which schedules work out its rate from:
    /// the optimizer's for the default group, the group's own (or the
    /// optimizer's times its `lr_scale`) for a [`crate::ParamGroup`].
    /// PyTorch: `param_groups[i]["initial_lr"]`.
    ///
    /// # Panics
    /// If there is no such group.
    fn group_base_lr(&self, group: usize) -> f64;

    /// Sets the learning rate of `group`'s next step.
    ///
    /// # Panics
    /// If there is no such group.
    fn set_group_lr(&mut self, group: usize, lr: f64);

    /// Steps taken: calls of [`Optimizer::try_step`] or
    /// [`Optimizer::try_step_part`] that succeeded (a failed step changes
    /// nothing and is not counted). Saved with [`Optimizer::state`], so a
    /// resumed run goes on counting; a schedule checks it to catch being
    /// stepped before the optimizer.
    fn step_count(&self) -> u64;

    /// The default group's momentum: SGD's and RMSprop's `momentum` (0
    /// when built without), Adam's `beta1`; `None` for an optimizer that has
    /// no momentum to cycle (AdaGrad, AdaDelta), which schedules that cycle
    /// it refuse, as PyTorch's OneCycleLR does.
    fn momentum(&self) -> Option<f64> {
        None
    }

    /// Sets the momentum of every group, for schedules that cycle it
    /// (one-cycle): SGD's and RMSprop's `momentum` (turning momentum on
    /// for an optimizer built without, as PyTorch's OneCycleLR does),
    /// Adam's `beta1` (each group keeps its `beta2`). Returns `false`, and
    /// changes nothing, when the optimizer has no momentum (AdaGrad,
    /// AdaDelta).
    fn set_momentum(&mut self, momentum: f64) -> bool {
        let _ = momentum;
        false
    }

    /// Forgets all per-parameter state (buffers and per-parameter step
    /// counts), as a freshly built optimizer. The learning rates, base
    /// rates and [`Optimizer::step_count`] stay, as a schedule goes on.
    fn zero_state(&mut self);

    /// The state, to save with a checkpoint.
    fn state(&self) -> OptimizerState<T>;

    /// Restores state saved by [`Optimizer::state`] from the same kind of
    /// optimizer with the same parameter groups (every group's learning
    /// rate and base rate, the step count and per-parameter state); the run
    /// then continues the saved trajectory exactly. A momentum set by a
    /// schedule is not part of the state: resuming the schedule
    /// ([`crate::LrSchedule::resume`]) sets it again.
    /// Entries are matched to parameters at the next step, by id, else by
    /// name.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()>;

    /// Steps taken for a parameter (0 if it was never updated).
    fn param_step(&self, id: ParamId) -> u64;
}

/// The error for gradients of parameters that `model` does not list.
fn check_all_listed<T: Float>(
    optimizer: &'static str,
    model: &dyn Parameters<T>,
    grads: &Grads<T>,
) -> Result<()> {
    let mut listed = std::collections::BTreeSet::new();
    model.visit_params(&mut |_, p| {
        listed.insert(p.id());
    });
    let unlisted: Vec<String> = grads
        .iter()
        .filter(|(id, _)| !listed.contains(id))
        .map(|(id, g)| describe(id, grads.name_of(id), g.shape()))
        .collect();
    if unlisted.is_empty() {
        Ok(())
    } else {
        Err(OptimError::UnlistedGradients {
            optimizer,
            params: unlisted,
        })
    }
}

/// `` `weight` [8, 3] (ParamId(4)) ``: a parameter as an error names it.
fn describe(id: ParamId, name: Option<&str>, shape: &[usize]) -> String {
    match name {
        Some(name) => format!("`{name}` {shape:?} (ParamId({}))", id.as_u64()),
        None => format!("ParamId({}) {shape:?}", id.as_u64()),
    }
}
