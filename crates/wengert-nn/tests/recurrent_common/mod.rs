//! Shared by the recurrent tests: the three layers behind one enum, so a
//! test runs a layer of any kind the same way.
#![allow(dead_code)] // each test file uses a different part

use wengert_nn::recurrent::{Gru, Lstm, LstmState, Rnn, RnnConfig};
use wengert_nn::Module;
use wengert_tensor::{seeded_rng, Tape, Var};

/// The layers' PyTorch names, in the order of [`Layer::build`]'s kinds.
pub const KINDS: [&str; 3] = ["RNN", "GRU", "LSTM"];

/// One of the three layers.
#[derive(Clone)]
pub enum Layer {
    Rnn(Rnn<f64>),
    Gru(Gru<f64>),
    Lstm(Lstm<f64>),
}

impl Layer {
    /// The layer named `kind` (`RNN`, `GRU`, `LSTM`), drawn from `seed`;
    /// `proj_size` reaches only an LSTM (PyTorch refuses it for the others).
    pub fn build(kind: &str, config: RnnConfig, seed: u64) -> Layer {
        let rng = &mut seeded_rng(seed);
        match kind {
            "RNN" => Layer::Rnn(Rnn::new(config.with_proj_size(0), rng)),
            "GRU" => Layer::Gru(Gru::new(config.with_proj_size(0), rng)),
            "LSTM" => Layer::Lstm(Lstm::new(config, rng)),
            other => panic!("unknown layer {other}"),
        }
    }

    pub fn module(&mut self) -> &mut dyn Module<f64> {
        match self {
            Layer::Rnn(m) => m,
            Layer::Gru(m) => m,
            Layer::Lstm(m) => m,
        }
    }

    /// The layer's own configuration.
    pub fn config(&self) -> RnnConfig {
        *match self {
            Layer::Rnn(m) => m.config(),
            Layer::Gru(m) => m.config(),
            Layer::Lstm(m) => m.config(),
        }
    }

    /// The widths of the state's blocks: `[H]`, or `[P, H]` for an LSTM.
    pub fn state_widths(&self) -> Vec<usize> {
        let c = self.config();
        match self {
            Layer::Lstm(_) => vec![c.output_size(), c.hidden_size],
            _ => vec![c.hidden_size],
        }
    }

    /// The output and the final state's blocks (`h_n`, and `c_n` for an
    /// LSTM) from the initial blocks, or from zeros when `state` is empty.
    pub fn run<'t>(
        &self,
        tape: &'t Tape<f64>,
        x: Var<'t, f64>,
        state: &[Var<'t, f64>],
    ) -> (Var<'t, f64>, Vec<Var<'t, f64>>) {
        let h0 = state.first().copied();
        match self {
            Layer::Rnn(m) => {
                let (out, h) = m.forward_with_state(tape, x, h0).unwrap();
                (out, vec![h])
            }
            Layer::Gru(m) => {
                let (out, h) = m.forward_with_state(tape, x, h0).unwrap();
                (out, vec![h])
            }
            Layer::Lstm(m) => {
                let init = match state {
                    [h, c] => Some(LstmState { h: *h, c: *c }),
                    [] => None,
                    _ => panic!("an LSTM state is (h, c)"),
                };
                let (out, s) = m.forward_with_state(tape, x, init).unwrap();
                (out, vec![s.h, s.c])
            }
        }
    }

    /// The parameters of the layer, by name.
    pub fn params(&self) -> Vec<(String, wengert_tensor::Param<f64>)> {
        let list = match self {
            Layer::Rnn(m) => m.params(),
            Layer::Gru(m) => m.params(),
            Layer::Lstm(m) => m.params(),
        };
        list.into_iter().map(|(n, p)| (n, p.clone())).collect()
    }
}
