//! `mlp_sgd/step/784-256-256-10/b128/f32`: one training step of a ReLU MLP
//! written with tensor ops only (forward, softmax cross-entropy, backward,
//! plain SGD update), beside `mlp_sgd/gemms_alone`: the same eight matrix
//! products (3 forward, 5 backward) timed alone. Their ratio is what the
//! rest (element-wise ops, tape, update) costs.

use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use wengert_tensor::Tape;

use crate::workloads::{gemms_alone, Mlp};

fn mlp_sgd(c: &mut Criterion) {
    let mut group = c.benchmark_group("mlp_sgd");
    let mut mlp = Mlp::new();
    let mut tape = Tape::training(0);
    group.bench_function("step/784-256-256-10/b128/f32", |b| {
        b.iter(|| black_box(mlp.step(&mut tape, 0.01)))
    });
    let w = [
        mlp.params[0].value().clone(),
        mlp.params[2].value().clone(),
        mlp.params[4].value().clone(),
    ];
    let x = mlp.x.clone();
    group.bench_function("gemms_alone/784-256-256-10/b128/f32", |b| {
        b.iter(|| black_box(gemms_alone(&x, &w)))
    });
    group.finish();
}

criterion_group!(benches, mlp_sgd);
