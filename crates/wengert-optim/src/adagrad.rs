//! AdaGrad: a per-coordinate learning rate that shrinks with the sum of the
//! squared gradients seen so far (Duchi, Hazan & Singer, "Adaptive
//! Subgradient Methods for Online Learning and Stochastic Optimization",
//! JMLR 2011).
//!
//! PyTorch's form, which this follows:
//!
//! ```text
//! t   <- t + 1
//! s   <- s + g^2
//! x   <- x - lr_t * g / (sqrt(s) + eps),   lr_t = lr / (1 + (t - 1) * lr_decay)
//! ```
//!
//! **Where eps goes.** The text writes `g / sqrt(s + eps)`, with eps inside
//! the square root; PyTorch (and so this crate) adds eps *outside*,
//! `sqrt(s) + eps`, with eps = 1e-10 by default. The two agree once `s` is
//! far above eps, and differ in the first steps of a coordinate whose
//! gradients are tiny.

use wengert_tensor::{Float, Grads, Parameters};

use crate::config::optimizer_config;
use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::state::buffer_state;

optimizer_config! {
    /// Settings of [`Adagrad`]; PyTorch: `torch.optim.Adagrad(params, lr=0.01,
    /// lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    /// maximize=False)`.
    ///
    /// # PyTorch options
    ///
    /// `lr`, `lr_decay`, `weight_decay` (coupled, or decoupled with
    /// [`WeightDecay::Decoupled`](crate::WeightDecay)),
    /// `initial_accumulator_value`, `eps`, `maximize`, and groups with
    /// their own `lr` and `weight_decay` ([`crate::ParamGroup`]). Not
    /// offered: `foreach`, `fused` and `differentiable` (implementation
    /// paths of PyTorch), sparse gradients. AdaGrad has no momentum, so a
    /// schedule that cycles it (one-cycle) is refused, as in PyTorch.
    ///
    /// ```
    /// use wengert_optim::{Adagrad, AdagradConfig};
    /// let opt: Adagrad<f64> = AdagradConfig::new(0.4).lr_decay(1e-3).build();
    /// # let _ = opt;
    /// ```
    pub struct AdagradConfig {
        /// Learning-rate decay: step `t` uses `lr / (1 + (t - 1) * lr_decay)`.
        lr_decay: f64 = 0.0, non_negative;
        /// Added to `sqrt(s)` in the denominator (default 1e-10).
        eps: f64 = 1e-10, non_negative;
        /// Starting value of the sum of squares `s` (default 0).
        initial_accumulator_value: f64 = 0.0, non_negative;
    }
    /// AdaGrad, built by [`AdagradConfig`]; see the module docs for the update.
    pub struct Adagrad<T> with AdagradState<T>, named "Adagrad";
}

impl AdagradConfig {
    /// AdaGrad with learning rate `lr` and PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        Self::with_lr(lr)
    }
}

/// AdaGrad's state for one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct AdagradState<T> {
    /// Updates taken, `t`.
    pub step: u64,
    /// Sum of squared gradients `s`, PyTorch's `sum`.
    pub sum: Vec<T>,
}

buffer_state!(AdagradState { sum; optional });

impl<T: Float> Optimizer<T> for Adagrad<T> {
    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let eps = T::from_f64(self.eps);
        let lr_decay = self.lr_decay;
        let init = T::from_f64(self.initial_accumulator_value);
        let fresh = |numel| AdagradState {
            step: 0,
            sum: vec![init; numel],
        };
        self.driver
            .try_step(part, grads, fresh, |x, g, state, group| {
                state.step += 1;
                let clr = T::from_f64(group.lr / (1.0 + (state.step - 1) as f64 * lr_decay));
                x.update(g, &mut state.sum, move |x, g, s| {
                    *s += g * g;
                    x - clr * (g / (s.sqrt() + eps))
                });
            })
    }

    crate::delegate::delegate_to_driver!();
}
