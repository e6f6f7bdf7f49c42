//! The training-step workloads (`mlp`, `lstm`, `gru`, `cnn`): forward, backward and
//! Adam, each step timed whole and split into those three phases.
//!
//! Each step is a named function kept out of line, so it is one frame of
//! its own in a profile. (Work handed to rayon's pool runs on a worker
//! thread, outside that frame: callgrind's `--toggle-collect` on it would
//! miss that work.)

use wengert::nn::conv::{BatchNorm2d, Conv2d, Conv2dConfig, Flatten, MaxPool2d};
use wengert::nn::recurrent::{Gru, Lstm, RnnConfig};
use wengert::optim::{Adam, AdamConfig, Optimizer};
use wengert::prelude::*;
use wengert::rand::Rng;

use crate::timing::{median, time_phases, Laps, Protocol, StepTimes};
use crate::workloads::Mlp;
use crate::Settings;

/// Prints one step workload's JSON line: the whole-step fields bench_report
/// always printed (`median_ms`, `min_ms`, `iters`), then `extra`, then the
/// medians of the phases and the first and last losses (as `bench.py`
/// prints them, to see that both sides train).
fn report(workload: &str, settings: &Settings, times: &StepTimes, losses: &[f32], extra: &str) {
    let ms = |v: &[f64]| median(v) * 1e3;
    println!(
        "{{\"lib\":\"wengert\",\"workload\":\"{workload}\",\"threads\":{},\"median_ms\":{:.3},\"min_ms\":{:.3},\"iters\":{}{extra},\"forward_ms\":{:.3},\"backward_ms\":{:.3},\"optimizer_ms\":{:.3},\"loss_first\":{},\"loss_last\":{}}}",
        settings.threads,
        ms(&times.step),
        times.step[0] * 1e3,
        times.step.len(),
        ms(&times.forward),
        ms(&times.backward),
        ms(&times.optimizer),
        losses[0],
        losses[losses.len() - 1],
    );
}

/// The Adam of every step workload: PyTorch's defaults, as `bench.py`.
pub fn adam() -> Adam<f32> {
    AdamConfig::new(1e-3)
        .betas(0.9, 0.999)
        .eps(1e-8)
        .build::<f32>()
}

/// One MLP step (the MLP of the shared workloads: 784-256-256-10, batch
/// 128) with Adam; returns the loss.
#[inline(never)]
fn mlp_step(mlp: &mut Mlp, tape: &mut Tape<f32>, adam: &mut Adam<f32>, laps: &mut Laps) -> f32 {
    tape.reset();
    let (loss, grads) = {
        // The forward of `Mlp::loss_and_grads`, which runs the backward
        // right after it, so the two cannot be timed apart there.
        let mut h = tape.constant(mlp.x.clone());
        let n = mlp.params.len() / 2;
        for l in 0..n {
            let w = tape.param(&mlp.params[2 * l]);
            let b = tape.param(&mlp.params[2 * l + 1]);
            h = h.matmul(w) + b;
            if l + 1 < n {
                h = h.relu();
            }
        }
        let loss = h.cross_entropy_with_logits(&mlp.labels);
        laps.mark();
        let grads = loss.backward();
        laps.mark();
        (loss.item(), grads)
    };
    let mut params: Vec<&mut Param<f32>> = mlp.params.iter_mut().collect();
    adam.step(&mut params, &grads);
    loss
}

/// `mlp`: the MLP step with Adam (lr 1e-3), as `bench.py --workload mlp`.
pub fn mlp(settings: &Settings) {
    let mut mlp = Mlp::new();
    let mut adam = adam();
    let mut tape = Tape::training(0);
    let mut losses = Vec::new();
    let times = time_phases(settings.protocol(Protocol::fixed(5, 50)), |laps| {
        losses.push(mlp_step(&mut mlp, &mut tape, &mut adam, laps));
    });
    report("mlp", settings, &times, &losses, "");
}

/// The recurrent layer of the `lstm` and `gru` workloads.
enum Recurrent {
    Lstm(Lstm<f32>),
    Gru(Gru<f32>),
}

impl Recurrent {
    /// The workload's layer (input 32, hidden 128), fused or composed.
    fn new(gru: bool, fused: bool, rng: &mut impl Rng) -> Self {
        let config = RnnConfig::new(32, 128).with_fused(fused);
        if gru {
            Recurrent::Gru(Gru::new(config, rng))
        } else {
            Recurrent::Lstm(Lstm::new(config, rng))
        }
    }

    /// The last hidden state `[32, 128]` after the whole sequence.
    fn last_h<'t>(&self, tape: &'t Tape<f32>, x: Var<'t, f32>) -> Var<'t, f32> {
        let h_n = match self {
            Recurrent::Lstm(lstm) => {
                lstm.forward_with_state(tape, x, None)
                    .expect("shapes fit")
                    .1
                    .h
            }
            Recurrent::Gru(gru) => gru.forward_with_state(tape, x, None).expect("shapes fit").1,
        };
        h_n.reshape(&[32, 128])
    }
}

impl Parameters<f32> for Recurrent {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f32>)) {
        match self {
            Recurrent::Lstm(l) => l.visit_params(f),
            Recurrent::Gru(g) => g.visit_params(f),
        }
    }

    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f32>)) {
        match self {
            Recurrent::Lstm(l) => l.visit_params_mut(f),
            Recurrent::Gru(g) => g.visit_params_mut(f),
        }
    }
}

/// The recurrent workloads' model, data and optimizer.
struct RecurrentRun {
    layer: Recurrent,
    head: Linear<f32>,
    x: Tensor<f32>,
    labels: Vec<usize>,
    adam: Adam<f32>,
}

/// One recurrent step: last hidden state -> Linear(128, 10) ->
/// cross-entropy, backward through all 50 steps, Adam; returns the loss.
#[inline(never)]
fn recurrent_step(run: &mut RecurrentRun, tape: &mut Tape<f32>, laps: &mut Laps) -> f32 {
    tape.reset();
    let (loss, grads) = {
        let input = tape.constant(run.x.clone());
        let last_h = run.layer.last_h(tape, input);
        let logits = run.head.forward(tape, last_h).expect("shapes fit");
        let loss = logits.cross_entropy_with_logits(&run.labels);
        laps.mark();
        let grads = loss.backward();
        laps.mark();
        (loss.item(), grads)
    };
    run.adam.step(&mut (&mut run.layer, &mut run.head), &grads);
    loss
}

/// `lstm` (`gru` false) or `gru`: one training step of the layer (input
/// 32, hidden 128, sequence 50, batch 32), Adam (lr 1e-3), for each cell
/// of `fused` (the fused sequence node for `true`, the cell composed of
/// tape ops for `false`). The GRU has the LSTM's shapes; `bench.py` has
/// no GRU, so it is wengert's alone.
pub fn recurrent(settings: &Settings, gru: bool, fused: &[bool]) {
    for &fused in fused {
        let mut rng = seeded_rng(5);
        let layer = Recurrent::new(gru, fused, &mut rng);
        let head = Linear::<f32>::new(128, 10, &mut rng);
        let x = Tensor::<f32>::randn(&[50, 32, 32], &mut rng);
        let labels: Vec<usize> = (0..32).map(|i| (i * 3) % 10).collect();
        let mut run = RecurrentRun {
            layer,
            head,
            x,
            labels,
            adam: adam(),
        };
        let mut tape = Tape::training(0);
        let mut losses = Vec::new();
        let times = time_phases(settings.protocol(Protocol::fixed(2, 20)), |laps| {
            losses.push(recurrent_step(&mut run, &mut tape, laps));
        });
        let extra = format!(",\"cell\":\"{}\"", if fused { "fused" } else { "composed" });
        report(
            if gru { "gru" } else { "lstm" },
            settings,
            &times,
            &losses,
            &extra,
        );
    }
}

/// `bench.py`'s `cnn`: `conv3x3(1->32, pad 1)-BN-ReLU-maxpool2,
/// conv3x3(32->64, pad 1)-BN-ReLU-maxpool2, flatten, Linear(3136->128)-ReLU,
/// Linear(128->10)`, PyTorch's default initialisation (wengert's layers
/// default to it). The same model as `benches/src/cnn.rs`, whose crate
/// the root examples do not depend on.
pub fn cnn_model(rng: &mut impl Rng) -> Sequential<f32> {
    let conv = |c_in, c_out, rng: &mut _| -> Conv2d<f32> {
        Conv2dConfig::new(c_in, c_out, 3)
            .with_padding(1)
            .build(rng)
            .expect("a 3x3 convolution with padding 1 is a valid configuration")
    };
    Sequential::new()
        .with(conv(1, 32, rng))
        .with(BatchNorm2d::new(32))
        .with(ReLU)
        .with(MaxPool2d::new(2))
        .with(conv(32, 64, rng))
        .with(BatchNorm2d::new(64))
        .with(ReLU)
        .with(MaxPool2d::new(2))
        .with(Flatten)
        // 64 channels of 7x7 after two poolings of 28x28.
        .with(Linear::new(64 * 7 * 7, 128, rng))
        .with(ReLU)
        .with(Linear::new(128, 10, rng))
}

/// One CNN step on a training tape (batch norm on batch statistics);
/// returns the loss.
#[inline(never)]
fn cnn_step(
    model: &mut Sequential<f32>,
    x: &Tensor<f32>,
    labels: &[usize],
    adam: &mut Adam<f32>,
    tape: &mut Tape<f32>,
    laps: &mut Laps,
) -> f32 {
    tape.reset();
    let (loss, grads) = {
        let logits = model
            .forward(tape, tape.constant(x.clone()))
            .expect("shapes fit");
        let loss = logits.cross_entropy_with_logits(labels);
        laps.mark();
        let grads = loss.backward();
        laps.mark();
        (loss.item(), grads)
    };
    adam.step(model, &grads);
    loss
}

/// `cnn`: the CNN step of `bench.py --workload cnn`, batch 64 of 1x28x28
/// standard-normal images with uniform labels, cross-entropy, Adam (lr
/// 1e-3), timed with its protocol: one step, 5 warm-up steps, then at least
/// 20 steps and 2 s.
pub fn cnn(settings: &Settings) {
    let mut rng = seeded_rng(0);
    let mut model = cnn_model(&mut rng);
    let x = Tensor::<f32>::randn(&[64, 1, 28, 28], &mut rng);
    let labels: Vec<usize> = (0..64).map(|_| rng.random_range(0..10)).collect();
    let mut adam = adam();
    let mut tape = Tape::training(0);
    let mut losses = Vec::new();
    let protocol = Protocol {
        warmup: 1 + 5,
        min_iters: 20,
        min_secs: 2.0,
        max_iters: 5000,
    };
    let times = time_phases(settings.protocol(protocol), |laps| {
        losses.push(cnn_step(
            &mut model, &x, &labels, &mut adam, &mut tape, laps,
        ));
    });
    report("cnn", settings, &times, &losses, "");
}
