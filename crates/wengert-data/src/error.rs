//! One error type for the crate. File errors say which file (or which bytes),
//! where in it, what was expected and what was found, so a message alone is
//! enough to fix the file.

use std::path::PathBuf;

use thiserror::Error;
use wengert_tensor::TensorError;

/// Errors from reading data files, building datasets and splitting them.
#[derive(Debug, Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A dataset's files are not where they were looked for.
    #[error("{dataset}: missing {missing:?} in {dir}; {how_to_get}")]
    MissingFiles {
        /// The dataset, e.g. `"Fashion-MNIST"`.
        dataset: &'static str,
        /// The directory searched.
        dir: PathBuf,
        /// The file names not found there.
        missing: Vec<String>,
        /// How to install or download them.
        how_to_get: String,
    },
    /// A gzip stream that does not decompress.
    #[error("{source_name}: gzip data is corrupt or truncated: {why}")]
    Gzip {
        /// The file (or `"<bytes>"` when parsing memory).
        source_name: String,
        /// What the decoder said.
        why: String,
    },
    /// An IDX file (the MNIST format) that does not follow the format.
    #[error("{source_name}: IDX byte {offset}: expected {expected}, found {found}")]
    Idx {
        /// The file (or `"<bytes>"`).
        source_name: String,
        /// Byte offset in the (decompressed) file where the problem is.
        offset: usize,
        /// What the format requires there.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// A delimited-text table with a bad cell, row or header.
    #[error("{source_name}: line {line}, column {column}: expected {expected}, found {found}")]
    Table {
        /// The file (or `"<bytes>"`).
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number (0 when the problem is the whole line).
        column: usize,
        /// What was expected.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// Two parts of a dataset that must agree do not (label count vs image
    /// count, feature count vs target count, ...).
    #[error("{what}: {why}")]
    Mismatch {
        /// What was being built.
        what: String,
        /// What disagrees, with both numbers.
        why: String,
    },
    /// An argument out of its domain (fractions that do not sum to one,
    /// `k` larger than the dataset, an unknown column name, ...).
    #[error("{op}: {why}")]
    InvalidArgument {
        /// The function that was called.
        op: &'static str,
        /// What was expected.
        why: String,
    },
    /// An error from the tensor crate.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// A target class distribution asks for a class that has no example,
    /// so no sampler or resampler can give it its share.
    #[error("{op}: class {class} has target share {share} but no example in the labels; give it share 0 or add examples of it")]
    EmptyTargetClass {
        /// The function that was called.
        op: &'static str,
        /// The class without examples.
        class: usize,
        /// Its share in the target distribution.
        share: f64,
    },
}

/// Result with [`DataError`].
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// Panics with the error's message; the panicking forms of `try_` functions
/// use it so both say the same thing.
#[track_caller]
pub(crate) fn or_panic<V>(result: Result<V>) -> V {
    result.unwrap_or_else(|e| panic!("{e}"))
}
