//! Differentiable ops on [`crate::Var`], one file per family, each op's
//! forward and backward rule side by side.
//!
//! Only primitives have hand-written rules; everything else (softmax, GELU,
//! variance, losses...) is composed of them and needs no rule of its own.
//! Rules are written with the same `Var` ops, so gradients of gradients come
//! for free.
//!
//! # Adding an op: the checklist
//!
//! 1. **Forward**: compute the value with a kernel from `kernels/` (or write
//!    one there); check shapes first and return a [`crate::TensorError`]
//!    naming the op and every shape involved. Offer `try_op` returning
//!    `Result` and `op` panicking with the same message (`#[track_caller]`).
//! 2. **Backward rule**: pass a closure to [`crate::Tape::record`]; it
//!    returns an array with one optional gradient per input, e.g.
//!    `[Some(dy), ctx.needs_grad(1).then(|| -dy)]`. Use the
//!    vocabulary `a`, `b` (or `x`) for inputs, `y` for the output, `dy` for
//!    the upstream gradient. Write it with `Var` ops only, so it can be
//!    differentiated again. Skip work with `ctx.needs_grad(i)`. If the op
//!    broadcasts, broadcast its inputs with `broadcast_to` nodes first, so the
//!    rule can assume equal shapes.
//! 3. **Docs**: what it computes, the derivative, `# Shapes`, the convention
//!    at kinks, the PyTorch equivalent, a runnable example.
//! 4. **Value test**: a hand-computed forward (and gradient) in the file's
//!    tests, the derivation in a comment.
//! 5. **gradcheck**: in f64 with [`crate::gradcheck`], and `gradgradcheck`
//!    when the op is twice differentiable.
//! 6. **Property test**: in `tests/grad_props.rs`, a proptest over random
//!    shapes and values away from kinks and domain edges.
//! 7. **Bench**: a criterion case in `benches/` if the op is on a hot path.

mod binary;
mod broadcast;
mod compare;
mod fused;
mod index;
mod matmul;
mod movement;
mod reduce;
mod softmax;
mod unary;

use crate::error::Result;

/// Unwraps a `try_` result, panicking with the error's message at the
/// caller's location (every panicking op is `#[track_caller]`).
#[track_caller]
pub(crate) fn or_panic<R>(r: Result<R>) -> R {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}
