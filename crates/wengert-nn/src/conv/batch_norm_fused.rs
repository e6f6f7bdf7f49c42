//! Batch normalization over `[N, C, *]` as one tape node, forward and
//! backward each a few passes over contiguous per-channel runs.
//!
//! The composed form (two `mean_axes`, a centring, a square, a division,
//! the affine multiply-add) records about ten nodes, each a full-size
//! buffer, and every per-channel sum over axes `[0, 2, 3]` and every
//! `[1, C, 1, 1]` broadcast is its own strided pass; the CNN bench spent a
//! large part of its step there. Here the input is read as `N * C` runs of
//! `L` values (`L` the product of the trailing axes, 1 for `[N, C]`).
//!
//! Forward: per channel `mean = sum(x) / n`, then
//! `var = sum((x - mean)^2) / n` (two passes: the centred second pass is as
//! accurate as the composed form, unlike `E[x^2] - mean^2`), then
//! `y = (x - mean) / std * weight + bias` with `std = sqrt(var + eps)`.
//!
//! Backward, with `x^ = (x - mean) / std`, `g = dy * weight`, sums over the
//! channel's `n` values (the standard formula; the two sums in one pass):
//!
//! ```text
//! dbias = sum(dy)     dweight = sum(dy * x^)
//! dx = (g - sum(g) / n - x^ * sum(g * x^) / n) / std      batch statistics
//! dx = g / std                                              running statistics
//! ```
//!
//! A recorded backward (`backward_with_graph`) builds the same formulas
//! from differentiable ops instead, so second derivatives still work.

use wengert_tensor::{BackwardCtx, Float, Tensor, Var};

/// The statistics a pass normalizes with, per channel.
#[derive(Clone, Debug)]
pub(crate) enum Statistics<T: Float> {
    /// The batch's own (training, or a layer without running statistics):
    /// the gradient flows through them.
    Batch,
    /// Running mean and (unbiased) running variance, `[C]`, constants.
    Running { mean: Tensor<T>, var: Tensor<T> },
}

/// The output of [`batch_norm_fused`]: `y`, and with batch statistics the
/// batch's mean and biased variance, `[C]`, for the running averages.
pub(crate) struct Normalized<'t, T: Float> {
    pub(crate) y: Var<'t, T>,
    pub(crate) batch_stats: Option<(Tensor<T>, Tensor<T>)>,
}

/// `[N, C, L]` read of a shape `[N, C, *]`.
fn dims(shape: &[usize]) -> [usize; 3] {
    [shape[0], shape[1], shape[2..].iter().product()]
}

/// Calls `f(c, run)` for each contiguous run of `L` values of channel `c`,
/// in memory order (so sums are formed in one fixed order).
fn runs<T>(xs: &[T], [_, c, l]: [usize; 3]) -> impl Iterator<Item = (usize, &[T])> {
    xs.chunks(l.max(1))
        .enumerate()
        .map(move |(k, run)| (k % c, run))
}

/// `y = (x - mean) / sqrt(var + eps) * weight + bias` per channel. `affine`
/// is `(weight [C], bias [C])`. The caller has checked the shapes and, for
/// batch statistics, that each channel has more than one value.
pub(crate) fn batch_norm_fused<'t, T: Float>(
    x: Var<'t, T>,
    affine: Option<(Var<'t, T>, Var<'t, T>)>,
    stats: Statistics<T>,
    eps: T,
) -> Normalized<'t, T> {
    let shape = x.shape();
    let d = dims(&shape);
    let (c, count) = (d[1], T::from_f64((d[0] * d[2]) as f64));
    let xv = x.value();
    let xs = xv.values();
    let (mean, var, batch_stats) = match &stats {
        Statistics::Batch => {
            let mut mean = vec![T::zero(); c];
            for (ch, run) in runs(&xs, d) {
                mean[ch] += run.iter().fold(T::zero(), |s, &v| s + v);
            }
            mean.iter_mut().for_each(|m| *m /= count);
            let mut var = vec![T::zero(); c];
            for (ch, run) in runs(&xs, d) {
                let m = mean[ch];
                var[ch] += run.iter().fold(T::zero(), |s, &v| s + (v - m) * (v - m));
            }
            var.iter_mut().for_each(|v| *v /= count);
            let keep = (
                Tensor::from_vec(mean.clone(), &[c]),
                Tensor::from_vec(var.clone(), &[c]),
            );
            (mean, var, Some(keep))
        }
        Statistics::Running { mean, var } => (mean.to_vec(), var.to_vec(), None),
    };
    let std: Vec<T> = var.iter().map(|&v| (v + eps).sqrt()).collect();
    let (weight, bias) = match affine {
        Some((w, b)) => (w.value().to_vec(), b.value().to_vec()),
        None => (vec![T::one(); c], vec![T::zero(); c]),
    };
    let mut y = Vec::with_capacity(xs.len());
    for (ch, run) in runs(&xs, d) {
        let (m, s, w, b) = (mean[ch], std[ch], weight[ch], bias[ch]);
        y.extend(run.iter().map(|&v| (v - m) / s * w + b));
    }
    let value = Tensor::from_vec(y, &shape);
    let mut inputs = vec![x];
    if let Some((w, b)) = affine {
        inputs.extend([w, b]);
    }
    let saved = Saved {
        dims: d,
        affine: affine.is_some(),
        mean,
        std,
        eps,
        stats,
    };
    let y = x
        .tape()
        .record_many("batch_norm_fused", &inputs, value, move |ctx, dy| {
            if ctx.is_recording() {
                saved.composed_backward(ctx, dy)
            } else {
                saved.kernel_backward(ctx, dy)
            }
        });
    Normalized { y, batch_stats }
}

/// What the backward needs: the statistics, not `x^` (recomputed from the
/// input, one subtraction and one division per value, so the node keeps
/// `2C` numbers instead of a second activation-sized buffer).
struct Saved<T: Float> {
    dims: [usize; 3],
    /// Whether the inputs are `[x, weight, bias]` (else `[x]`).
    affine: bool,
    mean: Vec<T>,
    std: Vec<T>,
    eps: T,
    stats: Statistics<T>,
}

impl<T: Float> Saved<T> {
    /// The hand-written backward: one pass for the two per-channel sums,
    /// one for `dx`.
    fn kernel_backward<'a>(
        &self,
        ctx: &BackwardCtx<'a, T>,
        dy: Var<'a, T>,
    ) -> Vec<Option<Var<'a, T>>> {
        let d = self.dims;
        let c = d[1];
        let count = T::from_f64((d[0] * d[2]) as f64);
        let xv = ctx.input(0).value();
        let xs = xv.values();
        let dyv = dy.value();
        let dys = dyv.values();
        let affine = self.affine;
        let weight = if affine {
            ctx.input(1).value().to_vec()
        } else {
            vec![T::one(); c]
        };
        let (mut sum_dy, mut sum_dy_xhat) = (vec![T::zero(); c], vec![T::zero(); c]);
        for ((ch, run), (_, drun)) in runs(&xs, d).zip(runs(&dys, d)) {
            let (m, s) = (self.mean[ch], self.std[ch]);
            let (mut a, mut b) = (T::zero(), T::zero());
            for (&v, &g) in run.iter().zip(drun) {
                a += g;
                b += g * ((v - m) / s);
            }
            sum_dy[ch] += a;
            sum_dy_xhat[ch] += b;
        }
        let tape = ctx.tape();
        let mut grads = vec![None; if affine { 3 } else { 1 }];
        if ctx.needs_grad(0) {
            let batch = matches!(self.stats, Statistics::Batch);
            let mut dx = Vec::with_capacity(xs.len());
            for ((ch, run), (_, drun)) in runs(&xs, d).zip(runs(&dys, d)) {
                let (m, s, w) = (self.mean[ch], self.std[ch], weight[ch]);
                if batch {
                    // g = w dy; sum(g) = w sum(dy), sum(g x^) = w sum(dy x^).
                    let (mean_dy, mean_dy_xhat) = (sum_dy[ch] / count, sum_dy_xhat[ch] / count);
                    dx.extend(
                        run.iter()
                            .zip(drun)
                            .map(|(&v, &g)| w * (g - mean_dy - (v - m) / s * mean_dy_xhat) / s),
                    );
                } else {
                    dx.extend(drun.iter().map(|&g| w * g / s));
                }
            }
            grads[0] = Some(tape.constant(Tensor::from_vec(dx, &ctx.input(0).shape())));
        }
        if affine {
            grads[1] = Some(tape.constant(Tensor::from_vec(sum_dy_xhat, &[c])));
            grads[2] = Some(tape.constant(Tensor::from_vec(sum_dy, &[c])));
        }
        grads
    }

    /// The same gradients from differentiable ops, for a recorded backward.
    fn composed_backward<'a>(
        &self,
        ctx: &BackwardCtx<'a, T>,
        dy: Var<'a, T>,
    ) -> Vec<Option<Var<'a, T>>> {
        let tape = ctx.tape();
        let x = ctx.input(0);
        let shape = x.shape();
        let c = self.dims[1];
        let axes: Vec<usize> = (0..shape.len()).filter(|&a| a != 1).collect();
        let mut bshape = vec![1; shape.len()];
        bshape[1] = c;
        let (x_hat, std) = match &self.stats {
            Statistics::Batch => {
                let centered = x - x.mean_axes(&axes, true);
                let std = centered
                    .square()
                    .mean_axes(&axes, true)
                    .add_scalar(self.eps)
                    .sqrt();
                (centered / std, std)
            }
            Statistics::Running { .. } => {
                let mean = tape.constant(Tensor::from_vec(self.mean.clone(), &bshape));
                let std = tape.constant(Tensor::from_vec(self.std.clone(), &bshape));
                ((x - mean) / std, std)
            }
        };
        let affine = self.affine;
        let g = if affine {
            dy * ctx.input(1).reshape(&bshape)
        } else {
            dy
        };
        let dx = match self.stats {
            Statistics::Batch => {
                (g - g.mean_axes(&axes, true) - x_hat * (g * x_hat).mean_axes(&axes, true)) / std
            }
            Statistics::Running { .. } => g / std,
        };
        let mut grads = vec![Some(dx)];
        if affine {
            grads.push(Some((dy * x_hat).sum_to(&bshape).reshape(&[c])));
            grads.push(Some(dy.sum_to(&bshape).reshape(&[c])));
        }
        grads
    }
}
