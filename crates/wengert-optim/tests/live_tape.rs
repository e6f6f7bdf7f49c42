//! Stepping while the tape that computed the gradients is still alive (the
//! usual loop: `let grads = loss.backward(); opt.step(&mut model, &grads);`
//! with the tape dropped at the end of the loop body). The tape shares the
//! parameters' storage; the step must leave the tape's values as its graph
//! used them, and give bitwise the parameters a step without a tape gives.
//! Without a tape, the step must update the parameters in place.
//! For every optimizer and setting, in f32 and f64, over several steps (so
//! first-step paths, like momentum's `b = g`, and later ones both run).

mod common;
#[path = "common/configs.rs"]
mod configs;

use common::{bits, quadratic_grads, quadratic_model};
use configs::all_optimizers;
use wengert_tensor::{Float, Grads, Param, Tape, Tensor, Var};

const STEPS: usize = 3;

/// Two weights large enough for heap storage and a bias small enough to be
/// kept inline.
fn model<T: Float>() -> (Vec<Param<T>>, Vec<Tensor<T>>) {
    quadratic_model(21, &[&[6, 5], &[40], &[3]])
}

fn data_ptr<T: Float>(t: &Tensor<T>) -> *const T {
    t.as_slice().expect("parameters are contiguous").as_ptr()
}

/// f = sum(a * x^2 + x), g = 2 a x + 1, without a tape.
fn grads_without_tape<T: Float>(params: &[Param<T>], scales: &[Tensor<T>]) -> Grads<T> {
    quadratic_grads(params, scales, 1.0)
}

/// The same f on `tape`: the parameters' leaves and the gradients.
fn backward<'t, T: Float>(
    tape: &'t Tape<T>,
    params: &[Param<T>],
    scales: &[Tensor<T>],
) -> (Vec<Var<'t, T>>, Grads<T>) {
    let leaves: Vec<_> = params.iter().map(|p| tape.param(p)).collect();
    let mut loss = tape.scalar(T::zero());
    for (&x, a) in leaves.iter().zip(scales) {
        loss = loss + (tape.constant(a.clone()) * x * x + x).sum();
    }
    let grads = loss.backward();
    (leaves, grads)
}

fn live_tape_step_keeps_the_tape_and_matches<T: Float>() {
    for (name, make) in all_optimizers::<T>() {
        let (mut taped, scales) = model::<T>();
        let (mut plain, _) = model::<T>();
        let (mut with_tape, mut without) = (make(), make());
        for step in 0..STEPS {
            // The loop as users write it: backward, then step, tape alive.
            let tape = Tape::new();
            let (leaves, grads) = backward(&tape, &taped, &scales);
            let seen: Vec<Vec<u64>> = leaves.iter().map(|v| bits(&v.value())).collect();
            let mut refs: Vec<&mut Param<T>> = taped.iter_mut().collect();
            with_tape.step(&mut refs, &grads);
            for ((leaf, seen), p) in leaves.iter().zip(&seen).zip(&taped) {
                assert_eq!(
                    &bits(&leaf.value()),
                    seen,
                    "{name} ({}), step {step}: the step changed the tape's value of `{}`",
                    T::DTYPE,
                    p.name()
                );
                assert_ne!(
                    bits(p.value()),
                    *seen,
                    "{name}: `{}` did not move",
                    p.name()
                );
            }
            drop(tape);

            // The same gradients, with the tape dropped before the step.
            let grads = backward(&Tape::new(), &plain, &scales).1;
            let mut refs: Vec<&mut Param<T>> = plain.iter_mut().collect();
            without.step(&mut refs, &grads);
            for (a, b) in taped.iter().zip(&plain) {
                assert_eq!(
                    bits(a.value()),
                    bits(b.value()),
                    "{name} ({}), step {step}: `{}` differs with and without a live tape",
                    T::DTYPE,
                    a.name()
                );
            }
        }
    }
}

#[test]
fn a_step_with_a_live_tape_keeps_the_tapes_values_and_matches_the_step_without() {
    live_tape_step_keeps_the_tape_and_matches::<f64>();
    live_tape_step_keeps_the_tape_and_matches::<f32>();
}

#[test]
fn a_step_without_a_tape_updates_the_parameters_in_place() {
    for (name, make) in all_optimizers::<f32>() {
        let (mut params, scales) = model::<f32>();
        let mut opt = make();
        for step in 0..STEPS {
            let before: Vec<_> = params.iter().map(|p| data_ptr(p.value())).collect();
            let grads = grads_without_tape(&params, &scales);
            let mut refs: Vec<&mut Param<f32>> = params.iter_mut().collect();
            opt.step(&mut refs, &grads);
            for (p, before) in params.iter().zip(before) {
                assert_eq!(
                    data_ptr(p.value()),
                    before,
                    "{name}, step {step}: `{}` was moved to new storage with nothing sharing it",
                    p.name()
                );
            }
        }
    }
}

#[test]
fn a_step_with_a_live_tape_writes_new_storage_and_the_tape_keeps_the_old() {
    let (mut params, scales) = model::<f64>();
    let mut opt = configs::all_optimizers::<f64>()
        .into_iter()
        .find(|(name, _)| *name == "adam")
        .map(|(_, make)| make())
        .unwrap();
    let tape = Tape::new();
    let leaf = tape.param(&params[0]);
    let shared = data_ptr(&leaf.value());
    assert_eq!(
        data_ptr(params[0].value()),
        shared,
        "the tape shares storage"
    );
    let grads = grads_without_tape(&params, &scales);
    let mut refs: Vec<&mut Param<f64>> = params.iter_mut().collect();
    opt.step(&mut refs, &grads);
    assert_eq!(
        data_ptr(&leaf.value()),
        shared,
        "the tape's storage was replaced"
    );
    assert_ne!(
        data_ptr(params[0].value()),
        shared,
        "the step wrote the shared storage"
    );
}
