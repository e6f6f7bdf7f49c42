//! The operand check every fused recurrent node makes before it computes
//! anything, written once for the LSTM and the GRU.

use wengert_tensor::{Float, Var};

use crate::error::{NnError, Result};

/// Which cell a fused node computes: it fixes the gate blocks stacked in
/// the weights and the state blocks side by side in the state.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell {
    /// Gates i, f, g, o; state `(h, c)`.
    Lstm,
    /// Gates r, z, n; state `h`.
    Gru,
}

impl Cell {
    /// Gate blocks `G` (the weights are `[G*H, ..]`) and state blocks.
    fn blocks(self) -> (usize, usize) {
        match self {
            Cell::Lstm => (4, 2),
            Cell::Gru => (3, 1),
        }
    }
}

/// `kH` as a shape reads (`H` for k = 1).
fn times_h(k: usize) -> String {
    if k == 1 {
        "H".into()
    } else {
        format!("{k}H")
    }
}

/// Checks the operands `x, state, w_ih, w_hh, b_ih, b_hh` of a fused
/// `cell` node: `x_fits` says whether `x` (`shapes[0]`) has the layout
/// `x_layout` with batch `batch` and input size `input`; the state must be
/// `[B, S*H]`, the weights `[G*H, I]` and `[G*H, H]`, the biases `[G*H]`
/// (G gate and S state blocks, by `cell`). Returns `H`, or an error that
/// names `layer` and every operand's shape.
pub(crate) fn check_operands(
    cell: Cell,
    layer: &str,
    x_layout: &str,
    x_fits: bool,
    shapes: &[Vec<usize>; 6],
    batch: usize,
    input: usize,
) -> Result<usize> {
    let (g, s) = cell.blocks();
    let hs = shapes[3].get(1).copied().unwrap_or(0);
    let fits = x_fits
        && shapes[1] == [batch, s * hs]
        && shapes[2] == [g * hs, input]
        && shapes[3] == [g * hs, hs]
        && shapes[4] == [g * hs]
        && shapes[5] == [g * hs];
    if fits && hs > 0 {
        return Ok(hs);
    }
    let (g, s) = (times_h(g), times_h(s));
    Err(NnError::InputShape {
        layer: layer.into(),
        expected: format!(
            "x {x_layout}, state [B, {s}], w_ih [{g}, I], w_hh [{g}, H], b_ih [{g}], b_hh [{g}] \
             (got x {:?}, state {:?}, w_ih {:?}, w_hh {:?}, b_ih {:?}, b_hh {:?})",
            shapes[0], shapes[1], shapes[2], shapes[3], shapes[4], shapes[5]
        ),
        got: shapes[0].clone(),
    })
}

/// The sizes a fused sequence node runs over: `x [steps, batch, input]`
/// and the hidden size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SequenceDims {
    pub(crate) steps: usize,
    pub(crate) batch: usize,
    pub(crate) input: usize,
    pub(crate) hidden: usize,
}

/// [`check_operands`] for a whole-sequence node (`x [T >= 1, B, I]`), with
/// the operands `x, state, w_ih, w_hh, b_ih, b_hh` in that order.
pub(crate) fn check_sequence_operands<T: Float>(
    cell: Cell,
    layer: &str,
    operands: [Var<'_, T>; 6],
) -> Result<SequenceDims> {
    let shapes = operands.map(|v| v.shape());
    let (steps, batch, input) = match shapes[0][..] {
        [t, b, i] => (t, b, i),
        _ => (0, 0, 0),
    };
    let x_fits = shapes[0].len() == 3 && steps > 0;
    let hidden = check_operands(cell, layer, "[T >= 1, B, I]", x_fits, &shapes, batch, input)?;
    Ok(SequenceDims {
        steps,
        batch,
        input,
        hidden,
    })
}
