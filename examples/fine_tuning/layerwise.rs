//! Greedy layer-wise autoencoder pretraining, the text's early remedy for
//! deep nets whose gradients vanish: a deep sigmoid MLP whose hidden layers
//! are pretrained one at a time on unlabelled images, then fine-tuned on
//! the labels, against the same net trained on the labels from its default
//! init, with the same optimizer and budget.

use std::time::Instant;

use wengert::data::InMemoryDataset;
use wengert::prelude::*;
use wengert::train::{HealthConfig, HiddenActivation, LayerwiseConfig, LayerwiseReport};

use super::data::Part;
use super::Outcome;

/// The deep net and the two trainings.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerwiseSettings {
    /// Widths of the sigmoid hidden layers.
    pub widths: Vec<usize>,
    /// Unlabelled images the autoencoders train on.
    pub unlabelled: usize,
    /// Labelled training images per class for both nets.
    pub labelled_per_class: usize,
    /// Autoencoder epochs per layer.
    pub pretrain_epochs: usize,
    /// Adam's rate for the autoencoders.
    pub pretrain_lr: f64,
    /// SGD's rate for the supervised training of both nets.
    pub lr: f64,
    /// SGD's momentum.
    pub momentum: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Supervised epochs of both nets.
    pub epochs: usize,
    /// Seed of everything.
    pub seed: u64,
}

/// One of the two supervised runs.
#[derive(Clone, Debug)]
pub struct DeepRun {
    /// Training loss and accuracy per epoch.
    pub history: History,
    /// Accuracy on the test set after the last epoch.
    pub test_accuracy: f64,
    /// Per epoch, the first hidden layer's gradient norm over the head's,
    /// at the epoch's last step: how much of the gradient reaches the
    /// input side.
    pub first_over_head: Vec<f64>,
    /// Wall time of the supervised training.
    pub seconds: f64,
}

/// What the comparison measured.
#[derive(Clone, Debug)]
pub struct LayerwiseComparison {
    /// Each layer's reconstruction losses.
    pub report: LayerwiseReport,
    /// Wall time of the pretraining.
    pub pretrain_seconds: f64,
    /// The pretrained net, fine-tuned.
    pub pretrained: DeepRun,
    /// The same net from its default init.
    pub plain: DeepRun,
}

/// The deep sigmoid MLP from its default init (PyTorch's, as the
/// autoencoders' encoders get), `inputs - widths... - classes`.
pub fn plain_net(inputs: usize, widths: &[usize], classes: usize, seed: u64) -> Sequential<f32> {
    let mut rng = seeded_rng(seed);
    let mut model = Sequential::new();
    let mut width = inputs;
    for &w in widths {
        model.push(Box::new(Linear::new(width, w, &mut rng)));
        model.push(Box::new(Sigmoid));
        width = w;
    }
    model.with(Linear::new(width, classes, &mut rng))
}

/// Pretrains the deep net on `unlabelled` (its labels are not read), then
/// fine-tunes it and trains the plain twin on `labelled`, and tests both
/// once on `test`.
pub fn compare(
    unlabelled: &Part,
    labelled: &Part,
    test: &InMemoryDataset<f32>,
    classes: usize,
    settings: &LayerwiseSettings,
) -> Outcome<LayerwiseComparison> {
    let inputs = unlabelled.feature_shape()[0];
    let last = *settings.widths.last().ok_or("at least one hidden layer")?;
    let config = LayerwiseConfig::new(settings.widths.clone())
        .activation(HiddenActivation::Sigmoid)
        .epochs_per_layer(settings.pretrain_epochs)
        .lr(settings.pretrain_lr)
        .batch_size(settings.batch)
        .seed(settings.seed);
    let started = Instant::now();
    let head = Linear::new(last, classes, &mut seeded_rng(settings.seed + 1));
    let (network, report) = config.pretrain(unlabelled, head)?;
    let pretrain_seconds = started.elapsed().as_secs_f64();
    let pretrained = supervised(network, labelled, test, settings)?;
    let plain = supervised(
        plain_net(inputs, &settings.widths, classes, settings.seed),
        labelled,
        test,
        settings,
    )?;
    Ok(LayerwiseComparison {
        report,
        pretrain_seconds,
        pretrained,
        plain,
    })
}

/// SGD with momentum on the labels, every layer trained, then one test.
pub fn supervised(
    model: Sequential<f32>,
    labelled: &Part,
    test: &InMemoryDataset<f32>,
    settings: &LayerwiseSettings,
) -> Outcome<DeepRun> {
    let batches = DataLoader::new(
        labelled.clone(),
        LoaderConfig::new(settings.batch).seed(settings.seed),
    );
    let test = DataLoader::new(test.clone(), LoaderConfig::new(1024).shuffle(false));
    let sgd = SgdConfig::new(settings.lr)
        .momentum(settings.momentum)
        .build();
    // The norms are recorded every epoch and reported as a ratio in the
    // table; a ratio of 0 turns the per-epoch vanishing warning off.
    let health = HealthConfig {
        vanishing_ratio: 0.0,
        ..HealthConfig::default()
    };
    let mut trainer = Trainer::new(model, sgd, CrossEntropyLoss)
        .epochs(settings.epochs)
        .seed(settings.seed)
        .metric(Accuracy::new())
        .health(health)
        .quiet();
    let started = Instant::now();
    let history = trainer.fit_without_validation(&batches)?;
    let seconds = started.elapsed().as_secs_f64();
    let test_accuracy = trainer.evaluate(&test)?.metrics["accuracy"];
    let head = (2 * settings.widths.len()).to_string();
    let first_over_head = history
        .epochs
        .iter()
        .map(|e| {
            let norm = |layer: &str| e.layer_grad_norms.get(layer).copied().unwrap_or(f64::NAN);
            norm("0") / norm(&head)
        })
        .collect();
    Ok(DeepRun {
        history,
        test_accuracy,
        first_over_head,
        seconds,
    })
}
