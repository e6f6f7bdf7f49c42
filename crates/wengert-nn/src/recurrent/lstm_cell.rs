//! `LstmCell`: long short-term memory (Hochreiter & Schmidhuber, 1997), with
//! PyTorch's gate order i, f, g, o. The step is written twice: composed of
//! `Var` ops here (the readable reference, twice differentiable), and fused
//! in `fused_lstm.rs` (the fast path); the tests hold them equal.

use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use super::cell::{cell_common, Recurrence, Stepper};
use super::fused_lstm::lstm_cell_fused;
use super::lstm_sequence::lstm_sequence_fused;
use super::weights::{plus_bias, CellWeights};
use crate::error::Result;
use crate::Module;

/// One step of an LSTM. With the gate blocks of the weights in PyTorch's
/// order i, f, g, o (rows `0:H`, `H:2H`, `2H:3H`, `3H:4H`):
///
/// ```text
/// i  = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)    input gate
/// f  = sigmoid(x W_if^T + b_if + h W_hf^T + b_hf)    forget gate
/// g  = tanh   (x W_ig^T + b_ig + h W_hg^T + b_hg)    candidate cell
/// o  = sigmoid(x W_io^T + b_io + h W_ho^T + b_ho)    output gate
/// c' = f * c + i * g
/// h' = o * tanh(c')
/// ```
///
/// The cell state is carried by `c' = f * c + ...`: its gradient to `c` is
/// the factor `f`, with no weight matrix and no squashing in between, so
/// with `f` near 1 it survives many steps. That is why a forget-gate bias of
/// 1 ([`LstmCell::with_forget_bias`]) is often recommended (Jozefowicz et
/// al., 2015): the cell starts out remembering.
///
/// `fused` (the default) runs each step as one tape node
/// ([`lstm_cell_fused`]); `with_fused(false)` runs the composed reference
/// ([`lstm_cell_composed`]), which is slower but can be differentiated twice.
///
/// # Shapes
/// `x [B, I]`, `h [B, H]`, `c [B, H]` -> `(h', c')`, each `[B, H]`;
/// unbatched, `x [I]`, `h, c [H]` -> `[H]` each; `B = 0` gives empty
/// states. Parameters `weight_ih [4H, I]`, `weight_hh [4H, H]`,
/// `bias_ih [4H]`, `bias_hh [4H]`. As a [`Module`], `forward(x)` starts
/// from zero `h` and `c` and returns `h'`.
///
/// # PyTorch options
/// `nn.LSTMCell(input_size, hidden_size, bias)`: all of them, `bias=False`
/// through [`LstmCell::without_bias`] (which keeps the fused step). Not
/// here: `device` and `dtype` (the float type is the type parameter `T`).
/// wengert adds [`LstmCell::with_forget_bias`] and
/// [`LstmCell::with_fused`]. (`proj_size` is an option of the layer
/// [`Lstm`](super::Lstm) in PyTorch, and here too.)
///
/// ```
/// use wengert_nn::recurrent::LstmCell;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let cell = LstmCell::<f64>::new(3, 4, &mut seeded_rng(0)).with_forget_bias(1.0);
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones(&[2, 3]));
/// let zeros = tape.constant(Tensor::zeros(&[2, 4]));
/// let (h1, c1) = cell.forward_step(&tape, x, (zeros, zeros)).unwrap();
/// assert_eq!((h1.shape(), c1.shape()), (vec![2, 4], vec![2, 4]));
/// ```
#[derive(Clone, Debug, Module)]
#[module(type_name = "LSTMCell")]
pub struct LstmCell<T: Float> {
    #[module(flatten)]
    pub(crate) weights: CellWeights<T>,
    #[module(skip)]
    fused: bool,
}

cell_common! {
    /// `input_size -> hidden_size`, PyTorch's default init, fused step.
    LstmCell: try_new
}

impl<T: Float> LstmCell<T> {
    /// Sets the forget-gate bias (rows `H:2H`) so that
    /// `bias_ih + bias_hh = value` there: `value` in `bias_ih`, 0 in
    /// `bias_hh`. PyTorch has no option for it (one writes into the biases).
    ///
    /// # Panics
    /// On a cell [without biases](Self::without_bias): there is no bias to set.
    #[track_caller]
    pub fn with_forget_bias(mut self, value: f64) -> Self {
        if !self.has_bias() {
            panic!("{}", self.no_bias_message("with_forget_bias"));
        }
        self.weights.set_gate_bias(1, value);
        self
    }

    fn no_bias_message(&self, what: &str) -> String {
        format!(
            "LSTMCell({}, {}): {what} needs the biases, and this cell was built \
             without_bias (PyTorch's bias=False)",
            self.input_size(),
            self.hidden_size()
        )
    }

    /// Fused step (one tape node) or the composed reference.
    pub fn with_fused(mut self, fused: bool) -> Self {
        self.fused = fused;
        self
    }

    /// Whether steps run fused.
    pub fn is_fused(&self) -> bool {
        self.fused
    }

    /// `bias_ih [4H]`.
    ///
    /// # Panics
    /// On a cell [without biases](Self::without_bias) (see [`Self::has_bias`]).
    #[track_caller]
    pub fn bias_ih(&self) -> &Param<T> {
        match &self.weights.bias_ih {
            Some(p) => p,
            None => panic!("{}", self.no_bias_message("bias_ih")),
        }
    }

    /// `bias_hh [4H]`.
    ///
    /// # Panics
    /// On a cell [without biases](Self::without_bias) (see [`Self::has_bias`]).
    #[track_caller]
    pub fn bias_hh(&self) -> &Param<T> {
        match &self.weights.bias_hh {
            Some(p) => p,
            None => panic!("{}", self.no_bias_message("bias_hh")),
        }
    }

    /// One step: `x [B, I]` and the state `(h, c)`, each `[B, H]`, give the
    /// new state `(h', c')`; unbatched, `x [I]` and `h, c [H]` give `[H]`.
    pub fn forward_step<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        (h, c): (Var<'t, T>, Var<'t, T>),
    ) -> Result<(Var<'t, T>, Var<'t, T>)> {
        let state = self.checked_step(tape, x, &[h, c])?;
        let parts = self.split_state(state);
        Ok((parts[0], parts[1]))
    }
}

impl<T: Float> LstmCell<T> {
    /// Whether a layer runs this cell over a whole sequence in one node:
    /// fused and without a projection (the fused nodes have none).
    pub(crate) fn runs_sequence(&self) -> bool {
        self.fused && self.weights.weight_hr.is_none()
    }

    /// The whole sequence `x [T, B, I]` from `state [B, 2H]` as one node
    /// ([`lstm_sequence_fused`]), when this cell runs fused and has no
    /// projection; `None` otherwise (the layer then steps it). Returns the
    /// hidden outputs `[T, B, H]` and the final state `[B, 2H]`.
    pub(crate) fn run_sequence<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        state: Var<'t, T>,
        reverse: bool,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        if !self.runs_sequence() {
            return None;
        }
        let w = self.weights.bind(tape);
        let (steps, batch, hs) = (x.shape()[0], x.shape()[1], self.hidden_size());
        // Bias-free cells add constant zeros, as the fused step does.
        let zeros = || tape.constant(Tensor::zeros(&[4 * hs]));
        let (b_ih, b_hh) = (w.b_ih.unwrap_or_else(zeros), w.b_hh.unwrap_or_else(zeros));
        let y = lstm_sequence_fused(x, state, w.w_ih, w.w_hh, b_ih, b_hh, reverse)
            .expect("shapes checked by the caller");
        // Rows 0..T are the hidden outputs, row T is c_n; h_n is the output
        // of the step that ran last.
        let last = if reverse { 0 } else { steps - 1 };
        let h_n = y.narrow(0, last, 1).reshape(&[batch, hs]);
        let c_n = y.narrow(0, steps, 1).reshape(&[batch, hs]);
        Some((y.narrow(0, 0, steps), Var::concat(&[h_n, c_n], 1)))
    }
}

/// The weights of one gate, transposed for `x W^T`: `(W_i*^T, W_h*^T,
/// b_i*, b_h*)`, the biases absent for a cell without them.
type GateWeights<'t, T> = (
    Var<'t, T>,
    Var<'t, T>,
    Option<Var<'t, T>>,
    Option<Var<'t, T>>,
);

/// The four gates' weights cut out of the stacked parameters, once per
/// sequence (a step then reads them without new slicing nodes).
fn split_gates<'t, T: Float>(
    w_ih: Var<'t, T>,
    w_hh: Var<'t, T>,
    b_ih: Option<Var<'t, T>>,
    b_hh: Option<Var<'t, T>>,
) -> [GateWeights<'t, T>; 4] {
    // The gate width H is the rows' quarter (w_hh is [4H, P] with a projection).
    let hs = w_hh.shape()[0] / 4;
    std::array::from_fn(|k| {
        (
            w_ih.narrow(0, k * hs, hs).matrix_transpose(),
            w_hh.narrow(0, k * hs, hs).matrix_transpose(),
            b_ih.map(|b| b.narrow(0, k * hs, hs)),
            b_hh.map(|b| b.narrow(0, k * hs, hs)),
        )
    })
}

/// The composed step on pre-split gate weights: `(o * tanh(c'), c')`.
fn composed_step<'t, T: Float>(
    gates: &[GateWeights<'t, T>; 4],
    x: Var<'t, T>,
    h: Var<'t, T>,
    c: Var<'t, T>,
) -> (Var<'t, T>, Var<'t, T>) {
    let pre = |k: usize| {
        let (wi, wh, bi, bh) = gates[k];
        plus_bias(plus_bias(x.matmul(wi), bi) + h.matmul(wh), bh)
    };
    let i = pre(0).sigmoid();
    let f = pre(1).sigmoid();
    let g = pre(2).tanh();
    let o = pre(3).sigmoid();
    let c_next = f * c + i * g;
    let h_next = o * c_next.tanh();
    (h_next, c_next)
}

/// The LSTM step composed of `Var` ops, gate by gate as in the equations of
/// [`LstmCell`]: the readable reference the fused op is tested against, and
/// twice differentiable. Shapes as [`LstmCell::forward_step`]; the
/// parameters as PyTorch stacks them (`w_ih [4H, I]`, `w_hh [4H, H]`,
/// `b_ih`, `b_hh [4H]`). Shapes are the caller's to check.
///
/// ```
/// use wengert_nn::recurrent::lstm_cell_composed;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let zeros = |s: &[usize]| tape.constant(Tensor::zeros(s));
/// // All-zero weights: every gate is sigmoid(0) = 1/2, g = tanh(0) = 0,
/// // so c' = c / 2 and h' = tanh(c') / 2.
/// let c = tape.constant(Tensor::from_vec(vec![2.0], &[1, 1]));
/// let (h1, c1) = lstm_cell_composed(zeros(&[1, 1]), zeros(&[1, 1]), c,
///     zeros(&[4, 1]), zeros(&[4, 1]), zeros(&[4]), zeros(&[4]));
/// assert_eq!(c1.item(), 1.0);
/// assert_eq!(h1.item(), 0.5 * 1f64.tanh());
/// ```
pub fn lstm_cell_composed<'t, T: Float>(
    x: Var<'t, T>,
    h: Var<'t, T>,
    c: Var<'t, T>,
    w_ih: Var<'t, T>,
    w_hh: Var<'t, T>,
    b_ih: Var<'t, T>,
    b_hh: Var<'t, T>,
) -> (Var<'t, T>, Var<'t, T>) {
    composed_step(&split_gates(w_ih, w_hh, Some(b_ih), Some(b_hh)), x, h, c)
}

impl<T: Float> Recurrence<T> for LstmCell<T> {
    const GATES: usize = 4;

    /// The state is `(h, c)` side by side: `[B, 2H]` (`[B, P + H]` with a
    /// projection).
    const STATE_PARTS: &'static [&'static str] = &["h", "c"];

    fn from_weights(weights: CellWeights<T>) -> Self {
        LstmCell {
            weights,
            fused: true,
        }
    }

    fn weights(&self) -> &CellWeights<T> {
        &self.weights
    }

    fn stepper<'t>(&self, tape: &'t Tape<T>) -> Stepper<'t, T> {
        let w = self.weights.bind(tape);
        let (hs, ps) = (self.hidden_size(), self.weights.output_size());
        match w.w_hr {
            // The fused node has no projection: a projected cell runs composed.
            None if self.fused => {
                // Without biases the node adds constant zeros (which need no
                // gradient), so bias-free cells keep the fast path.
                let zeros = || tape.constant(Tensor::zeros(&[4 * hs]));
                let (b_ih, b_hh) = (w.b_ih.unwrap_or_else(zeros), w.b_hh.unwrap_or_else(zeros));
                Box::new(move |x, state| {
                    lstm_cell_fused(x, state, w.w_ih, w.w_hh, b_ih, b_hh)
                        .expect("shapes checked by the caller")
                })
            }
            w_hr => {
                let gates = split_gates(w.w_ih, w.w_hh, w.b_ih, w.b_hh);
                let w_hr_t = w_hr.map(|w| w.matrix_transpose());
                Box::new(move |x, state| {
                    let (h, c) = (state.narrow(1, 0, ps), state.narrow(1, ps, hs));
                    let (h, c) = composed_step(&gates, x, h, c);
                    // With a projection, h' = (o * tanh(c')) W_hr^T.
                    let h = match w_hr_t {
                        Some(w) => h.matmul(w),
                        None => h,
                    };
                    Var::concat(&[h, c], 1)
                })
            }
        }
    }
}
