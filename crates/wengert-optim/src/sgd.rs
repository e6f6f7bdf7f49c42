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
//! Coupled L2 weight decay adds `wd * x` to `g` before everything else.

use wengert_tensor::{Float, Grads, ParamId, Parameters};

use crate::driver::{with_l2, StepDriver};
use crate::error::{Result, SettingChecks};
use crate::optimizer::Optimizer;
use crate::param_groups::ParamGroup;
use crate::state::{optional_saved_buffer, BufferState, ParamState};
use crate::weight_decay::WeightDecay;

/// Settings of [`Sgd`]; PyTorch: `torch.optim.SGD(params, lr, momentum,
/// dampening, weight_decay, nesterov)` with the same defaults (all zero).
///
/// ```
/// use wengert_optim::{Sgd, SgdConfig};
/// let sgd: Sgd<f32> = SgdConfig::new(0.4).momentum(0.5).nesterov(true).build();
/// # let _ = sgd;
/// ```
#[derive(Clone, Debug)]
pub struct SgdConfig {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: WeightDecay,
    groups: Vec<ParamGroup>,
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        SgdConfig {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: WeightDecay::None,
            groups: Vec::new(),
        }
    }

    /// Momentum factor in `[0, 1)` (0: none).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Dampening of the gradient in the momentum buffer, `(1 - dampening) * g`.
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }

    /// Nesterov momentum (needs momentum > 0 and dampening 0, as in PyTorch).
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
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
    pub fn try_build<T: Float>(self) -> Result<Sgd<T>> {
        let check = SettingChecks::new("SGD");
        check.below_one("momentum", self.momentum)?;
        check.at_most_one("dampening", self.dampening)?;
        if self.nesterov && (self.momentum == 0.0 || self.dampening != 0.0) {
            return Err(check.invalid(format!(
                "Nesterov momentum needs momentum > 0 and dampening 0, got momentum {} and dampening {}",
                self.momentum, self.dampening
            )));
        }
        Ok(Sgd {
            momentum: self.momentum,
            dampening: self.dampening,
            nesterov: self.nesterov,
            driver: StepDriver::new("SGD", self.lr, self.weight_decay, self.groups)?,
        })
    }

    /// Panicking form of [`SgdConfig::try_build`].
    #[track_caller]
    pub fn build<T: Float>(self) -> Sgd<T> {
        self.try_build().unwrap_or_else(|e| panic!("{e}"))
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

impl<T: Float> BufferState<T> for SgdState<T> {
    fn step(&self) -> u64 {
        self.step
    }
    fn buffers(&self) -> Vec<(&'static str, &[T])> {
        self.momentum_buffer
            .iter()
            .map(|b| ("momentum_buffer", b.as_slice()))
            .collect()
    }
    fn from_saved(saved: &ParamState<T>, numel: usize) -> Result<Self, String> {
        Ok(SgdState {
            momentum_buffer: optional_saved_buffer(saved, "momentum_buffer", numel)?,
            step: saved.step,
        })
    }
}

/// Stochastic gradient descent with optional momentum, Nesterov momentum,
/// dampening and weight decay; built by [`SgdConfig`]. See the module docs
/// for the equations.
#[derive(Clone, Debug)]
pub struct Sgd<T: Float> {
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    driver: StepDriver<T, SgdState<T>>,
}

impl<T: Float> Sgd<T> {
    /// The state of one parameter, if it has been stepped.
    pub fn state_of(&self, id: ParamId) -> Option<&SgdState<T>> {
        self.driver.state_of(id)
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn name(&self) -> &'static str {
        "SGD"
    }

    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let momentum = T::from_f64(self.momentum);
        let keep = T::from_f64(1.0 - self.dampening);
        let nesterov = self.nesterov;
        let fresh = |_numel| SgdState {
            momentum_buffer: None,
            step: 0,
        };
        self.driver.try_step(part, grads, fresh, |x, g, state, hp| {
            state.step += 1;
            let lr = T::from_f64(hp.lr);
            let wd = T::from_f64(hp.l2);
            if momentum == T::zero() {
                for (x, &g) in x.iter_mut().zip(g) {
                    *x -= lr * with_l2(g, *x, wd);
                }
                return;
            }
            match &mut state.momentum_buffer {
                None => {
                    // First step: b = g, without dampening.
                    let mut b = Vec::with_capacity(x.len());
                    for (x, &g) in x.iter_mut().zip(g) {
                        let g = with_l2(g, *x, wd);
                        let d = if nesterov { g + momentum * g } else { g };
                        b.push(g);
                        *x -= lr * d;
                    }
                    state.momentum_buffer = Some(b);
                }
                Some(b) => {
                    let k = MomentumStep {
                        lr,
                        momentum,
                        keep,
                        wd,
                    };
                    // One loop per case, so each compiles to straight-line
                    // vector code.
                    match (nesterov, wd == T::zero()) {
                        (false, true) => momentum_loop::<T, false, false>(x, g, b, k),
                        (false, false) => momentum_loop::<T, false, true>(x, g, b, k),
                        (true, true) => momentum_loop::<T, true, false>(x, g, b, k),
                        (true, false) => momentum_loop::<T, true, true>(x, g, b, k),
                    }
                }
            }
        })
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        if self.momentum == 0.0 {
            return false;
        }
        self.momentum = momentum;
        true
    }

    crate::delegate::delegate_to_driver!();
}

/// Scalars of one momentum update.
#[derive(Clone, Copy)]
struct MomentumStep<T> {
    lr: T,
    momentum: T,
    keep: T,
    wd: T,
}

/// `b <- momentum * b + (1 - dampening) * g; x <- x - lr * d` with
/// `d = b` or, Nesterov, `d = g + momentum * b`; `g` includes `wd * x` when
/// `L2`.
#[inline(always)]
fn momentum_loop<T: Float, const NESTEROV: bool, const L2: bool>(
    x: &mut [T],
    g: &[T],
    b: &mut [T],
    k: MomentumStep<T>,
) {
    for ((x, &g), b) in x.iter_mut().zip(g).zip(b.iter_mut()) {
        let g = if L2 { g + k.wd * *x } else { g };
        *b = *b * k.momentum + k.keep * g;
        let d = if NESTEROV { g + k.momentum * *b } else { *b };
        *x -= k.lr * d;
    }
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
