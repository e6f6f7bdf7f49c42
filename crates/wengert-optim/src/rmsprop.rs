//! RMSProp: AdaGrad with a leaky average of squared gradients instead of a
//! sum, so the step size does not decay to zero (Tieleman & Hinton, lecture
//! 6.5 of "Neural Networks for Machine Learning", 2012). The centered
//! variant divides by an estimate of the gradient's variance instead of its
//! second moment (Graves, "Generating Sequences With Recurrent Neural
//! Networks", 2013).
//!
//! PyTorch's form, which this follows (`alpha` is the text's `gamma`):
//!
//! ```text
//! v   <- alpha * v + (1 - alpha) * g^2
//! avg <- sqrt(v) + eps                         (plain)
//!   or   sqrt(v - m^2) + eps, m <- m + (1 - alpha) * (g - m)   (centered)
//! x   <- x - lr * g / avg                      (no momentum)
//!   or   b <- momentum * b + g / avg; x <- x - lr * b          (momentum)
//! ```
//!
//! **Where eps goes.** The text writes `g / sqrt(s + eps)`; PyTorch adds eps
//! (default 1e-8) *outside* the square root, and so does this crate.

use wengert_tensor::{Float, Grads, Parameters};

use crate::config::optimizer_config;
use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::state::buffer_state;

optimizer_config! {
    /// Settings of [`RmsProp`]; PyTorch: `torch.optim.RMSprop(params, lr=0.01,
    /// alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    /// maximize=False)`.
    ///
    /// # PyTorch options
    ///
    /// `lr`, `alpha`, `eps`, `weight_decay` (coupled, or decoupled with
    /// [`WeightDecay::Decoupled`](crate::WeightDecay)), `momentum`,
    /// `centered`, `maximize`, and groups with their own `lr`,
    /// `weight_decay` and `momentum` ([`crate::ParamGroup`]). Not offered:
    /// `foreach`, `capturable` and `differentiable` (implementation paths
    /// of PyTorch). Ranges: `alpha` and `momentum` must lie in `[0, 1]`
    /// (PyTorch takes any value >= 0; the error says why wengert refuses
    /// more).
    ///
    /// ```
    /// use wengert_optim::{RmsProp, RmsPropConfig};
    /// let opt: RmsProp<f32> = RmsPropConfig::new(0.01).alpha(0.9).centered(true).build();
    /// # let _ = opt;
    /// ```
    pub struct RmsPropConfig {
        /// Smoothing constant of the squared-gradient average (the text's
        /// gamma, default 0.99).
        alpha: f64 = 0.99, smoothing_constant;
        /// Added to the square root in the denominator (default 1e-8).
        eps: f64 = 1e-8, non_negative;
        /// Momentum on the normalised gradient, in `[0, 1]` (default 0:
        /// none).
        momentum: f64 = 0.0, momentum_factor;
        /// Divide by the centred second moment (an estimate of the variance).
        centered: bool = false;
    }
    /// RMSProp (plain, centered, with or without momentum), built by
    /// [`RmsPropConfig`]; see the module docs for the update.
    pub struct RmsProp<T> with RmsPropState<T>, named "RMSprop";
    groups may set Momentum;
}

impl RmsPropConfig {
    /// RMSProp with learning rate `lr` and PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        Self::with_lr(lr)
    }
}

/// RMSProp's state for one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsPropState<T> {
    /// Updates taken.
    pub step: u64,
    /// Leaky average of squared gradients `v`, PyTorch's `square_avg`.
    pub square_avg: Vec<T>,
    /// Leaky average of gradients `m` (centered only), PyTorch's `grad_avg`.
    pub grad_avg: Option<Vec<T>>,
    /// Momentum buffer `b` (made at the first step with momentum > 0).
    pub momentum_buffer: Option<Vec<T>>,
}

buffer_state!(RmsPropState { square_avg; optional grad_avg, momentum_buffer });

/// Scalars of one RMSProp update.
#[derive(Clone, Copy)]
struct RmsStep<T> {
    lr: T,
    alpha: T,
    one_minus_alpha: T,
    eps: T,
    momentum: T,
}

/// The update of the module docs for one element, returning the new `x`;
/// `m` (gradient average) is used only when `CENTERED`, `b` (momentum
/// buffer) only with `MOMENTUM`.
#[inline(always)]
fn rmsprop_update<T: Float, const CENTERED: bool, const MOMENTUM: bool>(
    k: RmsStep<T>,
    x: T,
    g: T,
    v: &mut T,
    m: &mut T,
    b: &mut T,
) -> T {
    *v = *v * k.alpha + k.one_minus_alpha * g * g;
    let avg = if CENTERED {
        // PyTorch's lerp: m + (1 - alpha) * (g - m).
        *m = *m + k.one_minus_alpha * (g - *m);
        (*v - *m * *m).sqrt() + k.eps
    } else {
        v.sqrt() + k.eps
    };
    if MOMENTUM {
        *b = *b * k.momentum + g / avg;
        x - k.lr * *b
    } else {
        x - k.lr * (g / avg)
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let alpha = T::from_f64(self.alpha);
        let one_minus_alpha = T::from_f64(1.0 - self.alpha);
        let eps = T::from_f64(self.eps);
        let default_momentum = self.momentum;
        let centered = self.centered;
        // The momentum buffer is made at the first step that uses it (a
        // group's momentum, or a schedule's, may turn momentum on later).
        let fresh = |numel| RmsPropState {
            step: 0,
            square_avg: vec![T::zero(); numel],
            grad_avg: centered.then(|| vec![T::zero(); numel]),
            momentum_buffer: None,
        };
        self.driver
            .try_step(part, grads, fresh, |x, g, state, group| {
                state.step += 1;
                let momentum = group.momentum.unwrap_or(default_momentum);
                let k = RmsStep {
                    lr: T::from_f64(group.lr),
                    alpha,
                    one_minus_alpha,
                    eps,
                    momentum: T::from_f64(momentum),
                };
                // A state restored from a run with other settings may lack a buffer.
                let n = x.len();
                let zeros = || vec![T::zero(); n];
                let m = centered.then(|| state.grad_avg.get_or_insert_with(zeros).iter_mut());
                let b = (momentum > 0.0)
                    .then(|| state.momentum_buffer.get_or_insert_with(zeros).iter_mut());
                let v = state.square_avg.iter_mut();
                // One function per case, so each loop compiles to straight-line
                // code; a buffer the case does not use is a dummy the compiler
                // drops.
                match (m, b) {
                    (None, None) => x.update(g, v, move |x, g, v| {
                        rmsprop_update::<T, false, false>(
                            k,
                            x,
                            g,
                            v,
                            &mut T::zero(),
                            &mut T::zero(),
                        )
                    }),
                    (None, Some(b)) => x.update(g, v.zip(b), move |x, g, (v, b)| {
                        rmsprop_update::<T, false, true>(k, x, g, v, &mut T::zero(), b)
                    }),
                    (Some(m), None) => x.update(g, v.zip(m), move |x, g, (v, m)| {
                        rmsprop_update::<T, true, false>(k, x, g, v, m, &mut T::zero())
                    }),
                    (Some(m), Some(b)) => x.update(g, v.zip(m.zip(b)), move |x, g, (v, (m, b))| {
                        rmsprop_update::<T, true, true>(k, x, g, v, m, b)
                    }),
                }
            })
    }

    crate::delegate::momentum_setting!();

    crate::delegate::delegate_to_driver!();
}
