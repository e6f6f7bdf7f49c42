//! The loop over time, layers and directions shared by [`Rnn`](super::Rnn),
//! [`Lstm`](super::Lstm) and [`Gru`](super::Gru).
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

use wengert_tensor::{Float, Param, Parameters, Tape, Var};

use super::weights::{check_step, CellWeights};
use crate::error::{NnError, Result};

/// A step function `(x [B, I], state [B, S]) -> state' [B, S]` whose
/// parameters are already bound on the tape.
pub(crate) type Stepper<'t, T> = Box<dyn Fn(Var<'t, T>, Var<'t, T>) -> Var<'t, T> + 't>;

/// A recurrent cell as the time loop sees it.
pub(crate) trait Recurrence<T: Float> {
    fn weights(&self) -> &CellWeights<T>;
    fn weights_mut(&mut self) -> &mut CellWeights<T>;
    /// Width `S` of the carried state; its first `H` columns are `h`.
    fn state_size(&self) -> usize;
    /// Binds the parameters on `tape` (once per sequence) and returns the step.
    fn stepper<'t>(&self, tape: &'t Tape<T>) -> Stepper<'t, T>;

    /// One checked step of a cell whose state is `h` alone (RNN, GRU):
    /// `x [B, I]`, `h [B, H]` -> `h' [B, H]`; `layer` names it in errors.
    fn checked_step<'t>(
        &self,
        layer: &str,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        h: Var<'t, T>,
    ) -> Result<Var<'t, T>> {
        let w = self.weights();
        check_step(
            layer,
            w.input_size(),
            w.hidden_size(),
            &x.shape(),
            &[&h.shape()],
        )?;
        Ok(self.stepper(tape)(x, h))
    }
}

/// Cells for every layer and direction, with the options of the layer.
#[derive(Clone, Debug)]
pub(crate) struct Stack<T: Float, C> {
    pub(crate) cells: Vec<C>,
    pub(crate) num_layers: usize,
    pub(crate) bidirectional: bool,
    pub(crate) batch_first: bool,
    /// PyTorch's name of the layer, for errors (`LSTM`).
    pub(crate) name: &'static str,
    pub(crate) elem: PhantomData<T>,
}

impl<T: Float, C> Stack<T, C> {
    pub(crate) fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }
}

impl<T: Float, C: Recurrence<T>> Stack<T, C> {
    pub(crate) fn input_size(&self) -> usize {
        self.cells[0].weights().input_size()
    }

    pub(crate) fn hidden_size(&self) -> usize {
        self.cells[0].weights().hidden_size()
    }

    fn describe(&self) -> String {
        format!(
            "{}({}, {}, num_layers={}, bidirectional={}, batch_first={})",
            self.name,
            self.input_size(),
            self.hidden_size(),
            self.num_layers,
            self.bidirectional,
            self.batch_first
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
        let (i_size, h_size, dirs) = (self.input_size(), self.hidden_size(), self.directions());
        let s_size = self.cells[0].state_size();
        let layout = if self.batch_first {
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
        let x = if self.batch_first {
            x.permute(&[1, 0, 2])
        } else {
            x
        };
        let (steps, batch) = (x.shape()[0], x.shape()[1]);
        let n_states = self.num_layers * dirs;
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
        for layer in 0..self.num_layers {
            let mut per_direction: Vec<Vec<Var<'t, T>>> = Vec::with_capacity(dirs);
            for dir in 0..dirs {
                let k = layer * dirs + dir;
                let step = self.cells[k].stepper(tape);
                let mut state = match init {
                    Some(s) => s.narrow(0, k, 1).reshape(&[batch, s_size]),
                    None => super::weights::zero_state(tape, batch, s_size),
                };
                let mut hidden = vec![None; steps];
                let order: Box<dyn Iterator<Item = usize>> = if dir == 0 {
                    Box::new(0..steps)
                } else {
                    Box::new((0..steps).rev())
                };
                for t in order {
                    state = step(inputs[t], state);
                    hidden[t] = Some(if s_size == h_size {
                        state
                    } else {
                        state.narrow(1, 0, h_size)
                    });
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
        if self.batch_first {
            output = output.permute(&[1, 0, 2]);
        }
        Ok((output, Var::stack(&finals, 0)))
    }

    /// The suffix PyTorch gives cell `k`'s parameters: `_l0`, `_l0_reverse`, ...
    fn suffix(&self, k: usize) -> String {
        let dirs = self.directions();
        let reverse = if k % dirs == 1 { "_reverse" } else { "" };
        format!("_l{}{reverse}", k / dirs)
    }

    /// Every cell's weights, named as PyTorch names a stacked layer's:
    /// `weight_ih_l0`, `bias_hh_l1_reverse`, ...
    pub(crate) fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        for (k, cell) in self.cells.iter().enumerate() {
            let suffix = self.suffix(k);
            cell.weights()
                .visit_params(&mut |name, p| f(&format!("{name}{suffix}"), p));
        }
    }

    pub(crate) fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        let suffixes: Vec<String> = (0..self.cells.len()).map(|k| self.suffix(k)).collect();
        for (cell, suffix) in self.cells.iter_mut().zip(suffixes) {
            cell.weights_mut()
                .visit_params_mut(&mut |name, p| f(&format!("{name}{suffix}"), p));
        }
    }
}
