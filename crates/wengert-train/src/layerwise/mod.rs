//! Greedy layer-wise pretraining, the text's early remedy for deep networks
//! whose gradients vanish: train the hidden layers one at a time, each as
//! the encoder of an autoencoder that reconstructs its own input, then
//! stack the pretrained encoders, put a head on, and fine-tune the whole
//! network with the [`Trainer`].
//!
//! Layer `k` is pretrained on the outputs of layers `0..k`, computed once
//! with their pretrained weights: those layers are fixed while layer `k`
//! learns (only its encoder and a fresh decoder are trained), which is what
//! makes the procedure greedy. The loss is the reconstruction MSE.

mod autoencoder;
mod report;

pub use report::{LayerPretraining, LayerwiseReport};

use wengert_data::loader::collate;
use wengert_data::{DataLoader, Dataset, InMemoryDataset, LoaderConfig};
use wengert_nn::{LeakyReLU, Linear, Module, ReLU, Sequential, Sigmoid, Tanh};
use wengert_optim::AdamConfig;
use wengert_tensor::{seeded_rng, Float, Tape, Tensor};

use crate::error::{Result, TrainError};
use crate::loss::MseLoss;
use crate::trainer::Trainer;
use autoencoder::Autoencoder;

/// The activation after every hidden layer (in pretraining and in the
/// stacked network), as one of wengert-nn's layers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HiddenActivation {
    /// [`ReLU`].
    ReLU,
    /// [`LeakyReLU`] with this negative slope.
    LeakyReLU(f64),
    /// [`Tanh`]: the activation of the original stacked autoencoders.
    Tanh,
    /// [`Sigmoid`].
    Sigmoid,
}

impl HiddenActivation {
    /// The activation as a layer.
    pub fn layer<T: Float>(self) -> Box<dyn Module<T>> {
        match self {
            HiddenActivation::ReLU => Box::new(ReLU),
            HiddenActivation::LeakyReLU(slope) => Box::new(LeakyReLU::new(slope)),
            HiddenActivation::Tanh => Box::new(Tanh),
            HiddenActivation::Sigmoid => Box::new(Sigmoid),
        }
    }
}

/// How the hidden layers are pretrained: their widths, their activation,
/// and the training of each layer's autoencoder (Adam at `lr`,
/// `epochs_per_layer` epochs of batches of `batch_size`, everything seeded
/// from `seed`).
///
/// ```
/// use wengert_data::{embedded, DataLoader, LoaderConfig};
/// use wengert_nn::Linear;
/// use wengert_optim::AdamConfig;
/// use wengert_tensor::seeded_rng;
/// use wengert_train::{CrossEntropyLoss, HiddenActivation, LayerwiseConfig, Trainer};
///
/// let digits = embedded::digits()?;
/// let config = LayerwiseConfig::new(vec![32, 16])
///     .activation(HiddenActivation::Tanh)
///     .epochs_per_layer(3)
///     .lr(1e-2)
///     .batch_size(64)
///     .seed(1);
/// let head = Linear::new(16, 10, &mut seeded_rng(2));
/// let (network, report) = config.pretrain(&digits, head)?;
/// for layer in &report.layers {
///     assert!(layer.final_loss < layer.initial_loss); // each layer learned
/// }
/// // Fine-tune the whole stack on the labels.
/// let loader = DataLoader::new(digits, LoaderConfig::new(64).seed(3));
/// let mut trainer = Trainer::new(network, AdamConfig::new(1e-3).build(), CrossEntropyLoss)
///     .epochs(2)
///     .quiet();
/// let history = trainer.fit_without_validation(&loader)?;
/// assert!(history.epochs[1].train_loss < history.epochs[0].train_loss);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LayerwiseConfig {
    /// The width of each hidden layer, first layer first.
    pub widths: Vec<usize>,
    /// The activation after each hidden layer.
    pub activation: HiddenActivation,
    /// Epochs of autoencoder training for each layer.
    pub epochs_per_layer: usize,
    /// Adam's learning rate for the autoencoders.
    pub lr: f64,
    /// Examples per batch.
    pub batch_size: usize,
    /// Seeds the initial weights and the shuffles; each layer derives its
    /// own seed from it and its index.
    pub seed: u64,
}

impl LayerwiseConfig {
    /// Hidden layers of these widths; ReLU, 10 epochs per layer, Adam at
    /// 1e-3, batches of 32, seed 0.
    pub fn new(widths: Vec<usize>) -> Self {
        LayerwiseConfig {
            widths,
            activation: HiddenActivation::ReLU,
            epochs_per_layer: 10,
            lr: 1e-3,
            batch_size: 32,
            seed: 0,
        }
    }

    /// Sets [`activation`](Self::activation).
    pub fn activation(mut self, activation: HiddenActivation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets [`epochs_per_layer`](Self::epochs_per_layer).
    pub fn epochs_per_layer(mut self, epochs: usize) -> Self {
        self.epochs_per_layer = epochs;
        self
    }

    /// Sets [`lr`](Self::lr).
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }

    /// Sets [`batch_size`](Self::batch_size).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets [`seed`](Self::seed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Pretrains every hidden layer greedily on `data`'s features (its
    /// targets are not read), then stacks them with `head` on top:
    /// `Linear, activation, Linear, activation, ..., head`, hidden layer `k`
    /// at index `2k`, every parameter trainable, ready for fine-tuning.
    /// Also gives each layer's reconstruction losses.
    pub fn pretrain<T: Float, D: Dataset<T> + ?Sized>(
        &self,
        data: &D,
        head: impl Module<T> + 'static,
    ) -> Result<(Sequential<T>, LayerwiseReport)> {
        self.check()?;
        let shape = data.feature_shape();
        if shape.len() != 1 || data.is_empty() {
            return Err(config_error(format!(
                "needs examples with flat features [width] (flatten images first), got {} examples of shape {shape:?}",
                data.len()
            )));
        }
        let all: Vec<usize> = (0..data.len()).collect();
        let mut inputs = collate(data, &all, None, 0, 0).features;
        let mut network = Sequential::new();
        let mut report = LayerwiseReport::default();
        for layer in 0..self.widths.len() {
            let (encoder, pretraining) = self.pretrain_layer(&inputs, layer)?;
            let activation = self.activation.layer::<T>();
            // The next layer learns from this one's outputs, fixed from now on.
            if layer + 1 < self.widths.len() {
                let tape = Tape::inference();
                let code = encoder.forward(&tape, tape.constant(inputs))?;
                inputs = activation.forward(&tape, code)?.value();
            }
            network.push(Box::new(encoder));
            network.push(activation);
            report.layers.push(pretraining);
        }
        network.push(Box::new(head));
        // A head that does not take the last width fails here, not later in
        // the first fine-tuning step.
        let tape = Tape::inference();
        network.forward(&tape, tape.constant(Tensor::zeros(&[1, shape[0]])))?;
        Ok((network, report))
    }

    /// Pretrains hidden layer `layer` alone: an autoencoder whose encoder is
    /// a fresh `Linear(inputs width -> widths[layer])` with the activation
    /// and whose decoder is a fresh `Linear` back, trained on `inputs`
    /// `[n, width]` to reconstruct them. Gives the trained encoder and its
    /// losses. [`LayerwiseConfig::pretrain`] calls it on each layer's
    /// inputs; it is public so a stack can be built (or checked) by hand.
    pub fn pretrain_layer<T: Float>(
        &self,
        inputs: &Tensor<T>,
        layer: usize,
    ) -> Result<(Linear<T>, LayerPretraining)> {
        self.check()?;
        let Some(&width) = self.widths.get(layer) else {
            return Err(config_error(format!(
                "layer {layer} does not exist: {} hidden layers are configured",
                self.widths.len()
            )));
        };
        let [n, input_width] = *inputs.shape() else {
            return Err(config_error(format!(
                "layer {layer} needs inputs [examples, width], got shape {:?}",
                inputs.shape()
            )));
        };
        let seed = layer_seed(self.seed, layer);
        let mut rng = seeded_rng(seed);
        let encoder = Linear::new(input_width, width, &mut rng);
        let decoder = Linear::new(width, input_width, &mut rng);
        let model = Autoencoder {
            encoder,
            activation: self.activation.layer(),
            decoder,
        };
        // The targets are the inputs themselves (shared storage, no copy).
        let data = InMemoryDataset::try_regression(inputs.clone(), inputs.clone())?;
        let train =
            DataLoader::try_new(data.clone(), LoaderConfig::new(self.batch_size).seed(seed))?;
        let whole = DataLoader::try_new(data, LoaderConfig::new(n.max(1)).shuffle(false))?;
        let mut trainer = Trainer::new(model, AdamConfig::new(self.lr).build(), MseLoss)
            .epochs(self.epochs_per_layer)
            .seed(seed)
            .quiet();
        let initial_loss = trainer.evaluate(&whole)?.loss;
        let history = trainer.fit_without_validation(&train)?;
        let final_loss = trainer.evaluate(&whole)?.loss;
        let pretraining = LayerPretraining {
            layer,
            network_index: 2 * layer,
            input_width,
            width,
            initial_loss,
            epoch_losses: history.epochs.iter().map(|e| e.train_loss).collect(),
            final_loss,
        };
        Ok((trainer.into_model().encoder, pretraining))
    }

    fn check(&self) -> Result<()> {
        if self.widths.is_empty() {
            return Err(config_error("needs at least one hidden width".into()));
        }
        if let Some(k) = self.widths.iter().position(|&w| w == 0) {
            return Err(config_error(format!(
                "hidden layer {k} has width 0 (widths {:?})",
                self.widths
            )));
        }
        if self.epochs_per_layer == 0 {
            return Err(config_error("epochs_per_layer must be at least 1".into()));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(config_error(format!(
                "lr must be finite and > 0, got {}",
                self.lr
            )));
        }
        if self.batch_size == 0 {
            return Err(config_error("batch_size must be at least 1".into()));
        }
        Ok(())
    }
}

fn config_error(why: String) -> TrainError {
    TrainError::Config {
        what: "layer-wise pretraining",
        why,
    }
}

/// Layer `layer`'s seed: `seed` and the index mixed (SplitMix64's
/// finaliser), so layers draw unrelated weights and seeds `s` and `s + 1`
/// do not share layers.
fn layer_seed(seed: u64, layer: usize) -> u64 {
    let mut z = seed ^ (layer as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
