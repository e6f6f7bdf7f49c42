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
use crate::error::{NnError, Result};
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
            /// the output sequence and `h_n [L*D, B, H]`.
            pub fn forward_with_state<'t>(
                &self,
                tape: &'t Tape<T>,
                x: Var<'t, T>,
                h0: Option<Var<'t, T>>,
            ) -> Result<(Var<'t, T>, Var<'t, T>)> {
                self.stack.run(tape, x, h0)
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
}

impl<T: Float> LayerCell<T> for LstmCell<T> {
    const LAYER: &'static str = "LSTM";

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
/// # Shapes
/// `x [T, B, I]` (or `[B, T, I]` batch first), `h0 [L*D, B, H]` ->
/// `output [T, B, D*H]`, `h_n [L*D, B, H]`; `D` is 2 when bidirectional.
/// State `2l + d` belongs to layer `l`, direction `d`.
///
/// PyTorch: `nn.RNN(I, H, num_layers, nonlinearity, bidirectional, batch_first)`.
///
/// ```
/// use wengert_nn::recurrent::{Rnn, RnnConfig};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let rnn = Rnn::<f64>::new(RnnConfig::new(3, 5).with_num_layers(2), &mut seeded_rng(0));
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones(&[7, 2, 3]));
/// let (out, h_n) = rnn.forward_with_state(&tape, x, None).unwrap();
/// assert_eq!((out.shape(), h_n.shape()), (vec![7, 2, 5], vec![2, 2, 5]));
/// ```
#[derive(Clone, Debug)]
pub struct Rnn<T: Float> {
    stack: Stack<T, RnnCell<T>>,
}

stacked_layer!(Rnn, with_h0);

/// A multi-layer GRU over a sequence: [`GruCell`] unrolled in time. Layout,
/// stacking, directions and state indexing as [`Rnn`].
///
/// PyTorch: `nn.GRU(I, H, num_layers, bidirectional, batch_first)`.
///
/// ```
/// use wengert_nn::recurrent::{Gru, RnnConfig};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let gru = Gru::<f32>::new(RnnConfig::new(3, 4).with_batch_first(true), &mut seeded_rng(0));
/// let tape = Tape::new();
/// let (out, h_n) = gru.forward_with_state(&tape, tape.constant(Tensor::ones(&[2, 6, 3])), None).unwrap();
/// assert_eq!((out.shape(), h_n.shape()), (vec![2, 6, 4], vec![1, 2, 4]));
/// ```
#[derive(Clone, Debug)]
pub struct Gru<T: Float> {
    stack: Stack<T, GruCell<T>>,
}

stacked_layer!(Gru, with_h0);

/// The state of an [`Lstm`]: hidden and cell states, each `[L*D, B, H]`.
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
/// Steps run fused by default ([`super::lstm_cell_fused`]); with
/// `RnnConfig::with_fused(false)` they run composed, which gives the same
/// values and gradients and can be differentiated twice.
///
/// # Shapes
/// `x [T, B, I]` (or `[B, T, I]`), `h0, c0 [L*D, B, H]` -> output
/// `[T, B, D*H]` (or `[B, T, D*H]`), `h_n, c_n [L*D, B, H]`.
///
/// PyTorch: `nn.LSTM(I, H, num_layers, bidirectional, batch_first)`.
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
#[derive(Clone, Debug)]
pub struct Lstm<T: Float> {
    stack: Stack<T, LstmCell<T>>,
}

stacked_layer!(Lstm);

impl<T: Float> Lstm<T> {
    /// Switches every cell between fused and composed steps.
    pub fn set_fused(&mut self, fused: bool) {
        self.stack.config.fused = fused;
        for cell in &mut self.stack.cells {
            *cell = cell.clone().with_fused(fused);
        }
    }

    /// Runs the sequence from `state` (zeros when `None`); returns the
    /// output sequence and the final state `(h_n, c_n)`.
    pub fn forward_with_state<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        state: Option<LstmState<'t, T>>,
    ) -> Result<(Var<'t, T>, LstmState<'t, T>)> {
        let hs = self.stack.config.hidden_size;
        let packed = match state {
            Some(s) => {
                if s.h.shape() != s.c.shape() {
                    return Err(NnError::InputShape {
                        layer: format!("LSTM({}, {hs})", self.stack.config.input_size),
                        expected: format!("c0 of the shape of h0 {:?}", s.h.shape()),
                        got: s.c.shape(),
                    });
                }
                Some(Var::try_concat(&[s.h, s.c], 2)?)
            }
            None => None,
        };
        let (output, last) = self.stack.run(tape, x, packed)?;
        let state = LstmState {
            h: last.narrow(2, 0, hs),
            c: last.narrow(2, hs, hs),
        };
        Ok((output, state))
    }
}
