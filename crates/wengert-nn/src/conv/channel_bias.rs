//! A per-channel bias added to `[N, C, *]`, as one tape node: the
//! convolution's `y + b.reshape([1, C, 1, 1])` without materialising the
//! broadcast bias (forward) or summing the gradient over the non-adjacent
//! axes `[0, 2, 3]` through a transposed copy (backward).
//!
//! `y[n, c, l] = x[n, c, l] + b[c]`. Backward: `dx = dy` (the same tensor,
//! no copy), `db[c] = sum over n, l of dy[n, c, l]`, summed run by run in
//! memory order (one fixed order: bitwise the same on any thread count). A
//! recorded backward (`backward_with_graph`) forms `db` with `sum_to`, so
//! the node stays differentiable any number of times.

use wengert_tensor::buffer;
use wengert_tensor::{Float, Tensor, Var};

/// `x [N, C, *] + b [C]` broadcast over every axis but 1. The caller has
/// checked that `b` has `C` values.
pub(crate) fn add_channel_bias<'t, T: Float>(x: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> {
    let shape = x.shape();
    let c = shape[1];
    let run = shape[2..].iter().product::<usize>().max(1);
    let (xv, bv) = (x.value(), b.value());
    let bs = bv.values();
    let mut y = buffer::take(xv.numel());
    for (k, chunk) in xv.values().chunks(run).enumerate() {
        let bias = bs[k % c];
        y.extend(chunk.iter().map(|&v| v + bias));
    }
    let value = Tensor::from_vec(y, &shape);
    x.tape()
        .record("add_channel_bias", &[x, b], value, move |ctx, dy| {
            let db = if !ctx.needs_grad(1) {
                None
            } else if ctx.is_recording() {
                let mut bshape = vec![1; shape.len()];
                bshape[1] = c;
                Some(dy.sum_to(&bshape).reshape(&[c]))
            } else {
                let dyv = dy.value();
                let mut db = vec![T::zero(); c];
                for (k, chunk) in dyv.values().chunks(run).enumerate() {
                    db[k % c] += chunk.iter().fold(T::zero(), |s, &v| s + v);
                }
                Some(ctx.tape().constant(Tensor::from_vec(db, &[c])))
            };
            [Some(dy), db]
        })
}
