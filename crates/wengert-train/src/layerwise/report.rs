//! What greedy layer-wise pretraining measured: each layer's reconstruction
//! loss before, during and after its pretraining, so a user sees that every
//! layer learned something before the stack is fine-tuned.

/// The pretraining of one hidden layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerPretraining {
    /// The hidden layer, from 0.
    pub layer: usize,
    /// Where its `Linear` sits in the stacked network (`2 * layer`: each
    /// hidden layer is a `Linear` followed by its activation).
    pub network_index: usize,
    /// The width of its input (the data's, or the previous layer's).
    pub input_width: usize,
    /// Its width.
    pub width: usize,
    /// Reconstruction MSE on all the inputs before training (fresh encoder
    /// and decoder).
    pub initial_loss: f64,
    /// The mean training loss (reconstruction MSE) of each epoch.
    pub epoch_losses: Vec<f64>,
    /// Reconstruction MSE on all the inputs after training.
    pub final_loss: f64,
}

impl LayerPretraining {
    /// The first epoch's mean reconstruction loss.
    pub fn first_epoch_loss(&self) -> f64 {
        self.epoch_losses[0]
    }

    /// The last epoch's mean reconstruction loss.
    pub fn last_epoch_loss(&self) -> f64 {
        self.epoch_losses[self.epoch_losses.len() - 1]
    }
}

/// Every hidden layer's pretraining, first layer first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerwiseReport {
    /// One entry per hidden layer.
    pub layers: Vec<LayerPretraining>,
}

impl std::fmt::Display for LayerwiseReport {
    /// One line per layer: sizes, then the reconstruction loss before, at
    /// the first and last epoch, and after.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "layer  in -> out  loss before  first epoch  last epoch  after"
        )?;
        for l in &self.layers {
            writeln!(
                f,
                "{:>5}  {:>3} -> {:<3}  {:>11.5}  {:>11.5}  {:>10.5}  {:.5}",
                l.layer,
                l.input_width,
                l.width,
                l.initial_loss,
                l.first_epoch_loss(),
                l.last_epoch_loss(),
                l.final_loss
            )?;
        }
        Ok(())
    }
}
