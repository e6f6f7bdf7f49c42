//! Every documented way of writing a training loop draws a new dropout mask
//! each step, and the same program draws the same masks, bitwise, on any
//! number of threads: a fresh `Tape::new()` per step takes its seed from the
//! thread's seed stream (`manual_seed`), a reused tape keeps its generator
//! running across `reset`, and inference tapes draw nothing.

use rayon::ThreadPoolBuilder;
use wengert_nn::{Dropout, Linear, Module, Sequential, Tanh};
use wengert_tensor::{manual_seed, seeded_rng, Parameters, Tape, Tensor};

const WIDTH: usize = 64;

/// The mask of one training pass, as the positions dropout kept.
fn mask_of(tape: &Tape<f64>) -> Vec<bool> {
    let y = Dropout::new(0.5)
        .forward(tape, tape.constant(Tensor::ones(&[WIDTH])))
        .unwrap();
    y.value().to_vec().iter().map(|&v| v != 0.0).collect()
}

fn all_distinct(masks: &[Vec<bool>]) -> bool {
    (0..masks.len()).all(|i| (i + 1..masks.len()).all(|j| masks[i] != masks[j]))
}

#[test]
fn a_fresh_tape_per_step_draws_a_new_mask_each_step() {
    manual_seed(11);
    let masks: Vec<_> = (0..6).map(|_| mask_of(&Tape::new())).collect();
    assert!(all_distinct(&masks), "two steps shared a mask");
}

#[test]
fn a_reused_tape_draws_a_new_mask_each_step() {
    let mut tape = Tape::training(11);
    let mut masks = Vec::new();
    for _ in 0..6 {
        tape.reset();
        masks.push(mask_of(&tape));
    }
    assert!(all_distinct(&masks), "two steps shared a mask");
}

#[test]
fn an_explicit_seed_replays_its_mask() {
    // Asking for the same seed is asking for the same mask.
    assert_eq!(mask_of(&Tape::training(3)), mask_of(&Tape::training(3)));
    assert_ne!(mask_of(&Tape::training(3)), mask_of(&Tape::training(4)));
}

#[test]
fn evaluation_between_steps_does_not_change_the_training_masks() {
    manual_seed(5);
    let plain: Vec<_> = (0..4).map(|_| mask_of(&Tape::new())).collect();
    manual_seed(5);
    let with_eval: Vec<_> = (0..4)
        .map(|_| {
            let eval = Tape::inference();
            assert!(mask_of(&eval).iter().all(|&kept| kept), "eval keeps all");
            mask_of(&Tape::new())
        })
        .collect();
    assert_eq!(plain, with_eval);
}

/// Loop styles of a small training run with dropout: a fresh tape per step,
/// or one tape reset each step.
#[derive(Clone, Copy, Debug)]
enum LoopStyle {
    FreshTape,
    ReusedTape,
}

/// Ten SGD steps of a dropout MLP; the final weights, as bits.
fn train(style: LoopStyle) -> Vec<u64> {
    manual_seed(2024);
    let mut rng = seeded_rng(7);
    let mut model = Sequential::<f64>::new()
        .with(Linear::new(8, 300, &mut rng))
        .with(Tanh)
        .with(Dropout::new(0.3))
        .with(Linear::new(300, 1, &mut rng));
    let x = Tensor::randn(&[512, 8], &mut rng); // hidden [512, 300]: above the parallel threshold
    let t = Tensor::randn(&[512, 1], &mut rng);
    let mut reused = Tape::training(2024);
    for _ in 0..10 {
        let fresh;
        let tape = match style {
            LoopStyle::FreshTape => {
                fresh = Tape::new();
                &fresh
            }
            LoopStyle::ReusedTape => {
                reused.reset();
                &reused
            }
        };
        let y = model.forward(tape, tape.constant(x.clone())).unwrap();
        let grads = (y - tape.constant(t.clone())).square().mean().backward();
        model.visit_params_mut(&mut |_, p| {
            let g = grads.get(p).expect("every parameter gets a gradient");
            let v = p.value().sub(&g.mul_scalar(0.05));
            p.set_value(v).unwrap();
        });
    }
    let mut bits = Vec::new();
    model.visit_params(&mut |_, p| bits.extend(p.value().to_vec().iter().map(|v| v.to_bits())));
    bits
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

#[test]
fn same_seed_same_run_bitwise_on_one_or_two_threads_in_both_loop_styles() {
    for style in [LoopStyle::FreshTape, LoopStyle::ReusedTape] {
        let here = train(style);
        assert_eq!(here, train(style), "{style:?}: a rerun differs");
        assert_eq!(
            here,
            in_pool(1, || train(style)),
            "{style:?}: 1 thread differs"
        );
        assert_eq!(
            here,
            in_pool(2, || train(style)),
            "{style:?}: 2 threads differ"
        );
    }
    // The two styles draw from different generators, so they differ.
    assert_ne!(train(LoopStyle::FreshTape), train(LoopStyle::ReusedTape));
}
