//! `layers/{layer}_{fwd|fwd_bwd}/{batch}x{features}/f32`: one layer's
//! forward pass on an inference tape (`fwd`: what evaluation costs), and
//! forward plus backward on a training tape (`fwd_bwd`: what a training step
//! costs), so the tape's share is visible. Throughput in samples (rows).
//! `layers/mlp_fwd_bwd/...` runs the golden MLP shape
//! (Linear-BN-ReLU-Dropout-Linear, 784-64-10).

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wengert_nn::{BatchNorm1d, Dropout, LayerNorm, Linear, Module, ReLU, Sequential};
use wengert_tensor::{seeded_rng, Tape, Tensor};

fn bench_module(c: &mut Criterion, group: &str, name: &str, m: &dyn Module<f32>, x: &Tensor<f32>) {
    let mut g = c.benchmark_group(group);
    let shape = x
        .shape()
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x");
    g.throughput(Throughput::Elements(x.shape()[0] as u64));
    g.bench_function(
        BenchmarkId::new(format!("{name}_fwd"), format!("{shape}/f32")),
        |b| {
            b.iter(|| {
                let tape = Tape::inference();
                black_box(m.forward(&tape, tape.constant(x.clone())).unwrap().value());
            })
        },
    );
    g.bench_function(
        BenchmarkId::new(format!("{name}_fwd_bwd"), format!("{shape}/f32")),
        |b| {
            b.iter(|| {
                let tape = Tape::training(0);
                let y = m.forward(&tape, tape.var(x.clone())).unwrap();
                black_box(y.sum().backward());
            })
        },
    );
    g.finish();
}

fn layers(c: &mut Criterion) {
    let mut rng = seeded_rng(0);
    let x = Tensor::<f32>::randn(&[64, 256], &mut rng);
    bench_module(c, "layers", "linear", &Linear::new(256, 256, &mut rng), &x);
    bench_module(c, "layers", "batch_norm1d", &BatchNorm1d::new(256), &x);
    bench_module(c, "layers", "layer_norm", &LayerNorm::new(&[256]), &x);
    bench_module(c, "layers", "dropout", &Dropout::new(0.5), &x);
    let mlp = Sequential::new()
        .with(Linear::new(784, 64, &mut rng))
        .with(BatchNorm1d::new(64))
        .with(ReLU)
        .with(Dropout::new(0.5))
        .with(Linear::new(64, 10, &mut rng));
    let images = Tensor::<f32>::rand_uniform(&[64, 784], 0.0, 1.0, &mut rng);
    bench_module(c, "layers", "mlp", &mlp, &images);
}

criterion_group!(benches, layers);
