//! `RnnCell`: the Elman recurrent step `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.

use rand::Rng;
use wengert_tensor::{Float, Param, Tape};

use super::cell::{cell_common, Recurrence, Stepper};
use super::weights::{plus_bias, CellWeights};
use crate::error::Result;
use crate::Module;

/// The nonlinearity of a plain recurrent cell (PyTorch's `nonlinearity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RnnNonlinearity {
    /// `tanh` (PyTorch's default).
    Tanh,
    /// `relu`.
    ReLU,
}

/// One step of a vanilla (Elman) recurrent network:
///
/// ```text
/// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh),   act = tanh or relu
/// ```
///
/// Backward (composed): with `a` the pre-activation and `da = dh' * act'(a)`
/// (`1 - h'^2` for tanh), `dx = da W_ih`, `dh = da W_hh`, `dW_ih = da^T x`,
/// `dW_hh = da^T h`, `db_ih = db_hh = sum_batch da`. Through many steps the
/// factor `W_hh^T diag(act')` multiplies up: the vanishing and exploding
/// gradients that LSTM and GRU cells were designed against.
///
/// # Shapes
/// `x [B, I]`, `h [B, H]` -> `h' [B, H]`; unbatched, as in PyTorch,
/// `x [I]`, `h [H]` -> `h' [H]`; `B = 0` gives an empty `h'`. Parameters
/// `weight_ih [H, I]`, `weight_hh [H, H]`, `bias_ih [H]`, `bias_hh [H]`.
///
/// As a [`Module`], `forward(x)` starts from a zero state.
///
/// # PyTorch options
/// `nn.RNNCell(input_size, hidden_size, bias, nonlinearity)`: all of them;
/// `nonlinearity` through [`RnnCell::try_new`] or
/// [`RnnCell::with_nonlinearity`], `bias=False` through
/// [`RnnCell::without_bias`]. Not here: `device` and `dtype` (the float
/// type is the type parameter `T`).
///
/// ```
/// use wengert_nn::recurrent::RnnCell;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let cell = RnnCell::<f64>::new(3, 5, &mut seeded_rng(0));
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones(&[2, 3]));
/// let h = tape.constant(Tensor::zeros(&[2, 5]));
/// let h1 = cell.forward_step(&tape, x, h).unwrap();
/// assert_eq!(h1.shape(), vec![2, 5]);
/// assert!(h1.value().to_vec().iter().all(|v| v.abs() < 1.0)); // tanh
///
/// // PyTorch's bias=False, on one unbatched input.
/// let plain = RnnCell::<f64>::new(3, 5, &mut seeded_rng(0)).without_bias();
/// let h1 = plain.forward_step(&tape, tape.constant(Tensor::ones(&[3])), tape.constant(Tensor::zeros(&[5])));
/// assert_eq!(h1.unwrap().shape(), vec![5]);
/// ```
#[derive(Clone, Debug, Module)]
#[module(type_name = "RNNCell")]
pub struct RnnCell<T: Float> {
    #[module(flatten)]
    pub(crate) weights: CellWeights<T>,
    #[module(skip)]
    nonlinearity: RnnNonlinearity,
}

cell_common! {
    /// A tanh cell `input_size -> hidden_size` with PyTorch's default init.
    RnnCell: forward_step
}

impl<T: Float> RnnCell<T> {
    /// A cell with the given nonlinearity; an error for `hidden_size == 0`.
    pub fn try_new<R: Rng + ?Sized>(
        input_size: usize,
        hidden_size: usize,
        nonlinearity: RnnNonlinearity,
        rng: &mut R,
    ) -> Result<Self> {
        Ok(Self::init(input_size, hidden_size, rng)?.with_nonlinearity(nonlinearity))
    }

    /// The same cell with another nonlinearity.
    pub fn with_nonlinearity(mut self, nonlinearity: RnnNonlinearity) -> Self {
        self.nonlinearity = nonlinearity;
        self
    }

    /// `weight_ih [H, I]`.
    pub fn weight_ih(&self) -> &Param<T> {
        &self.weights.weight_ih
    }
}

impl<T: Float> Recurrence<T> for RnnCell<T> {
    const GATES: usize = 1;

    fn from_weights(weights: CellWeights<T>) -> Self {
        RnnCell {
            weights,
            nonlinearity: RnnNonlinearity::Tanh,
        }
    }

    fn weights(&self) -> &CellWeights<T> {
        &self.weights
    }

    fn stepper<'t>(&self, tape: &'t Tape<T>) -> Stepper<'t, T> {
        let w = self.weights.bind(tape);
        let (w_ih_t, w_hh_t) = (w.w_ih.matrix_transpose(), w.w_hh.matrix_transpose());
        let nonlinearity = self.nonlinearity;
        Box::new(move |x, h| {
            let a = plus_bias(
                plus_bias(x.matmul(w_ih_t), w.b_ih) + h.matmul(w_hh_t),
                w.b_hh,
            );
            match nonlinearity {
                RnnNonlinearity::Tanh => a.tanh(),
                RnnNonlinearity::ReLU => a.relu(),
            }
        })
    }
}
