//! One whole training step of a 784-256-256-10 ReLU MLP with softmax
//! cross-entropy on a batch of 128: forward, backward, Adam update.

use criterion::{criterion_group, Criterion, Throughput};
use rand::Rng;
use wengert_optim::{Adam, AdamConfig, Optimizer};
use wengert_tensor::{seeded_rng, Param, Tape, Tensor};

use super::{mlp_params, MLP_SIZES};

const BATCH: usize = 128;

/// One training step; returns the loss.
///
/// Cross-entropy as PyTorch's `cross_entropy`: `-mean(log_softmax(z)[label])`.
fn train_step(
    params: &mut [Param<f32>],
    adam: &mut Adam<f32>,
    x: &Tensor<f32>,
    labels: &[usize],
) -> f32 {
    let tape = Tape::new();
    let mut h = tape.constant(x.clone());
    let layers = params.len() / 2;
    for i in 0..layers {
        let w = tape.param(&params[2 * i]);
        let b = tape.param(&params[2 * i + 1]);
        h = h.matmul(w) + b;
        if i + 1 < layers {
            h = h.relu();
        }
    }
    let loss = -h.log_softmax(1).gather(1, labels).mean();
    let value = loss.item();
    let grads = loss.backward();
    // The tape still holds the parameters, as in a user's loop: the update
    // writes fresh pooled buffers (the `live_tape` bench prices that).
    let mut refs: Vec<&mut Param<f32>> = params.iter_mut().collect();
    adam.step(&mut refs, &grads);
    value
}

fn bench_mlp_step(c: &mut Criterion) {
    let mut rng = seeded_rng(3);
    let x = Tensor::<f32>::randn(&[BATCH, MLP_SIZES[0]], &mut rng);
    let labels: Vec<usize> = (0..BATCH)
        .map(|_| rng.random_range(0..MLP_SIZES[3]))
        .collect();
    let mut params = mlp_params();
    let mut adam = AdamConfig::new(1e-3)
        .betas(0.9, 0.999)
        .eps(1e-8)
        .build::<f32>();

    let mut group = c.benchmark_group("mlp");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("train_step_adam/784-256-256-10_b128/f32", |b| {
        b.iter(|| train_step(&mut params, &mut adam, &x, &labels))
    });
    group.finish();
}

criterion_group!(benches, bench_mlp_step);
