//! The quickstart's claim in small: the same data, model and trainer
//! (`examples/quickstart.rs`, included here) for a few epochs already
//! classify most test digits, deterministically.

#[allow(dead_code)] // the example's `main` and constants
#[path = "../../examples/quickstart.rs"]
mod quickstart;

use wengert::prelude::*;

/// Epochs of the short run (the quickstart itself allows 60 and stops
/// early, after about 30).
const EPOCHS: usize = 4;

fn short_run() -> (History, Evaluation) {
    let [train, val, test] = quickstart::digits_loaders().unwrap();
    let mut trainer = quickstart::trainer(quickstart::mlp(), EPOCHS).quiet();
    let history = trainer.fit(&train, Some(&val)).unwrap();
    (history, trainer.evaluate(&test).unwrap())
}

#[test]
fn four_epochs_of_the_quickstart_recipe_classify_96_percent_of_the_test_digits() {
    let (history, tested) = short_run();
    assert_eq!(
        history.epochs.len(),
        EPOCHS,
        "early stopping cannot act this soon"
    );
    assert_eq!(tested.examples, 359);
    let accuracy = tested.metrics["accuracy"];
    assert!(
        accuracy >= 0.96,
        "test accuracy after {EPOCHS} epochs: {accuracy}"
    );
}

#[test]
fn the_quickstart_recipe_gives_the_same_run_every_time() {
    let (a, tested_a) = short_run();
    let (b, tested_b) = short_run();
    crate::assert_same_epochs(&a, &b);
    assert_eq!(tested_a.loss.to_bits(), tested_b.loss.to_bits());
    assert_eq!(tested_a.metrics, tested_b.metrics);
}
