//! K-fold cross-validation, plain and stratified.
//!
//! The examples are cut into `k` folds; fold `i` is the validation set of
//! round `i` and the other `k - 1` folds its training set, so every example
//! is validated exactly once. The text's `get_k_fold_data` cuts contiguous
//! blocks in order; pass `shuffle_seed: None` for that, `Some(seed)` to
//! shuffle first.

use rand::seq::SliceRandom;
use wengert_tensor::{seeded_rng, Float};

use crate::dataset::Dataset;
use crate::error::{or_panic, DataError, Result};
use crate::split::indices_by_class;
use crate::subset::Subset;

/// One round of K-fold: indices to train on and indices to validate on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// Training indices (every fold but this one).
    pub train: Vec<usize>,
    /// Validation indices (this fold).
    pub validation: Vec<usize>,
}

impl Fold {
    /// The fold as two views of `dataset` (cloned twice: pass a cheap clone).
    #[track_caller]
    pub fn subsets<T: Float, D: Dataset<T> + Clone>(&self, dataset: &D) -> (Subset<D>, Subset<D>) {
        (
            Subset::new(dataset.clone(), self.train.clone()),
            Subset::new(dataset.clone(), self.validation.clone()),
        )
    }
}

fn check_k(op: &'static str, n: usize, k: usize) -> Result<()> {
    if k < 2 || k > n {
        return Err(DataError::InvalidArgument {
            op,
            why: format!("k must be between 2 and the number of examples ({n}), got {k}"),
        });
    }
    Ok(())
}

/// Folds from a fold number for every position of `order`.
fn folds_from_assignment(order: &[usize], fold_of: impl Fn(usize) -> usize, k: usize) -> Vec<Fold> {
    (0..k)
        .map(|f| {
            let mut fold = Fold {
                train: Vec::new(),
                validation: Vec::new(),
            };
            for (position, &index) in order.iter().enumerate() {
                if fold_of(position) == f {
                    fold.validation.push(index);
                } else {
                    fold.train.push(index);
                }
            }
            fold
        })
        .collect()
}

/// K folds of `0..n` (as scikit-learn's `KFold`): fold sizes differ by at
/// most one (the first `n % k` folds have one more).
///
/// ```
/// use wengert_data::kfold;
///
/// let folds = kfold(5, 2, None);
/// assert_eq!(folds[0].validation, vec![0, 1, 2]);
/// assert_eq!(folds[0].train, vec![3, 4]);
/// assert_eq!(folds[1].validation, vec![3, 4]);
/// ```
pub fn try_kfold(n: usize, k: usize, shuffle_seed: Option<u64>) -> Result<Vec<Fold>> {
    check_k("kfold", n, k)?;
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = shuffle_seed {
        order.shuffle(&mut seeded_rng(seed));
    }
    // Fold f covers positions [start(f), start(f + 1)).
    let (base, extra) = (n / k, n % k);
    let start = |f: usize| f * base + f.min(extra);
    let fold_of = |position: usize| {
        (0..k)
            .find(|&f| position < start(f + 1))
            .expect("position < n")
    };
    Ok(folds_from_assignment(&order, fold_of, k))
}

/// Panicking form of [`try_kfold`].
#[track_caller]
pub fn kfold(n: usize, k: usize, shuffle_seed: Option<u64>) -> Vec<Fold> {
    or_panic(try_kfold(n, k, shuffle_seed))
}

/// K folds that keep class proportions (as scikit-learn's
/// `StratifiedKFold`): each fold holds `floor` or `ceil` of `n_class / k`
/// examples of every class. The examples are ordered class by class
/// (shuffled within a class when a seed is given) and dealt to the folds in
/// turn, like cards.
///
/// ```
/// use wengert_data::stratified_kfold;
///
/// let labels = [0, 0, 0, 0, 1, 1];
/// for fold in stratified_kfold(&labels, 2, Some(3)) {
///     let ones = fold.validation.iter().filter(|&&i| labels[i] == 1).count();
///     assert_eq!(ones, 1);
/// }
/// ```
pub fn try_stratified_kfold(
    labels: &[usize],
    k: usize,
    shuffle_seed: Option<u64>,
) -> Result<Vec<Fold>> {
    check_k("stratified_kfold", labels.len(), k)?;
    let mut rng = shuffle_seed.map(seeded_rng);
    let mut order = Vec::with_capacity(labels.len());
    for mut members in indices_by_class(labels) {
        if let Some(rng) = rng.as_mut() {
            members.shuffle(rng);
        }
        order.extend(members);
    }
    let mut folds = folds_from_assignment(&order, |position| position % k, k);
    if let Some(rng) = rng.as_mut() {
        for fold in &mut folds {
            fold.train.shuffle(rng);
            fold.validation.shuffle(rng);
        }
    }
    Ok(folds)
}

/// Panicking form of [`try_stratified_kfold`].
#[track_caller]
pub fn stratified_kfold(labels: &[usize], k: usize, shuffle_seed: Option<u64>) -> Vec<Fold> {
    or_panic(try_stratified_kfold(labels, k, shuffle_seed))
}
