//! The fused LSTM over a whole sequence: one tape node for all `T` steps.
//!
//! Stepping [`lstm_cell_fused`](super::lstm_cell_fused) `T` times makes
//! `2T` small products forward (`x_t W_ih^T` and `h W_hh^T` per step) and
//! four per step backward, each re-packing its weight. Over the sequence
//! only the recurrent products depend on the previous step, so here:
//!
//! - forward: one product `X W_ih^T` for all steps (`[T*B, I] x [I, 4H]`),
//!   then per step only `h W_hh^T` and the gate pass;
//! - backward (BPTT, last step first): per step the gate gradient and
//!   `dh = da_t W_hh`; then the rest once over the sequence:
//!   `dX = dA W_ih` (`[T*B, 4H] x [4H, I]`), `dW_ih = dA^T X`,
//!   `dW_hh = sum_t da_t^T h_(t-1)` as one product with the hidden states
//!   side by side, and `db = ` the column sums of `dA`.
//!
//! The values and gradients are those of the stepped cell (the tests hold
//! them equal in f64). The backward is a hand-written kernel, so the node
//! refuses a second derivative; the composed cell stepped in a loop is its
//! twice-differentiable twin.

use wengert_tensor::{Float, Tensor, Var};

use super::gemm::{gemm_into, MatRef};
use super::lstm_gates::{cell_update, gate_activations, gate_gradient};
use super::operands::{check_sequence_operands, Cell, SequenceDims};
use super::step_order::{read_and_write, StepOrder};
use crate::error::Result;

/// A whole LSTM sequence as a single tape node.
///
/// `x [T, B, I]` is the input sequence and `state [B, 2H]` the initial
/// state, `h0` in columns `0:H` and `c0` in `H:2H` (the packing of
/// [`lstm_cell_fused`](super::lstm_cell_fused)). The steps run from `t = 0`
/// to `T - 1`, or from `T - 1` down to 0 when `reverse` (the backward
/// direction of a bidirectional layer). The equations are those of
/// [`LstmCell`](super::LstmCell), gate order i, f, g, o.
///
/// One node has one output, so the result `[T + 1, B, H]` holds the hidden
/// output of every time step in rows `0..T` (by time index, whichever the
/// direction) and the final cell state `c_n` in row `T`; the final hidden
/// state is row `T - 1` (row 0 when `reverse`).
///
/// Backward, for each step from the last one run to the first, with `dh`
/// the output's gradient at that time plus the gradient carried back from
/// the next step, and `dc` the carried cell gradient (the gate derivatives
/// are derived in `lstm_gates.rs`):
///
/// ```text
/// da_t      = gate_gradient(dh, dc)        [B, 4H]
/// dc        = dc~ * f                      carried to the previous step
/// dh        = da_t W_hh                    carried to the previous step
/// dX        = dA W_ih                      dA = all da_t, [T*B, 4H]
/// dW_ih     = dA^T X
/// dW_hh     = sum_t da_t^T h_(t-1)         h_(t-1): the state step t read
/// db_ih = db_hh = column sums of dA
/// d state   = [dh, dc] after the first step
/// ```
///
/// It keeps the gate activations, `tanh(c')` and `c'` of every step.
/// Under [`backward_with_graph`](wengert_tensor::Var::backward_with_graph)
/// it panics with a message naming its composed twin.
///
/// # Shapes
/// `x [T, B, I]`, `state [B, 2H]`, `w_ih [4H, I]`, `w_hh [4H, H]`,
/// `b_ih [4H]`, `b_hh [4H]` -> `[T + 1, B, H]`, `T >= 1`. An error names
/// every shape when they do not fit.
///
/// PyTorch's `nn.LSTM` runs the same plan in its CPU kernel (one input
/// product for the sequence, one recurrent product per step).
///
/// ```
/// use wengert_nn::recurrent::{lstm_cell_fused, lstm_sequence_fused};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let mut rng = seeded_rng(0);
/// let (t, b, i, h) = (3, 2, 3, 4);
/// let tape = Tape::<f64>::new();
/// let mut rand = |s: &[usize]| tape.var(Tensor::randn(s, &mut rng));
/// let (x, state) = (rand(&[t, b, i]), rand(&[b, 2 * h]));
/// let (w_ih, w_hh, b_ih, b_hh) = (rand(&[4 * h, i]), rand(&[4 * h, h]), rand(&[4 * h]), rand(&[4 * h]));
/// let seq = lstm_sequence_fused(x, state, w_ih, w_hh, b_ih, b_hh, false).unwrap();
/// // The same as three fused steps: compare the last hidden state.
/// let mut s = state;
/// for k in 0..t {
///     let x_k = x.narrow(0, k, 1).reshape(&[b, i]);
///     s = lstm_cell_fused(x_k, s, w_ih, w_hh, b_ih, b_hh).unwrap();
/// }
/// let last = seq.narrow(0, t - 1, 1).reshape(&[b, h]);
/// let diff = last.value().sub(&s.narrow(1, 0, h).value());
/// assert!(diff.to_vec().iter().all(|d| d.abs() < 1e-14));
/// ```
pub fn lstm_sequence_fused<'t, T: Float>(
    x: Var<'t, T>,
    state: Var<'t, T>,
    w_ih: Var<'t, T>,
    w_hh: Var<'t, T>,
    b_ih: Var<'t, T>,
    b_hh: Var<'t, T>,
    reverse: bool,
) -> Result<Var<'t, T>> {
    let SequenceDims {
        steps,
        batch,
        input,
        hidden: hs,
    } = check_sequence_operands(
        Cell::Lstm,
        "lstm_sequence_fused",
        [x, state, w_ih, w_hh, b_ih, b_hh],
    )?;
    let (g4, bh, bg) = (4 * hs, batch * hs, batch * 4 * hs);
    let order = StepOrder { steps, reverse };

    // The input projection of every step in one product, into the buffer
    // that becomes the gate activations: each step adds its recurrent
    // product into its rows and activates them in place.
    let x2 = x.value().reshape(&[steps * batch, input]);
    let mut acts = x2.matmul(&w_ih.value().transpose(0, 1));
    // W_hh^T laid out once, contiguous, for the T products `h W_hh^T`: the
    // product packs its right operand on every call, and packing copies
    // rows of a contiguous matrix at once but a strided (transposed) view
    // element by element.
    let w_hh_t = w_hh.value().transpose(0, 1).contiguous();
    let w_hh_t = w_hh_t.values();
    let w_hh_t = MatRef::row_major(&w_hh_t, hs, g4);
    let (bi, bhh) = (b_ih.value(), b_hh.value());
    let (bi, bhh) = (bi.values(), bhh.values());
    let s0 = state.value();
    let s0 = s0.values();
    // h0 and c0 are the two halves of each state row, read in place.
    let h0 = MatRef {
        data: &s0[..],
        rows: batch,
        cols: hs,
        row_stride: 2 * hs,
        col_stride: 1,
    };
    let c0 = |b: usize| &s0[b * 2 * hs + hs..(b + 1) * 2 * hs];

    // Saved for the backward pass, by time index: the gate activations
    // [T, B, 4H] (in `acts`), tanh(c') [T, B, H] and c' [T, B, H]. `y` is
    // the output, whose rows 0..T are also the hidden states the steps read.
    let mut tanh_c = vec![T::zero(); steps * bh];
    let mut cells = vec![T::zero(); steps * bh];
    let mut y = vec![T::zero(); (steps + 1) * bh];
    {
        let acts = acts.data_mut();
        for t in order.run() {
            let acts_t = &mut acts[t * bg..(t + 1) * bg];
            // The one product per step that has to wait for the previous one.
            let h_prev = match order.prev(t) {
                Some(p) => MatRef::row_major(&y[p * bh..(p + 1) * bh], batch, hs),
                None => h0,
            };
            gemm_into(h_prev, w_hh_t, T::one(), acts_t);
            let (c_prev, c_next) = read_and_write(&mut cells, order.prev(t), t, bh);
            let h_next = &mut y[t * bh..(t + 1) * bh];
            let tanh_t = &mut tanh_c[t * bh..(t + 1) * bh];
            for b in 0..batch {
                let acts_b = &mut acts_t[b * g4..(b + 1) * g4];
                gate_activations(acts_b, &bi, &bhh);
                let row = b * hs..(b + 1) * hs;
                let c_prev = c_prev.map_or_else(|| c0(b), |c| &c[row.clone()]);
                cell_update(
                    acts_b,
                    c_prev,
                    &mut c_next[row.clone()],
                    &mut tanh_t[row.clone()],
                    &mut h_next[row],
                );
            }
        }
    }
    let last = order.last();
    y[steps * bh..].copy_from_slice(&cells[last * bh..(last + 1) * bh]);
    let value = Tensor::from_vec(y, &[steps + 1, batch, hs]);
    let hidden = value.clone();

    let inputs = [x, state, w_ih, w_hh, b_ih, b_hh];
    Ok(x.tape()
        .record("lstm_sequence_fused", &inputs, value, move |ctx, dy| {
            ctx.refuse_second_derivative(
                "lstm_cell_composed stepped in a loop (recurrent/lstm_cell.rs)",
            );
            let dy = dy.value();
            let dy = dy.values();
            let acts = acts.values();
            let w_hh = ctx.input(3).value();
            let w_hh = w_hh.values();
            let w_hh = MatRef::row_major(&w_hh, g4, hs);
            let s0 = ctx.input(1).value();
            let s0 = s0.values();
            let c0 = |b: usize| &s0[b * 2 * hs + hs..(b + 1) * 2 * hs];
            // Carried from step to step, last step first: dh and dc reaching
            // the state the step produced. dc starts as c_n's gradient.
            let mut dh = vec![T::zero(); bh];
            let mut dc_carry = dy[steps * bh..].to_vec();
            let mut dc_prev = vec![T::zero(); bh];
            let mut da = vec![T::zero(); steps * bg];
            let first = order.first();
            for t in order.run().rev() {
                // The hidden output at time t is read by the loss (dy[t])
                // and by the next step (the carried dh, already in `dh`).
                for (d, &up) in dh.iter_mut().zip(&dy[t * bh..(t + 1) * bh]) {
                    *d += up;
                }
                let da_t = &mut da[t * bg..(t + 1) * bg];
                for b in 0..batch {
                    let row = b * hs..(b + 1) * hs;
                    let c_prev = match order.prev(t) {
                        Some(p) => &cells[p * bh + b * hs..p * bh + (b + 1) * hs],
                        None => c0(b),
                    };
                    gate_gradient(
                        &acts[t * bg + b * g4..t * bg + (b + 1) * g4],
                        &tanh_c[t * bh + b * hs..t * bh + (b + 1) * hs],
                        c_prev,
                        &dh[row.clone()],
                        &dc_carry[row.clone()],
                        &mut da_t[b * g4..(b + 1) * g4],
                        &mut dc_prev[row],
                    );
                }
                std::mem::swap(&mut dc_carry, &mut dc_prev);
                // dh = da_t W_hh, carried to the previous step (for the
                // first step it is h0's gradient, wanted only if asked).
                if t != first || ctx.needs_grad(1) {
                    let da_t = MatRef::row_major(&da[t * bg..(t + 1) * bg], batch, g4);
                    gemm_into(da_t, w_hh, T::zero(), &mut dh);
                }
            }
            // db: the column sums of dA, row by row in a fixed order.
            let mut db = vec![T::zero(); g4];
            for row in da.chunks_exact(g4) {
                for (acc, &d) in db.iter_mut().zip(row) {
                    *acc += d;
                }
            }
            let da = Tensor::from_vec(da, &[steps * batch, g4]);
            let constant = |t: Tensor<T>| Some(ctx.tape().constant(t));
            let mut grads = [None; 6];
            if ctx.needs_grad(0) {
                let dx = da.matmul(&ctx.input(2).value());
                grads[0] = constant(dx.reshape(&[steps, batch, input]));
            }
            if ctx.needs_grad(1) {
                let dh0 = Tensor::from_vec(dh, &[batch, hs]);
                let dc0 = Tensor::from_vec(dc_carry, &[batch, hs]);
                grads[1] = constant(Tensor::concat(&[dh0, dc0], 1));
            }
            if ctx.needs_grad(2) {
                let x2 = ctx.input(0).value().reshape(&[steps * batch, input]);
                grads[2] = constant(da.transpose(0, 1).matmul(&x2));
            }
            if ctx.needs_grad(3) {
                // sum_t da_t^T h_(t-1): the steps that read an earlier
                // output as one product over the hidden outputs side by
                // side, plus the first step's product with h0.
                let h0 = ctx.input(1).value().narrow(1, 0, hs);
                let (first, rest, read) = if reverse {
                    (steps - 1, 0, 1)
                } else {
                    (0, 1, 0)
                };
                let first_da = da.narrow(0, first * batch, batch);
                let mut dw = first_da.transpose(0, 1).matmul(&h0);
                if steps > 1 {
                    let n = (steps - 1) * batch;
                    let da_rest = da.narrow(0, rest * batch, n);
                    let h_read = hidden.narrow(0, read, steps - 1).reshape(&[n, hs]);
                    dw = dw.add(&da_rest.transpose(0, 1).matmul(&h_read));
                }
                grads[3] = constant(dw);
            }
            if ctx.needs_grad(4) || ctx.needs_grad(5) {
                let db = Tensor::from_vec(db, &[g4]);
                grads[4] = constant(db.clone());
                grads[5] = constant(db);
            }
            grads
        }))
}
