//! Pseudo-labelling on the embedded digits, about 100 labelled and the rest
//! an unlabelled pool: each round adds exactly the pool examples the
//! model's own predictions (recomputed here) put above the threshold and
//! that were not added before, with their argmax class; the report's counts
//! add up; the run stops when a round adds nothing; a higher threshold adds
//! no more; a per-class cap keeps the most confident; the same seed gives
//! the same run.

use std::collections::BTreeSet;

use wengert_data::loader::collate;
use wengert_data::{
    embedded, stratified_split, DataLoader, Dataset, InMemoryDataset, LoaderConfig, SplitFractions,
    Subset,
};
use wengert_nn::{Linear, Module, ReLU, Sequential};
use wengert_optim::{Adam, AdamConfig};
use wengert_tensor::{seeded_rng, Tape, Tensor};
use wengert_train::{
    Accuracy, CrossEntropyLoss, PseudoLabelConfig, PseudoLabelOutcome, PseudoLabelReport,
    PseudoLabelStop, Trainer,
};

type Part = Subset<InMemoryDataset<f32>>;
type Outcome = PseudoLabelOutcome<f32, Sequential<f32>, Adam<f32>>;
/// Each pool example's (argmax class, top softmax probability).
type Confidences = Vec<(usize, f64)>;

/// About 100 labelled digits (stratified), the rest an unlabelled pool,
/// and the pool's true labels (for checking only).
fn digits_parts() -> (Part, Part, Vec<usize>) {
    let digits = embedded::digits().unwrap();
    let labels = digits.labels().unwrap().to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.06, 0.94, 0.0), 0);
    let (labelled, pool, _) = split.subsets(&digits);
    let truth = split.validation.iter().map(|&i| labels[i]).collect();
    (labelled, pool, truth)
}

fn fresh_model() -> Sequential<f32> {
    let mut rng = seeded_rng(0);
    Sequential::new()
        .with(Linear::new(64, 32, &mut rng))
        .with(ReLU)
        .with(Linear::new(32, 10, &mut rng))
}

/// Round 0 trains long on the ~100 labelled digits (a few steps an
/// epoch); later rounds, on many more examples, train for less.
fn trainer(round: usize, model: Sequential<f32>) -> Trainer<f32, Sequential<f32>, Adam<f32>> {
    Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
        .epochs(if round == 0 { 40 } else { 3 })
        .seed(1)
        .quiet()
}

/// Every pool example's (argmax class, top softmax probability), computed
/// here in f64 from the model's logits on the whole pool at once.
fn recomputed_confidences(model: &Sequential<f32>, pool_features: &Tensor<f32>) -> Confidences {
    let tape = Tape::inference();
    let logits = model
        .forward(&tape, tape.constant(pool_features.clone()))
        .unwrap()
        .value();
    let classes = logits.shape()[1];
    logits
        .to_vec()
        .chunks(classes)
        .map(|row| {
            let row: Vec<f64> = row.iter().map(|&z| z as f64).collect();
            let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = row.iter().map(|z| (z - max).exp()).sum();
            let class = row.iter().position(|&z| z == max).unwrap();
            (class, 1.0 / sum)
        })
        .collect()
}

fn features_of(pool: &Part) -> Tensor<f32> {
    let all: Vec<usize> = (0..pool.len()).collect();
    collate(pool, &all, None, 0, 0).features
}

/// A continued-training run that records, for each round r >= 1, the
/// recomputed confidences of the model the round's selection was based on.
fn recorded_run(config: PseudoLabelConfig) -> (Outcome, Vec<Confidences>, Tensor<f32>) {
    let (labelled, pool, _) = digits_parts();
    let pool_features = features_of(&pool);
    let mut seen = Vec::new();
    let outcome = config
        .run_without_validation(
            labelled,
            pool,
            |round, previous: Option<Sequential<f32>>| {
                assert_eq!(previous.is_some(), round > 0, "round {round}");
                if let Some(model) = &previous {
                    seen.push(recomputed_confidences(model, &pool_features));
                }
                trainer(round, previous.unwrap_or_else(fresh_model))
            },
        )
        .unwrap();
    (outcome, seen, pool_features)
}

/// The counts of the report agree with its labels, round by round.
fn assert_totals_add_up(report: &PseudoLabelReport) {
    let mut total = 0;
    for r in &report.rounds {
        assert_eq!(r.added, r.labels.len(), "round {}", r.round);
        assert!(r.added <= r.eligible, "round {}", r.round);
        assert_eq!(
            r.class_counts.iter().sum::<usize>(),
            r.added,
            "round {}",
            r.round
        );
        for (class, &count) in r.class_counts.iter().enumerate() {
            let labelled = r.labels.iter().filter(|l| l.class == class).count();
            assert_eq!(count, labelled, "round {} class {class}", r.round);
        }
        total += r.added;
        assert_eq!(r.total, total, "round {}", r.round);
    }
    assert_eq!(report.total(), total);
    assert_eq!(report.labels().count(), total);
}

/// Checks every round of a recorded run against the recomputed
/// confidences of the model its selection was based on: the models handed
/// to the factory, then the final model for a last round that added
/// nothing (no retraining follows it).
fn assert_each_round_adds_exactly_the_confident(
    outcome: &Outcome,
    seen: Vec<Confidences>,
    pool_features: &Tensor<f32>,
    threshold: f64,
) {
    let report = &outcome.report;
    let mut bases = seen;
    if matches!(report.stop, PseudoLabelStop::NothingAdded { .. }) {
        bases.push(recomputed_confidences(
            outcome.trainer.model(),
            pool_features,
        ));
    }
    assert_eq!(bases.len(), report.rounds.len());

    let mut added_before = BTreeSet::new();
    for (r, basis) in report.rounds.iter().zip(&bases) {
        let chosen: BTreeSet<usize> = r.labels.iter().map(|l| l.index).collect();
        assert_eq!(
            chosen.len(),
            r.labels.len(),
            "round {}: an index twice",
            r.round
        );
        assert!(
            chosen.is_disjoint(&added_before),
            "round {} re-added",
            r.round
        );
        // f32 softmax in the loop against f64 here: an example within
        // 1e-5 of the threshold may fall either way; every other example
        // must be in exactly when it is above.
        let mut expected = 0;
        for (i, &(_, confidence)) in basis.iter().enumerate() {
            if added_before.contains(&i) || (confidence - threshold).abs() < 1e-5 {
                continue;
            }
            let above = confidence > threshold;
            expected += usize::from(above);
            assert_eq!(
                chosen.contains(&i),
                above,
                "round {} example {i} ({confidence})",
                r.round
            );
        }
        let near = r.added.abs_diff(expected);
        assert!(
            near <= 2,
            "round {}: {} added, {expected} clearly above",
            r.round,
            r.added
        );
        assert_eq!(
            r.eligible, r.added,
            "round {}: no cap, so all eligible are added",
            r.round
        );
        for l in &r.labels {
            let (class, confidence) = basis[l.index];
            assert_eq!(l.class, class, "round {} example {}", r.round, l.index);
            assert!(
                (l.confidence - confidence).abs() < 1e-5,
                "{l:?} vs {confidence}"
            );
        }
        added_before.extend(chosen);
    }
}

#[test]
fn each_round_adds_exactly_the_confident_pool_examples_not_added_before() {
    let threshold = 0.95;
    let config = PseudoLabelConfig::new(threshold).rounds(4).seed(3);
    let (outcome, seen, pool_features) = recorded_run(config);
    let report = &outcome.report;
    assert!(report.rounds[0].added > 0, "round 1 added nothing");
    assert_each_round_adds_exactly_the_confident(&outcome, seen, &pool_features, threshold);
    assert_totals_add_up(report);
}

#[test]
fn the_run_stops_at_the_first_round_that_adds_nothing() {
    let threshold = 0.6;
    let config = PseudoLabelConfig::new(threshold).rounds(30).seed(3);
    let (outcome, seen, pool_features) = recorded_run(config);
    let report = &outcome.report;
    let PseudoLabelStop::NothingAdded { round } = report.stop else {
        panic!(
            "30 rounds all added something: {:?}",
            report.rounds.iter().map(|r| r.added).collect::<Vec<_>>()
        );
    };
    let last = report.rounds.last().unwrap();
    assert_eq!(last.round, round);
    assert_eq!(report.rounds.len(), round);
    assert_eq!((last.added, last.eligible), (0, 0));
    assert!(last.labels.is_empty() && last.validation.is_none());
    assert!(report.rounds[..round - 1].iter().all(|r| r.added > 0));
    assert_totals_add_up(report);
    // The round that added nothing was judged on the final model.
    assert_each_round_adds_exactly_the_confident(&outcome, seen, &pool_features, threshold);
}

#[test]
fn a_higher_threshold_never_adds_more_in_round_one() {
    let added: Vec<usize> = [0.5, 0.9, 0.99, 0.999]
        .into_iter()
        .map(|threshold| {
            let (labelled, pool, _) = digits_parts();
            let outcome = PseudoLabelConfig::new(threshold)
                .rounds(1)
                .run_without_validation(labelled, pool, |round, previous| {
                    trainer(round, previous.unwrap_or_else(fresh_model))
                })
                .unwrap();
            outcome.report.rounds[0].added
        })
        .collect();
    assert!(added.windows(2).all(|w| w[0] >= w[1]), "{added:?}");
    assert!(
        added[0] > added[3],
        "the thresholds made no difference: {added:?}"
    );
}

#[test]
fn a_per_class_cap_keeps_the_most_confident_of_each_class() {
    let cap = 5;
    let config = PseudoLabelConfig::new(0.9)
        .rounds(2)
        .max_per_class(cap)
        .seed(3);
    let (outcome, seen, _) = recorded_run(config);
    let report = &outcome.report;
    assert_totals_add_up(report);
    for r in &report.rounds {
        assert!(
            r.class_counts.iter().all(|&c| c <= cap),
            "round {}: {:?}",
            r.round,
            r.class_counts
        );
    }
    // Round 1 (from the model trained on labelled data only): within each
    // class, no example left out is clearly more confident than one kept.
    let first = &report.rounds[0];
    assert!(first.eligible > first.added, "the cap did not bind");
    let basis = &seen[0];
    let kept: BTreeSet<usize> = first.labels.iter().map(|l| l.index).collect();
    for l in &first.labels {
        for (i, &(class, confidence)) in basis.iter().enumerate() {
            if class == l.class && !kept.contains(&i) {
                assert!(
                    confidence <= l.confidence + 1e-5,
                    "{i} ({confidence}) left out, {l:?} kept"
                );
            }
        }
    }
}

#[test]
fn validation_is_reported_after_each_training_and_pseudo_label_accuracy_is_measurable() {
    let (labelled, pool, truth) = digits_parts();
    let digits = embedded::digits().unwrap();
    let val = DataLoader::new(
        Subset::new(digits, (0..300).collect()),
        LoaderConfig::new(256).shuffle(false),
    );
    let outcome = PseudoLabelConfig::new(0.95)
        .rounds(2)
        .run(
            labelled,
            pool,
            |round, _previous| trainer(round, fresh_model()).metric(Accuracy::new()),
            &val,
        )
        .unwrap();
    let report = &outcome.report;
    let initial = report.initial_validation.as_ref().unwrap();
    assert_eq!(initial.examples, 300);
    assert!(initial.metrics.contains_key("accuracy"));
    for r in report.rounds.iter().filter(|r| r.added > 0) {
        let v = r.validation.as_ref().unwrap();
        assert_eq!(v.examples, 300);
    }
    // The last round's validation is the returned trainer's model.
    let last = report
        .rounds
        .iter()
        .rev()
        .find_map(|r| r.validation.clone())
        .unwrap();
    assert_eq!(outcome.trainer.evaluate(&val).unwrap(), last);
    // Pseudo-label accuracy against the pool's true labels.
    let right = report
        .labels()
        .filter(|l| truth[l.index] == l.class)
        .count();
    let accuracy = report.accuracy(&truth).unwrap().unwrap();
    assert_eq!(accuracy, right as f64 / report.total() as f64);
    assert!(
        accuracy > 0.8,
        "pseudo-labels at 0.95 confidence mostly right: {accuracy}"
    );
    let round_one = report.rounds[0].accuracy(&truth).unwrap().unwrap();
    assert!((0.0..=1.0).contains(&round_one));
}

#[test]
fn the_same_seed_gives_the_same_run_bitwise() {
    let run = || {
        let (labelled, pool, _) = digits_parts();
        PseudoLabelConfig::new(0.9)
            .rounds(2)
            .seed(4)
            .run_without_validation(labelled, pool, |round, previous| {
                trainer(round, previous.unwrap_or_else(fresh_model))
            })
            .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.report, b.report);
    let bits = |o: &Outcome| -> Vec<u32> {
        o.trainer
            .model()
            .params()
            .iter()
            .flat_map(|(_, p)| p.value().to_vec())
            .map(f32::to_bits)
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn bad_settings_and_mismatched_sets_are_refused_with_the_values() {
    let (labelled, pool, _) = digits_parts();
    let factory = |round, _: Option<Sequential<f32>>| trainer(round, fresh_model());
    let err = PseudoLabelConfig::new(1.0)
        .run_without_validation(labelled.clone(), pool.clone(), factory)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("[0, 1)") && err.contains("got 1"), "{err}");
    let wide = InMemoryDataset::classification(Tensor::<f32>::zeros(&[3, 65]), vec![0; 3], 10);
    let err = PseudoLabelConfig::new(0.9)
        .run_without_validation(labelled, wide, factory)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("[65]") && err.contains("[64]"), "{err}");
}
