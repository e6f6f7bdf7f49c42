//! The sealed test set evaluates once, on the data it sealed, and refuses a
//! second evaluation with a message that says why.

mod selection_common;

use selection_common::{digits, trainer};
use wengert_data::{DataLoader, LoaderConfig};
use wengert_train::selection::{Config, RunInfo, SealedTestSet};
use wengert_train::TrainError;

#[test]
fn sealed_test_set_evaluates_once_then_refuses_and_says_why() {
    let config = Config::new().with("lr", 0.01).with("width", 8usize);
    let run = RunInfo {
        seed: 1,
        fold: None,
        folds: 1,
    };
    let trainer = trainer(&config, &run, 1).unwrap();
    let mut test = SealedTestSet::new(digits(150), 64);
    assert_eq!(test.len(), 150);
    assert!(!test.is_spent());

    let first = test.evaluate_once(&trainer).unwrap();
    let direct = trainer
        .evaluate(&DataLoader::new(
            digits(150),
            LoaderConfig::new(64).shuffle(false),
        ))
        .unwrap();
    assert_eq!(first, direct, "the one evaluation is of the sealed data");
    assert!(test.is_spent());

    let err = test.evaluate_once(&trainer).unwrap_err();
    assert!(matches!(err, TrainError::TestSetSpent { .. }), "{err:?}");
    let message = err.to_string();
    for why in ["already evaluated once", "validation or K-fold", "accuracy"] {
        assert!(message.contains(why), "`{why}` missing from: {message}");
    }
    assert_eq!(
        format!("{test:?}"),
        "SealedTestSet { examples: 150, spent: true }"
    );
}

#[test]
fn evaluate_once_each_gives_every_models_own_evaluation_then_spends_the_set() {
    let config = Config::new().with("lr", 0.01).with("width", 8usize);
    let run = |seed| RunInfo {
        seed,
        fold: None,
        folds: 1,
    };
    let a = trainer(&config, &run(1), 1).unwrap();
    let b = trainer(&config, &run(2), 1).unwrap();
    let direct = |t: &wengert_train::Trainer<_, _, _>| {
        t.evaluate(&DataLoader::new(
            digits(150),
            LoaderConfig::new(64).shuffle(false),
        ))
        .unwrap()
    };
    let mut test = SealedTestSet::new(digits(150), 64);
    // No model: nothing is looked at and the set stays sealed.
    let models = [&a, &b];
    assert!(test.evaluate_once_each(&models[..0]).is_err());
    assert!(!test.is_spent());

    let both = test.evaluate_once_each(&models).unwrap();
    assert_eq!(both, [direct(&a), direct(&b)], "each model's own, in order");
    assert_ne!(both[0], both[1], "two seeds, two models");
    assert!(test.is_spent());
    for err in [
        test.evaluate_once(&a).unwrap_err(),
        test.evaluate_once_each(&[&a]).unwrap_err(),
    ] {
        assert!(matches!(err, TrainError::TestSetSpent { .. }), "{err:?}");
    }
}
