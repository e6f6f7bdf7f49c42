//! The `model_selection` example's claims in small (its `--quick` mode on
//! the embedded digits, `examples/model_selection.rs` included here): each
//! method's choice beats the grid's worst configuration by more than the
//! folds' spread; K-fold costs k fits a configuration and its std comes
//! from the k fold scores; the sealed test set is looked at once, for every
//! method's retrained choice; the airfoil train/validation gap is measured
//! on the folds' training parts; and the sweep run as separate jobs merges
//! into the report of the single run, bitwise.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/model_selection.rs"]
mod model_selection;

use std::sync::OnceLock;

use model_selection::{parse_args, run, Method, Options, Summary};

use crate::ScratchDir;

fn options(args: &[&str]) -> Options {
    parse_args(args.iter().map(|a| a.to_string()))
        .unwrap()
        .expect("not --help")
}

/// The quick run with every method and the regression part, once for all
/// the tests (its plots go to a scratch folder).
fn quick() -> &'static Summary {
    static SUMMARY: OnceLock<Summary> = OnceLock::new();
    SUMMARY.get_or_init(|| {
        let out = ScratchDir::new("model-selection-quick");
        let out = out.0.to_str().unwrap();
        run(&options(&["--quick", "--out", out]))
            .unwrap()
            .expect("a local run reports")
    })
}

#[test]
fn each_method_costs_its_folds_and_chooses_clearly_above_the_worst() {
    let c = &quick().classification;
    let methods: Vec<Method> = c.selections.iter().map(|s| s.method).collect();
    assert_eq!(methods, Method::ALL);
    for (s, folds) in c.selections.iter().zip([1, 5, 10]) {
        assert_eq!(s.report.results.len(), 8, "2 x 2 x 2 configurations");
        assert_eq!(s.fits, 8 * folds, "{:?}", s.method);
        assert!(s.report.results.iter().all(|r| r.cv.folds.len() == folds));
        // Every fit trains on the rest of the selection data.
        assert_eq!(s.fold_sizes.0 + s.fold_sizes.1, c.sizes.0);
        let best = s.report.best().unwrap();
        let worst = *s.report.ranked().last().unwrap();
        assert!(
            s.report.results.iter().all(|r| r.cv.mean <= best.cv.mean),
            "the choice has the best mean"
        );
        // Not a coin toss: the choice is ahead of the worst by more than
        // either one's spread across folds (the split has no spread).
        let spread = best.cv.std.unwrap_or(0.0) + worst.cv.std.unwrap_or(0.0);
        assert!(
            best.cv.mean - worst.cv.mean > spread,
            "{:?}: best {} vs worst {} (stds summed {spread})",
            s.method,
            best.cv.mean,
            worst.cv.mean
        );
    }
}

#[test]
fn ten_fold_std_is_the_sample_std_of_ten_distinct_fold_scores() {
    let ten = &quick().classification.selections[2];
    assert_eq!(ten.method, Method::TenFold);
    for result in &ten.report.results {
        let scores = result.cv.scores();
        assert_eq!(scores.len(), 10);
        let folds: Vec<usize> = result.cv.folds.iter().map(|f| f.fold).collect();
        assert_eq!(folds, (0..10).collect::<Vec<_>>());
        let mean = scores.iter().sum::<f64>() / 10.0;
        let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 9.0;
        assert!((result.cv.mean - mean).abs() < 1e-12);
        let std = result.cv.std.expect("ten folds have a std");
        assert!((std - var.sqrt()).abs() < 1e-12, "{std} vs {}", var.sqrt());
        // Ten validation parts of about 144 digits give different scores.
        assert!(std > 0.0, "{}: {scores:?}", result.config);
    }
}

#[test]
fn the_sealed_test_set_is_looked_at_once_for_every_methods_choice() {
    let c = &quick().classification;
    assert!(c.test_spent);
    // The digits are split once: selection and retrain on 80%, the sealed
    // 20% never seen before the end.
    assert_eq!(c.sizes, (c.sizes.0, c.sizes.0));
    assert_eq!(c.sizes.0 + c.test_examples, 1797);
    assert_eq!(c.finals.len(), 3);
    for (s, f) in c.selections.iter().zip(&c.finals) {
        assert_eq!(f.method, s.method);
        assert_eq!(f.index, s.chosen().unwrap(), "the retrain is the choice");
        assert_eq!(f.test.examples, c.test_examples);
        // A chosen model generalizes: far above chance (0.1) on the test set.
        assert!(f.test.metrics["accuracy"] > 0.85, "{:?}", f.test);
    }
}

#[test]
fn the_airfoil_gap_is_measured_on_the_folds_training_parts() {
    let runs = quick()
        .regression
        .as_ref()
        .expect("the regression part ran");
    let [linear, mlp] = &runs[..] else {
        panic!("two models")
    };
    for r in runs {
        assert_eq!(r.result.folds.len(), 5);
        assert!(r.result.folds.iter().all(|f| f.train_score.is_some()));
        let (train, valid) = r.mean_rmse();
        // Better than the mean (RMSE 1 on z-scored targets).
        assert!(valid < 1.0, "{}: {valid}", r.model);
        assert!(train > 0.0 && valid > 0.0);
    }
    let (linear_train, linear_valid) = linear.mean_rmse();
    let (mlp_train, mlp_valid) = mlp.mean_rmse();
    // The linear model underfits: no gap to speak of, and a high error;
    // the MLP fits the training parts better than it predicts the held-out
    // ones, and still beats the linear model on them.
    assert!(
        (linear_valid / linear_train - 1.0).abs() < 0.05,
        "{linear_train} / {linear_valid}"
    );
    assert!(mlp_train < mlp_valid, "{mlp_train} / {mlp_valid}");
    assert!(mlp_valid < linear_valid, "{mlp_valid} vs {linear_valid}");
}

#[test]
fn jobs_run_one_by_one_merge_into_the_single_runs_report() {
    let dir = ScratchDir::new("model-selection-jobs");
    let jobs = dir.0.join("jobs.json");
    let results = dir.0.join("results");
    let out = dir.0.join("plots");
    let (jobs, results, out) = (
        jobs.to_str().unwrap(),
        results.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let base = ["--quick", "--select", "5-fold", "--out", out];
    fn joined<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(more).copied().collect()
    }
    assert!(run(&options(&joined(&base, &["--write-jobs", jobs])))
        .unwrap()
        .is_none());
    for index in 0..40 {
        let index = index.to_string();
        let job = joined(
            &base,
            &["--jobs", jobs, "--results", results, "--job", &index],
        );
        assert!(run(&options(&job)).unwrap().is_none());
    }
    let merged = run(&options(&joined(
        &base,
        &["--jobs", jobs, "--merge", results],
    )))
    .unwrap()
    .expect("a merge reports");
    assert!(merged.regression.is_none(), "one method's jobs only");
    let merged = &merged.classification;
    let single = &quick().classification;
    assert_eq!(merged.selections.len(), 1);
    assert_eq!(
        merged.selections[0].report, single.selections[1].report,
        "the merged report is the single run's, bitwise"
    );
    // And what follows from it: the same choice, retrained from the same
    // seed, tested once with the same result.
    assert_eq!(merged.finals[0].index, single.finals[1].index);
    assert_eq!(merged.finals[0].test, single.finals[1].test);
    assert!(merged.test_spent);
}

#[test]
fn job_commands_need_one_method_and_unknown_arguments_are_refused() {
    let need = parse_args(["--quick", "--write-jobs", "x.json"].map(String::from)).unwrap_err();
    assert!(need.to_string().contains("add --select"), "{need}");
    let unknown = parse_args(["--quick", "--jbos", "x"].map(String::from)).unwrap_err();
    assert!(unknown.to_string().contains("--jbos"), "{unknown}");
    // Epochs are no part of a job file's identity: jobs refuse to change them.
    let epochs = parse_args(
        [
            "--quick", "--select", "split", "--epochs", "3", "--jobs", "j.json", "--merge", "r",
        ]
        .map(String::from),
    )
    .unwrap_err();
    assert!(
        epochs.to_string().contains("not recorded in a job file"),
        "{epochs}"
    );
    assert!(parse_args(["--help".to_string()]).unwrap().is_none());
}
