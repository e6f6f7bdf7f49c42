//! The one recurrent layer both experiments train, whichever of the three
//! kinds it is, and its state carried between tapes.

use wengert::nn::recurrent::{Gru, Lstm, LstmState, Rnn, RnnConfig};
use wengert::prelude::*;
use wengert::rand::Rng;

use super::Outcome;

/// The three layers the text compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Elman RNN with tanh.
    Rnn,
    /// Long short-term memory (Hochreiter & Schmidhuber, 1997).
    Lstm,
    /// Gated recurrent unit (Cho et al., 2014).
    Gru,
}

impl CellKind {
    /// All three, in the text's order.
    pub const ALL: [CellKind; 3] = [CellKind::Rnn, CellKind::Lstm, CellKind::Gru];

    /// `rnn`, `lstm` or `gru`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "rnn" => Some(CellKind::Rnn),
            "lstm" => Some(CellKind::Lstm),
            "gru" => Some(CellKind::Gru),
            _ => None,
        }
    }

    /// How the tables name it.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Rnn => "RNN (tanh)",
            CellKind::Lstm => "LSTM",
            CellKind::Gru => "GRU",
        }
    }
}

/// A hidden state off any tape: what one batch hands the next. A fresh
/// tape binds it as a constant, so the gradient stops at the batch
/// boundary (truncated BPTT, the text's `state.detach_()`).
#[derive(Clone, Debug, PartialEq)]
pub struct CarriedState {
    /// `h [1, B, H]`.
    pub h: Tensor<f32>,
    /// An LSTM's memory cell `c [1, B, H]`; `None` for the RNN and the GRU.
    pub c: Option<Tensor<f32>>,
}

/// One layer of one of the three kinds (sequence first, `[T, B, I]`).
#[derive(Clone, Debug)]
pub enum Recurrent {
    /// tanh RNN.
    Rnn(Rnn<f32>),
    /// LSTM (fused whole-sequence node).
    Lstm(Lstm<f32>),
    /// GRU.
    Gru(Gru<f32>),
}

impl Recurrent {
    /// A layer of `kind`, PyTorch's initialisation; `forget_bias` sets an
    /// LSTM's forget-gate bias (ignored by the others).
    pub fn new<R: Rng + ?Sized>(
        kind: CellKind,
        input_size: usize,
        hidden_size: usize,
        forget_bias: Option<f64>,
        rng: &mut R,
    ) -> Self {
        let config = RnnConfig::new(input_size, hidden_size);
        match kind {
            CellKind::Rnn => Recurrent::Rnn(Rnn::new(config, rng)),
            CellKind::Lstm => {
                let config = match forget_bias {
                    Some(b) => config.with_forget_bias(b),
                    None => config,
                };
                Recurrent::Lstm(Lstm::new(config, rng))
            }
            CellKind::Gru => Recurrent::Gru(Gru::new(config, rng)),
        }
    }

    /// Runs `x [T, B, I]` from `state` (zeros when `None`): the outputs
    /// `[T, B, H]`, the last hidden state `h_n [1, B, H]` on the tape, and
    /// the final state detached for the next batch.
    pub fn run<'t>(
        &self,
        tape: &'t Tape<f32>,
        x: Var<'t, f32>,
        state: Option<&CarriedState>,
    ) -> Outcome<(Var<'t, f32>, Var<'t, f32>, CarriedState)> {
        let h0 = state.map(|s| tape.constant(s.h.clone()));
        let (out, h_n, c_n) = match self {
            Recurrent::Rnn(layer) => {
                let (out, h_n) = layer.forward_with_state(tape, x, h0)?;
                (out, h_n, None)
            }
            Recurrent::Gru(layer) => {
                let (out, h_n) = layer.forward_with_state(tape, x, h0)?;
                (out, h_n, None)
            }
            Recurrent::Lstm(layer) => {
                let init = match (h0, state.and_then(|s| s.c.clone())) {
                    (Some(h), Some(c)) => Some(LstmState {
                        h,
                        c: tape.constant(c),
                    }),
                    (None, None) => None,
                    _ => return Err("an LSTM state needs both h and c".into()),
                };
                let (out, last) = layer.forward_with_state(tape, x, init)?;
                (out, last.h, Some(last.c.value()))
            }
        };
        let carried = CarriedState {
            h: h_n.value(),
            c: c_n,
        };
        Ok((out, h_n, carried))
    }
}

impl Parameters<f32> for Recurrent {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f32>)) {
        match self {
            Recurrent::Rnn(layer) => layer.visit_params(f),
            Recurrent::Lstm(layer) => layer.visit_params(f),
            Recurrent::Gru(layer) => layer.visit_params(f),
        }
    }

    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f32>)) {
        match self {
            Recurrent::Rnn(layer) => layer.visit_params_mut(f),
            Recurrent::Lstm(layer) => layer.visit_params_mut(f),
            Recurrent::Gru(layer) => layer.visit_params_mut(f),
        }
    }
}

/// A recurrent layer and the linear head on top of it, listed for an
/// optimizer as `rnn.*` and `head.*`.
#[derive(Clone, Debug)]
pub struct RecurrentWithHead {
    /// The recurrent layer.
    pub rnn: Recurrent,
    /// The linear read-out.
    pub head: Linear<f32>,
}

impl Parameters<f32> for RecurrentWithHead {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f32>)) {
        self.rnn
            .visit_params(&mut |name, p| f(&format!("rnn.{name}"), p));
        self.head
            .visit_params(&mut |name, p| f(&format!("head.{name}"), p));
    }

    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f32>)) {
        self.rnn
            .visit_params_mut(&mut |name, p| f(&format!("rnn.{name}"), p));
        self.head
            .visit_params_mut(&mut |name, p| f(&format!("head.{name}"), p));
    }
}
