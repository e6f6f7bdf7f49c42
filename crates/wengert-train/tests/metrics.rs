//! Metrics against hand-computed values (the derivation beside each), ties,
//! empty batches, batch splits, and the errors for targets a metric cannot
//! score.

use proptest::prelude::*;
use wengert_data::Targets;
use wengert_tensor::{Float, Tensor};
use wengert_train::metrics::{accuracy, mae, mse, top_k_accuracy};
use wengert_train::{Accuracy, ConfusionMatrix, Mae, Metric, Mse, TopKAccuracy, TrainError};

fn tensor<T: Float>(values: &[f64], shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(values.iter().map(|&v| T::from_f64(v)).collect(), shape)
}

fn classes<T: Float>(c: &[usize]) -> Targets<T> {
    Targets::Classes(c.to_vec())
}

/// The `why` of a metric error, or a panic naming what came instead.
fn metric_why(result: wengert_train::Result<()>, metric: &str) -> String {
    match result {
        Err(TrainError::Metric { metric: m, why }) => {
            assert_eq!(m, metric, "error names the metric");
            why
        }
        other => panic!("expected a Metric error from {metric}, got {other:?}"),
    }
}

fn accuracy_counts_argmax_hits<T: Float>() {
    // Rows and argmax: [0.1, 0.7, 0.2] -> 1, [0.9, 0.05, 0.05] -> 0,
    // [0.2, 0.3, 0.5] -> 2, [0.6, 0.3, 0.1] -> 0. Targets 1, 0, 1, 0:
    // rows 0, 1 and 3 are right, row 2 wrong: 3 / 4.
    let logits = tensor::<T>(
        &[0.1, 0.7, 0.2, 0.9, 0.05, 0.05, 0.2, 0.3, 0.5, 0.6, 0.3, 0.1],
        &[4, 3],
    );
    let mut metric = Accuracy::new();
    metric.update(&logits, &classes(&[1, 0, 1, 0])).unwrap();
    assert_eq!(metric.value(), 0.75);
    assert_eq!((metric.correct(), metric.seen()), (3, 4));
    assert_eq!(accuracy(&logits, &classes(&[1, 0, 1, 0])).unwrap(), 0.75);
}

#[test]
fn accuracy_counts_argmax_hits_f32() {
    accuracy_counts_argmax_hits::<f32>();
}

#[test]
fn accuracy_counts_argmax_hits_f64() {
    accuracy_counts_argmax_hits::<f64>();
}

fn accuracy_tie_predicts_the_first_maximal_class<T: Float>() {
    // Row [0.5, 0.5, 0.1]: classes 0 and 1 tie; torch.argmax picks 0.
    // Target 0 is right, target 1 is wrong.
    let logits = tensor::<T>(&[0.5, 0.5, 0.1, 0.5, 0.5, 0.1], &[2, 3]);
    assert_eq!(accuracy(&logits, &classes(&[0, 1])).unwrap(), 0.5);
    // All equal: class 0 is the prediction.
    let flat = tensor::<T>(&[2.0, 2.0, 2.0], &[1, 3]);
    assert_eq!(accuracy(&flat, &classes(&[0])).unwrap(), 1.0);
    assert_eq!(accuracy(&flat, &classes(&[2])).unwrap(), 0.0);
}

#[test]
fn accuracy_tie_predicts_the_first_maximal_class_f32() {
    accuracy_tie_predicts_the_first_maximal_class::<f32>();
}

#[test]
fn accuracy_tie_predicts_the_first_maximal_class_f64() {
    accuracy_tie_predicts_the_first_maximal_class::<f64>();
}

#[test]
fn accuracy_counts_a_nan_logit_as_the_maximum() {
    // torch.argmax([1, nan, 3]) is 1: NaN is above every number.
    let logits = tensor::<f32>(&[1.0, f64::NAN, 3.0], &[1, 3]);
    assert_eq!(accuracy(&logits, &classes(&[1])).unwrap(), 1.0);
    assert_eq!(accuracy(&logits, &classes(&[2])).unwrap(), 0.0);
}

#[test]
fn accuracy_scores_probability_targets_by_their_argmax() {
    // Mixup targets: rows [0.7, 0.3] -> class 0 and [0.4, 0.6] -> class 1.
    // Predictions: [2, 1] -> 0 (right), [3, 1] -> 0 (wrong): 1 / 2.
    let logits = tensor::<f64>(&[2.0, 1.0, 3.0, 1.0], &[2, 2]);
    let targets = Targets::Probabilities(tensor(&[0.7, 0.3, 0.4, 0.6], &[2, 2]));
    assert_eq!(accuracy(&logits, &targets).unwrap(), 0.5);
}

#[test]
fn top_k_accuracy_counts_the_true_class_among_the_k_best() {
    // Row 0 [0.1, 0.5, 0.4, 0.0]: ranking 1, 2, 0, 3. Row 1 [0.3, 0.2, 0.1, 0.4]:
    // ranking 3, 0, 1, 2. Targets 2 and 1.
    // top1: 2 is not first, 1 is not first -> 0 / 2.
    // top2: 2 is second (hit), 1 is third (miss) -> 1 / 2.
    // top3: both hit -> 2 / 2.
    let logits = tensor::<f32>(&[0.1, 0.5, 0.4, 0.0, 0.3, 0.2, 0.1, 0.4], &[2, 4]);
    let targets = classes(&[2, 1]);
    for (k, expected) in [(1, 0.0), (2, 0.5), (3, 1.0)] {
        let mut metric = TopKAccuracy::new(k);
        metric.update(&logits, &targets).unwrap();
        assert_eq!(metric.value(), expected, "top{k}");
        assert_eq!(top_k_accuracy(&logits, &targets, k).unwrap(), expected);
    }
    assert_eq!(TopKAccuracy::new(5).name(), "top5_accuracy");
}

#[test]
fn top_k_tie_at_the_boundary_ranks_the_lower_class_first() {
    // Row [0.9, 0.5, 0.5, 0.5]: class 0 first, then the tie 1, 2, 3 in index
    // order (stable descending sort). top2 holds {0, 1}: target 1 hits,
    // targets 2 and 3 miss. top3 holds {0, 1, 2}.
    let logits = tensor::<f64>(&[0.9, 0.5, 0.5, 0.5], &[1, 4]);
    let hit = |k, t| top_k_accuracy(&logits, &classes(&[t]), k).unwrap();
    assert_eq!(hit(2, 1), 1.0);
    assert_eq!(hit(2, 2), 0.0);
    assert_eq!(hit(2, 3), 0.0);
    assert_eq!(hit(3, 2), 1.0);
    assert_eq!(hit(3, 3), 0.0);
    // NaN ranks above the numbers: in [nan, 1, 2], top1 is class 0.
    let with_nan = tensor::<f64>(&[f64::NAN, 1.0, 2.0], &[1, 3]);
    assert_eq!(top_k_accuracy(&with_nan, &classes(&[0]), 1).unwrap(), 1.0);
    assert_eq!(top_k_accuracy(&with_nan, &classes(&[2]), 2).unwrap(), 1.0);
    assert_eq!(top_k_accuracy(&with_nan, &classes(&[1]), 2).unwrap(), 0.0);
}

proptest! {
    /// Top-1 accuracy is accuracy, ties included (scores drawn from a few
    /// values so rows tie often).
    #[test]
    fn top1_accuracy_equals_accuracy(
        (n, c, scores, targets) in (0usize..6, 1usize..5).prop_flat_map(|(n, c)| (
            Just(n),
            Just(c),
            prop::collection::vec(0u8..3, n * c),
            prop::collection::vec(0..c, n),
        ))
    ) {
        let values: Vec<f64> = scores.iter().map(|&s| f64::from(s)).collect();
        let logits = tensor::<f32>(&values, &[n, c]);
        let targets = Targets::Classes(targets);
        let a = accuracy(&logits, &targets).unwrap();
        let top1 = top_k_accuracy(&logits, &targets, 1).unwrap();
        prop_assert!(a == top1 || (a.is_nan() && top1.is_nan()), "accuracy {a}, top1 {top1}");
        // And top-C accuracy is 1 for any non-empty batch.
        let all = top_k_accuracy(&logits, &targets, c).unwrap();
        prop_assert!(n == 0 || all == 1.0, "top{c} of {c} classes gave {all}");
    }
}

#[test]
fn nothing_seen_is_nan_and_an_empty_batch_changes_nothing() {
    let mut acc = Accuracy::new();
    let mut top = TopKAccuracy::new(2);
    let mut sq = Mse::new();
    let mut abs = Mae::new();
    assert!(acc.value().is_nan() && top.value().is_nan());
    assert!(sq.value().is_nan() && abs.value().is_nan());
    let empty_logits = tensor::<f32>(&[], &[0, 3]);
    acc.update(&empty_logits, &classes(&[])).unwrap();
    top.update(&empty_logits, &classes(&[])).unwrap();
    let empty_values = Targets::Values(tensor::<f32>(&[], &[0, 2]));
    sq.update(&tensor(&[], &[0, 2]), &empty_values).unwrap();
    abs.update(&tensor(&[], &[0, 2]), &empty_values).unwrap();
    assert!(acc.value().is_nan() && top.value().is_nan());
    assert!(sq.value().is_nan() && abs.value().is_nan());
    // After one real example the empty batch still adds nothing: 1 / 1.
    acc.update(&tensor::<f32>(&[0.0, 1.0, 0.0], &[1, 3]), &classes(&[1]))
        .unwrap();
    acc.update(&empty_logits, &classes(&[])).unwrap();
    assert_eq!(acc.value(), 1.0);
    assert!(accuracy(&empty_logits, &classes(&[])).unwrap().is_nan());
}

fn mse_and_mae_match_hand_computed_values<T: Float>() {
    // Differences output - target: 0.5, -1.5, 2, 0 (all exact in f32).
    // MSE = (0.25 + 2.25 + 4 + 0) / 4 = 1.625; MAE = (0.5 + 1.5 + 2 + 0) / 4 = 1.
    let output = tensor::<T>(&[1.5, 0.5, 3.0, -1.0], &[2, 2]);
    let target = Targets::Values(tensor(&[1.0, 2.0, 1.0, -1.0], &[2, 2]));
    let mut sq = Mse::new();
    let mut abs = Mae::new();
    sq.update(&output, &target).unwrap();
    abs.update(&output, &target).unwrap();
    assert_eq!(sq.value(), 1.625);
    assert_eq!(abs.value(), 1.0);
    assert_eq!(sq.count(), 4);
    assert_eq!(mse(&output, &target).unwrap(), 1.625);
    assert_eq!(mae(&output, &target).unwrap(), 1.0);
    assert!(!sq.higher_is_better());
    assert!(!abs.higher_is_better());
}

#[test]
fn mse_and_mae_match_hand_computed_values_f32() {
    mse_and_mae_match_hand_computed_values::<f32>();
}

#[test]
fn mse_and_mae_match_hand_computed_values_f64() {
    mse_and_mae_match_hand_computed_values::<f64>();
}

#[test]
fn regression_takes_n_and_n_by_1_for_each_other() {
    // Predictions [N] against the loader's [N, 1] targets: differences 1, -1.
    let output = tensor::<f32>(&[1.0, 2.0], &[2]);
    let target = Targets::Values(tensor(&[0.0, 3.0], &[2, 1]));
    assert_eq!(mse(&output, &target).unwrap(), 1.0);
    let target = Targets::Values(tensor(&[0.0, 3.0], &[2]));
    assert_eq!(
        mae(&tensor::<f32>(&[1.0, 2.0], &[2, 1]), &target).unwrap(),
        1.0
    );
}

#[test]
fn a_batch_split_gives_exactly_the_one_batch_value() {
    // Values that are not exact in binary, so a different summation order
    // (or a mean of batch means) would change the last bits.
    let out: Vec<f64> = (0..7).map(|i| 0.1 * i as f64 + 0.07).collect();
    let tgt: Vec<f64> = (0..7).map(|i| 0.3 * (i as f64).sin()).collect();
    let mut whole = (Mse::new(), Mae::new());
    let target = Targets::Values(tensor::<f64>(&tgt, &[7, 1]));
    whole
        .0
        .update(&tensor::<f64>(&out, &[7, 1]), &target)
        .unwrap();
    whole
        .1
        .update(&tensor::<f64>(&out, &[7, 1]), &target)
        .unwrap();
    let mut split = (Mse::new(), Mae::new());
    for range in [0..3, 3..4, 4..4, 4..7] {
        let n = range.len();
        let output = tensor::<f64>(&out[range.clone()], &[n, 1]);
        let target = Targets::Values(tensor(&tgt[range], &[n, 1]));
        split.0.update(&output, &target).unwrap();
        split.1.update(&output, &target).unwrap();
    }
    assert_eq!(split.0.value().to_bits(), whole.0.value().to_bits());
    assert_eq!(split.1.value().to_bits(), whole.1.value().to_bits());
    // And it is the sequential f64 sum over all elements.
    let sum: f64 = out
        .iter()
        .zip(&tgt)
        .fold(0.0, |s, (o, t)| s + (o - t) * (o - t));
    assert_eq!(whole.0.value().to_bits(), (sum / 7.0).to_bits());

    // Accuracy over batches of 3 and 1 is correct / seen, not the mean of
    // batch accuracies: batch 1 has 2 of 3 right, batch 2 0 of 1 -> 2 / 4 = 0.5,
    // while the mean of 2/3 and 0 would be 1/3.
    let logits = tensor::<f32>(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0], &[4, 2]);
    let targets = [0, 1, 1, 0];
    let whole = accuracy(&logits, &classes(&targets)).unwrap();
    let mut split = Accuracy::new();
    split
        .update(
            &tensor::<f32>(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[3, 2]),
            &classes(&targets[..3]),
        )
        .unwrap();
    split
        .update(
            &tensor::<f32>(&[0.0, 1.0], &[1, 2]),
            &classes(&targets[3..]),
        )
        .unwrap();
    assert_eq!(whole, 0.5);
    assert_eq!(split.value(), 0.5);
}

#[test]
fn reset_and_fresh_forget_what_was_seen() {
    let logits = tensor::<f32>(&[0.0, 1.0], &[1, 2]);
    let mut metrics: Vec<Box<dyn Metric<f32>>> =
        vec![Box::new(Accuracy::new()), Box::new(TopKAccuracy::new(1))];
    for metric in &mut metrics {
        metric.update(&logits, &classes(&[1])).unwrap();
        assert_eq!(metric.value(), 1.0);
        let fresh = metric.fresh();
        assert!(
            fresh.value().is_nan(),
            "{} fresh copy is reset",
            metric.name()
        );
        assert_eq!(fresh.name(), metric.name());
        assert!(fresh.higher_is_better());
        assert_eq!(metric.value(), 1.0, "fresh() leaves the original alone");
        metric.reset();
        assert!(metric.value().is_nan());
    }
    let mut sq: Box<dyn Metric<f32>> = Box::new(Mse::new());
    let values = Targets::Values(tensor(&[0.0], &[1, 1]));
    sq.update(&tensor(&[2.0], &[1, 1]), &values).unwrap();
    assert_eq!(sq.value(), 4.0);
    assert!(sq.fresh().value().is_nan());
    assert_eq!(sq.fresh().name(), "mse");
}

#[test]
fn classification_errors_name_the_metric_and_both_shapes() {
    let logits = tensor::<f32>(&[0.0; 6], &[2, 3]);
    let mut acc = Accuracy::new();

    let why = metric_why(
        acc.update(&logits, &Targets::Values(tensor(&[0.0, 1.0], &[2, 1]))),
        "accuracy",
    );
    assert!(
        why.contains("regression targets [2, 1]") && why.contains("[2, 3]"),
        "{why}"
    );

    let why = metric_why(acc.update(&logits, &classes(&[0, 1, 2])), "accuracy");
    assert!(
        why.contains("[2, 3]") && why.contains("3 class indices"),
        "{why}"
    );

    let why = metric_why(acc.update(&logits, &classes(&[0, 3])), "accuracy");
    assert!(
        why.contains("class 3 of example 1") && why.contains("3 classes"),
        "{why}"
    );

    let why = metric_why(
        acc.update(&tensor::<f32>(&[0.0; 2], &[2]), &classes(&[0, 1])),
        "accuracy",
    );
    assert!(why.contains("[N, C]") && why.contains("[2]"), "{why}");

    let probabilities = Targets::Probabilities(tensor(&[0.5; 4], &[2, 2]));
    let why = metric_why(acc.update(&logits, &probabilities), "accuracy");
    assert!(why.contains("[2, 2]") && why.contains("[2, 3]"), "{why}");

    let why = metric_why(
        TopKAccuracy::new(5).update(&logits, &classes(&[0, 1])),
        "top5_accuracy",
    );
    assert!(why.contains("k = 5") && why.contains("[2, 3]"), "{why}");

    // A failed update leaves the metric as it was.
    assert!(acc.value().is_nan());
    assert!(top_k_accuracy(&logits, &classes(&[0, 1]), 0).is_err());
}

#[test]
fn regression_errors_name_the_metric_and_both_shapes() {
    let output = tensor::<f64>(&[0.0; 4], &[4]);
    let why = metric_why(Mse::new().update(&output, &classes(&[0, 1, 0, 1])), "mse");
    assert!(
        why.contains("[4] (class indices)") && why.contains("Targets::Values"),
        "{why}"
    );

    // [4] against [1, 4] is not broadcast.
    let targets = Targets::Values(tensor(&[0.0; 4], &[1, 4]));
    let why = metric_why(Mae::new().update(&output, &targets), "mae");
    assert!(why.contains("[4]") && why.contains("[1, 4]"), "{why}");
    let why = metric_why(
        Mse::new().update(
            &tensor::<f64>(&[0.0; 4], &[2, 2]),
            &Targets::Values(tensor(&[0.0; 4], &[4, 1])),
        ),
        "mse",
    );
    assert!(why.contains("[2, 2]") && why.contains("[4, 1]"), "{why}");
}

#[test]
fn confusion_matrix_counts_true_by_predicted() {
    // True / predicted (the argmax of each row, written beside it):
    // 0 / 0, 0 / 1, 1 / 1, 2 / 1, 2 / 2, 2 / 2, 1 / 0.
    let logits = tensor::<f32>(
        &[
            5.0, 1.0, 0.0, // -> 0
            0.0, 2.0, 1.0, // -> 1
            0.0, 3.0, 0.0, // -> 1
            0.0, 4.0, 1.0, // -> 1
            0.0, 0.0, 1.0, // -> 2
            0.0, 1.0, 2.0, // -> 2
            3.0, 3.0, 0.0, // -> 0 (tie, first index)
        ],
        &[7, 3],
    );
    let truth = [0, 0, 1, 2, 2, 2, 1];
    let mut cm = ConfusionMatrix::new(3);
    // Split into two batches: counts add up.
    let values = logits.to_vec();
    cm.update(
        &Tensor::from_vec(values[..9].to_vec(), &[3, 3]),
        &classes(&truth[..3]),
    )
    .unwrap();
    cm.update(
        &Tensor::from_vec(values[9..].to_vec(), &[4, 3]),
        &classes(&truth[3..]),
    )
    .unwrap();
    // Rows = true class: class 0 -> predicted 0, 1; class 1 -> 1, 0;
    // class 2 -> 1, 2, 2.
    assert_eq!(
        cm.matrix(),
        vec![vec![1, 1, 0], vec![1, 1, 0], vec![0, 1, 2]]
    );
    assert_eq!(cm.total(), 7);
    // Recall: 1/2, 1/2, 2/3. Precision: column sums 2, 3, 2 -> 1/2, 1/3, 2/2.
    assert_eq!(cm.per_class_recall(), vec![0.5, 0.5, 2.0 / 3.0]);
    assert_eq!(cm.per_class_precision(), vec![0.5, 1.0 / 3.0, 1.0]);
    // Accuracy: trace 4 of 7, and the same as the Accuracy metric.
    assert_eq!(cm.accuracy(), 4.0 / 7.0);
    assert_eq!(cm.accuracy(), accuracy(&logits, &classes(&truth)).unwrap());
}

#[test]
fn confusion_matrix_undefined_fractions_are_nan_and_shown_as_dashes() {
    let mut cm = ConfusionMatrix::new(3);
    assert!(cm.accuracy().is_nan());
    // Class 2 never occurs and is never predicted.
    cm.update_classes(&[0, 0, 1], &[0, 1, 1]).unwrap();
    let recall = cm.per_class_recall();
    let precision = cm.per_class_precision();
    assert_eq!(&recall[..2], &[0.5, 1.0]);
    assert_eq!(&precision[..2], &[1.0, 0.5]);
    assert!(recall[2].is_nan() && precision[2].is_nan());
    let table = cm.to_string();
    let expected = "\
true\\pred      0      1      2  recall
        0      1      1      0   0.500
        1      0      1      0   1.000
        2      0      0      0       -
precision  1.000  0.500      -
";
    assert_eq!(table, expected);
    cm.reset();
    assert_eq!(cm.total(), 0);
}

#[test]
fn confusion_matrix_refuses_a_wrong_class_count() {
    let mut cm = ConfusionMatrix::new(4);
    let why = metric_why(
        cm.update(&tensor::<f64>(&[0.0; 6], &[2, 3]), &classes(&[0, 1])),
        "confusion_matrix",
    );
    assert!(
        why.contains("[2, 3]") && why.contains("3 classes") && why.contains('4'),
        "{why}"
    );
    assert!(cm.update_classes(&[0, 4], &[0, 0]).is_err());
    assert!(cm.update_classes(&[0], &[0, 0]).is_err());
    assert_eq!(cm.total(), 0);
}

#[test]
fn state_restored_into_a_fresh_metric_continues_to_the_same_value() {
    // A checkpoint after the first of two batches: the resumed metric must
    // end with exactly the value of the uninterrupted one.
    let out: Vec<f64> = (0..6).map(|i| 0.1 * i as f64).collect();
    let tgt: Vec<f64> = (0..6).map(|i| 0.35 * i as f64 - 0.2).collect();
    let batch = |r: std::ops::Range<usize>| {
        let n = r.len();
        (
            tensor::<f64>(&out[r.clone()], &[n, 1]),
            Targets::Values(tensor::<f64>(&tgt[r], &[n, 1])),
        )
    };
    let logits = tensor::<f64>(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[3, 2]);
    let labels = classes(&[0, 0, 0]);
    let mut metrics: Vec<Box<dyn Metric<f64>>> = vec![
        Box::new(Mse::new()),
        Box::new(Mae::new()),
        Box::new(Accuracy::new()),
        Box::new(TopKAccuracy::new(1)),
    ];
    for metric in &mut metrics {
        let regression = metric.name().starts_with('m');
        let feed = |m: &mut Box<dyn Metric<f64>>, second: bool| {
            if regression {
                let (o, t) = batch(if second { 3..6 } else { 0..3 });
                m.update(&o, &t).unwrap();
            } else {
                m.update(&logits, &labels).unwrap();
            }
        };
        feed(metric, false);
        let saved = metric.state();
        let mut resumed = metric.fresh();
        resumed.set_state(&saved).unwrap();
        feed(metric, true);
        feed(&mut resumed, true);
        assert_eq!(
            resumed.value().to_bits(),
            metric.value().to_bits(),
            "{}",
            metric.name()
        );
        // A state of the wrong form is refused, naming the metric.
        let name = metric.name();
        assert!(metric_why(metric.set_state(&[1.0]), &name).contains("[1.0]"));
        assert!(metric.set_state(&[1.0, 2.5]).is_err());
    }
    // More correct than seen is no accuracy state.
    assert!(Accuracy::new().set_state(&[3.0, 2.0]).is_err());
}

/// A metric written by a user, without state methods.
struct Count(u64);

impl Metric<f32> for Count {
    fn name(&self) -> String {
        "count".into()
    }
    fn reset(&mut self) {
        self.0 = 0;
    }
    fn update(&mut self, output: &Tensor<f32>, _: &Targets<f32>) -> wengert_train::Result<()> {
        self.0 += output.shape()[0] as u64;
        Ok(())
    }
    fn value(&self) -> f64 {
        self.0 as f64
    }
    fn higher_is_better(&self) -> bool {
        true
    }
    fn fresh(&self) -> Box<dyn Metric<f32>> {
        Box::new(Count(0))
    }
}

#[test]
fn a_metric_without_state_methods_refuses_to_resume() {
    let mut count = Count(0);
    count
        .update(&tensor(&[0.0; 2], &[2, 1]), &classes(&[0, 0]))
        .unwrap();
    assert_eq!(Metric::value(&count), 2.0);
    assert!(count.state().is_empty());
    let why = metric_why(count.set_state(&[]), "count");
    assert!(why.contains("Metric::state"), "{why}");
}
