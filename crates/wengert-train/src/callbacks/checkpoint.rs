//! Saving checkpoints as a run goes: the last state every epoch (or every
//! n steps), and the best one by a monitored column.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wengert_tensor::Float;

use super::{improves, monitored, Callback, CallbackContext, Mode};
use crate::error::Result;
use crate::history::{EpochRecord, StepRecord};
use crate::json;

/// Saves checkpoints of the whole run under `dir`: `dir/last` after every
/// epoch (and every `every_steps` steps when set), and `dir/best` whenever
/// the monitored column improves. Each is replaced atomically, so a crash
/// during a write leaves the previous one loadable; resume with
/// [`crate::Trainer::resume`].
///
/// ```
/// use wengert_train::Checkpoint;
/// let ckpt = Checkpoint::new("runs/mlp").best("val_accuracy").every_steps(500);
/// # let _ = ckpt;
/// ```
#[derive(Clone, Debug)]
pub struct Checkpoint {
    dir: PathBuf,
    last: bool,
    best: Option<(String, Mode)>,
    every_steps: Option<usize>,
    state: BestState,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct BestState {
    #[serde(with = "json::option_f64")]
    best: Option<f64>,
}

impl Checkpoint {
    /// Saves `dir/last` after every epoch.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Checkpoint {
            dir: dir.into(),
            last: true,
            best: None,
            every_steps: None,
            state: BestState::default(),
        }
    }

    /// Also saves `dir/best` when `monitor` improves (mode
    /// [`Mode::Auto`]).
    pub fn best(self, monitor: impl Into<String>) -> Self {
        self.best_with_mode(monitor, Mode::Auto)
    }

    /// [`Checkpoint::best`] with an explicit mode.
    pub fn best_with_mode(mut self, monitor: impl Into<String>, mode: Mode) -> Self {
        self.best = Some((monitor.into(), mode));
        self
    }

    /// Whether `dir/last` is saved (on by default; off keeps only the best).
    pub fn last(mut self, last: bool) -> Self {
        self.last = last;
        self
    }

    /// Also saves `dir/last` every `steps` optimizer steps, mid-epoch
    /// included.
    pub fn every_steps(mut self, steps: usize) -> Self {
        self.every_steps = Some(steps.max(1));
        self
    }

    /// The folder of the last checkpoint.
    pub fn last_dir(&self) -> PathBuf {
        self.dir.join("last")
    }

    /// The folder of the best checkpoint.
    pub fn best_dir(&self) -> PathBuf {
        self.dir.join("best")
    }
}

impl<T: Float> Callback<T> for Checkpoint {
    fn name(&self) -> String {
        format!("checkpoint_{}", self.dir.display())
    }

    fn on_step_end(&mut self, ctx: &mut CallbackContext<'_, T>, step: &StepRecord) -> Result<()> {
        if let Some(n) = self.every_steps {
            if self.last && step.step % n == 0 {
                ctx.request_checkpoint(self.last_dir());
            }
        }
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, T>,
        record: &EpochRecord,
    ) -> Result<()> {
        if let Some((monitor, mode)) = &self.best {
            let value = monitored(record, monitor, "Checkpoint")?;
            if improves(value, self.state.best, 0.0, mode.higher_is_better(monitor)) {
                self.state.best = Some(value);
                ctx.request_checkpoint(self.best_dir());
            }
        }
        if self.last {
            ctx.request_checkpoint(self.last_dir());
        }
        Ok(())
    }

    fn save_state(&self, dir: &Path) -> Result<()> {
        json::write(&dir.join("state.json"), &self.state)
    }

    fn load_state(&mut self, dir: &Path) -> Result<()> {
        self.state = json::read(&dir.join("state.json"))?;
        Ok(())
    }
}
