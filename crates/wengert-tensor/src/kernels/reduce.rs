//! Reductions over a set of axes.
//!
//! Every output element reduces one row: its reduced elements in row-major
//! order. A row is folded in fixed chunks of [`CHUNK`] elements whose partial
//! results are combined left to right; the chunks may run on different
//! threads, but the order of combination never changes, so the result is
//! bitwise the same on 1 thread or many.
//!
//! Where the data lies decides how a row is reached. When the innermost
//! (merged) axis is reduced and contiguous, each row is a sequence of
//! contiguous runs folded where they lie (per-channel sums over `[0, 2, 3]`
//! of `[N, C, H, W]`). When a run of consecutive axes with kept axes after it
//! is reduced, the kept inner axis is the vectorized loop. Otherwise the
//! reduced axes are moved last by a contiguous copy.

use rayon::prelude::*;

use super::{strided, CHUNK, PARALLEL_THRESHOLD};
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
    if let Some(out) = reduce_trailing_run(a, axes, init, &f) {
        return Tensor::from_parts(out, &out_shape);
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

/// Reduces `axes` in place when, after merging axes (see
/// `strided::merge_axes`), the innermost one is reduced and contiguous:
/// per-channel sums over `[0, 2, 3]` of `[N, C, H, W]` fold each contiguous
/// `H * W` run where it lies instead of transposing the whole tensor first.
/// `None` for any other layout (the caller permutes and copies).
///
/// Each output folds its reduced elements in exactly the order and chunking
/// of the copying path (row-major over the reduced axes, in chunks of
/// [`CHUNK`] folded from `init` and combined left to right), so the two paths
/// agree bitwise, and the parallel split (the same conditions as the copying
/// path) never changes the result.
fn reduce_trailing_run<T: Float>(
    a: &Tensor<T>,
    axes: &[usize],
    init: T,
    f: &(impl Fn(T, T) -> T + Sync),
) -> Option<Vec<T>> {
    let (src, offset, shape, strides) = a.raw();
    if shape.contains(&0) {
        return None;
    }
    let reduced = |ax: usize| axes.contains(&ax);
    let merged = strided::merge_axes(shape, strides, |p, q| reduced(p) == reduced(q));
    let (&(last_ax, run), rest) = merged.split_last()?;
    if !reduced(last_ax) || run.stride != 1 {
        return None;
    }
    let (kept, outer_reduced): (Vec<_>, Vec<_>) = rest.iter().partition(|(ax, _)| !reduced(*ax));
    let kept: Vec<strided::Dim> = kept.into_iter().map(|(_, d)| d).collect();
    let outer: Vec<strided::Dim> = outer_reduced.into_iter().map(|(_, d)| d).collect();
    let rows: usize = kept.iter().map(|d| d.size).product();
    let row = run.size * outer.iter().map(|d| d.size).product::<usize>();
    let rowset = ReducedRow {
        src,
        outer: &outer,
        run: run.size,
    };
    let fold_at = |base: usize| {
        let chunks = row.div_ceil(CHUNK);
        let chunk = |c: usize| rowset.fold(base, c * CHUNK, ((c + 1) * CHUNK).min(row), init, f);
        if row >= PARALLEL_THRESHOLD {
            let partial: Vec<T> = (0..chunks).into_par_iter().map(chunk).collect();
            partial.into_iter().fold(init, f)
        } else {
            (0..chunks).map(chunk).fold(init, f)
        }
    };
    let mut out = vec![init; rows];
    if rows >= 64 && rows * row >= PARALLEL_THRESHOLD {
        let bases: Vec<usize> = strided::RowStarts::new(&kept, offset).collect();
        out.par_iter_mut()
            .zip(bases.par_iter())
            .for_each(|(o, &base)| *o = fold_at(base));
    } else {
        for (o, base) in out.iter_mut().zip(strided::RowStarts::new(&kept, offset)) {
            *o = fold_at(base);
        }
    }
    Some(out)
}

/// The reduced elements of one output: contiguous runs of `run` elements,
/// one per position of the `outer` reduced axes, in row-major order.
struct ReducedRow<'a, T> {
    src: &'a [T],
    outer: &'a [strided::Dim],
    run: usize,
}

impl<T: Float> ReducedRow<'_, T> {
    /// Folds the elements `start..end` of the row whose first element is at
    /// `base`, from `init`, in order.
    fn fold(&self, base: usize, start: usize, end: usize, init: T, f: &impl Fn(T, T) -> T) -> T {
        // The multi-index of the run holding `start`, found once per chunk;
        // the runs after it follow by an odometer.
        let mut index = vec![0usize; self.outer.len()];
        let mut r = start / self.run;
        let mut off = base;
        for (i, d) in self.outer.iter().enumerate().rev() {
            index[i] = r % d.size;
            r /= d.size;
            off += index[i] * d.stride;
        }
        let mut acc = init;
        let mut pos = start;
        let mut within = start % self.run;
        while pos < end {
            let take = (self.run - within).min(end - pos);
            let piece = &self.src[off + within..off + within + take];
            acc = piece.iter().fold(acc, |acc, &x| f(acc, x));
            pos += take;
            within = 0;
            for (i, d) in self.outer.iter().enumerate().rev() {
                index[i] += 1;
                off += d.stride;
                if index[i] < d.size {
                    break;
                }
                off -= d.stride * d.size;
                index[i] = 0;
            }
        }
        acc
    }
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
