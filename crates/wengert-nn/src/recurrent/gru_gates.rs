//! The element-wise heart of the fused GRU sequence
//! ([`gru_sequence_fused`](super::gru_sequence_fused)): for one batch row,
//! the gates and the new state forward, and the gate gradients backward.
//! Straight loops over contiguous slices, one gate block at a time, so the
//! compiler vectorises them; the f32 sigmoid and tanh are branch-free
//! ([`Float::fast_sigmoid`]).

use wengert_tensor::Float;

/// The three gate blocks r, z, n (each `H` wide) of a `3H` row.
fn blocks<T>(row: &[T]) -> (&[T], &[T], &[T]) {
    let hs = row.len() / 3;
    let (r, rest) = row.split_at(hs);
    let (z, n) = rest.split_at(hs);
    (r, z, &n[..hs])
}

/// The three gate blocks of a `3H` row, for writing.
fn blocks_mut<T>(row: &mut [T]) -> (&mut [T], &mut [T], &mut [T]) {
    let hs = row.len() / 3;
    let (r, rest) = row.split_at_mut(hs);
    let (z, n) = rest.split_at_mut(hs);
    (r, z, &mut n[..hs])
}

/// One GRU step of one batch row, PyTorch's equations with `gi = x W_ih^T`
/// and `gh = h W_hh^T` (each `3H`, blocks r, z, n, biases not yet added):
///
/// ```text
/// r  = sigmoid((gi_r + b_ir) + (gh_r + b_hr))
/// z  = sigmoid((gi_z + b_iz) + (gh_z + b_hz))
/// hn = gh_n + b_hn                          kept: dr needs it
/// n  = tanh((gi_n + b_in) + r * hn)
/// h' = n + z * (h - n)                      = (1 - z) n + z h
/// ```
///
/// (the sums grouped as the composed cell rounds them). Writes
/// `acts = [r, z, n]` (`3H`), `hn` and `h_next` (`H`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gru_gates<T: Float>(
    gi: &[T],
    gh: &[T],
    b_ih: &[T],
    b_hh: &[T],
    h: &[T],
    acts: &mut [T],
    hn: &mut [T],
    h_next: &mut [T],
) {
    let hs = h.len();
    let ((gi_r, gi_z, gi_n), (gh_r, gh_z, gh_n)) = (blocks(gi), blocks(gh));
    let ((bi_r, bi_z, bi_n), (bh_r, bh_z, bh_n)) = (blocks(b_ih), blocks(b_hh));
    let (r, z, n) = blocks_mut(acts);
    let (hn, h_next) = (&mut hn[..hs], &mut h_next[..hs]);
    let sigmoid_gate = |out: &mut [T], gi: &[T], bi: &[T], gh: &[T], bh: &[T]| {
        let (gi, bi, gh, bh) = (&gi[..hs], &bi[..hs], &gh[..hs], &bh[..hs]);
        for (j, o) in out[..hs].iter_mut().enumerate() {
            *o = ((gi[j] + bi[j]) + (gh[j] + bh[j])).fast_sigmoid();
        }
    };
    sigmoid_gate(r, gi_r, bi_r, gh_r, bh_r);
    sigmoid_gate(z, gi_z, bi_z, gh_z, bh_z);
    let (gi_n, bi_n, gh_n, bh_n, r, z) = (
        &gi_n[..hs],
        &bi_n[..hs],
        &gh_n[..hs],
        &bh_n[..hs],
        &r[..hs],
        &z[..hs],
    );
    let n = &mut n[..hs];
    for j in 0..hs {
        let hn_j = gh_n[j] + bh_n[j];
        let n_j = ((gi_n[j] + bi_n[j]) + r[j] * hn_j).fast_tanh();
        hn[j] = hn_j;
        n[j] = n_j;
        h_next[j] = n_j + z[j] * (h[j] - n_j);
    }
}

/// The gate gradients of one batch row. With `dh` the gradient reaching
/// `h'`, the saved `acts = [r, z, n]`, `hn` and the old state `h`:
///
/// ```text
/// dn   = dh * (1 - z)           dz = dh * (h - n)
/// da_n = dn * (1 - n^2)         (tanh' = 1 - tanh^2; a_n the pre-activation of n)
/// da_r = da_n * hn * r(1 - r)   (sigmoid' = s(1 - s))
/// da_z = dz * z(1 - z)
/// dgi  = [da_r, da_z, da_n]     the gradient of gi = x W_ih^T + b_ih
/// dgh  = [da_r, da_z, da_n * r] the gradient of gh = h W_hh^T + b_hh
/// dh_z = dh * z                 the part of dh_prev that skips the products
/// ```
///
/// Writes `dgi`, `dgh` (`3H`) and `dh_z` (`H`); the caller adds
/// `dgh W_hh` to `dh_z` for the gradient reaching `h`.
pub(crate) fn gru_gate_gradient<T: Float>(
    acts: &[T],
    hn: &[T],
    h: &[T],
    dh: &[T],
    dgi: &mut [T],
    dgh: &mut [T],
    dh_z: &mut [T],
) {
    let hs = h.len();
    let one = T::one();
    let (r, z, n) = blocks(acts);
    let (r, z, n, hn, dh, dh_z) = (
        &r[..hs],
        &z[..hs],
        &n[..hs],
        &hn[..hs],
        &dh[..hs],
        &mut dh_z[..hs],
    );
    let (dgi_r, dgi_z, dgi_n) = blocks_mut(dgi);
    let (dgh_r, dgh_z, dgh_n) = blocks_mut(dgh);
    let (dgi_r, dgi_z, dgi_n) = (&mut dgi_r[..hs], &mut dgi_z[..hs], &mut dgi_n[..hs]);
    let (dgh_r, dgh_z, dgh_n) = (&mut dgh_r[..hs], &mut dgh_z[..hs], &mut dgh_n[..hs]);
    for j in 0..hs {
        let (r_j, z_j, n_j) = (r[j], z[j], n[j]);
        let dn = dh[j] * (one - z_j);
        let dz = dh[j] * (h[j] - n_j);
        let da_n = dn * (one - n_j * n_j);
        let da_r = da_n * hn[j] * r_j * (one - r_j);
        let da_z = dz * z_j * (one - z_j);
        dgi_r[j] = da_r;
        dgi_z[j] = da_z;
        dgi_n[j] = da_n;
        dgh_r[j] = da_r;
        dgh_z[j] = da_z;
        dgh_n[j] = da_n * r_j;
        dh_z[j] = dh[j] * z_j;
    }
}
