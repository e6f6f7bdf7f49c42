//! Criterion benches of wengert-tensor, one module per family.
//!
//! Run all: `cargo bench -p wengert-tensor`; one family:
//! `cargo bench -p wengert-tensor -- gemm`. Inputs are deterministic (seeded).
//! Thread count: rayon's default (all cores), over which wengert's kernels
//! split large products and element-wise work; set `RAYON_NUM_THREADS=1`
//! for single-threaded numbers.

use criterion::criterion_main;

mod benchmarks;
mod workloads;

criterion_main!(
    benchmarks::gemm::benches,
    benchmarks::elementwise::benches,
    benchmarks::reduce::benches,
    benchmarks::tape::benches,
    benchmarks::mlp_sgd::benches,
);
