//! The loops of the fused batch norm (`batch_norm_fused.rs`), with no tape.
//!
//! The input `[N, C, *]` is read as `N * C` contiguous runs of `L` values.
//! Two kinds of pass, each split into parts run by
//! [`for_each_chunk_mut`], so the pool's threads share them:
//!
//! - per-channel sums ([`channel_mean_var`], [`channel_grad_sums`]): a part
//!   is a group of whole channels, and each channel's sum is formed by one
//!   thread in one fixed order (its runs in batch order, each run into
//!   [`LANES`] partial sums combined in a fixed tree). The split is never
//!   inside a sum, so the result is bitwise the same on any number of
//!   threads; the partial sums are what lets the compiler keep several
//!   additions in flight instead of one chain (about 4x fewer cycles per
//!   value than a single running sum).
//! - element-wise maps ([`normalize`], [`input_grad`]): a part is a range
//!   of whole runs; no value depends on another.
//!
//! A part covers at least `PARALLEL_THRESHOLD` values (the crossover where
//! a hand-off starts to pay, as for im2col), so a small input stays on the
//! calling thread with no hand-off at all.

use std::ops::Range;

use wengert_tensor::kernels::parallel::{for_each_chunk_mut, zeroed_in_chunks};
use wengert_tensor::kernels::PARALLEL_THRESHOLD;
use wengert_tensor::Float;

/// Partial sums per channel sum: 8 values of f32 fill two SSE registers,
/// enough independent additions to hide the adder's latency.
pub(crate) const LANES: usize = 8;

/// The `[N, C, L]` reading of a shape `[N, C, *]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) n: usize,
    pub(crate) c: usize,
    pub(crate) l: usize,
}

impl Layout {
    /// `[N, C, L]` of `[N, C, *]` (`L = 1` for `[N, C]`).
    pub(crate) fn of(shape: &[usize]) -> Self {
        Layout {
            n: shape[0],
            c: shape[1],
            l: shape[2..].iter().product(),
        }
    }

    /// Values per channel, the `n` the statistics divide by.
    pub(crate) fn per_channel(&self) -> usize {
        self.n * self.l
    }

    fn len(&self) -> usize {
        self.n * self.c * self.l
    }

    /// The runs of channel `ch` in batch order.
    fn runs(&self, ch: usize) -> impl Iterator<Item = Range<usize>> {
        let (c, l) = (self.c, self.l);
        (0..self.n).map(move |i| {
            let at = (i * c + ch) * l;
            at..at + l
        })
    }

    /// Channels per part of a per-channel pass.
    fn channels_per_part(&self) -> usize {
        (PARALLEL_THRESHOLD / self.per_channel().max(1)).max(1)
    }

    /// Values per part of an element-wise pass: whole runs.
    fn values_per_part(&self) -> usize {
        let l = self.l.max(1);
        (PARALLEL_THRESHOLD / l).max(1) * l
    }
}

/// A sum kept as [`LANES`] partial sums: value `k` of a run goes to lane
/// `k % LANES`, and [`Lanes::total`] combines the lanes in a fixed tree.
struct Lanes<T>([T; LANES]);

impl<T: Float> Lanes<T> {
    fn new() -> Self {
        Lanes([T::zero(); LANES])
    }

    /// Adds `f(v)` for each `v` of `run`.
    #[inline(always)]
    fn add(&mut self, run: &[T], f: impl Fn(T) -> T) {
        let mut blocks = run.chunks_exact(LANES);
        for block in &mut blocks {
            for (acc, &v) in self.0.iter_mut().zip(block) {
                *acc += f(v);
            }
        }
        for (acc, &v) in self.0.iter_mut().zip(blocks.remainder()) {
            *acc += f(v);
        }
    }

    /// Adds `f(a, b)` for each pair of `a` and `b` (same length).
    #[inline(always)]
    fn add_pairs(&mut self, a: &[T], b: &[T], f: impl Fn(T, T) -> T) {
        let (mut blocks_a, mut blocks_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
        for (block_a, block_b) in (&mut blocks_a).zip(&mut blocks_b) {
            for ((acc, &u), &v) in self.0.iter_mut().zip(block_a).zip(block_b) {
                *acc += f(u, v);
            }
        }
        for ((acc, &u), &v) in self
            .0
            .iter_mut()
            .zip(blocks_a.remainder())
            .zip(blocks_b.remainder())
        {
            *acc += f(u, v);
        }
    }

    fn total(&self) -> T {
        let l: &[T; 8] = &self.0;
        ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
    }
}

/// Runs `f(ch)` for every channel, parts of whole channels in parallel,
/// and returns the results in channel order.
fn per_channel<R: Copy + Default + Send>(d: Layout, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let mut out = vec![R::default(); d.c];
    let per_part = d.channels_per_part();
    for_each_chunk_mut(&mut out, per_part, |p, part| {
        for (k, slot) in part.iter_mut().enumerate() {
            *slot = f(p * per_part + k);
        }
    });
    out
}

/// A new `[N, C, L]` buffer with `f(ch, range, out)` called for each run
/// (`range` its place in the buffer, `out` its values to write), parts
/// of whole runs in parallel.
fn map_runs<T: Float>(d: Layout, f: impl Fn(usize, Range<usize>, &mut [T]) + Sync) -> Vec<T> {
    let (l, per_part) = (d.l.max(1), d.values_per_part());
    zeroed_in_chunks(d.len(), per_part, |p, part| {
        let first = p * per_part / l;
        let mut ch = first % d.c;
        for (r, run) in part.chunks_mut(l).enumerate() {
            let at = (first + r) * l;
            f(ch, at..at + run.len(), run);
            ch = if ch + 1 == d.c { 0 } else { ch + 1 };
        }
    })
}

/// Per channel, the mean and the biased variance `sum((x - mean)^2) / n`,
/// two passes over the channel's runs (the second one centred, so as
/// accurate as the textbook formula; the channel's runs are still in
/// cache for it).
pub(crate) fn channel_mean_var<T: Float>(xs: &[T], d: Layout) -> (Vec<T>, Vec<T>) {
    let count = T::from_f64(d.per_channel() as f64);
    let stats = per_channel(d, |ch| {
        let mut sum = Lanes::new();
        for run in d.runs(ch) {
            sum.add(&xs[run], |v| v);
        }
        let mean = sum.total() / count;
        let mut squares = Lanes::new();
        for run in d.runs(ch) {
            squares.add(&xs[run], |v| (v - mean) * (v - mean));
        }
        (mean, squares.total() / count)
    });
    stats.into_iter().unzip()
}

/// `y = (x - mean[c]) * scale[c] + shift[c]`, with `scale = weight / std`
/// and `shift = bias` (one multiplication per value instead of a division).
pub(crate) fn normalize<T: Float>(
    xs: &[T],
    d: Layout,
    mean: &[T],
    scale: &[T],
    shift: &[T],
) -> Vec<T> {
    map_runs(d, |ch, at, out| {
        let (m, k, b) = (mean[ch], scale[ch], shift[ch]);
        for (o, &v) in out.iter_mut().zip(&xs[at]) {
            *o = (v - m) * k + b;
        }
    })
}

/// Per channel, `sum(dy)` and `sum(dy * (x - mean))`, one pass.
pub(crate) fn channel_grad_sums<T: Float>(
    xs: &[T],
    dys: &[T],
    d: Layout,
    mean: &[T],
) -> (Vec<T>, Vec<T>) {
    let sums = per_channel(d, |ch| {
        let m = mean[ch];
        let (mut sum_dy, mut sum_dy_xc) = (Lanes::new(), Lanes::new());
        for run in d.runs(ch) {
            sum_dy.add(&dys[run.clone()], |g| g);
            sum_dy_xc.add_pairs(&xs[run.clone()], &dys[run], |v, g| g * (v - m));
        }
        (sum_dy.total(), sum_dy_xc.total())
    });
    sums.into_iter().unzip()
}

/// The input gradient `dx = scale[c] * (dy - a[c] - (x - mean[c]) * b[c])`
/// (batch statistics: `scale = weight / std`, `a = mean(dy)`,
/// `b = mean(dy * x^) / std`); `dx = scale[c] * dy` when `centring` is
/// `None` (running statistics, constants).
pub(crate) fn input_grad<T: Float>(
    xs: &[T],
    dys: &[T],
    d: Layout,
    mean: &[T],
    scale: &[T],
    centring: Option<(&[T], &[T])>,
) -> Vec<T> {
    map_runs(d, |ch, at, out| {
        let k = scale[ch];
        match centring {
            Some((a, b)) => {
                let (m, a, b) = (mean[ch], a[ch], b[ch]);
                for ((o, &v), &g) in out.iter_mut().zip(&xs[at.clone()]).zip(&dys[at]) {
                    *o = k * (g - a - (v - m) * b);
                }
            }
            None => {
                for (o, &g) in out.iter_mut().zip(&dys[at]) {
                    *o = k * g;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[N, C, L]` values from a fixed formula, off-centre per channel.
    fn input(d: Layout) -> Vec<f64> {
        (0..d.len())
            .map(|i| ((i as f64) * 0.37).sin() + ((i / d.l.max(1)) % d.c) as f64)
            .collect()
    }

    #[test]
    fn lanes_sum_every_value_once_for_any_run_length() {
        for len in [0, 1, 7, 8, 9, 17, 64, 100] {
            let run: Vec<f64> = (0..len).map(|i| i as f64 + 1.0).collect();
            let mut sum = Lanes::new();
            sum.add(&run, |v| v);
            sum.add(&run, |v| 2.0 * v);
            let mut pairs = Lanes::new();
            pairs.add_pairs(&run, &run, |a, b| a * b);
            let n = len as f64;
            assert_eq!(sum.total(), 3.0 * n * (n + 1.0) / 2.0, "len {len}");
            assert_eq!(
                pairs.total(),
                n * (n + 1.0) * (2.0 * n + 1.0) / 6.0,
                "len {len}"
            );
        }
    }

    #[test]
    fn statistics_match_the_definition_per_channel() {
        for d in [
            Layout { n: 3, c: 4, l: 13 },
            Layout { n: 5, c: 3, l: 1 },
            Layout { n: 2, c: 1, l: 40 },
        ] {
            let xs = input(d);
            let (mean, var) = channel_mean_var(&xs, d);
            for ch in 0..d.c {
                let vals: Vec<f64> = (0..d.len())
                    .filter(|i| (i / d.l) % d.c == ch)
                    .map(|i| xs[i])
                    .collect();
                let m = vals.iter().sum::<f64>() / vals.len() as f64;
                let v = vals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / vals.len() as f64;
                assert!((mean[ch] - m).abs() < 1e-13, "{d:?} mean[{ch}]");
                assert!((var[ch] - v).abs() < 1e-13, "{d:?} var[{ch}]");
            }
        }
    }

    #[test]
    fn runs_are_mapped_with_their_channel_across_parts() {
        // Runs of 3 values, so a part of PARALLEL_THRESHOLD / 3 whole runs
        // starts in the middle of the channel cycle.
        let d = Layout {
            n: 3 * PARALLEL_THRESHOLD / 7 / 3 + 1,
            c: 7,
            l: 3,
        };
        let out: Vec<f64> = map_runs(d, |ch, at, run| {
            for (k, o) in run.iter_mut().enumerate() {
                *o = (ch * 1_000_000 + at.start + k) as f64;
            }
        });
        assert!(d.values_per_part() < d.len(), "several parts");
        for (i, &o) in out.iter().enumerate() {
            assert_eq!(o, (((i / 3) % 7) * 1_000_000 + i) as f64, "value {i}");
        }
    }

    #[test]
    fn kernels_are_bitwise_the_same_on_one_and_two_threads() {
        // Channels of 64 * 14 * 14 values, several per part, and an
        // element-wise pass of several parts, as in the CNN bench.
        let d = Layout {
            n: 64,
            c: 24,
            l: 14 * 14,
        };
        let xs: Vec<f32> = (0..d.len()).map(|i| (i as f32 * 0.013).sin()).collect();
        let dys: Vec<f32> = (0..d.len()).map(|i| (i as f32 * 0.029).cos()).collect();
        assert!(d.channels_per_part() < d.c && d.values_per_part() < d.len());
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let (mean, var) = channel_mean_var(&xs, d);
                    let scale: Vec<f32> = var.iter().map(|v| 1.0 / (v + 1e-5).sqrt()).collect();
                    let y = normalize(&xs, d, &mean, &scale, &var);
                    let (a, b) = channel_grad_sums(&xs, &dys, d, &mean);
                    let dx = input_grad(&xs, &dys, d, &mean, &scale, Some((&a, &b)));
                    [mean, var, y, a, b, dx]
                        .iter()
                        .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>())
                        .collect::<Vec<_>>()
                })
        };
        assert!(run(1) == run(2), "1 and 2 threads differ");
    }
}
