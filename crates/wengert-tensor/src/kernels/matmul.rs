//! Matrix products through matrixmultiply's strided gemm.
//!
//! Operands are read through their strides, so a transposed view (as made by
//! `transpose`) is multiplied in place, never copied. Batched products take
//! operands of shape `[..., m, k]` and `[..., k, n]` whose batch dimensions
//! are equal; a batch dimension of stride 0 (a broadcast view) is fine too.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::tensor::Tensor;

/// Products of at most this many multiply-adds (m k n) count as small:
/// a batch of them runs in parallel over the batch.
const SMALL_PRODUCT: usize = 96 * 96 * 96;

/// Checks shapes of a (batched) matrix product and returns (batch, m, k, n).
pub fn matmul_dims(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, usize, usize, usize)> {
    let mismatch = |why: String| TensorError::ShapeMismatch {
        op: "matmul",
        lhs: a.to_vec(),
        rhs: b.to_vec(),
        why,
    };
    if a.len() < 2 || b.len() < 2 {
        return Err(mismatch("both operands need at least 2 dimensions".into()));
    }
    let (m, k) = (a[a.len() - 2], a[a.len() - 1]);
    let (k2, n) = (b[b.len() - 2], b[b.len() - 1]);
    if k != k2 {
        return Err(mismatch(format!(
            "inner dimensions differ: {k} (last of lhs) vs {k2} (second to last of rhs)"
        )));
    }
    let (ba, bb) = (&a[..a.len() - 2], &b[..b.len() - 2]);
    if ba != bb {
        return Err(mismatch(format!(
            "batch dimensions {ba:?} and {bb:?} differ (broadcast them first)"
        )));
    }
    Ok((ba.to_vec(), m, k, n))
}

/// `a @ b` for equal batch dimensions, reading both through their strides.
pub fn matmul<T: Float>(a: &Tensor<T>, b: &Tensor<T>) -> Result<Tensor<T>> {
    let (batch, m, k, n) = matmul_dims(a.shape(), b.shape())?;
    let nb: usize = batch.iter().product();
    let total = nb * m * n;
    let mut out = crate::buffer::take(total);
    if k == 0 {
        // An empty inner dimension: every entry is an empty sum.
        out.resize(total, T::zero());
    } else if total > 0 {
        let (da, oa, _, sa) = a.raw();
        let (db, ob, _, sb) = b.raw();
        let nd = a.ndim();
        let (rsa, csa) = (sa[nd - 2] as isize, sa[nd - 1] as isize);
        let (rsb, csb) = (sb[nd - 2] as isize, sb[nd - 1] as isize);
        // Offsets of batch entry `bi` in each operand, from the batch strides.
        let offsets = |bi: usize| {
            let (mut off_a, mut off_b, mut rest) = (oa, ob, bi);
            for ax in (0..batch.len()).rev() {
                let i = rest % batch[ax];
                rest /= batch[ax];
                off_a += i * sa[ax];
                off_b += i * sb[ax];
            }
            (off_a, off_b)
        };
        // The output is written straight into the buffer's unused capacity,
        // not zero-filled first: with beta = 0, gemm overwrites C without
        // reading it (matrixmultiply's documented contract), and a fill of a
        // 1024 x 1024 output cost 2-3% of the product.
        let product = |bi: usize, c: &mut [MaybeUninit<T>]| {
            let (off_a, off_b) = offsets(bi);
            // SAFETY: `off_a` with strides (rsa, csa) addresses an m x k
            // matrix inside `da` because the view's shape and strides were
            // built to stay in bounds of its storage (every Tensor
            // constructor keeps that invariant); likewise for b (k x n) in
            // `db`. `c` is an exclusively borrowed block of m x n slots of
            // the output's capacity, written row-major with row stride n, so
            // it aliases neither input; gemm only writes it (beta = 0), and
            // writing a `MaybeUninit` slot through a pointer is always
            // allowed. Exercised by every matmul test, including transposed,
            // broadcast and batched views, and by a test that fills recycled
            // memory with NaN first.
            unsafe {
                T::gemm(
                    m,
                    k,
                    n,
                    T::one(),
                    da.as_ptr().add(off_a),
                    rsa,
                    csa,
                    db.as_ptr().add(off_b),
                    rsb,
                    csb,
                    T::zero(),
                    c.as_mut_ptr().cast::<T>(),
                    n as isize,
                    1,
                );
            }
        };
        let slots = &mut out.spare_capacity_mut()[..total];
        // Many small products: one per rayon task (matrixmultiply would not
        // split such small ones across threads). Large ones: in order, each
        // using matrixmultiply's own threads. Either way every output
        // element is computed by one thread in a fixed order.
        if nb >= 4 && m * k * n <= SMALL_PRODUCT {
            slots
                .par_chunks_mut(m * n)
                .enumerate()
                .for_each(|(bi, c)| product(bi, c));
        } else {
            for (bi, c) in slots.chunks_mut(m * n).enumerate() {
                product(bi, c);
            }
        }
        // SAFETY: the `total` slots are the `nb` blocks of m x n above, and
        // gemm with beta = 0 wrote every element of each block, so the first
        // `total` elements are initialized; `total` is within the capacity
        // `take` reserved.
        unsafe { out.set_len(total) };
    }
    let mut shape = batch;
    shape.extend([m, n]);
    Ok(Tensor::from_vec(out, &shape))
}
