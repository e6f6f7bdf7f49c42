//! # wengert-train
//!
//! The training loop written once: [`Trainer`] fits any wengert-nn module
//! with a wengert-optim optimizer on wengert-data loaders, and keeps a
//! [`History`] of every epoch. Metrics, callbacks (early stopping,
//! checkpoints, schedules), bitwise resume, gradient health, the NaN guard,
//! progress bars and plots are built around it.
#![warn(missing_docs)]

mod error;

pub use error::{Result, TrainError};

pub mod callbacks;
mod checkpoint;
mod evaluate;
mod fit;
pub mod health;
mod json;
mod loss;
mod position;
mod run_state;
mod trainer;

pub use callbacks::{
    Callback, CallbackContext, Checkpoint, EarlyStopping, GradualUnfreeze, HistoryLogger, Mode,
    Plateau, Schedule,
};
pub use health::HealthConfig;
pub use loss::{CrossEntropyLoss, L1Loss, Loss, MseLoss};
pub use position::{EpochTotals, Position};
pub use trainer::{Clip, Evaluation, Trainer};

mod history;
pub mod metrics;
#[cfg(feature = "plot")]
pub mod plot;
mod progress;

pub use history::{EpochRecord, History, StepRecord};
pub use metrics::{Accuracy, ConfusionMatrix, Mae, Metric, Mse, TopKAccuracy};
#[cfg(feature = "plot")]
pub use plot::{plot_grad_norms, plot_learning_curves, plot_lr};
pub use progress::{epoch_summary, Progress};
