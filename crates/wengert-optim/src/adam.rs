//! Adam: momentum on the gradient plus RMSProp's per-coordinate scale, both
//! bias-corrected for their zero start (Kingma & Ba, "Adam: A Method for
//! Stochastic Optimization", ICLR 2015), with the AMSGrad variant (Reddi,
//! Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018) and
//! decoupled weight decay, AdamW (Loshchilov & Hutter, ICLR 2019).
//!
//! PyTorch's form, which this follows:
//!
//! ```text
//! t <- t + 1
//! m <- m + (1 - beta1) * (g - m)            (= beta1 m + (1 - beta1) g)
//! v <- beta2 * v + (1 - beta2) * g^2
//! v_max <- max(v_max, v)                    (AMSGrad only; replaces v below)
//! x <- x - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//! ```
//!
//! **Where eps goes.** The text writes `m_hat / (sqrt(v_hat) + eps)` with
//! `v_hat = v / (1 - beta2^t)`: the same placement (eps after the bias
//! correction of the square root), which PyTorch computes as above.
//!
//! **Weight decay.** Coupled L2 ([`WeightDecay::L2`], PyTorch's
//! `Adam(weight_decay=)`) adds `wd * x` to `g`; Adam is invariant to a
//! per-coordinate rescaling of `g`, so on a centred quadratic it barely
//! changes anything. Decoupled ([`WeightDecay::Decoupled`], AdamW) shrinks
//! `x <- x * (1 - lr * wd)` first.

use wengert_tensor::{Float, Grads, Parameters};

use crate::config::optimizer_config;
use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::state::buffer_state;
use crate::weight_decay::WeightDecay;

optimizer_config! {
    /// Settings of [`Adam`]; PyTorch: `torch.optim.Adam(params, lr=1e-3,
    /// betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
    /// maximize=False)`.
    ///
    /// # PyTorch options
    ///
    /// `lr`, `betas`, `eps`, `weight_decay` (coupled;
    /// `decoupled_weight_decay=True` is
    /// [`WeightDecay::Decoupled`](crate::WeightDecay), or
    /// [`crate::AdamWConfig`]), `amsgrad`, `maximize`, and groups with their
    /// own `lr`, `weight_decay` and `betas` ([`crate::ParamGroup`]). Not
    /// offered: `foreach`, `fused`, `capturable` and `differentiable`
    /// (implementation paths of PyTorch), and tensor-valued `lr` or `betas`.
    ///
    /// ```
    /// use wengert_optim::{Adam, AdamConfig};
    /// let adam: Adam<f32> = AdamConfig::new(1e-3).betas(0.9, 0.999).amsgrad(true).build();
    /// # let _ = adam;
    /// ```
    pub struct AdamConfig {
        /// Added to the bias-corrected square root (default 1e-8).
        eps: f64 = 1e-8, non_negative;
        /// Use the running maximum of `v` in the denominator (AMSGrad).
        amsgrad: bool = false;
    }
    fixed {
        /// Decay rate of the first moment average (set by `betas`).
        beta1: f64 = 0.9, below_one;
        /// Decay rate of the second moment average (set by `betas`).
        beta2: f64 = 0.999, below_one;
    }
    /// Adam, AMSGrad and AdamW, built by [`AdamConfig`] or [`crate::AdamWConfig`];
    /// see the module docs for the update.
    pub struct Adam<T> with AdamState<T>, named "Adam" or "AdamW" when decoupled;
    groups may set Betas;
}

impl AdamConfig {
    /// Adam with learning rate `lr` and PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        Self::with_lr(lr)
    }

    /// Decay rates of the first and second moment averages.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// AdamW's decay: decoupled, with coefficient `wd` (for `AdamWConfig`).
    pub(crate) fn decoupled_weight_decay(self, wd: f64) -> Self {
        self.weight_decay(WeightDecay::Decoupled(wd))
    }
}

/// Adam's state for one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamState<T> {
    /// Updates taken, `t` (bias correction uses it).
    pub step: u64,
    /// First moment `m`, PyTorch's `exp_avg`.
    pub exp_avg: Vec<T>,
    /// Second moment `v`, PyTorch's `exp_avg_sq`.
    pub exp_avg_sq: Vec<T>,
    /// Running maximum of `v` (AMSGrad only), PyTorch's `max_exp_avg_sq`.
    pub max_exp_avg_sq: Option<Vec<T>>,
}

buffer_state!(AdamState { exp_avg, exp_avg_sq; optional max_exp_avg_sq });

impl<T: Float> Optimizer<T> for Adam<T> {
    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let (default_beta1, default_beta2) = (self.beta1, self.beta2);
        let eps = T::from_f64(self.eps);
        let amsgrad = self.amsgrad;
        let fresh = |numel| AdamState {
            step: 0,
            exp_avg: vec![T::zero(); numel],
            exp_avg_sq: vec![T::zero(); numel],
            max_exp_avg_sq: amsgrad.then(|| vec![T::zero(); numel]),
        };
        self.driver
            .try_step(part, grads, fresh, |x, g, state, group| {
                state.step += 1;
                let lr = group.lr;
                let beta1 = group.beta1.unwrap_or(default_beta1);
                let beta2 = group.beta2.unwrap_or(default_beta2);
                let one_minus_beta1 = T::from_f64(1.0 - beta1);
                let beta2_t = T::from_f64(beta2);
                let one_minus_beta2 = T::from_f64(1.0 - beta2);
                // Scalars in f64, as PyTorch computes them in Python floats.
                let t = state.step as f64;
                let bias_correction1 = 1.0 - beta1.powf(t);
                let bias_correction2 = 1.0 - beta2.powf(t);
                let step_size = T::from_f64(lr / bias_correction1);
                let bc2_sqrt = T::from_f64(bias_correction2.sqrt());
                // m <- m + (1 - beta1) (g - m), v <- beta2 v + (1 - beta2) g^2.
                let moments = move |g: T, m: &mut T, v: &mut T| {
                    *m = *m + one_minus_beta1 * (g - *m);
                    *v = *v * beta2_t + one_minus_beta2 * g * g;
                };
                let m_and_v = state.exp_avg.iter_mut().zip(state.exp_avg_sq.iter_mut());
                if amsgrad {
                    let n = x.len();
                    let v_max = state
                        .max_exp_avg_sq
                        .get_or_insert_with(|| vec![T::zero(); n]);
                    x.update(g, m_and_v.zip(v_max), move |x, g, ((m, v), v_max)| {
                        moments(g, m, v);
                        *v_max = v_max.max(*v);
                        x - step_size * (*m / (v_max.sqrt() / bc2_sqrt + eps))
                    });
                } else {
                    x.update(g, m_and_v, move |x, g, (m, v)| {
                        moments(g, m, v);
                        x - step_size * (*m / (v.sqrt() / bc2_sqrt + eps))
                    });
                }
            })
    }

    fn momentum(&self) -> Option<f64> {
        Some(self.beta1)
    }

    /// Sets every group's `beta1`; each keeps its `beta2`.
    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.beta1 = momentum;
        self.driver.clear_momentum_overrides();
        true
    }

    crate::delegate::delegate_to_driver!();
}
