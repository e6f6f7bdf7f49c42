//! Which pool examples a round pseudo-labels: those whose most probable
//! class has a softmax probability above the threshold, optionally at most
//! `cap` per class (the most confident ones).

use std::collections::BTreeMap;

use wengert_tensor::{Float, Tensor};

use crate::error::{Result, TrainError};
use crate::pseudo_label::report::PseudoLabel;

/// The argmax class and its softmax probability for each row of `logits`
/// `[rows.len(), classes]`, row `j` being pool example `rows[j]`.
pub(crate) fn confidences<T: Float>(
    logits: &Tensor<T>,
    rows: &[usize],
    classes: usize,
) -> Result<Vec<PseudoLabel>> {
    if logits.shape() != [rows.len(), classes] {
        return Err(TrainError::Config {
            what: "pseudo-labelling",
            why: format!(
                "the model's predictions on {} pool examples have shape {:?}; expected [{}, {classes}] \
                 (one logit per class of the labelled data)",
                rows.len(),
                logits.shape(),
                rows.len()
            ),
        });
    }
    let probabilities = logits.try_softmax(1)?;
    let argmax = probabilities.try_argmax(1)?;
    let values = probabilities.values();
    Ok(rows
        .iter()
        .zip(argmax)
        .enumerate()
        .map(|(j, (&index, class))| PseudoLabel {
            index,
            class,
            confidence: values[j * classes + class].to_f64(),
        })
        .collect())
}

/// The candidates above `threshold` (strictly), in pool order; with a cap,
/// only the `cap` most confident of each class (ties to the lower pool
/// index), so one easy class cannot swamp the pseudo-labelled set.
pub(crate) fn select(
    candidates: Vec<PseudoLabel>,
    threshold: f64,
    cap: Option<usize>,
) -> (usize, Vec<PseudoLabel>) {
    let above: Vec<PseudoLabel> = candidates
        .into_iter()
        .filter(|c| c.confidence > threshold)
        .collect();
    let eligible = above.len();
    let Some(cap) = cap else {
        return (eligible, above);
    };
    let mut by_class: BTreeMap<usize, Vec<PseudoLabel>> = BTreeMap::new();
    for c in above {
        by_class.entry(c.class).or_default().push(c);
    }
    let mut kept: Vec<PseudoLabel> = by_class
        .into_values()
        .flat_map(|mut group| {
            group.sort_by(|a, b| {
                b.confidence
                    .total_cmp(&a.confidence)
                    .then(a.index.cmp(&b.index))
            });
            group.truncate(cap);
            group
        })
        .collect();
    kept.sort_by_key(|c| c.index);
    (eligible, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(index: usize, class: usize, confidence: f64) -> PseudoLabel {
        PseudoLabel {
            index,
            class,
            confidence,
        }
    }

    #[test]
    fn confidences_are_the_softmax_of_the_argmax_class() {
        // Row 0: logits (0, ln 3) -> probabilities (1/4, 3/4).
        // Row 1: equal logits -> 1/2 each, argmax the first.
        let logits = Tensor::from_vec(vec![0.0f64, 3f64.ln(), 1.0, 1.0], &[2, 2]);
        let got = confidences(&logits, &[7, 9], 2).unwrap();
        assert_eq!(got[0].index, 7);
        assert_eq!(got[0].class, 1);
        assert!((got[0].confidence - 0.75).abs() < 1e-15);
        assert_eq!((got[1].index, got[1].class), (9, 0));
        assert!((got[1].confidence - 0.5).abs() < 1e-15);
    }

    #[test]
    fn confidences_refuse_predictions_of_the_wrong_width() {
        let logits = Tensor::<f32>::zeros(&[2, 3]);
        let err = confidences(&logits, &[0, 1], 10).unwrap_err().to_string();
        assert!(err.contains("[2, 3]") && err.contains("[2, 10]"), "{err}");
    }

    #[test]
    fn select_keeps_strictly_above_the_threshold() {
        let c = vec![label(0, 0, 0.9), label(1, 0, 0.95), label(2, 1, 0.5)];
        let (eligible, kept) = select(c, 0.9, None);
        assert_eq!(eligible, 1);
        assert_eq!(kept, vec![label(1, 0, 0.95)]);
    }

    #[test]
    fn a_cap_keeps_the_most_confident_of_each_class_in_pool_order() {
        let c = vec![
            label(0, 0, 0.91),
            label(1, 0, 0.99),
            label(2, 0, 0.95),
            label(3, 1, 0.92),
            label(4, 0, 0.99),
        ];
        let (eligible, kept) = select(c, 0.9, Some(2));
        assert_eq!(eligible, 5);
        // Class 0: 0.99 (index 1), 0.99 (index 4) beat 0.95 and 0.91.
        assert_eq!(
            kept,
            vec![label(1, 0, 0.99), label(3, 1, 0.92), label(4, 0, 0.99)]
        );
    }
}
