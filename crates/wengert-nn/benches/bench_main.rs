//! Criterion benches of wengert-nn, one module per family.
//!
//! Run all: `cargo bench -p wengert-nn`; one family:
//! `cargo bench -p wengert-nn -- layers`. Inputs are deterministic (seeded).
//! Ids read `family/what/shape/dtype`.

use criterion::criterion_main;

mod benchmarks;

criterion_main!(
    benchmarks::layers::benches,
    benchmarks::lstm::benches,
    benchmarks::conv::benches,
    benchmarks::losses::benches,
    benchmarks::weights::benches,
);
