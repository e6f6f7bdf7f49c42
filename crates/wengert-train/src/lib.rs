//! # wengert-train
//!
//! The training loop written once: [`Trainer`] fits any wengert-nn module
//! with a wengert-optim optimizer on wengert-data loaders, and keeps a
//! [`History`] of every epoch. Metrics, callbacks (early stopping,
//! checkpoints, schedules), bitwise resume, gradient health, the NaN guard,
//! progress bars and plots are built around it.
//!
//! Around the trainer sit the text's workflows for choosing a model and for
//! learning from little data:
//!
//! - [`selection`]: K-fold cross-validation (plain and stratified, folds in
//!   parallel with the bits of a serial run), grid and random search, a test
//!   set that can be evaluated only once, and sweeps that run one job per
//!   process on a cluster and merge to the same report.
//! - [`pseudo_label`]: the semi-supervised loop that labels an unlabelled
//!   pool where the model is confident and retrains.
//! - [`layerwise`]: greedy layer-wise autoencoder pretraining of a deep
//!   network before fine-tuning it.
#![warn(missing_docs)]

mod error;

pub use error::{Result, TrainError};

pub mod callbacks;
mod checkpoint;
mod evaluate;
mod fit;
pub mod health;
mod json;
pub mod layerwise;
mod loss;
mod penalty;
mod position;
pub mod pseudo_label;
mod run_state;
pub mod selection;
mod trainer;

pub use callbacks::{
    Callback, CallbackContext, Checkpoint, EarlyStopping, GradualUnfreeze, HistoryLogger, Mode,
    Plateau, Schedule,
};
pub use health::{layer_grad_norms, HealthConfig};
pub use layerwise::{HiddenActivation, LayerPretraining, LayerwiseConfig, LayerwiseReport};
pub use loss::{CrossEntropyLoss, CrossEntropyWith, L1Loss, Loss, MseLoss};
pub use penalty::Penalty;
pub use position::{EpochTotals, Position};
pub use pseudo_label::{
    PseudoLabel, PseudoLabelConfig, PseudoLabelOutcome, PseudoLabelReport, PseudoLabelRound,
    PseudoLabelStop,
};
pub use trainer::{Clip, Evaluation, Trainer};

mod history;
mod metric_values;
pub mod metrics;
#[cfg(feature = "plot")]
pub mod plot;
mod progress;

pub use history::{EpochRecord, History, StepRecord};
pub use metric_values::Metrics;
pub use metrics::{Accuracy, ConfusionMatrix, Mae, Metric, Mse, TopKAccuracy};
#[cfg(feature = "plot")]
pub use plot::{plot_charts, plot_grad_norms, plot_learning_curves, plot_lr};
pub use progress::{epoch_summary, Progress};
