//! Feature scaling fitted on the training split only, then applied to every
//! split: statistics computed on validation or test data would leak them
//! into training.

use wengert_tensor::{Float, Tensor, WengertRng};

use crate::augment::Transform;
use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::in_memory::InMemoryDataset;

/// Per-feature `(x - mean) / std`, as scikit-learn's `StandardScaler`: mean
/// and population std (divisor `n`) of each feature over a dataset. A
/// feature that is constant there has std 0 and is only centred (divided by
/// 1), so it does not become NaN.
///
/// ```
/// use wengert_data::{embedded, random_split, Dataset, SplitFractions, Standardizer, Subset};
///
/// let airfoil = embedded::airfoil()?;
/// let split = random_split(airfoil.len(), SplitFractions::new(0.8, 0.2, 0.0), 0);
/// let train = Subset::new(airfoil.clone(), split.train.clone());
/// let scaler = Standardizer::fit(&train)?;
/// let standardized = scaler.transform_dataset(&airfoil)?; // same statistics for every split
/// assert_eq!(standardized.len(), airfoil.len());
/// # Ok::<(), wengert_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each feature (flattened feature order).
    pub mean: Vec<f64>,
    /// Population standard deviation of each feature.
    pub std: Vec<f64>,
    shape: Vec<usize>,
}

/// Per-feature sums in f64 over every example of `dataset`: of the values,
/// of the squared deviations from `center` (when given), minima and maxima.
type FeatureSums = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

fn feature_sums<T: Float, D: Dataset<T> + ?Sized>(
    op: &'static str,
    dataset: &D,
    center: Option<&[f64]>,
) -> Result<FeatureSums> {
    let n = dataset.len();
    if n == 0 {
        return Err(DataError::InvalidArgument {
            op,
            why: "cannot fit on an empty dataset".into(),
        });
    }
    let d: usize = dataset.feature_shape().iter().product();
    let mut row = vec![T::zero(); d];
    let (mut sum, mut sum_sq) = (vec![0.0; d], vec![0.0; d]);
    let (mut min, mut max) = (vec![f64::INFINITY; d], vec![f64::NEG_INFINITY; d]);
    for i in 0..n {
        dataset.write_features(i, &mut row);
        for (j, &v) in row.iter().enumerate() {
            let v = v.to_f64();
            sum[j] += v;
            if let Some(c) = center {
                sum_sq[j] += (v - c[j]) * (v - c[j]);
            }
            min[j] = min[j].min(v);
            max[j] = max[j].max(v);
        }
    }
    Ok((sum, sum_sq, min, max))
}

/// `f(value, feature)` applied over rows of a `[n, ...]` tensor, checking the
/// per-example shape first.
fn map_features<T: Float>(
    op: &'static str,
    shape: &[usize],
    x: &Tensor<T>,
    f: impl Fn(f64, usize) -> f64,
) -> Result<Tensor<T>> {
    let d: usize = shape.iter().product();
    let s = x.shape();
    if s.len() < shape.len() || &s[s.len() - shape.len()..] != shape {
        return Err(DataError::Mismatch {
            what: op.to_string(),
            why: format!("fitted on features of shape {shape:?}, given a tensor of shape {s:?}"),
        });
    }
    let data = x
        .values()
        .iter()
        .enumerate()
        .map(|(i, &v)| T::from_f64(f(v.to_f64(), i % d.max(1))))
        .collect();
    Ok(Tensor::from_vec(data, s))
}

impl Standardizer {
    /// Mean and std of each feature over `dataset` (typically the training split).
    pub fn fit<T: Float, D: Dataset<T> + ?Sized>(dataset: &D) -> Result<Self> {
        // Two passes (mean, then squared deviations) rather than
        // E[x^2] - E[x]^2, which cancels badly for features far from zero.
        let (sum, _, _, _) = feature_sums("Standardizer::fit", dataset, None)?;
        let n = dataset.len() as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let (_, squares, _, _) = feature_sums("Standardizer::fit", dataset, Some(&mean))?;
        let std = squares.iter().map(|sq| (sq / n).sqrt()).collect();
        Ok(Standardizer {
            mean,
            std,
            shape: dataset.feature_shape().to_vec(),
        })
    }

    fn divisor(&self, j: usize) -> f64 {
        if self.std[j] > 0.0 {
            self.std[j]
        } else {
            1.0
        }
    }

    /// Standardizes a tensor whose trailing axes are the fitted feature shape
    /// (one example or a batch).
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        map_features("Standardizer::transform", &self.shape, x, |v, j| {
            (v - self.mean[j]) / self.divisor(j)
        })
    }

    /// Undoes [`transform`](Self::transform).
    pub fn inverse<T: Float>(&self, y: &Tensor<T>) -> Result<Tensor<T>> {
        map_features("Standardizer::inverse", &self.shape, y, |v, j| {
            v * self.divisor(j) + self.mean[j]
        })
    }

    /// A copy of `dataset` with standardized features (targets unchanged).
    pub fn transform_dataset<T: Float>(
        &self,
        dataset: &InMemoryDataset<T>,
    ) -> Result<InMemoryDataset<T>> {
        dataset.try_with_features(self.transform(dataset.features())?)
    }
}

/// As a transform in a loader, standardization applies the fitted statistics
/// to each example; it panics when an example's shape is not the fitted one.
impl<T: Float> Transform<T> for Standardizer {
    #[track_caller]
    fn apply(&self, x: Tensor<T>, _rng: &mut WengertRng) -> Tensor<T> {
        self.transform(&x).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Per-feature `(x - min) / (max - min)` into `[0, 1]`, as scikit-learn's
/// `MinMaxScaler`; a constant feature maps to 0.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScaler {
    /// Smallest value of each feature in the fitted data.
    pub min: Vec<f64>,
    /// Largest value of each feature in the fitted data.
    pub max: Vec<f64>,
    shape: Vec<usize>,
}

impl MinMaxScaler {
    /// Minimum and maximum of each feature over `dataset`.
    pub fn fit<T: Float, D: Dataset<T> + ?Sized>(dataset: &D) -> Result<Self> {
        let (_, _, min, max) = feature_sums("MinMaxScaler::fit", dataset, None)?;
        Ok(MinMaxScaler {
            min,
            max,
            shape: dataset.feature_shape().to_vec(),
        })
    }

    fn range(&self, j: usize) -> f64 {
        let r = self.max[j] - self.min[j];
        if r > 0.0 {
            r
        } else {
            1.0
        }
    }

    /// Scales a tensor whose trailing axes are the fitted feature shape.
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        map_features("MinMaxScaler::transform", &self.shape, x, |v, j| {
            (v - self.min[j]) / self.range(j)
        })
    }

    /// Undoes [`transform`](Self::transform).
    pub fn inverse<T: Float>(&self, y: &Tensor<T>) -> Result<Tensor<T>> {
        map_features("MinMaxScaler::inverse", &self.shape, y, |v, j| {
            v * self.range(j) + self.min[j]
        })
    }

    /// A copy of `dataset` with scaled features (targets unchanged).
    pub fn transform_dataset<T: Float>(
        &self,
        dataset: &InMemoryDataset<T>,
    ) -> Result<InMemoryDataset<T>> {
        dataset.try_with_features(self.transform(dataset.features())?)
    }
}

impl<T: Float> Transform<T> for MinMaxScaler {
    #[track_caller]
    fn apply(&self, x: Tensor<T>, _rng: &mut WengertRng) -> Tensor<T> {
        self.transform(&x).unwrap_or_else(|e| panic!("{e}"))
    }
}
