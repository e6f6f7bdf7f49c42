//! softmax and log_softmax along an axis.
//!
//! Both are primitives with a one-pass kernel (`kernels/softmax.rs`), but
//! their backward rules are written in `Var` ops, so they stay twice
//! differentiable. They replace the composition
//! `log_softmax(x) = (x - m) - ln(sum(exp(x - m)))` (six nodes, six passes)
//! by one node; the tests check them against that composed twin.

use crate::float::Float;
use crate::kernels::softmax::{log_softmax_rows, softmax_rows};
use crate::shape::check_axis;
use crate::tape::Var;
use crate::tensor::Tensor;

use super::or_panic;

/// Applies a row kernel along `axis`: moves the axis last, runs the kernel
/// on contiguous rows, moves it back.
fn along_axis<T: Float>(
    x: &Tensor<T>,
    axis: usize,
    op: &'static str,
    kernel: fn(&[T], usize) -> Vec<T>,
) -> Tensor<T> {
    or_panic(check_axis(op, axis, x.shape()));
    let last = x.ndim() - 1;
    if axis == last {
        return Tensor::from_vec(kernel(&x.values(), x.shape()[last]), x.shape());
    }
    let moved = x.transpose(axis, last).contiguous();
    let y = Tensor::from_vec(kernel(&moved.values(), moved.shape()[last]), moved.shape());
    y.transpose(axis, last).contiguous()
}

impl<T: Float> Tensor<T> {
    /// `exp(x_i) / sum_j exp(x_j)` along `axis`, with the row maximum
    /// subtracted first so large inputs do not overflow.
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Tensor<T> {
        along_axis(self, axis, "softmax", softmax_rows)
    }

    /// `x - logsumexp(x)` along `axis`, computed as `(x - m) - ln(sum(exp(x - m)))`
    /// with `m` the row maximum, never adding `m` back (which would round
    /// the small log-probabilities at the scale of `m`).
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Tensor<T> {
        along_axis(self, axis, "log_softmax", log_softmax_rows)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `y_i = e^{x_i} / sum_j e^{x_j}` along `axis`.
    ///
    /// Backward: `dx = y * (dy - sum(dy * y))`, the sum along `axis`
    /// (the Jacobian `diag(y) - y y^T` applied to `dy`), written in Var ops
    /// so it can be differentiated again. PyTorch: `torch.softmax(x, axis)`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], &[1, 2]));
    /// assert_eq!(x.softmax(1).value().to_vec(), vec![0.5, 0.5]); // no overflow
    /// ```
    #[track_caller]
    pub fn softmax(self, axis: usize) -> Var<'t, T> {
        let y = self.value().softmax(axis);
        self.tape().record("softmax", &[self], y, move |ctx, dy| {
            let y = ctx.output();
            [Some(y * (dy - (dy * y).sum_axes(&[axis], true)))]
        })
    }

    /// `y = x - logsumexp(x)` along `axis`: log-probabilities, stable for
    /// large inputs.
    ///
    /// Backward: `dx = dy - exp(y) * sum(dy)`, the sum along `axis`
    /// (`exp(y)` is the softmax), in Var ops. PyTorch: `torch.log_softmax(x, axis)`.
    #[track_caller]
    pub fn log_softmax(self, axis: usize) -> Var<'t, T> {
        let y = self.value().log_softmax(axis);
        self.tape()
            .record("log_softmax", &[self], y, move |ctx, dy| {
                let p = ctx.output().exp();
                [Some(dy - p * dy.sum_axes(&[axis], true))]
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::{gradcheck::assert_close, Tape, Tensor};

    #[test]
    fn softmax_known_values_and_sums_to_one() {
        // softmax([0, ln 3]) = [1/4, 3/4]
        let x = Tensor::<f64>::from_vec(vec![0.0, 3f64.ln()], &[1, 2]);
        let y = x.softmax(1).to_vec();
        assert!((y[0] - 0.25).abs() < 1e-15 && (y[1] - 0.75).abs() < 1e-15);
        let z = Tensor::<f64>::arange(0.0, 12.0, 1.0)
            .reshape(&[3, 4])
            .softmax(0);
        for s in z.sum_axes(&[0], false).to_vec() {
            assert!((s - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn fused_softmax_matches_its_composed_twin_with_gradients() {
        let x = Tensor::<f64>::randn(&[3, 4, 5], &mut crate::seeded_rng(9));
        let up = Tensor::<f64>::randn(&[3, 4, 5], &mut crate::seeded_rng(10));
        for axis in 0..3 {
            let tape = Tape::new();
            let v = tape.var(x.clone());
            let u = tape.constant(up.clone());
            let composed = (v - v.logsumexp_axes(&[axis], true)).exp();
            let fused = v.softmax(axis);
            assert_close(&fused.value(), &composed.value(), 1e-15, 1e-12);
            let g_fused = (fused * u).sum().backward();
            let g_composed = (composed * u).sum().backward();
            assert_close(
                g_fused.wrt(v).unwrap(),
                g_composed.wrt(v).unwrap(),
                1e-14,
                1e-12,
            );
            let lf = v.log_softmax(axis);
            let lc = v - v.logsumexp_axes(&[axis], true);
            assert_close(&lf.value(), &lc.value(), 1e-13, 1e-12);
            let gf = (lf * u).sum().backward();
            let gc = (lc * u).sum().backward();
            assert_close(gf.wrt(v).unwrap(), gc.wrt(v).unwrap(), 1e-13, 1e-12);
        }
    }
}
