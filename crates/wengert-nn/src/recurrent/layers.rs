//! The sequence layers [`Rnn`], [`Lstm`], [`Gru`]: cells unrolled over time,
//! stacked, optionally in both directions, with PyTorch's parameter names
//! (`weight_ih_l0`, `bias_hh_l1_reverse`, ...). Each is a [`Stack`] of its
//! cells; what tells them apart is written in its [`LayerCell`] impl (the
//! layer's name, the options its cells take) and, for the LSTM, the shape
//! of its state.

use rand::Rng;
use wengert_tensor::{Float, Param, Parameters, Tape, Var};

use super::config::RnnConfig;
use super::gru_cell::GruCell;
use super::lstm_cell::LstmCell;
use super::rnn_cell::RnnCell;
use super::stack::{LayerCell, Stack};
use crate::error::Result;
use crate::module::{Module, ModuleParts};

/// What the three layers share, written once: the constructors, the
/// configuration, and the module lists. A stacked layer lists its cells'
/// weights with PyTorch's layer suffixes (`weight_ih_l0_reverse`), which a
/// field-by-field derive cannot name. `with_h0` adds `forward_with_state`
/// for the layers whose state is `h` alone (RNN, GRU).
macro_rules! stacked_layer {
    ($layer:ident $(, $with_h0:ident)?) => {
        impl<T: Float> $layer<T> {
            /// Builds the layer; panics on an invalid configuration.
            #[track_caller]
            pub fn new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Self {
                crate::error::or_panic(Self::try_new(config, rng))
            }

            /// Builds the layer (zero sizes are an error).
            pub fn try_new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Result<Self> {
                Ok($layer {
                    stack: Stack::new(config, rng)?,
                })
            }

            /// The configuration.
            pub fn config(&self) -> &RnnConfig {
                &self.stack.config
            }
        }

        impl<T: Float> Parameters<T> for $layer<T> {
            fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
                self.stack.visit_params(f);
            }

            fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
                self.stack.visit_params_mut(f);
            }
        }

        impl<T: Float> ModuleParts<T> for $layer<T> {
            fn type_name(&self) -> &'static str {
                self.stack.layer_name()
            }
        }

        impl<T: Float> Module<T> for $layer<T> {
            /// The output sequence from a zero initial state.
            fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
                Ok(self.stack.run(tape, x, None)?.0)
            }
        }

        $(stacked_layer!(@$with_h0 $layer);)?
    };

    (@with_h0 $layer:ident) => {
        impl<T: Float> $layer<T> {
            /// Runs the sequence from `h0 [L*D, B, H]` (zeros when `None`); returns
            /// the output sequence and `h_n [L*D, B, H]`. For an unbatched
            /// input `[T, I]`, `h0` and `h_n` are `[L*D, H]`.
            pub fn forward_with_state<'t>(
                &self,
                tape: &'t Tape<T>,
                x: Var<'t, T>,
                h0: Option<Var<'t, T>>,
            ) -> Result<(Var<'t, T>, Var<'t, T>)> {
                let init = h0.map(|h| [h]);
                let (output, mut last) = self.stack.run(tape, x, init.as_ref().map(|h| &h[..]))?;
                Ok((output, last.remove(0)))
            }
        }
    };
}

// What tells the three layers apart besides their cells' steps: PyTorch's
// name, and which options of the configuration each kind of cell takes.

impl<T: Float> LayerCell<T> for RnnCell<T> {
    const LAYER: &'static str = "RNN";

    fn configured(self, config: &RnnConfig) -> Self {
        self.with_nonlinearity(config.nonlinearity)
    }
}

impl<T: Float> LayerCell<T> for GruCell<T> {
    const LAYER: &'static str = "GRU";

    fn runs_whole(&self) -> bool {
        self.is_fused()
    }

    fn sequence<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        state: Var<'t, T>,
        reverse: bool,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        self.run_sequence(tape, x, state, reverse)
    }

    fn configured(self, config: &RnnConfig) -> Self {
        self.with_fused(config.fused)
    }
}

impl<T: Float> LayerCell<T> for LstmCell<T> {
    const LAYER: &'static str = "LSTM";
    const PROJECTS: bool = true;

    fn runs_whole(&self) -> bool {
        self.runs_sequence()
    }

    fn sequence<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        state: Var<'t, T>,
        reverse: bool,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        self.run_sequence(tape, x, state, reverse)
    }

    fn configured(self, config: &RnnConfig) -> Self {
        let cell = self.with_fused(config.fused);
        match config.forget_bias {
            Some(v) => cell.with_forget_bias(v),
            None => cell,
        }
    }
}

/// A multi-layer Elman RNN over a sequence: [`RnnCell`] unrolled in time.
///
/// Layer 0 reads the input; layer `l` reads layer `l - 1`'s hidden outputs
/// (both directions side by side when bidirectional); the reverse direction
/// runs from the last step to the first. Backward runs through time over the
/// whole sequence (BPTT); see the [module docs](super) for truncating it.
///
/// With dropout (`RnnConfig::with_dropout`), a training pass drops
/// elements of every layer's outputs but the last before the next layer
/// reads them, as PyTorch does.
///
/// # Shapes
/// `x [T, B, I]` (or `[B, T, I]` batch first), `h0 [L*D, B, H]` ->
/// `output [T, B, D*H]`, `h_n [L*D, B, H]`; `D` is 2 when bidirectional.
/// State `2l + d` belongs to layer `l`, direction `d`. Unbatched, as in
/// PyTorch: `x [T, I]` (whatever `batch_first`), `h0 [L*D, H]` ->
/// `output [T, D*H]`, `h_n [L*D, H]`. A batch of 0 gives empty outputs; a
/// sequence of length 0 is an error, as in PyTorch.
///
/// # PyTorch options
/// `nn.RNN(input_size, hidden_size, num_layers, nonlinearity, bias,
/// batch_first, dropout, bidirectional)`: all of them, through
/// [`RnnConfig`], with PyTorch's parameter names (`weight_ih_l0`,
/// `bias_hh_l1_reverse`; no biases listed without `bias`). Not here:
/// `device` and `dtype` (the float type is the type parameter `T`), and
/// `PackedSequence` inputs (pad the batch, or run sequences of different
/// lengths separately). `proj_size` is refused, as PyTorch refuses it for
/// `nn.RNN`.
///
/// ```
/// use wengert_nn::recurrent::{Rnn, RnnConfig};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let rnn = Rnn::<f64>::new(RnnConfig::new(3, 5).with_num_layers(2), &mut seeded_rng(0));
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones(&[7, 2, 3]));
/// let (out, h_n) = rnn.forward_with_state(&tape, x, None).unwrap();
/// assert_eq!((out.shape(), h_n.shape()), (vec![7, 2, 5], vec![2, 2, 5]));
/// // Unbatched: one sequence [T, I].
/// let (out, h_n) = rnn.forward_with_state(&tape, tape.constant(Tensor::ones(&[7, 3])), None).unwrap();
/// assert_eq!((out.shape(), h_n.shape()), (vec![7, 5], vec![2, 5]));
/// ```
#[derive(Clone, Debug)]
pub struct Rnn<T: Float> {
    stack: Stack<T, RnnCell<T>>,
}

stacked_layer!(Rnn, with_h0);

/// A multi-layer GRU over a sequence: [`GruCell`] unrolled in time. Layout,
/// stacking, directions, state indexing, dropout between layers, unbatched
/// inputs and empty batches as [`Rnn`].
///
/// By default each direction of each layer runs fused, the whole sequence
/// as one node ([`super::gru_sequence_fused`]: one input product for all
/// steps, one recurrent product and one element-wise pass per step, the
/// weight gradients as one product over the sequence); with
/// `RnnConfig::with_fused(false)` (or [`Gru::set_fused`]) the composed
/// cell is stepped instead, which gives the same values and gradients and
/// can be differentiated twice.
///
/// # PyTorch options
/// `nn.GRU(input_size, hidden_size, num_layers, bias, batch_first,
/// dropout, bidirectional)`: all of them, through [`RnnConfig`]. Not here:
/// `device`, `dtype` and `PackedSequence` inputs, as for [`Rnn`];
/// `proj_size` is refused, as PyTorch refuses it for `nn.GRU`.
///
/// ```
/// use wengert_nn::recurrent::{Gru, RnnConfig};
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let gru = Gru::<f32>::new(RnnConfig::new(3, 4).with_batch_first(true), &mut seeded_rng(0));
/// let tape = Tape::new();
/// let (out, h_n) = gru.forward_with_state(&tape, tape.constant(Tensor::ones(&[2, 6, 3])), None).unwrap();
/// assert_eq!((out.shape(), h_n.shape()), (vec![2, 6, 4], vec![1, 2, 4]));
/// let plain = Gru::<f32>::new(RnnConfig::new(3, 4).with_bias(false), &mut seeded_rng(0));
/// assert_eq!(plain.param_names(), ["weight_ih_l0", "weight_hh_l0"]);
/// ```
#[derive(Clone, Debug)]
pub struct Gru<T: Float> {
    stack: Stack<T, GruCell<T>>,
}

stacked_layer!(Gru, with_h0);

impl<T: Float> Gru<T> {
    /// Switches every cell between the fused sequence node and composed
    /// steps.
    pub fn set_fused(&mut self, fused: bool) {
        self.stack.config.fused = fused;
        for cell in &mut self.stack.cells {
            *cell = cell.clone().with_fused(fused);
        }
    }
}

/// The state of an [`Lstm`]: hidden states `h [L*D, B, P]` and cell states
/// `c [L*D, B, H]` (`P = H` without a projection; `[L*D, P]` and
/// `[L*D, H]` for an unbatched sequence).
#[derive(Clone, Copy, Debug)]
pub struct LstmState<'t, T: Float> {
    /// Hidden states `h`.
    pub h: Var<'t, T>,
    /// Cell states `c`.
    pub c: Var<'t, T>,
}

impl<'t, T: Float> LstmState<'t, T> {
    /// The same values as constants: carried into the next chunk of a
    /// sequence, the gradient stops here (truncated BPTT).
    pub fn detach(&self) -> Self {
        LstmState {
            h: self.h.detach(),
            c: self.c.detach(),
        }
    }
}

/// A multi-layer LSTM over a sequence: [`LstmCell`] unrolled in time.
/// Layout, stacking, directions and state indexing as [`Rnn`]; the state is
/// `(h, c)`.
///
/// By default each direction of each layer runs fused, the whole sequence
/// as one node ([`super::lstm_sequence_fused`], the steps of
/// [`super::lstm_cell_fused`] with the input and weight-gradient products
/// done once for all steps); with
/// `RnnConfig::with_fused(false)` they run composed, which gives the same
/// values and gradients and can be differentiated twice. Bias-free cells
/// keep the fused step; a projection runs composed steps (the fused node
/// has no projection), whatever `fused` says.
///
/// With `proj_size = P > 0` (PyTorch's projection, Sak et al., 2014), each
/// cell owns `weight_hr [P, H]` and its hidden output is
/// `h' = (o * tanh(c')) W_hr^T`: `h`, the outputs and `h_n` are `P` wide,
/// `weight_hh` is `[4H, P]`, the next layer reads `D*P` features, and `c`
/// stays `H` wide.
///
/// # Shapes
/// `x [T, B, I]` (or `[B, T, I]`), `h0 [L*D, B, P]`, `c0 [L*D, B, H]` ->
/// output `[T, B, D*P]` (or `[B, T, D*P]`), `h_n [L*D, B, P]`,
/// `c_n [L*D, B, H]`, with `P = H` without a projection. Unbatched:
/// `x [T, I]`, `h0 [L*D, P]`, `c0 [L*D, H]` -> `[T, D*P]`, `h_n [L*D, P]`,
/// `c_n [L*D, H]`. A batch of 0 gives empty outputs.
///
/// # PyTorch options
/// `nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first,
/// dropout, bidirectional, proj_size)`: all of them, through
/// [`RnnConfig`], with PyTorch's parameter names and order (`weight_ih_l0`,
/// `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_hr_l0`, ...). Not
/// here: `device`, `dtype` and `PackedSequence` inputs, as for [`Rnn`].
/// wengert adds `forget_bias` and `fused`.
///
/// ```
/// use wengert_nn::recurrent::{Lstm, LstmState, RnnConfig};
/// use wengert_nn::{Linear, Module};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let mut rng = seeded_rng(0);
/// let lstm = Lstm::<f32>::new(RnnConfig::new(8, 16).with_forget_bias(1.0), &mut rng);
/// let head = Linear::new(16, 5, &mut rng);
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::randn(&[6, 2, 8], &mut rng));
/// let (_out, state) = lstm.forward_with_state(&tape, x, None).unwrap();
/// let last_h = state.h.narrow(0, 0, 1).reshape(&[2, 16]);
/// let logits = head.forward(&tape, last_h).unwrap();
/// let grads = logits.cross_entropy_with_logits(&[1, 4]).backward();
/// assert_eq!(grads.len(), lstm.params().len() + 2); // every LSTM weight and the head
/// ```
///
/// A projection, on one unbatched sequence:
///
/// ```
/// use wengert_nn::recurrent::{Lstm, RnnConfig};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let config = RnnConfig::new(8, 16).with_num_layers(2).with_proj_size(4);
/// let lstm = Lstm::<f64>::new(config, &mut seeded_rng(0));
/// let tape = Tape::new();
/// let (out, state) = lstm.forward_with_state(&tape, tape.constant(Tensor::ones(&[6, 8])), None).unwrap();
/// assert_eq!(out.shape(), vec![6, 4]);
/// assert_eq!((state.h.shape(), state.c.shape()), (vec![2, 4], vec![2, 16]));
/// ```
#[derive(Clone, Debug)]
pub struct Lstm<T: Float> {
    stack: Stack<T, LstmCell<T>>,
}

stacked_layer!(Lstm);

impl<T: Float> Lstm<T> {
    /// Switches every cell between fused and composed steps (a projection
    /// runs composed steps either way).
    pub fn set_fused(&mut self, fused: bool) {
        self.stack.config.fused = fused;
        for cell in &mut self.stack.cells {
            *cell = cell.clone().with_fused(fused);
        }
    }

    /// Runs the sequence from `state` (zeros when `None`); returns the
    /// output sequence and the final state `(h_n, c_n)`. Shapes as in the
    /// [type's docs](Lstm); `h0` and `c0` are checked each on its own.
    pub fn forward_with_state<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        state: Option<LstmState<'t, T>>,
    ) -> Result<(Var<'t, T>, LstmState<'t, T>)> {
        let init = state.map(|s| [s.h, s.c]);
        let (output, last) = self.stack.run(tape, x, init.as_ref().map(|s| &s[..]))?;
        let state = LstmState {
            h: last[0],
            c: last[1],
        };
        Ok((output, state))
    }
}
