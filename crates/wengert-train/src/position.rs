//! Where a run is, and the running totals of the epoch in progress: what a
//! checkpoint must hold besides weights and optimizer state, so that a run
//! resumed mid-epoch ends bitwise where the uninterrupted one does and
//! reports the same epoch totals.

use serde::{Deserialize, Serialize};

/// The position of a run: the epoch in progress and how far into it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Epochs finished (the epoch in progress is `epoch + 1`, 1-based).
    pub epoch: usize,
    /// Batches of the epoch in progress already trained on.
    pub batch: usize,
    /// Optimizer steps taken in the whole run.
    pub step: usize,
}

/// Sums over the batches of the epoch in progress, from which its record is
/// made when it ends. Sums are kept in f64 in batch order, so a resumed
/// epoch adds the same numbers in the same order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochTotals {
    /// Sum over batches of (mean batch loss x batch size).
    pub loss_sum: f64,
    /// Training examples seen.
    pub examples: usize,
    /// Sum of the global gradient norms (before clipping) of the steps.
    pub grad_norm_sum: f64,
    /// Steps taken in this epoch.
    pub steps: usize,
    /// Seconds spent training (not validating) in this epoch.
    pub train_seconds: f64,
    /// Wall seconds of this epoch spent before the run was saved and
    /// resumed (0 in a run that was not).
    pub earlier_seconds: f64,
    /// The training metrics' accumulated state, by metric name.
    pub metric_states: Vec<(String, Vec<f64>)>,
}

impl EpochTotals {
    /// Mean training loss per example (NaN before any example).
    pub fn mean_loss(&self) -> f64 {
        self.loss_sum / self.examples as f64
    }

    /// Mean gradient norm per step (NaN before any step).
    pub fn mean_grad_norm(&self) -> f64 {
        self.grad_norm_sum / self.steps as f64
    }
}
