//! The `cnn` workload: two convolution blocks and a dense head on batches
//! of 64 MNIST-sized images.

use wengert_nn::conv::{BatchNorm2d, Conv2d, Conv2dConfig, Flatten, MaxPool2d};
use wengert_nn::{Linear, ReLU, Sequential};
use wengert_tensor::seeded_rng;

use crate::workload::Workload;

/// `conv3x3(1->32, pad 1)-BN-ReLU-maxpool2, conv3x3(32->64, pad 1)-BN-ReLU-maxpool2,
/// flatten, Linear(3136, 128)-ReLU, Linear(128, 10)` on batches of 64
/// images `1x28x28`, 10 classes, as PyTorch's `nn.Sequential` of the same
/// layers. Batch norm runs on batch statistics, as in any training step.
/// The weights are drawn from `seed`.
///
/// ```
/// use wengert_nn::Module;
/// let workload = wengert_benches::cnn(0);
/// let conv = (32 * 9 + 32) + (64 * 32 * 9 + 64);
/// let batch_norm = 2 * 32 + 2 * 64;
/// let dense = (3136 * 128 + 128) + (128 * 10 + 10);
/// assert_eq!(workload.model.num_params(), conv + batch_norm + dense);
/// ```
pub fn cnn(seed: u64) -> Workload<Sequential<f32>> {
    let mut rng = seeded_rng(seed);
    let conv = |c_in, c_out, rng: &mut _| -> Conv2d<f32> {
        Conv2dConfig::new(c_in, c_out, 3)
            .with_padding(1)
            .build(rng)
            .expect("a 3x3 convolution with padding 1 is a valid configuration")
    };
    let model = Sequential::new()
        .with(conv(1, 32, &mut rng))
        .with(BatchNorm2d::new(32))
        .with(ReLU)
        .with(MaxPool2d::new(2))
        .with(conv(32, 64, &mut rng))
        .with(BatchNorm2d::new(64))
        .with(ReLU)
        .with(MaxPool2d::new(2))
        .with(Flatten)
        // 64 channels of 7x7 after two poolings of 28x28.
        .with(Linear::new(64 * 7 * 7, 128, &mut rng))
        .with(ReLU)
        .with(Linear::new(128, 10, &mut rng));
    Workload {
        name: "cnn",
        model,
        batch_size: 64,
        example_shape: vec![1, 28, 28],
        classes: 10,
    }
}
