//! [`ClassDistribution`]: the share of each class a sampler or a resampler
//! aims for, and the check that labels can meet it.

use crate::error::{DataError, Result};

/// How far the shares may sum from 1 (room for decimal shares such as
/// `0.1 + 0.2 + 0.7`, which is not exactly 1 in binary floating point).
const SUM_TOLERANCE: f64 = 1e-9;

/// A target class distribution: `shares[c]` is the fraction of drawn (or
/// kept) examples that should be of class `c`.
///
/// Shares are finite, non-negative and sum to 1 (within `1e-9`); they are
/// not normalised silently, because shares that do not sum to 1 are usually
/// a typo (a missing class, a misplaced decimal point) rather than an intent.
///
/// ```
/// use wengert_data::ClassDistribution;
///
/// let target = ClassDistribution::try_new(vec![0.5, 0.3, 0.2])?;
/// assert_eq!(target.classes(), 3);
/// assert_eq!(ClassDistribution::uniform(4).shares(), &[0.25; 4]);
/// assert!(ClassDistribution::try_new(vec![0.5, 0.6]).is_err());
/// # Ok::<(), wengert_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClassDistribution {
    shares: Vec<f64>,
}

impl ClassDistribution {
    /// The distribution `shares` (one per class), failing when a share is
    /// negative, NaN or infinite, or when they do not sum to 1.
    pub fn try_new(shares: Vec<f64>) -> Result<Self> {
        const OP: &str = "ClassDistribution::new";
        if shares.is_empty() {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: "needs the share of at least one class, got none".into(),
            });
        }
        if let Some((class, share)) = shares
            .iter()
            .enumerate()
            .find(|(_, s)| !s.is_finite() || **s < 0.0)
        {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: format!(
                    "share of class {class} is {share}; shares must be finite and >= 0 (all: {shares:?})"
                ),
            });
        }
        let sum: f64 = shares.iter().sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: format!(
                    "shares must sum to 1, got {shares:?} (sum {sum}); divide them by {sum} to normalise"
                ),
            });
        }
        Ok(ClassDistribution { shares })
    }

    /// Panicking form of [`ClassDistribution::try_new`].
    #[track_caller]
    pub fn new(shares: Vec<f64>) -> Self {
        crate::error::or_panic(Self::try_new(shares))
    }

    /// The same share `1 / classes` for each of `classes` classes: what
    /// "class-balanced" means. Panics for 0 classes.
    #[track_caller]
    pub fn uniform(classes: usize) -> Self {
        assert!(
            classes > 0,
            "ClassDistribution::uniform: needs at least one class, got 0"
        );
        ClassDistribution {
            shares: vec![1.0 / classes as f64; classes],
        }
    }

    /// The same share for every class that has at least one example in
    /// `labels`, and 0 for classes (below the largest label) that have
    /// none, since nothing can be drawn from them. Panics for empty labels.
    #[track_caller]
    pub fn uniform_over_present(labels: &[usize]) -> Self {
        assert!(
            !labels.is_empty(),
            "ClassDistribution::uniform_over_present: needs at least one label, got none"
        );
        let counts = count_classes(labels, 0);
        let present = counts.iter().filter(|&&n| n > 0).count() as f64;
        ClassDistribution {
            shares: counts
                .iter()
                .map(|&n| if n > 0 { 1.0 / present } else { 0.0 })
                .collect(),
        }
    }

    /// The share of each class, indexed by class.
    pub fn shares(&self) -> &[f64] {
        &self.shares
    }

    /// Number of classes (the length of [`shares`](Self::shares)).
    pub fn classes(&self) -> usize {
        self.shares.len()
    }

    /// The number of examples of each class in `labels`, after checking
    /// that every label is a class of this distribution and that every class
    /// with a positive share has an example (otherwise its share could never
    /// be met). `op` names the caller in the error.
    pub(crate) fn check_counts(&self, op: &'static str, labels: &[usize]) -> Result<Vec<usize>> {
        if let Some((position, &label)) = labels
            .iter()
            .enumerate()
            .find(|&(_, &c)| c >= self.classes())
        {
            return Err(DataError::Mismatch {
                what: op.into(),
                why: format!(
                    "label {label} (example {position}) is not a class of the target distribution, which has {} classes",
                    self.classes()
                ),
            });
        }
        let counts = count_classes(labels, self.classes());
        if let Some((class, &share)) = self
            .shares
            .iter()
            .enumerate()
            .find(|&(c, &s)| s > 0.0 && counts[c] == 0)
        {
            return Err(DataError::EmptyTargetClass { op, class, share });
        }
        Ok(counts)
    }
}

/// Examples per class, for at least `classes` classes (more when a label is
/// larger).
fn count_classes(labels: &[usize], classes: usize) -> Vec<usize> {
    let classes = labels.iter().max().map_or(classes, |&m| classes.max(m + 1));
    let mut counts = vec![0; classes];
    for &c in labels {
        counts[c] += 1;
    }
    counts
}
