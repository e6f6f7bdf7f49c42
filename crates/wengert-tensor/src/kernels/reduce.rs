//! Reductions over a set of axes.
//!
//! The reduced axes are moved last and made contiguous, so every output
//! element reduces one contiguous row. A row is folded in fixed chunks of
//! [`CHUNK`] elements whose partial results are combined left to right; the
//! chunks may run on different threads, but the order of combination never
//! changes, so the result is bitwise the same on 1 thread or many.

use rayon::prelude::*;

use super::{CHUNK, PARALLEL_THRESHOLD};
use crate::float::Float;
use crate::shape::reduced_shape;
use crate::tensor::Tensor;

/// Rows of `a` with `axes` (sorted, checked) moved last: (rows, row length, data).
fn rows_over<T: Float>(a: &Tensor<T>, axes: &[usize]) -> (usize, usize, Tensor<T>) {
    let kept: Vec<usize> = (0..a.ndim()).filter(|i| !axes.contains(i)).collect();
    let perm: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let moved = a.permute(&perm).contiguous();
    let row: usize = axes.iter().map(|&ax| a.shape()[ax]).product();
    let rows = kept.iter().map(|&ax| a.shape()[ax]).product();
    (rows, row, moved)
}

/// Folds one row in fixed chunks, combining chunk results in order.
fn fold_row<T: Float>(row: &[T], init: T, f: &(impl Fn(T, T) -> T + Sync)) -> T {
    let chunk = |c: &[T]| c.iter().fold(init, |acc, &x| f(acc, x));
    if row.len() >= PARALLEL_THRESHOLD {
        let partial: Vec<T> = row.par_chunks(CHUNK).map(chunk).collect();
        partial.into_iter().fold(init, f)
    } else {
        row.chunks(CHUNK).map(chunk).fold(init, f)
    }
}

/// Reduces `axes` (sorted, in range) with the associative `f` from `init`;
/// the result keeps the reduced axes as size 1.
pub fn reduce_axes<T: Float>(
    a: &Tensor<T>,
    axes: &[usize],
    init: T,
    f: impl Fn(T, T) -> T + Sync + Send,
) -> Tensor<T> {
    let (rows, row, moved) = rows_over(a, axes);
    let src = moved.values();
    let mut out = vec![init; rows];
    if row > 0 {
        if rows >= 64 && rows * row >= PARALLEL_THRESHOLD {
            out.par_iter_mut()
                .zip(src.par_chunks(row))
                .for_each(|(o, r)| *o = fold_row(r, init, &f));
        } else {
            for (o, r) in out.iter_mut().zip(src.chunks(row)) {
                *o = fold_row(r, init, &f);
            }
        }
    }
    Tensor::from_vec(out, &reduced_shape(a.shape(), axes, true))
}

/// Sum over `axes`, keeping them as size 1.
pub fn sum_axes<T: Float>(a: &Tensor<T>, axes: &[usize]) -> Tensor<T> {
    reduce_axes(a, axes, T::zero(), |x, y| x + y)
}

/// Maximum over `axes`, keeping them as size 1. NaN propagates.
pub fn max_axes<T: Float>(a: &Tensor<T>, axes: &[usize]) -> Tensor<T> {
    reduce_axes(a, axes, T::neg_infinity(), |x, y| {
        if x.is_nan() || y.is_nan() {
            T::nan()
        } else {
            x.max(y)
        }
    })
}

/// Minimum over `axes`, keeping them as size 1. NaN propagates.
pub fn min_axes<T: Float>(a: &Tensor<T>, axes: &[usize]) -> Tensor<T> {
    reduce_axes(a, axes, T::infinity(), |x, y| {
        if x.is_nan() || y.is_nan() {
            T::nan()
        } else {
            x.min(y)
        }
    })
}

/// Index of the first maximum along `axis` for every other position,
/// row-major over the remaining axes.
pub fn argmax_axis<T: Float>(a: &Tensor<T>, axis: usize) -> Vec<usize> {
    let (rows, row, moved) = rows_over(a, &[axis]);
    let src = moved.values();
    (0..rows)
        .map(|r| {
            let slice = &src[r * row..(r + 1) * row];
            let mut best = 0;
            for (i, &x) in slice.iter().enumerate() {
                if x > slice[best] || (x.is_nan() && !slice[best].is_nan()) {
                    best = i;
                }
            }
            best
        })
        .collect()
}

/// Index of the first minimum along `axis`, as [`argmax_axis`].
pub fn argmin_axis<T: Float>(a: &Tensor<T>, axis: usize) -> Vec<usize> {
    argmax_axis(&a.map(|x| -x), axis)
}
