//! Pretraining on the source task, and the weights' round trip: the
//! trained network is saved as safetensors, loaded into a fresh network of
//! the same shape, and both must give bitwise the same outputs before any
//! target run reads the file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use wengert::nn::{load_weights, save_weights};
use wengert::prelude::*;

use super::data::Task;
use super::network::{outputs, NetSpec};
use super::Outcome;

/// How the source network trains: Adam at `lr`, `epochs` over all of the
/// source's training images in batches of `batch`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PretrainSettings {
    /// Adam's rate.
    pub lr: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Epochs.
    pub epochs: usize,
    /// Seed of the weights and the batches.
    pub seed: u64,
}

/// What pretraining measured.
#[derive(Clone, Debug)]
pub struct PretrainRun {
    /// Training loss and accuracy per epoch.
    pub history: History,
    /// Accuracy on the source's test set.
    pub test_accuracy: f64,
    /// The weights file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Whether the reloaded network's outputs on the source's test images
    /// equal the trained one's, bit for bit.
    pub round_trip_bitwise: bool,
    /// Wall time of the training.
    pub seconds: f64,
}

/// Trains `spec` with a `source.classes`-way head on all of `source`'s
/// training images, saves it to `path` and checks the round trip.
pub fn pretrain(
    spec: &NetSpec,
    source: &Task,
    settings: &PretrainSettings,
    path: &Path,
) -> Outcome<PretrainRun> {
    let model = spec.build(source.classes, settings.seed);
    let batches = DataLoader::new(
        source.all(),
        LoaderConfig::new(settings.batch).seed(settings.seed),
    );
    let test = DataLoader::new(source.test.clone(), LoaderConfig::new(1024).shuffle(false));
    let mut trainer = Trainer::new(
        model,
        AdamConfig::new(settings.lr).build(),
        CrossEntropyLoss,
    )
    .epochs(settings.epochs)
    .seed(settings.seed)
    .metric(Accuracy::new())
    .quiet();
    let started = Instant::now();
    let history = trainer.fit_without_validation(&batches)?;
    let seconds = started.elapsed().as_secs_f64();
    let test_accuracy = trainer.evaluate(&test)?.metrics["accuracy"];
    let trained = trainer.into_model();
    save_weights(&trained, path)?;
    let round_trip_bitwise = round_trip_is_bitwise(spec, source, &trained, path)?;
    Ok(PretrainRun {
        history,
        test_accuracy,
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path)?.len(),
        round_trip_bitwise,
        seconds,
    })
}

/// Loads the file at `path` into a fresh network (another init) and
/// compares its outputs on the source's test images with `trained`'s, bit
/// for bit.
pub fn round_trip_is_bitwise(
    spec: &NetSpec,
    source: &Task,
    trained: &Sequential<f32>,
    path: &Path,
) -> Outcome<bool> {
    let mut reloaded = spec.build(source.classes, u64::MAX);
    load_weights(&mut reloaded, path)?;
    let images = source.test.features();
    let (a, b) = (outputs(trained, images)?, outputs(&reloaded, images)?);
    Ok(a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()))
}
