//! What a pseudo-labelling run did, round by round: what it added, with
//! which labels and how confident, and (optionally) how the model scored on
//! validation after retraining.

use crate::error::{Result, TrainError};
use crate::trainer::Evaluation;

/// One pool example given a label by the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PseudoLabel {
    /// Its index in the pool.
    pub index: usize,
    /// The class the model gave it (the argmax of its logits).
    pub class: usize,
    /// The softmax probability of that class: the model's confidence.
    pub confidence: f64,
}

/// One round: the pool examples it pseudo-labelled, then (if it added any)
/// a retraining on the labelled and all pseudo-labelled examples.
#[derive(Clone, Debug, PartialEq)]
pub struct PseudoLabelRound {
    /// The round, from 1 (round 0 is the training on labelled data alone).
    pub round: usize,
    /// Examples not added before whose confidence was above the threshold
    /// (before any per-class cap).
    pub eligible: usize,
    /// Examples added this round (`labels.len()`).
    pub added: usize,
    /// Examples pseudo-labelled so far, this round's included.
    pub total: usize,
    /// How many of this round's examples went to each class.
    pub class_counts: Vec<usize>,
    /// This round's examples, in pool order.
    pub labels: Vec<PseudoLabel>,
    /// The retrained model on the validation loader, when one was given and
    /// the round added something (a round that adds nothing retrains
    /// nothing).
    pub validation: Option<Evaluation>,
}

impl PseudoLabelRound {
    /// The share of this round's pseudo-labels that agree with the pool's
    /// true labels (`pool_labels[i]` for pool example `i`), or `None` when
    /// the round added nothing. For experiments: a real pool has no labels.
    pub fn accuracy(&self, pool_labels: &[usize]) -> Result<Option<f64>> {
        accuracy(&self.labels, pool_labels)
    }
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PseudoLabelStop {
    /// A round found no example above the threshold (or the pool was used
    /// up): more rounds would train on the same data.
    NothingAdded {
        /// That round.
        round: usize,
    },
    /// The configured number of rounds ran, each adding something.
    RoundLimit,
}

/// The whole run: validation after the first training, every round, and
/// why it stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct PseudoLabelReport {
    /// The model trained on labelled data alone, on the validation loader
    /// (when one was given): the baseline the rounds should beat.
    pub initial_validation: Option<Evaluation>,
    /// Every round, in order; the last one added nothing when `stop` is
    /// [`PseudoLabelStop::NothingAdded`].
    pub rounds: Vec<PseudoLabelRound>,
    /// Why the run ended.
    pub stop: PseudoLabelStop,
}

impl PseudoLabelReport {
    /// Examples pseudo-labelled over the run.
    pub fn total(&self) -> usize {
        self.rounds.last().map_or(0, |r| r.total)
    }

    /// Every pseudo-label of the run, round after round.
    pub fn labels(&self) -> impl Iterator<Item = &PseudoLabel> {
        self.rounds.iter().flat_map(|r| &r.labels)
    }

    /// The share of all pseudo-labels that agree with the pool's true
    /// labels, or `None` when nothing was added (see
    /// [`PseudoLabelRound::accuracy`]).
    pub fn accuracy(&self, pool_labels: &[usize]) -> Result<Option<f64>> {
        let labels: Vec<PseudoLabel> = self.labels().copied().collect();
        accuracy(&labels, pool_labels)
    }
}

fn accuracy(labels: &[PseudoLabel], pool_labels: &[usize]) -> Result<Option<f64>> {
    if labels.is_empty() {
        return Ok(None);
    }
    let mut right = 0;
    for l in labels {
        let Some(&truth) = pool_labels.get(l.index) else {
            return Err(TrainError::Config {
                what: "pseudo-label accuracy",
                why: format!(
                    "pool example {} was pseudo-labelled but only {} true labels were given",
                    l.index,
                    pool_labels.len()
                ),
            });
        };
        right += usize::from(truth == l.class);
    }
    Ok(Some(right as f64 / labels.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(index: usize, class: usize) -> PseudoLabel {
        PseudoLabel {
            index,
            class,
            confidence: 0.99,
        }
    }

    #[test]
    fn accuracy_counts_agreement_with_the_true_labels() {
        let labels = [label(0, 1), label(2, 0), label(3, 3)];
        // True labels: 0 -> 1 (right), 2 -> 2 (wrong), 3 -> 3 (right).
        let got = accuracy(&labels, &[1, 5, 2, 3]).unwrap();
        assert_eq!(got, Some(2.0 / 3.0));
        assert_eq!(accuracy(&[], &[1]).unwrap(), None);
    }

    #[test]
    fn accuracy_with_too_few_true_labels_names_the_example() {
        let err = accuracy(&[label(4, 0)], &[0, 1]).unwrap_err().to_string();
        assert!(
            err.contains("pool example 4") && err.contains("only 2"),
            "{err}"
        );
    }
}
