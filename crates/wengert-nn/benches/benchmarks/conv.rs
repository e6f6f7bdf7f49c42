//! `conv/{what}/{input}_{filters}/f32`: Conv2d with 32 filters of 3x3 and
//! padding 1 on a batch of 64 one-channel 28x28 images (MNIST's shape):
//! forward on an inference tape, and forward plus backward (input and weight
//! gradients) on a training tape; and 2x2 max pooling of such maps.
//! Throughput in images.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wengert_nn::conv::{Conv2dConfig, MaxPool2d};
use wengert_nn::Module;
use wengert_tensor::{seeded_rng, Tape, Tensor};

fn conv(c: &mut Criterion) {
    let mut g = c.benchmark_group("conv");
    let n = 64;
    g.throughput(Throughput::Elements(n as u64));
    let mut rng = seeded_rng(0);
    let conv = Conv2dConfig::new(1, 32, 3)
        .with_padding(1)
        .build::<f32, _>(&mut rng)
        .unwrap();
    let x = Tensor::<f32>::randn(&[n, 1, 28, 28], &mut rng);
    let id = "64x1x28x28_32x3x3/f32";
    g.bench_function(BenchmarkId::new("conv2d_fwd", id), |b| {
        b.iter(|| {
            let tape = Tape::inference();
            black_box(
                conv.forward(&tape, tape.constant(x.clone()))
                    .unwrap()
                    .value(),
            );
        })
    });
    g.bench_function(BenchmarkId::new("conv2d_fwd_bwd", id), |b| {
        b.iter(|| {
            let tape = Tape::training(0);
            let y = conv.forward(&tape, tape.var(x.clone())).unwrap();
            black_box(y.sum().backward());
        })
    });
    let maps = Tensor::<f32>::randn(&[n, 32, 28, 28], &mut rng);
    g.bench_function(
        BenchmarkId::new("max_pool2d_fwd_bwd", "64x32x28x28_2x2/f32"),
        |b| {
            b.iter(|| {
                let tape = Tape::training(0);
                let y = MaxPool2d::new(2)
                    .forward(&tape, tape.var(maps.clone()))
                    .unwrap();
                black_box(y.sum().backward());
            })
        },
    );
    g.finish();
}

criterion_group!(benches, conv);
