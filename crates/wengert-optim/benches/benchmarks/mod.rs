//! Bench groups, one file per family.

pub mod live_tape;
pub mod mlp_step;
pub mod update;

use wengert_tensor::{seeded_rng, Param, Tensor};

/// Layer sizes of the benchmarked MLP.
pub const MLP_SIZES: [usize; 4] = [784, 256, 256, 10];

/// The parameters of a 784-256-256-10 MLP, weights as `in x out` so a layer
/// is `x w + b`; deterministic values.
pub fn mlp_params() -> Vec<Param<f32>> {
    let mut rng = seeded_rng(42);
    let mut params = Vec::new();
    for (i, w) in MLP_SIZES.windows(2).enumerate() {
        let bound = 1.0 / (w[0] as f32).sqrt();
        params.push(Param::new(
            format!("layers.{i}.weight"),
            Tensor::rand_uniform(&[w[0], w[1]], -bound, bound, &mut rng),
        ));
        params.push(Param::new(
            format!("layers.{i}.bias"),
            Tensor::rand_uniform(&[w[1]], -bound, bound, &mut rng),
        ));
    }
    params
}
