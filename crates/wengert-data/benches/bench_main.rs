//! Benches of wengert-data. Run with `cargo bench -p wengert-data`.

use criterion::{criterion_group, criterion_main};

mod benchmarks;

criterion_group!(benches, benchmarks::loader::bench_loader);
criterion_main!(benches);
