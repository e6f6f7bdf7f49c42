//! `GruCell`: the gated recurrent unit (Cho et al., 2014), PyTorch's variant.

use wengert_tensor::{Float, Tape, Tensor, Var};

use super::cell::{cell_common, Recurrence, Stepper};
use super::gru_sequence::gru_sequence_fused;
use super::weights::{plus_bias, CellWeights};
use crate::Module;

/// One step of a gated recurrent unit, gate blocks in PyTorch's order
/// r, z, n (rows `0:H`, `H:2H`, `2H:3H` of the weights and biases):
///
/// ```text
/// gi = x W_ih^T + b_ih          gh = h W_hh^T + b_hh        (each [B, 3H])
/// r  = sigmoid(gi_r + gh_r)     reset gate
/// z  = sigmoid(gi_z + gh_z)     update gate
/// n  = tanh(gi_n + r * gh_n)    candidate; r multiplies W_hn h + b_hn, bias included
/// h' = (1 - z) * n + z * h
/// ```
///
/// The gradient reaches the old state along `z * h` with factor `z`
/// untouched by any squashing, which is what keeps it alive over long
/// sequences. Backward is composed from the `Var` ops.
///
/// Without biases (PyTorch's `bias=False`) `gi`, `gh` have no bias terms,
/// and `r` multiplies `W_hn h` alone.
///
/// # Shapes
/// `x [B, I]`, `h [B, H]` -> `h' [B, H]`; unbatched, `x [I]`, `h [H]` ->
/// `h' [H]`; `B = 0` gives an empty `h'`. `weight_ih [3H, I]`,
/// `weight_hh [3H, H]`, `bias_ih [3H]`, `bias_hh [3H]`.
///
/// As a [`Module`], `forward(x)` starts from a zero state.
///
/// A step of the cell is always composed (twice differentiable); a
/// [`Gru`](super::Gru) layer runs its cells over the whole sequence as one
/// fused node ([`gru_sequence_fused`](super::gru_sequence_fused)) unless
/// the cell is built [`with_fused(false)`](GruCell::with_fused).
///
/// # PyTorch options
/// `nn.GRUCell(input_size, hidden_size, bias)`: all of them, `bias=False`
/// through [`GruCell::without_bias`]. Not here: `device` and `dtype` (the
/// float type is the type parameter `T`).
///
/// ```
/// use wengert_nn::recurrent::GruCell;
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let cell = GruCell::<f32>::new(4, 6, &mut seeded_rng(0));
/// assert_eq!(cell.param_names(), ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
/// let tape = Tape::new();
/// let h1 = cell.forward(&tape, tape.constant(Tensor::ones(&[3, 4]))).unwrap();
/// assert_eq!(h1.shape(), vec![3, 6]);
/// let plain = GruCell::<f32>::new(4, 6, &mut seeded_rng(0)).without_bias();
/// assert_eq!(plain.param_names(), ["weight_ih", "weight_hh"]);
/// ```
#[derive(Clone, Debug, Module)]
#[module(type_name = "GRUCell")]
pub struct GruCell<T: Float> {
    #[module(flatten)]
    pub(crate) weights: CellWeights<T>,
    #[module(skip)]
    fused: bool,
}

cell_common! {
    /// `input_size -> hidden_size` with PyTorch's default init.
    GruCell: try_new, forward_step
}

impl<T: Float> GruCell<T> {
    /// Whether a [`Gru`](super::Gru) layer runs this cell over a sequence
    /// as one fused node (the default) or steps the composed cell (twice
    /// differentiable). A single step is composed either way.
    pub fn with_fused(mut self, fused: bool) -> Self {
        self.fused = fused;
        self
    }

    /// Whether a layer runs this cell fused over the sequence.
    pub fn is_fused(&self) -> bool {
        self.fused
    }

    /// The whole sequence `x [T, B, I]` from `h0 [B, H]` as one node
    /// ([`gru_sequence_fused`]) when the cell runs fused, `None` otherwise
    /// (the layer then steps it). Returns the hidden outputs `[T, B, H]`
    /// and the final state `[B, H]`.
    pub(crate) fn run_sequence<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        h0: Var<'t, T>,
        reverse: bool,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        if !self.fused {
            return None;
        }
        let w = self.weights.bind(tape);
        let (steps, batch, hs) = (x.shape()[0], x.shape()[1], self.hidden_size());
        // Bias-free cells add constant zeros (which need no gradient), so
        // they keep the fused path.
        let zeros = || tape.constant(Tensor::zeros(&[3 * hs]));
        let (b_ih, b_hh) = (w.b_ih.unwrap_or_else(zeros), w.b_hh.unwrap_or_else(zeros));
        let y = gru_sequence_fused(x, h0, w.w_ih, w.w_hh, b_ih, b_hh, reverse)
            .expect("shapes checked by the caller");
        // h_n is the output of the step that ran last.
        let last = if reverse { 0 } else { steps - 1 };
        Some((y, y.narrow(0, last, 1).reshape(&[batch, hs])))
    }
}

impl<T: Float> Recurrence<T> for GruCell<T> {
    const GATES: usize = 3;

    fn from_weights(weights: CellWeights<T>) -> Self {
        GruCell {
            weights,
            fused: true,
        }
    }

    fn weights(&self) -> &CellWeights<T> {
        &self.weights
    }

    fn stepper<'t>(&self, tape: &'t Tape<T>) -> Stepper<'t, T> {
        let w = self.weights.bind(tape);
        let (w_ih_t, w_hh_t) = (w.w_ih.matrix_transpose(), w.w_hh.matrix_transpose());
        let hs = self.hidden_size();
        Box::new(move |x, h| {
            let gi = plus_bias(x.matmul(w_ih_t), w.b_ih);
            let gh = plus_bias(h.matmul(w_hh_t), w.b_hh);
            let block = |g: Var<'t, T>, k: usize| g.narrow(1, k * hs, hs);
            let r = (block(gi, 0) + block(gh, 0)).sigmoid();
            let z = (block(gi, 1) + block(gh, 1)).sigmoid();
            let n = (block(gi, 2) + r * block(gh, 2)).tanh();
            // (1 - z) * n + z * h, written with one product fewer.
            n + z * (h - n)
        })
    }
}
