//! Per-channel normalization and its inverse.

use wengert_tensor::{Float, Tensor, WengertRng};

use crate::augment::Transform;
use crate::error::{or_panic, DataError, Result};

/// `y = (x - mean_c) / std_c` for channel `c`, the first axis of an example
/// (`[C, H, W]`); with one mean and one std the same applies to every
/// element. Deterministic; [`Normalize::inverse`] undoes it.
///
/// ```
/// use wengert_data::augment::{Normalize, Transform};
/// use wengert_tensor::{seeded_rng, Tensor};
///
/// // Fashion-MNIST's pixel mean and std after scaling to [0, 1].
/// let normalize = Normalize::new(vec![0.2860], vec![0.3530]);
/// let x = Tensor::<f32>::full(&[1, 2, 2], 0.2860);
/// let y = normalize.apply(x.clone(), &mut seeded_rng(0));
/// assert!(y.to_vec().iter().all(|v| v.abs() < 1e-6));
/// let back = normalize.inverse(&y);
/// assert!(back.to_vec().iter().all(|v| (v - 0.2860).abs() < 1e-6));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Normalize {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Normalize {
    /// One mean and one std per channel (or one of each for all); every std
    /// must be positive.
    pub fn try_new(mean: Vec<f64>, std: Vec<f64>) -> Result<Self> {
        if mean.len() != std.len() || mean.is_empty() {
            return Err(DataError::InvalidArgument {
                op: "Normalize::new",
                why: format!(
                    "needs as many means as stds (at least one), got {} and {}",
                    mean.len(),
                    std.len()
                ),
            });
        }
        if let Some(s) = std.iter().find(|s| !(**s > 0.0 && s.is_finite())) {
            return Err(DataError::InvalidArgument {
                op: "Normalize::new",
                why: format!("every std must be positive and finite, got {s}"),
            });
        }
        Ok(Normalize { mean, std })
    }

    /// Panicking form of [`Normalize::try_new`].
    #[track_caller]
    pub fn new(mean: Vec<f64>, std: Vec<f64>) -> Self {
        or_panic(Self::try_new(mean, std))
    }

    /// `(mean, std)` for each element of `x`, by channel.
    #[track_caller]
    fn per_element<T: Float>(&self, x: &Tensor<T>, f: impl Fn(T, T, T) -> T) -> Tensor<T> {
        let channels = self.mean.len();
        let plane = if channels == 1 {
            x.numel().max(1)
        } else {
            assert!(
                x.shape().first() == Some(&channels),
                "Normalize: {channels} channel statistics do not fit features of shape {:?} (channel axis first)",
                x.shape()
            );
            x.numel() / channels
        };
        let stats: Vec<(T, T)> = self
            .mean
            .iter()
            .zip(&self.std)
            .map(|(&m, &s)| (T::from_f64(m), T::from_f64(s)))
            .collect();
        let data = x
            .values()
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let (m, s) = stats[(i / plane).min(channels - 1)];
                f(v, m, s)
            })
            .collect();
        Tensor::from_vec(data, x.shape())
    }

    /// The inverse map, `x = y * std_c + mean_c`.
    #[track_caller]
    pub fn inverse<T: Float>(&self, y: &Tensor<T>) -> Tensor<T> {
        self.per_element(y, |v, m, s| v * s + m)
    }
}

impl<T: Float> Transform<T> for Normalize {
    #[track_caller]
    fn apply(&self, x: Tensor<T>, _rng: &mut WengertRng) -> Tensor<T> {
        self.per_element(&x, |v, m, s| (v - m) / s)
    }
}
