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
///
/// The biases are absent for PyTorch's `bias=False`. An LSTM layer with a
/// projection (`proj_size = P`) also owns `weight_hr [P, H]`, which maps
/// `o * tanh(c')` to the hidden output `h'` of width `P`; its `weight_hh`
/// then reads that `h`: `[G*H, P]`. Fields in PyTorch's parameter order.
#[derive(Clone, Debug, Module)]
pub(crate) struct CellWeights<T: Float> {
    pub(crate) weight_ih: Param<T>,
    pub(crate) weight_hh: Param<T>,
    pub(crate) bias_ih: Option<Param<T>>,
    pub(crate) bias_hh: Option<Param<T>>,
    pub(crate) weight_hr: Option<Param<T>>,
}

/// The cell's parameters bound on one tape: bound once per sequence, not
/// once per step, so each parameter is one leaf however long the sequence.
#[derive(Clone, Copy)]
pub(crate) struct BoundWeights<'t, T: Float> {
    pub(crate) w_ih: Var<'t, T>,
    pub(crate) w_hh: Var<'t, T>,
    pub(crate) b_ih: Option<Var<'t, T>>,
    pub(crate) b_hh: Option<Var<'t, T>>,
    pub(crate) w_hr: Option<Var<'t, T>>,
}

impl<T: Float> CellWeights<T> {
    /// PyTorch's default: every weight and bias U(-1/sqrt(H), 1/sqrt(H)),
    /// drawn in the order weight_ih, weight_hh, bias_ih, bias_hh (then
    /// weight_hr for a projection `proj_size > 0`), so a seeded model is
    /// the same whichever cell or layer builds it.
    pub(crate) fn new<R: Rng + ?Sized>(
        input_size: usize,
        hidden_size: usize,
        gates: usize,
        proj_size: usize,
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
        let h_width = if proj_size > 0 {
            proj_size
        } else {
            hidden_size
        };
        let weight_ih = Param::new("weight_ih", init.tensor(&[rows, input_size], rng)?);
        let weight_hh = Param::new("weight_hh", init.tensor(&[rows, h_width], rng)?);
        let bias_ih = Param::new("bias_ih", init.tensor(&[rows], rng)?);
        let bias_hh = Param::new("bias_hh", init.tensor(&[rows], rng)?);
        let weight_hr = if proj_size > 0 {
            let w = init.tensor(&[proj_size, hidden_size], rng)?;
            Some(Param::new("weight_hr", w))
        } else {
            None
        };
        Ok(CellWeights {
            weight_ih,
            weight_hh,
            bias_ih: Some(bias_ih),
            bias_hh: Some(bias_hh),
            weight_hr,
        })
    }

    pub(crate) fn input_size(&self) -> usize {
        self.weight_ih.shape()[1]
    }

    /// `H`: the width of the gates (and of an LSTM's cell state `c`).
    pub(crate) fn hidden_size(&self) -> usize {
        match &self.weight_hr {
            Some(w) => w.shape()[1],
            None => self.weight_hh.shape()[1],
        }
    }

    /// The width of the hidden output `h`: `P` with a projection, else `H`.
    pub(crate) fn output_size(&self) -> usize {
        self.weight_hh.shape()[1]
    }

    pub(crate) fn has_bias(&self) -> bool {
        self.bias_ih.is_some()
    }

    /// PyTorch's `bias=False`: the cell keeps its weights and loses both biases.
    pub(crate) fn drop_biases(&mut self) {
        self.bias_ih = None;
        self.bias_hh = None;
    }

    /// Sets gate block `gate` of the biases so that `bias_ih + bias_hh`
    /// equals `value` there (all of it in `bias_ih`, zero in `bias_hh`).
    /// A cell without biases has nothing to set: the caller refuses first.
    pub(crate) fn set_gate_bias(&mut self, gate: usize, value: f64) {
        let h = self.hidden_size();
        for (p, v) in [(&mut self.bias_ih, value), (&mut self.bias_hh, 0.0)] {
            if let Some(p) = p {
                let data = p.value_mut().data_mut();
                data[gate * h..(gate + 1) * h].fill(T::from_f64(v));
            }
        }
    }

    pub(crate) fn bind<'t>(&self, tape: &'t Tape<T>) -> BoundWeights<'t, T> {
        BoundWeights {
            w_ih: tape.param(&self.weight_ih),
            w_hh: tape.param(&self.weight_hh),
            b_ih: self.bias_ih.as_ref().map(|p| tape.param(p)),
            b_hh: self.bias_hh.as_ref().map(|p| tape.param(p)),
            w_hr: self.weight_hr.as_ref().map(|p| tape.param(p)),
        }
    }
}

/// `a + b`, or `a` for a cell without that bias.
pub(crate) fn plus_bias<'t, T: Float>(a: Var<'t, T>, b: Option<Var<'t, T>>) -> Var<'t, T> {
    match b {
        Some(b) => a + b,
        None => a,
    }
}
