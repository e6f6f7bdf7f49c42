//! The [`Dataset`] trait: a length and a way to get example `i`.
//!
//! An example is a feature tensor and a target. The target is either a class
//! index (classification) or a vector of values (regression); [`TargetKind`]
//! says which, for the whole dataset, so a loader can collate targets without
//! looking at them first.

use std::sync::Arc;

use wengert_tensor::{Float, Tensor};

/// The target of one example.
#[derive(Debug, Clone, PartialEq)]
pub enum Target<T> {
    /// A class index in `0..classes`.
    Class(usize),
    /// Regression values (one or more outputs).
    Values(Vec<T>),
}

impl<T: Copy> Target<T> {
    /// The class index, or `None` for a regression target.
    pub fn class(&self) -> Option<usize> {
        match self {
            Target::Class(c) => Some(*c),
            Target::Values(_) => None,
        }
    }
}

/// What kind of target every example of a dataset has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Class indices in `0..classes`.
    Classes {
        /// Number of classes.
        classes: usize,
    },
    /// `width` regression values per example.
    Values {
        /// Number of values per example.
        width: usize,
    },
}

/// One example: features and target.
#[derive(Debug, Clone, PartialEq)]
pub struct Example<T: Float> {
    /// The features, of the dataset's [`Dataset::feature_shape`].
    pub features: Tensor<T>,
    /// The target.
    pub target: Target<T>,
}

/// A finite, indexable collection of examples, as PyTorch's map-style
/// `torch.utils.data.Dataset` (`__len__`, `__getitem__`).
///
/// Implementors give [`len`](Dataset::len), [`feature_shape`](Dataset::feature_shape),
/// [`target_kind`](Dataset::target_kind) and [`get`](Dataset::get); the other
/// methods have defaults that a dataset may override to be faster
/// ([`write_features`](Dataset::write_features) lets the loader fill a batch
/// without allocating a tensor per example).
///
/// `Send + Sync` because the loader reads it from a prefetch thread.
///
/// ```
/// use wengert_data::{Dataset, InMemoryDataset, Target};
/// use wengert_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0], &[3, 2]);
/// let data = InMemoryDataset::classification(x, vec![0, 1, 1], 2);
/// assert_eq!(data.len(), 3);
/// let example = data.get(1);
/// assert_eq!(example.features.to_vec(), vec![2.0, 3.0]);
/// assert_eq!(example.target, Target::Class(1));
/// ```
pub trait Dataset<T: Float>: Send + Sync {
    /// Number of examples.
    fn len(&self) -> usize;

    /// Shape of one example's features (without the batch axis).
    fn feature_shape(&self) -> &[usize];

    /// The kind of target all examples have.
    fn target_kind(&self) -> TargetKind;

    /// Example `index`. Panics when `index >= len()`, naming both.
    fn get(&self, index: usize) -> Example<T>;

    /// True when the dataset has no example.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The target of example `index` (override when it is cheaper than
    /// building the features too).
    fn target(&self, index: usize) -> Target<T> {
        self.get(index).target
    }

    /// Writes example `index`'s features, row-major, into `out` (whose length
    /// is the product of [`feature_shape`](Dataset::feature_shape)).
    fn write_features(&self, index: usize, out: &mut [T]) {
        let features = self.get(index).features;
        out.copy_from_slice(&features.values());
    }

    /// The class of every example in order, or `None` for a regression
    /// dataset. Stratified splits and folds need these.
    fn class_labels(&self) -> Option<Vec<usize>> {
        match self.target_kind() {
            TargetKind::Classes { .. } => Some(
                (0..self.len())
                    .map(|i| self.target(i).class().expect("a classification target"))
                    .collect(),
            ),
            TargetKind::Values { .. } => None,
        }
    }
}

/// A shared dataset is a dataset, so `Arc<D>` can be handed to several
/// subsets and loaders without copying the data.
impl<T: Float, D: Dataset<T> + ?Sized> Dataset<T> for Arc<D> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn feature_shape(&self) -> &[usize] {
        (**self).feature_shape()
    }
    fn target_kind(&self) -> TargetKind {
        (**self).target_kind()
    }
    fn get(&self, index: usize) -> Example<T> {
        (**self).get(index)
    }
    fn target(&self, index: usize) -> Target<T> {
        (**self).target(index)
    }
    fn write_features(&self, index: usize, out: &mut [T]) {
        (**self).write_features(index, out)
    }
    fn class_labels(&self) -> Option<Vec<usize>> {
        (**self).class_labels()
    }
}

/// Panics with a message naming the index and the length; every dataset's
/// `get` calls it first.
#[track_caller]
pub(crate) fn check_index(what: &str, index: usize, len: usize) {
    assert!(
        index < len,
        "{what}: index {index} is out of range for a dataset of {len} examples"
    );
}
