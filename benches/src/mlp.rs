//! The `mlp` workload: a 784-256-256-10 ReLU network on batches of 128.

use wengert_nn::{Linear, ReLU, Sequential};
use wengert_tensor::seeded_rng;

use crate::workload::Workload;

/// `Linear(784, 256)-ReLU-Linear(256, 256)-ReLU-Linear(256, 10)`, batches
/// of 128 flat 784-pixel images, 10 classes, as PyTorch's `nn.Sequential`
/// of the same layers. The weights are drawn from `seed`, so two calls
/// with one seed build the same model.
///
/// ```
/// use wengert_nn::Module;
/// let workload = wengert_benches::mlp(0);
/// assert_eq!(workload.model.num_params(), 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
/// ```
pub fn mlp(seed: u64) -> Workload<Sequential<f32>> {
    let mut rng = seeded_rng(seed);
    let model = Sequential::new()
        .with(Linear::new(784, 256, &mut rng))
        .with(ReLU)
        .with(Linear::new(256, 256, &mut rng))
        .with(ReLU)
        .with(Linear::new(256, 10, &mut rng));
    Workload {
        name: "mlp",
        model,
        batch_size: 128,
        example_shape: vec![784],
        classes: 10,
    }
}
