//! # wengert-benches
//!
//! Criterion benches of whole training steps, the time a user waits for per
//! batch, where each crate's own `benches/` prices the kernels one by one.
//! Every workload is measured twice in one run:
//!
//! - `train_step/<workload>/trainer`: a step inside
//!   [`wengert_train::Trainer::fit`], which also loads and collates the
//!   batch (prefetched on a worker thread), guards against non-finite values,
//!   takes the gradient norm, records the step, and once per epoch measures
//!   gradient health and writes the epoch's record;
//! - `train_step/<workload>/by_hand`: the same step written against the
//!   tape ([`HandLoop`]): forward, cross-entropy, backward, Adam.
//!
//! so the ratio of the two is what the trainer costs on top of the step.
//! The workloads ([`mlp`], [`cnn`], [`lstm`]) are built of layers that
//! match PyTorch's of the same names and sizes, so their times compare with
//! the same steps written in PyTorch and run on the same machine.
//!
//! ```text
//! cargo bench -p wengert-benches -- --noplot
//! cargo bench -p wengert-benches -- train_step/mlp
//! ```
//!
//! The tests `by_hand_step_matches_the_trainer_on_*` check that the two
//! sides of each bench compute the same update, bitwise.
//!
//! ```
//! use wengert_benches::{mlp, HandLoop, TrainerRun};
//!
//! let workload = mlp(0);
//! let data = workload.random_data(2, 1);
//! let mut run = TrainerRun::new(mlp(0).model, data, workload.batch_size);
//! assert_eq!(run.fit_epochs(1), 2); // one epoch of two batches: two steps
//!
//! let batch = workload.random_data(1, 1);
//! let mut hand = HandLoop::new(workload.model, &batch);
//! assert!(hand.step().is_finite());
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod by_hand;
mod cnn;
mod lstm;
mod mlp;
mod trainer_run;
mod workload;

pub use by_hand::HandLoop;
pub use cnn::cnn;
pub use lstm::{lstm, LstmClassifier};
pub use mlp::mlp;
pub use trainer_run::TrainerRun;
pub use workload::Workload;

use wengert_optim::{Adam, AdamConfig};

/// The optimizer of every workload, on both sides of a bench: Adam with
/// learning rate 1e-3 and PyTorch's defaults (betas 0.9, 0.999, eps 1e-8),
/// as `torch.optim.Adam(params, lr=1e-3)`.
pub fn optimizer() -> Adam<f32> {
    AdamConfig::new(1e-3).build()
}
