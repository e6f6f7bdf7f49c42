//! [`Workload`]: a model with the shape of its batches, and random data of
//! that shape to train it on.

use wengert_data::InMemoryDataset;
use wengert_tensor::rand::Rng;
use wengert_tensor::{seeded_rng, Tensor};

/// A benchmarked model and the batches it trains on.
///
/// The data is random (standard normal features, uniform labels): a step
/// costs the same whatever the values, and nothing is downloaded.
///
/// ```
/// use wengert_benches::cnn;
/// use wengert_data::Dataset;
///
/// let workload = cnn(0);
/// let data = workload.random_data(3, 7);
/// assert_eq!(data.len(), 3 * workload.batch_size);
/// assert_eq!(data.features().shape(), [3 * 64, 1, 28, 28]);
/// ```
pub struct Workload<M> {
    /// The workload's name in bench ids (`mlp`, `cnn`, `lstm`).
    pub name: &'static str,
    /// The model, freshly initialised from the workload's seed.
    pub model: M,
    /// Examples per batch.
    pub batch_size: usize,
    /// The shape of one example's features, without the batch axis.
    pub example_shape: Vec<usize>,
    /// Number of classes of the labels.
    pub classes: usize,
}

impl<M> Workload<M> {
    /// `batches` full batches of random examples, drawn from `seed`.
    pub fn random_data(&self, batches: usize, seed: u64) -> InMemoryDataset<f32> {
        let n = batches * self.batch_size;
        let mut shape = vec![n];
        shape.extend_from_slice(&self.example_shape);
        let mut rng = seeded_rng(seed);
        let features = Tensor::randn(&shape, &mut rng);
        let labels = (0..n).map(|_| rng.random_range(0..self.classes)).collect();
        InMemoryDataset::classification(features, labels, self.classes)
    }
}
