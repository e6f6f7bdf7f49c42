//! Recurrent networks: the cells [`RnnCell`], [`LstmCell`], [`GruCell`]
//! (one time step) and the layers [`Rnn`], [`Lstm`], [`Gru`] (a whole
//! sequence, stacked, optionally bidirectional). PyTorch's options are
//! there with its names and semantics (`bias`, `dropout` between layers,
//! the LSTM's `proj_size`, unbatched inputs, empty batches); each type's
//! docs list them under "PyTorch options".
//!
//! ## Reading order
//!
//! 1. `weights.rs`: the tensors every cell owns, with PyTorch's names and
//!    layout (`weight_ih [G*H, I]`, `weight_hh [G*H, H]`, `bias_ih`,
//!    `bias_hh`, gate blocks stacked along the rows; the biases absent
//!    without `bias`, and `weight_hr [P, H]` for a projected LSTM) and
//!    PyTorch's default initialisation U(-1/sqrt(H), 1/sqrt(H)), drawn in
//!    one place.
//! 2. `cell.rs`: what the cells share (construction from the weights with
//!    `G` gate blocks, the checked step, batched or unbatched, `forward`
//!    from a zero state).
//! 3. `rnn_cell.rs`, `gru_cell.rs`, `lstm_cell.rs`: one step each, written
//!    as the textbook equations with `Var` ops.
//! 4. `fused_lstm.rs`: the LSTM step as one tape node (two matrix products
//!    and one element-wise pass forward and backward), checked against the
//!    composed step of `lstm_cell.rs`; `lstm_gates.rs`: that element-wise
//!    pass and its gate gradients, per batch row; `lstm_sequence.rs`: the
//!    whole sequence as one node (one input product for every step, the
//!    recurrent product per step, the weight gradients as one product over
//!    the sequence), which [`Lstm`] runs for fused cells.
//!    `gru_sequence.rs` and `gru_gates.rs`: the same plan for the GRU
//!    ([`gru_sequence_fused`]), which [`Gru`] runs for fused cells.
//!    What the fused nodes share: `operands.rs` (their shape check),
//!    `step_order.rs` (forward or reverse steps over buffers laid out by
//!    time), `gemm.rs` (a product added into a slice of a buffer the node
//!    owns, with no allocation).
//! 5. `config.rs`: [`RnnConfig`] and PyTorch's checks of it; `stack.rs`:
//!    the one constructor of the three layers and the loop over time,
//!    layers and directions they share (with dropout between layers);
//!    `layers.rs`: [`Rnn`], [`Lstm`], [`Gru`].
//!
//! ## Backpropagation through time
//!
//! A layer unrolls the sequence on the tape: every step is a few nodes, and
//! `loss.backward()` walks them back from the last step to the first. To
//! truncate it, run the sequence in chunks and carry the final state of one
//! chunk into the next after [`Var::detach`](wengert_tensor::Var::detach)
//! ([`LstmState::detach`]): the gradient then stops at the chunk boundary.

mod cell;
mod config;
mod fused_lstm;
mod gemm;
mod gru_cell;
mod gru_gates;
mod gru_sequence;
mod layers;
mod lstm_cell;
mod lstm_gates;
mod lstm_sequence;
mod operands;
mod rnn_cell;
mod stack;
mod step_order;
mod weights;

pub use config::RnnConfig;
pub use fused_lstm::lstm_cell_fused;
pub use gru_cell::GruCell;
pub use gru_sequence::gru_sequence_fused;
pub use layers::{Gru, Lstm, LstmState, Rnn};
pub use lstm_cell::{lstm_cell_composed, LstmCell};
pub use lstm_sequence::lstm_sequence_fused;
pub use rnn_cell::{RnnCell, RnnNonlinearity};
