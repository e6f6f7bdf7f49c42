//! The [`Optimizer`] trait: what every optimizer of the crate offers.
//!
//! # How parameters reach an optimizer
//!
//! An optimizer needs each parameter mutably, together with the [`Grads`]
//! of the last backward pass. Models own their parameters, so the optimizer
//! does not hold them; instead a step is given a *visitor*: a function that
//! calls its argument once on every parameter, with the parameter's full
//! name. A wengert-nn module offers exactly that (`visit_params_mut`, which
//! passes paths like `layers.0.weight`), so a training step reads
//!
//! ```text
//! opt.step_with(&grads, &mut |f| model.visit_params_mut(f));
//! ```
//!
//! and bare parameters go through [`Optimizer::step`], which takes a slice
//! of `&mut Param` and uses each [`Param::name`]. The name given by the
//! visitor is what parameter groups match and what saved state is keyed by,
//! so it should be unique (a layer's local name, `weight`, is not).
//!
//! The visitor may be called more than once per step (the first pass checks
//! shapes, the second updates), so it must visit the same parameters in the
//! same order each time.

use wengert_tensor::{Float, Grads, Param, ParamId};

use crate::error::Result;
use crate::state::OptimizerState;

/// A parameter visitor: calls its argument with the full name and the
/// parameter, for every parameter in a fixed order (the shape of a
/// wengert-nn module's `visit_params_mut`).
pub type ParamVisitor<'a, T> = dyn FnMut(&mut dyn FnMut(&str, &mut Param<T>)) + 'a;

/// An optimizer: updates parameters in place from their gradients.
///
/// Frozen parameters ([`Param::is_frozen`]) and parameters without a
/// gradient in the given [`Grads`] are skipped, as PyTorch skips
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
///     drop(tape); // lets the update write the parameter in place
///     opt.step(&mut [&mut x], &grads);
/// }
/// let x = x.value().to_vec();
/// assert!((x[0] - (-0.943467)).abs() < 1e-6 && x[1].abs() < 1e-4);
/// ```
pub trait Optimizer<T: Float> {
    /// The PyTorch name of the algorithm (`"SGD"`, `"Adam"`, `"AdamW"`, ...).
    fn name(&self) -> &'static str;

    /// One update of every parameter the visitor reaches. A failed step
    /// (a gradient of the wrong shape, restored state that does not fit)
    /// changes no parameter.
    fn try_step_with(&mut self, grads: &Grads<T>, visit: &mut ParamVisitor<'_, T>) -> Result<()>;

    /// Panicking form of [`Optimizer::try_step_with`].
    #[track_caller]
    fn step_with(&mut self, grads: &Grads<T>, visit: &mut ParamVisitor<'_, T>) {
        self.try_step_with(grads, visit)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// One update of the given parameters.
    fn try_step(&mut self, params: &mut [&mut Param<T>], grads: &Grads<T>) -> Result<()> {
        self.try_step_with(grads, &mut |f| {
            for p in params.iter_mut() {
                let name = p.name().to_string();
                f(&name, p)
            }
        })
    }

    /// Panicking form of [`Optimizer::try_step`].
    #[track_caller]
    fn step(&mut self, params: &mut [&mut Param<T>], grads: &Grads<T>) {
        self.try_step(params, grads)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The learning rate (parameter groups use it times their scale).
    fn lr(&self) -> f64;

    /// Sets the learning rate (what a schedule calls every step).
    fn set_lr(&mut self, lr: f64);

    /// Sets the momentum, for schedules that cycle it (one-cycle): SGD's and
    /// RMSprop's `momentum`, Adam's `beta1`. Returns `false` when the
    /// optimizer has no momentum to set (AdaGrad, AdaDelta, or SGD built
    /// without momentum).
    fn set_momentum(&mut self, momentum: f64) -> bool {
        let _ = momentum;
        false
    }

    /// Forgets all per-parameter state (buffers and step counts), as a
    /// freshly built optimizer.
    fn zero_state(&mut self);

    /// The state, to save with a checkpoint.
    fn state(&self) -> OptimizerState<T>;

    /// Restores state saved by [`Optimizer::state`] from the same kind of
    /// optimizer; the run then continues the saved trajectory exactly.
    /// Entries are matched to parameters at the next step, by id, else by
    /// name.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()>;

    /// Steps taken for a parameter (0 if it was never updated).
    fn param_step(&self, id: ParamId) -> u64;
}
