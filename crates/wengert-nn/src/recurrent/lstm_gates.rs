//! The element-wise heart of the fused LSTM, shared by the one-step node
//! ([`lstm_cell_fused`](super::lstm_cell_fused)) and the whole-sequence node
//! ([`lstm_sequence_fused`](super::lstm_sequence_fused)): for one batch row,
//! the gate activations and the cell update forward, and the gate gradient
//! backward. Each is a few straight loops over contiguous slices (no
//! indexing arithmetic across gates), so the compiler vectorises them; the
//! f32 sigmoid and tanh are branch-free ([`Float::fast_sigmoid`]).

use wengert_tensor::Float;

use crate::error::{NnError, Result};

/// Checks the operands of a fused LSTM node against the cell's shapes:
/// `x_fits` says whether `x` (`shapes[0]`) has the layout `x_layout` with
/// batch `batch` and input size `input`; the state must be `[B, 2H]`, the
/// weights `[4H, I]` and `[4H, H]`, the biases `[4H]`. Returns `H`, or an
/// error that names `layer` and every operand's shape.
pub(crate) fn check_operands(
    layer: &str,
    x_layout: &str,
    x_fits: bool,
    shapes: &[Vec<usize>; 6],
    batch: usize,
    input: usize,
) -> Result<usize> {
    let hs = shapes[3].get(1).copied().unwrap_or(0);
    let fits = x_fits
        && shapes[1] == [batch, 2 * hs]
        && shapes[2] == [4 * hs, input]
        && shapes[3] == [4 * hs, hs]
        && shapes[4] == [4 * hs]
        && shapes[5] == [4 * hs];
    if fits && hs > 0 {
        return Ok(hs);
    }
    Err(NnError::InputShape {
        layer: layer.into(),
        expected: format!(
            "x {x_layout}, state [B, 2H], w_ih [4H, I], w_hh [4H, H], b_ih [4H], b_hh [4H] \
             (got x {:?}, state {:?}, w_ih {:?}, w_hh {:?}, b_ih {:?}, b_hh {:?})",
            shapes[0], shapes[1], shapes[2], shapes[3], shapes[4], shapes[5]
        ),
        got: shapes[0].clone(),
    })
}

/// Gate activations of one batch row, gate order i, f, g, o (each `H`
/// wide): `acts = act(pre_x + pre_h + b_ih + b_hh)` with sigmoid for i, f,
/// o and tanh for g. All slices `4H` long.
pub(crate) fn gate_activations<T: Float>(
    pre_x: &[T],
    pre_h: &[T],
    b_ih: &[T],
    b_hh: &[T],
    acts: &mut [T],
) {
    let hs = acts.len() / 4;
    // Three runs, each one activation, so each loop has no branch: i and f
    // (rows 0:2H) and o (3H:4H) are sigmoid gates, g (2H:3H) is tanh.
    let parts = |r: std::ops::Range<usize>| {
        (
            &pre_x[r.clone()],
            &pre_h[r.clone()],
            &b_ih[r.clone()],
            &b_hh[r],
        )
    };
    let (if_, rest) = acts.split_at_mut(2 * hs);
    let (g, o) = rest.split_at_mut(hs);
    activate(parts(0..2 * hs), if_, T::fast_sigmoid);
    activate(parts(2 * hs..3 * hs), g, T::fast_tanh);
    activate(parts(3 * hs..4 * hs), o, T::fast_sigmoid);
}

/// `out = act(x + h + bi + bh)` element by element (one run of gates).
#[inline(always)]
fn activate<T: Float>(
    (x, h, bi, bh): (&[T], &[T], &[T], &[T]),
    out: &mut [T],
    act: impl Fn(T) -> T,
) {
    let n = out.len();
    // Equal lengths up front, so the loop below has no bounds checks.
    let (x, h, bi, bh) = (&x[..n], &h[..n], &bi[..n], &bh[..n]);
    for (k, a) in out.iter_mut().enumerate() {
        *a = act(x[k] + h[k] + bi[k] + bh[k]);
    }
}

/// The cell update of one batch row from its gate activations `acts [4H]`
/// and the old cell `c [H]`: writes `c' = f c + i g`, `tanh(c')` and
/// `h' = o tanh(c')` (each `H` wide).
pub(crate) fn cell_update<T: Float>(
    acts: &[T],
    c: &[T],
    c_next: &mut [T],
    tanh_c: &mut [T],
    h_next: &mut [T],
) {
    let hs = c.len();
    let (i, rest) = acts.split_at(hs);
    let (f, rest) = rest.split_at(hs);
    let (g, o) = rest.split_at(hs);
    let (c_next, tanh_c, h_next) = (&mut c_next[..hs], &mut tanh_c[..hs], &mut h_next[..hs]);
    for j in 0..hs {
        let cn = f[j] * c[j] + i[j] * g[j];
        let t = cn.fast_tanh();
        c_next[j] = cn;
        tanh_c[j] = t;
        h_next[j] = o[j] * t;
    }
}

/// The gate gradient of one batch row. With `dh`, `dc` the gradients
/// reaching `h'` and `c'`, `t = tanh(c')`, and the saved activations:
///
/// ```text
/// dc~  = dc + dh * o * (1 - t^2)        everything that reaches c'
/// da_i = dc~ * g * i(1 - i)             (sigmoid' = s(1 - s))
/// da_f = dc~ * c * f(1 - f)
/// da_g = dc~ * i * (1 - g^2)            (tanh' = 1 - tanh^2)
/// da_o = dh * t * o(1 - o)
/// dc_prev = dc~ * f
/// ```
///
/// Writes `da [4H]` (the gradient of the pre-activations) and `dc_prev [H]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gate_gradient<T: Float>(
    acts: &[T],
    tanh_c: &[T],
    c: &[T],
    dh: &[T],
    dc: &[T],
    da: &mut [T],
    dc_prev: &mut [T],
) {
    let hs = c.len();
    let one = T::one();
    let (i, rest) = acts.split_at(hs);
    let (f, rest) = rest.split_at(hs);
    let (g, o) = rest.split_at(hs);
    let (da_i, rest) = da.split_at_mut(hs);
    let (da_f, rest) = rest.split_at_mut(hs);
    let (da_g, da_o) = rest.split_at_mut(hs);
    let (tanh_c, dh, dc, dc_prev) = (&tanh_c[..hs], &dh[..hs], &dc[..hs], &mut dc_prev[..hs]);
    for j in 0..hs {
        let t = tanh_c[j];
        let dc_total = dc[j] + dh[j] * o[j] * (one - t * t);
        da_i[j] = dc_total * g[j] * i[j] * (one - i[j]);
        da_f[j] = dc_total * c[j] * f[j] * (one - f[j]);
        da_g[j] = dc_total * i[j] * (one - g[j] * g[j]);
        da_o[j] = dh[j] * t * o[j] * (one - o[j]);
        dc_prev[j] = dc_total * f[j];
    }
}
