//! `weights/{save|load}/mlp_784x64x10/f32`: writing (atomic: temp file,
//! fsync, rename) and reading a safetensors file of the golden MLP's shape.
//! Throughput in bytes of the file.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use wengert_nn::{load_weights, save_weights, BatchNorm1d, Dropout, Linear, ReLU, Sequential};
use wengert_tensor::seeded_rng;

fn weights(c: &mut Criterion) {
    let mlp = || {
        Sequential::<f32>::new()
            .with(Linear::new(784, 64, &mut seeded_rng(1)))
            .with(BatchNorm1d::new(64))
            .with(ReLU)
            .with(Dropout::new(0.5))
            .with(Linear::new(64, 10, &mut seeded_rng(2)))
    };
    let model = mlp();
    let dir = std::env::temp_dir().join(format!("wengert-nn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mlp.safetensors");
    save_weights(&model, &path).unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut g = c.benchmark_group("weights");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("save", "mlp_784x64x10/f32"), |b| {
        b.iter(|| save_weights(&model, &path).unwrap())
    });
    let mut target = mlp();
    g.bench_function(BenchmarkId::new("load", "mlp_784x64x10/f32"), |b| {
        b.iter(|| load_weights(&mut target, &path).unwrap())
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, weights);
