//! Pseudo-labelling from the unlabelled pool, with its threshold (and its
//! number of rounds) chosen on labelled images only.
//!
//! The rule: hold out `validation_per_class` images of each class of the
//! labelled sample; for every threshold of the sweep, run pseudo-labelling
//! on the rest of the sample and the pool, and read the validation accuracy
//! after the first training (round 0, no pseudo-label) and after every
//! round. The (threshold, rounds) with the highest validation accuracy
//! wins (ties: fewer rounds, then the higher threshold, the more careful
//! choice). Then pseudo-labelling runs again on the whole labelled sample
//! at the chosen threshold for the chosen rounds, and that network is
//! tested once. If round 0 wins, the remedy is "no pseudo-labels": the
//! rule says the pool does not help.
//!
//! Each round goes on training the previous round's network (a fresh Adam)
//! for `round_epochs` epochs over the labelled and every pseudo-labelled
//! image; a per-class cap on each round keeps one easy class from taking
//! it.

use std::time::Instant;

use wengert::data::{InMemoryDataset, Subset};
use wengert::prelude::*;
use wengert::train::{PseudoLabelConfig, PseudoLabelReport};

use super::data::{hold_out, ImageSet};
use super::fine_tuning::network::NetSpec;
use super::training::{adam, score, RunSettings, Score};
use super::Outcome;

/// The settings of the pseudo-labelling remedy.
#[derive(Clone, Debug, PartialEq)]
pub struct PseudoSettings {
    /// The confidence thresholds swept (softmax probability of the top
    /// class, strictly above).
    pub thresholds: Vec<f64>,
    /// The most rounds after the first training.
    pub rounds: usize,
    /// Epochs of each round's training, over labelled and pseudo-labelled
    /// images together.
    pub round_epochs: usize,
    /// At most this many pool images per class per round.
    pub max_per_class: usize,
    /// Labelled images per class held out to choose the threshold.
    pub validation_per_class: usize,
}

/// One threshold of the sweep on the held-out split.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// The threshold.
    pub threshold: f64,
    /// Validation accuracy after round 0, 1, ... (as many as ran).
    pub validation: Vec<f64>,
    /// Pool images pseudo-labelled over the run.
    pub added: usize,
    /// The share of them whose pseudo-label is the true label.
    pub label_accuracy: Option<f64>,
}

/// What the remedy did for one seed.
#[derive(Clone, Debug)]
pub struct PseudoRun {
    /// The sweep on the held-out split, one point per threshold.
    pub sweep: Vec<SweepPoint>,
    /// The chosen threshold and rounds (0 rounds: no pseudo-labels).
    pub chosen: (f64, usize),
    /// The final run on the whole labelled sample: what each round added.
    pub report: PseudoLabelReport,
    /// The share of the final run's pseudo-labels that are right.
    pub label_accuracy: Option<f64>,
    /// The final network's test scores.
    pub score: Score,
    /// Wall time of the sweep and the final run.
    pub seconds: f64,
}

/// The pool images at `pool`, with their labels: the run never reads them
/// (pseudo-labelling reads only a pool's features); they score the
/// pseudo-labels afterwards.
pub type Pool = Subset<InMemoryDataset<f32>>;

/// Pseudo-labelling on the training images at `labelled` with the pool at
/// `pool`, at `threshold` for at most `rounds` rounds, validated on
/// `validation` when given. Round 0 is the from-scratch remedy's run: the
/// same init, batches and steps.
#[allow(clippy::too_many_arguments)]
pub fn pseudo_label(
    set: &ImageSet,
    spec: &NetSpec,
    labelled: &[usize],
    pool: &Pool,
    threshold: f64,
    rounds: usize,
    settings: &RunSettings,
    p: &PseudoSettings,
    validation: Option<&DataLoader<f32, Pool>>,
) -> Outcome<(PseudoLabelReport, Sequential<f32>)> {
    let first_epochs = settings.epochs_for(labelled.len());
    let factory = |round: usize, previous: Option<Sequential<f32>>| {
        let (model, epochs) = match previous {
            Some(model) => (model, p.round_epochs),
            None => (spec.build(set.classes, settings.seed), first_epochs),
        };
        Trainer::new(model, adam(settings.lr), CrossEntropyLoss)
            .epochs(epochs)
            .seed(settings.seed + round as u64)
            .metric(Accuracy::new())
            .quiet()
    };
    let config = PseudoLabelConfig::new(threshold)
        .rounds(rounds)
        .max_per_class(p.max_per_class)
        .batch_size(settings.batch)
        .seed(settings.seed);
    let outcome = match validation {
        Some(v) => config.run(set.part(labelled.to_vec()), pool.clone(), factory, v)?,
        None => {
            config.run_without_validation(set.part(labelled.to_vec()), pool.clone(), factory)?
        }
    };
    Ok((outcome.report, outcome.trainer.into_model()))
}

/// The true labels of the pool, by pool position.
fn pool_truth(set: &ImageSet, pool: &[usize]) -> Vec<usize> {
    pool.iter().map(|&i| set.labels()[i]).collect()
}

/// The accuracy of an evaluation, or an error when it has none.
fn accuracy_of(e: &wengert::train::Evaluation) -> Outcome<f64> {
    Ok(*e.metrics.get("accuracy").ok_or("an accuracy metric")?)
}

/// Runs the remedy for one seed: the sweep on the held-out split, the
/// choice, the final run on all of `labelled`, the test.
pub fn run_pseudo(
    set: &ImageSet,
    spec: &NetSpec,
    labelled: &[usize],
    pool: &[usize],
    settings: &RunSettings,
    p: &PseudoSettings,
) -> Outcome<PseudoRun> {
    let started = Instant::now();
    let truth = pool_truth(set, pool);
    let pool_view = set.part(pool.to_vec());
    let (fit_part, held_out) = hold_out(set.labels(), labelled, p.validation_per_class);
    let validation = DataLoader::new(set.part(held_out), LoaderConfig::new(1024).shuffle(false));
    let mut sweep = Vec::new();
    for &threshold in &p.thresholds {
        let (report, _) = pseudo_label(
            set,
            spec,
            &fit_part,
            &pool_view,
            threshold,
            p.rounds,
            settings,
            p,
            Some(&validation),
        )?;
        let mut accuracies = vec![accuracy_of(
            report.initial_validation.as_ref().ok_or("validated")?,
        )?];
        for round in &report.rounds {
            if let Some(e) = &round.validation {
                accuracies.push(accuracy_of(e)?);
            }
        }
        sweep.push(SweepPoint {
            threshold,
            validation: accuracies,
            added: report.total(),
            label_accuracy: report.accuracy(&truth)?,
        });
    }
    let chosen = choose(&sweep);
    let (report, model) = pseudo_label(
        set, spec, labelled, &pool_view, chosen.0, chosen.1, settings, p, None,
    )?;
    let label_accuracy = report.accuracy(&truth)?;
    Ok(PseudoRun {
        sweep,
        chosen,
        label_accuracy,
        score: score(&model, &set.test, set.classes)?,
        report,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The rule: the highest validation accuracy over every (threshold,
/// rounds); ties go to fewer rounds, then to the higher threshold.
pub fn choose(sweep: &[SweepPoint]) -> (f64, usize) {
    let mut best: Option<(f64, usize, f64)> = None;
    for point in sweep {
        for (rounds, &accuracy) in point.validation.iter().enumerate() {
            let better = match best {
                None => true,
                Some((t, r, a)) => {
                    accuracy > a
                        || (accuracy == a && (rounds < r || (rounds == r && point.threshold > t)))
                }
            };
            if better {
                best = Some((point.threshold, rounds, accuracy));
            }
        }
    }
    best.map_or((0.0, 0), |(t, r, _)| (t, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(threshold: f64, validation: Vec<f64>) -> SweepPoint {
        SweepPoint {
            threshold,
            validation,
            added: 0,
            label_accuracy: None,
        }
    }

    #[test]
    fn the_rule_takes_the_best_validation_then_fewer_rounds_then_the_higher_threshold() {
        let sweep = [
            point(0.9, vec![0.70, 0.80, 0.80]),
            point(0.99, vec![0.70, 0.75, 0.80]),
        ];
        // 0.80 three times: after 1 round at 0.9 is the fewest rounds.
        assert_eq!(choose(&sweep), (0.9, 1));
        let tied = [point(0.9, vec![0.7, 0.8]), point(0.99, vec![0.7, 0.8])];
        assert_eq!(choose(&tied), (0.99, 1));
        // Round 0 is the same training at every threshold: it wins when
        // no round beats it.
        let none = [point(0.9, vec![0.8, 0.7]), point(0.99, vec![0.8, 0.75])];
        assert_eq!(choose(&none), (0.99, 0));
    }
}
