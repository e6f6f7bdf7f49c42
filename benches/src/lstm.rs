//! The `lstm` workload: a classifier reading the last hidden state of an
//! LSTM over 50 steps.

use wengert_nn::recurrent::{Lstm, RnnConfig};
use wengert_nn::{Linear, Module, Result};
use wengert_tensor::{seeded_rng, Tape, Var};

use crate::workload::Workload;

const INPUT: usize = 32;
const HIDDEN: usize = 128;
const STEPS: usize = 50;

/// An LSTM over `[batch, steps, input]` sequences whose last hidden state
/// goes through a linear head: the logits of a sequence classifier.
/// Backward runs through all the steps (BPTT).
///
/// The sequences come batch first because a loader stacks examples along
/// the first axis; the LSTM turns them time first (one transpose of the
/// input), PyTorch's default layout for `nn.LSTM`.
///
/// ```
/// use wengert_benches::LstmClassifier;
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
///
/// let model = LstmClassifier::new(3, 8, 4, &mut seeded_rng(0));
/// let tape = Tape::training(0);
/// let x = tape.constant(Tensor::randn(&[2, 5, 3], &mut seeded_rng(1))); // batch 2, 5 steps
/// assert_eq!(model.forward(&tape, x).unwrap().shape(), vec![2, 4]);
/// ```
#[derive(Module)]
pub struct LstmClassifier {
    lstm: Lstm<f32>,
    head: Linear<f32>,
}

impl LstmClassifier {
    /// One LSTM layer `input -> hidden` (fused steps, the default) and a
    /// head `Linear(hidden, classes)`, drawn from `rng`.
    pub fn new<R: wengert_tensor::rand::Rng + ?Sized>(
        input: usize,
        hidden: usize,
        classes: usize,
        rng: &mut R,
    ) -> Self {
        LstmClassifier {
            lstm: Lstm::new(RnnConfig::new(input, hidden).with_batch_first(true), rng),
            head: Linear::new(hidden, classes, rng),
        }
    }
}

impl Module<f32> for LstmClassifier {
    fn forward<'t>(&self, tape: &'t Tape<f32>, x: Var<'t, f32>) -> Result<Var<'t, f32>> {
        let (_, state) = self.lstm.forward_with_state(tape, x, None)?;
        // h_n is [layers, batch, hidden] with one layer.
        let [_, batch, hidden] = state.h.shape()[..] else {
            unreachable!("an LSTM's state has three axes")
        };
        self.head.forward(tape, state.h.reshape(&[batch, hidden]))
    }
}

/// `LSTM(32, 128)` over 50 steps, last hidden state -> `Linear(128, 10)`,
/// batches of 32, 10 classes. PyTorch: `nn.LSTM(32, 128)` and
/// `nn.Linear(128, 10)` on `h_n[0]`. The weights are drawn from `seed`.
///
/// ```
/// use wengert_nn::Module;
/// let workload = wengert_benches::lstm(0);
/// assert_eq!(workload.example_shape, [50, 32]);
/// // Four gates: weight_ih [4H, 32], weight_hh [4H, H], two biases [4H]; the head.
/// let (h, gates) = (128, 4 * 128);
/// assert_eq!(workload.model.num_params(), gates * 32 + gates * h + 2 * gates + h * 10 + 10);
/// ```
pub fn lstm(seed: u64) -> Workload<LstmClassifier> {
    Workload {
        name: "lstm",
        model: LstmClassifier::new(INPUT, HIDDEN, 10, &mut seeded_rng(seed)),
        batch_size: 32,
        example_shape: vec![STEPS, INPUT],
        classes: 10,
    }
}
