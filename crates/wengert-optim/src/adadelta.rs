//! AdaDelta: RMSProp's denominator, and a numerator that is a leaky average
//! of the squared updates themselves, so the method needs no learning rate
//! (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012).
//!
//! ```text
//! v  <- rho * v + (1 - rho) * g^2
//! d  <- sqrt(u + eps) / sqrt(v + eps) * g
//! u  <- rho * u + (1 - rho) * d^2
//! x  <- x - lr * d
//! ```
//!
//! Here eps sits *inside* both square roots, in the text, the paper and
//! PyTorch alike. PyTorch keeps a learning rate (default 1.0) that scales
//! the update; with lr 1 it is the paper's method.

use wengert_tensor::{Float, Grads, Parameters};

use crate::config::optimizer_config;
use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::state::buffer_state;

optimizer_config! {
    /// Settings of [`Adadelta`]; PyTorch: `torch.optim.Adadelta(params, lr=1.0,
    /// rho=0.9, eps=1e-6, weight_decay=0, maximize=False)`.
    ///
    /// # PyTorch options
    ///
    /// `lr`, `rho`, `eps`, `weight_decay` (coupled, or decoupled with
    /// [`WeightDecay::Decoupled`](crate::WeightDecay)), `maximize`, and
    /// groups with their own `lr` and `weight_decay`
    /// ([`crate::ParamGroup`]). Not offered: `foreach`, `capturable` and
    /// `differentiable` (implementation paths of PyTorch). AdaDelta has no
    /// momentum, so a schedule that cycles it (one-cycle) is refused, as in
    /// PyTorch.
    ///
    /// ```
    /// use wengert_optim::{Adadelta, AdadeltaConfig};
    /// let opt: Adadelta<f64> = AdadeltaConfig::new().rho(0.9).eps(1e-5).build();
    /// # let _ = opt;
    /// ```
    pub struct AdadeltaConfig {
        /// Decay of both leaky averages (default 0.9).
        rho: f64 = 0.9, at_most_one;
        /// Added inside both square roots (default 1e-6).
        eps: f64 = 1e-6, non_negative;
    }
    /// AdaDelta, built by [`AdadeltaConfig`]; see the module docs for the update.
    pub struct Adadelta<T> with AdadeltaState<T>, named "Adadelta";
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl AdadeltaConfig {
    /// AdaDelta with PyTorch's defaults (lr 1, rho 0.9, eps 1e-6).
    pub fn new() -> Self {
        Self::with_lr(1.0)
    }

    /// Scales the update (default 1).
    pub fn lr(mut self, lr: f64) -> Self {
        self.common.lr = lr;
        self
    }
}

/// AdaDelta's state for one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct AdadeltaState<T> {
    /// Updates taken.
    pub step: u64,
    /// Leaky average of squared gradients `v`, PyTorch's `square_avg`.
    pub square_avg: Vec<T>,
    /// Leaky average of squared updates `u`, PyTorch's `acc_delta`.
    pub acc_delta: Vec<T>,
}

buffer_state!(AdadeltaState { square_avg, acc_delta; optional });

impl<T: Float> Optimizer<T> for Adadelta<T> {
    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let rho = T::from_f64(self.rho);
        let one_minus_rho = T::from_f64(1.0 - self.rho);
        let eps = T::from_f64(self.eps);
        let fresh = |numel| AdadeltaState {
            step: 0,
            square_avg: vec![T::zero(); numel],
            acc_delta: vec![T::zero(); numel],
        };
        self.driver
            .try_step(part, grads, fresh, |x, g, state, group| {
                state.step += 1;
                let lr = T::from_f64(group.lr);
                let buffers = state.square_avg.iter_mut().zip(state.acc_delta.iter_mut());
                x.update(g, buffers, move |x, g, (v, u)| {
                    *v = *v * rho + one_minus_rho * g * g;
                    let d = (*u + eps).sqrt() / (*v + eps).sqrt() * g;
                    *u = *u * rho + one_minus_rho * d * d;
                    x - lr * d
                });
            })
    }

    crate::delegate::delegate_to_driver!();
}
