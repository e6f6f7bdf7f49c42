//! Additive Gaussian noise, for any input.

use rand_distr::{Distribution, StandardNormal};
use wengert_tensor::{Float, Tensor, WengertRng};

use crate::augment::Transform;

/// Adds independent `N(0, std^2)` noise to every element:
/// `y = x + std * z`, `z ~ N(0, 1)`. Works on any shape.
///
/// ```
/// use wengert_data::augment::{GaussianNoise, Transform};
/// use wengert_tensor::{seeded_rng, Tensor};
///
/// let x = Tensor::<f64>::zeros(&[1000]);
/// let y = GaussianNoise::new(0.1).apply(x, &mut seeded_rng(1));
/// let var = y.to_vec().iter().map(|v| v * v).sum::<f64>() / 1000.0;
/// assert!((var.sqrt() - 0.1).abs() < 0.01);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianNoise {
    /// Standard deviation of the noise.
    pub std: f64,
}

impl GaussianNoise {
    /// Noise of standard deviation `std` (>= 0).
    #[track_caller]
    pub fn new(std: f64) -> Self {
        assert!(
            std >= 0.0 && std.is_finite(),
            "GaussianNoise: std must be finite and >= 0, got {std}"
        );
        GaussianNoise { std }
    }
}

impl<T: Float> Transform<T> for GaussianNoise {
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T> {
        let std = T::from_f64(self.std);
        let data: Vec<T> = x
            .values()
            .iter()
            .map(|&v| {
                let z: f64 = StandardNormal.sample(rng);
                v + std * T::from_f64(z)
            })
            .collect();
        Tensor::from_vec(data, x.shape())
    }
}
