//! The sequence layers [`Rnn`], [`Lstm`], [`Gru`]: cells unrolled over time,
//! stacked, optionally in both directions, with PyTorch's parameter names
//! (`weight_ih_l0`, `bias_hh_l1_reverse`, ...).

use std::marker::PhantomData;

use rand::Rng;
use wengert_tensor::{Float, Param, Parameters, Tape, Var};

use super::gru_cell::GruCell;
use super::lstm_cell::LstmCell;
use super::rnn_cell::{RnnCell, RnnNonlinearity};
use super::stack::Stack;
use crate::error::{NnError, Result};
use crate::module::{Module, ModuleParts};

/// Builds an [`Rnn`], [`Lstm`] or [`Gru`]. Defaults as PyTorch: one layer,
/// one direction, sequence first, tanh; plus two options PyTorch lacks:
/// `forget_bias` (LSTM) and `fused` (LSTM, on by default).
///
/// ```
/// use wengert_nn::recurrent::{Lstm, RnnConfig};
/// use wengert_tensor::seeded_rng;
/// let config = RnnConfig::new(32, 128).with_num_layers(2).with_bidirectional(true);
/// let lstm = Lstm::<f32>::new(config, &mut seeded_rng(0));
/// assert_eq!(lstm.config().hidden_size, 128);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RnnConfig {
    /// Input features `I`.
    pub input_size: usize,
    /// Hidden features `H` (per direction).
    pub hidden_size: usize,
    /// Stacked layers `L`; layer `l > 0` reads layer `l - 1`'s outputs.
    pub num_layers: usize,
    /// A second, reverse-time pass per layer, outputs side by side.
    pub bidirectional: bool,
    /// Input and output as `[batch, seq, features]` instead of `[seq, batch, features]`.
    pub batch_first: bool,
    /// The nonlinearity of an [`Rnn`] (ignored by the gated layers).
    pub nonlinearity: RnnNonlinearity,
    /// For an [`Lstm`]: sets `bias_ih + bias_hh` of the forget gate to this
    /// value in every cell (see [`LstmCell::with_forget_bias`]); 1.0 is the
    /// usual choice. `None` keeps PyTorch's random init.
    pub forget_bias: Option<f64>,
    /// For an [`Lstm`]: each step as one fused tape node (the default) or
    /// composed of `Var` ops (twice differentiable).
    pub fused: bool,
}

impl RnnConfig {
    /// One layer, one direction, sequence first, tanh, fused, PyTorch's init.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        RnnConfig {
            input_size,
            hidden_size,
            num_layers: 1,
            bidirectional: false,
            batch_first: false,
            nonlinearity: RnnNonlinearity::Tanh,
            forget_bias: None,
            fused: true,
        }
    }

    /// With `num_layers` stacked layers.
    pub fn with_num_layers(mut self, num_layers: usize) -> Self {
        self.num_layers = num_layers;
        self
    }

    /// With or without the reverse direction.
    pub fn with_bidirectional(mut self, bidirectional: bool) -> Self {
        self.bidirectional = bidirectional;
        self
    }

    /// With `[batch, seq, features]` layout.
    pub fn with_batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }

    /// With this nonlinearity (plain RNN).
    pub fn with_nonlinearity(mut self, nonlinearity: RnnNonlinearity) -> Self {
        self.nonlinearity = nonlinearity;
        self
    }

    /// With the forget-gate bias set to `value` (LSTM).
    pub fn with_forget_bias(mut self, value: f64) -> Self {
        self.forget_bias = Some(value);
        self
    }

    /// Fused or composed LSTM steps.
    pub fn with_fused(mut self, fused: bool) -> Self {
        self.fused = fused;
        self
    }

    fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// Makes the cells in PyTorch's order (layer by layer, forward then
    /// reverse), each drawing its parameters from `rng` in turn.
    fn stack<T: Float, C>(
        &self,
        name: &'static str,
        mut make: impl FnMut(usize) -> Result<C>,
    ) -> Result<Stack<T, C>> {
        if self.num_layers == 0 {
            return Err(NnError::InvalidConfig {
                layer: name.into(),
                why: "num_layers must be at least 1".into(),
            });
        }
        let dirs = self.directions();
        let mut cells = Vec::with_capacity(self.num_layers * dirs);
        for layer in 0..self.num_layers {
            let input = if layer == 0 {
                self.input_size
            } else {
                dirs * self.hidden_size
            };
            for _ in 0..dirs {
                cells.push(make(input)?);
            }
        }
        Ok(Stack {
            cells,
            num_layers: self.num_layers,
            bidirectional: self.bidirectional,
            batch_first: self.batch_first,
            name,
            elem: PhantomData,
        })
    }
}

/// A stacked layer lists its cells' weights with PyTorch's layer suffixes
/// (`weight_ih_l0_reverse`), which a field-by-field derive cannot name, so
/// its lists are written here once for all three layers.
macro_rules! module_impl {
    ($layer:ident, $name:literal) => {
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
                $name
            }
        }

        impl<T: Float> Module<T> for $layer<T> {
            /// The output sequence from a zero initial state.
            fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
                Ok(self.stack.run(tape, x, None)?.0)
            }
        }
    };
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
    config: RnnConfig,
}

impl<T: Float> Rnn<T> {
    /// Builds the layer; panics on an invalid configuration.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Self {
        crate::error::or_panic(Self::try_new(config, rng))
    }

    /// Builds the layer (zero sizes are an error).
    pub fn try_new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Result<Self> {
        let stack = config.stack("RNN", |input| {
            RnnCell::try_new(input, config.hidden_size, config.nonlinearity, rng)
        })?;
        Ok(Rnn { stack, config })
    }

    /// The configuration.
    pub fn config(&self) -> &RnnConfig {
        &self.config
    }

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

module_impl!(Rnn, "RNN");

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
    config: RnnConfig,
}

impl<T: Float> Gru<T> {
    /// Builds the layer; panics on an invalid configuration.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Self {
        crate::error::or_panic(Self::try_new(config, rng))
    }

    /// Builds the layer (zero sizes are an error).
    pub fn try_new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Result<Self> {
        let stack = config.stack("GRU", |input| {
            GruCell::try_new(input, config.hidden_size, rng)
        })?;
        Ok(Gru { stack, config })
    }

    /// The configuration.
    pub fn config(&self) -> &RnnConfig {
        &self.config
    }

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

module_impl!(Gru, "GRU");

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
    config: RnnConfig,
}

impl<T: Float> Lstm<T> {
    /// Builds the layer; panics on an invalid configuration.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Self {
        crate::error::or_panic(Self::try_new(config, rng))
    }

    /// Builds the layer (zero sizes are an error).
    pub fn try_new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Result<Self> {
        let stack = config.stack("LSTM", |input| {
            let cell = LstmCell::try_new(input, config.hidden_size, rng)?.with_fused(config.fused);
            Ok(match config.forget_bias {
                Some(v) => cell.with_forget_bias(v),
                None => cell,
            })
        })?;
        Ok(Lstm { stack, config })
    }

    /// The configuration.
    pub fn config(&self) -> &RnnConfig {
        &self.config
    }

    /// Switches every cell between fused and composed steps.
    pub fn set_fused(&mut self, fused: bool) {
        self.config.fused = fused;
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
        let hs = self.config.hidden_size;
        let packed = match state {
            Some(s) => {
                if s.h.shape() != s.c.shape() {
                    return Err(NnError::InputShape {
                        layer: format!("LSTM({}, {hs})", self.config.input_size),
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

module_impl!(Lstm, "LSTM");
