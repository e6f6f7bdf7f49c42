//! Stochastic gradient descent, with momentum (heavy ball) and Nesterov
//! momentum.
//!
//! Plain SGD (Robbins & Monro, 1951):
//!
//! ```text
//! x <- x - lr * g
//! ```
//!
//! With momentum (Polyak, 1964), PyTorch's form:
//!
//! ```text
//! b <- g                                  (first step: no dampening)
//! b <- momentum * b + (1 - dampening) * g (later steps)
//! x <- x - lr * b                         (or, Nesterov: x - lr * (g + momentum * b))
//! ```
//!
//! The text writes momentum as `v <- gamma * v + eta * g; x <- x - v`. With
//! zero dampening that is the same trajectory with `v = lr * b`; it differs
//! only when the learning rate changes during the run (PyTorch rescales the
//! whole buffer by the new rate, the text's form keeps the old rate inside
//! `v`). Nesterov's form is Sutskever et al., "On the importance of
//! initialization and momentum in deep learning", ICML 2013, rewritten as
//! PyTorch does so that only the current gradient is needed.
//!
//! Coupled L2 weight decay adds `wd * x` to `g` before everything else
//! (the driver does, for every optimizer), after `maximize` negated it.

use wengert_tensor::{Float, Grads, Parameters};

use crate::config::optimizer_config;
use crate::error::{Result, SettingChecks};
use crate::optimizer::Optimizer;
use crate::state::buffer_state;

optimizer_config! {
    /// Settings of [`Sgd`]; PyTorch: `torch.optim.SGD(params, lr, momentum,
    /// dampening, weight_decay, nesterov, maximize)` with the same defaults
    /// (all zero, false).
    ///
    /// # PyTorch options
    ///
    /// `lr`, `momentum`, `dampening`, `weight_decay` (coupled, or
    /// decoupled with [`WeightDecay::Decoupled`](crate::WeightDecay)),
    /// `nesterov`, `maximize`, and groups with their own `lr`,
    /// `weight_decay` and `momentum` ([`crate::ParamGroup`]). Not offered:
    /// `foreach`, `fused` and `differentiable` (implementation paths of
    /// PyTorch: wengert has one update loop per case, and differentiating
    /// through a step is not supported). Ranges: `momentum` and
    /// `dampening` must lie in `[0, 1]` (PyTorch takes any momentum >= 0
    /// and does not check dampening; the error says why wengert refuses).
    ///
    /// ```
    /// use wengert_optim::{Sgd, SgdConfig, WeightDecay};
    /// let sgd: Sgd<f32> = SgdConfig::new(0.4)
    ///     .momentum(0.5)
    ///     .nesterov(true)
    ///     .weight_decay(WeightDecay::L2(1e-4))
    ///     .build();
    /// # let _ = sgd;
    /// ```
    pub struct SgdConfig {
        /// Momentum factor in `[0, 1]` (0: none; 1 keeps every past
        /// gradient at full weight).
        momentum: f64 = 0.0, momentum_factor;
        /// Dampening of the gradient in the momentum buffer, `(1 - dampening) * g`.
        dampening: f64 = 0.0, dampening_factor;
        /// Nesterov momentum (needs momentum > 0 and dampening 0, as in PyTorch).
        nesterov: bool = false;
    }
    /// Stochastic gradient descent with optional momentum, Nesterov momentum,
    /// dampening and weight decay; built by [`SgdConfig`]. See the module docs
    /// for the equations.
    pub struct Sgd<T> with SgdState<T>, named "SGD";
    groups may set Momentum;
    also check nesterov_needs_plain_momentum;
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self::with_lr(lr)
    }

    /// PyTorch's rule: Nesterov momentum needs momentum and no dampening
    /// (checked on the optimizer's settings, as PyTorch does; a group with
    /// momentum 0 steps without momentum, Nesterov or not).
    fn nesterov_needs_plain_momentum(&self, check: &SettingChecks) -> Result<()> {
        if self.nesterov && (self.momentum == 0.0 || self.dampening != 0.0) {
            return Err(check.invalid(format!(
                "Nesterov momentum needs momentum > 0 and dampening 0, got momentum {} and dampening {}",
                self.momentum, self.dampening
            )));
        }
        Ok(())
    }
}

/// SGD's state for one parameter: the momentum buffer `b`, absent before
/// the first step and when momentum is 0.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdState<T> {
    /// `b`, PyTorch's `momentum_buffer`.
    pub momentum_buffer: Option<Vec<T>>,
    /// Updates taken.
    pub step: u64,
}

buffer_state!(SgdState { ; optional momentum_buffer });

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let default_momentum = self.momentum;
        let keep = T::from_f64(1.0 - self.dampening);
        let nesterov = self.nesterov;
        let fresh = |_numel| SgdState {
            momentum_buffer: None,
            step: 0,
        };
        self.driver
            .try_step(part, grads, fresh, |x, g, state, group| {
                state.step += 1;
                let lr = T::from_f64(group.lr);
                let momentum = T::from_f64(group.momentum.unwrap_or(default_momentum));
                if momentum == T::zero() {
                    x.update_stateless(g, move |x, g| x - lr * g);
                    return;
                }
                match &mut state.momentum_buffer {
                    None => {
                        // First step: b = g, without dampening.
                        let mut b = Vec::with_capacity(x.len());
                        let first = &mut b;
                        x.update_stateless(g, move |x, g| {
                            let d = if nesterov { g + momentum * g } else { g };
                            first.push(g);
                            x - lr * d
                        });
                        state.momentum_buffer = Some(b);
                    }
                    Some(b) => {
                        let k = MomentumStep { lr, momentum, keep };
                        // One function per case, so each loop compiles to
                        // straight-line vector code.
                        if nesterov {
                            x.update(g, b, move |x, g, b| momentum_update::<T, true>(k, x, g, b));
                        } else {
                            x.update(g, b, move |x, g, b| momentum_update::<T, false>(k, x, g, b));
                        }
                    }
                }
            })
    }

    crate::delegate::momentum_setting!();

    crate::delegate::delegate_to_driver!();
}

/// Scalars of one momentum update.
#[derive(Clone, Copy)]
struct MomentumStep<T> {
    lr: T,
    momentum: T,
    keep: T,
}

/// One element: `b <- momentum * b + (1 - dampening) * g`, then the new
/// `x - lr * d` with `d = b` or, Nesterov, `d = g + momentum * b`.
#[inline(always)]
fn momentum_update<T: Float, const NESTEROV: bool>(k: MomentumStep<T>, x: T, g: T, b: &mut T) -> T {
    *b = *b * k.momentum + k.keep * g;
    let d = if NESTEROV { g + k.momentum * *b } else { *b };
    x - k.lr * d
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::{Param, Tensor};

    fn one_step(opt: &mut Sgd<f64>, x: &mut Param<f64>, g: &[f64]) {
        let mut grads = Grads::new();
        grads.insert(x.id(), Tensor::from_vec(g.to_vec(), &[g.len()]));
        opt.step(&mut [x], &grads);
    }

    #[test]
    fn momentum_first_step_is_undampened_then_dampened() {
        // momentum 0.5, dampening 0.3, lr 1, constant gradient 1:
        // step 1: b = 1, x = -1; step 2: b = 0.5 + 0.7 = 1.2, x = -2.2.
        let mut x = Param::new("x", Tensor::from_vec(vec![0.0], &[1]));
        let mut opt = SgdConfig::new(1.0).momentum(0.5).dampening(0.3).build();
        one_step(&mut opt, &mut x, &[1.0]);
        assert_eq!(x.value().to_vec(), vec![-1.0]);
        one_step(&mut opt, &mut x, &[1.0]);
        assert!((x.value().to_vec()[0] + 2.2).abs() < 1e-15);
        assert_eq!(
            opt.state_of(x.id()).unwrap().momentum_buffer,
            Some(vec![1.2])
        );
    }

    #[test]
    fn nesterov_with_dampening_is_refused_naming_both() {
        let err = SgdConfig::new(0.1)
            .momentum(0.9)
            .dampening(0.1)
            .nesterov(true)
            .try_build::<f32>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SGD") && err.contains("0.9") && err.contains("0.1"),
            "{err}"
        );
    }
}
