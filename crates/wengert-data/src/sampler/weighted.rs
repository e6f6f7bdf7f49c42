//! [`WeightedSampler`]: draws with replacement, example `i` with
//! probability `weights[i] / sum(weights)`, as PyTorch's
//! `torch.utils.data.WeightedRandomSampler(weights, num_samples,
//! replacement=True)`.
//!
//! A draw is one uniform number and a binary search in the running sums of
//! the weights: O(log n) per draw, O(n) memory, and no alias table whose
//! floating-point leftovers could give a zero-weight example a tiny chance.

use std::sync::Arc;

use rand::Rng;

use crate::error::{or_panic, DataError, Result};
use crate::sampler::{ClassDistribution, Sampler};
use crate::seeding::{derived_rng, PURPOSE_SAMPLE};

/// Draws `num_samples` indices per epoch with replacement, in proportion to
/// per-example weights. Weights need not sum to 1; an example of weight 0 is
/// never drawn.
///
/// [`WeightedSampler::try_for_target`] builds the weights that make the
/// drawn classes follow a [`ClassDistribution`]:
/// `weights[i] = target[label[i]] / count[label[i]]`, so each class's total
/// weight is its target share. [`WeightedSampler::try_class_balanced`] does
/// it for the uniform distribution.
///
/// ```
/// use wengert_data::{DataLoader, InMemoryDataset, LoaderConfig, Sampler, WeightedSampler};
/// use wengert_tensor::Tensor;
///
/// // 9 examples of class 0 and 1 of class 1.
/// let labels = vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
/// let x = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1]);
/// let data = InMemoryDataset::classification(x, labels.clone(), 2);
///
/// // Draw 1000 indices per epoch, half of them of each class.
/// let sampler = WeightedSampler::try_class_balanced(&labels, 1000)?;
/// let loader = DataLoader::new(data, LoaderConfig::new(100).seed(3)).with_sampler(sampler);
/// assert_eq!(loader.len(), 10);
/// let ones = loader.epoch_order(0).iter().filter(|&&i| labels[i] == 1).count();
/// assert!((400..=600).contains(&ones));
/// # Ok::<(), wengert_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct WeightedSampler {
    weights: Arc<[f64]>,
    /// `cumulative[i] = weights[0] + ... + weights[i]`, summed in index order.
    cumulative: Arc<[f64]>,
    /// The last index of positive weight: where a uniform number that
    /// rounds up to the total lands.
    last_positive: usize,
    num_samples: usize,
}

impl WeightedSampler {
    /// The sampler of `weights` (one per example), drawing `num_samples`
    /// indices per epoch. Fails when there is no weight, when a weight is
    /// negative, NaN or infinite, when all are 0, or for `num_samples` 0.
    pub fn try_new(weights: Vec<f64>, num_samples: usize) -> Result<Self> {
        const OP: &str = "WeightedSampler::new";
        if weights.is_empty() {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: "needs one weight per example, got no weights".into(),
            });
        }
        if num_samples == 0 {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: "num_samples must be at least 1, got 0".into(),
            });
        }
        if let Some((i, w)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: format!("weight {i} is {w}; weights must be finite and >= 0"),
            });
        }
        let cumulative: Vec<f64> = weights
            .iter()
            .scan(0.0, |sum, &w| {
                *sum += w;
                Some(*sum)
            })
            .collect();
        let Some(last_positive) = weights.iter().rposition(|&w| w > 0.0) else {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: format!(
                    "all {} weights are 0; at least one must be positive",
                    weights.len()
                ),
            });
        };
        if !cumulative[weights.len() - 1].is_finite() {
            return Err(DataError::InvalidArgument {
                op: OP,
                why: "the weights sum to infinity; scale them down".into(),
            });
        }
        Ok(WeightedSampler {
            weights: weights.into(),
            cumulative: cumulative.into(),
            last_positive,
            num_samples,
        })
    }

    /// Panicking form of [`WeightedSampler::try_new`].
    #[track_caller]
    pub fn new(weights: Vec<f64>, num_samples: usize) -> Self {
        or_panic(Self::try_new(weights, num_samples))
    }

    /// A sampler whose draws follow the class distribution `target`:
    /// example `i` gets weight `target[labels[i]] / count[labels[i]]`.
    ///
    /// Fails when a label is not a class of `target` (length mismatch) and
    /// with [`DataError::EmptyTargetClass`] when a class with a positive
    /// share has no example.
    pub fn try_for_target(
        labels: &[usize],
        target: &ClassDistribution,
        num_samples: usize,
    ) -> Result<Self> {
        let counts = target.check_counts("WeightedSampler::for_target", labels)?;
        let shares = target.shares();
        let weights = labels
            .iter()
            .map(|&c| shares[c] / counts[c] as f64)
            .collect();
        Self::try_new(weights, num_samples)
    }

    /// Panicking form of [`WeightedSampler::try_for_target`].
    #[track_caller]
    pub fn for_target(labels: &[usize], target: &ClassDistribution, num_samples: usize) -> Self {
        or_panic(Self::try_for_target(labels, target, num_samples))
    }

    /// A sampler that draws every class present in `labels` equally often
    /// ([`ClassDistribution::uniform_over_present`]): the usual cure for a
    /// skewed training set. Fails for empty labels.
    pub fn try_class_balanced(labels: &[usize], num_samples: usize) -> Result<Self> {
        if labels.is_empty() {
            return Err(DataError::InvalidArgument {
                op: "WeightedSampler::class_balanced",
                why: "needs the label of every example, got no labels".into(),
            });
        }
        let target = ClassDistribution::uniform_over_present(labels);
        Self::try_for_target(labels, &target, num_samples)
    }

    /// Panicking form of [`WeightedSampler::try_class_balanced`].
    #[track_caller]
    pub fn class_balanced(labels: &[usize], num_samples: usize) -> Self {
        or_panic(Self::try_class_balanced(labels, num_samples))
    }

    /// The weight of each example.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The probability of drawing example `i` in one draw: its weight over
    /// the sum of the weights.
    pub fn probability(&self, i: usize) -> f64 {
        self.weights[i] / self.cumulative[self.cumulative.len() - 1]
    }
}

impl Sampler for WeightedSampler {
    fn num_samples(&self) -> usize {
        self.num_samples
    }

    fn dataset_len(&self) -> usize {
        self.weights.len()
    }

    fn indices(&self, seed: u64, epoch: u64) -> Vec<usize> {
        let mut rng = derived_rng(seed, &[PURPOSE_SAMPLE, epoch]);
        let total = self.cumulative[self.cumulative.len() - 1];
        (0..self.num_samples)
            .map(|_| {
                let u = rng.random::<f64>() * total;
                // The first index whose running sum exceeds u: an example of
                // weight 0 has the same running sum as the one before it, so
                // it is never the first to exceed anything.
                let i = self.cumulative.partition_point(|&c| c <= u);
                // u < total in exact arithmetic; the product may round up to it.
                i.min(self.last_positive)
            })
            .collect()
    }
}
