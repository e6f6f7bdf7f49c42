//! The fused GRU over a whole sequence: one tape node for all `T` steps.
//!
//! The composed GRU step (`gru_cell.rs`) records about fifteen nodes per
//! time step (two products, two bias adds, six slices, the gates and the
//! blend), each with its own output buffer and backward rule; over 200
//! steps that is thousands of nodes and small products. Here, as in the
//! fused LSTM sequence (`lstm_sequence.rs`):
//!
//! - forward: one product `X W_ih^T` for all steps (`[T*B, I] x [I, 3H]`),
//!   then per step only `h W_hh^T` (into one reused buffer) and the gate
//!   pass of `gru_gates.rs`;
//! - backward (BPTT, last step first): per step the gate gradients and
//!   `dh = dh * z + dgh_t W_hh`; then the rest once over the sequence:
//!   `dX = dGI W_ih`, `dW_ih = dGI^T X`, `dW_hh = sum_t dgh_t^T h_(t-1)`
//!   as one product with the hidden states side by side, and the biases'
//!   gradients as column sums of `dGI` and `dGH`.
//!
//! The values and gradients are those of the composed cell stepped over the
//! sequence (the tests hold them equal in f64). The backward is a
//! hand-written kernel, so the node refuses a second derivative; the
//! composed cell stepped in a loop is its twice-differentiable twin
//! (`RnnConfig::with_fused(false)` runs it).

use wengert_tensor::{Float, Tensor, Var};

use super::gemm::{gemm_into, MatRef};
use super::gru_gates::{gru_gate_gradient, gru_gates};
use super::operands::{check_sequence_operands, Cell, SequenceDims};
use super::step_order::{read_and_write, StepOrder};
use crate::error::Result;

/// A whole GRU sequence as a single tape node.
///
/// `x [T, B, I]` is the input sequence and `h0 [B, H]` the initial state.
/// The steps run from `t = 0` to `T - 1`, or from `T - 1` down to 0 when
/// `reverse` (the backward direction of a bidirectional layer). The
/// equations are those of [`GruCell`](super::GruCell), PyTorch's gate
/// order r, z, n, with `r` multiplying `W_hn h + b_hn`:
///
/// ```text
/// r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
/// z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
/// h' = (1 - z) * n + z * h
/// ```
///
/// The result `[T, B, H]` holds the hidden output of every step by time
/// index, whichever the direction; the final state is row `T - 1` (row 0
/// when `reverse`).
///
/// Backward, for each step from the last one run to the first, with `dh`
/// the output's gradient at that time plus the gradient carried back from
/// the next step (the gate derivatives are derived in `gru_gates.rs`):
///
/// ```text
/// dgi_t, dgh_t = gate gradients(dh)    [B, 3H] each; they differ in the n block
/// dh           = dh * z + dgh_t W_hh   carried to the previous step
/// dX = dGI W_ih,   dW_ih = dGI^T X,    dW_hh = sum_t dgh_t^T h_(t-1)
/// db_ih = column sums of dGI,          db_hh = column sums of dGH
/// d h0 = dh after the first step
/// ```
///
/// It keeps `r, z, n` and `W_hn h + b_hn` of every step. Under
/// [`backward_with_graph`](wengert_tensor::Var::backward_with_graph) it
/// panics with a message naming its composed twin.
///
/// # Shapes
/// `x [T, B, I]`, `h0 [B, H]`, `w_ih [3H, I]`, `w_hh [3H, H]`, `b_ih [3H]`,
/// `b_hh [3H]` -> `[T, B, H]`, `T >= 1`. An error names every shape when
/// they do not fit.
///
/// PyTorch's `nn.GRU` runs the same plan in its CPU kernel (one input
/// product for the sequence, one recurrent product per step).
///
/// ```
/// use wengert_nn::recurrent::{gru_sequence_fused, GruCell};
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor, Var};
/// let mut rng = seeded_rng(0);
/// let (t, b, i, h) = (3, 2, 3, 4);
/// let cell = GruCell::<f64>::new(i, h, &mut rng);
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::randn(&[t, b, i], &mut rng));
/// let h0 = tape.constant(Tensor::randn(&[b, h], &mut rng));
/// let p: Vec<Var<'_, f64>> = cell.params().iter().map(|(_, p)| tape.param(p)).collect();
/// let seq = gru_sequence_fused(x, h0, p[0], p[1], p[2], p[3], false).unwrap();
/// // The same as three steps of the composed cell: compare the last state.
/// let mut state = h0;
/// for k in 0..t {
///     state = cell.forward_step(&tape, x.narrow(0, k, 1).reshape(&[b, i]), state).unwrap();
/// }
/// let last = seq.narrow(0, t - 1, 1).reshape(&[b, h]);
/// let diff = last.value().sub(&state.value());
/// assert!(diff.to_vec().iter().all(|d| d.abs() < 1e-14));
/// ```
pub fn gru_sequence_fused<'t, T: Float>(
    x: Var<'t, T>,
    h0: Var<'t, T>,
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
        Cell::Gru,
        "gru_sequence_fused",
        [x, h0, w_ih, w_hh, b_ih, b_hh],
    )?;
    let (g3, bh, bg) = (3 * hs, batch * hs, batch * 3 * hs);
    let order = StepOrder { steps, reverse };

    // The input projection of every step in one product. The recurrent
    // product stays apart (r multiplies its n block), in one buffer reused
    // by every step.
    let x2 = x.value().reshape(&[steps * batch, input]);
    let gi = x2.matmul(&w_ih.value().transpose(0, 1));
    let gi = gi.values();
    // W_hh^T laid out once, contiguous, for the T products `h W_hh^T`: the
    // product packs its right operand on every call, and packing copies
    // rows of a contiguous matrix at once but a strided (transposed) view
    // element by element.
    let w_hh_t = w_hh.value().transpose(0, 1).contiguous();
    let w_hh_t = w_hh_t.values();
    let w_hh_t = MatRef::row_major(&w_hh_t, hs, g3);
    let (bi, bhh) = (b_ih.value(), b_hh.value());
    let (bi, bhh) = (bi.values(), bhh.values());
    let h_init = h0.value();
    let h_init = h_init.values();
    let mut gh = vec![T::zero(); bg];

    // Saved for the backward pass, by time index: r, z, n [T, B, 3H] and
    // W_hn h + b_hn [T, B, H]. `y` is the output, whose rows are also the
    // states the steps read.
    let mut acts = vec![T::zero(); steps * bg];
    let mut hn = vec![T::zero(); steps * bh];
    let mut y = vec![T::zero(); steps * bh];
    for t in order.run() {
        let (h_prev, h_next) = read_and_write(&mut y, order.prev(t), t, bh);
        let h_prev = h_prev.unwrap_or(&h_init);
        // The one product per step that has to wait for the previous one.
        gemm_into(
            MatRef::row_major(h_prev, batch, hs),
            w_hh_t,
            T::zero(),
            &mut gh,
        );
        for b in 0..batch {
            let (gate_row, row) = (b * g3..(b + 1) * g3, b * hs..(b + 1) * hs);
            gru_gates(
                &gi[t * bg + b * g3..t * bg + (b + 1) * g3],
                &gh[gate_row],
                &bi,
                &bhh,
                &h_prev[row.clone()],
                &mut acts[t * bg + b * g3..t * bg + (b + 1) * g3],
                &mut hn[t * bh + b * hs..t * bh + (b + 1) * hs],
                &mut h_next[row],
            );
        }
    }
    let value = Tensor::from_vec(y, &[steps, batch, hs]);
    let hidden = value.clone();

    let inputs = [x, h0, w_ih, w_hh, b_ih, b_hh];
    Ok(x.tape()
        .record("gru_sequence_fused", &inputs, value, move |ctx, dy| {
            ctx.refuse_second_derivative(
                "the composed GRU cell stepped in a loop (recurrent/gru_cell.rs)",
            );
            let dy = dy.value();
            let dy = dy.values();
            let w_hh = ctx.input(3).value();
            let w_hh = w_hh.values();
            let w_hh = MatRef::row_major(&w_hh, g3, hs);
            let h_init = ctx.input(1).value();
            let h_init = h_init.values();
            let y = hidden.values();
            // `dh`: the gradient reaching the state the running step
            // produced (carried from the step after it, plus the loss's
            // dy[t]); `dh_prev`: what reaches the state it read.
            let mut dh = vec![T::zero(); bh];
            let mut dh_prev = vec![T::zero(); bh];
            let mut dgi = vec![T::zero(); steps * bg];
            let mut dgh = vec![T::zero(); steps * bg];
            let first = order.first();
            for t in order.run().rev() {
                for (d, &up) in dh.iter_mut().zip(&dy[t * bh..(t + 1) * bh]) {
                    *d += up;
                }
                let h_prev = match order.prev(t) {
                    Some(p) => &y[p * bh..(p + 1) * bh],
                    None => &h_init[..],
                };
                for b in 0..batch {
                    let (gate_row, row) =
                        (t * bg + b * g3..t * bg + (b + 1) * g3, b * hs..(b + 1) * hs);
                    gru_gate_gradient(
                        &acts[gate_row.clone()],
                        &hn[t * bh + b * hs..t * bh + (b + 1) * hs],
                        &h_prev[row.clone()],
                        &dh[row.clone()],
                        &mut dgi[gate_row.clone()],
                        &mut dgh[gate_row],
                        &mut dh_prev[row],
                    );
                }
                // dh_prev = dh * z + dgh_t W_hh (for the first step it is
                // h0's gradient, wanted only if asked).
                if t != first || ctx.needs_grad(1) {
                    let dgh_t = MatRef::row_major(&dgh[t * bg..(t + 1) * bg], batch, g3);
                    gemm_into(dgh_t, w_hh, T::one(), &mut dh_prev);
                }
                std::mem::swap(&mut dh, &mut dh_prev);
            }
            let column_sums = |d: &[T]| {
                let mut sums = vec![T::zero(); g3];
                for row in d.chunks_exact(g3) {
                    for (acc, &v) in sums.iter_mut().zip(row) {
                        *acc += v;
                    }
                }
                Tensor::from_vec(sums, &[g3])
            };
            let mut grads = [None; 6];
            let constant = |t: Tensor<T>| Some(ctx.tape().constant(t));
            if ctx.needs_grad(4) {
                grads[4] = constant(column_sums(&dgi));
            }
            if ctx.needs_grad(5) {
                grads[5] = constant(column_sums(&dgh));
            }
            let dgi = Tensor::from_vec(dgi, &[steps * batch, g3]);
            let dgh = Tensor::from_vec(dgh, &[steps * batch, g3]);
            if ctx.needs_grad(0) {
                let dx = dgi.matmul(&ctx.input(2).value());
                grads[0] = constant(dx.reshape(&[steps, batch, input]));
            }
            if ctx.needs_grad(1) {
                grads[1] = constant(Tensor::from_vec(dh, &[batch, hs]));
            }
            if ctx.needs_grad(2) {
                let x2 = ctx.input(0).value().reshape(&[steps * batch, input]);
                grads[2] = constant(dgi.transpose(0, 1).matmul(&x2));
            }
            if ctx.needs_grad(3) {
                // sum_t dgh_t^T h_(t-1): the steps that read an earlier
                // output as one product over the hidden outputs side by
                // side, plus the first step's product with h0.
                let (rest, read) = if reverse { (0, 1) } else { (1, 0) };
                let first_dgh = dgh.narrow(0, first * batch, batch);
                let mut dw = first_dgh.transpose(0, 1).matmul(&ctx.input(1).value());
                if steps > 1 {
                    let n = (steps - 1) * batch;
                    let dgh_rest = dgh.narrow(0, rest * batch, n);
                    let h_read = hidden.narrow(0, read, steps - 1).reshape(&[n, hs]);
                    dw = dw.add(&dgh_rest.transpose(0, 1).matmul(&h_read));
                }
                grads[3] = constant(dw);
            }
            grads
        }))
}
