//! Quick start: a real training run in a few seconds, with nothing
//! installed but a Rust toolchain.
//!
//! An MLP with batch norm and dropout learns the 8x8 handwritten digits
//! embedded in the repository, with Adam, through the `Trainer`: a
//! stratified split into training, validation and test parts, validation
//! after every epoch, early stopping that gives the model back its best
//! epoch's weights, a progress bar (one plain line per epoch when stdout is
//! not a terminal). The test part is looked at once, at the very end, so
//! its accuracy is an honest estimate of the accuracy on unseen digits.
//! Then a table of the run and a learning-curve plot (SVG).
//!
//! Run: `cargo run --release --example quickstart [-- PLOT.svg]`
//! (the plot goes to `target/quickstart/learning_curves.svg` by default).
//!
//! Every seed is fixed: each run prints the same losses, accuracies and
//! epochs, on 1 thread or 2; only the timings differ. The recipe (data,
//! model, trainer) is in three functions, which the test
//! `tests/facade/quickstart_in_small.rs` runs for a few epochs.

use std::path::PathBuf;
use std::time::Instant;

use wengert::data::{embedded, stratified_split, InMemoryDataset, SplitFractions, Subset};
use wengert::optim::Adam;
use wengert::prelude::*;
use wengert::train::plot::plot_learning_curves;

/// The most epochs the run may take; early stopping usually ends it sooner.
pub const MAX_EPOCHS: usize = 60;

/// A loader over part of the digits.
pub type DigitsLoader = DataLoader<f32, Subset<InMemoryDataset<f32>>>;

/// The digits' training, validation and test loaders: 1,797 images of 64
/// pixels in [0, 1], classes 0..9, split 70/10/20 with each digit's share
/// kept in all three parts (a stratified split).
pub fn digits_loaders() -> Result<[DigitsLoader; 3], Box<dyn std::error::Error>> {
    let digits = embedded::digits()?;
    let labels = digits.labels().expect("digits have class labels").to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.7, 0.1, 0.2), 0);
    let (train, val, test) = split.subsets(&digits);
    Ok([
        // The training order is reshuffled every epoch from the seed.
        DataLoader::new(train, LoaderConfig::new(32).seed(1)),
        DataLoader::new(val, LoaderConfig::new(512).shuffle(false)),
        DataLoader::new(test, LoaderConfig::new(512).shuffle(false)),
    ])
}

/// 64 -> 256 -> 128 -> 10. Batch norm lets Adam take large steps from the
/// first epoch; dropout keeps the net from memorising a training part of
/// only 1,258 images. Both switch to inference behaviour (running
/// statistics, no dropout) in validation and test.
pub fn mlp() -> Sequential<f32> {
    let mut rng = seeded_rng(0);
    Sequential::new()
        .with(Linear::new(64, 256, &mut rng))
        .with(BatchNorm1d::new(256))
        .with(ReLU)
        .with(Dropout::new(0.2))
        .with(Linear::new(256, 128, &mut rng))
        .with(BatchNorm1d::new(128))
        .with(ReLU)
        .with(Dropout::new(0.2))
        .with(Linear::new(128, 10, &mut rng))
}

/// Adam at 1e-3 on the cross-entropy, accuracy measured, and early
/// stopping on the validation loss: after 8 epochs without a new best, the
/// run stops and the model gets the best epoch's weights back.
pub fn trainer(model: Sequential<f32>, epochs: usize) -> Trainer<f32, Sequential<f32>, Adam<f32>> {
    Trainer::new(model, AdamConfig::new(1e-3).build(), CrossEntropyLoss)
        .epochs(epochs)
        .seed(2) // the dropout masks
        .metric(Accuracy::new())
        .callback(EarlyStopping::new("val_loss").patience(8))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let plot_path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/quickstart/learning_curves.svg"));

    let [train, val, test] = digits_loaders()?;
    println!(
        "digits: {} training, {} validation, {} test images",
        train.dataset().len(),
        val.dataset().len(),
        test.dataset().len()
    );
    let model = mlp();
    let parameters = model.num_params();
    let mut trainer = trainer(model, MAX_EPOCHS);

    // A progress bar in a terminal, one line per epoch otherwise.
    let started = Instant::now();
    let history = trainer.fit(&train, Some(&val))?;
    let training_seconds = started.elapsed().as_secs_f64();
    if let Some(reason) = trainer.stop_reason() {
        println!("{reason}");
    }

    // The model now has the weights of the epoch with the lowest
    // validation loss; the test part is evaluated with those, once.
    let best = history
        .best_epoch("val_loss", false)
        .expect("every epoch has a validation loss");
    let tested = trainer.evaluate(&test)?;

    println!();
    println!("| what | result |");
    println!("| --- | --- |");
    println!(
        "| test accuracy ({} images) | {:.2}% |",
        tested.examples,
        100.0 * tested.metrics["accuracy"]
    );
    println!("| test loss | {:.4} |", tested.loss);
    println!(
        "| epochs run | {} of at most {MAX_EPOCHS} |",
        history.epochs.len()
    );
    println!(
        "| best epoch (weights kept) | {} (val_loss {:.4}, val_accuracy {:.2}%) |",
        best.epoch,
        best.val_loss.unwrap_or(f64::NAN),
        100.0 * best.val_metrics["accuracy"]
    );
    println!("| parameters | {parameters} |");
    println!("| training time | {training_seconds:.2} s |");

    if let Some(dir) = plot_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    plot_learning_curves(&history, Some("accuracy"), &plot_path)?;
    println!("\nlearning curves: {}", plot_path.display());
    Ok(())
}
