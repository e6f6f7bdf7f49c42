//! The parameters every recurrent cell owns, with PyTorch's names, layout
//! and default initialisation, so PyTorch weights load by name.

use rand::Rng;
use wengert_tensor::{Float, Param, Tape, Var};

use crate::error::{NnError, Result};
use crate::init::Init;
use crate::Module;

/// `weight_ih [G*H, I]`, `weight_hh [G*H, H]`, `bias_ih [G*H]`,
/// `bias_hh [G*H]` for a cell with `G` gate blocks stacked along the rows
/// (1 for a plain RNN, 3 for a GRU: r, z, n; 4 for an LSTM: i, f, g, o).
#[derive(Clone, Debug, Module)]
pub(crate) struct CellWeights<T: Float> {
    pub(crate) weight_ih: Param<T>,
    pub(crate) weight_hh: Param<T>,
    pub(crate) bias_ih: Param<T>,
    pub(crate) bias_hh: Param<T>,
}

/// The cell's parameters bound on one tape: bound once per sequence, not
/// once per step, so each parameter is one leaf however long the sequence.
#[derive(Clone, Copy)]
pub(crate) struct BoundWeights<'t, T: Float> {
    pub(crate) w_ih: Var<'t, T>,
    pub(crate) w_hh: Var<'t, T>,
    pub(crate) b_ih: Var<'t, T>,
    pub(crate) b_hh: Var<'t, T>,
}

impl<T: Float> CellWeights<T> {
    /// PyTorch's default: every weight and bias U(-1/sqrt(H), 1/sqrt(H)),
    /// drawn in the order weight_ih, weight_hh, bias_ih, bias_hh, so a
    /// seeded model is the same whichever cell or layer builds it.
    pub(crate) fn new<R: Rng + ?Sized>(
        input_size: usize,
        hidden_size: usize,
        gates: usize,
        rng: &mut R,
    ) -> Result<Self> {
        if hidden_size == 0 {
            return Err(NnError::InvalidConfig {
                layer: "recurrent cell".into(),
                why: "hidden_size must be at least 1".into(),
            });
        }
        let bound = 1.0 / (hidden_size as f64).sqrt();
        let init = Init::Uniform {
            low: -bound,
            high: bound,
        };
        let rows = gates * hidden_size;
        Ok(CellWeights {
            weight_ih: Param::new("weight_ih", init.tensor(&[rows, input_size], rng)?),
            weight_hh: Param::new("weight_hh", init.tensor(&[rows, hidden_size], rng)?),
            bias_ih: Param::new("bias_ih", init.tensor(&[rows], rng)?),
            bias_hh: Param::new("bias_hh", init.tensor(&[rows], rng)?),
        })
    }

    pub(crate) fn input_size(&self) -> usize {
        self.weight_ih.shape()[1]
    }

    pub(crate) fn hidden_size(&self) -> usize {
        self.weight_hh.shape()[1]
    }

    /// Sets gate block `gate` of the biases so that `bias_ih + bias_hh`
    /// equals `value` there (all of it in `bias_ih`, zero in `bias_hh`).
    pub(crate) fn set_gate_bias(&mut self, gate: usize, value: f64) {
        let h = self.hidden_size();
        for (p, v) in [(&mut self.bias_ih, value), (&mut self.bias_hh, 0.0)] {
            let data = p.value_mut().data_mut();
            data[gate * h..(gate + 1) * h].fill(T::from_f64(v));
        }
    }

    pub(crate) fn bind<'t>(&self, tape: &'t Tape<T>) -> BoundWeights<'t, T> {
        BoundWeights {
            w_ih: tape.param(&self.weight_ih),
            w_hh: tape.param(&self.weight_hh),
            b_ih: tape.param(&self.bias_ih),
            b_hh: tape.param(&self.bias_hh),
        }
    }
}
