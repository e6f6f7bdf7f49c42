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

    /// `[B, H]` blocks side by side in the carried state: 1 (`h`), or 2 for
    /// an LSTM's `(h, c)`. The first block is always `h`.
    const STATE_PARTS: usize = 1;

    /// The cell around these weights, with the kind's defaults (tanh, fused).
    fn from_weights(weights: CellWeights<T>) -> Self;

    fn weights(&self) -> &CellWeights<T>;

    /// Binds the parameters on `tape` (once per sequence) and returns the step.
    fn stepper<'t>(&self, tape: &'t Tape<T>) -> Stepper<'t, T>;

    /// The constructor of every cell: PyTorch's default init, drawn from
    /// `rng` in PyTorch's order (see [`CellWeights::new`]).
    fn init<R: Rng + ?Sized>(input_size: usize, hidden_size: usize, rng: &mut R) -> Result<Self> {
        let weights = CellWeights::new(input_size, hidden_size, Self::GATES, rng)?;
        Ok(Self::from_weights(weights))
    }

    /// The hidden output `h` of a state `[B, S]`: its first `H` columns.
    fn hidden<'t>(&self, state: Var<'t, T>) -> Var<'t, T> {
        if Self::STATE_PARTS == 1 {
            state
        } else {
            state.narrow(1, 0, self.weights().hidden_size())
        }
    }

    /// One checked step from `x [B, I]` and the state given as its
    /// `STATE_PARTS` blocks (`[h]` or `[h, c]`, each `[B, H]`); returns the
    /// new state `[B, S]`. Nothing is recorded before the shapes are checked.
    fn checked_step<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        parts: &[Var<'t, T>],
    ) -> Result<Var<'t, T>> {
        let (i, h) = (self.weights().input_size(), self.weights().hidden_size());
        let layer = || format!("{}({i}, {h})", self.type_name());
        let xs = x.shape();
        if xs.len() != 2 || xs[1] != i {
            return Err(input_error(layer(), format!("an input [batch, {i}]"), xs));
        }
        for part in parts {
            let s = part.shape();
            if s != [xs[0], h] {
                let expected = format!("a state [{}, {h}] for an input of shape {xs:?}", xs[0]);
                return Err(input_error(layer(), expected, s));
            }
        }
        let step = self.stepper(tape);
        let state = match parts {
            [one] => *one,
            _ => Var::concat(parts, 1),
        };
        Ok(step(x, state))
    }

    /// A cell's `forward` as a [`Module`](crate::Module): one step from a
    /// zero state, returning `h'`.
    fn step_from_zero<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let batch = x.shape().first().copied().unwrap_or(0);
        let zeros = zero_state(tape, batch, self.weights().hidden_size());
        let state = self.checked_step(tape, x, &vec![zeros; Self::STATE_PARTS])?;
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
            /// One step: `x [B, I]`, `h [B, H]` -> `h' [B, H]`.
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
