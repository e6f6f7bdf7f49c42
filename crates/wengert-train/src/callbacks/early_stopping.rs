//! Early stopping: stop when a monitored column has not improved for
//! `patience` epochs, and give the model back its best epoch's weights (the
//! text's remedy for overfitting when more epochs only fit the noise).

use std::path::Path;

use serde::{Deserialize, Serialize};
use wengert_nn::{
    load_state_dict, read_state_dict, state_dict, write_state_dict, StateDict, WeightDtype,
};
use wengert_tensor::Float;

use super::{improves, monitored, Callback, CallbackContext, Mode};
use crate::error::Result;
use crate::history::EpochRecord;
use crate::json;

/// Stops the run when `monitor` has not improved by more than `min_delta`
/// for `patience` epochs in a row; with `restore_best` (the default), the
/// model ends with the weights (and batch-norm statistics) of its best
/// epoch, whether the run stopped early or used all its epochs.
///
/// Keras: `EarlyStopping(monitor, min_delta, patience, mode,
/// restore_best_weights)`.
///
/// ```
/// use wengert_train::{EarlyStopping, Mode};
/// let stop = EarlyStopping::new("val_accuracy").patience(5).min_delta(1e-3).mode(Mode::Max);
/// # let _: EarlyStopping<f32> = stop;
/// ```
pub struct EarlyStopping<T: Float> {
    monitor: String,
    mode: Mode,
    patience: usize,
    min_delta: f64,
    restore_best: bool,
    state: StopState,
    best_weights: Option<StateDict<T>>,
}

/// What must survive a resume.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct StopState {
    #[serde(with = "json::option_f64")]
    best: Option<f64>,
    best_epoch: usize,
    wait: usize,
}

impl<T: Float> EarlyStopping<T> {
    /// Watches `monitor` (`val_loss`, `val_accuracy`, ...), patience 3,
    /// mode [`Mode::Auto`], min-delta 0, restoring the best weights.
    pub fn new(monitor: impl Into<String>) -> Self {
        EarlyStopping {
            monitor: monitor.into(),
            mode: Mode::Auto,
            patience: 3,
            min_delta: 0.0,
            restore_best: true,
            state: StopState::default(),
            best_weights: None,
        }
    }

    /// Epochs without improvement tolerated before stopping.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// How much better a value must be to count as an improvement.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// Whether lower or higher is better.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether the model gets its best epoch's weights back at the end.
    pub fn restore_best(mut self, restore: bool) -> Self {
        self.restore_best = restore;
        self
    }

    /// The best epoch so far (1-based; 0 before any).
    pub fn best_epoch(&self) -> usize {
        self.state.best_epoch
    }
}

impl<T: Float> Callback<T> for EarlyStopping<T> {
    fn name(&self) -> String {
        format!("early_stopping_{}", self.monitor)
    }

    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, T>,
        record: &EpochRecord,
    ) -> Result<()> {
        let value = monitored(record, &self.monitor, "EarlyStopping")?;
        let higher = self.mode.higher_is_better(&self.monitor);
        if improves(value, self.state.best, self.min_delta, higher) {
            self.state.best = Some(value);
            self.state.best_epoch = record.epoch;
            self.state.wait = 0;
            if self.restore_best {
                // A snapshot shares the tensors' storage (copy on write), so
                // keeping it costs no copy.
                self.best_weights = Some(state_dict(&*ctx.model));
            }
        } else {
            self.state.wait += 1;
            if self.state.wait >= self.patience {
                ctx.request_stop(format!(
                    "early stopping: `{}` has not improved for {} epochs (best {} at epoch {})",
                    self.monitor,
                    self.state.wait,
                    self.state.best.unwrap_or(f64::NAN),
                    self.state.best_epoch
                ));
            }
        }
        Ok(())
    }

    fn on_fit_end(&mut self, ctx: &mut CallbackContext<'_, T>) -> Result<()> {
        let last = ctx.history.epochs.last().map(|r| r.epoch);
        if let (Some(best), true) = (&self.best_weights, last != Some(self.state.best_epoch)) {
            load_state_dict(&mut *ctx.model, best)?;
        }
        Ok(())
    }

    fn save_state(&self, dir: &Path) -> Result<()> {
        json::write(&dir.join("state.json"), &self.state)?;
        if let Some(best) = &self.best_weights {
            let path = dir.join("best_weights.safetensors");
            write_state_dict(best, &path, WeightDtype::of::<T>())?;
            crate::checkpoint::sync_file(&path)?;
        }
        Ok(())
    }

    fn load_state(&mut self, dir: &Path) -> Result<()> {
        let state: StopState = json::read(&dir.join("state.json"))?;
        let path = dir.join("best_weights.safetensors");
        self.best_weights = if path.is_file() {
            Some(read_state_dict(&path)?)
        } else {
            None
        };
        self.state = state;
        Ok(())
    }
}
