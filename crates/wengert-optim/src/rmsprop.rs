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

use wengert_tensor::{Float, Grads, ParamId, Parameters};

use crate::driver::{with_l2, StepDriver};
use crate::error::{Result, SettingChecks};
use crate::optimizer::Optimizer;
use crate::param_groups::ParamGroup;
use crate::state::{optional_saved_buffer, saved_buffer, BufferState, ParamState};
use crate::weight_decay::WeightDecay;

/// Settings of [`RmsProp`]; PyTorch: `torch.optim.RMSprop(params, lr=0.01,
/// alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)`.
///
/// ```
/// use wengert_optim::{RmsProp, RmsPropConfig};
/// let opt: RmsProp<f32> = RmsPropConfig::new(0.01).alpha(0.9).centered(true).build();
/// # let _ = opt;
/// ```
#[derive(Clone, Debug)]
pub struct RmsPropConfig {
    lr: f64,
    alpha: f64,
    eps: f64,
    momentum: f64,
    centered: bool,
    weight_decay: WeightDecay,
    groups: Vec<ParamGroup>,
}

impl RmsPropConfig {
    /// RMSProp with learning rate `lr` and PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        RmsPropConfig {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            centered: false,
            weight_decay: WeightDecay::None,
            groups: Vec::new(),
        }
    }

    /// Smoothing constant of the squared-gradient average (the text's gamma,
    /// default 0.99).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Added to the square root in the denominator (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Momentum on the normalised gradient (default 0: none).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Divide by the centred second moment (an estimate of the variance).
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
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
    pub fn try_build<T: Float>(self) -> Result<RmsProp<T>> {
        let check = SettingChecks::new("RMSprop");
        check.below_one("alpha", self.alpha)?;
        check.below_one("momentum", self.momentum)?;
        check.non_negative("eps", self.eps)?;
        Ok(RmsProp {
            alpha: self.alpha,
            eps: self.eps,
            momentum: self.momentum,
            centered: self.centered,
            driver: StepDriver::new("RMSprop", self.lr, self.weight_decay, self.groups)?,
        })
    }

    /// Panicking form of [`RmsPropConfig::try_build`].
    #[track_caller]
    pub fn build<T: Float>(self) -> RmsProp<T> {
        self.try_build().unwrap_or_else(|e| panic!("{e}"))
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
    /// Momentum buffer `b` (momentum > 0 only).
    pub momentum_buffer: Option<Vec<T>>,
}

impl<T: Float> BufferState<T> for RmsPropState<T> {
    fn step(&self) -> u64 {
        self.step
    }
    fn buffers(&self) -> Vec<(&'static str, &[T])> {
        let mut out = vec![("square_avg", self.square_avg.as_slice())];
        if let Some(m) = &self.grad_avg {
            out.push(("grad_avg", m));
        }
        if let Some(b) = &self.momentum_buffer {
            out.push(("momentum_buffer", b));
        }
        out
    }
    fn from_saved(saved: &ParamState<T>, numel: usize) -> Result<Self, String> {
        Ok(RmsPropState {
            step: saved.step,
            square_avg: saved_buffer(saved, "square_avg", numel)?,
            grad_avg: optional_saved_buffer(saved, "grad_avg", numel)?,
            momentum_buffer: optional_saved_buffer(saved, "momentum_buffer", numel)?,
        })
    }
}

/// Scalars of one RMSProp update.
#[derive(Clone, Copy)]
struct RmsStep<T> {
    lr: T,
    wd: T,
    alpha: T,
    one_minus_alpha: T,
    eps: T,
    momentum: T,
}

/// The update of the module docs over one parameter; `m` (gradient average)
/// is used only when `CENTERED`, `b` (momentum buffer) only with `MOMENTUM`.
#[inline(always)]
fn rmsprop_loop<T: Float, const CENTERED: bool, const MOMENTUM: bool>(
    x: &mut [T],
    g: &[T],
    v: &mut [T],
    m: &mut [T],
    b: &mut [T],
    k: RmsStep<T>,
) {
    let n = x.len();
    // Equal lengths up front let the compiler drop the bounds checks.
    let (g, v) = (&g[..n], &mut v[..n]);
    let m = if CENTERED { &mut m[..n] } else { m };
    let b = if MOMENTUM { &mut b[..n] } else { b };
    for i in 0..n {
        let gi = with_l2(g[i], x[i], k.wd);
        v[i] = v[i] * k.alpha + k.one_minus_alpha * gi * gi;
        let avg = if CENTERED {
            // PyTorch's lerp: m + (1 - alpha) * (g - m).
            m[i] = m[i] + k.one_minus_alpha * (gi - m[i]);
            (v[i] - m[i] * m[i]).sqrt() + k.eps
        } else {
            v[i].sqrt() + k.eps
        };
        if MOMENTUM {
            b[i] = b[i] * k.momentum + gi / avg;
            x[i] -= k.lr * b[i];
        } else {
            x[i] -= k.lr * (gi / avg);
        }
    }
}

/// RMSProp (plain, centered, with or without momentum), built by
/// [`RmsPropConfig`]; see the module docs for the update.
#[derive(Clone, Debug)]
pub struct RmsProp<T: Float> {
    alpha: f64,
    eps: f64,
    momentum: f64,
    centered: bool,
    driver: StepDriver<T, RmsPropState<T>>,
}

impl<T: Float> RmsProp<T> {
    /// The state of one parameter, if it has been stepped.
    pub fn state_of(&self, id: ParamId) -> Option<&RmsPropState<T>> {
        self.driver.state_of(id)
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn name(&self) -> &'static str {
        "RMSprop"
    }

    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        let alpha = T::from_f64(self.alpha);
        let one_minus_alpha = T::from_f64(1.0 - self.alpha);
        let eps = T::from_f64(self.eps);
        let momentum = T::from_f64(self.momentum);
        let (centered, with_momentum) = (self.centered, self.momentum > 0.0);
        let fresh = |numel| RmsPropState {
            step: 0,
            square_avg: vec![T::zero(); numel],
            grad_avg: centered.then(|| vec![T::zero(); numel]),
            momentum_buffer: with_momentum.then(|| vec![T::zero(); numel]),
        };
        self.driver.try_step(part, grads, fresh, |x, g, state, hp| {
            state.step += 1;
            let lr = T::from_f64(hp.lr);
            let wd = T::from_f64(hp.l2);
            // A state restored from a run with other settings may lack a buffer.
            let n = x.len();
            let grad_avg =
                centered.then(|| state.grad_avg.get_or_insert_with(|| vec![T::zero(); n]));
            let buf = with_momentum.then(|| {
                state
                    .momentum_buffer
                    .get_or_insert_with(|| vec![T::zero(); n])
            });
            let m = grad_avg.map(|m| m.as_mut_slice()).unwrap_or_default();
            let b = buf.map(|b| b.as_mut_slice()).unwrap_or_default();
            let v = state.square_avg.as_mut_slice();
            let k = RmsStep {
                lr,
                wd,
                alpha,
                one_minus_alpha,
                eps,
                momentum,
            };
            // One loop per case, so each compiles to straight-line code.
            match (centered, with_momentum) {
                (false, false) => rmsprop_loop::<T, false, false>(x, g, v, m, b, k),
                (false, true) => rmsprop_loop::<T, false, true>(x, g, v, m, b, k),
                (true, false) => rmsprop_loop::<T, true, false>(x, g, v, m, b, k),
                (true, true) => rmsprop_loop::<T, true, true>(x, g, v, m, b, k),
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
