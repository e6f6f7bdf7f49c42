//! The element-wise heart of the fused LSTM, shared by the one-step node
//! ([`lstm_cell_fused`](super::lstm_cell_fused)) and the whole-sequence node
//! ([`lstm_sequence_fused`](super::lstm_sequence_fused)): for one batch row,
//! the gate activations and the cell update forward, and the gate gradient
//! backward. Each is a few straight loops over contiguous slices (no
//! indexing arithmetic across gates), so the compiler vectorises them; the
//! f32 sigmoid and tanh are branch-free ([`Float::fast_sigmoid`]).

use wengert_tensor::Float;

/// Gate activations of one batch row, in place, gate order i, f, g, o
/// (each `H` wide): `pre` holds the two products `x W_ih^T + h W_hh^T` and
/// becomes `act(pre + b_ih + b_hh)`, with sigmoid for i, f, o and tanh for
/// g. All slices `4H` long. In place because the sequence node adds the
/// recurrent product straight into the buffer of the input projection: no
/// buffer of its own per step, no separate add pass.
pub(crate) fn gate_activations<T: Float>(pre: &mut [T], b_ih: &[T], b_hh: &[T]) {
    let hs = pre.len() / 4;
    // Three runs, each one activation, so each loop has no branch: i and f
    // (rows 0:2H) and o (3H:4H) are sigmoid gates, g (2H:3H) is tanh.
    let bias = |r: std::ops::Range<usize>| (&b_ih[r.clone()], &b_hh[r]);
    let (if_, rest) = pre.split_at_mut(2 * hs);
    let (g, o) = rest.split_at_mut(hs);
    activate(if_, bias(0..2 * hs), T::fast_sigmoid);
    activate(g, bias(2 * hs..3 * hs), T::fast_tanh);
    activate(o, bias(3 * hs..4 * hs), T::fast_sigmoid);
}

/// `a = act(a + bi + bh)` element by element (one run of gates).
#[inline(always)]
fn activate<T: Float>(pre: &mut [T], (bi, bh): (&[T], &[T]), act: impl Fn(T) -> T) {
    let n = pre.len();
    // Equal lengths up front, so the loop below has no bounds checks.
    let (bi, bh) = (&bi[..n], &bh[..n]);
    for (k, a) in pre.iter_mut().enumerate() {
        *a = act(*a + bi[k] + bh[k]);
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
