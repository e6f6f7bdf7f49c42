//! Batch normalization over `[N, C, *]` as one tape node, forward and
//! backward each a few passes over contiguous per-channel runs (the loops,
//! split over channels between threads, are in `batch_norm_kernel.rs`).
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
//! `y = (x - mean) * (weight / std) + bias` with `std = sqrt(var + eps)`.
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

use super::batch_norm_kernel::{
    channel_grad_sums, channel_mean_var, input_grad, normalize, Layout,
};

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
    let d = Layout::of(&shape);
    let c = d.c;
    let xv = x.value();
    let xs = xv.values();
    let (mean, var, batch_stats) = match &stats {
        Statistics::Batch => {
            let (mean, var) = channel_mean_var(&xs, d);
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
    let scale: Vec<T> = weight.iter().zip(&std).map(|(&w, &s)| w / s).collect();
    let value = Tensor::from_vec(normalize(&xs, d, &mean, &scale, &bias), &shape);
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
/// input, one subtraction and one multiplication per value, so the node
/// keeps `2C` numbers instead of a second activation-sized buffer).
struct Saved<T: Float> {
    dims: Layout,
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
        let c = d.c;
        let count = T::from_f64(d.per_channel() as f64);
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
        // sum(dy x^) = sum(dy (x - mean)) / std.
        let (sum_dy, sum_dy_xc) = channel_grad_sums(&xs, &dys, d, &self.mean);
        let sum_dy_xhat: Vec<T> = sum_dy_xc
            .iter()
            .zip(&self.std)
            .map(|(&s, &sd)| s / sd)
            .collect();
        let tape = ctx.tape();
        let mut grads = vec![None; if affine { 3 } else { 1 }];
        if ctx.needs_grad(0) {
            let scale: Vec<T> = weight.iter().zip(&self.std).map(|(&w, &s)| w / s).collect();
            // g = w dy; sum(g) = w sum(dy), sum(g x^) = w sum(dy x^), so
            // dx = w / std * (dy - mean(dy) - (x - mean) * mean(dy x^) / std).
            let centring: Option<(Vec<T>, Vec<T>)> =
                matches!(self.stats, Statistics::Batch).then(|| {
                    let mean_dy = sum_dy.iter().map(|&s| s / count).collect();
                    let mean_dy_xhat = sum_dy_xhat
                        .iter()
                        .zip(&self.std)
                        .map(|(&s, &sd)| s / count / sd)
                        .collect();
                    (mean_dy, mean_dy_xhat)
                });
            let centring = centring.as_ref().map(|(a, b)| (&a[..], &b[..]));
            let dx = input_grad(&xs, &dys, d, &self.mean, &scale, centring);
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
        let c = self.dims.c;
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
