//! `lstm/{what}/{seq}x{batch}x{input}->{hidden}/f32`: a single-layer LSTM
//! over a random sequence (input 32, hidden 128, sequence 50, batch 32),
//! each with the fused cell and the composed one:
//!
//! - `forward_{fused,composed}`: the forward pass on an inference tape;
//! - `train_step_{fused,composed}`: forward, final hidden state ->
//!   Linear(128, 10) -> softmax cross-entropy on random labels, backward
//!   through all 50 steps, and a plain SGD update (lr 0.1) written inline
//!   (wengert-nn does not depend on wengert-optim). The tape is reset and
//!   reused between steps, as a training loop does.
//!
//! Throughput in sequences.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wengert_nn::recurrent::{Lstm, RnnConfig};
use wengert_nn::{Linear, Module};
use wengert_tensor::{seeded_rng, Parameters, Tape, Tensor};

const SEQ: usize = 50;
const BATCH: usize = 32;
const INPUT: usize = 32;
const HIDDEN: usize = 128;
const CLASSES: usize = 10;

/// One training step: forward, cross-entropy of the head on the final
/// hidden state, backward through time, `p -= lr * grad` for every parameter.
/// Returns the loss.
pub fn lstm_training_step(
    tape: &mut Tape<f32>,
    lstm: &mut Lstm<f32>,
    head: &mut Linear<f32>,
    x: &Tensor<f32>,
    labels: &[usize],
    lr: f32,
) -> f32 {
    tape.reset();
    let (loss, grads) = {
        let input = tape.constant(x.clone());
        let (_, state) = lstm
            .forward_with_state(tape, input, None)
            .expect("shapes fit");
        let batch = x.shape()[1];
        let last_h = state.h.reshape(&[batch, lstm.config().hidden_size]);
        let logits = head.forward(tape, last_h).expect("shapes fit");
        let loss = logits.cross_entropy_with_logits(labels);
        (loss.item(), loss.backward())
    };
    let update = |p: &mut wengert_tensor::Param<f32>| {
        if let Some(g) = grads.get(p) {
            let new = p.value().sub(&g.mul_scalar(lr));
            p.set_value(new).expect("same shape");
        }
    };
    lstm.visit_params_mut(&mut |_, p| update(p));
    head.visit_params_mut(&mut |_, p| update(p));
    loss
}

fn lstm(c: &mut Criterion) {
    let mut g = c.benchmark_group("lstm");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    let shape = format!("{SEQ}x{BATCH}x{INPUT}->{HIDDEN}/f32");
    let labels: Vec<usize> = (0..BATCH).map(|i| (i * 7) % CLASSES).collect();
    for fused in [true, false] {
        let cell = if fused { "fused" } else { "composed" };
        let mut rng = seeded_rng(0);
        let mut lstm = Lstm::<f32>::new(RnnConfig::new(INPUT, HIDDEN).with_fused(fused), &mut rng);
        let mut head = Linear::<f32>::new(HIDDEN, CLASSES, &mut rng);
        let x = Tensor::<f32>::randn(&[SEQ, BATCH, INPUT], &mut rng);
        g.bench_function(BenchmarkId::new(format!("forward_{cell}"), &shape), |b| {
            b.iter(|| {
                let tape = Tape::inference();
                black_box(
                    lstm.forward(&tape, tape.constant(x.clone()))
                        .unwrap()
                        .value(),
                );
            })
        });
        let mut tape = Tape::training(0);
        g.bench_function(
            BenchmarkId::new(format!("train_step_{cell}"), &shape),
            |b| {
                b.iter(|| {
                    black_box(lstm_training_step(
                        &mut tape, &mut lstm, &mut head, &x, &labels, 0.1,
                    ))
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, lstm);
