//! Row-wise softmax and log-softmax over the last axis, one pass per row
//! for the maximum, one for the exponentials' sum, one to write: each row is
//! read from cache after its first touch. Rows run in parallel above a size
//! threshold; each row is computed by one thread in a fixed order, so the
//! result does not depend on the thread count.

use rayon::prelude::*;

use super::PARALLEL_THRESHOLD;
use crate::float::Float;

/// The shift that keeps exp from overflowing: the row maximum, or 0 for a
/// row with no finite maximum (all -inf), so such a row gives NaN-free zeros.
fn row_shift<T: Float>(row: &[T]) -> T {
    let m = row.iter().fold(T::neg_infinity(), |m, &x| m.max(x));
    if m.is_finite() {
        m
    } else {
        T::zero()
    }
}

fn softmax_row<T: Float>(row: &[T], out: &mut [T]) {
    let m = row_shift(row);
    let mut sum = T::zero();
    for (o, &x) in out.iter_mut().zip(row) {
        *o = (x - m).exp();
        sum += *o;
    }
    let inv = T::one() / sum;
    out.iter_mut().for_each(|o| *o *= inv);
}

fn log_softmax_row<T: Float>(row: &[T], out: &mut [T]) {
    let m = row_shift(row);
    let sum: T = row.iter().map(|&x| (x - m).exp()).sum();
    let log_sum = sum.ln();
    for (o, &x) in out.iter_mut().zip(row) {
        *o = (x - m) - log_sum;
    }
}

fn by_rows<T: Float>(src: &[T], row: usize, f: fn(&[T], &mut [T])) -> Vec<T> {
    let mut out = vec![T::zero(); src.len()];
    if row == 0 {
        return out;
    }
    if src.len() >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(row)
            .zip(src.par_chunks(row))
            .for_each(|(o, r)| f(r, o));
    } else {
        out.chunks_mut(row)
            .zip(src.chunks(row))
            .for_each(|(o, r)| f(r, o));
    }
    out
}

/// Softmax of each contiguous row of length `row`.
pub fn softmax_rows<T: Float>(src: &[T], row: usize) -> Vec<T> {
    by_rows(src, row, softmax_row)
}

/// Log-softmax of each contiguous row of length `row`.
pub fn log_softmax_rows<T: Float>(src: &[T], row: usize) -> Vec<T> {
    by_rows(src, row, log_softmax_row)
}
