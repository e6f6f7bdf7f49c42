//! # wengert
//!
//! Deep learning with tape-based reverse-mode autodiff, written to be read
//! and trusted. This facade re-exports the member crates, each usable alone:
//!
//! | module | crate | what |
//! | --- | --- | --- |
//! | [`tensor`] | `wengert-tensor` | tensors, kernels, the tape, gradient checks |
//! | `nn` | `wengert-nn` | layers, losses, init, weights (feature `nn`) |
//! | `optim` | `wengert-optim` | optimizers, clipping, schedules (feature `optim`) |
//! | `data` | `wengert-data` | datasets, loaders, splits, augmentation (feature `data`) |
//! | `train` | `wengert-train` | trainer, metrics, callbacks (feature `train`) |
//!
//! Start with `use wengert::prelude::*;` and the numbered examples in
//! `examples/` (`01_tensor_basics`, `02_tape_and_backward`, ...).
//!
//! ```
//! use wengert::prelude::*;
//! let tape = Tape::<f64>::new();
//! let x = tape.var(Tensor::from_vec(vec![2.0], &[1]));
//! let g = (x * x).sum().backward();
//! assert_eq!(g.wrt(x).unwrap().to_vec(), vec![4.0]);
//! ```
//!
//! ## Training a model
//!
//! An MLP on the digits embedded in the repository, with Adam, from the
//! data loader: the whole training loop is the eight lines of the two
//! `for`s.
//!
//! ```
//! # #[cfg(all(feature = "nn", feature = "optim", feature = "data"))] {
//! use wengert::data::embedded::digits;
//! use wengert::prelude::*;
//!
//! let mut rng = seeded_rng(0);
//! let mut model = Sequential::new()
//!     .with(Linear::new(64, 32, &mut rng))
//!     .with(ReLU)
//!     .with(Linear::new(32, 10, &mut rng));
//! let mut opt = AdamConfig::new(1e-2).build();
//! let loader = DataLoader::new(digits().unwrap(), LoaderConfig::new(128).seed(1));
//!
//! for epoch in 0..5 {
//!     for batch in loader.epoch(epoch) {
//!         let tape = Tape::new();
//!         let logits = model.forward(&tape, tape.constant(batch.features)).unwrap();
//!         let grads = logits.cross_entropy_with_logits(batch.targets.classes().unwrap()).backward();
//!         opt.step(&mut model, &grads);
//!     }
//! }
//! # let tape = Tape::inference();
//! # let all = digits().unwrap();
//! # let batch = DataLoader::new(all, LoaderConfig::new(2000)).epoch(0).next().unwrap();
//! # let predicted = model.forward(&tape, tape.constant(batch.features)).unwrap().value().argmax(1);
//! # let labels = batch.targets.classes().unwrap();
//! # let right = predicted.iter().zip(labels).filter(|(p, t)| p == t).count();
//! # assert!(right as f64 / labels.len() as f64 > 0.9, "train accuracy {right}/{}", labels.len());
//! # }
//! ```
#![warn(missing_docs)]

pub use wengert_tensor as tensor;
/// The `rand` crate at the version wengert's constructors take (0.9); see
/// [`wengert_tensor::rand`].
pub use wengert_tensor::rand;

#[cfg(feature = "data")]
pub use wengert_data as data;
#[cfg(feature = "nn")]
pub use wengert_nn as nn;
#[cfg(feature = "optim")]
pub use wengert_optim as optim;
#[cfg(feature = "train")]
pub use wengert_train as train;

/// The names most programs need.
pub mod prelude {
    pub use wengert_tensor::{
        gradcheck, gradgradcheck, manual_seed, seeded_rng, Float, Grads, Param, ParamId,
        Parameters, Tape, Tensor, Tolerance, Var,
    };

    #[cfg(feature = "data")]
    pub use wengert_data::{DataLoader, Dataset, LoaderConfig};
    #[cfg(feature = "nn")]
    pub use wengert_nn::{
        BatchNorm1d, Dropout, Linear, Module, ModuleParts, ReLU, Sequential, Sigmoid, Tanh,
    };
    #[cfg(feature = "optim")]
    pub use wengert_optim::{AdamConfig, Optimizer, SgdConfig};
    #[cfg(feature = "train")]
    pub use wengert_train::{
        Accuracy, Checkpoint, CrossEntropyLoss, EarlyStopping, Evaluation, History, Metric,
        MseLoss, Trainer,
    };
}
