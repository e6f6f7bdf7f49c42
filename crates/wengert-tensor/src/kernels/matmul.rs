//! Matrix products through matrixmultiply's strided gemm.
//!
//! Operands are read through their strides, so a transposed view (as made by
//! `transpose`) is multiplied in place, never copied. Batched products take
//! operands of shape `[..., m, k]` and `[..., k, n]` whose batch dimensions
//! are equal; a batch dimension of stride 0 (a broadcast view) is fine too.

use std::mem::MaybeUninit;

use super::parallel::{for_each_chunk_mut, threads};
use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::tensor::Tensor;

/// Multiply-adds (m k n) a parallel part must have at least, so that handing
/// it to another thread pays. matrixmultiply runs about 60 G multiply-adds a
/// second on one core here, so this is about 70 µs of work, several times a
/// hand-off's cost on a quiet machine (`bench_report threshold` measures the
/// crossover). Products smaller than two parts run on the calling thread.
pub const GEMM_PART_WORK: usize = 1 << 22;

/// Row or column blocks of a split product are multiples of this, so every
/// block but the last is made of whole micro-kernel tiles.
const BLOCK_ALIGN: usize = 16;

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
        // Rows `rows` and columns `cols` of product `bi`, written to `c`
        // with row stride `rsc`.
        let block = |bi: usize,
                     rows: std::ops::Range<usize>,
                     cols: std::ops::Range<usize>,
                     c: &mut [MaybeUninit<T>],
                     rsc: usize| {
            let (off_a, off_b) = offsets(bi);
            let (off_a, off_b) = (
                off_a + rows.start * sa[nd - 2],
                off_b + cols.start * sb[nd - 1],
            );
            let (bm, bn) = (rows.len(), cols.len());
            assert!(
                bm == 0 || c.len() >= (bm - 1) * rsc + bn,
                "matmul block fits its slots"
            );
            // SAFETY: `off_a` with strides (rsa, csa) addresses rows `rows`
            // of an m x k matrix inside `da` because the view's shape and
            // strides were built to stay in bounds of its storage (every
            // Tensor constructor keeps that invariant) and `rows` lies in
            // 0..m; likewise for columns `cols` (within 0..n) of b (k x n)
            // in `db`. `c` is an exclusively borrowed run of slots holding a
            // bm x bn block with row stride `rsc` (checked above), so it
            // aliases neither input; gemm only writes it (beta = 0), and
            // writing a `MaybeUninit` slot through a pointer is always
            // allowed. Exercised by every matmul test, including
            // transposed, broadcast, batched and split products, and by a
            // test that fills recycled memory with NaN first.
            unsafe {
                T::gemm(
                    bm,
                    k,
                    bn,
                    T::one(),
                    da.as_ptr().add(off_a),
                    rsa,
                    csa,
                    db.as_ptr().add(off_b),
                    rsb,
                    csb,
                    T::zero(),
                    c.as_mut_ptr().cast::<T>(),
                    rsc as isize,
                    1,
                );
            }
        };
        let slots = &mut out.spare_capacity_mut()[..total];
        // Threading is decided here, per product, from its size: parts of at
        // least GEMM_PART_WORK multiply-adds, split over the batch or over
        // output rows or columns (never over k), each part one
        // single-threaded gemm. Every output element is a dot product over
        // k in gemm's fixed order whichever block holds it, so the result
        // is bitwise the same however the work is split and on however many
        // threads (tested in `tests/matmul_split.rs`).
        let per = m * k * n;
        let whole = |bi: usize, c: &mut [MaybeUninit<T>]| block(bi, 0..m, 0..n, c, n);
        if threads() == 1 || nb.saturating_mul(per) < 2 * GEMM_PART_WORK {
            for (bi, c) in slots.chunks_mut(m * n).enumerate() {
                whole(bi, c);
            }
        } else if nb >= 2 {
            // Whole products, several to a part when they are small.
            let per_part = GEMM_PART_WORK.div_ceil(per).max(1);
            for_each_chunk_mut(slots, per_part * m * n, |p, c| {
                for (j, cj) in c.chunks_mut(m * n).enumerate() {
                    whole(p * per_part + j, cj);
                }
            });
        } else {
            let parts = (per / GEMM_PART_WORK).clamp(2, 4 * threads());
            let align = |len: usize| len.div_ceil(parts).next_multiple_of(BLOCK_ALIGN);
            if m >= n {
                // Row blocks are contiguous runs of the output.
                let rows = align(m);
                for_each_chunk_mut(slots, rows * n, |p, c| {
                    let r0 = p * rows;
                    block(0, r0..r0 + c.len() / n, 0..n, c, n);
                });
            } else {
                // Column blocks are written block after block into scratch
                // space, then copied into their rows.
                let cols = align(n);
                let mut scratch: Vec<T> = crate::buffer::take(total);
                let space = &mut scratch.spare_capacity_mut()[..total];
                for_each_chunk_mut(space, m * cols, |p, c| {
                    let c0 = p * cols;
                    block(0, 0..m, c0..c0 + c.len() / m, c, c.len() / m);
                });
                for (p, src) in space.chunks(m * cols).enumerate() {
                    let (c0, w) = (p * cols, src.len() / m);
                    for (r, run) in src.chunks(w).enumerate() {
                        slots[r * n + c0..][..w].copy_from_slice(run);
                    }
                }
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
