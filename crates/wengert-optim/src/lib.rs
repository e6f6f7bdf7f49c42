//! # wengert-optim
//!
//! The optimizers of the text, weight decay both ways, gradient clipping and
//! learning-rate schedules, each matched to PyTorch's numbers (float64
//! trajectories from PyTorch are the crate's golden tests). It depends on
//! `wengert-tensor` only: it reads [`Grads`](wengert_tensor::Grads) and
//! updates [`Param`](wengert_tensor::Param)s in place.
//!
//! ## Reading order
//!
//! 1. [`Optimizer`] (`optimizer.rs`): the trait, and how parameters reach an
//!    optimizer (anything that lists them: a model, a tuple of models, bare
//!    parameters), with the check that no gradient is left out silently.
//! 2. `driver.rs`: the bookkeeping every optimizer shares, written once:
//!    frozen parameters and parameters without gradient are skipped, shapes
//!    are checked before anything changes, each parameter finds its
//!    [`ParamGroup`] (each group with its own base rate, current rate and
//!    overrides, as PyTorch's `param_groups`), `maximize` negates the
//!    gradient, [`WeightDecay`] is applied (coupled or decoupled), state is
//!    kept per parameter id, steps are counted. An optimizer only writes
//!    its update equation, as a function of each element's old value and
//!    gradient.
//! 3. `config.rs`: what every `FooConfig` shares, written once: the
//!    learning rate (the optimizer's base rate), weight decay and groups,
//!    their checks and builder methods, and the one build path. Each
//!    optimizer declares its own settings as a table (doc, PyTorch default,
//!    range rule) that the config, its builder methods and checks come from.
//! 4. The optimizers, simplest first, each one file with its equation and
//!    its paper: [`Sgd`] (with momentum and Nesterov, `sgd.rs`),
//!    [`Adagrad`], [`RmsProp`], [`Adadelta`], [`Adam`] (with AMSGrad), and
//!    AdamW ([`AdamWConfig`]). `FooConfig` builds `Foo`; `FooState` is the
//!    plain per-parameter state.
//! 5. [`OptimizerState`] (`state.rs`): the state as a plain structure, to
//!    save and restore; a restored run continues bitwise.
//! 6. `clip.rs`: [`clip_grad_norm`] (and [`clip_grad_norm_p`] with
//!    PyTorch's `norm_type`: any p-norm, 1, infinity) and
//!    [`clip_grad_value`], which refuse a NaN or infinite gradient and name
//!    its parameter.
//! 7. [`schedule`]: learning-rate schedules as closed-form functions of a
//!    base rate and the step ([`LrSchedule`]), which drive an optimizer
//!    through an [`LrScheduler`] that counts its own steps and works out
//!    each group's rate from that group's base rate, and
//!    [`ReduceLrOnPlateau`] driven by a metric.
//!
//! ## How it is made fast
//!
//! An update reads each element's old value once and writes the new one
//! once. When the parameter's storage is its own, that is in place; when a
//! tape still shares it (stepping before the tape is dropped, the usual
//! loop), the new values go straight into a fresh buffer and the tape keeps
//! the old ones, instead of the parameter being copied first
//! (`Tensor::update_zip`). Each case of an update (weight-decay kind,
//! momentum or not, Nesterov, centered, AMSGrad) is its own loop, so it
//! compiles to straight-line vector code; `driver.rs` says what keeps it so.
//!
//! ## PyTorch conventions
//!
//! The updates follow `torch.optim` (single-tensor code path): where eps
//! goes (outside the square root for AdaGrad, RMSProp and Adam, inside for
//! AdaDelta), momentum's first step (`b = g`, undampened), `lr` multiplying
//! the whole momentum buffer, Adam's bias correction. Where the text writes
//! a formula differently, the optimizer's docs say how and what it changes.
//! Each config's docs list, under "PyTorch options", which of PyTorch's
//! arguments it has and which it leaves out on purpose, and where its
//! ranges are stricter. `tests/golden/parity/optim.py` draws 180 random
//! runs (every option, groups, clipping, schedules, a save and restore
//! midway) plus the cases of the parity issue; `tests/parity_optim.rs`
//! replays them against PyTorch's float64 numbers to 1e-12.
//!
//! ## A first example
//!
//! ```
//! use wengert_optim::{clip_grad_norm, AdamConfig, CosineAnnealingLr, LrSchedule, Optimizer};
//! use wengert_tensor::{Param, Tape, Tensor};
//!
//! // Fit w in y = 3x by least squares with Adam, the rate annealed from
//! // 0.1 (given once, to the config) down to 0.01.
//! let mut w = Param::new("w", Tensor::from_vec(vec![0.0f64], &[1, 1]));
//! let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]);
//! let y = Tensor::from_vec(vec![3.0, 6.0, 9.0], &[3, 1]);
//! let mut adam = AdamConfig::new(0.1).build();
//! let mut schedule = CosineAnnealingLr::new(300, 0.01).start(&mut adam);
//! for _ in 0..300 {
//!     let tape = Tape::new();
//!     let pred = tape.constant(x.clone()).matmul(tape.param(&w));
//!     let loss = (pred - tape.constant(y.clone())).square().mean();
//!     let mut grads = loss.backward();
//!     clip_grad_norm(&mut grads, 10.0).unwrap();
//!     adam.step(&mut w, &grads); // the tape is still alive: nothing is copied
//!     schedule.step(&mut adam);
//! }
//! assert!((w.value().item() - 3.0).abs() < 1e-3);
//! assert_eq!(adam.step_count(), 300);
//! ```
#![warn(missing_docs)]

mod adadelta;
mod adagrad;
mod adam;
mod adamw;
mod boxed;
mod clip;
mod config;
mod delegate;
mod driver;
pub mod error;
mod optimizer;
mod param_groups;
mod rmsprop;
pub mod schedule;
mod sgd;
mod state;
mod weight_decay;

pub use adadelta::{Adadelta, AdadeltaConfig, AdadeltaState};
pub use adagrad::{Adagrad, AdagradConfig, AdagradState};
pub use adam::{Adam, AdamConfig, AdamState};
pub use adamw::AdamWConfig;
pub use clip::{
    clip_grad_norm, clip_grad_norm_named, clip_grad_norm_p, clip_grad_norm_p_named,
    clip_grad_value, clip_grad_value_named, grad_norm, grad_norm_p, ParamNames,
};
pub use error::{OptimError, Result};
pub use optimizer::Optimizer;
pub use param_groups::ParamGroup;
pub use rmsprop::{RmsProp, RmsPropConfig, RmsPropState};
pub use schedule::{
    Anneal, ConstantLr, CosineAnnealingLr, CosineAnnealingWarmRestarts, ExponentialLr, LinearLr,
    LrSchedule, LrScheduler, MultiStepLr, OneCycleLr, PlateauMode, PolynomialLr, ReduceLrOnPlateau,
    SequentialLr, StepLr, ThresholdMode,
};
pub use sgd::{Sgd, SgdConfig, SgdState};
pub use state::{GroupRates, NamedTensors, OptimizerState, ParamState};
pub use weight_decay::WeightDecay;
