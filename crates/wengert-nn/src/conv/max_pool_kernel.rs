//! The loops of max pooling, with no tape: the forward pass that finds each
//! window's maximum and its position ([`pool_with_argmax`]), and the two
//! passes the gradient travels along once those positions are known
//! ([`scatter_to_argmax`] and its adjoint [`gather_from_argmax`]), used by
//! the nodes of `argmax_route.rs`.
//!
//! Planes (one channel of one image) are independent: every window lies
//! in one plane and every recorded position is in the window's plane. So
//! each pass is split into parts of whole planes run by
//! [`run_parts`](wengert_tensor::kernels::parallel::run_parts); a part
//! covers at least `PARALLEL_THRESHOLD` input values (where a hand-off
//! starts to pay, as for im2col), and an input smaller than that stays on
//! the calling thread. Nothing is summed across planes, and within a plane
//! the order of the additions is the output order, so the results are
//! bitwise the same on any number of threads.

use std::sync::{Mutex, PoisonError};

use wengert_tensor::buffer;
use wengert_tensor::kernels::parallel::{run_parts, zeroed_in_chunks};
use wengert_tensor::kernels::PARALLEL_THRESHOLD;
use wengert_tensor::Float;

use super::window::Window2d;

/// A window with no input position (wholly in the padding): its output is
/// the constant `-infinity`, and no gradient flows through it either way.
pub(crate) const NOWHERE: usize = usize::MAX;

/// `planes` planes of `h x w` inputs and `oh x ow` outputs each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Planes {
    pub(crate) planes: usize,
    pub(crate) input: (usize, usize),
    pub(crate) output: (usize, usize),
}

impl Planes {
    fn input_len(&self) -> usize {
        self.input.0 * self.input.1
    }

    fn output_len(&self) -> usize {
        self.output.0 * self.output.1
    }

    /// Planes per parallel part.
    fn per_part(&self) -> usize {
        (PARALLEL_THRESHOLD / self.input_len().max(1)).max(1)
    }
}

/// The later tap wins when larger, or NaN (NaN propagates, as in PyTorch;
/// of several NaNs the last one scanned wins, as PyTorch's scan on CPU).
#[inline(always)]
fn wins<T: Float>(val: T, best: T) -> bool {
    val > best || val.is_nan()
}

/// Every window's maximum and the flat position (over the whole input) of
/// its first maximum in row-major tap order, as PyTorch on CPU; NaN wins
/// (see [`wins`]). A window with no input position gives `-infinity` at
/// [`NOWHERE`].
pub(crate) fn pool_with_argmax<T: Float>(
    xs: &[T],
    dims: Planes,
    win: &Window2d,
) -> (Vec<T>, Vec<usize>) {
    let len = dims.planes * dims.output_len();
    let (mut values, mut index) = (buffer::zeroed(len), vec![0; len]);
    let (h, w) = dims.input;
    let (oh, ow) = dims.output;
    let fast = *win == Window2d::square(2).with_stride(2) && 2 * oh <= h && 2 * ow <= w;
    let per_part = dims.per_part();
    for_each_part_of_two(
        &mut values,
        &mut index,
        per_part * dims.output_len(),
        |part, values, index| {
            let planes = values
                .chunks_mut(dims.output_len())
                .zip(index.chunks_mut(dims.output_len()));
            for (k, (values, index)) in planes.enumerate() {
                let base = (part * per_part + k) * dims.input_len();
                let plane = &xs[base..base + dims.input_len()];
                if fast {
                    pool_plane_2x2(plane, base, dims, values, index);
                } else {
                    pool_plane(plane, base, dims, win, values, index);
                }
            }
        },
    );
    (values, index)
}

/// One plane, kernel 2, stride 2, every window inside: two input rows per
/// output row and no bounds to check per tap. The scan's first maximum is
/// found as a small tree with no branch: the first maximum of each row of
/// the window, then the lower one if it wins over the upper one. That is
/// the same tap as the row-major scan: without NaN the lower row's best
/// replaces the upper row's only if strictly larger, and with NaN the last
/// NaN wins in both.
fn pool_plane_2x2<T: Float>(
    plane: &[T],
    base: usize,
    dims: Planes,
    values: &mut [T],
    index: &mut [usize],
) {
    let w = dims.input.1;
    let ow = dims.output.1;
    let rows = values.chunks_mut(ow).zip(index.chunks_mut(ow));
    for (i, (values, index)) in rows.enumerate() {
        let top = 2 * i * w;
        let (upper, lower) = (&plane[top..top + w], &plane[top + w..top + 2 * w]);
        let windows = upper.chunks_exact(2).zip(lower.chunks_exact(2));
        for (j, ((u, l), (value, at))) in windows.zip(values.iter_mut().zip(index)).enumerate() {
            let upper_right = wins(u[1], u[0]);
            let upper_best = if upper_right { u[1] } else { u[0] };
            let lower_right = wins(l[1], l[0]);
            let lower_best = if lower_right { l[1] } else { l[0] };
            let down = wins(lower_best, upper_best);
            *value = if down { lower_best } else { upper_best };
            let tap = if down {
                w + usize::from(lower_right)
            } else {
                usize::from(upper_right)
            };
            *at = base + top + 2 * j + tap;
        }
    }
}

/// One plane, any window: the row-major scan of each window's taps, the
/// definition the other paths are checked against.
fn pool_plane<T: Float>(
    plane: &[T],
    base: usize,
    dims: Planes,
    win: &Window2d,
    values: &mut [T],
    index: &mut [usize],
) {
    let (h, w) = dims.input;
    let (oh, ow) = dims.output;
    let outputs = values.iter_mut().zip(index.iter_mut());
    for (o, (value, index)) in outputs.enumerate() {
        let (i, j) = (o / ow, o % ow);
        debug_assert!(i < oh);
        let mut best: Option<(usize, T)> = None;
        for u in 0..win.kernel[0] {
            let Some(hi) = win.source(0, i, u, h) else {
                continue;
            };
            for v in 0..win.kernel[1] {
                let Some(wj) = win.source(1, j, v, w) else {
                    continue;
                };
                let val = plane[hi * w + wj];
                if best.is_none_or(|(_, b)| wins(val, b)) {
                    best = Some((base + hi * w + wj, val));
                }
            }
        }
        (*index, *value) = best.unwrap_or((NOWHERE, T::neg_infinity()));
    }
}

/// `dx [planes, h, w]` with `dx[index[k]] += dy[k]` (positions at
/// [`NOWHERE`] skipped): the adjoint of [`gather_from_argmax`].
/// Overlapping windows (stride below the kernel) may share a maximum;
/// their contributions add in output order.
///
/// # Panics
/// If a position lies outside its output's plane (never, for positions
/// from [`pool_with_argmax`]).
pub(crate) fn scatter_to_argmax<T: Float>(dys: &[T], index: &[usize], dims: Planes) -> Vec<T> {
    let per_part = dims.per_part();
    let len = dims.planes * dims.input_len();
    zeroed_in_chunks(len, per_part * dims.input_len(), |part, dx| {
        let (first, planes) = (part * per_part, dx.len() / dims.input_len());
        let base = first * dims.input_len();
        let outputs = first * dims.output_len()..(first + planes) * dims.output_len();
        for (&at, &d) in index[outputs.clone()].iter().zip(&dys[outputs]) {
            if at != NOWHERE {
                dx[at - base] += d;
            }
        }
    })
}

/// `y [planes, oh, ow]` with `y[k] = x[index[k]]` (zero at [`NOWHERE`]):
/// the adjoint of [`scatter_to_argmax`].
pub(crate) fn gather_from_argmax<T: Float>(xs: &[T], index: &[usize], dims: Planes) -> Vec<T> {
    let per_part = dims.per_part() * dims.output_len();
    zeroed_in_chunks(index.len(), per_part, |part, y| {
        let index = &index[part * per_part..][..y.len()];
        for (o, &at) in y.iter_mut().zip(index) {
            if at != NOWHERE {
                *o = xs[at];
            }
        }
    })
}

/// Matching chunks of two outputs, claimed together by one part.
type ChunkPair<'a, A, B> = (&'a mut [A], &'a mut [B]);

/// Splits `a` and `b` into matching chunks of `chunk` elements and runs
/// `f(part, a_chunk, b_chunk)` for each through `run_parts` (the pair
/// version of `for_each_chunk_mut`).
fn for_each_part_of_two<A: Send, B: Send>(
    a: &mut [A],
    b: &mut [B],
    chunk: usize,
    f: impl Fn(usize, &mut [A], &mut [B]) + Sync,
) {
    let chunk = chunk.max(1);
    let parts: Vec<Mutex<Option<ChunkPair<A, B>>>> = a
        .chunks_mut(chunk)
        .zip(b.chunks_mut(chunk))
        .map(|pair| Mutex::new(Some(pair)))
        .collect();
    run_parts(parts.len(), |i| {
        let (a, b) = parts[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("each part is claimed once");
        f(i, a, b);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Values from a few levels, with NaNs, so windows hold ties and
    /// several NaNs.
    fn tied_with_nans(len: usize, seed: u64) -> Vec<f32> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                match state % 7 {
                    0 => f32::NAN,
                    r => (r % 4) as f32 - 1.5,
                }
            })
            .collect()
    }

    /// The generic scan ([`pool_plane`]) on every plane, serially.
    fn scan_every_plane(xs: &[f32], dims: Planes, win: &Window2d) -> (Vec<f32>, Vec<usize>) {
        let len = dims.planes * dims.output_len();
        let (mut values, mut index) = (vec![0.0; len], vec![0; len]);
        let outputs = values
            .chunks_mut(dims.output_len())
            .zip(index.chunks_mut(dims.output_len()));
        for (p, (values, index)) in outputs.enumerate() {
            let at = p * dims.input_len();
            let plane = &xs[at..at + dims.input_len()];
            pool_plane(plane, at, dims, win, values, index);
        }
        (values, index)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_two_by_two_tree_picks_the_tap_of_the_row_major_scan(
            (planes, h, w) in (1usize..4, 2usize..10, 2usize..10),
            seed in any::<u64>(),
        ) {
            let win = Window2d::square(2).with_stride(2);
            let dims = Planes { planes, input: (h, w), output: (h / 2, w / 2) };
            let xs = tied_with_nans(planes * h * w, seed);
            let (values, index) = scan_every_plane(&xs, dims, &win);
            let (fast_values, fast_index) = pool_with_argmax(&xs, dims, &win);
            prop_assert_eq!(bits(&fast_values), bits(&values));
            prop_assert_eq!(fast_index, index);
        }
    }

    #[test]
    fn scatter_and_gather_are_adjoint_and_stay_in_their_planes() {
        // Overlapping windows with padding: shared maxima and NOWHERE.
        let win = Window2d::square(3).with_stride(1).with_padding(1);
        let dims = Planes {
            planes: 3,
            input: (5, 4),
            output: win.output_size(5, 4).unwrap(),
        };
        let xs: Vec<f64> = (0..60).map(|i| ((i * 37) % 11) as f64).collect();
        let (_, index) = pool_with_argmax(&xs, dims, &win);
        for (k, &at) in index.iter().enumerate() {
            assert_eq!(at / 20, k / dims.output_len(), "output {k} in its plane");
        }
        let dys: Vec<f64> = (0..index.len()).map(|k| k as f64 * 0.5 - 3.0).collect();
        let dx = scatter_to_argmax(&dys, &index, dims);
        let y = gather_from_argmax(&xs, &index, dims);
        // <gather(x), dy> = <x, scatter(dy)>
        let lhs: f64 = y.iter().zip(&dys).map(|(a, b)| a * b).sum();
        let rhs: f64 = xs.iter().zip(&dx).map(|(a, b)| a * b).sum();
        assert_eq!(lhs, rhs);
    }

    #[test]
    fn passes_are_bitwise_the_same_on_one_and_two_threads() {
        // The first pooling of the CNN bench: several parts of 5 planes.
        let dims = Planes {
            planes: 64 * 32,
            input: (28, 28),
            output: (14, 14),
        };
        assert!(dims.per_part() < dims.planes, "several parts");
        let xs = tied_with_nans(dims.planes * 28 * 28, 5);
        let dys: Vec<f32> = (0..dims.planes * 14 * 14)
            .map(|k| (k as f32 * 0.7).sin())
            .collect();
        for win in [
            Window2d::square(2).with_stride(2),
            Window2d::square(3).with_stride(2).with_padding(1),
        ] {
            let run = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| {
                        let (values, index) = pool_with_argmax(&xs, dims, &win);
                        let dx = scatter_to_argmax(&dys, &index, dims);
                        let y = gather_from_argmax(&dx, &index, dims);
                        (bits(&values), index, bits(&dx), bits(&y))
                    })
            };
            assert!(run(1) == run(2), "{win:?}: 1 and 2 threads differ");
        }
    }
}
