//! Seeded train/validation/test splits, plain and stratified.
//!
//! A split is three lists of indices (disjoint, covering `0..n`); turn them
//! into datasets with [`Subset`] (a view, no copy). Part sizes use
//! cumulative rounding: the cut points are `round(n * train)` and
//! `round(n * (train + validation))`, so each part's size is within one
//! example of its exact share. A stratified split does this per class, so
//! each class's count in each part is within one of `n_class * fraction`.

use rand::seq::SliceRandom;
use wengert_tensor::{seeded_rng, Float};

use crate::dataset::Dataset;
use crate::error::{or_panic, DataError, Result};
use crate::subset::Subset;

/// The fractions of the examples that go to each part; they must be
/// non-negative and sum to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitFractions {
    /// Share of the training part.
    pub train: f64,
    /// Share of the validation part.
    pub validation: f64,
    /// Share of the test part.
    pub test: f64,
}

impl SplitFractions {
    /// The fractions `(train, validation, test)`.
    pub fn new(train: f64, validation: f64, test: f64) -> Self {
        SplitFractions {
            train,
            validation,
            test,
        }
    }

    fn check(&self, op: &'static str) -> Result<()> {
        let parts = [self.train, self.validation, self.test];
        let sum: f64 = parts.iter().sum();
        if parts.iter().any(|f| !f.is_finite() || *f < 0.0) || (sum - 1.0).abs() > 1e-9 {
            return Err(DataError::InvalidArgument {
                op,
                why: format!(
                    "fractions must be >= 0 and sum to 1, got train {}, validation {}, test {} (sum {sum})",
                    self.train, self.validation, self.test
                ),
            });
        }
        Ok(())
    }

    /// Cut points for `n` items: `(round(n * train), round(n * (train + validation)))`.
    fn cuts(&self, n: usize) -> (usize, usize) {
        let a = ((n as f64) * self.train).round() as usize;
        let b = ((n as f64) * (self.train + self.validation)).round() as usize;
        (a.min(n), b.min(n).max(a.min(n)))
    }
}

/// Indices of the three parts of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitIndices {
    /// Training indices.
    pub train: Vec<usize>,
    /// Validation indices.
    pub validation: Vec<usize>,
    /// Test indices.
    pub test: Vec<usize>,
}

impl SplitIndices {
    /// The three parts as views of `dataset` (which is cloned three times:
    /// pass a cheap clone such as an [`InMemoryDataset`](crate::InMemoryDataset) or an `Arc`).
    #[track_caller]
    pub fn subsets<T: Float, D: Dataset<T> + Clone>(
        &self,
        dataset: &D,
    ) -> (Subset<D>, Subset<D>, Subset<D>) {
        (
            Subset::new(dataset.clone(), self.train.clone()),
            Subset::new(dataset.clone(), self.validation.clone()),
            Subset::new(dataset.clone(), self.test.clone()),
        )
    }
}

/// A seeded random split of `0..n` (as scikit-learn's `train_test_split`
/// applied twice, or PyTorch's `random_split`).
///
/// ```
/// use wengert_data::{random_split, SplitFractions};
///
/// let split = random_split(10, SplitFractions::new(0.6, 0.2, 0.2), 42);
/// assert_eq!((split.train.len(), split.validation.len(), split.test.len()), (6, 2, 2));
/// assert_eq!(split, random_split(10, SplitFractions::new(0.6, 0.2, 0.2), 42));
/// ```
pub fn try_random_split(n: usize, fractions: SplitFractions, seed: u64) -> Result<SplitIndices> {
    fractions.check("random_split")?;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut seeded_rng(seed));
    let (a, b) = fractions.cuts(n);
    Ok(SplitIndices {
        train: order[..a].to_vec(),
        validation: order[a..b].to_vec(),
        test: order[b..].to_vec(),
    })
}

/// Panicking form of [`try_random_split`].
#[track_caller]
pub fn random_split(n: usize, fractions: SplitFractions, seed: u64) -> SplitIndices {
    or_panic(try_random_split(n, fractions, seed))
}

/// Groups `0..labels.len()` by class (classes in increasing order).
pub(crate) fn indices_by_class(labels: &[usize]) -> Vec<Vec<usize>> {
    let classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut groups = vec![Vec::new(); classes];
    for (i, &c) in labels.iter().enumerate() {
        groups[c].push(i);
    }
    groups
}

/// A seeded split that keeps each class's proportion in every part (as
/// scikit-learn's `train_test_split(..., stratify=y)`): the examples of each
/// class are shuffled and cut by the fractions on their own.
///
/// ```
/// use wengert_data::{stratified_split, SplitFractions};
///
/// let labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
/// let split = stratified_split(&labels, SplitFractions::new(0.5, 0.0, 0.5), 7);
/// let ones_in_train = split.train.iter().filter(|&&i| labels[i] == 1).count();
/// assert_eq!(ones_in_train, 1);
/// ```
pub fn try_stratified_split(
    labels: &[usize],
    fractions: SplitFractions,
    seed: u64,
) -> Result<SplitIndices> {
    fractions.check("stratified_split")?;
    let mut rng = seeded_rng(seed);
    let mut split = SplitIndices {
        train: Vec::new(),
        validation: Vec::new(),
        test: Vec::new(),
    };
    for mut members in indices_by_class(labels) {
        members.shuffle(&mut rng);
        let (a, b) = fractions.cuts(members.len());
        split.train.extend_from_slice(&members[..a]);
        split.validation.extend_from_slice(&members[a..b]);
        split.test.extend_from_slice(&members[b..]);
    }
    // Mix the classes within each part, so reading a part in order does not
    // see the classes one after the other.
    split.train.shuffle(&mut rng);
    split.validation.shuffle(&mut rng);
    split.test.shuffle(&mut rng);
    Ok(split)
}

/// Panicking form of [`try_stratified_split`].
#[track_caller]
pub fn stratified_split(labels: &[usize], fractions: SplitFractions, seed: u64) -> SplitIndices {
    or_panic(try_stratified_split(labels, fractions, seed))
}
