//! One training run and how it is scored: the MLP of `fine_tuning`
//! trained with Adam and cross-entropy on a loader for a fixed number of
//! epochs, then tested once, overall and per class.

use std::time::Instant;

use wengert::data::InMemoryDataset;
use wengert::prelude::*;
use wengert::train::ConfusionMatrix;

use super::fine_tuning::network::outputs;
use super::Outcome;

/// How a run trains: Adam at `lr`, batches of `batch`, `epochs` epochs,
/// the weights and the batch order drawn from `seed`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSettings {
    /// Adam's rate.
    pub lr: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Epochs over a set of the labelled sample's size; a set of another
    /// size trains for the same number of steps (see [`RunSettings::epochs_for`]).
    pub epochs: usize,
    /// The labelled sample's size, which `epochs` is counted in.
    pub reference_size: usize,
    /// Seed of the weights, the batch order and any augmentation.
    pub seed: u64,
}

impl RunSettings {
    /// Optimizer steps of the budget: `epochs` over the reference size.
    pub fn steps(&self) -> usize {
        self.epochs * self.reference_size.div_ceil(self.batch)
    }

    /// Epochs over a set of `len` examples that take about the budget's
    /// steps (at least one): an oversampled set trains for fewer epochs, a
    /// downsampled one for more, so no strategy wins by taking more steps.
    pub fn epochs_for(&self, len: usize) -> usize {
        let per_epoch = len.div_ceil(self.batch).max(1);
        ((self.steps() as f64 / per_epoch as f64).round() as usize).max(1)
    }

    /// The same settings drawing from `seed`.
    pub fn with_seed(self, seed: u64) -> Self {
        RunSettings { seed, ..self }
    }
}

/// A trained network scored on the test images.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// Share of the test images classified right.
    pub accuracy: f64,
    /// Per class, the share of its test images classified right (its
    /// recall).
    pub per_class: Vec<f64>,
}

impl Score {
    /// The lowest per-class accuracy.
    pub fn worst(&self) -> f64 {
        self.per_class.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The mean per-class accuracy (balanced accuracy; equal to `accuracy`
    /// on a test set with as many images of every class).
    pub fn balanced(&self) -> f64 {
        self.per_class.iter().sum::<f64>() / self.per_class.len() as f64
    }

    /// The mean accuracy over the classes in `classes`.
    pub fn mean_over(&self, classes: &[usize]) -> f64 {
        classes.iter().map(|&c| self.per_class[c]).sum::<f64>() / classes.len() as f64
    }
}

/// Tests `model` once on every image of `test`: overall and per-class
/// accuracy, from one confusion matrix.
pub fn score(
    model: &Sequential<f32>,
    test: &InMemoryDataset<f32>,
    classes: usize,
) -> Outcome<Score> {
    let logits = outputs(model, test.features())?;
    let truth = test.labels().ok_or("a classification set")?;
    let predicted: Vec<usize> = Tensor::from_vec(logits, &[truth.len(), classes]).try_argmax(1)?;
    let mut confusion = ConfusionMatrix::new(classes);
    confusion.update_classes(truth, &predicted)?;
    Ok(Score {
        accuracy: confusion.accuracy(),
        per_class: confusion.per_class_recall(),
    })
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct Run {
    /// Training loss and accuracy per epoch (running means).
    pub history: History,
    /// The test scores.
    pub score: Score,
    /// Examples per epoch.
    pub train_size: usize,
    /// Wall time of the training.
    pub seconds: f64,
}

/// Trains `model` with `optimizer` on `loader` for `epochs` epochs and
/// scores it on `test`; the trained network comes back too.
pub fn train_and_score<D: Dataset<f32> + 'static>(
    model: Sequential<f32>,
    optimizer: Box<dyn Optimizer<f32>>,
    loader: &DataLoader<f32, D>,
    epochs: usize,
    seed: u64,
    test: &InMemoryDataset<f32>,
    classes: usize,
) -> Outcome<(Run, Sequential<f32>)> {
    let mut trainer = Trainer::new(model, optimizer, CrossEntropyLoss)
        .epochs(epochs)
        .seed(seed)
        .metric(Accuracy::new())
        .quiet();
    let started = Instant::now();
    let history = trainer.fit_without_validation(loader)?;
    let seconds = started.elapsed().as_secs_f64();
    let model = trainer.into_model();
    let run = Run {
        history,
        score: score(&model, test, classes)?,
        train_size: loader
            .sampler()
            .map_or(loader.dataset().len(), |s| s.num_samples()),
        seconds,
    };
    Ok((run, model))
}

/// Adam at `lr`, boxed as every strategy's optimizer is.
pub fn adam(lr: f64) -> Box<dyn Optimizer<f32>> {
    Box::new(AdamConfig::new(lr).build())
}
