//! Down- and over-sampling to a target class distribution: a fixed index
//! list (turn it into a dataset with [`Subset`](crate::Subset)) whose class
//! counts follow a [`ClassDistribution`], as imbalanced-learn's
//! `RandomUnderSampler` and `RandomOverSampler`.
//!
//! Unlike a [`WeightedSampler`](crate::WeightedSampler), which draws afresh
//! every epoch, the set is chosen once from a seed, so every epoch (and
//! every model trained on it) sees the same examples.
//!
//! # Counts
//!
//! With `count[c]` the examples of class `c` and `share[c]` its target
//! share, only classes with a positive share are kept (a class of share 0
//! keeps no example). A size `N` is chosen, and class `c` keeps
//! `k[c] = round(share[c] * N)` examples, rounding halves away from zero:
//!
//! - [`try_downsample`]: the largest `N` every class can supply without
//!   repeating an example, `N = min over c of count[c] / share[c]`; then
//!   `k[c] = min(count[c], round(share[c] * N))`. The class that sets `N`
//!   keeps all its examples, every class keeps distinct examples.
//! - [`try_oversample`]: the smallest `N` that keeps every example,
//!   `N = max over c of count[c] / share[c]`; then
//!   `k[c] = max(count[c], round(share[c] * N))`. Each example of a kept
//!   class appears `floor(k[c] / count[c])` or `ceil(k[c] / count[c])`
//!   times: whole copies of the class, then the remaining
//!   `k[c] mod count[c]` examples drawn without replacement. That is
//!   sampling with replacement with the least spread in how often each
//!   example repeats.
//!
//! Either way `|k[c] - share[c] * N| <= 1/2` for every kept class. The
//! result is shuffled (from the seed) so the classes are mixed.

use rand::seq::SliceRandom;

use crate::error::{or_panic, DataError, Result};
use crate::sampler::ClassDistribution;
use crate::seeding::{derived_rng, PURPOSE_RESAMPLE};
use crate::split::indices_by_class;

/// An oversampled set may be at most this many times the labels given: a
/// tiny share on a large class would otherwise ask for more examples than
/// memory holds.
pub const MAX_OVERSAMPLE_FACTOR: usize = 1000;

/// A seeded subset of `0..labels.len()` whose class counts follow `target`,
/// each example taken at most once (see the [module docs](self) for the
/// counts).
///
/// Fails when a label is not a class of `target`, and with
/// [`DataError::EmptyTargetClass`] when a class with a positive share has no
/// example.
///
/// ```
/// use wengert_data::{try_downsample, ClassDistribution};
///
/// // 90 / 9 / 1 examples of classes 0 / 1 / 2.
/// let labels: Vec<usize> = (0..100).map(|i| if i < 90 { 0 } else if i < 99 { 1 } else { 2 }).collect();
/// let target = ClassDistribution::new(vec![0.8, 0.1, 0.1]);
/// let kept = try_downsample(&labels, &target, 7)?;
/// // N = min(90 / 0.8, 9 / 0.1, 1 / 0.1) = 10, so 8, 1 and 1 examples.
/// let count = |c| kept.iter().filter(|&&i| labels[i] == c).count();
/// assert_eq!((count(0), count(1), count(2)), (8, 1, 1));
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub fn try_downsample(
    labels: &[usize],
    target: &ClassDistribution,
    seed: u64,
) -> Result<Vec<usize>> {
    const OP: &str = "downsample";
    let counts = target.check_counts(OP, labels)?;
    let size = kept_classes(target)
        .map(|(c, share)| counts[c] as f64 / share)
        .fold(f64::INFINITY, f64::min);
    let mut rng = derived_rng(seed, &[PURPOSE_RESAMPLE]);
    let mut kept = Vec::new();
    for (c, mut members) in indices_by_class(labels).into_iter().enumerate() {
        let share = target.shares()[c];
        if share == 0.0 {
            continue;
        }
        let k = (share * size).round().min(members.len() as f64) as usize;
        members.shuffle(&mut rng);
        kept.extend_from_slice(&members[..k]);
    }
    kept.shuffle(&mut rng);
    Ok(kept)
}

/// Panicking form of [`try_downsample`].
#[track_caller]
pub fn downsample(labels: &[usize], target: &ClassDistribution, seed: u64) -> Vec<usize> {
    or_panic(try_downsample(labels, target, seed))
}

/// A seeded list of indices into `0..labels.len()`, with repeats, whose
/// class counts follow `target` and which holds every example of every
/// class with a positive share at least once (see the [module docs](self)
/// for the counts).
///
/// Fails as [`try_downsample`] does, and when the list would be longer than
/// [`MAX_OVERSAMPLE_FACTOR`] times the labels.
///
/// ```
/// use wengert_data::{try_oversample, ClassDistribution};
///
/// let labels = [0, 0, 0, 0, 0, 0, 1, 1];
/// let kept = try_oversample(&labels, &ClassDistribution::uniform(2), 7)?;
/// // N = max(6 / 0.5, 2 / 0.5) = 12: 6 of each class, each 1 three times.
/// assert_eq!(kept.len(), 12);
/// assert_eq!(kept.iter().filter(|&&i| i == 7).count(), 3);
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub fn try_oversample(
    labels: &[usize],
    target: &ClassDistribution,
    seed: u64,
) -> Result<Vec<usize>> {
    const OP: &str = "oversample";
    let counts = target.check_counts(OP, labels)?;
    let (binding, size) = kept_classes(target)
        .map(|(c, share)| (c, counts[c] as f64 / share))
        .fold(
            (0, 0.0),
            |best, next| if next.1 > best.1 { next } else { best },
        );
    let class_sizes: Vec<usize> = (0..counts.len())
        .map(|c| {
            let share = target.shares()[c];
            if share == 0.0 {
                0
            } else {
                ((share * size).round() as usize).max(counts[c])
            }
        })
        .collect();
    let total: f64 = class_sizes.iter().map(|&k| k as f64).sum();
    let limit = MAX_OVERSAMPLE_FACTOR * labels.len();
    if total > limit as f64 {
        return Err(DataError::InvalidArgument {
            op: OP,
            why: format!(
                "keeping all {} examples of class {binding} at share {} needs {total} examples, more than {MAX_OVERSAMPLE_FACTOR} times the {} labels; raise that share or downsample",
                counts[binding],
                target.shares()[binding],
                labels.len()
            ),
        });
    }
    let mut rng = derived_rng(seed, &[PURPOSE_RESAMPLE]);
    let mut kept = Vec::with_capacity(total as usize);
    for (members, k) in indices_by_class(labels).into_iter().zip(class_sizes) {
        if k == 0 {
            continue;
        }
        for _ in 0..k / members.len() {
            kept.extend_from_slice(&members);
        }
        let mut rest = members;
        rest.shuffle(&mut rng);
        kept.extend_from_slice(&rest[..k % rest.len()]);
    }
    kept.shuffle(&mut rng);
    Ok(kept)
}

/// Panicking form of [`try_oversample`].
#[track_caller]
pub fn oversample(labels: &[usize], target: &ClassDistribution, seed: u64) -> Vec<usize> {
    or_panic(try_oversample(labels, target, seed))
}

/// The classes with a positive share, and their shares.
fn kept_classes(target: &ClassDistribution) -> impl Iterator<Item = (usize, f64)> + '_ {
    target
        .shares()
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, share)| share > 0.0)
}
