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

use wengert_tensor::{Float, Grads, ParamId, Parameters};

use crate::driver::{with_l2, StepDriver};
use crate::error::{Result, SettingChecks};
use crate::optimizer::Optimizer;
use crate::param_groups::ParamGroup;
use crate::state::{saved_buffer, BufferState, ParamState};
use crate::weight_decay::WeightDecay;

/// Settings of [`Adagrad`]; PyTorch: `torch.optim.Adagrad(params, lr=0.01,
/// lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)`.
///
/// ```
/// use wengert_optim::{Adagrad, AdagradConfig};
/// let opt: Adagrad<f64> = AdagradConfig::new(0.4).build();
/// # let _ = opt;
/// ```
#[derive(Clone, Debug)]
pub struct AdagradConfig {
    lr: f64,
    lr_decay: f64,
    eps: f64,
    initial_accumulator_value: f64,
    weight_decay: WeightDecay,
    groups: Vec<ParamGroup>,
}

impl AdagradConfig {
    /// AdaGrad with learning rate `lr` and PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        AdagradConfig {
            lr,
            lr_decay: 0.0,
            eps: 1e-10,
            initial_accumulator_value: 0.0,
            weight_decay: WeightDecay::None,
            groups: Vec::new(),
        }
    }

    /// Learning-rate decay: step `t` uses `lr / (1 + (t - 1) * lr_decay)`.
    pub fn lr_decay(mut self, lr_decay: f64) -> Self {
        self.lr_decay = lr_decay;
        self
    }

    /// Added to `sqrt(s)` in the denominator (default 1e-10).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Starting value of the sum of squares `s` (default 0).
    pub fn initial_accumulator_value(mut self, value: f64) -> Self {
        self.initial_accumulator_value = value;
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
    pub fn try_build<T: Float>(self) -> Result<Adagrad<T>> {
        let check = SettingChecks::new("Adagrad");
        check.non_negative("lr_decay", self.lr_decay)?;
        check.non_negative("eps", self.eps)?;
        check.non_negative("initial_accumulator_value", self.initial_accumulator_value)?;
        Ok(Adagrad {
            lr_decay: self.lr_decay,
            eps: self.eps,
            initial_accumulator_value: self.initial_accumulator_value,
            driver: StepDriver::new("Adagrad", self.lr, self.weight_decay, self.groups)?,
        })
    }

    /// Panicking form of [`AdagradConfig::try_build`].
    #[track_caller]
    pub fn build<T: Float>(self) -> Adagrad<T> {
        self.try_build().unwrap_or_else(|e| panic!("{e}"))
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

impl<T: Float> BufferState<T> for AdagradState<T> {
    fn step(&self) -> u64 {
        self.step
    }
    fn buffers(&self) -> Vec<(&'static str, &[T])> {
        vec![("sum", &self.sum)]
    }
    fn from_saved(saved: &ParamState<T>, numel: usize) -> Result<Self, String> {
        Ok(AdagradState {
            step: saved.step,
            sum: saved_buffer(saved, "sum", numel)?,
        })
    }
}

/// AdaGrad, built by [`AdagradConfig`]; see the module docs for the update.
#[derive(Clone, Debug)]
pub struct Adagrad<T: Float> {
    lr_decay: f64,
    eps: f64,
    initial_accumulator_value: f64,
    driver: StepDriver<T, AdagradState<T>>,
}

impl<T: Float> Adagrad<T> {
    /// The state of one parameter, if it has been stepped.
    pub fn state_of(&self, id: ParamId) -> Option<&AdagradState<T>> {
        self.driver.state_of(id)
    }
}

impl<T: Float> Optimizer<T> for Adagrad<T> {
    fn name(&self) -> &'static str {
        "Adagrad"
    }

    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let eps = T::from_f64(self.eps);
        let lr_decay = self.lr_decay;
        let init = T::from_f64(self.initial_accumulator_value);
        let fresh = |numel| AdagradState {
            step: 0,
            sum: vec![init; numel],
        };
        self.driver.try_step(part, grads, fresh, |x, g, state, hp| {
            state.step += 1;
            let clr = T::from_f64(hp.lr / (1.0 + (state.step - 1) as f64 * lr_decay));
            let wd = T::from_f64(hp.l2);
            for ((x, &g), s) in x.iter_mut().zip(g).zip(state.sum.iter_mut()) {
                let g = with_l2(g, *x, wd);
                *s += g * g;
                *x -= clr * (g / (s.sqrt() + eps));
            }
        })
    }

    crate::delegate::delegate_to_driver!();
}
