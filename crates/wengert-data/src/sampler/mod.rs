//! Samplers: who decides which examples an epoch visits, and how often.
//!
//! A plain [`DataLoader`](crate::DataLoader) visits every example once per
//! epoch. A loader given a [`Sampler`] (with
//! [`DataLoader::with_sampler`](crate::DataLoader::with_sampler)) visits the
//! indices the sampler draws instead, as PyTorch's `DataLoader(...,
//! sampler=...)`. [`WeightedSampler`] draws with replacement in proportion to
//! per-example weights, which makes a minibatch stream follow a target class
//! distribution ([`ClassDistribution`]) however skewed the dataset is.
//!
//! For a fixed set of examples instead of fresh draws every epoch, see
//! [`try_downsample`](crate::try_downsample) and
//! [`try_oversample`](crate::try_oversample).

mod class_distribution;
mod weighted;

pub use class_distribution::ClassDistribution;
pub use weighted::WeightedSampler;

/// Chooses the dataset indices of each epoch, in order.
///
/// A sampler is a pure function of `(seed, epoch)`: the loader passes its
/// [`LoaderConfig::seed`](crate::LoaderConfig::seed), so one seed fixes the
/// draws, the augmentations and everything else, and the batches are the
/// same with or without prefetching. `Send + Sync` because the loader keeps
/// it shared.
///
/// A sampler of one's own, here one that visits the examples backwards:
///
/// ```
/// use wengert_data::{embedded, DataLoader, LoaderConfig, Sampler};
///
/// struct Backwards(usize);
///
/// impl Sampler for Backwards {
///     fn num_samples(&self) -> usize { self.0 }
///     fn dataset_len(&self) -> usize { self.0 }
///     fn indices(&self, _seed: u64, _epoch: u64) -> Vec<usize> { (0..self.0).rev().collect() }
/// }
///
/// let digits = embedded::digits()?;
/// let n = digits.labels().unwrap().len();
/// let loader = DataLoader::new(digits, LoaderConfig::new(100)).with_sampler(Backwards(n));
/// assert_eq!(loader.epoch(0).next().unwrap().indices[0], n - 1);
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub trait Sampler: Send + Sync {
    /// Indices drawn per epoch (what the loader's batch count follows).
    fn num_samples(&self) -> usize;

    /// Length of the dataset the sampler draws from: every index it returns
    /// is below it, and a loader refuses a dataset of another length.
    fn dataset_len(&self) -> usize;

    /// The [`num_samples`](Sampler::num_samples) indices of epoch `epoch`,
    /// each below [`dataset_len`](Sampler::dataset_len), the same for the
    /// same `seed` and `epoch`.
    fn indices(&self, seed: u64, epoch: u64) -> Vec<usize>;
}
