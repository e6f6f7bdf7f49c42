//! Benchmarks of wengert-optim: `cargo bench -p wengert-optim`.
//!
//! - `update/*`: one optimizer update alone on the parameters of a
//!   784-256-256-10 MLP (269,322 values), throughput in bytes moved, which
//!   should approach memory bandwidth.
//! - `mlp/*`: one whole training step of that MLP (forward, backward, Adam).

mod benchmarks;

criterion::criterion_main!(benchmarks::update::benches, benchmarks::mlp_step::benches);
