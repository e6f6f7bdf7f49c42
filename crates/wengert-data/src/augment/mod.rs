//! Seeded augmentation: small transforms of one example ([`Transform`]) that
//! compose ([`Compose`]), and transforms of a whole batch
//! ([`BatchTransform`], e.g. [`Mixup`]).
//!
//! A transform takes its randomness from the generator it is handed; the
//! loader seeds that generator from (loader seed, epoch, example index), so a
//! run is reproducible and an example is augmented differently every epoch.
//!
//! Image transforms read the last two axes as height and width (`[H, W]`,
//! `[C, H, W]`, ...): every channel gets the same flip, shift or rotation.
//!
//! | transform | what | PyTorch (torchvision) |
//! | --- | --- | --- |
//! | [`RandomHorizontalFlip`] | mirror left-right with probability `p` | `RandomHorizontalFlip(p)` |
//! | [`RandomShiftCrop`] | zero-pad by `padding`, crop back at a random offset (a translation) | `RandomCrop(size, padding)` |
//! | [`RandomRotation`] | rotate by a uniform angle in `[-max, max]` degrees, bilinear, zero fill | `RandomRotation(max)` |
//! | [`RandomErasing`] | blank a random rectangle with probability `p` | `RandomErasing` |
//! | [`GaussianNoise`] | add `N(0, std^2)` to every element (any input) | `x + std * randn_like(x)` |
//! | [`Normalize`] | `(x - mean_c) / std_c` per channel, with its inverse | `Normalize(mean, std)` |
//! | [`Mixup`] | blend each example with another of the batch, targets too | `torchvision.transforms.v2.MixUp` |

mod image;
mod mixup;
mod noise;
mod normalize;

pub use image::{
    hflip, rotate, translate, RandomErasing, RandomHorizontalFlip, RandomRotation, RandomShiftCrop,
};
pub use mixup::Mixup;
pub use noise::GaussianNoise;
pub use normalize::Normalize;

use wengert_tensor::{Float, Tensor, WengertRng};

use crate::loader::Batch;

/// A transform of one example's features, drawing any randomness from `rng`.
///
/// Closures `Fn(Tensor<T>, &mut WengertRng) -> Tensor<T>` are transforms too.
pub trait Transform<T: Float>: Send + Sync {
    /// The transformed features.
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T>;
}

impl<T: Float, F> Transform<T> for F
where
    F: Fn(Tensor<T>, &mut WengertRng) -> Tensor<T> + Send + Sync,
{
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T> {
        self(x, rng)
    }
}

/// Transforms applied one after the other, as torchvision's `Compose`.
///
/// ```
/// use wengert_data::augment::{Compose, RandomHorizontalFlip, RandomShiftCrop, Transform};
/// use wengert_tensor::{seeded_rng, Tensor};
///
/// let augment = Compose::new()
///     .then(RandomHorizontalFlip::new(0.5))
///     .then(RandomShiftCrop::new(2));
/// let image = Tensor::<f32>::ones(&[1, 8, 8]);
/// let out = augment.apply(image, &mut seeded_rng(0));
/// assert_eq!(out.shape(), &[1, 8, 8]);
/// ```
pub struct Compose<T: Float> {
    steps: Vec<Box<dyn Transform<T>>>,
}

impl<T: Float> Compose<T> {
    /// No transform yet (the identity).
    pub fn new() -> Self {
        Compose { steps: Vec::new() }
    }

    /// Appends a transform.
    #[allow(clippy::should_implement_trait)]
    pub fn then(mut self, step: impl Transform<T> + 'static) -> Self {
        self.steps.push(Box::new(step));
        self
    }

    /// Number of transforms.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True for the identity.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl<T: Float> Default for Compose<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Transform<T> for Compose<T> {
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T> {
        self.steps.iter().fold(x, |x, step| step.apply(x, rng))
    }
}

/// A transform of a whole collated batch (features and targets), e.g. mixup.
pub trait BatchTransform<T: Float>: Send + Sync {
    /// The transformed batch.
    fn apply(&self, batch: Batch<T>, rng: &mut WengertRng) -> Batch<T>;
}
