//! softmax and log_softmax along an axis.
//!
//! Both are primitives with a one-pass kernel (`kernels/softmax.rs`), but
//! their backward rules are written in `Var` ops, so they stay twice
//! differentiable. They replace the composition
//! `log_softmax(x) = (x - m) - ln(sum(exp(x - m)))` (six nodes, six passes)
//! by one node; the tests check them against that composed twin.

use crate::error::Result;
use crate::float::Float;
use crate::kernels::softmax::{log_softmax_rows, softmax_rows};
use crate::shape::{resolve_axis_or_scalar, Axis};
use crate::tape::Var;
use crate::tensor::Tensor;

/// Applies a row kernel along `axis`: moves the axis last, runs the kernel
/// on contiguous rows, moves it back. A 0-d tensor is one row of one
/// element (its virtual axis 0 or -1, as in PyTorch). Returns the resolved
/// axis with the value, for the backward rule.
fn along_axis<T: Float>(
    x: &Tensor<T>,
    axis: impl Axis,
    op: &'static str,
    kernel: fn(&[T], usize) -> Vec<T>,
) -> Result<(usize, Tensor<T>)> {
    let axis = resolve_axis_or_scalar(op, axis, x.shape())?;
    if x.ndim() == 0 {
        return Ok((axis, Tensor::from_vec(kernel(&x.values(), 1), &[])));
    }
    let last = x.ndim() - 1;
    if axis == last {
        let y = Tensor::from_vec(kernel(&x.values(), x.shape()[last]), x.shape());
        return Ok((axis, y));
    }
    let moved = x.transpose(axis, last).contiguous();
    let y = Tensor::from_vec(kernel(&moved.values(), moved.shape()[last]), moved.shape());
    Ok((axis, y.transpose(axis, last).contiguous()))
}

impl<T: Float> Tensor<T> {
    /// `exp(x_i) / sum_j exp(x_j)` along `axis` (negative counts from the
    /// back), with the row maximum subtracted first so large inputs do not
    /// overflow. A 0-d tensor gives 1, as `torch.softmax(torch.tensor(2.5), 0)`.
    pub fn try_softmax(&self, axis: impl Axis) -> Result<Tensor<T>> {
        Ok(along_axis(self, axis, "softmax", softmax_rows)?.1)
    }

    /// `x - logsumexp(x)` along `axis`, computed as `(x - m) - ln(sum(exp(x - m)))`
    /// with `m` the row maximum, never adding `m` back (which would round
    /// the small log-probabilities at the scale of `m`). A 0-d tensor gives 0.
    pub fn try_log_softmax(&self, axis: impl Axis) -> Result<Tensor<T>> {
        Ok(along_axis(self, axis, "log_softmax", log_softmax_rows)?.1)
    }
}

panicking! { Tensor {
    fn softmax(&self, axis: impl Axis) -> Tensor<T> = try_softmax;
    fn log_softmax(&self, axis: impl Axis) -> Tensor<T> = try_log_softmax;
} }

impl<'t, T: Float> Var<'t, T> {
    /// `y_i = e^{x_i} / sum_j e^{x_j}` along `axis` (-1 is the last axis).
    ///
    /// Backward: `dx = y * (dy - sum(dy * y))`, the sum along `axis`
    /// (the Jacobian `diag(y) - y y^T` applied to `dy`), written in Var ops
    /// so it can be differentiated again. PyTorch: `torch.softmax(x, axis)`,
    /// which gives 1 for a 0-d tensor (axis 0 or -1); so does this.
    ///
    /// # Shapes
    /// The output has the input's shape.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], &[1, 2]));
    /// assert_eq!(x.softmax(-1).value().to_vec(), vec![0.5, 0.5]); // no overflow
    /// ```
    pub fn try_softmax(self, axis: impl Axis) -> Result<Var<'t, T>> {
        let (axis, y) = along_axis(&self.value(), axis, "softmax", softmax_rows)?;
        Ok(self.tape().record("softmax", &[self], y, move |ctx, dy| {
            let y = ctx.output();
            [Some(y * (dy - (dy * y).sum_axes(&[axis], true)))]
        }))
    }

    /// `y = x - logsumexp(x)` along `axis`: log-probabilities, stable for
    /// large inputs; 0 for a 0-d tensor, as in PyTorch.
    ///
    /// Backward: `dx = dy - exp(y) * sum(dy)`, the sum along `axis`
    /// (`exp(y)` is the softmax), in Var ops. PyTorch: `torch.log_softmax(x, axis)`.
    pub fn try_log_softmax(self, axis: impl Axis) -> Result<Var<'t, T>> {
        let (axis, y) = along_axis(&self.value(), axis, "log_softmax", log_softmax_rows)?;
        Ok(self
            .tape()
            .record("log_softmax", &[self], y, move |ctx, dy| {
                let p = ctx.output().exp();
                [Some(dy - p * dy.sum_axes(&[axis], true))]
            }))
    }
}

panicking! { Var {
    fn softmax(self, axis: impl Axis) -> Var<'t, T> = try_softmax;
    fn log_softmax(self, axis: impl Axis) -> Var<'t, T> = try_log_softmax;
} }

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

    #[test]
    fn softmax_of_a_0d_tensor_is_one_and_log_softmax_zero() {
        // torch.softmax(torch.tensor(2.5), 0) is tensor(1.); torch.log_softmax(s, -1) is
        // tensor(0.); both have gradient 0 (a constant).
        let tape = Tape::<f64>::new();
        let s = tape.var(Tensor::scalar(2.5));
        let p = s.softmax(0);
        assert_eq!((p.shape(), p.item()), (vec![], 1.0));
        assert_eq!(p.backward().wrt(s).unwrap().item(), 0.0);
        let l = s.log_softmax(-1);
        assert_eq!((l.shape(), l.item()), (vec![], 0.0));
        assert_eq!(l.backward().wrt(s).unwrap().item(), 0.0);
        assert!(s.try_softmax(1).is_err());
    }

    #[test]
    fn softmax_gradient_known_value() {
        // y = softmax([0, ln 3]) = [1/4, 3/4]; with dy = [1, 0] (the loss y_0):
        // dx = y * (dy - y . dy) = [1/4 (1 - 1/4), 3/4 (0 - 1/4)] = [3/16, -3/16]
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![0.0, 3f64.ln()], &[2]));
        let g = x.softmax(-1).narrow(0, 0, 1).sum().backward();
        assert_close(
            g.wrt(x).unwrap(),
            &Tensor::from_vec(vec![3.0 / 16.0, -3.0 / 16.0], &[2]),
            1e-16,
            1e-15,
        );
    }

    #[test]
    fn softmax_family_passes_gradcheck_in_f64_and_agrees_in_f32() {
        let x = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        check_grads!(twice[x()], |tape, v| v[0].softmax(-1));
        check_grads!(twice[x()], |tape, v| v[0].softmax(0));
        check_grads!(twice[x()], |tape, v| v[0].log_softmax(-1));
        check_grads!(twice[x()], |tape, v| v[0].log_softmax(-2));
    }
}
