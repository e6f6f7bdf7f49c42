//! K-fold cross-validation on the embedded digits: fold scores read from
//! the fold histories, mean and sample standard deviation, stratified class
//! shares, and parallel folds equal to serial ones bitwise.

mod selection_common;

use selection_common::{assert_same_bits, digits, trainer};
use wengert_data::{embedded, Dataset};
use wengert_train::selection::{Config, CrossValidation, RunInfo, Score, ValidationPlan};

fn config() -> Config {
    Config::new().with("lr", 0.01).with("width", 16usize)
}

#[test]
fn kfold_fold_scores_are_their_histories_best_values_with_sample_mean_and_std() {
    let data = digits(500);
    let cv = CrossValidation::new(
        ValidationPlan::stratified_kfold(5, 3),
        Score::best("val_accuracy", true),
    );
    let result = cv.run(&data, |run| trainer(&config(), run, 3)).unwrap();

    assert_eq!(result.folds.len(), 5);
    for (i, fold) in result.folds.iter().enumerate() {
        assert_eq!(fold.fold, i);
        let series = fold.history.series("val_accuracy").unwrap();
        assert_eq!(series.len(), 3, "fold {i} ran 3 epochs");
        // The earliest epoch with the highest validation accuracy.
        let best = series.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let best_epoch = series.iter().position(|&v| v == best).unwrap() + 1;
        assert_eq!(fold.epoch, best_epoch, "fold {i}: {series:?}");
        assert_eq!(fold.score.to_bits(), series[fold.epoch - 1].to_bits());
        assert!(fold.score > 0.5, "fold {i} learned nothing: {}", fold.score);
    }
    let scores = result.scores();
    let mean = scores.iter().sum::<f64>() / 5.0;
    // Sample variance as the mean of squares minus the square of the mean,
    // times n / (n - 1): another way to the same number.
    let mean_of_squares = scores.iter().map(|s| s * s).sum::<f64>() / 5.0;
    let std = ((mean_of_squares - mean * mean) * 5.0 / 4.0).sqrt();
    assert!(
        (result.mean - mean).abs() < 1e-12,
        "{} vs {mean}",
        result.mean
    );
    let got = result.std.unwrap();
    assert!((got - std).abs() < 1e-9, "{got} vs {std}");
    assert!(
        got > 0.0,
        "five folds of different examples should not score alike"
    );
}

#[test]
fn last_epoch_score_reads_the_last_epoch() {
    let data = digits(300);
    let cv = CrossValidation::new(ValidationPlan::kfold(3, 1), Score::last("val_loss", false));
    let result = cv.run(&data, |run| trainer(&config(), run, 2)).unwrap();
    for fold in &result.folds {
        assert_eq!(fold.epoch, 2);
        let last = fold.history.epochs.last().unwrap().val_loss.unwrap();
        assert_eq!(fold.score.to_bits(), last.to_bits());
    }
}

#[test]
fn stratified_folds_keep_each_class_share_within_one_example() {
    let digits = embedded::digits().unwrap();
    let labels = digits.class_labels().unwrap();
    let n = labels.len();
    let folds = ValidationPlan::stratified_kfold(5, 7)
        .folds(&digits)
        .unwrap();
    assert_eq!(folds.len(), 5);
    let mut validated = vec![0; n];
    for (f, fold) in folds.iter().enumerate() {
        for &i in &fold.validation {
            validated[i] += 1;
        }
        for class in 0..10 {
            let overall = labels.iter().filter(|&&c| c == class).count();
            let here = fold
                .validation
                .iter()
                .filter(|&&i| labels[i] == class)
                .count();
            let expected = overall as f64 * fold.validation.len() as f64 / n as f64;
            assert!(
                (here as f64 - expected).abs() <= 1.0,
                "fold {f}, class {class}: {here} examples, share of the whole is {expected:.2}"
            );
        }
    }
    assert!(
        validated.iter().all(|&v| v == 1),
        "every example is validated once"
    );
}

#[test]
fn parallel_folds_equal_serial_folds_bitwise() {
    let data = digits(400);
    let cv = CrossValidation::new(
        ValidationPlan::stratified_kfold(4, 5),
        Score::best("val_loss", false),
    )
    .seed(11);
    let run = |cv: &CrossValidation| cv.run(&data, |run| trainer(&config(), run, 2)).unwrap();
    let serial = run(&cv.clone().parallel(false));
    let parallel = run(&cv.parallel(true));
    assert_same_bits(&serial, &parallel, "serial vs parallel");
}

#[test]
fn holdout_plan_scores_one_fold_without_a_std() {
    let data = digits(300);
    let plan = ValidationPlan::Holdout {
        fraction: 0.2,
        stratified: true,
        seed: 4,
    };
    let folds = plan.folds(&data).unwrap();
    assert_eq!(folds.len(), 1);
    assert_eq!(folds[0].validation.len() + folds[0].train.len(), 300);
    let result = CrossValidation::new(plan, Score::best("val_accuracy", true))
        .run(&data, |run| trainer(&config(), run, 1))
        .unwrap();
    assert_eq!(result.folds.len(), 1);
    assert_eq!(result.mean.to_bits(), result.folds[0].score.to_bits());
    assert_eq!(result.std, None);
}

#[test]
fn a_score_column_the_history_lacks_is_an_error_naming_it() {
    let data = digits(120);
    let cv = CrossValidation::new(ValidationPlan::kfold(2, 0), Score::best("val_f1", true));
    let err = cv
        .run(&data, |run| trainer(&config(), run, 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("val_f1") && err.contains("accuracy"), "{err}");
}

#[test]
fn train_score_is_the_fitted_model_evaluated_on_the_folds_training_part() {
    use wengert_data::{DataLoader, LoaderConfig};

    let data = digits(300);
    let plan = ValidationPlan::stratified_kfold(3, 2);
    let cv = CrossValidation::new(plan.clone(), Score::last("val_accuracy", true)).seed(5);
    let off = cv.run(&data, |run| trainer(&config(), run, 2)).unwrap();
    assert!(off.folds.iter().all(|f| f.train_score.is_none()));
    assert_eq!(off.train_mean(), None);
    // Off, the plan's JSON (a job file's identity) has no trace of it.
    assert!(!serde_json::to_string(&cv)
        .unwrap()
        .contains("score_training_part"));

    let on = cv
        .clone()
        .score_training_part(true)
        .run(&data, |run| trainer(&config(), run, 2))
        .unwrap();
    // Scoring the training part changes nothing else.
    assert_eq!(on.scores(), off.scores());
    // Fold 0 by hand: its seed, its training part, the same two epochs.
    let folds = plan.folds(&data).unwrap();
    let (train, validation) = folds[0].subsets(&data);
    let info = RunInfo {
        seed: 5,
        fold: Some(0),
        folds: 3,
    };
    let mut by_hand = trainer(&config(), &info, 2).unwrap();
    let batches = DataLoader::new(train.clone(), LoaderConfig::new(cv.batch_size).seed(5));
    let val = DataLoader::new(validation, LoaderConfig::new(512).shuffle(false));
    let history = by_hand.fit(&batches, Some(&val)).unwrap();
    let whole = DataLoader::new(train, LoaderConfig::new(512).shuffle(false));
    let expected = by_hand.evaluate(&whole).unwrap().metrics["accuracy"];
    assert_eq!(
        on.folds[0].train_score.unwrap().to_bits(),
        expected.to_bits()
    );
    // The history's running training accuracy (dropout on, weights moving)
    // is another number.
    let running = *history.series("train_accuracy").unwrap().last().unwrap();
    assert_ne!(running.to_bits(), expected.to_bits());
    let scores: Vec<f64> = on.folds.iter().map(|f| f.train_score.unwrap()).collect();
    assert_eq!(on.train_mean(), Some(scores.iter().sum::<f64>() / 3.0));
}
