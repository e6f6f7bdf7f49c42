//! One error type for the crate. Every variant says which layer, loss or
//! file failed and what was expected, so the message alone explains it.

use std::path::PathBuf;

use thiserror::Error;
use wengert_tensor::TensorError;

/// Errors from layers, losses, initialisation and weight files.
#[derive(Debug, Error)]
pub enum NnError {
    /// A tensor op failed (its message names the op and the shapes).
    #[error(transparent)]
    Tensor(#[from] TensorError),

    /// An input whose shape a layer cannot take.
    #[error("{layer}: input of shape {got:?} does not fit: expected {expected}")]
    InputShape {
        /// The layer, with its sizes (`Linear(4 -> 3)`).
        layer: String,
        /// What the layer expects, in words and shapes.
        expected: String,
        /// The shape it was given.
        got: Vec<usize>,
    },

    /// A layer or loss was configured with values outside their domain.
    #[error("{layer}: {why}")]
    InvalidConfig {
        /// The layer or function.
        layer: String,
        /// What was expected.
        why: String,
    },

    /// An error inside one child of a container, with the child's path.
    #[error("in layer `{name}` ({type_name}): {source}")]
    InLayer {
        /// The child's name (`2`, `body.0`).
        name: String,
        /// Its type (`Linear`).
        type_name: &'static str,
        /// What went wrong there.
        source: Box<NnError>,
    },

    /// Targets that do not fit a loss (class index out of range, wrong count).
    #[error("{loss}: {why}")]
    InvalidTarget {
        /// The loss function.
        loss: &'static str,
        /// What was wrong.
        why: String,
    },

    /// A name that matches no parameter and no layer of a module.
    #[error("no parameter or layer named `{name}`; the parameters are: {known}")]
    UnknownName {
        /// The name that was asked for.
        name: String,
        /// The parameter names the module has, comma-separated.
        known: String,
    },

    /// Reading or writing a file failed.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done (`reading weights`).
        what: &'static str,
        /// The system error.
        source: std::io::Error,
    },

    /// A file that is not valid safetensors.
    #[error("{}: not a valid safetensors file: {why}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What the parser reported.
        why: String,
    },

    /// Stored weights that do not fit the model: every problem is listed,
    /// and the model was left unchanged.
    #[error("{}", mismatch_message(origin, problems))]
    WeightsMismatch {
        /// Where the weights came from (a path, or `state dict`).
        origin: String,
        /// One line per problem: missing, unexpected, misshaped, wrong dtype.
        problems: Vec<String>,
    },
}

fn mismatch_message(origin: &str, problems: &[String]) -> String {
    let mut s = format!(
        "{origin}: the weights do not fit the model ({} problem{}; the model was left unchanged):",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        s.push_str("\n  - ");
        s.push_str(p);
    }
    s
}

/// Result with [`NnError`].
pub type Result<T, E = NnError> = std::result::Result<T, E>;

/// Unwraps a result, panicking with the error's message at the caller's
/// location: the panicking forms of `try_` functions.
#[track_caller]
pub(crate) fn or_panic<R>(r: Result<R>) -> R {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}
