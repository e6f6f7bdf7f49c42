//! What [`Rnn`](super::Rnn), [`Lstm`](super::Lstm) and [`Gru`](super::Gru)
//! share: their one constructor ([`Stack::new`], generic over the cell kind
//! through [`LayerCell`]), the loop over time, layers and directions, and
//! their parameter lists with PyTorch's per-layer names.
//!
//! Every cell is seen through [`Recurrence`]: a step function of an input
//! `[B, I]` and a state `[B, S]` (`S = H`, or `2H` for an LSTM's `(h, c)`
//! side by side) whose first `H` columns are the hidden output. Layer `l`,
//! direction `d` (0 forward, 1 reverse) is cell `2l + d` (or `l` without a
//! reverse direction), as PyTorch indexes `h_0` and `h_n`.
//!
//! The sequence is cut into per-step inputs once, and each layer's outputs
//! stay a list of per-step Vars until the end: slicing a stacked tensor at
//! every step would make the backward pass pad a full-size gradient at every
//! step, quadratic in the sequence length.

use std::marker::PhantomData;

use rand::Rng;
use wengert_tensor::{Float, Param, Tape, Var};

use super::cell::{zero_state, Recurrence};
use super::config::RnnConfig;
use crate::error::{NnError, Result};

/// A cell kind as a stacked layer sees it: what the three layers differ by
/// besides their cell's step and the shape of their state.
pub(crate) trait LayerCell<T: Float>: Recurrence<T> {
    /// PyTorch's name of the layer (`LSTM`): its type name and the start
    /// of its errors.
    const LAYER: &'static str;

    /// The cell with the options of `config` that reach it (nonlinearity,
    /// forget bias, fused); none by default. It draws nothing from the
    /// generator, so the draws are those of the cells' weights alone.
    fn configured(self, config: &RnnConfig) -> Self {
        let _ = config;
        self
    }
}

/// Cells for every layer and direction, with the configuration they were
/// built from.
#[derive(Clone, Debug)]
pub(crate) struct Stack<T: Float, C> {
    pub(crate) cells: Vec<C>,
    pub(crate) config: RnnConfig,
    elem: PhantomData<T>,
}

impl<T: Float, C: LayerCell<T>> Stack<T, C> {
    /// The one constructor of the three layers: makes the cells in
    /// PyTorch's order (layer by layer, forward then reverse), each drawing
    /// its parameters from `rng` in turn, as `nn.RNN`, `nn.GRU` and
    /// `nn.LSTM` do.
    pub(crate) fn new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Result<Self> {
        if config.num_layers == 0 {
            return Err(NnError::InvalidConfig {
                layer: C::LAYER.into(),
                why: "num_layers must be at least 1".into(),
            });
        }
        let dirs = config.directions();
        let mut cells = Vec::with_capacity(config.num_layers * dirs);
        for layer in 0..config.num_layers {
            let input = if layer == 0 {
                config.input_size
            } else {
                dirs * config.hidden_size
            };
            for _ in 0..dirs {
                cells.push(C::init(input, config.hidden_size, rng)?.configured(&config));
            }
        }
        Ok(Stack {
            cells,
            config,
            elem: PhantomData,
        })
    }

    pub(crate) fn layer_name(&self) -> &'static str {
        C::LAYER
    }

    fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "{}({}, {}, num_layers={}, bidirectional={}, batch_first={})",
            C::LAYER,
            c.input_size,
            c.hidden_size,
            c.num_layers,
            c.bidirectional,
            c.batch_first
        )
    }

    /// Runs the whole sequence. `x` is `[T, B, I]` (`[B, T, I]` when batch
    /// first), `init` the packed initial states `[L*D, B, S]` (zeros when
    /// `None`). Returns the last layer's hidden outputs `[T, B, D*H]` (or
    /// `[B, T, D*H]`) and the final packed states `[L*D, B, S]`.
    pub(crate) fn run<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        init: Option<Var<'t, T>>,
    ) -> Result<(Var<'t, T>, Var<'t, T>)> {
        let shape = x.shape();
        let c = &self.config;
        let (i_size, h_size, dirs) = (c.input_size, c.hidden_size, c.directions());
        let s_size = C::STATE_PARTS * h_size;
        let layout = if c.batch_first {
            "[batch, seq, input]"
        } else {
            "[seq, batch, input]"
        };
        if shape.len() != 3 || shape[2] != i_size || shape[0] == 0 || shape[1] == 0 {
            return Err(NnError::InputShape {
                layer: self.describe(),
                expected: format!("{layout} with input = {i_size} and seq, batch >= 1"),
                got: shape,
            });
        }
        let x = if c.batch_first {
            x.permute(&[1, 0, 2])
        } else {
            x
        };
        let (steps, batch) = (x.shape()[0], x.shape()[1]);
        let n_states = c.num_layers * dirs;
        if let Some(s) = init {
            if s.shape() != [n_states, batch, s_size] {
                return Err(NnError::InputShape {
                    layer: self.describe(),
                    expected: format!(
                        "an initial state [num_layers * directions, batch, {}] = [{n_states}, {batch}, {s_size}]",
                        if s_size == h_size { "hidden" } else { "2 * hidden" }
                    ),
                    got: s.shape(),
                });
            }
        }

        let mut inputs: Vec<Var<'t, T>> = (0..steps)
            .map(|t| x.narrow(0, t, 1).reshape(&[batch, i_size]))
            .collect();
        let mut finals = Vec::with_capacity(n_states);
        for layer in 0..c.num_layers {
            let mut per_direction: Vec<Vec<Var<'t, T>>> = Vec::with_capacity(dirs);
            for dir in 0..dirs {
                let k = layer * dirs + dir;
                let cell = &self.cells[k];
                let step = cell.stepper(tape);
                let mut state = match init {
                    Some(s) => s.narrow(0, k, 1).reshape(&[batch, s_size]),
                    None => zero_state(tape, batch, s_size),
                };
                let mut hidden = vec![None; steps];
                let order: Box<dyn Iterator<Item = usize>> = if dir == 0 {
                    Box::new(0..steps)
                } else {
                    Box::new((0..steps).rev())
                };
                for t in order {
                    state = step(inputs[t], state);
                    hidden[t] = Some(cell.hidden(state));
                }
                finals.push(state);
                per_direction.push(
                    hidden
                        .into_iter()
                        .map(|h| h.expect("every step ran"))
                        .collect(),
                );
            }
            // The next layer reads (forward, reverse) side by side.
            inputs = (0..steps)
                .map(|t| {
                    if dirs == 1 {
                        per_direction[0][t]
                    } else {
                        Var::concat(&[per_direction[0][t], per_direction[1][t]], 1)
                    }
                })
                .collect();
        }
        let mut output = Var::stack(&inputs, 0);
        if c.batch_first {
            output = output.permute(&[1, 0, 2]);
        }
        Ok((output, Var::stack(&finals, 0)))
    }

    /// The suffix PyTorch gives cell `k`'s parameters: `_l0`, `_l0_reverse`, ...
    fn suffix(&self, k: usize) -> String {
        let dirs = self.config.directions();
        let reverse = if k % dirs == 1 { "_reverse" } else { "" };
        format!("_l{}{reverse}", k / dirs)
    }

    /// Every cell's weights, named as PyTorch names a stacked layer's:
    /// `weight_ih_l0`, `bias_hh_l1_reverse`, ...
    pub(crate) fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        for (k, cell) in self.cells.iter().enumerate() {
            let suffix = self.suffix(k);
            cell.visit_params(&mut |name, p| f(&format!("{name}{suffix}"), p));
        }
    }

    pub(crate) fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        let suffixes: Vec<String> = (0..self.cells.len()).map(|k| self.suffix(k)).collect();
        for (cell, suffix) in self.cells.iter_mut().zip(suffixes) {
            cell.visit_params_mut(&mut |name, p| f(&format!("{name}{suffix}"), p));
        }
    }
}
