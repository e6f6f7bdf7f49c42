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

use wengert_tensor::{Float, Grads, ParamId, Parameters};

use crate::driver::{with_l2, StepDriver};
use crate::error::{Result, SettingChecks};
use crate::optimizer::Optimizer;
use crate::param_groups::ParamGroup;
use crate::state::{optional_saved_buffer, saved_buffer, BufferState, ParamState};
use crate::weight_decay::WeightDecay;

/// Settings of [`Adam`]; PyTorch: `torch.optim.Adam(params, lr=1e-3,
/// betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)`.
///
/// ```
/// use wengert_optim::{Adam, AdamConfig};
/// let adam: Adam<f32> = AdamConfig::new(1e-3).betas(0.9, 0.999).amsgrad(true).build();
/// # let _ = adam;
/// ```
#[derive(Clone, Debug)]
pub struct AdamConfig {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    amsgrad: bool,
    weight_decay: WeightDecay,
    groups: Vec<ParamGroup>,
}

impl AdamConfig {
    /// Adam with learning rate `lr` and PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        AdamConfig {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            amsgrad: false,
            weight_decay: WeightDecay::None,
            groups: Vec::new(),
        }
    }

    /// Decay rates of the first and second moment averages.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Added to the bias-corrected square root (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Use the running maximum of `v` in the denominator (AMSGrad).
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    /// Weight decay: [`WeightDecay::L2`] is `Adam(weight_decay=)`,
    /// [`WeightDecay::Decoupled`] is AdamW.
    pub fn weight_decay(mut self, weight_decay: WeightDecay) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Adds a parameter group (first match wins).
    pub fn group(mut self, group: ParamGroup) -> Self {
        self.groups.push(group);
        self
    }

    /// Builds the optimizer, checking the settings.
    pub fn try_build<T: Float>(self) -> Result<Adam<T>> {
        let name = match self.weight_decay {
            WeightDecay::Decoupled(_) => "AdamW",
            _ => "Adam",
        };
        let check = SettingChecks::new(name);
        check.below_one("beta1", self.beta1)?;
        check.below_one("beta2", self.beta2)?;
        check.non_negative("eps", self.eps)?;
        Ok(Adam {
            name,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            amsgrad: self.amsgrad,
            driver: StepDriver::new(name, self.lr, self.weight_decay, self.groups)?,
        })
    }

    /// Panicking form of [`AdamConfig::try_build`].
    #[track_caller]
    pub fn build<T: Float>(self) -> Adam<T> {
        self.try_build().unwrap_or_else(|e| panic!("{e}"))
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

impl<T: Float> BufferState<T> for AdamState<T> {
    fn step(&self) -> u64 {
        self.step
    }
    fn buffers(&self) -> Vec<(&'static str, &[T])> {
        let mut out = vec![
            ("exp_avg", self.exp_avg.as_slice()),
            ("exp_avg_sq", self.exp_avg_sq.as_slice()),
        ];
        if let Some(v) = &self.max_exp_avg_sq {
            out.push(("max_exp_avg_sq", v));
        }
        out
    }
    fn from_saved(saved: &ParamState<T>, numel: usize) -> Result<Self, String> {
        Ok(AdamState {
            step: saved.step,
            exp_avg: saved_buffer(saved, "exp_avg", numel)?,
            exp_avg_sq: saved_buffer(saved, "exp_avg_sq", numel)?,
            max_exp_avg_sq: optional_saved_buffer(saved, "max_exp_avg_sq", numel)?,
        })
    }
}

/// Adam, AMSGrad and AdamW, built by [`AdamConfig`] or [`crate::AdamWConfig`];
/// see the module docs for the update.
#[derive(Clone, Debug)]
pub struct Adam<T: Float> {
    name: &'static str,
    beta1: f64,
    beta2: f64,
    eps: f64,
    amsgrad: bool,
    driver: StepDriver<T, AdamState<T>>,
}

impl<T: Float> Adam<T> {
    /// The state of one parameter, if it has been stepped.
    pub fn state_of(&self, id: ParamId) -> Option<&AdamState<T>> {
        self.driver.state_of(id)
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let (beta1, beta2) = (self.beta1, self.beta2);
        let one_minus_beta1 = T::from_f64(1.0 - beta1);
        let beta2_t = T::from_f64(beta2);
        let one_minus_beta2 = T::from_f64(1.0 - beta2);
        let eps = T::from_f64(self.eps);
        let amsgrad = self.amsgrad;
        let fresh = |numel| AdamState {
            step: 0,
            exp_avg: vec![T::zero(); numel],
            exp_avg_sq: vec![T::zero(); numel],
            max_exp_avg_sq: amsgrad.then(|| vec![T::zero(); numel]),
        };
        self.driver.try_step(part, grads, fresh, |x, g, state, hp| {
            state.step += 1;
            // Scalars in f64, as PyTorch computes them in Python floats.
            let t = state.step as f64;
            let bias_correction1 = 1.0 - beta1.powf(t);
            let bias_correction2 = 1.0 - beta2.powf(t);
            let step_size = T::from_f64(hp.lr / bias_correction1);
            let bc2_sqrt = T::from_f64(bias_correction2.sqrt());
            let wd = T::from_f64(hp.l2);
            let moments = state.exp_avg.iter_mut().zip(state.exp_avg_sq.iter_mut());
            if amsgrad {
                let n = x.len();
                let v_max = state
                    .max_exp_avg_sq
                    .get_or_insert_with(|| vec![T::zero(); n]);
                for (((x, &g), (m, v)), v_max) in x.iter_mut().zip(g).zip(moments).zip(v_max) {
                    let g = with_l2(g, *x, wd);
                    *m = *m + one_minus_beta1 * (g - *m);
                    *v = *v * beta2_t + one_minus_beta2 * g * g;
                    *v_max = v_max.max(*v);
                    *x -= step_size * (*m / (v_max.sqrt() / bc2_sqrt + eps));
                }
            } else {
                for ((x, &g), (m, v)) in x.iter_mut().zip(g).zip(moments) {
                    let g = with_l2(g, *x, wd);
                    *m = *m + one_minus_beta1 * (g - *m);
                    *v = *v * beta2_t + one_minus_beta2 * g * g;
                    *x -= step_size * (*m / (v.sqrt() / bc2_sqrt + eps));
                }
            }
        })
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.beta1 = momentum;
        true
    }

    crate::delegate::delegate_to_driver!();
}
