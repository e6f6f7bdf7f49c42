//! A collated minibatch and the collate step that builds it.

use wengert_tensor::{Float, Tensor, WengertRng};

use crate::augment::Transform;
use crate::dataset::{Dataset, Target, TargetKind};
use crate::seeding::{derived_rng, PURPOSE_AUGMENT};

/// The targets of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets<T: Float> {
    /// One class index per example (for cross-entropy with integer targets).
    Classes(Vec<usize>),
    /// Regression values `[batch, width]`.
    Values(Tensor<T>),
    /// Class probabilities `[batch, classes]`, each row summing to one: what
    /// [`Mixup`](crate::augment::Mixup) makes of class targets (train with
    /// soft-target cross-entropy `-sum(p * log_softmax(logits))`).
    Probabilities(Tensor<T>),
}

impl<T: Float> Targets<T> {
    /// The class indices, or `None` for other targets.
    pub fn classes(&self) -> Option<&[usize]> {
        match self {
            Targets::Classes(c) => Some(c),
            _ => None,
        }
    }

    /// The target tensor (`Values` or `Probabilities`), or `None` for classes.
    pub fn tensor(&self) -> Option<&Tensor<T>> {
        match self {
            Targets::Classes(_) => None,
            Targets::Values(t) | Targets::Probabilities(t) => Some(t),
        }
    }
}

/// A minibatch: features stacked on a new leading axis and the targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<T: Float> {
    /// `[batch, ...feature_shape]`.
    pub features: Tensor<T>,
    /// One target per example.
    pub targets: Targets<T>,
    /// The dataset index of each example, in batch order.
    pub indices: Vec<usize>,
}

impl<T: Float> Batch<T> {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// True for a batch without examples.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// Builds the batch of `indices`: features `[batch, ...feature_shape]`,
/// targets by the dataset's [`TargetKind`]. When a transform is given, each
/// example's features go through it with a generator seeded from
/// `(seed, epoch, dataset index)`, so the result does not depend on which
/// thread collates or in what order.
///
/// Panics when a transform changes an example's shape (a batch needs one
/// shape), naming the example and both shapes.
#[track_caller]
pub fn collate<T: Float, D: Dataset<T> + ?Sized>(
    dataset: &D,
    indices: &[usize],
    transform: Option<&dyn Transform<T>>,
    seed: u64,
    epoch: u64,
) -> Batch<T> {
    collate_draws(dataset, indices, None, transform, seed, epoch)
}

/// [`collate`] for an epoch that may draw an example more than once (a
/// sampler with replacement): `repeats[k]` counts the earlier draws of
/// `indices[k]` in the epoch, and a repeated draw is augmented from
/// `(seed, epoch, index, repeat)`, so the copies of an oversampled example
/// look different. A first draw (repeat 0), and every draw when `repeats`
/// is `None`, uses the seed `collate` uses.
#[track_caller]
pub(crate) fn collate_draws<T: Float, D: Dataset<T> + ?Sized>(
    dataset: &D,
    indices: &[usize],
    repeats: Option<&[u64]>,
    transform: Option<&dyn Transform<T>>,
    seed: u64,
    epoch: u64,
) -> Batch<T> {
    let shape = dataset.feature_shape().to_vec();
    let per_example: usize = shape.iter().product();
    // From the tensor pool: a fresh batch of a few hundred kilobytes would
    // be a new mapping, page-faulted in, on every step.
    let mut features = wengert_tensor::buffer::zeroed(indices.len() * per_example);
    let slots = features.chunks_exact_mut(per_example.max(1));
    for (k, (slot, &index)) in slots.zip(indices).enumerate() {
        match transform {
            None => dataset.write_features(index, slot),
            Some(transform) => {
                let mut rng: WengertRng = match repeats.map_or(0, |r| r[k]) {
                    0 => derived_rng(seed, &[PURPOSE_AUGMENT, epoch, index as u64]),
                    repeat => derived_rng(seed, &[PURPOSE_AUGMENT, epoch, index as u64, repeat]),
                };
                let x = transform.apply(dataset.get(index).features, &mut rng);
                assert!(
                    x.shape() == shape.as_slice(),
                    "collate: the transform turned example {index} of shape {shape:?} into shape {:?}; a batch needs one shape",
                    x.shape()
                );
                slot.copy_from_slice(&x.values());
            }
        }
    }
    let mut batch_shape = vec![indices.len()];
    batch_shape.extend_from_slice(&shape);
    let targets = match dataset.target_kind() {
        TargetKind::Classes { .. } => Targets::Classes(
            indices
                .iter()
                .map(|&i| {
                    dataset
                        .target(i)
                        .class()
                        .expect("a classification dataset gives classes")
                })
                .collect(),
        ),
        TargetKind::Values { width } => {
            let mut values = Vec::with_capacity(indices.len() * width);
            for &i in indices {
                match dataset.target(i) {
                    Target::Values(v) if v.len() == width => values.extend(v),
                    other => panic!("collate: example {i} has target {other:?}, expected {width} regression values"),
                }
            }
            Targets::Values(Tensor::from_vec(values, &[indices.len(), width]))
        }
    };
    Batch {
        features: Tensor::from_vec(features, &batch_shape),
        targets,
        indices: indices.to_vec(),
    }
}
