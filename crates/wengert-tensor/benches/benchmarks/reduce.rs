//! `reduce/{sum,softmax,log_softmax}/1024x1024/f32`: reductions over the last
//! axis of a 1024 x 1024 tensor. Throughput in bytes read.

use criterion::{criterion_group, Criterion, Throughput};
use std::hint::black_box;
use wengert_tensor::{seeded_rng, Tensor};

fn reduce(c: &mut Criterion) {
    let mut group = c.benchmark_group("reduce");
    let x = Tensor::<f32>::randn(&[1024, 1024], &mut seeded_rng(1));
    group.throughput(Throughput::Bytes((1024 * 1024 * 4) as u64));
    group.bench_function("sum/1024x1024/f32", |b| {
        b.iter(|| black_box(x.sum_axes(&[1], false)))
    });
    group.bench_function("softmax/1024x1024/f32", |b| {
        b.iter(|| black_box(x.softmax(1)))
    });
    group.bench_function("log_softmax/1024x1024/f32", |b| {
        b.iter(|| black_box(x.log_softmax(1)))
    });
    group.finish();
}

criterion_group!(benches, reduce);
