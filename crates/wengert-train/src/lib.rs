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
