//! One error type for the whole crate. Every shape variant names the op that
//! failed and the shapes involved, so a message alone tells what went wrong.

use thiserror::Error;

/// Errors from tensor construction, shape checks and autodiff.
///
/// Ops have a panicking form (for formulas that read like math) and a
/// `try_` form returning this error; both carry the same message (see
/// "Errors" in the crate documentation).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TensorError {
    /// Two operands whose shapes do not fit together.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible: {why}")]
    ShapeMismatch {
        /// The op that was called.
        op: &'static str,
        /// Shape of the first operand.
        lhs: Vec<usize>,
        /// Shape of the second operand.
        rhs: Vec<usize>,
        /// What was expected of them.
        why: String,
    },
    /// An axis outside `-ndim..ndim` (negative axes count from the back).
    #[error("{op}: axis {axis} is out of range for shape {shape:?} ({})", axis_range(.ndim))]
    AxisOutOfRange {
        /// The op that was called.
        op: &'static str,
        /// The axis that was given, as the caller wrote it (-1 is the last).
        axis: isize,
        /// Shape of the tensor.
        shape: Vec<usize>,
        /// How many axes the op could address: the tensor's dimensions, one
        /// more for `unsqueeze` (a new axis may go last), and 1 for a 0-d
        /// tensor in the ops that, as in PyTorch, treat it as having one axis.
        ndim: usize,
    },
    /// A shape that is wrong on its own (wrong element count, bad index, ...).
    #[error("{op}: shape {shape:?}: {why}")]
    InvalidShape {
        /// The op that was called.
        op: &'static str,
        /// The offending shape.
        shape: Vec<usize>,
        /// What was expected.
        why: String,
    },
    /// An argument other than a shape is out of its domain.
    #[error("{op}: {why}")]
    InvalidArgument {
        /// The op that was called.
        op: &'static str,
        /// What was expected.
        why: String,
    },
    /// A backward rule returned a gradient whose shape is not its input's.
    #[error("backward of {op} (node {node}): gradient for input {input} has shape {got:?}, expected {expected:?}")]
    GradientShape {
        /// The op whose rule misbehaved.
        op: &'static str,
        /// The node id of the op.
        node: usize,
        /// Which input of the op.
        input: usize,
        /// Shape the rule returned.
        got: Vec<usize>,
        /// Shape of that input.
        expected: Vec<usize>,
    },
    /// A second derivative was asked of an op whose backward is a fused kernel.
    #[error("{op}: backward is a fused kernel and has no second derivative; use the composed form ({composed}) to differentiate twice")]
    NotTwiceDifferentiable {
        /// The fused op.
        op: &'static str,
        /// The composed op that can be differentiated twice.
        composed: &'static str,
    },
}

/// The valid axes of an op addressing `ndim` axes, for the message.
fn axis_range(ndim: &usize) -> String {
    match *ndim {
        0 => "a 0-d tensor has no axis here".into(),
        n => format!("valid axes: -{n} to {}", n - 1),
    }
}

/// Result with [`TensorError`].
pub type Result<T, E = TensorError> = std::result::Result<T, E>;
