//! Metrics: what a model's outputs score against the targets, accumulated
//! over an epoch.
//!
//! A metric is fed one batch at a time ([`Metric::update`]) and asked for
//! its value over everything it saw since the last [`Metric::reset`]. The
//! value is always the full-data value, whatever the batch split: accuracy
//! counts correct examples (not a mean of batch accuracies, which weighs a
//! short last batch like a full one), and the regression errors sum in f64
//! in batch order, so one batch of 100 or ten of 10 give the same bits.
//!
//! - [`Accuracy`], [`TopKAccuracy`] (`classification.rs`): argmax and top-k
//!   of `[N, C]` logits against class targets, or against the argmax of
//!   class-probability targets (what Mixup makes).
//! - [`Mse`], [`Mae`] (`regression.rs`): mean squared and absolute error
//!   against regression targets.
//! - [`ConfusionMatrix`] (`confusion.rs`): counts per (true, predicted)
//!   class, with per-class recall and precision; not a scalar metric.
//!
//! The free functions ([`accuracy`], [`top_k_accuracy`], [`mse`], [`mae`])
//! score one batch on its own.
//!
//! Errors: targets of a kind a metric cannot score, or shapes that do not
//! fit, are [`TrainError::Metric`], naming the
//! metric and both shapes.

mod classification;
mod confusion;
mod regression;

pub use classification::{accuracy, top_k_accuracy, Accuracy, TopKAccuracy};
pub use confusion::ConfusionMatrix;
pub use regression::{mae, mse, Mae, Mse};

use wengert_data::Targets;
use wengert_tensor::{Float, Tensor};

use crate::error::{Result, TrainError};

/// A quantity accumulated over batches: accuracy, mean squared error, ...
///
/// The trainer keeps one copy for training and one for validation (made
/// with [`Metric::fresh`]), resets each at the start of an epoch or an
/// evaluation, updates it with every batch and writes [`Metric::value`]
/// into the [`History`](crate::History) under `train_<name>` and
/// `val_<name>`.
///
/// ```
/// use wengert_data::Targets;
/// use wengert_tensor::Tensor;
/// use wengert_train::{Accuracy, Metric};
///
/// let mut metric = Accuracy::new();
/// // Two batches of logits [N, 3]: the first has 2 of 2 right, the second 1 of 2.
/// let logits = Tensor::from_vec(vec![2.0f32, 0.0, 0.0, 0.0, 0.0, 5.0], &[2, 3]);
/// metric.update(&logits, &Targets::Classes(vec![0, 2])).unwrap();
/// let logits = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 3.0, 0.0, 0.0], &[2, 3]);
/// metric.update(&logits, &Targets::Classes(vec![1, 2])).unwrap();
/// assert_eq!(metric.value(), 0.75); // 3 right of 4 examples
/// assert!(metric.higher_is_better());
/// metric.reset();
/// assert!(metric.value().is_nan()); // nothing seen yet
/// ```
pub trait Metric<T: Float>: Send {
    /// Column name in the history: "accuracy", "top5_accuracy", "mse", "mae".
    fn name(&self) -> String;
    /// Forget what was accumulated (start of an epoch or an evaluation).
    fn reset(&mut self);
    /// Accumulate one batch: `output` is the model's output for the batch
    /// (`[N, C]` logits for classification, `[N, K]` or `[N]` predictions
    /// for regression), `targets` the batch's targets.
    fn update(&mut self, output: &Tensor<T>, targets: &Targets<T>) -> Result<()>;
    /// The value over everything accumulated since the last reset (NaN when
    /// nothing was seen).
    fn value(&self) -> f64;
    /// Whether higher is better (accuracy) or lower (mse): early stopping's
    /// default mode.
    fn higher_is_better(&self) -> bool;
    /// A fresh, reset copy (the trainer keeps one for training and one for
    /// validation).
    fn fresh(&self) -> Box<dyn Metric<T>>;
    /// What was accumulated since the last reset, as numbers, so a
    /// checkpoint taken mid-epoch resumes with the same value
    /// ([`Metric::set_state`] takes it back). The library's metrics give
    /// exact values (counts below 2^53, f64 sums). The default keeps
    /// nothing: such a metric cannot be resumed mid-epoch.
    fn state(&self) -> Vec<f64> {
        Vec::new()
    }
    /// Restores what [`Metric::state`] returned; an error when `state` is
    /// not what this metric writes. The default refuses every state, so a
    /// custom metric without these two methods fails a mid-epoch resume
    /// loudly instead of restarting its sums silently.
    fn set_state(&mut self, state: &[f64]) -> Result<()> {
        let _ = state;
        Err(metric_error(
            &self.name(),
            "keeps no resumable state; implement Metric::state and Metric::set_state to resume mid-epoch".into(),
        ))
    }
}

/// The `[total, count]` state of a metric that sums over examples: checks
/// that `count` is a whole non-negative number before it is trusted.
fn two_number_state(metric: &str, state: &[f64]) -> Result<(f64, u64)> {
    match *state {
        [total, count] if count >= 0.0 && count.fract() == 0.0 && count < 2f64.powi(53) => {
            Ok((total, count as u64))
        }
        _ => Err(metric_error(
            metric,
            format!("expected a saved state [total, count] with a whole count, found {state:?}"),
        )),
    }
}

/// The error of `metric` for the reason `why`.
fn metric_error(metric: &str, why: String) -> TrainError {
    TrainError::Metric {
        metric: metric.to_string(),
        why,
    }
}

/// `numerator / denominator`, NaN for an empty denominator (nothing seen),
/// which is what a metric reports before its first example.
fn ratio(numerator: f64, denominator: u64) -> f64 {
    if denominator == 0 {
        f64::NAN
    } else {
        numerator / denominator as f64
    }
}
