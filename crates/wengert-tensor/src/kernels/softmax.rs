//! Row-wise softmax and log-softmax over the last axis, one pass per row
//! for the maximum, one for the exponentials' sum, one to write: each row is
//! read from cache after its first touch. Rows run in parallel above a size
//! threshold, in parts of whole rows (see [`super::parallel`]); each row is
//! computed by one thread in a fixed order, so the result does not depend on
//! the thread count.

use super::parallel::{for_each_chunk_mut, threads};
use super::PARALLEL_THRESHOLD;
use crate::float::Float;

/// Elements of one parallel part (whole rows, at least one): tens of
/// microseconds of exponentials, several times a hand-off's cost.
const PART_ELEMS: usize = 1 << 15;

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
    if src.len() >= PARALLEL_THRESHOLD && threads() > 1 {
        let part = PART_ELEMS.div_ceil(row) * row;
        for_each_chunk_mut(&mut out, part, |p, o| {
            let s = &src[p * part..][..o.len()];
            o.chunks_mut(row)
                .zip(s.chunks(row))
                .for_each(|(o, r)| f(r, o));
        });
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
