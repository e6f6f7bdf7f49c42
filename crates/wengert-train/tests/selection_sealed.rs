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
