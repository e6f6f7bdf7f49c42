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

use wengert_tensor::{Float, Grads, ParamId, Parameters};

use crate::driver::{with_l2, StepDriver};
use crate::error::{Result, SettingChecks};
use crate::optimizer::Optimizer;
use crate::param_groups::ParamGroup;
use crate::state::{saved_buffer, BufferState, ParamState};
use crate::weight_decay::WeightDecay;

/// Settings of [`Adadelta`]; PyTorch: `torch.optim.Adadelta(params, lr=1.0,
/// rho=0.9, eps=1e-6, weight_decay=0)`.
///
/// ```
/// use wengert_optim::{Adadelta, AdadeltaConfig};
/// let opt: Adadelta<f64> = AdadeltaConfig::new().rho(0.9).eps(1e-5).build();
/// # let _ = opt;
/// ```
#[derive(Clone, Debug)]
pub struct AdadeltaConfig {
    lr: f64,
    rho: f64,
    eps: f64,
    weight_decay: WeightDecay,
    groups: Vec<ParamGroup>,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl AdadeltaConfig {
    /// AdaDelta with PyTorch's defaults (lr 1, rho 0.9, eps 1e-6).
    pub fn new() -> Self {
        AdadeltaConfig {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: WeightDecay::None,
            groups: Vec::new(),
        }
    }

    /// Scales the update (default 1).
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }

    /// Decay of both leaky averages (default 0.9).
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Added inside both square roots (default 1e-6).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Weight decay (PyTorch's `weight_decay=wd` is [`WeightDecay::L2`]).
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
    pub fn try_build<T: Float>(self) -> Result<Adadelta<T>> {
        let check = SettingChecks::new("Adadelta");
        check.at_most_one("rho", self.rho)?;
        check.non_negative("eps", self.eps)?;
        Ok(Adadelta {
            rho: self.rho,
            eps: self.eps,
            driver: StepDriver::new("Adadelta", self.lr, self.weight_decay, self.groups)?,
        })
    }

    /// Panicking form of [`AdadeltaConfig::try_build`].
    #[track_caller]
    pub fn build<T: Float>(self) -> Adadelta<T> {
        self.try_build().unwrap_or_else(|e| panic!("{e}"))
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

impl<T: Float> BufferState<T> for AdadeltaState<T> {
    fn step(&self) -> u64 {
        self.step
    }
    fn buffers(&self) -> Vec<(&'static str, &[T])> {
        vec![
            ("square_avg", &self.square_avg),
            ("acc_delta", &self.acc_delta),
        ]
    }
    fn from_saved(saved: &ParamState<T>, numel: usize) -> Result<Self, String> {
        Ok(AdadeltaState {
            step: saved.step,
            square_avg: saved_buffer(saved, "square_avg", numel)?,
            acc_delta: saved_buffer(saved, "acc_delta", numel)?,
        })
    }
}

/// AdaDelta, built by [`AdadeltaConfig`]; see the module docs for the update.
#[derive(Clone, Debug)]
pub struct Adadelta<T: Float> {
    rho: f64,
    eps: f64,
    driver: StepDriver<T, AdadeltaState<T>>,
}

impl<T: Float> Adadelta<T> {
    /// The state of one parameter, if it has been stepped.
    pub fn state_of(&self, id: ParamId) -> Option<&AdadeltaState<T>> {
        self.driver.state_of(id)
    }
}

impl<T: Float> Optimizer<T> for Adadelta<T> {
    fn name(&self) -> &'static str {
        "Adadelta"
    }

    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let rho = T::from_f64(self.rho);
        let one_minus_rho = T::from_f64(1.0 - self.rho);
        let eps = T::from_f64(self.eps);
        let fresh = |numel| AdadeltaState {
            step: 0,
            square_avg: vec![T::zero(); numel],
            acc_delta: vec![T::zero(); numel],
        };
        self.driver.try_step(part, grads, fresh, |x, g, state, hp| {
            state.step += 1;
            let lr = T::from_f64(hp.lr);
            let wd = T::from_f64(hp.l2);
            let buffers = state.square_avg.iter_mut().zip(state.acc_delta.iter_mut());
            for ((x, &g), (v, u)) in x.iter_mut().zip(g).zip(buffers) {
                let g = with_l2(g, *x, wd);
                *v = *v * rho + one_minus_rho * g * g;
                let d = (*u + eps).sqrt() / (*v + eps).sqrt() * g;
                *u = *u * rho + one_minus_rho * d * d;
                *x -= lr * d;
            }
        })
    }

    crate::delegate::delegate_to_driver!();
}
