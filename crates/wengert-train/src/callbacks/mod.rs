//! Callbacks: code the trainer calls at the end of each step and epoch, to
//! watch or steer a run without rewriting its loop. The ready ones stop
//! early and restore the best weights ([`EarlyStopping`]), save checkpoints
//! ([`Checkpoint`]), move the learning rate ([`Schedule`], [`Plateau`]),
//! write the history as it grows ([`HistoryLogger`]) and unfreeze
//! pretrained layers one group at a time ([`GradualUnfreeze`]).
//!
//! A callback sees the model and the optimizer through a
//! [`CallbackContext`], and steers the run through requests on it (stop,
//! save a checkpoint), which the trainer carries out after every callback
//! has run, in the order they were added.

mod checkpoint;
mod early_stopping;
mod gradual_unfreeze;
mod history_logger;
mod lr_scheduler;

use std::path::{Path, PathBuf};

use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::Float;

pub use checkpoint::Checkpoint;
pub use early_stopping::EarlyStopping;
pub use gradual_unfreeze::GradualUnfreeze;
pub use history_logger::HistoryLogger;
pub use lr_scheduler::{Plateau, Schedule};

use crate::error::Result;
use crate::history::{EpochRecord, History, StepRecord};
use crate::position::Position;

/// What a callback sees of the run, and what it can ask for.
pub struct CallbackContext<'a, T: Float> {
    /// The model (early stopping restores weights through it).
    pub model: &'a mut dyn Module<T>,
    /// The optimizer (schedules set its learning rate).
    pub optimizer: &'a mut dyn Optimizer<T>,
    /// Everything recorded so far, the epoch just ended included.
    pub history: &'a History,
    /// Where the run is.
    pub position: Position,
    /// The epochs the run was asked for.
    pub epochs: usize,
    requests: &'a mut Requests,
}

/// What the callbacks asked for during one event.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    pub(crate) stop: Option<String>,
    pub(crate) checkpoints: Vec<PathBuf>,
    pub(crate) warnings: Vec<String>,
}

impl<'a, T: Float> CallbackContext<'a, T> {
    pub(crate) fn new(
        model: &'a mut dyn Module<T>,
        optimizer: &'a mut dyn Optimizer<T>,
        history: &'a History,
        position: Position,
        epochs: usize,
        requests: &'a mut Requests,
    ) -> Self {
        CallbackContext {
            model,
            optimizer,
            history,
            position,
            epochs,
            requests,
        }
    }

    /// Stops the run after this event; `why` is reported (and kept as the
    /// trainer's stop reason).
    pub fn request_stop(&mut self, why: impl Into<String>) {
        self.requests.stop.get_or_insert_with(|| why.into());
    }

    /// Adds `message` to the run's warnings ([`crate::Trainer::warnings`],
    /// saved with checkpoints) and prints it on stderr: for what changes the
    /// run and should be in its log (a layer unfrozen, say).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.requests.warnings.push(message.into());
    }

    /// Saves a checkpoint of the whole run into `dir` (replaced atomically)
    /// once every callback has run.
    pub fn request_checkpoint(&mut self, dir: impl AsRef<Path>) {
        self.requests.checkpoints.push(dir.as_ref().to_path_buf());
    }
}

/// Whether lower or higher values of a monitored column are better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Lower is better (a loss, an error).
    Min,
    /// Higher is better (an accuracy).
    Max,
    /// Min for columns that end in `loss`, `mse`, `mae` or `error`, Max for
    /// the others.
    Auto,
}

impl Mode {
    /// Whether higher is better for `column`.
    pub(crate) fn higher_is_better(self, column: &str) -> bool {
        match self {
            Mode::Min => false,
            Mode::Max => true,
            Mode::Auto => !["loss", "mse", "mae", "error"]
                .iter()
                .any(|s| column.ends_with(s)),
        }
    }
}

/// The value of `column` in an epoch's record: `train_loss`, `val_loss`,
/// `train_<metric>`, `val_<metric>`, `lr`, `grad_norm`; an error naming the
/// columns there are otherwise.
pub(crate) fn monitored(record: &EpochRecord, column: &str, what: &'static str) -> Result<f64> {
    let value = match column {
        "train_loss" => Some(record.train_loss),
        "val_loss" => record.val_loss,
        "lr" => Some(record.lr),
        "grad_norm" => Some(record.grad_norm),
        other => other
            .strip_prefix("train_")
            .and_then(|m| record.train_metrics.get(m))
            .or_else(|| {
                other
                    .strip_prefix("val_")
                    .and_then(|m| record.val_metrics.get(m))
            })
            .copied(),
    };
    value.ok_or_else(|| {
        let mut known: Vec<String> = vec!["train_loss".into(), "lr".into(), "grad_norm".into()];
        if record.val_loss.is_some() {
            known.push("val_loss".into());
        }
        known.extend(record.train_metrics.keys().map(|m| format!("train_{m}")));
        known.extend(record.val_metrics.keys().map(|m| format!("val_{m}")));
        crate::error::TrainError::Config {
            what,
            why: format!(
                "monitors `{column}`, which the history does not have (it has: {}; val_* columns \
                 need a validation loader)",
                known.join(", ")
            ),
        }
    })
}

/// Whether `value` improves on `best` by more than `min_delta`.
pub(crate) fn improves(value: f64, best: Option<f64>, min_delta: f64, higher: bool) -> bool {
    match best {
        None => !value.is_nan(),
        Some(best) if higher => value > best + min_delta,
        Some(best) => value < best - min_delta,
    }
}

/// Code run by the trainer at the end of steps and epochs. Every method has
/// a default that does nothing, so a callback writes only what it needs.
///
/// A callback with state that must survive a resume (a patience counter,
/// the best weights) saves it with [`Callback::save_state`] into its own
/// folder of the checkpoint, and reads it back in [`Callback::load_state`].
///
/// ```
/// use wengert_train::{Callback, CallbackContext, EpochRecord, Result};
///
/// /// Stops once the training loss is below a target.
/// struct StopBelow(f64);
///
/// impl Callback<f32> for StopBelow {
///     fn name(&self) -> String {
///         "stop_below".into()
///     }
///     fn on_epoch_end(&mut self, ctx: &mut CallbackContext<'_, f32>, record: &EpochRecord) -> Result<()> {
///         if record.train_loss < self.0 {
///             ctx.request_stop(format!("train loss {} is below {}", record.train_loss, self.0));
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait Callback<T: Float>: Send {
    /// A name unique among the trainer's callbacks: the folder of its state
    /// in a checkpoint.
    fn name(&self) -> String;

    /// Before the first step of `fit` (also of a resumed one).
    fn on_fit_start(&mut self, ctx: &mut CallbackContext<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// After each optimizer step.
    fn on_step_end(&mut self, ctx: &mut CallbackContext<'_, T>, step: &StepRecord) -> Result<()> {
        let _ = (ctx, step);
        Ok(())
    }

    /// After each epoch, once its record (validation included) is in the
    /// history.
    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, T>,
        record: &EpochRecord,
    ) -> Result<()> {
        let _ = (ctx, record);
        Ok(())
    }

    /// When `fit` ends, however it ends short of an error (all epochs done,
    /// or a stop requested).
    fn on_fit_end(&mut self, ctx: &mut CallbackContext<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Writes the callback's state into `dir` (its own folder, created
    /// empty) for a checkpoint.
    fn save_state(&self, dir: &Path) -> Result<()> {
        let _ = dir;
        Ok(())
    }

    /// Reads back what [`Callback::save_state`] wrote.
    fn load_state(&mut self, dir: &Path) -> Result<()> {
        let _ = dir;
        Ok(())
    }
}
