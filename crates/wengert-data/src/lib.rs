//! # wengert-data
//!
//! Datasets, real file formats, splits and K-fold, a prefetching minibatch
//! loader and seeded augmentation. Depends on `wengert-tensor` only.
//!
//! ## Reading order
//!
//! 1. [`Dataset`] (`dataset.rs`): a length and example `i`, which is a
//!    feature tensor and a [`Target`] (a class index or regression values).
//! 2. [`InMemoryDataset`] (`in_memory.rs`): features `[n, ...]` and targets in
//!    memory; [`ByteImageDataset`] (`byte_images.rs`): images kept as bytes,
//!    read as floats in `[0, 1]`; [`Subset`] (`subset.rs`): a view by index.
//! 3. [`embedded`]: real data compiled into the crate, so everything runs
//!    with nothing installed: the 8x8 digits (classification), the airfoil
//!    self-noise table (regression), *The Time Machine* (text, see [`text`]).
//! 4. [`formats`]: the IDX reader (MNIST, gzip or raw) and the delimited-text
//!    reader (CSV/TSV); [`mnist`]: Fashion-MNIST and MNIST from a directory.
//!    Bad files give a [`DataError`] saying what was expected and where.
//! 5. [`random_split`], [`stratified_split`] (`split.rs`), [`kfold`],
//!    [`stratified_kfold`] (`kfold.rs`): seeded index lists, never copies.
//! 6. [`Standardizer`], [`MinMaxScaler`] (`scaling.rs`): fit on the training
//!    split, apply to all.
//! 7. [`DataLoader`] (`loader/`): shuffle per epoch from a seed, batch,
//!    collate to tensors, prefetch on a worker thread; deterministic.
//! 8. [`augment`]: composable seeded transforms (flip, shifted crop,
//!    rotation, erasing, noise, normalization) and mixup.
//! 9. [`Sampler`], [`WeightedSampler`], [`ClassDistribution`] (`sampler/`):
//!    draws with replacement so a minibatch stream follows a target class
//!    distribution; [`try_downsample`], [`try_oversample`] (`resample.rs`):
//!    a fixed index set matching one.
//!
//! ## A first example
//!
//! ```
//! use wengert_data::augment::{Compose, RandomShiftCrop};
//! use wengert_data::{embedded, stratified_split, DataLoader, Dataset, LoaderConfig, SplitFractions, Subset};
//!
//! let digits = embedded::digits()?.with_feature_shape(&[1, 8, 8]);
//! let labels = digits.labels().unwrap().to_vec();
//! let split = stratified_split(&labels, SplitFractions::new(0.8, 0.1, 0.1), 0);
//! let train = Subset::new(digits.clone(), split.train.clone());
//! let loader = DataLoader::new(train, LoaderConfig::new(64).seed(0))
//!     .with_transform(Compose::new().then(RandomShiftCrop::new(1)));
//! for batch in loader.epoch(0) {
//!     assert_eq!(&batch.features.shape()[1..], &[1, 8, 8]);
//! }
//! # Ok::<(), wengert_data::DataError>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod augment;
mod byte_images;
mod dataset;
pub mod embedded;
pub mod error;
pub mod formats;
mod in_memory;
mod kfold;
pub mod loader;
pub mod mnist;
mod resample;
mod sampler;
mod scaling;
mod seeding;
mod split;
mod subset;
pub mod text;

pub use byte_images::ByteImageDataset;
pub use dataset::{Dataset, Example, Target, TargetKind};
pub use error::{DataError, Result};
pub use in_memory::InMemoryDataset;
pub use kfold::{kfold, stratified_kfold, try_kfold, try_stratified_kfold, Fold};
pub use loader::{Batch, DataLoader, LoaderConfig, Targets};
pub use resample::{downsample, oversample, try_downsample, try_oversample, MAX_OVERSAMPLE_FACTOR};
pub use sampler::{ClassDistribution, Sampler, WeightedSampler};
pub use scaling::{MinMaxScaler, Standardizer};
pub use split::{
    random_split, stratified_split, try_random_split, try_stratified_split, SplitFractions,
    SplitIndices,
};
pub use subset::Subset;
