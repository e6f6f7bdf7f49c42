//! The minibatch loader: shuffles the dataset each epoch from a seed, cuts
//! it into batches, collates each into tensors (augmenting on the way), and
//! can build the next batches on a background thread while the model
//! trains on the current one.
//!
//! Every random choice is seeded from `(seed, epoch, ...)`: the shuffle from
//! `(seed, epoch)`, each example's augmentation from `(seed, epoch, example
//! index)`, a batch transform from `(seed, epoch, batch number)`. So the
//! batches are bitwise the same with or without prefetching, and differ from
//! epoch to epoch.
//!
//! A loader given a [`Sampler`] (see [`DataLoader::with_sampler`]) takes
//! each epoch's order from the sampler's draws from `(seed, epoch)` instead;
//! an example drawn again in the same epoch is augmented from
//! `(seed, epoch, example index, repeat)`, so its copies differ.

mod batch;
mod prefetch;

pub use batch::{collate, Batch, Targets};

use batch::collate_draws;
pub use prefetch::Batches;

use std::sync::Arc;

use rand::seq::SliceRandom;
use wengert_tensor::Float;

use crate::augment::{BatchTransform, Transform};
use crate::dataset::Dataset;
use crate::error::{or_panic, DataError, Result};
use crate::sampler::Sampler;
use crate::seeding::{derived_rng, PURPOSE_BATCH_TRANSFORM, PURPOSE_SHUFFLE};

/// How a [`DataLoader`] batches (as the arguments of PyTorch's `DataLoader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoaderConfig {
    /// Examples per batch.
    pub batch_size: usize,
    /// Reshuffle the order every epoch (from `seed` and the epoch number).
    /// Ignored by a loader with a [`Sampler`], whose draws are the order.
    pub shuffle: bool,
    /// Drop the last batch when it is smaller than `batch_size`.
    pub drop_last: bool,
    /// Seed of the shuffles and augmentations.
    pub seed: u64,
    /// Batches built ahead on a background thread; 0 builds each batch on
    /// the caller's thread when it is asked for.
    pub prefetch: usize,
}

impl LoaderConfig {
    /// Batches of `batch_size`, shuffled, last batch kept, seed 0, two
    /// batches prefetched.
    pub fn new(batch_size: usize) -> Self {
        LoaderConfig {
            batch_size,
            shuffle: true,
            drop_last: false,
            seed: 0,
            prefetch: 2,
        }
    }

    /// Sets [`shuffle`](Self::shuffle).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Sets [`drop_last`](Self::drop_last).
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Sets [`seed`](Self::seed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets [`prefetch`](Self::prefetch).
    pub fn prefetch(mut self, prefetch: usize) -> Self {
        self.prefetch = prefetch;
        self
    }
}

/// Minibatches of a dataset, epoch after epoch.
///
/// ```
/// use wengert_data::{embedded, DataLoader, LoaderConfig, Targets};
///
/// let digits = embedded::digits()?;
/// let loader = DataLoader::new(digits, LoaderConfig::new(128).seed(1));
/// assert_eq!(loader.len(), 15); // ceil(1797 / 128)
/// for batch in loader.epoch(0) {
///     assert_eq!(batch.features.shape()[1], 64);
///     let Targets::Classes(labels) = &batch.targets else { unreachable!() };
///     assert_eq!(labels.len(), batch.features.shape()[0]);
/// }
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub struct DataLoader<T: Float, D> {
    dataset: Arc<D>,
    config: LoaderConfig,
    transform: Option<Arc<dyn Transform<T>>>,
    batch_transform: Option<Arc<dyn BatchTransform<T>>>,
    sampler: Option<Arc<dyn Sampler>>,
}

impl<T: Float, D: Dataset<T> + 'static> DataLoader<T, D> {
    /// A loader over `dataset`; fails for a batch size of 0.
    pub fn try_new(dataset: D, config: LoaderConfig) -> Result<Self> {
        if config.batch_size == 0 {
            return Err(DataError::InvalidArgument {
                op: "DataLoader::new",
                why: "batch_size must be at least 1".into(),
            });
        }
        Ok(DataLoader {
            dataset: Arc::new(dataset),
            config,
            transform: None,
            batch_transform: None,
            sampler: None,
        })
    }

    /// Panicking form of [`DataLoader::try_new`].
    #[track_caller]
    pub fn new(dataset: D, config: LoaderConfig) -> Self {
        or_panic(Self::try_new(dataset, config))
    }

    /// Augments every example with `transform` (seeded per epoch and example).
    pub fn with_transform(mut self, transform: impl Transform<T> + 'static) -> Self {
        self.transform = Some(Arc::new(transform));
        self
    }

    /// Transforms every collated batch (seeded per epoch and batch), e.g. mixup.
    pub fn with_batch_transform(mut self, transform: impl BatchTransform<T> + 'static) -> Self {
        self.batch_transform = Some(Arc::new(transform));
        self
    }

    /// Takes each epoch's order from `sampler` (as PyTorch's
    /// `DataLoader(..., sampler=...)`): [`epoch_order`](Self::epoch_order) is
    /// `sampler.indices(seed, epoch)` with the loader's seed, and
    /// [`len`](Self::len) counts batches of the sampler's
    /// [`num_samples`](Sampler::num_samples) draws. The sampler decides the
    /// order itself, so [`LoaderConfig::shuffle`] is ignored; `drop_last`,
    /// prefetching and transforms work as without a sampler.
    ///
    /// Fails when the sampler draws from a dataset of another length than
    /// this loader's.
    pub fn try_with_sampler(mut self, sampler: impl Sampler + 'static) -> Result<Self> {
        if sampler.dataset_len() != self.dataset.len() {
            return Err(DataError::Mismatch {
                what: "DataLoader::with_sampler".into(),
                why: format!(
                    "the sampler draws from {} examples but the dataset has {}",
                    sampler.dataset_len(),
                    self.dataset.len()
                ),
            });
        }
        self.sampler = Some(Arc::new(sampler));
        Ok(self)
    }

    /// Panicking form of [`DataLoader::try_with_sampler`].
    #[track_caller]
    pub fn with_sampler(self, sampler: impl Sampler + 'static) -> Self {
        or_panic(self.try_with_sampler(sampler))
    }

    /// The sampler, when the loader has one.
    pub fn sampler(&self) -> Option<&dyn Sampler> {
        self.sampler.as_deref()
    }

    /// The dataset.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// The configuration.
    pub fn config(&self) -> &LoaderConfig {
        &self.config
    }

    /// Batches per epoch: of the dataset's examples, or of the sampler's
    /// draws when there is a sampler.
    pub fn len(&self) -> usize {
        let n = match &self.sampler {
            None => self.dataset.len(),
            Some(sampler) => sampler.num_samples(),
        };
        let b = self.config.batch_size;
        if self.config.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    /// True when an epoch has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The order in which epoch `epoch` visits the dataset (before cutting
    /// into batches): the sampler's draws when there is a sampler.
    pub fn epoch_order(&self, epoch: u64) -> Vec<usize> {
        if let Some(sampler) = &self.sampler {
            let order = sampler.indices(self.config.seed, epoch);
            let n = self.dataset.len();
            if let Some(bad) = order.iter().find(|&&i| i >= n) {
                panic!("DataLoader::epoch_order: the sampler drew index {bad} for a dataset of {n} examples");
            }
            return order;
        }
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        if self.config.shuffle {
            order.shuffle(&mut derived_rng(
                self.config.seed,
                &[PURPOSE_SHUFFLE, epoch],
            ));
        }
        order
    }

    /// The batches of epoch `epoch`, built ahead on a background thread when
    /// [`LoaderConfig::prefetch`] is above zero. The same epoch number gives
    /// the same batches.
    pub fn epoch(&self, epoch: u64) -> Batches<T> {
        self.epoch_from(epoch, 0)
    }

    /// The batches of epoch `epoch` from batch number `start` on: the rest
    /// of an epoch interrupted after `start` batches (a resumed run), the
    /// same batches [`DataLoader::epoch`] yields there, without building
    /// the ones skipped.
    ///
    /// ```
    /// use wengert_data::{embedded, DataLoader, LoaderConfig};
    /// let loader = DataLoader::new(embedded::digits()?, LoaderConfig::new(500).seed(3));
    /// let all: Vec<_> = loader.epoch(2).map(|b| b.indices).collect();
    /// let rest: Vec<_> = loader.epoch_from(2, 1).map(|b| b.indices).collect();
    /// assert_eq!(rest, all[1..]);
    /// # Ok::<(), wengert_data::DataError>(())
    /// ```
    pub fn epoch_from(&self, epoch: u64, start: usize) -> Batches<T> {
        let order = self.epoch_order(epoch);
        let chunks: Vec<(usize, Vec<usize>)> = order
            .chunks(self.config.batch_size)
            .take(self.len())
            .map(<[usize]>::to_vec)
            .enumerate()
            .skip(start)
            .collect();
        // Only a sampler can draw an example twice in an epoch.
        let repeats: Option<Arc<[u64]>> = self
            .sampler
            .as_ref()
            .map(|_| repeat_numbers(&order, self.dataset.len()).into());
        let dataset = Arc::clone(&self.dataset);
        let transform = self.transform.clone();
        let batch_transform = self.batch_transform.clone();
        let seed = self.config.seed;
        let batch_size = self.config.batch_size;
        let make = move |number: usize, indices: &[usize]| {
            let first = number * batch_size;
            let repeats = repeats.as_deref().map(|r| &r[first..first + indices.len()]);
            let batch = collate_draws(
                &*dataset,
                indices,
                repeats,
                transform.as_deref(),
                seed,
                epoch,
            );
            match &batch_transform {
                None => batch,
                Some(t) => {
                    let mut rng =
                        derived_rng(seed, &[PURPOSE_BATCH_TRANSFORM, epoch, number as u64]);
                    t.apply(batch, &mut rng)
                }
            }
        };
        Batches::new(chunks, Arc::new(make), self.config.prefetch)
    }
}

/// For each position of `order`, how many times its index appeared before
/// it (0 for a first draw): what seeds the augmentation of a repeated draw.
fn repeat_numbers(order: &[usize], dataset_len: usize) -> Vec<u64> {
    let mut seen = vec![0u64; dataset_len];
    order
        .iter()
        .map(|&i| {
            let repeat = seen[i];
            seen[i] += 1;
            repeat
        })
        .collect()
}
