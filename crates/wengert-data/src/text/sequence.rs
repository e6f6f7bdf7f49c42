//! Minibatches of token windows for language models, the text's two
//! sampling schemes.
//!
//! Both start at a random offset (so every epoch sees different window
//! boundaries) and pair each input window `x[t .. t+T]` with its target, the
//! same window shifted by one token `x[t+1 .. t+T+1]`.
//!
//! - **Random**: the stream is cut into non-overlapping windows, shuffled;
//!   each batch takes `batch_size` of them. Neighbouring windows in a batch
//!   are unrelated, so a model resets its state every batch.
//! - **Sequential** (consecutive): the stream is split into `batch_size`
//!   rows; batch `k` takes columns `k*T .. (k+1)*T` of every row, so row `b`
//!   of batch `k+1` continues row `b` of batch `k` and a recurrent model may
//!   carry its hidden state across batches (detached).

use rand::seq::SliceRandom;
use rand::Rng;
use wengert_tensor::{Float, Tensor};

use crate::error::{or_panic, DataError, Result};
use crate::seeding::{derived_rng, PURPOSE_SEQUENCE};

/// How windows are drawn; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingStrategy {
    /// Shuffled, non-overlapping windows.
    Random,
    /// Consecutive batches continue each other row by row.
    Sequential,
}

/// One minibatch of windows: `inputs` and `targets` are `[batch_size,
/// num_steps]`, row-major, and `targets[b][t] == ` the token after
/// `inputs[b][t]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceBatch {
    /// Input tokens, `batch_size * num_steps`, row-major.
    pub inputs: Vec<usize>,
    /// Target tokens (inputs shifted by one), same layout.
    pub targets: Vec<usize>,
    /// Rows.
    pub batch_size: usize,
    /// Window length `T`.
    pub num_steps: usize,
}

impl SequenceBatch {
    /// Input row `b` (one window).
    pub fn input_row(&self, b: usize) -> &[usize] {
        &self.inputs[b * self.num_steps..(b + 1) * self.num_steps]
    }

    /// Target row `b`.
    pub fn target_row(&self, b: usize) -> &[usize] {
        &self.targets[b * self.num_steps..(b + 1) * self.num_steps]
    }

    /// The inputs one-hot encoded, time first: `[num_steps, batch_size,
    /// vocab_size]`, the layout a recurrent layer steps through.
    #[track_caller]
    pub fn inputs_one_hot<T: Float>(&self, vocab_size: usize) -> Tensor<T> {
        let (b, t) = (self.batch_size, self.num_steps);
        let mut data = vec![T::zero(); t * b * vocab_size];
        for row in 0..b {
            for step in 0..t {
                let token = self.inputs[row * t + step];
                assert!(
                    token < vocab_size,
                    "SequenceBatch::inputs_one_hot: token {token} is not below the vocabulary size {vocab_size}"
                );
                data[(step * b + row) * vocab_size + token] = T::one();
            }
        }
        Tensor::from_vec(data, &[t, b, vocab_size])
    }

    /// The targets time first, `[num_steps * batch_size]` in the order of
    /// the rows of [`inputs_one_hot`](Self::inputs_one_hot) flattened over
    /// its first two axes, as a loss over all steps wants them.
    pub fn targets_time_major(&self) -> Vec<usize> {
        let (b, t) = (self.batch_size, self.num_steps);
        (0..t)
            .flat_map(|step| (0..b).map(move |row| self.targets[row * t + step]))
            .collect()
    }
}

/// Cuts a token stream into minibatches of windows, seeded per epoch.
///
/// ```
/// use wengert_data::text::{SamplingStrategy, SequenceSampler};
///
/// let tokens: Vec<usize> = (0..35).collect();
/// let sampler = SequenceSampler::new(tokens, 2, 5, SamplingStrategy::Sequential, 0);
/// let batches = sampler.epoch(0);
/// for batch in &batches {
///     for b in 0..2 {
///         let x = batch.input_row(b);
///         let y = batch.target_row(b);
///         assert!(x.iter().zip(y).all(|(a, b)| b == &(a + 1)));
///     }
/// }
/// // Consecutive: row 0 of batch 1 continues row 0 of batch 0.
/// assert_eq!(batches[1].input_row(0)[0], batches[0].input_row(0)[4] + 1);
/// ```
#[derive(Debug, Clone)]
pub struct SequenceSampler {
    tokens: Vec<usize>,
    batch_size: usize,
    num_steps: usize,
    strategy: SamplingStrategy,
    seed: u64,
}

impl SequenceSampler {
    /// A sampler of `batch_size` windows of `num_steps` tokens.
    pub fn try_new(
        tokens: Vec<usize>,
        batch_size: usize,
        num_steps: usize,
        strategy: SamplingStrategy,
        seed: u64,
    ) -> Result<Self> {
        if batch_size == 0 || num_steps == 0 {
            return Err(DataError::InvalidArgument {
                op: "SequenceSampler::new",
                why: format!(
                    "batch_size ({batch_size}) and num_steps ({num_steps}) must be at least 1"
                ),
            });
        }
        Ok(SequenceSampler {
            tokens,
            batch_size,
            num_steps,
            strategy,
            seed,
        })
    }

    /// Panicking form of [`SequenceSampler::try_new`].
    #[track_caller]
    pub fn new(
        tokens: Vec<usize>,
        batch_size: usize,
        num_steps: usize,
        strategy: SamplingStrategy,
        seed: u64,
    ) -> Self {
        or_panic(Self::try_new(tokens, batch_size, num_steps, strategy, seed))
    }

    /// The minibatches of one epoch; the same `(seed, epoch)` gives the same
    /// batches. Too short a stream gives no batch.
    pub fn epoch(&self, epoch: u64) -> Vec<SequenceBatch> {
        let mut rng = derived_rng(self.seed, &[PURPOSE_SEQUENCE, epoch]);
        match self.strategy {
            SamplingStrategy::Random => self.random_epoch(&mut rng),
            SamplingStrategy::Sequential => self.sequential_epoch(&mut rng),
        }
    }

    fn window(&self, start: usize) -> (&[usize], &[usize]) {
        let t = self.num_steps;
        (
            &self.tokens[start..start + t],
            &self.tokens[start + 1..start + 1 + t],
        )
    }

    fn random_epoch(&self, rng: &mut impl Rng) -> Vec<SequenceBatch> {
        let (b, t) = (self.batch_size, self.num_steps);
        let offset = rng.random_range(0..t);
        let available = self.tokens.len().saturating_sub(offset);
        // Each window needs T inputs plus one more token for its last target.
        let windows = available.saturating_sub(1) / t;
        let mut starts: Vec<usize> = (0..windows).map(|w| offset + w * t).collect();
        starts.shuffle(rng);
        starts
            .chunks_exact(b)
            .map(|chunk| {
                let mut inputs = Vec::with_capacity(b * t);
                let mut targets = Vec::with_capacity(b * t);
                for &s in chunk {
                    let (x, y) = self.window(s);
                    inputs.extend_from_slice(x);
                    targets.extend_from_slice(y);
                }
                SequenceBatch {
                    inputs,
                    targets,
                    batch_size: b,
                    num_steps: t,
                }
            })
            .collect()
    }

    fn sequential_epoch(&self, rng: &mut impl Rng) -> Vec<SequenceBatch> {
        let (b, t) = (self.batch_size, self.num_steps);
        let offset = rng.random_range(0..t);
        let usable = self.tokens.len().saturating_sub(offset).saturating_sub(1);
        let row_len = usable / b;
        let batches = row_len / t;
        (0..batches)
            .map(|k| {
                let mut inputs = Vec::with_capacity(b * t);
                let mut targets = Vec::with_capacity(b * t);
                for row in 0..b {
                    let (x, y) = self.window(offset + row * row_len + k * t);
                    inputs.extend_from_slice(x);
                    targets.extend_from_slice(y);
                }
                SequenceBatch {
                    inputs,
                    targets,
                    batch_size: b,
                    num_steps: t,
                }
            })
            .collect()
    }
}
