//! One error type for the crate: it wraps the member crates' errors and adds
//! what training itself can meet (a non-finite loss, a checkpoint that does
//! not fit, a bad history file), each naming where and why.

use std::path::PathBuf;

use thiserror::Error;

/// Errors from training, evaluation, checkpoints, histories and plots.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A layer or loss refused its input (wrong shape, ...).
    #[error(transparent)]
    Nn(#[from] wengert_nn::NnError),
    /// An optimizer step, clipping or state load failed.
    #[error(transparent)]
    Optim(#[from] wengert_optim::OptimError),
    /// Reading data failed.
    #[error(transparent)]
    Data(#[from] wengert_data::DataError),
    /// A tensor op refused its input.
    #[error(transparent)]
    Tensor(#[from] wengert_tensor::TensorError),
    /// Reading or writing a file failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`writing checkpoint`, `reading history`).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// A file that is not what it should be: what was expected, and where.
    #[error("{}: {why}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        why: String,
    },
    /// A loss, gradient or parameter became NaN or infinite.
    #[error("{what} is not finite at epoch {epoch}, step {step}: {detail}")]
    NonFinite {
        /// `loss`, `gradient of 0.weight`, ...
        what: String,
        /// The epoch (1-based) in which it happened.
        epoch: usize,
        /// The optimizer step (1-based) in which it happened.
        step: usize,
        /// Where it came from: the first op and the layer that produced it.
        detail: String,
    },
    /// A checkpoint that does not fit the run it is loaded into.
    #[error("checkpoint {}: {why}", path.display())]
    Checkpoint {
        /// The checkpoint directory.
        path: PathBuf,
        /// What does not fit.
        why: String,
    },
    /// A metric given targets it cannot score (regression targets to
    /// accuracy, a shape that does not match).
    #[error("metric {metric}: {why}")]
    Metric {
        /// The metric's name.
        metric: String,
        /// What was expected.
        why: String,
    },
    /// A setting of the trainer or a callback that cannot work.
    #[error("{what}: {why}")]
    Config {
        /// The trainer or callback.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A search space, cross-validation plan, sweep or job file that cannot
    /// work (an empty axis, k above the example count, a job index out of
    /// range, a result of another job file).
    #[error("{what}: {why}")]
    Selection {
        /// The thing refused (`Grid`, `CrossValidation`, `job file`, ...).
        what: &'static str,
        /// What is wrong, with the offending values.
        why: String,
    },
    /// The sealed test set was asked for a second evaluation.
    #[error("the sealed test set was already evaluated once ({first}); a second evaluation is refused because choosing or tuning anything by the test set turns it into a validation set and its score stops estimating the error on unseen data: choose by validation or K-fold, and evaluate the test set once at the end")]
    TestSetSpent {
        /// What the first evaluation gave (loss and metrics).
        first: String,
    },
    /// Merging a sweep whose results are not all there.
    #[error("sweep results in {}: missing job(s) {} of {total}; run them (`--job N`) and merge again", dir.display(), list_indices(missing))]
    MissingJobs {
        /// The results folder.
        dir: PathBuf,
        /// The job indices without a result, in order.
        missing: Vec<usize>,
        /// How many jobs the job file lists.
        total: usize,
    },
}

/// `0, 3, 4` for the message of [`TrainError::MissingJobs`].
fn list_indices(indices: &[usize]) -> String {
    let text: Vec<String> = indices.iter().map(usize::to_string).collect();
    text.join(", ")
}

/// Result with [`TrainError`].
pub type Result<T, E = TrainError> = std::result::Result<T, E>;
