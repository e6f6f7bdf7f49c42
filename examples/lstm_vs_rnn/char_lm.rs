//! The text's character-level language model on *The Time Machine*: one
//! recurrent layer over one-hot characters, a linear head to the
//! vocabulary at every step, softmax cross-entropy on the next character,
//! SGD with global-norm clipping, perplexity per epoch (the exponential of
//! the mean cross-entropy over the epoch's training tokens, as the text
//! reports it), and greedy generation from a prefix.

use std::time::Instant;

use wengert::data::text::{CharVocab, SamplingStrategy, SequenceBatch, SequenceSampler};
use wengert::optim::clip_grad_norm;
use wengert::prelude::*;

use super::recurrent::{CarriedState, CellKind, Recurrent, RecurrentWithHead};
use super::Outcome;

/// The text's settings of one language-model run.
#[derive(Clone, Copy, Debug)]
pub struct LmConfig {
    /// Hidden units.
    pub hidden: usize,
    /// Window length (BPTT truncation).
    pub num_steps: usize,
    /// Windows per minibatch.
    pub batch: usize,
    /// SGD learning rate.
    pub lr: f64,
    /// Global gradient-norm clip.
    pub clip: f64,
    /// Epochs.
    pub epochs: usize,
    /// Seeds the weights and the sampler.
    pub seed: u64,
}

/// A character model: a recurrent layer and a head from its hidden state
/// to logits over the vocabulary.
#[derive(Clone, Debug)]
pub struct CharModel {
    /// The layer and its head.
    pub net: RecurrentWithHead,
    /// Vocabulary size (input and output width).
    pub vocab_size: usize,
}

impl CharModel {
    /// A fresh model of `kind`, PyTorch's initialisation throughout (the
    /// text's concise models).
    pub fn new(kind: CellKind, vocab_size: usize, hidden: usize, seed: u64) -> Self {
        let mut rng = seeded_rng(seed);
        let rnn = Recurrent::new(kind, vocab_size, hidden, None, &mut rng);
        let head = Linear::new(hidden, vocab_size, &mut rng);
        CharModel {
            net: RecurrentWithHead { rnn, head },
            vocab_size,
        }
    }

    /// Logits `[T*B, V]` (time first, as
    /// [`SequenceBatch::targets_time_major`]) for one-hot inputs
    /// `[T, B, V]` from `state`, and the final state detached.
    pub fn forward<'t>(
        &self,
        tape: &'t Tape<f32>,
        one_hot: Tensor<f32>,
        state: Option<&CarriedState>,
    ) -> Outcome<(Var<'t, f32>, CarriedState)> {
        let (t, b) = (one_hot.shape()[0], one_hot.shape()[1]);
        let (out, _, carried) = self.net.rnn.run(tape, tape.constant(one_hot), state)?;
        let hidden = out.shape()[2];
        let logits = self.net.head.forward(tape, out.reshape(&[t * b, hidden]))?;
        Ok((logits, carried))
    }

    /// One SGD step on `batch` from `state`: the batch's mean
    /// cross-entropy and its final state (computed before the step, as
    /// the text's loop keeps it).
    pub fn train_batch(
        &mut self,
        opt: &mut dyn Optimizer<f32>,
        batch: &SequenceBatch,
        state: Option<&CarriedState>,
        clip: f64,
    ) -> Outcome<(f64, CarriedState)> {
        let tape = Tape::new();
        let (logits, carried) =
            self.forward(&tape, batch.inputs_one_hot(self.vocab_size), state)?;
        let loss = logits.cross_entropy_with_logits(&batch.targets_time_major());
        let value = loss.item() as f64;
        let mut grads = loss.backward();
        clip_grad_norm(&mut grads, clip)?;
        opt.step(&mut self.net, &grads);
        Ok((value, carried))
    }

    /// `prefix` followed by `n` characters, each the most likely next one
    /// (the text's greedy `predict`): the prefix warms the state up, then
    /// every prediction is fed back in.
    pub fn generate(&self, vocab: &CharVocab, prefix: &str, n: usize) -> Outcome<String> {
        let tokens = vocab.encode(prefix);
        if tokens.is_empty() {
            return Err("generation needs a prefix of at least one character".into());
        }
        let one_hot = |tokens: &[usize]| {
            let batch = SequenceBatch {
                inputs: tokens.to_vec(),
                targets: tokens.to_vec(),
                batch_size: 1,
                num_steps: tokens.len(),
            };
            batch.inputs_one_hot::<f32>(self.vocab_size)
        };
        let mut text = prefix.to_string();
        let tape = Tape::inference();
        let (logits, mut state) = self.forward(&tape, one_hot(&tokens), None)?;
        let mut next = last_argmax(&logits.value());
        for k in 0..n {
            text.push_str(&vocab.decode(&[next]));
            if k + 1 < n {
                let tape = Tape::inference();
                let (logits, carried) = self.forward(&tape, one_hot(&[next]), Some(&state))?;
                state = carried;
                next = last_argmax(&logits.value());
            }
        }
        Ok(text)
    }
}

/// The most likely class in the last row of logits `[N, V]`.
fn last_argmax(logits: &Tensor<f32>) -> usize {
    let v = logits.shape()[1];
    let values = logits.values();
    let last = &values[values.len() - v..];
    (0..v)
        .max_by(|&a, &b| last[a].total_cmp(&last[b]))
        .expect("a vocabulary of at least one entry")
}

/// The perplexity of the corpus's own character frequencies: what a model
/// that ignores all context scores at best on the training text.
pub fn unigram_perplexity(tokens: &[usize], vocab_size: usize) -> f64 {
    let mut counts = vec![0usize; vocab_size];
    for &t in tokens {
        counts[t] += 1;
    }
    let n = tokens.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum();
    entropy.exp()
}

/// What one language-model run measured.
#[derive(Clone, Debug)]
pub struct LmRun {
    /// The layer.
    pub kind: CellKind,
    /// How windows were drawn.
    pub strategy: SamplingStrategy,
    /// Training perplexity of every epoch.
    pub perplexities: Vec<f64>,
    /// Wall time per epoch.
    pub seconds_per_epoch: f64,
    /// The trained model.
    pub model: CharModel,
}

/// Trains a fresh model of `kind` for `config.epochs` on `tokens`. With
/// random sampling every batch starts from a zero state; with consecutive
/// sampling each batch starts from the previous batch's final state,
/// detached (zeros at the start of an epoch), as the text's
/// `train_epoch_ch8` does.
pub fn train_lm(
    kind: CellKind,
    strategy: SamplingStrategy,
    tokens: &[usize],
    vocab_size: usize,
    config: &LmConfig,
) -> Outcome<LmRun> {
    let mut model = CharModel::new(kind, vocab_size, config.hidden, config.seed);
    let sampler = SequenceSampler::try_new(
        tokens.to_vec(),
        config.batch,
        config.num_steps,
        strategy,
        config.seed,
    )?;
    let mut opt = SgdConfig::new(config.lr).build();
    let mut perplexities = Vec::with_capacity(config.epochs);
    let started = Instant::now();
    for epoch in 0..config.epochs {
        let mut state: Option<CarriedState> = None;
        let (mut loss_sum, mut batches) = (0.0, 0usize);
        for batch in sampler.epoch(epoch as u64) {
            let from = match strategy {
                SamplingStrategy::Random => None,
                SamplingStrategy::Sequential => state.as_ref(),
            };
            let (loss, carried) = model.train_batch(&mut opt, &batch, from, config.clip)?;
            state = Some(carried);
            loss_sum += loss;
            batches += 1;
        }
        if batches == 0 {
            return Err(format!(
                "the text ({} tokens) is too short for one batch of {} windows of {}",
                tokens.len(),
                config.batch,
                config.num_steps
            )
            .into());
        }
        // Every batch has the same number of tokens, so the mean of the
        // batch means is the mean over the epoch's tokens.
        perplexities.push((loss_sum / batches as f64).exp());
    }
    Ok(LmRun {
        kind,
        strategy,
        perplexities,
        seconds_per_epoch: started.elapsed().as_secs_f64() / config.epochs.max(1) as f64,
        model,
    })
}
