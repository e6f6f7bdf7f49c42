//! Mixup (Zhang, Cisse, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk
//! Minimization", ICLR 2018) as a batch transform.

use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution};
use wengert_tensor::{Float, Tensor, WengertRng};

use crate::augment::BatchTransform;
use crate::error::{or_panic, DataError, Result};
use crate::loader::{Batch, Targets};

/// Blends each example with another example of the same batch:
///
/// ```text
/// lambda ~ Beta(alpha, alpha)          (one draw per batch)
/// pi     = a random permutation of the batch
/// x'_i   = lambda x_i + (1 - lambda) x_pi(i)
/// y'_i   = lambda y_i + (1 - lambda) y_pi(i)
/// ```
///
/// Class targets become one-hot first, so the result is
/// [`Targets::Probabilities`] `[batch, classes]` whose rows sum to one;
/// regression values and probabilities are blended as they are.
///
/// ```
/// use wengert_data::augment::{BatchTransform, Mixup};
/// use wengert_data::{Batch, Targets};
/// use wengert_tensor::{seeded_rng, Tensor};
///
/// let batch = Batch {
///     features: Tensor::from_vec(vec![0.0f32, 1.0], &[2, 1]),
///     targets: Targets::Classes(vec![0, 2]),
///     indices: vec![0, 1],
/// };
/// let mixed = Mixup::new(0.2, 3).apply(batch, &mut seeded_rng(0));
/// let Targets::Probabilities(p) = mixed.targets else { unreachable!() };
/// assert_eq!(p.shape(), &[2, 3]);
/// for row in p.to_vec().chunks(3) {
///     assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mixup {
    alpha: f64,
    classes: usize,
}

impl Mixup {
    /// Mixup with `Beta(alpha, alpha)` weights (`alpha > 0`; the paper uses
    /// 0.1 to 0.4) for `classes` classes.
    pub fn try_new(alpha: f64, classes: usize) -> Result<Self> {
        if !(alpha > 0.0 && alpha.is_finite()) || classes == 0 {
            return Err(DataError::InvalidArgument {
                op: "Mixup::new",
                why: format!("alpha must be positive and finite and classes at least 1, got alpha {alpha}, classes {classes}"),
            });
        }
        Ok(Mixup { alpha, classes })
    }

    /// Panicking form of [`Mixup::try_new`].
    #[track_caller]
    pub fn new(alpha: f64, classes: usize) -> Self {
        or_panic(Self::try_new(alpha, classes))
    }
}

/// `lambda a_i + (1 - lambda) a_pi(i)` over rows of `width` elements.
fn blend_rows<T: Float>(a: &[T], width: usize, perm: &[usize], lambda: T) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len());
    for (i, &j) in perm.iter().enumerate() {
        let (ri, rj) = (
            &a[i * width..(i + 1) * width],
            &a[j * width..(j + 1) * width],
        );
        out.extend(
            ri.iter()
                .zip(rj)
                .map(|(&x, &y)| lambda * x + (T::one() - lambda) * y),
        );
    }
    out
}

impl<T: Float> BatchTransform<T> for Mixup {
    #[track_caller]
    fn apply(&self, batch: Batch<T>, rng: &mut WengertRng) -> Batch<T> {
        let n = batch.len();
        if n == 0 {
            return batch;
        }
        let beta = Beta::new(self.alpha, self.alpha).expect("alpha checked positive");
        let lambda = T::from_f64(beta.sample(rng));
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(rng);

        let width = batch.features.numel() / n;
        let features = Tensor::from_vec(
            blend_rows(&batch.features.values(), width, &perm, lambda),
            batch.features.shape(),
        );
        let blend = |t: &Tensor<T>| {
            let w = t.numel() / n;
            Tensor::from_vec(blend_rows(&t.values(), w, &perm, lambda), t.shape())
        };
        let targets = match &batch.targets {
            Targets::Classes(labels) => {
                let mut one_hot = vec![T::zero(); n * self.classes];
                for (i, &c) in labels.iter().enumerate() {
                    assert!(
                        c < self.classes,
                        "Mixup: label {c} of batch row {i} is not below the class count {}",
                        self.classes
                    );
                    one_hot[i * self.classes + c] = T::one();
                }
                Targets::Probabilities(Tensor::from_vec(
                    blend_rows(&one_hot, self.classes, &perm, lambda),
                    &[n, self.classes],
                ))
            }
            Targets::Values(t) => Targets::Values(blend(t)),
            Targets::Probabilities(t) => Targets::Probabilities(blend(t)),
        };
        Batch {
            features,
            targets,
            indices: batch.indices,
        }
    }
}
