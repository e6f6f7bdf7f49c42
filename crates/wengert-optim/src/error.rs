//! One error type for the crate. Every variant names the optimizer (or the
//! clipping function) and the parameter involved, so a message alone says
//! what went wrong and where.

use thiserror::Error;

/// Errors from optimizer steps, state loading, clipping and schedules.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OptimError {
    /// A gradient whose shape is not its parameter's.
    #[error("{optimizer}: gradient of parameter `{param}` has shape {grad:?}, but the parameter has shape {expected:?}")]
    GradShape {
        /// The optimizer that was stepping.
        optimizer: &'static str,
        /// The parameter's name.
        param: String,
        /// Shape of the gradient.
        grad: Vec<usize>,
        /// Shape of the parameter.
        expected: Vec<usize>,
    },
    /// Gradients of parameters the stepped model did not list: a module
    /// that hides a child from its visitor would never train it.
    #[error("{optimizer}: the gradients hold {} parameter(s) that the stepped model does not list: {}. A module whose visitor leaves out a child never updates (or saves) it: list it (`#[derive(Module)]` lists every field), or call `step_part` to step part of a model on purpose", params.len(), params.join(", "))]
    UnlistedGradients {
        /// The optimizer that was stepping.
        optimizer: &'static str,
        /// Each unlisted parameter: its name when bound, shape and id.
        params: Vec<String>,
    },
    /// Saved state that does not fit this optimizer or parameter.
    #[error("{optimizer}: cannot load state for parameter `{param}`: {why}")]
    StateMismatch {
        /// The optimizer the state was loaded into.
        optimizer: &'static str,
        /// The parameter (or `*` for the whole state).
        param: String,
        /// What was expected.
        why: String,
    },
    /// A gradient holding NaN or an infinity, found while clipping.
    #[error("{op}: gradient of parameter `{param}` is not finite: element {index} is {value}")]
    NonFiniteGradient {
        /// The clipping function.
        op: &'static str,
        /// The parameter's name, or its id when no name was given.
        param: String,
        /// Flat (row-major) index of the first non-finite element.
        index: usize,
        /// That element (NaN, inf or -inf).
        value: f64,
    },
    /// A schedule stepped again before its optimizer had stepped: it would
    /// run one step ahead of the optimizer from then on.
    #[error("{optimizer}: the learning-rate schedule was stepped before the optimizer (schedule step {schedule_steps}, the optimizer still at {optimizer_steps} steps, as at the schedule's start or its previous step). Call `scheduler.step(&mut opt)` after `opt.step(..)`, as PyTorch's `scheduler.step()` follows `optimizer.step()`; the rate of the first step is set by `start`")]
    ScheduleBeforeStep {
        /// The optimizer the schedule drives.
        optimizer: &'static str,
        /// Steps the schedule had taken.
        schedule_steps: usize,
        /// Steps the optimizer had taken.
        optimizer_steps: u64,
    },
    /// A hyperparameter outside its domain (negative learning rate,
    /// momentum of 1, ...).
    #[error("{op}: {why}")]
    InvalidHyperparameter {
        /// The optimizer, clipping function or schedule.
        op: &'static str,
        /// What was expected.
        why: String,
    },
}

/// Result with [`OptimError`].
pub type Result<T, E = OptimError> = std::result::Result<T, E>;

/// Range checks for an optimizer's settings, one method per rule. Each
/// failure is an [`OptimError::InvalidHyperparameter`] naming the optimizer,
/// the setting and its value, worded the same in every optimizer.
pub(crate) struct SettingChecks {
    op: &'static str,
}

impl SettingChecks {
    pub(crate) fn new(op: &'static str) -> Self {
        SettingChecks { op }
    }

    /// The optimizer the checks are for.
    pub(crate) fn op(&self) -> &'static str {
        self.op
    }

    /// The error for a setting that breaks a rule of its own.
    pub(crate) fn invalid(&self, why: String) -> OptimError {
        OptimError::InvalidHyperparameter { op: self.op, why }
    }

    /// `value` in [0, 1) (a decay rate or momentum; NaN fails).
    pub(crate) fn below_one(&self, name: &str, value: f64) -> Result<()> {
        if (0.0..1.0).contains(&value) {
            Ok(())
        } else {
            Err(self.invalid(format!("{name} must be in [0, 1), got {value}")))
        }
    }

    /// `value` in [0, 1] (NaN fails).
    pub(crate) fn at_most_one(&self, name: &str, value: f64) -> Result<()> {
        if (0.0..=1.0).contains(&value) {
            Ok(())
        } else {
            Err(self.invalid(format!("{name} must be in [0, 1], got {value}")))
        }
    }

    /// A learning rate: finite and >= 0. PyTorch also accepts an infinite
    /// rate, which sends every parameter it steps to an infinity or NaN.
    pub(crate) fn learning_rate(&self, name: &str, value: f64) -> Result<()> {
        if value.is_finite() && value >= 0.0 {
            Ok(())
        } else {
            Err(self.invalid(format!(
                "{name} must be finite and >= 0, got {value} (PyTorch accepts an infinite rate too; wengert refuses it, as it turns every parameter into an infinity or NaN)"
            )))
        }
    }

    /// A momentum factor (SGD, RMSprop) in [0, 1]. PyTorch only asks for
    /// `>= 0`; above 1 the momentum buffer grows geometrically, so wengert
    /// refuses it and says so.
    pub(crate) fn momentum_factor(&self, name: &str, value: f64) -> Result<()> {
        self.unit_interval(name, value, "PyTorch accepts any momentum >= 0; wengert refuses momentum above 1, where the momentum buffer grows geometrically whatever the gradients")
    }

    /// RMSprop's smoothing constant `alpha` in [0, 1]. PyTorch only asks
    /// for `>= 0`; above 1 the new squared gradient gets a negative weight.
    pub(crate) fn smoothing_constant(&self, name: &str, value: f64) -> Result<()> {
        self.unit_interval(name, value, "PyTorch accepts any alpha >= 0; wengert refuses alpha above 1, where the squared gradient enters the average with the negative weight 1 - alpha and its square root turns NaN")
    }

    /// SGD's dampening in [0, 1]. PyTorch does not check it; outside
    /// [0, 1] the gradient enters the momentum buffer with a negative
    /// weight or a weight above 1.
    pub(crate) fn dampening_factor(&self, name: &str, value: f64) -> Result<()> {
        self.unit_interval(name, value, "PyTorch does not check dampening; wengert refuses values outside [0, 1], where the gradient enters the momentum buffer with the weight 1 - dampening below 0 or above 1")
    }

    /// `value` in [0, 1] (NaN fails), with `pytorch` saying in the error
    /// how PyTorch's range differs and why wengert's is narrower.
    fn unit_interval(&self, name: &str, value: f64, pytorch: &str) -> Result<()> {
        if (0.0..=1.0).contains(&value) {
            Ok(())
        } else {
            Err(self.invalid(format!("{name} must be in [0, 1], got {value} ({pytorch})")))
        }
    }

    /// A weight-decay coefficient: finite and >= 0.
    pub(crate) fn weight_decay(&self, weight_decay: crate::WeightDecay) -> Result<()> {
        let wd = weight_decay.coefficient();
        if wd.is_finite() && wd >= 0.0 {
            Ok(())
        } else {
            Err(self.invalid(format!("weight decay must be finite and >= 0, got {wd}")))
        }
    }

    /// `value` >= 0 (NaN fails).
    pub(crate) fn non_negative(&self, name: &str, value: f64) -> Result<()> {
        if value >= 0.0 {
            Ok(())
        } else {
            Err(self.invalid(format!("{name} must be >= 0, got {value}")))
        }
    }
}
