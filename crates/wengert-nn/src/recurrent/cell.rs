//! What the three cells share, written once: [`Recurrence`] (how a cell is
//! built from its [`CellWeights`], its checked step, its `forward` as a
//! module) and [`cell_common!`], the public methods that only the cell's
//! name tells apart. A cell file then holds its equations (`stepper`) and
//! its own options.

use rand::Rng;
use wengert_tensor::{Float, Tape, Tensor, Var};

use super::weights::CellWeights;
use crate::error::Result;
use crate::module::{input_error, ModuleParts};

/// A step function `(x [B, I], state [B, S]) -> state' [B, S]` whose
/// parameters are already bound on the tape.
pub(crate) type Stepper<'t, T> = Box<dyn Fn(Var<'t, T>, Var<'t, T>) -> Var<'t, T> + 't>;

/// A recurrent cell: weights with `GATES` blocks and a step. Its
/// [`ModuleParts::type_name`] (`GRUCell`) names it in errors.
pub(crate) trait Recurrence<T: Float>: ModuleParts<T> + Sized {
    /// Gate blocks stacked along the weights' rows: 1 (RNN), 3 (GRU), 4 (LSTM).
    const GATES: usize;

    /// The blocks side by side in the carried state, by their PyTorch
    /// names: `h`, or an LSTM's `h` and `c`. The first is always the hidden
    /// output `h` (width `P` with a projection, else `H`); the others are
    /// `H` wide.
    const STATE_PARTS: &'static [&'static str] = &["h"];

    /// The cell around these weights, with the kind's defaults (tanh, fused).
    fn from_weights(weights: CellWeights<T>) -> Self;

    fn weights(&self) -> &CellWeights<T>;

    /// Binds the parameters on `tape` (once per sequence) and returns the step.
    fn stepper<'t>(&self, tape: &'t Tape<T>) -> Stepper<'t, T>;

    /// The constructor of every cell: PyTorch's default init, drawn from
    /// `rng` in PyTorch's order (see [`CellWeights::new`]).
    fn init<R: Rng + ?Sized>(input_size: usize, hidden_size: usize, rng: &mut R) -> Result<Self> {
        let weights = CellWeights::new(input_size, hidden_size, Self::GATES, 0, rng)?;
        Ok(Self::from_weights(weights))
    }

    /// The widths of the state's blocks, in the order of [`Self::STATE_PARTS`].
    fn state_widths(&self) -> Vec<usize> {
        let w = self.weights();
        (0..Self::STATE_PARTS.len())
            .map(|k| {
                if k == 0 {
                    w.output_size()
                } else {
                    w.hidden_size()
                }
            })
            .collect()
    }

    /// The hidden output `h` of a state `[B, S]` (or `[S]`): its first
    /// columns.
    fn hidden<'t>(&self, state: Var<'t, T>) -> Var<'t, T> {
        if Self::STATE_PARTS.len() == 1 {
            state
        } else {
            state.narrow(-1, 0, self.weights().output_size())
        }
    }

    /// A state `[B, S]` (or `[S]`) cut into its blocks along the last axis.
    fn split_state<'t>(&self, state: Var<'t, T>) -> Vec<Var<'t, T>> {
        if Self::STATE_PARTS.len() == 1 {
            return vec![state];
        }
        let mut start = 0;
        self.state_widths()
            .into_iter()
            .map(|w| {
                let part = state.narrow(-1, start, w);
                start += w;
                part
            })
            .collect()
    }

    /// One checked step from `x [B, I]` and the state given as its blocks
    /// (`[h]` or `[h, c]`, each `[B, width]`); returns the new state
    /// `[B, S]`. An unbatched input `x [I]` takes blocks `[width]` and gives
    /// `[S]`, as PyTorch's cells do; `B = 0` gives an empty state. Nothing
    /// is recorded before the shapes are checked.
    fn checked_step<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        parts: &[Var<'t, T>],
    ) -> Result<Var<'t, T>> {
        let (i, h) = (self.weights().input_size(), self.weights().hidden_size());
        let layer = || format!("{}({i}, {h})", self.type_name());
        let xs = x.shape();
        let unbatched = xs.len() == 1;
        if !(unbatched && xs[0] == i || xs.len() == 2 && xs[1] == i) {
            let expected = format!("an input [batch, {i}], or [{i}] unbatched");
            return Err(input_error(layer(), expected, xs));
        }
        for ((part, name), width) in parts.iter().zip(Self::STATE_PARTS).zip(self.state_widths()) {
            let s = part.shape();
            let want = if unbatched {
                vec![width]
            } else {
                vec![xs[0], width]
            };
            if s != want {
                let expected = format!("a state {name} {want:?} for an input of shape {xs:?}");
                return Err(input_error(layer(), expected, s));
            }
        }
        let step = self.stepper(tape);
        let as_batch = |v: Var<'t, T>| {
            if unbatched {
                v.reshape(&[1, v.numel()])
            } else {
                v
            }
        };
        let state = match parts {
            [one] => as_batch(*one),
            _ => Var::concat(&parts.iter().map(|p| as_batch(*p)).collect::<Vec<_>>(), 1),
        };
        let next = step(as_batch(x), state);
        Ok(if unbatched {
            next.reshape(&[next.numel()])
        } else {
            next
        })
    }

    /// A cell's `forward` as a [`Module`](crate::Module): one step from a
    /// zero state, returning `h'`.
    fn step_from_zero<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let xs = x.shape();
        let lead = if xs.len() == 1 {
            &[][..]
        } else {
            &xs[..xs.len().min(1)]
        };
        let zeros: Vec<Var<'t, T>> = self
            .state_widths()
            .into_iter()
            .map(|w| tape.constant(Tensor::zeros(&[lead, &[w]].concat())))
            .collect();
        let state = self.checked_step(tape, x, &zeros)?;
        Ok(self.hidden(state))
    }
}

/// A zero state `[batch, width]` as a constant.
pub(crate) fn zero_state<T: Float>(tape: &Tape<T>, batch: usize, width: usize) -> Var<'_, T> {
    tape.constant(Tensor::zeros(&[batch, width]))
}

/// The public methods of a cell that differ only by its name: `new` (whose
/// doc comment the call gives), `input_size`, `hidden_size`, and
/// [`Module::forward`](crate::Module::forward) from a zero state. Optional
/// parts, for the cells whose signatures allow them: `try_new` without
/// options (GRU, LSTM) and `forward_step` on a state `h` alone (RNN, GRU).
macro_rules! cell_common {
    ($(#[$new_doc:meta])* $cell:ident $(: $($part:ident),+)?) => {
        impl<T: wengert_tensor::Float> $cell<T> {
            $(#[$new_doc])*
            #[track_caller]
            pub fn new<R: rand::Rng + ?Sized>(
                input_size: usize,
                hidden_size: usize,
                rng: &mut R,
            ) -> Self {
                let cell = $crate::recurrent::cell::Recurrence::init(input_size, hidden_size, rng);
                $crate::error::or_panic(cell)
            }

            /// Input features `I`.
            pub fn input_size(&self) -> usize {
                self.weights.input_size()
            }

            /// Hidden features `H`.
            pub fn hidden_size(&self) -> usize {
                self.weights.hidden_size()
            }

            /// PyTorch's `bias=False`: the same cell without `bias_ih` and
            /// `bias_hh` (no longer listed, trained or saved). The biases
            /// were drawn before they are dropped, so the weights are those
            /// of the biased cell of the same seed.
            pub fn without_bias(mut self) -> Self {
                self.weights.drop_biases();
                self
            }

            /// Whether the cell has `bias_ih` and `bias_hh` (PyTorch's `bias`).
            pub fn has_bias(&self) -> bool {
                self.weights.has_bias()
            }
        }

        impl<T: wengert_tensor::Float> $crate::Module<T> for $cell<T> {
            fn forward<'t>(
                &self,
                tape: &'t wengert_tensor::Tape<T>,
                x: wengert_tensor::Var<'t, T>,
            ) -> $crate::error::Result<wengert_tensor::Var<'t, T>> {
                $crate::recurrent::cell::Recurrence::step_from_zero(self, tape, x)
            }
        }

        $($($crate::recurrent::cell::cell_common!(@$part $cell);)+)?
    };

    (@try_new $cell:ident) => {
        impl<T: wengert_tensor::Float> $cell<T> {
            #[doc = concat!("Fallible form of [`", stringify!($cell), "::new`] (`hidden_size == 0` is an error).")]
            pub fn try_new<R: rand::Rng + ?Sized>(
                input_size: usize,
                hidden_size: usize,
                rng: &mut R,
            ) -> $crate::error::Result<Self> {
                $crate::recurrent::cell::Recurrence::init(input_size, hidden_size, rng)
            }
        }
    };

    (@forward_step $cell:ident) => {
        impl<T: wengert_tensor::Float> $cell<T> {
            /// One step: `x [B, I]`, `h [B, H]` -> `h' [B, H]`; unbatched,
            /// `x [I]`, `h [H]` -> `h' [H]`.
            pub fn forward_step<'t>(
                &self,
                tape: &'t wengert_tensor::Tape<T>,
                x: wengert_tensor::Var<'t, T>,
                h: wengert_tensor::Var<'t, T>,
            ) -> $crate::error::Result<wengert_tensor::Var<'t, T>> {
                $crate::recurrent::cell::Recurrence::checked_step(self, tape, x, &[h])
            }
        }
    };
}
pub(crate) use cell_common;
