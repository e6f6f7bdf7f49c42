//! The adding problem (Hochreiter & Schmidhuber, 1997; as set by Arjovsky,
//! Shah & Bengio, 2016): each of `T` steps carries a value drawn from
//! U[0, 1] and a marker; two steps are marked, one in each half, and the
//! target is the sum of their two values, read from the last hidden state.
//! Always predicting 1 (the target's mean) scores the target's variance,
//! Var(u1 + u2) = 2/12 ~ 0.167: a model that does better carries what it
//! saw at the first marker over up to `T` steps.

use std::time::Instant;

use wengert::optim::clip_grad_norm;
use wengert::prelude::*;
use wengert::rand::Rng;
use wengert::tensor::WengertRng;

use super::recurrent::{CellKind, Recurrent, RecurrentWithHead};
use super::Outcome;

/// What always predicting 1 scores: the variance of the sum of two U[0, 1].
pub const BASELINE_MSE: f64 = 2.0 / 12.0;

/// The test MSE below which the problem counts as solved.
pub const SOLVED_MSE: f64 = 0.01;

/// `n` sequences of length `t`: inputs `[t, n, 2]` (value, marker; time
/// first) and targets `[n, 1]`. The first marker falls in `0..t/2`, the
/// second in `t/2..t`.
pub fn adding_batch(rng: &mut WengertRng, t: usize, n: usize) -> (Tensor<f32>, Tensor<f32>) {
    let mut x = vec![0.0f32; t * n * 2];
    let mut y = vec![0.0f32; n];
    for b in 0..n {
        for step in 0..t {
            x[(step * n + b) * 2] = rng.random::<f32>();
        }
        let first = rng.random_range(0..t / 2);
        let second = rng.random_range(t / 2..t);
        for step in [first, second] {
            x[(step * n + b) * 2 + 1] = 1.0;
            y[b] += x[(step * n + b) * 2];
        }
    }
    (
        Tensor::from_vec(x, &[t, n, 2]),
        Tensor::from_vec(y, &[n, 1]),
    )
}

/// The settings of one adding-problem run.
#[derive(Clone, Copy, Debug)]
pub struct AddingConfig {
    /// Sequence length `T`.
    pub seq_len: usize,
    /// Hidden units.
    pub hidden: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Adam steps.
    pub steps: usize,
    /// The test MSE is measured every this many steps.
    pub eval_every: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Global gradient-norm clip.
    pub clip: f64,
    /// Sequences in the fixed test set.
    pub test_size: usize,
    /// Seeds the weights, the training stream and the test set.
    pub seed: u64,
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct AddingRun {
    /// The layer.
    pub kind: CellKind,
    /// Sequence length `T`.
    pub seq_len: usize,
    /// `(step, test MSE)`, from step 0 (the untrained model).
    pub curve: Vec<(usize, f64)>,
    /// The test MSE after the last step.
    pub final_mse: f64,
    /// The first measured step whose test MSE is below [`SOLVED_MSE`].
    pub steps_to_solved: Option<usize>,
    /// Wall time per training step (test evaluations excluded).
    pub seconds_per_step: f64,
}

/// The model: the layer over the sequence, a linear head on its last
/// hidden state.
fn predict<'t>(
    model: &RecurrentWithHead,
    tape: &'t Tape<f32>,
    x: Var<'t, f32>,
) -> Outcome<Var<'t, f32>> {
    let (_, h_n, _) = model.rnn.run(tape, x, None)?;
    let batch = x.shape()[1];
    let hidden = h_n.shape()[2];
    Ok(model.head.forward(tape, h_n.reshape(&[batch, hidden]))?)
}

/// Mean squared error of the model on a set.
fn test_mse(model: &RecurrentWithHead, x: &Tensor<f32>, y: &Tensor<f32>) -> Outcome<f64> {
    let tape = Tape::inference();
    let pred = predict(model, &tape, tape.constant(x.clone()))?;
    Ok((pred - tape.constant(y.clone())).square().mean().item() as f64)
}

/// Trains `kind` on the adding problem with Adam and global-norm clipping,
/// measuring the test MSE on a fixed set every `eval_every` steps.
pub fn train_adding(kind: CellKind, config: &AddingConfig) -> Outcome<AddingRun> {
    if config.seq_len < 2 {
        return Err(format!(
            "the adding problem needs T >= 2 (a marker in each half), got {}",
            config.seq_len
        )
        .into());
    }
    let mut init_rng = seeded_rng(config.seed);
    // Forget-gate bias 1 (Gers et al., 2000; Jozefowicz et al., 2015): the
    // usual LSTM setting, which keeps the memory open from the first step.
    let rnn = Recurrent::new(kind, 2, config.hidden, Some(1.0), &mut init_rng);
    let head = Linear::new(config.hidden, 1, &mut init_rng);
    let mut model = RecurrentWithHead { rnn, head };
    let mut opt = AdamConfig::new(config.lr).build();
    // The same test set for every model at this T.
    let mut test_rng = seeded_rng(config.seed ^ 0x07e5_75e7);
    let (test_x, test_y) = adding_batch(&mut test_rng, config.seq_len, config.test_size);
    let mut data_rng = seeded_rng(config.seed ^ 0xadd);
    let mut curve = vec![(0, test_mse(&model, &test_x, &test_y)?)];
    let mut training_seconds = 0.0;
    for step in 1..=config.steps {
        let started = Instant::now();
        let (x, y) = adding_batch(&mut data_rng, config.seq_len, config.batch);
        let tape = Tape::new();
        let pred = predict(&model, &tape, tape.constant(x))?;
        let loss = (pred - tape.constant(y)).square().mean();
        let mut grads = loss.backward();
        clip_grad_norm(&mut grads, config.clip)?;
        opt.step(&mut model, &grads);
        training_seconds += started.elapsed().as_secs_f64();
        if step % config.eval_every == 0 || step == config.steps {
            curve.push((step, test_mse(&model, &test_x, &test_y)?));
        }
    }
    let final_mse = curve.last().map_or(f64::NAN, |p| p.1);
    let steps_to_solved = curve
        .iter()
        .find(|&&(_, mse)| mse < SOLVED_MSE)
        .map(|&(step, _)| step);
    Ok(AddingRun {
        kind,
        seq_len: config.seq_len,
        curve,
        final_mse,
        steps_to_solved,
        seconds_per_step: training_seconds / config.steps as f64,
    })
}
