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
#![warn(missing_docs)]

pub use wengert_tensor as tensor;

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
        gradcheck, gradgradcheck, seeded_rng, Float, Grads, Param, ParamId, Tape, Tensor,
        Tolerance, Var,
    };

    #[cfg(feature = "data")]
    pub use wengert_data::{DataLoader, Dataset, LoaderConfig};
    #[cfg(feature = "nn")]
    pub use wengert_nn::{Linear, Module, Sequential};
    #[cfg(feature = "optim")]
    pub use wengert_optim::{AdamConfig, Optimizer, SgdConfig};
}
