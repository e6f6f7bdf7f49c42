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
    if row.len() >= PARALLEL_THRESHOLD && super::parallel::threads() > 1 {
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
    let out_shape = reduced_shape(a.shape(), axes, true);
    // A run of consecutive axes with elements after it (a bias gradient, a
    // batch mean): reduce where the data lies instead of a transposed copy.
    let consecutive = axes.windows(2).all(|w| w[1] == w[0] + 1);
    if let (true, Some(&first), Some(&last)) = (consecutive, axes.first(), axes.last()) {
        let shape = a.shape();
        let inner: usize = shape[last + 1..].iter().product();
        if inner > 1 {
            let outer: usize = shape[..first].iter().product();
            let len: usize = shape[first..=last].iter().product();
            let out = reduce_middle_axis(&a.values(), [outer, len, inner], init, &f);
            return Tensor::from_parts(out, &out_shape);
        }
    }
    let (rows, row, moved) = rows_over(a, axes);
    let src = moved.values();
    let mut out = vec![init; rows];
    if row > 0 {
        if rows >= 64 && rows * row >= PARALLEL_THRESHOLD && super::parallel::threads() > 1 {
            out.par_iter_mut()
                .zip(src.par_chunks(row))
                .for_each(|(o, r)| *o = fold_row(r, init, &f));
        } else {
            for (o, r) in out.iter_mut().zip(src.chunks(row)) {
                *o = fold_row(r, init, &f);
            }
        }
    }
    Tensor::from_parts(out, &out_shape)
}

/// Reduces the middle axis of row-major data seen as `[outer, len, inner]`
/// with `inner > 1`: `out[o, i] = f(...f(init, x[o, 0, i])..., x[o, len-1, i])`.
/// The inner loop runs along contiguous memory (and vectorizes for a sum);
/// each output folds its `len` values in order, on one thread, so the
/// result does not depend on how the work is split.
fn reduce_middle_axis<T: Float>(
    src: &[T],
    [outer, len, inner]: [usize; 3],
    init: T,
    f: &(impl Fn(T, T) -> T + Sync),
) -> Vec<T> {
    let mut out = vec![init; outer * inner];
    // Fold a block of outputs [o, i0..i0 + acc.len()) over the axis.
    let fold_block = |o: usize, i0: usize, acc: &mut [T]| {
        for l in 0..len {
            let row = &src[(o * len + l) * inner + i0..][..acc.len()];
            for (a, &x) in acc.iter_mut().zip(row) {
                *a = f(*a, x);
            }
        }
    };
    let parallel = outer * len * inner >= PARALLEL_THRESHOLD && super::parallel::threads() > 1;
    if parallel && outer >= 2 {
        out.par_chunks_mut(inner)
            .enumerate()
            .for_each(|(o, acc)| fold_block(o, 0, acc));
    } else if parallel {
        out.par_chunks_mut(CHUNK / 8)
            .enumerate()
            .for_each(|(c, acc)| fold_block(0, c * (CHUNK / 8), acc));
    } else {
        for (o, acc) in out.chunks_mut(inner).enumerate() {
            fold_block(o, 0, acc);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded_rng;

    /// The sum over `axes` by the definition, one output at a time.
    fn reference_sum(x: &Tensor<f64>, axes: &[usize]) -> Vec<f64> {
        let shape = x.shape().to_vec();
        let out_shape = reduced_shape(&shape, axes, true);
        let n: usize = out_shape.iter().product();
        let mut out = vec![0.0; n];
        let mut index = vec![0usize; shape.len()];
        for _ in 0..x.numel() {
            let flat_out = index
                .iter()
                .zip(&out_shape)
                .fold(0, |acc, (&i, &d)| acc * d + if d == 1 { 0 } else { i });
            out[flat_out] += x.at(&index);
            for ax in (0..shape.len()).rev() {
                index[ax] += 1;
                if index[ax] < shape[ax] {
                    break;
                }
                index[ax] = 0;
            }
        }
        out
    }

    #[test]
    fn every_axis_set_sums_like_the_definition() {
        let x = Tensor::<f64>::randn(&[3, 4, 5, 2], &mut seeded_rng(1));
        let sets: [&[usize]; 9] = [
            &[0],
            &[1],
            &[2],
            &[3],
            &[0, 1],
            &[1, 2],
            &[0, 1, 2],
            &[0, 2],
            &[1, 3],
        ];
        for axes in sets {
            let got = sum_axes(&x, axes).to_vec();
            let want = reference_sum(&x, axes);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12, "axes {axes:?}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn leading_axis_max_of_a_large_tensor_matches_rows_of_the_transpose() {
        // Large enough for the parallel middle-axis path.
        let x = Tensor::<f32>::randn(&[300, 200], &mut seeded_rng(2));
        let by_middle = max_axes(&x, &[0]).to_vec();
        let by_rows = max_axes(&x.transpose(0, 1).contiguous(), &[1]).to_vec();
        assert_eq!(by_middle, by_rows);
    }
}
