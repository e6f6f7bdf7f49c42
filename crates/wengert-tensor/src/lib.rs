//! # wengert-tensor
//!
//! Tensors, CPU kernels and a tape-based reverse-mode autodiff engine with
//! gradient checking. The crate is meant to be read; this page is the tour.
//!
//! ## Reading order
//!
//! 1. [`Tensor`] (`tensor.rs`): an n-dimensional value of `f32` or `f64`
//!    ([`Float`], `float.rs`), shared storage, views with strides. A tensor
//!    of up to four elements keeps them inline (`storage.rs`), and shapes,
//!    strides and node inputs are short inline lists (`indices.rs`): the
//!    tape makes one of each per op, so they decide its cost per op.
//! 2. `kernels/`: the loops. Element-wise maps, broadcasting, reductions that
//!    combine fixed chunks in a fixed order (deterministic on any number of
//!    threads), and the matrix product through matrixmultiply. Large
//!    outputs reuse recycled buffers (`buffer.rs`) instead of fresh pages.
//! 3. [`Tape`] and [`Var`] (`tape/mod.rs`, `tape/var.rs`): the Wengert list.
//!    Every op on a `Var` computes its value and appends one node with its
//!    inputs and backward rule. [`Tape::record`] is the single entry point
//!    (and [`Tape::record_many`] for ops with any number of inputs).
//! 4. `tape/backward.rs`: the backward pass, one reverse loop over the nodes.
//!    The engine keeps the books (seeding, accumulation, shape checks); the
//!    rules are pure. [`Var::backward_with_graph`] records the backward pass
//!    too, for second derivatives.
//! 5. `ops/`: the ops, one file per family, forward and backward side by side.
//!    `ops/mod.rs` holds the checklist for adding one.
//! 6. [`Param`], [`Grads`]: parameters with stable ids, and the gradients a
//!    backward pass returns for them.
//! 7. [`gradcheck`](mod@gradcheck): central finite differences against the
//!    analytic gradient, and `testing` (feature `testing`): proptest
//!    strategies, so every crate tests gradients the same way.
//!
//! ## A first example
//!
//! ```
//! use wengert_tensor::{Param, Tape, Tensor};
//!
//! // A linear model y = x w, loss = mean((y - t)^2).
//! let w = Param::new("w", Tensor::from_vec(vec![0.5f64, -0.5], &[2, 1]));
//! let tape = Tape::new();
//! let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
//! let t = tape.constant(Tensor::from_vec(vec![1.0, 0.0], &[2, 1]));
//! let loss = (x.matmul(tape.param(&w)) - t).square().mean();
//! let grads = loss.backward();
//! assert_eq!(grads.get(&w).unwrap().shape(), &[2, 1]);
//! ```
//!
//! ## Errors
//!
//! One rule for every op that can fail on its input (shapes, axes,
//! indices, arguments):
//!
//! - `try_x` returns [`Result`], with a [`TensorError`] on bad input;
//! - `x` panics, with exactly the text of that error, and is
//!   `#[track_caller]`, so the panic points at your line, not the crate's.
//!
//! Both forms come from one macro (`panicking!` in `ops/mod.rs`), so they
//! cannot drift apart. The operators (`a + b`, `a * b`, `-a`, on `Var` and
//! `&Tensor`) panic like the plain methods, so formulas stay readable; use
//! `try_add` and friends where an error must be handled. Ops that cannot
//! fail (`exp`, `relu`, `sum`, ...) have only the plain form.
//!
//! A message names the op, every shape involved and the axis as you wrote
//! it (negative axes count from the back, as in PyTorch), with what was
//! expected:
//!
//! ```
//! use wengert_tensor::Tensor;
//! let x = Tensor::<f32>::zeros(&[2, 3]);
//! let err = x.try_softmax(-3).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "softmax: axis -3 is out of range for shape [2, 3] (valid axes: -2 to 1)"
//! );
//! let err = x.try_matmul(&Tensor::zeros(&[2])).unwrap_err();
//! assert!(err.to_string().starts_with("matmul: shapes [2, 3] and [2] are incompatible"));
//! ```
#![warn(missing_docs)]

pub mod buffer;
pub mod error;
pub mod float;
pub mod gradcheck;
mod indices;
pub mod kernels;
mod ops;
pub mod param;
mod parameters;
pub mod shape;
mod storage;
pub mod tape;
pub mod tensor;
#[cfg(feature = "testing")]
pub mod testing;
mod update;

pub use error::{Result, TensorError};
pub use float::Float;
pub use gradcheck::{gradcheck, gradgradcheck, GradcheckError, Tolerance};
pub use param::{Param, ParamId};
pub use parameters::Parameters;
pub use tape::{manual_seed, BackwardCtx, BoundParam, GradGraph, Grads, NonFiniteNode, Tape, Var};
pub use tensor::Tensor;

/// The `rand` crate, at the version wengert's constructors take (0.9): a
/// constructor generic over `R: Rng` needs a generator of this version, and
/// `cargo add rand` may pick a newer major version whose `Rng` is another
/// trait (the error, E0277 on `R: Rng`, does not say why). Use this one, or
/// add `rand = "0.9"`.
pub use rand;

/// The random generator used across wengert: ChaCha8, whose output is
/// specified and portable, so a seed means the same numbers everywhere.
pub type WengertRng = rand_chacha::ChaCha8Rng;

/// A [`WengertRng`] from a seed.
///
/// ```
/// use rand::Rng;
/// let a: f64 = wengert_tensor::seeded_rng(1).random();
/// let b: f64 = wengert_tensor::seeded_rng(1).random();
/// assert_eq!(a, b);
/// ```
pub fn seeded_rng(seed: u64) -> WengertRng {
    use rand::SeedableRng;
    WengertRng::seed_from_u64(seed)
}
