//! An MLP trained end to end through the facade: the trainer's recorded
//! loss and accuracy are what the model's own predictions give.

use wengert::data::{embedded, stratified_split, SplitFractions};
use wengert::prelude::*;

#[test]
fn the_trainer_fits_an_mlp_whose_predictions_give_the_recorded_loss_and_accuracy() {
    let digits = embedded::digits().unwrap();
    let labels = digits.labels().unwrap().to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.8, 0.2, 0.0), 3);
    let (train, val, _) = split.subsets(&digits);
    let val_labels: Vec<usize> = split.validation.iter().map(|&i| labels[i]).collect();
    let train = DataLoader::new(train, LoaderConfig::new(64).seed(4));
    // In order, so the predictions line up with `val_labels`.
    let val = DataLoader::new(val, LoaderConfig::new(100).shuffle(false));

    let mut rng = seeded_rng(5);
    let model = Sequential::new()
        .with(Linear::new(64, 48, &mut rng))
        .with(ReLU)
        .with(Dropout::new(0.1))
        .with(Linear::new(48, 10, &mut rng));
    let mut trainer = Trainer::new(model, AdamConfig::new(3e-3).build(), CrossEntropyLoss)
        .epochs(4)
        .metric(Accuracy::new())
        .quiet();
    let history = trainer.fit(&train, Some(&val)).unwrap();

    assert_eq!(history.epochs.len(), 4);
    let (first, last) = (&history.epochs[0], &history.epochs[3]);
    assert!(
        last.train_loss < 0.5 * first.train_loss,
        "{first:?}\n{last:?}"
    );
    assert_eq!(last.steps, 4 * train.len());

    // Predictions in inference mode (dropout off), in loader order.
    let logits = trainer.predict(&val).unwrap();
    assert_eq!(logits.shape(), &[val_labels.len(), 10]);
    let predicted = logits.argmax(1);
    let right = predicted
        .iter()
        .zip(&val_labels)
        .filter(|(p, t)| p == t)
        .count();
    let accuracy_by_hand = right as f64 / val_labels.len() as f64;
    let tape = Tape::inference();
    let loss_by_hand = tape
        .constant(logits)
        .cross_entropy_with_logits(&val_labels)
        .item() as f64;

    // Without early stopping the model ends with the last epoch's weights,
    // which the last epoch's validation columns measured.
    let eval = trainer.evaluate(&val).unwrap();
    assert_eq!(eval.examples, val_labels.len());
    assert_eq!(eval.metrics["accuracy"], accuracy_by_hand);
    assert_eq!(last.val_metrics["accuracy"], accuracy_by_hand);
    assert!(
        accuracy_by_hand > 0.9,
        "validation accuracy {accuracy_by_hand}"
    );
    // The trainer averages batch means weighted by batch size; one mean
    // over all rows sums in another order.
    let recorded = last.val_loss.unwrap();
    assert!(
        (recorded - loss_by_hand).abs() <= 1e-5 * loss_by_hand.max(1.0),
        "recorded val_loss {recorded} vs cross-entropy of the predictions {loss_by_hand}"
    );
    assert_eq!(eval.loss, recorded);
}
