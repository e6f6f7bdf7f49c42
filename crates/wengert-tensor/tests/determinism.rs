//! Same inputs, same bits, on 1 thread or 2: reductions combine fixed chunks
//! in a fixed order, and element-wise work is position-independent.
//!
//! Sizes are above the parallel threshold so the rayon paths really run.
//! Matrix products large enough are split over the output (never the inner
//! sum) between the pool's threads, so they are deterministic too
//! (`matmul_split.rs` checks each kind of split).

use rayon::ThreadPoolBuilder;
use wengert_tensor::{seeded_rng, Param, Tape, Tensor};

fn bits(t: &Tensor<f32>) -> Vec<u32> {
    t.values().iter().map(|x| x.to_bits()).collect()
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

/// Kernels alone: a big sum, a reduction over an axis, softmax, exp, a
/// broadcast add.
fn kernels() -> Vec<Vec<u32>> {
    let x = Tensor::<f32>::randn(&[1024, 1000], &mut seeded_rng(1));
    let row = Tensor::<f32>::randn(&[1000], &mut seeded_rng(2));
    vec![
        bits(&x.sum()),
        bits(&x.sum_axes(&[0], false)),
        bits(&x.softmax(1)),
        bits(&x.exp()),
        bits(&x.add(&row)),
        bits(&x.log_softmax(0)),
    ]
}

/// A full forward and backward of a small MLP built from tensor ops.
fn network_step() -> Vec<Vec<u32>> {
    let mut rng = seeded_rng(3);
    let w1 = Param::new(
        "w1",
        Tensor::<f32>::randn(&[300, 256], &mut rng).mul_scalar(0.05),
    );
    let b1 = Param::new("b1", Tensor::<f32>::zeros(&[256]));
    let w2 = Param::new(
        "w2",
        Tensor::<f32>::randn(&[256, 10], &mut rng).mul_scalar(0.05),
    );
    let x = Tensor::<f32>::randn(&[600, 300], &mut rng); // hidden [600, 256]: above the parallel threshold
    let labels: Vec<usize> = (0..600).map(|i| i % 10).collect();
    let tape = Tape::new();
    let h = (tape.constant(x).matmul(tape.param(&w1)) + tape.param(&b1)).tanh();
    let logits = h.matmul(tape.param(&w2));
    let loss = -(logits.log_softmax(1).gather(1, &labels).mean());
    let grads = loss.backward();
    let mut out = vec![bits(&loss.value())];
    for p in [&w1, &b1, &w2] {
        out.push(bits(grads.get(p).unwrap()));
    }
    out
}

#[test]
fn kernels_are_bitwise_identical_on_one_and_two_threads() {
    let one = in_pool(1, kernels);
    let two = in_pool(2, kernels);
    assert_eq!(one, two);
}

#[test]
fn a_network_step_is_bitwise_identical_on_one_and_two_threads() {
    let one = in_pool(1, network_step);
    let two = in_pool(2, network_step);
    assert_eq!(one.len(), 4);
    assert_eq!(one, two);
}
