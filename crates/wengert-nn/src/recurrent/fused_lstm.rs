//! The fused LSTM step: one tape node for the whole cell.
//!
//! The composed step (`lstm_cell.rs`) records about thirty nodes per time
//! step (eight gate products, their sums, four activations, the cell
//! update), each with its own output buffer and backward rule. Here the four
//! gates' products with `x` are one matrix product with the stacked
//! `W_ih [4H, I]`, those with `h` one product with `W_hh [4H, H]`, and every
//! gate activation and the cell update one element-wise pass. Backward
//! mirrors it: one element-wise pass gives the gate gradient `da [B, 4H]`,
//! then `dx = da W_ih`, `dh = da W_hh`, `dW_ih = da^T x`, `dW_hh = da^T h`,
//! `db = sum_batch da`. The `lstm` bench compares the two.
//!
//! The backward is a hand-written kernel, so the node refuses a second
//! derivative; [`lstm_cell_composed`](super::lstm_cell_composed) is the
//! twice-differentiable twin.

use wengert_tensor::{Float, Tensor, Var};

use super::gemm::{gemm_into, MatRef};
use super::lstm_gates::{cell_update, gate_activations, gate_gradient};
use super::operands::{check_operands, Cell};
use crate::error::Result;

/// One LSTM step as a single tape node.
///
/// The state is packed: `state [B, 2H]` holds `h` in columns `0:H` and `c`
/// in `H:2H`, and so does the result `(h', c')` (one node has one output;
/// `narrow(1, 0, H)` and `narrow(1, H, H)` unpack it). The equations are
/// those of [`LstmCell`](super::LstmCell), gate order i, f, g, o.
///
/// Backward, with `dh'`, `dc'` the upstream gradient and `t = tanh(c')`:
///
/// ```text
/// dc~ = dc' + dh' * o * (1 - t^2)           total gradient reaching c'
/// da_i = dc~ * g * i(1 - i)      da_f = dc~ * c * f(1 - f)
/// da_g = dc~ * i * (1 - g^2)     da_o = dh' * t * o(1 - o)
/// dc = dc~ * f,  dh = da W_hh,  dx = da W_ih,  dW_ih = da^T x,  dW_hh = da^T h,
/// db_ih = db_hh = sum over the batch of da
/// ```
///
/// It keeps the four gate activations and `tanh(c')` for the backward pass.
/// Under [`backward_with_graph`](wengert_tensor::Var::backward_with_graph)
/// it panics with a message naming its composed twin.
///
/// # Shapes
/// `x [B, I]`, `state [B, 2H]`, `w_ih [4H, I]`, `w_hh [4H, H]`,
/// `b_ih [4H]`, `b_hh [4H]` -> `[B, 2H]`. An error names every shape when
/// they do not fit.
///
/// PyTorch runs the same fusion inside `nn.LSTM` on GPU
/// (`_thnn_fused_lstm_cell`).
///
/// ```
/// use wengert_nn::recurrent::{lstm_cell_composed, lstm_cell_fused};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let mut rng = seeded_rng(0);
/// let (b, i, h) = (2, 3, 4);
/// let tape = Tape::<f64>::new();
/// let mut rand = |s: &[usize]| tape.var(Tensor::randn(s, &mut rng));
/// let (x, state) = (rand(&[b, i]), rand(&[b, 2 * h]));
/// let (w_ih, w_hh, b_ih, b_hh) = (rand(&[4 * h, i]), rand(&[4 * h, h]), rand(&[4 * h]), rand(&[4 * h]));
/// let fused = lstm_cell_fused(x, state, w_ih, w_hh, b_ih, b_hh).unwrap();
/// let (h1, c1) = lstm_cell_composed(x, state.narrow(1, 0, h), state.narrow(1, h, h), w_ih, w_hh, b_ih, b_hh);
/// let diff = fused.value().sub(&wengert_tensor::Var::concat(&[h1, c1], 1).value());
/// assert!(diff.to_vec().iter().all(|d| d.abs() < 1e-14));
/// ```
pub fn lstm_cell_fused<'t, T: Float>(
    x: Var<'t, T>,
    state: Var<'t, T>,
    w_ih: Var<'t, T>,
    w_hh: Var<'t, T>,
    b_ih: Var<'t, T>,
    b_hh: Var<'t, T>,
) -> Result<Var<'t, T>> {
    let shapes = [
        x.shape(),
        state.shape(),
        w_ih.shape(),
        w_hh.shape(),
        b_ih.shape(),
        b_hh.shape(),
    ];
    let (batch, input) = match shapes[0][..] {
        [b, i] => (b, i),
        _ => (0, 0),
    };
    let x_fits = shapes[0].len() == 2;
    let hs = check_operands(
        Cell::Lstm,
        "lstm_cell_fused",
        "[B, I]",
        x_fits,
        &shapes,
        batch,
        input,
    )?;

    // Forward: the gate pre-activations in two matrix products, the second
    // added into the first's output (transposed weights and the `h` columns
    // of the state are strided views, read in place).
    let s = state.value();
    let s = s.values();
    let mut acts = x.value().matmul(&w_ih.value().transpose(0, 1));
    let w_hh_value = w_hh.value();
    let w_hh_values = w_hh_value.values();
    let w_hh_rows = MatRef::row_major(&w_hh_values, 4 * hs, hs);
    let h = MatRef {
        data: &s,
        rows: batch,
        cols: hs,
        row_stride: 2 * hs,
        col_stride: 1,
    };
    gemm_into(h, w_hh_rows.t(), T::one(), acts.data_mut());
    let (bi, bh) = (b_ih.value(), b_hh.value());
    let (bi, bh) = (bi.values(), bh.values());

    // One pass per batch row: activations (in place), cell update, output.
    // `acts` keeps i, f, g, o in the stacked layout and `tanh_c` keeps
    // tanh(c'): the backward pass needs exactly these (and the old c, read
    // from the saved state).
    let g4 = 4 * hs;
    let mut tanh_c = vec![T::zero(); batch * hs];
    let mut out = vec![T::zero(); batch * 2 * hs];
    {
        let acts = acts.data_mut();
        for b in 0..batch {
            let acts_b = &mut acts[b * g4..(b + 1) * g4];
            gate_activations(acts_b, &bi, &bh);
            let (h_out, c_out) = out[b * 2 * hs..(b + 1) * 2 * hs].split_at_mut(hs);
            let c_prev = &s[b * 2 * hs + hs..(b + 1) * 2 * hs];
            cell_update(
                acts_b,
                c_prev,
                c_out,
                &mut tanh_c[b * hs..(b + 1) * hs],
                h_out,
            );
        }
    }
    let value = Tensor::from_vec(out, &[batch, 2 * hs]);
    let inputs = [x, state, w_ih, w_hh, b_ih, b_hh];
    Ok(x.tape()
        .record("lstm_cell_fused", &inputs, value, move |ctx, dy| {
            ctx.refuse_second_derivative("lstm_cell_composed (recurrent/lstm_cell.rs)");
            let dy = dy.value();
            let dy = dy.values();
            let acts = acts.values();
            let s = ctx.input(1).value();
            let s = s.values();
            // The gate gradient da [B, 4H] and dc [B, H], a row at a time
            // (lstm_gates.rs derives them).
            let mut da = vec![T::zero(); batch * g4];
            let mut dc = vec![T::zero(); batch * hs];
            // db = sum over the batch of da, accumulated row by row in a
            // fixed order (deterministic, and without the transposed copy a
            // reduction over axis 0 makes).
            let mut db = vec![T::zero(); g4];
            for b in 0..batch {
                let (dh_next, dc_next) = dy[b * 2 * hs..(b + 1) * 2 * hs].split_at(hs);
                let da_b = &mut da[b * g4..(b + 1) * g4];
                gate_gradient(
                    &acts[b * g4..(b + 1) * g4],
                    &tanh_c[b * hs..(b + 1) * hs],
                    &s[b * 2 * hs + hs..(b + 1) * 2 * hs],
                    dh_next,
                    dc_next,
                    da_b,
                    &mut dc[b * hs..(b + 1) * hs],
                );
                for (acc, &d) in db.iter_mut().zip(da_b.iter()) {
                    *acc += d;
                }
            }
            let da = Tensor::from_vec(da, &[batch, g4]);
            let constant = |t: Tensor<T>| Some(ctx.tape().constant(t));
            let mut grads = [None; 6];
            if ctx.needs_grad(0) {
                grads[0] = constant(da.matmul(&ctx.input(2).value()));
            }
            if ctx.needs_grad(1) {
                let dh = da.matmul(&ctx.input(3).value());
                let dc = Tensor::from_vec(dc, &[batch, hs]);
                grads[1] = constant(Tensor::concat(&[dh, dc], 1));
            }
            if ctx.needs_grad(2) {
                grads[2] = constant(da.transpose(0, 1).matmul(&ctx.input(0).value()));
            }
            if ctx.needs_grad(3) {
                let h = ctx.input(1).value().narrow(1, 0, hs);
                grads[3] = constant(da.transpose(0, 1).matmul(&h));
            }
            if ctx.needs_grad(4) || ctx.needs_grad(5) {
                let db = Tensor::from_vec(db, &[g4]);
                grads[4] = constant(db.clone());
                grads[5] = constant(db);
            }
            grads
        }))
}
