//! [`Subset`]: a view of some examples of a dataset, by index, without
//! copying them (as PyTorch's `torch.utils.data.Subset`). Splits and folds
//! produce index lists; a `Subset` turns one into a dataset.

use std::sync::Arc;

use wengert_tensor::Float;

use crate::dataset::{check_index, Dataset, Example, Target, TargetKind};
use crate::error::{or_panic, DataError, Result};

/// The examples `indices[0], indices[1], ...` of `dataset`, in that order.
///
/// Holds the dataset by value: pass a cheap clone (an [`InMemoryDataset`]
/// shares its storage) or an `Arc`.
///
/// [`InMemoryDataset`]: crate::InMemoryDataset
///
/// ```
/// use wengert_data::{Dataset, InMemoryDataset, Subset};
/// use wengert_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0, 13.0], &[4, 1]);
/// let data = InMemoryDataset::classification(x, vec![0, 1, 0, 1], 2);
/// let odd = Subset::new(data.clone(), vec![1, 3]);
/// assert_eq!(odd.len(), 2);
/// assert_eq!(odd.get(1).features.to_vec(), vec![13.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Subset<D> {
    dataset: D,
    indices: Arc<[usize]>,
}

impl<D> Subset<D> {
    /// The subset, failing when an index is not below the dataset's length.
    pub fn try_new<T: Float>(dataset: D, indices: Vec<usize>) -> Result<Self>
    where
        D: Dataset<T>,
    {
        let n = dataset.len();
        if let Some((i, &bad)) = indices.iter().enumerate().find(|&(_, &j)| j >= n) {
            return Err(DataError::InvalidArgument {
                op: "Subset::new",
                why: format!(
                    "index {bad} (position {i}) is out of range for a dataset of {n} examples"
                ),
            });
        }
        Ok(Subset {
            dataset,
            indices: indices.into(),
        })
    }

    /// Panicking form of [`Subset::try_new`].
    #[track_caller]
    pub fn new<T: Float>(dataset: D, indices: Vec<usize>) -> Self
    where
        D: Dataset<T>,
    {
        or_panic(Self::try_new(dataset, indices))
    }

    /// The indices into the underlying dataset.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The underlying dataset.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    #[track_caller]
    fn source_index(&self, index: usize) -> usize {
        check_index("Subset", index, self.indices.len());
        self.indices[index]
    }
}

impl<T: Float, D: Dataset<T>> Dataset<T> for Subset<D> {
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn feature_shape(&self) -> &[usize] {
        self.dataset.feature_shape()
    }
    fn target_kind(&self) -> TargetKind {
        self.dataset.target_kind()
    }
    #[track_caller]
    fn get(&self, index: usize) -> Example<T> {
        self.dataset.get(self.source_index(index))
    }
    #[track_caller]
    fn target(&self, index: usize) -> Target<T> {
        self.dataset.target(self.source_index(index))
    }
    #[track_caller]
    fn write_features(&self, index: usize, out: &mut [T]) {
        self.dataset.write_features(self.source_index(index), out)
    }
}
