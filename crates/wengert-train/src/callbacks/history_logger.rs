//! Writes the history to a file after every epoch, so a long run can be
//! followed (and plotted) while it goes, and a crash loses at most one
//! epoch of it.

use std::path::PathBuf;

use wengert_tensor::Float;

use super::{Callback, CallbackContext};
use crate::error::Result;
use crate::history::EpochRecord;

/// Saves the history to `path` after every epoch: CSV for a `.csv` path,
/// JSON otherwise (both written atomically, see [`crate::History`]).
///
/// ```
/// use wengert_train::HistoryLogger;
/// let logger = HistoryLogger::new("runs/mlp/history.csv");
/// # let _ = logger;
/// ```
#[derive(Clone, Debug)]
pub struct HistoryLogger {
    path: PathBuf,
}

impl HistoryLogger {
    /// Logs to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        HistoryLogger { path: path.into() }
    }
}

impl<T: Float> Callback<T> for HistoryLogger {
    fn name(&self) -> String {
        format!("history_logger_{}", self.path.display())
    }

    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, T>,
        _record: &EpochRecord,
    ) -> Result<()> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(crate::checkpoint::io("creating", parent))?;
        }
        if self.path.extension().is_some_and(|e| e == "csv") {
            ctx.history.save_csv(&self.path)
        } else {
            ctx.history.save_json(&self.path)
        }
    }
}
