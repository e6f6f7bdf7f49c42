//! What [`Rnn`](super::Rnn), [`Lstm`](super::Lstm) and [`Gru`](super::Gru)
//! share: their one constructor ([`Stack::new`], generic over the cell kind
//! through [`LayerCell`]), the loop over time, layers and directions, and
//! their parameter lists with PyTorch's per-layer names.
//!
//! Every cell is seen through [`Recurrence`]: a step function of an input
//! `[B, I]` and a state `[B, S]` (`S = H`, or `P + H` for an LSTM's
//! `(h, c)` side by side, `P = H` without a projection) whose first columns
//! are the hidden output `h`. Layer `l`,
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
use super::weights::CellWeights;
use crate::error::{NnError, Result};
use crate::layers::Dropout;
use crate::module::Module;

/// A cell kind as a stacked layer sees it: what the three layers differ by
/// besides their cell's step and the shape of their state.
pub(crate) trait LayerCell<T: Float>: Recurrence<T> {
    /// PyTorch's name of the layer (`LSTM`): its type name and the start
    /// of its errors.
    const LAYER: &'static str;

    /// Whether the layer takes `proj_size` (LSTM only, as in PyTorch).
    const PROJECTS: bool = false;

    /// The cell with the options of `config` that reach it (nonlinearity,
    /// forget bias, fused); none by default. It draws nothing from the
    /// generator, so the draws are those of the cells' weights alone.
    fn configured(self, config: &RnnConfig) -> Self {
        let _ = config;
        self
    }

    /// Whether [`Self::sequence`] runs this cell (so the layer hands it the
    /// whole input instead of its steps).
    fn runs_whole(&self) -> bool {
        false
    }

    /// The whole sequence in one node, for a cell that has such a path
    /// (the fused LSTM): `x [T, B, I]` and the initial state `[B, S]` give
    /// the hidden outputs `[T, B, P]` and the final state `[B, S]`; steps
    /// run last to first when `reverse`. `None` (the default): the layer
    /// steps the cell.
    fn sequence<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        state: Var<'t, T>,
        reverse: bool,
    ) -> Option<(Var<'t, T>, Var<'t, T>)> {
        let _ = (tape, x, state, reverse);
        None
    }
}

/// A layer's input or output sequence, as whichever kind of node made it:
/// one `[T, B, F]` Var (a whole-sequence node) or one `[B, F]` Var per step
/// (stepped cells). Each converts to the other once per layer at most.
enum Sequence<'t, T: Float> {
    Whole(Var<'t, T>),
    Steps(Vec<Var<'t, T>>),
}

impl<'t, T: Float> Sequence<'t, T> {
    fn whole(&self) -> Var<'t, T> {
        match self {
            Sequence::Whole(v) => *v,
            Sequence::Steps(steps) => Var::stack(steps, 0),
        }
    }

    fn steps(&self) -> Vec<Var<'t, T>> {
        match self {
            Sequence::Whole(v) => {
                let shape = v.shape();
                (0..shape[0])
                    .map(|t| v.narrow(0, t, 1).reshape(&shape[1..]))
                    .collect()
            }
            Sequence::Steps(steps) => steps.clone(),
        }
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

/// A sequence input in the layout the loop runs on, `[T, B, I]`, and how
/// the caller gave it.
struct Layout {
    steps: usize,
    batch: usize,
    /// `[T, I]`: PyTorch's unbatched input, run as a batch of one.
    unbatched: bool,
}

impl<T: Float, C: LayerCell<T>> Stack<T, C> {
    /// The one constructor of the three layers: checks the options as
    /// PyTorch does, then makes the cells in PyTorch's order (layer by
    /// layer, forward then reverse), each drawing its parameters from
    /// `rng` in turn, as `nn.RNN`, `nn.GRU` and `nn.LSTM` do. Without
    /// biases, each cell's biases are drawn and dropped, so the weights are
    /// those of the biased layer of the same seed.
    pub(crate) fn new<R: Rng + ?Sized>(config: RnnConfig, rng: &mut R) -> Result<Self> {
        config.check(C::LAYER, C::PROJECTS)?;
        let dirs = config.directions();
        let mut cells = Vec::with_capacity(config.num_layers * dirs);
        for layer in 0..config.num_layers {
            let input = if layer == 0 {
                config.input_size
            } else {
                dirs * config.output_size()
            };
            for _ in 0..dirs {
                let mut weights =
                    CellWeights::new(input, config.hidden_size, C::GATES, config.proj_size, rng)?;
                if !config.bias {
                    weights.drop_biases();
                }
                cells.push(C::from_weights(weights).configured(&config));
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

    /// The layer as PyTorch prints it, with the options that are not
    /// PyTorch's defaults (`num_layers`, `bidirectional` and `batch_first`
    /// always).
    fn describe(&self) -> String {
        let c = &self.config;
        let mut text = format!(
            "{}({}, {}, num_layers={}, bidirectional={}, batch_first={}",
            C::LAYER,
            c.input_size,
            c.hidden_size,
            c.num_layers,
            c.bidirectional,
            c.batch_first
        );
        if !c.bias {
            text.push_str(", bias=false");
        }
        if c.dropout > 0.0 {
            text.push_str(&format!(", dropout={}", c.dropout));
        }
        if c.proj_size > 0 {
            text.push_str(&format!(", proj_size={}", c.proj_size));
        }
        text + ")"
    }

    /// Checks the input's shape and reads its layout.
    fn layout(&self, shape: &[usize]) -> Result<Layout> {
        let c = &self.config;
        let i_size = c.input_size;
        let layout = match (shape.len(), c.batch_first) {
            (2, _) => Some((shape[0], 1, true)),
            (3, false) => Some((shape[0], shape[1], false)),
            (3, true) => Some((shape[1], shape[0], false)),
            _ => None,
        };
        match layout {
            // PyTorch refuses an empty sequence too ("Expected sequence
            // length to be larger than 0"); an empty batch is fine.
            Some((steps, batch, unbatched)) if steps > 0 && shape[shape.len() - 1] == i_size => {
                Ok(Layout {
                    steps,
                    batch,
                    unbatched,
                })
            }
            _ => {
                let batched = if c.batch_first {
                    "[batch, seq, input]"
                } else {
                    "[seq, batch, input]"
                };
                Err(NnError::InputShape {
                    layer: self.describe(),
                    expected: format!(
                        "{batched}, or [seq, input] unbatched, with input = {i_size} and seq >= 1"
                    ),
                    got: shape.to_vec(),
                })
            }
        }
    }

    /// Runs the whole sequence. `x` is `[T, B, I]` (`[B, T, I]` when batch
    /// first) or unbatched `[T, I]`; `init` the initial state's blocks in
    /// the order of [`Recurrence::STATE_PARTS`] (`h0`, `c0`), each
    /// `[L*D, B, width]` (`[L*D, width]` unbatched), zeros when `None`.
    /// Returns the last layer's hidden outputs `[T, B, D*P]` (or
    /// `[B, T, D*P]`, or `[T, D*P]`) and the final state's blocks in the
    /// layout of `init`.
    pub(crate) fn run<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        init: Option<&[Var<'t, T>]>,
    ) -> Result<(Var<'t, T>, Vec<Var<'t, T>>)> {
        let c = &self.config;
        let Layout {
            steps,
            batch,
            unbatched,
        } = self.layout(&x.shape())?;
        let (i_size, dirs) = (c.input_size, c.directions());
        let n_states = c.num_layers * dirs;
        let widths = self.cells[0].state_widths();
        let s_size: usize = widths.iter().sum();
        let init = match init {
            Some(parts) => Some(self.checked_init(parts, &widths, batch, unbatched)?),
            None => None,
        };
        let x = if unbatched {
            x.reshape(&[steps, 1, i_size])
        } else if c.batch_first {
            x.permute(&[1, 0, 2])
        } else {
            x
        };

        // Layer 0's input stays whole: a whole-sequence cell reads it as
        // is, and a stepped one cuts it into steps once.
        let mut inputs = Sequence::Whole(x);
        let mut finals = Vec::with_capacity(n_states);
        let between_layers = Dropout::try_new(c.dropout)?;
        for layer in 0..c.num_layers {
            let mut per_direction: Vec<Sequence<'t, T>> = Vec::with_capacity(dirs);
            let mut input_steps: Option<Vec<Var<'t, T>>> = None;
            let mut input_whole: Option<Var<'t, T>> = None;
            for dir in 0..dirs {
                let k = layer * dirs + dir;
                let cell = &self.cells[k];
                let mut state = match &init {
                    Some(parts) => {
                        let mine: Vec<Var<'t, T>> = parts
                            .iter()
                            .zip(&widths)
                            .map(|(p, &w)| p.narrow(0, k, 1).reshape(&[batch, w]))
                            .collect();
                        match mine[..] {
                            [one] => one,
                            _ => Var::concat(&mine, 1),
                        }
                    }
                    None => zero_state(tape, batch, s_size),
                };
                if cell.runs_whole() {
                    let whole = *input_whole.get_or_insert_with(|| inputs.whole());
                    if let Some((hidden, last)) = cell.sequence(tape, whole, state, dir == 1) {
                        finals.push(last);
                        per_direction.push(Sequence::Whole(hidden));
                        continue;
                    }
                }
                let step_inputs = input_steps.get_or_insert_with(|| inputs.steps());
                let step = cell.stepper(tape);
                let mut hidden = vec![None; steps];
                let order: Box<dyn Iterator<Item = usize>> = if dir == 0 {
                    Box::new(0..steps)
                } else {
                    Box::new((0..steps).rev())
                };
                for t in order {
                    state = step(step_inputs[t], state);
                    hidden[t] = Some(cell.hidden(state));
                }
                finals.push(state);
                per_direction.push(Sequence::Steps(
                    hidden
                        .into_iter()
                        .map(|h| h.expect("every step ran"))
                        .collect(),
                ));
            }
            // The next layer reads (forward, reverse) side by side, through
            // dropout in a training pass. The masks are drawn in time order
            // (step by step, or at once over [T, B, D*P], which draws the
            // same words in the same order): the draws of one Dropout over
            // the layer's output. The last layer's output is not dropped.
            let last = layer + 1 == c.num_layers;
            let both = match &per_direction[..] {
                [one] => match one {
                    Sequence::Whole(v) => Sequence::Whole(*v),
                    Sequence::Steps(s) => Sequence::Steps(s.clone()),
                },
                [Sequence::Whole(f), Sequence::Whole(r)] => {
                    Sequence::Whole(Var::concat(&[*f, *r], 2))
                }
                [f, r] => Sequence::Steps(
                    f.steps()
                        .into_iter()
                        .zip(r.steps())
                        .map(|(f, r)| Var::concat(&[f, r], 1))
                        .collect(),
                ),
                _ => unreachable!("one or two directions"),
            };
            inputs = if last {
                both
            } else {
                match both {
                    Sequence::Whole(v) => Sequence::Whole(between_layers.forward(tape, v)?),
                    Sequence::Steps(s) => Sequence::Steps(
                        s.into_iter()
                            .map(|v| between_layers.forward(tape, v))
                            .collect::<Result<_>>()?,
                    ),
                }
            };
        }
        let mut output = inputs.whole();
        let mut finals = Var::stack(&finals, 0);
        if unbatched {
            output = output.reshape(&[steps, dirs * widths[0]]);
            finals = finals.reshape(&[n_states, s_size]);
        } else if c.batch_first {
            output = output.permute(&[1, 0, 2]);
        }
        let finals = if widths.len() == 1 {
            vec![finals]
        } else {
            let mut start = 0;
            widths
                .iter()
                .map(|&w| {
                    let part = finals.narrow(-1, start, w);
                    start += w;
                    part
                })
                .collect()
        };
        Ok((output, finals))
    }

    /// The initial state's blocks, checked against `[L*D, B, width]`
    /// (`[L*D, width]` for an unbatched input) and brought to the batched
    /// layout.
    fn checked_init<'t>(
        &self,
        parts: &[Var<'t, T>],
        widths: &[usize],
        batch: usize,
        unbatched: bool,
    ) -> Result<Vec<Var<'t, T>>> {
        let n_states = self.config.num_layers * self.config.directions();
        let names = C::STATE_PARTS;
        assert_eq!(parts.len(), names.len(), "one initial block per state part");
        let mut batched = Vec::with_capacity(parts.len());
        for ((part, name), &w) in parts.iter().zip(names).zip(widths) {
            let what = if w == self.config.hidden_size {
                "hidden_size"
            } else {
                "proj_size"
            };
            let (want, expected) = if unbatched {
                (
                    vec![n_states, w],
                    format!(
                        "for an unbatched input [seq, input], {name}0 is 2-D too: \
                         [num_layers * directions, {what}] = [{n_states}, {w}]"
                    ),
                )
            } else {
                (
                    vec![n_states, batch, w],
                    format!(
                        "{name}0 [num_layers * directions, batch, {what}] = [{n_states}, {batch}, {w}]"
                    ),
                )
            };
            if part.shape() != want {
                return Err(NnError::InputShape {
                    layer: self.describe(),
                    expected,
                    got: part.shape(),
                });
            }
            batched.push(if unbatched {
                part.reshape(&[n_states, 1, w])
            } else {
                *part
            });
        }
        Ok(batched)
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
