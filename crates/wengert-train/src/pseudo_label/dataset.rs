//! The training set of a pseudo-labelling round: the labelled examples,
//! then the pool examples given a pseudo-label, as one dataset view (no
//! copy of either: both are shared with every round).

use std::sync::Arc;

use wengert_data::{Dataset, Example, Target, TargetKind};
use wengert_tensor::Float;

/// `labelled[0..n]`, then `pool[index]` with target `class` for each
/// `(index, class)` of `pseudo`, in that order.
pub(crate) struct WithPseudoLabels<L, P> {
    pub(crate) labelled: Arc<L>,
    pub(crate) pool: Arc<P>,
    pub(crate) pseudo: Arc<[(usize, usize)]>,
}

impl<L, P> WithPseudoLabels<L, P> {
    /// The pool index and pseudo-label of example `index`, or `None` for a
    /// labelled example.
    fn pseudo_at<T: Float>(&self, index: usize) -> Option<(usize, usize)>
    where
        L: Dataset<T>,
    {
        let n = self.labelled.len();
        if index < n {
            return None;
        }
        // Out of range is the same message as every dataset's `get`.
        assert!(
            index - n < self.pseudo.len(),
            "pseudo-labelled dataset: index {index} is out of range for a dataset of {} examples",
            n + self.pseudo.len()
        );
        Some(self.pseudo[index - n])
    }
}

impl<T: Float, L: Dataset<T>, P: Dataset<T>> Dataset<T> for WithPseudoLabels<L, P> {
    fn len(&self) -> usize {
        self.labelled.len() + self.pseudo.len()
    }

    fn feature_shape(&self) -> &[usize] {
        self.labelled.feature_shape()
    }

    fn target_kind(&self) -> TargetKind {
        self.labelled.target_kind()
    }

    fn get(&self, index: usize) -> Example<T> {
        match self.pseudo_at(index) {
            None => self.labelled.get(index),
            Some((i, class)) => Example {
                // The pool's own target, if it has one, is never read.
                features: self.pool.get(i).features,
                target: Target::Class(class),
            },
        }
    }

    fn target(&self, index: usize) -> Target<T> {
        match self.pseudo_at(index) {
            None => self.labelled.target(index),
            Some((_, class)) => Target::Class(class),
        }
    }

    fn write_features(&self, index: usize, out: &mut [T]) {
        match self.pseudo_at(index) {
            None => self.labelled.write_features(index, out),
            Some((i, _)) => self.pool.write_features(i, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_data::InMemoryDataset;
    use wengert_tensor::Tensor;

    #[test]
    fn pseudo_examples_follow_the_labelled_ones_with_their_pseudo_class() {
        let labelled = InMemoryDataset::classification(
            Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]),
            vec![0, 1],
            3,
        );
        // The pool's labels (all 0) must not show through.
        let pool = InMemoryDataset::classification(
            Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3, 1]),
            vec![0, 0, 0],
            3,
        );
        let data = WithPseudoLabels {
            labelled: Arc::new(labelled),
            pool: Arc::new(pool),
            pseudo: vec![(2, 2), (0, 1)].into(),
        };
        assert_eq!(data.len(), 4);
        assert_eq!(data.target_kind(), TargetKind::Classes { classes: 3 });
        let got: Vec<(f32, Target<f32>)> = (0..4)
            .map(|i| {
                let e = data.get(i);
                (e.features.to_vec()[0], e.target)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1.0, Target::Class(0)),
                (2.0, Target::Class(1)),
                (12.0, Target::Class(2)),
                (10.0, Target::Class(1)),
            ]
        );
        let mut out = [0.0f32];
        data.write_features(3, &mut out);
        assert_eq!(out, [10.0]);
        assert_eq!(data.target(2), Target::Class(2));
    }
}
