//! `LstmCell`: long short-term memory (Hochreiter & Schmidhuber, 1997), with
//! PyTorch's gate order i, f, g, o. The step is written twice: composed of
//! `Var` ops here (the readable reference, twice differentiable), and fused
//! in `fused_lstm.rs` (the fast path); the tests hold them equal.

use wengert_tensor::{Float, Param, Tape, Var};

use super::cell::{cell_common, Recurrence, Stepper};
use super::fused_lstm::lstm_cell_fused;
use super::weights::CellWeights;
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
/// `x [B, I]`, `h [B, H]`, `c [B, H]` -> `(h', c')`, each `[B, H]`.
/// Parameters `weight_ih [4H, I]`, `weight_hh [4H, H]`, `bias_ih [4H]`,
/// `bias_hh [4H]`. As a [`Module`], `forward(x)` starts from zero `h` and
/// `c` and returns `h'`.
///
/// PyTorch: `nn.LSTMCell(I, H)`.
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
    pub fn with_forget_bias(mut self, value: f64) -> Self {
        self.weights.set_gate_bias(1, value);
        self
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
    pub fn bias_ih(&self) -> &Param<T> {
        &self.weights.bias_ih
    }

    /// `bias_hh [4H]`.
    pub fn bias_hh(&self) -> &Param<T> {
        &self.weights.bias_hh
    }

    /// One step: `x [B, I]` and the state `(h, c)`, each `[B, H]`, give the
    /// new state `(h', c')`.
    pub fn forward_step<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        (h, c): (Var<'t, T>, Var<'t, T>),
    ) -> Result<(Var<'t, T>, Var<'t, T>)> {
        let state = self.checked_step(tape, x, &[h, c])?;
        let hs = self.hidden_size();
        Ok((state.narrow(1, 0, hs), state.narrow(1, hs, hs)))
    }
}

/// The weights of one gate, transposed for `x W^T`: `(W_i*^T, W_h*^T, b_i*, b_h*)`.
type GateWeights<'t, T> = (Var<'t, T>, Var<'t, T>, Var<'t, T>, Var<'t, T>);

/// The four gates' weights cut out of the stacked parameters, once per
/// sequence (a step then reads them without new slicing nodes).
fn split_gates<'t, T: Float>(
    w_ih: Var<'t, T>,
    w_hh: Var<'t, T>,
    b_ih: Var<'t, T>,
    b_hh: Var<'t, T>,
) -> [GateWeights<'t, T>; 4] {
    let hs = w_hh.shape()[1];
    std::array::from_fn(|k| {
        (
            w_ih.narrow(0, k * hs, hs).matrix_transpose(),
            w_hh.narrow(0, k * hs, hs).matrix_transpose(),
            b_ih.narrow(0, k * hs, hs),
            b_hh.narrow(0, k * hs, hs),
        )
    })
}

/// The composed step on pre-split gate weights.
fn composed_step<'t, T: Float>(
    gates: &[GateWeights<'t, T>; 4],
    x: Var<'t, T>,
    h: Var<'t, T>,
    c: Var<'t, T>,
) -> (Var<'t, T>, Var<'t, T>) {
    let pre = |k: usize| {
        let (wi, wh, bi, bh) = gates[k];
        x.matmul(wi) + bi + h.matmul(wh) + bh
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
    composed_step(&split_gates(w_ih, w_hh, b_ih, b_hh), x, h, c)
}

impl<T: Float> Recurrence<T> for LstmCell<T> {
    const GATES: usize = 4;

    /// The state is `(h, c)` side by side: `[B, 2H]`.
    const STATE_PARTS: usize = 2;

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
        let hs = self.hidden_size();
        if self.fused {
            Box::new(move |x, state| {
                lstm_cell_fused(x, state, w.w_ih, w.w_hh, w.b_ih, w.b_hh)
                    .expect("shapes checked by the caller")
            })
        } else {
            let gates = split_gates(w.w_ih, w.w_hh, w.b_ih, w.b_hh);
            Box::new(move |x, state| {
                let (h, c) = (state.narrow(1, 0, hs), state.narrow(1, hs, hs));
                let (h, c) = composed_step(&gates, x, h, c);
                Var::concat(&[h, c], 1)
            })
        }
    }
}
