//! Benchmarks of wengert-optim: `cargo bench -p wengert-optim`.
//!
//! - `update/*`: one optimizer update alone on the parameters of a
//!   784-256-256-10 MLP (269,322 values), throughput in bytes moved, which
//!   should approach memory bandwidth.
//! - `live_tape/*`: one Adam or SGD-momentum step on a 784x256 parameter,
//!   in place, with a live tape holding it (fresh buffer), and the copy on
//!   write that a live tape used to cost, side by side.
//! - `mlp/*`: one whole training step of that MLP (forward, backward, Adam).

mod benchmarks;

criterion::criterion_main!(
    benchmarks::update::benches,
    benchmarks::live_tape::benches,
    benchmarks::mlp_step::benches
);
