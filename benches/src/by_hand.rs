//! [`HandLoop`]: a training step written against the tape, the baseline
//! the trainer's step is compared with.

use wengert_data::InMemoryDataset;
use wengert_nn::Module;
use wengert_optim::{Adam, Optimizer};
use wengert_tensor::{Tape, Tensor};

/// A model, its optimizer, one reused training tape and one batch: each
/// [`HandLoop::step`] is the step a careful hand-written loop takes.
///
/// ```
/// use wengert_benches::{lstm, HandLoop};
///
/// let workload = lstm(0);
/// let batch = workload.random_data(1, 3);
/// let mut hand = HandLoop::new(workload.model, &batch);
/// let first = hand.step();
/// let second = hand.step();
/// assert!(second < first); // Adam on one batch: the loss goes down
/// ```
pub struct HandLoop<M> {
    model: M,
    optimizer: Adam<f32>,
    tape: Tape<f32>,
    features: Tensor<f32>,
    labels: Vec<usize>,
}

impl<M: Module<f32>> HandLoop<M> {
    /// Trains `model` with [`crate::optimizer`] on all of `batch`, taken as
    /// one batch. The tape's seed is the trainer's default, 0.
    pub fn new(model: M, batch: &InMemoryDataset<f32>) -> Self {
        HandLoop {
            model,
            optimizer: crate::optimizer(),
            tape: Tape::training(0),
            features: batch.features().clone(),
            labels: batch
                .labels()
                .expect("the workloads' data are classification data")
                .to_vec(),
        }
    }

    /// One step: forward, mean cross-entropy, backward, Adam. Returns the
    /// loss before the update.
    pub fn step(&mut self) -> f32 {
        self.tape.reset();
        let (loss, grads) = {
            let x = self.tape.constant(self.features.clone());
            let logits = self
                .model
                .forward(&self.tape, x)
                .expect("the batch fits the model");
            let loss = logits.cross_entropy_with_logits(&self.labels);
            (loss.item(), loss.backward())
        };
        // As the trainer does: with no pass on the tape holding the
        // parameters, the update writes them in place.
        self.tape.reset();
        self.optimizer.step(&mut self.model, &grads);
        loss
    }

    /// The model as trained so far.
    pub fn model(&self) -> &M {
        &self.model
    }
}
