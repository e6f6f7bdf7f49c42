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
use wengert_tensor::kernels::parallel::for_each_chunk_mut;
use wengert_tensor::kernels::PARALLEL_THRESHOLD;
use wengert_tensor::{Float, Tensor, Var};

/// `db[c] = sum over the runs of channel c of each run's sum`, for `dy`
/// laid out as runs of `run` values, channel `k % c` for run `k`. Each run
/// is summed in memory order by one thread (parts of whole runs run in
/// parallel: each run's sum is a chain of dependent adds, the serial part
/// of a small CNN's backward pass), then the run sums are added into their
/// channels in run order, so the result is the same on any thread count.
fn bias_gradient<T: Float>(dy: &[T], c: usize, run: usize) -> Vec<T> {
    let mut sums = vec![T::zero(); dy.len() / run];
    let per_part = (PARALLEL_THRESHOLD / run).max(1);
    for_each_chunk_mut(&mut sums, per_part, |p, part| {
        for (j, sum) in part.iter_mut().enumerate() {
            let k = p * per_part + j;
            *sum = dy[k * run..(k + 1) * run]
                .iter()
                .fold(T::zero(), |s, &v| s + v);
        }
    });
    let mut db = vec![T::zero(); c];
    for (k, sum) in sums.into_iter().enumerate() {
        db[k % c] += sum;
    }
    db
}

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
                let db = bias_gradient(&dy.value().values(), c, run);
                Some(ctx.tape().constant(Tensor::from_vec(db, &[c])))
            };
            [Some(dy), db]
        })
}

#[cfg(test)]
mod tests {
    use super::bias_gradient;

    /// Run sums added by channel, against the plain loop; bitwise the same
    /// on 1 and 2 threads, with enough runs to split.
    #[test]
    fn bias_gradient_is_the_per_channel_sum_on_any_thread_count() {
        let (n, c, run) = (64, 32, 784);
        let dy: Vec<f32> = (0..n * c * run)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.01)
            .collect();
        let mut want = vec![0.0f32; c];
        for (k, chunk) in dy.chunks(run).enumerate() {
            want[k % c] += chunk.iter().fold(0.0, |s, &v| s + v);
        }
        let in_pool = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool")
                .install(|| bias_gradient(&dy, c, run))
        };
        let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(in_pool(1)), bits(want.clone()));
        assert_eq!(bits(in_pool(2)), bits(want));
    }
}
