//! # wengert-nn
//!
//! Modules, layers, losses, initialisation and weight files on top of
//! `wengert-tensor`. Every layer and loss is a composition of `Var` ops:
//! no backward rule is written here, so gradients (and gradients of
//! gradients) come from the tensor crate's checked rules.
//!
//! ## Reading order
//!
//! 1. [`Module`] (`module.rs`): the trait, a forward pass on `Var`s, on top
//!    of two lists: [`Parameters`] (named parameters, what an optimizer
//!    steps) and [`ModuleParts`] (children, buffers, type name).
//!    `#[derive(Module)]` writes both from a struct's fields
//!    (wengert-derive), so a custom module writes only `forward`. Names
//!    (`fc1.weight`, `blocks.0.bn.running_mean`), counts, freezing,
//!    summaries and weight files are built on the lists.
//! 2. [`Sequential`] (`sequential.rs`): layers in order, named by index as
//!    in PyTorch; freezing the first k layers, replacing the head.
//! 3. `layers/`: [`Linear`]; activations [`ReLU`], [`LeakyReLU`],
//!    [`PReLU`], [`Sigmoid`], [`Tanh`], [`GELU`](struct@GELU), [`ELU`],
//!    [`Softplus`](struct@Softplus);
//!    [`Dropout`]; [`BatchNorm1d`] and [`LayerNorm`]; [`Residual`].
//! 4. [`loss`]: MSE, L1, Huber, cross-entropy (label smoothing),
//!    NLL, binary cross-entropy from logits, with PyTorch's reductions
//!    and options (class `weight`, `ignore_index`, `[N, C, d1, ...]` and
//!    unbatched scores, class-probability targets, `pos_weight`); and
//!    [`l2_penalty`]/[`l1_penalty`] (`regularization.rs`).
//! 5. [`init`]: Xavier and Kaiming schemes, constants, PyTorch's defaults.
//! 6. [`state_dict`](fn@state_dict) and weight files (`state_dict.rs`,
//!    `weights.rs`): safetensors in f32 or f64, checked loading that lists
//!    every mismatch and leaves the model unchanged on failure, atomic
//!    writes.
//! 7. [`summary`](fn@summary): a one-line-per-layer table.
//! 8. [`gradcheck_module`]: finite-difference checks of a module's
//!    gradients with respect to its input and every parameter.
//! 9. Sequence and image layers, built on the same trait: [`recurrent`]
//!    (RNN, LSTM, GRU), [`conv`] (convolution, pooling, 2-d batch norm) and
//!    [`Embedding`].
//!
//! ## Training and evaluation
//!
//! The tape decides: a training tape (`Tape::new()`) makes dropout drop
//! (drawing from the tape's seeded generator) and batch normalization use
//! and update batch statistics; `Tape::inference()` makes dropout the
//! identity and batch normalization use its running statistics. A fresh
//! `Tape::new()` per step draws a new dropout mask each step, and the same
//! program the same masks (see "Random draws" on `Tape`).
//!
//! Constructors take a random generator of `rand` 0.9, re-exported as
//! [`rand`] (and `wengert_tensor::rand`): a newer `rand` added with
//! `cargo add rand` is another crate whose `Rng` these constructors do not
//! accept.
//!
//! ## Errors
//!
//! One rule: what depends on data a program reads at run time returns a
//! `Result` with [`NnError`] (`forward`, loading weights, `try_new`
//! constructors); a constructor called with sizes written in the program
//! panics when they are invalid (`Dropout::new(1.5)`), with the same message
//! its `try_` form returns, at the caller's line (`#[track_caller]`). Every
//! message names the layer and the shapes or values involved.
//!
//! ## Example: one training step
//!
//! ```
//! use wengert_nn::loss::{cross_entropy, Reduction};
//! use wengert_nn::{BatchNorm1d, Dropout, Linear, Module, ReLU, Sequential};
//! use wengert_tensor::{seeded_rng, Tape, Tensor};
//!
//! let mut rng = seeded_rng(0);
//! let mut model = Sequential::<f32>::new()
//!     .with(Linear::new(4, 16, &mut rng))
//!     .with(BatchNorm1d::new(16))
//!     .with(ReLU)
//!     .with(Dropout::new(0.5))
//!     .with(Linear::new(16, 3, &mut rng));
//!
//! let tape = Tape::new();
//! let x = tape.constant(Tensor::randn(&[8, 4], &mut rng));
//! let loss = cross_entropy(model.forward(&tape, x).unwrap(), &[0, 1, 2, 0, 1, 2, 0, 1], Reduction::Mean);
//! let grads = loss.backward();
//! // A plain SGD step over the named parameters (wengert-optim's
//! // optimizers take the model itself: `opt.step(&mut model, &grads)`).
//! for (_name, p) in model.params_mut() {
//!     if let Some(g) = grads.get(p) {
//!         let updated = p.value().sub(&g.mul_scalar(0.1));
//!         p.set_value(updated).unwrap();
//!     }
//! }
//! ```
#![warn(missing_docs)]

// `#[derive(Module)]` names this crate `::wengert_nn`, also inside it.
extern crate self as wengert_nn;

mod buffers;
pub mod conv;
mod embedding;
mod error;
pub mod init;
pub mod layers;
pub mod loss;
mod module;
mod module_gradcheck;
mod pretrained;
pub mod recurrent;
mod regularization;
mod sequential;
mod state_dict;
mod summary;
mod weights;

pub use buffers::{BufferMut, BufferRef, Buffers};
pub use embedding::Embedding;
pub use error::{NnError, Result};
pub use layers::{
    BatchNorm1d, BatchNormConfig, Dropout, LayerNorm, LeakyReLU, Linear, LinearConfig, PReLU, ReLU,
    Residual, Sigmoid, Softplus, Tanh, ELU, GELU,
};
pub use layers::{GeluApproximate, LayerNormConfig};
pub use module::{join_name, visit_child_params, visit_child_params_mut, Module, ModuleParts};
/// `#[derive(Module)]`: writes [`ModuleParts`] and
/// [`Parameters`](wengert_tensor::Parameters) from a struct's fields; see
/// [`Module`] for an example and the field rules.
pub use wengert_derive::Module;
pub use wengert_tensor::{rand, Parameters};

/// What the code `#[derive(Module)]` writes refers to, by one path that
/// works whether the user depends on wengert-nn or on the facade.
#[doc(hidden)]
pub mod __derive {
    pub use wengert_tensor::{Float, Param, Parameters};
}
pub use module_gradcheck::{gradcheck_module, gradcheck_module_eval, ModuleGradcheckError};
pub use pretrained::{freeze_all_except, LoadReport, Pretrained};
pub use regularization::{l1_penalty, l2_penalty};
pub use sequential::Sequential;
pub use state_dict::{load_state_dict, state_dict, StateDict, StateValue};
pub use summary::{summary, Summary, SummaryRow};
pub use weights::{
    load_weights, read_state_dict, save_weights, save_weights_as, write_state_dict, WeightDtype,
};
