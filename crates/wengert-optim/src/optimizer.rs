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

    /// The learning rate of the next step (parameter groups use it times
    /// their scale).
    fn lr(&self) -> f64;

    /// Sets the learning rate (what a schedule does after every step).
    fn set_lr(&mut self, lr: f64);

    /// The learning rate the optimizer was built with (PyTorch's
    /// `initial_lr`): schedules work out the current rate from it, so it
    /// is given once, to the config. Saved with [`Optimizer::state`].
    fn base_lr(&self) -> f64;

    /// Steps taken: calls of [`Optimizer::try_step`] or
    /// [`Optimizer::try_step_part`] that succeeded (a failed step changes
    /// nothing and is not counted). Saved with [`Optimizer::state`], so a
    /// resumed run goes on counting; a schedule checks it to catch being
    /// stepped before the optimizer.
    fn step_count(&self) -> u64;

    /// Sets the momentum, for schedules that cycle it (one-cycle): SGD's and
    /// RMSprop's `momentum`, Adam's `beta1`. Returns `false` when the
    /// optimizer has no momentum to set (AdaGrad, AdaDelta, or SGD built
    /// without momentum).
    fn set_momentum(&mut self, momentum: f64) -> bool {
        let _ = momentum;
        false
    }

    /// Forgets all per-parameter state (buffers and per-parameter step
    /// counts), as a freshly built optimizer. The learning rate, base rate
    /// and [`Optimizer::step_count`] stay, as a schedule goes on.
    fn zero_state(&mut self);

    /// The state, to save with a checkpoint.
    fn state(&self) -> OptimizerState<T>;

    /// Restores state saved by [`Optimizer::state`] from the same kind of
    /// optimizer (learning rate, base rate, step count and per-parameter
    /// state); the run then continues the saved trajectory exactly.
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
