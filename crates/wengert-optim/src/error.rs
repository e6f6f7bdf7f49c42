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
