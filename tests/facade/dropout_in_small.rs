//! The `dropout` example's claims in small, on the embedded digits
//! (`examples/dropout.rs` included here): dropout narrows the train/test
//! gap of a net that overfits, the book's architecture trains, a run is
//! reproducible from its seed, dropout is the identity at evaluation, and
//! the best recipe's pieces (validation split, early stopping, one test
//! evaluation) fit together.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/dropout.rs"]
mod dropout;

use dropout::{
    book_mlp, book_run, digits_split, flip_averaged_accuracy, quick_book_settings, recipe_mlp,
    recipe_run, subset_labels, BookSettings, Recipe, QUICK_TRAIN_FRACTION,
};
use wengert::data::augment::hflip;
use wengert::data::{embedded, InMemoryDataset};
use wengert::prelude::*;

use crate::assert_same_epochs;

/// A setting where the plain net overfits: 10% of the digits (about 180
/// images) for a net 64-128-128-10, 60 epochs, to 100% training accuracy.
/// Measured on the splits and seeds 0, 1, 2: dropout narrows the accuracy
/// gap by 0.016, 0.005, 0.030 and the loss gap by 0.03, 0.08, 0.10.
fn overfitting() -> BookSettings {
    BookSettings {
        hidden: [128, 128],
        batch: 32,
        epochs: 60,
        ..BookSettings::book()
    }
}

#[test]
fn dropout_narrows_the_train_test_gap_of_a_net_that_overfits() {
    let (train, test) = digits_split(0.1, 0).unwrap();
    let settings = overfitting();
    let with = book_run(train.clone(), test.clone(), 64, &settings).unwrap();
    let without = book_run(train, test, 64, &settings.without_dropout()).unwrap();
    // The plain net has learned its training set by heart...
    assert!(without.train_accuracy >= 0.99, "{}", without.train_accuracy);
    assert!(without.accuracy_gap() > 0.05, "{}", without.accuracy_gap());
    // ...and dropout makes the test set look more like the training set,
    // in accuracy and in loss.
    assert!(
        with.accuracy_gap() < without.accuracy_gap(),
        "accuracy gap: dropout {} vs none {}",
        with.accuracy_gap(),
        without.accuracy_gap()
    );
    assert!(
        with.loss_gap() < without.loss_gap(),
        "loss gap: dropout {} vs none {}",
        with.loss_gap(),
        without.loss_gap()
    );
}

#[test]
fn the_books_architecture_trains_on_the_digits() {
    let (train, test) = digits_split(QUICK_TRAIN_FRACTION, 0).unwrap();
    let settings = quick_book_settings();
    for s in [settings, settings.without_dropout()] {
        let run = book_run(train.clone(), test.clone(), 64, &s).unwrap();
        // Chance is 0.1; from N(0, 0.01^2) weights the net has to break
        // its near-symmetry first, and it does.
        assert!(run.test_accuracy > 0.8, "{s:?}: {}", run.test_accuracy);
        let losses = run.series("train_loss");
        assert!(losses[losses.len() - 1] < 0.5 * losses[0], "{losses:?}");
    }
}

#[test]
fn a_run_is_reproducible_from_its_seed() {
    let (train, test) = digits_split(QUICK_TRAIN_FRACTION, 0).unwrap();
    let settings = BookSettings {
        epochs: 3,
        ..quick_book_settings()
    };
    let a = book_run(train.clone(), test.clone(), 64, &settings).unwrap();
    let b = book_run(train.clone(), test.clone(), 64, &settings).unwrap();
    assert_same_epochs(&a.history, &b.history);
    assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
    // The seed decides the weights, the batches and the dropout masks: a
    // different one gives a different run.
    let c = book_run(train, test, 64, &settings.with_seed(1)).unwrap();
    assert_ne!(
        a.history.epochs[0].train_loss.to_bits(),
        c.history.epochs[0].train_loss.to_bits()
    );
}

#[test]
fn dropout_is_the_identity_at_evaluation() {
    let settings = quick_book_settings();
    let with = book_mlp(64, &settings).unwrap();
    let without = book_mlp(64, &settings.without_dropout()).unwrap();
    let x = Tensor::<f32>::randn(&[16, 1, 8, 8], &mut seeded_rng(5));
    let outputs = |model: &Sequential<f32>, tape: &Tape<f32>| {
        model
            .forward(tape, tape.constant(x.clone()))
            .unwrap()
            .value()
            .to_vec()
    };
    // Evaluation: the same outputs every time, and those of the same
    // weights with no dropout layers at all (inverted dropout scales at
    // training time, so evaluation needs no rescaling).
    let first = outputs(&with, &Tape::inference());
    assert_eq!(first, outputs(&with, &Tape::inference()));
    assert_eq!(first, outputs(&without, &Tape::inference()));
    // Training: dropout is on, the outputs move with the tape's seed.
    let trained_a = outputs(&with, &Tape::training(1));
    let trained_b = outputs(&with, &Tape::training(2));
    assert_ne!(trained_a, first);
    assert_ne!(trained_a, trained_b);
    assert_eq!(trained_a, outputs(&with, &Tape::training(1)));
}

#[test]
fn the_recipe_keeps_its_best_epoch_and_tests_once() {
    let (train, test) = digits_split(QUICK_TRAIN_FRACTION, 0).unwrap();
    let labels = subset_labels(&train);
    let recipe = Recipe {
        max_epochs: 15,
        ..Recipe::digits()
    };
    let run = recipe_run(train.clone(), &labels, test, 64, &recipe, false).unwrap();
    // The validation split is carved from the training part, stratified.
    assert_eq!(run.sizes.0 + run.sizes.1, train.len());
    let expected = (recipe.validation * train.len() as f64).round() as usize;
    assert!(run.sizes.1.abs_diff(expected) <= 10, "{:?}", run.sizes);
    // The kept epoch is the best validation accuracy of the run.
    let val = run.history.series("val_accuracy").unwrap();
    let best = val.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(val[run.best_epoch - 1], best);
    assert_eq!(run.best_val_accuracy, best);
    // The cosine schedule decays the rate over the run.
    let lr = run.history.series("lr").unwrap();
    assert!(lr[lr.len() - 1] < lr[0], "{lr:?}");
    assert!(run.test_accuracy > 0.9, "{}", run.test_accuracy);
    assert_eq!(run.refit, None);
    // A recipe without flips never scores the test set flip-averaged.
    assert!(!run.flip_averaged_at_test);
    assert_eq!(run.test_accuracy, run.test_accuracy_plain);
}

/// Flip averaging mean-pools the class probabilities of an image and its
/// mirror image: on mirror-symmetric images it is the plain accuracy, on
/// the real digits it is not (the mirror of a 3 is not a 3).
#[test]
fn flip_averaging_is_the_plain_accuracy_exactly_on_symmetric_images() {
    let digits = embedded::digits().unwrap().with_feature_shape(&[1, 8, 8]);
    let labels = digits.labels().unwrap().to_vec();
    let x = digits.features().clone();
    let mirrored = hflip(&x);
    let symmetric: Vec<f32> = x
        .to_vec()
        .iter()
        .zip(mirrored.to_vec())
        .map(|(a, b)| (a + b) / 2.0)
        .collect();
    let symmetric =
        InMemoryDataset::classification(Tensor::from_vec(symmetric, x.shape()), labels.clone(), 10);
    // A briefly trained recipe net, so its answers are not constant.
    let (train, _) = digits_split(QUICK_TRAIN_FRACTION, 0).unwrap();
    let model = recipe_mlp(64, &Recipe::digits()).unwrap();
    let mut trainer = Trainer::new(model, AdamConfig::new(1e-3).build(), CrossEntropyLoss)
        .epochs(3)
        .metric(Accuracy::new())
        .quiet();
    let fit = DataLoader::new(train, LoaderConfig::new(32).seed(0));
    trainer.fit_without_validation(&fit).unwrap();
    let loader = DataLoader::new(symmetric, LoaderConfig::new(256).shuffle(false));
    let plain = trainer.evaluate(&loader).unwrap().metrics["accuracy"];
    let averaged = flip_averaged_accuracy(trainer.model(), &loader).unwrap();
    assert_eq!(averaged, plain);
    let real = DataLoader::new(digits, LoaderConfig::new(256).shuffle(false));
    let plain = trainer.evaluate(&real).unwrap().metrics["accuracy"];
    let averaged = flip_averaged_accuracy(trainer.model(), &real).unwrap();
    assert_ne!(averaged, plain);
}

/// With `refit`, the tested model is trained again on every training
/// image (validation part included) for the kept number of epochs.
#[test]
fn the_refit_trains_on_every_training_image_for_the_kept_epochs() {
    let (train, test) = digits_split(QUICK_TRAIN_FRACTION, 0).unwrap();
    let labels = subset_labels(&train);
    let recipe = Recipe {
        max_epochs: 8,
        refit: true,
        ..Recipe::digits()
    };
    let run = recipe_run(train.clone(), &labels, test, 64, &recipe, false).unwrap();
    assert_eq!(run.refit, Some((train.len(), run.best_epoch)));
    assert!(run.sizes.0 < train.len());
    assert!(run.test_accuracy > 0.9, "{}", run.test_accuracy);
}
