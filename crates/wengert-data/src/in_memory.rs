//! [`InMemoryDataset`]: a feature tensor `[n, ...]` and one target per row,
//! held in memory. Cloning it is cheap (tensors share storage), which is how
//! subsets and loaders hold it without copying.

use std::sync::Arc;

use wengert_tensor::{Float, Tensor};

use crate::dataset::{check_index, Dataset, Example, Target, TargetKind};
use crate::error::{or_panic, DataError, Result};

/// Targets of an in-memory dataset.
#[derive(Debug, Clone, PartialEq)]
enum StoredTargets<T: Float> {
    Classes {
        labels: Arc<[usize]>,
        classes: usize,
    },
    /// `[n, width]`, contiguous.
    Values(Tensor<T>),
}

/// Features and targets held in memory, as PyTorch's `TensorDataset`.
///
/// Features are one tensor `[n, ...feature_shape]`; targets are class indices
/// (classification) or a tensor `[n]` / `[n, width]` (regression).
///
/// ```
/// use wengert_data::{Dataset, InMemoryDataset, Target, TargetKind};
/// use wengert_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3, 1]);
/// let y = Tensor::from_vec(vec![2.0, 4.0, 6.0], &[3]);
/// let data = InMemoryDataset::regression(x, y);
/// assert_eq!(data.target_kind(), TargetKind::Values { width: 1 });
/// assert_eq!(data.get(2).target, Target::Values(vec![6.0]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InMemoryDataset<T: Float> {
    /// `[n, ...feature_shape]`, contiguous.
    features: Tensor<T>,
    feature_shape: Vec<usize>,
    targets: StoredTargets<T>,
}

fn rows_of(op: &'static str, features: &Tensor<impl Float>) -> Result<usize> {
    match features.shape().first() {
        Some(&n) => Ok(n),
        None => Err(DataError::InvalidArgument {
            op,
            why: "features must have a leading example axis, got a 0-dimensional tensor".into(),
        }),
    }
}

impl<T: Float> InMemoryDataset<T> {
    /// A classification dataset: `features` `[n, ...]`, `labels` of length `n`
    /// with every label below `classes`.
    pub fn try_classification(
        features: Tensor<T>,
        labels: Vec<usize>,
        classes: usize,
    ) -> Result<Self> {
        let n = rows_of("InMemoryDataset::classification", &features)?;
        if labels.len() != n {
            return Err(DataError::Mismatch {
                what: "InMemoryDataset::classification".into(),
                why: format!(
                    "{} labels for {n} feature rows (features shape {:?})",
                    labels.len(),
                    features.shape()
                ),
            });
        }
        if let Some((i, &bad)) = labels.iter().enumerate().find(|&(_, &c)| c >= classes) {
            return Err(DataError::InvalidArgument {
                op: "InMemoryDataset::classification",
                why: format!("label {bad} of example {i} is not below the class count {classes}"),
            });
        }
        Ok(InMemoryDataset {
            feature_shape: features.shape()[1..].to_vec(),
            features: features.contiguous(),
            targets: StoredTargets::Classes {
                labels: labels.into(),
                classes,
            },
        })
    }

    /// Panicking form of [`InMemoryDataset::try_classification`].
    #[track_caller]
    pub fn classification(features: Tensor<T>, labels: Vec<usize>, classes: usize) -> Self {
        or_panic(Self::try_classification(features, labels, classes))
    }

    /// A regression dataset: `features` `[n, ...]`, `targets` `[n]` (one
    /// output) or `[n, width]`.
    pub fn try_regression(features: Tensor<T>, targets: Tensor<T>) -> Result<Self> {
        let n = rows_of("InMemoryDataset::regression", &features)?;
        let targets = match targets.shape() {
            [m] if *m == n => targets.reshape(&[n, 1]),
            [m, _] if *m == n => targets,
            other => {
                return Err(DataError::Mismatch {
                    what: "InMemoryDataset::regression".into(),
                    why: format!(
                        "targets of shape {other:?} do not fit {n} feature rows (features shape {:?}); expected [{n}] or [{n}, width]",
                        features.shape()
                    ),
                })
            }
        };
        Ok(InMemoryDataset {
            feature_shape: features.shape()[1..].to_vec(),
            features: features.contiguous(),
            targets: StoredTargets::Values(targets.contiguous()),
        })
    }

    /// Panicking form of [`InMemoryDataset::try_regression`].
    #[track_caller]
    pub fn regression(features: Tensor<T>, targets: Tensor<T>) -> Self {
        or_panic(Self::try_regression(features, targets))
    }

    /// All features, `[n, ...feature_shape]`.
    pub fn features(&self) -> &Tensor<T> {
        &self.features
    }

    /// The class labels, or `None` for a regression dataset.
    pub fn labels(&self) -> Option<&[usize]> {
        match &self.targets {
            StoredTargets::Classes { labels, .. } => Some(labels),
            StoredTargets::Values(_) => None,
        }
    }

    /// The regression targets `[n, width]`, or `None` for classification.
    pub fn target_values(&self) -> Option<&Tensor<T>> {
        match &self.targets {
            StoredTargets::Classes { .. } => None,
            StoredTargets::Values(t) => Some(t),
        }
    }

    /// The same data with each example's features viewed as `shape` (same
    /// element count), e.g. the digits' `[64]` as an image `[1, 8, 8]`.
    pub fn try_with_feature_shape(&self, shape: &[usize]) -> Result<Self> {
        let mut full = vec![self.len()];
        full.extend_from_slice(shape);
        let features = self.features.try_reshape(&full)?;
        Ok(InMemoryDataset {
            features,
            feature_shape: shape.to_vec(),
            targets: self.targets.clone(),
        })
    }

    /// Panicking form of [`InMemoryDataset::try_with_feature_shape`].
    #[track_caller]
    pub fn with_feature_shape(&self, shape: &[usize]) -> Self {
        or_panic(self.try_with_feature_shape(shape))
    }

    /// The same data with features replaced (same number of rows), e.g.
    /// after standardization.
    pub fn try_with_features(&self, features: Tensor<T>) -> Result<Self> {
        let n = rows_of("InMemoryDataset::with_features", &features)?;
        if n != self.len() {
            return Err(DataError::Mismatch {
                what: "InMemoryDataset::with_features".into(),
                why: format!(
                    "new features have {n} rows (shape {:?}), the dataset has {} examples",
                    features.shape(),
                    self.len()
                ),
            });
        }
        Ok(InMemoryDataset {
            feature_shape: features.shape()[1..].to_vec(),
            features: features.contiguous(),
            targets: self.targets.clone(),
        })
    }

    /// The dataset in another float type (e.g. f64 for gradient checks).
    pub fn cast<U: Float>(&self) -> InMemoryDataset<U> {
        InMemoryDataset {
            features: self.features.cast::<U>(),
            feature_shape: self.feature_shape.clone(),
            targets: match &self.targets {
                StoredTargets::Classes { labels, classes } => StoredTargets::Classes {
                    labels: labels.clone(),
                    classes: *classes,
                },
                StoredTargets::Values(t) => StoredTargets::Values(t.cast::<U>()),
            },
        }
    }

    fn row_len(&self) -> usize {
        self.feature_shape.iter().product()
    }

    fn row(&self, index: usize) -> &[T] {
        let d = self.row_len();
        let all = self
            .features
            .as_slice()
            .expect("features are stored contiguous");
        &all[index * d..(index + 1) * d]
    }
}

impl<T: Float> Dataset<T> for InMemoryDataset<T> {
    fn len(&self) -> usize {
        self.features.shape()[0]
    }

    fn feature_shape(&self) -> &[usize] {
        &self.feature_shape
    }

    fn target_kind(&self) -> TargetKind {
        match &self.targets {
            StoredTargets::Classes { classes, .. } => TargetKind::Classes { classes: *classes },
            StoredTargets::Values(t) => TargetKind::Values {
                width: t.shape()[1],
            },
        }
    }

    #[track_caller]
    fn get(&self, index: usize) -> Example<T> {
        check_index("InMemoryDataset::get", index, self.len());
        Example {
            features: Tensor::from_slice(self.row(index), &self.feature_shape),
            target: self.target(index),
        }
    }

    #[track_caller]
    fn target(&self, index: usize) -> Target<T> {
        check_index("InMemoryDataset::target", index, self.len());
        match &self.targets {
            StoredTargets::Classes { labels, .. } => Target::Class(labels[index]),
            StoredTargets::Values(t) => {
                let w = t.shape()[1];
                let all = t.as_slice().expect("targets are stored contiguous");
                Target::Values(all[index * w..(index + 1) * w].to_vec())
            }
        }
    }

    #[track_caller]
    fn write_features(&self, index: usize, out: &mut [T]) {
        check_index("InMemoryDataset::write_features", index, self.len());
        out.copy_from_slice(self.row(index));
    }

    fn class_labels(&self) -> Option<Vec<usize>> {
        self.labels().map(<[usize]>::to_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_rejects_label_count_mismatch_naming_both_counts() {
        let x = Tensor::<f32>::zeros(&[3, 2]);
        let err = InMemoryDataset::try_classification(x, vec![0, 1], 2).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("2 labels for 3 feature rows"), "{msg}");
    }

    #[test]
    fn classification_rejects_label_not_below_class_count() {
        let x = Tensor::<f32>::zeros(&[2, 1]);
        let msg = InMemoryDataset::try_classification(x, vec![0, 5], 3)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("label 5 of example 1"), "{msg}");
    }

    #[test]
    fn regression_accepts_vector_and_matrix_targets() {
        let x = Tensor::<f64>::zeros(&[2, 3]);
        let a = InMemoryDataset::regression(x.clone(), Tensor::from_vec(vec![1.0, 2.0], &[2]));
        assert_eq!(a.target_kind(), TargetKind::Values { width: 1 });
        let b = InMemoryDataset::regression(x.clone(), Tensor::zeros(&[2, 4]));
        assert_eq!(b.target_kind(), TargetKind::Values { width: 4 });
        assert!(InMemoryDataset::try_regression(x, Tensor::zeros(&[3])).is_err());
    }

    #[test]
    fn with_feature_shape_views_rows_as_images() {
        let x = Tensor::from_vec((0..8).map(|v| v as f32).collect(), &[2, 4]);
        let data = InMemoryDataset::classification(x, vec![0, 1], 2).with_feature_shape(&[1, 2, 2]);
        let e = data.get(1);
        assert_eq!(e.features.shape(), &[1, 2, 2]);
        assert_eq!(e.features.to_vec(), vec![4.0, 5.0, 6.0, 7.0]);
    }

    #[test]
    #[should_panic(expected = "index 3 is out of range for a dataset of 3 examples")]
    fn get_out_of_range_panics_with_index_and_length() {
        let data = InMemoryDataset::classification(Tensor::<f32>::zeros(&[3, 1]), vec![0; 3], 1);
        let _ = data.get(3);
    }
}
