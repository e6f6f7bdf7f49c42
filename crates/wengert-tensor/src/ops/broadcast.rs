//! Broadcasting as a node of its own: `broadcast_to` and its adjoint `sum_to`.
//!
//! Binary ops first broadcast both operands to the common shape with these
//! nodes, so their own rules can assume equal shapes. The backward of a
//! broadcast sums the gradient over the axes it was copied along.

use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::kernels::{elementwise, reduce};
use crate::shape::{broadcast_axes, broadcast_shapes, can_broadcast_to};
use crate::tape::Var;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Copies the tensor along new leading axes and size-1 axes to `shape`.
    /// PyTorch: `x.broadcast_to(shape)` (here the copy is materialized).
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Tensor<T>> {
        if !can_broadcast_to(self.shape(), shape) {
            return Err(TensorError::ShapeMismatch {
                op: "broadcast_to",
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
                why: "each axis must match or be 1 (aligned from the right)".into(),
            });
        }
        Ok(elementwise::broadcast_to(self, shape))
    }

    /// Sums over broadcast axes to bring the tensor back to `shape`, the
    /// adjoint of `broadcast_to`. PyTorch: `x.sum_to_size(shape)`.
    pub fn try_sum_to(&self, shape: &[usize]) -> Result<Tensor<T>> {
        if !can_broadcast_to(shape, self.shape()) {
            return Err(TensorError::ShapeMismatch {
                op: "sum_to",
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
                why: "the target must broadcast to the source".into(),
            });
        }
        let axes = broadcast_axes(shape, self.shape());
        if axes.is_empty() {
            return self.try_reshape(shape);
        }
        reduce::sum_axes(self, &axes).try_reshape(shape)
    }
}

panicking! { Tensor {
    fn broadcast_to(&self, shape: &[usize]) -> Tensor<T> = try_broadcast_to;
    fn sum_to(&self, shape: &[usize]) -> Tensor<T> = try_sum_to;
} }

impl<'t, T: Float> Var<'t, T> {
    /// `y = x` copied along new leading axes and size-1 axes to `shape`
    /// (NumPy/PyTorch `broadcast_to`).
    ///
    /// Backward: `dx = sum_to(dy, shape(x))`, summing over the copied axes.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[2, 1]));
    /// let y = x.broadcast_to(&[3, 2, 4]);
    /// let g = y.sum().backward();
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![12.0, 12.0]); // 3 * 4 copies each
    /// ```
    pub fn try_broadcast_to(self, shape: &[usize]) -> Result<Var<'t, T>> {
        let x = self.value();
        if x.shape() == shape {
            return Ok(self);
        }
        let y = x.try_broadcast_to(shape)?;
        let x_shape = x.shape().to_vec();
        Ok(self
            .tape()
            .record("broadcast_to", &[self], y, move |_ctx, dy| {
                [Some(dy.sum_to(&x_shape))]
            }))
    }

    /// Sums over broadcast axes down to `shape`, the adjoint of
    /// `broadcast_to`. Backward: `dx = broadcast_to(dy, shape(x))`.
    pub fn try_sum_to(self, shape: &[usize]) -> Result<Var<'t, T>> {
        let x = self.value();
        if x.shape() == shape {
            return Ok(self);
        }
        let y = x.try_sum_to(shape)?;
        let x_shape = x.shape().to_vec();
        Ok(self.tape().record("sum_to", &[self], y, move |_ctx, dy| {
            [Some(dy.broadcast_to(&x_shape))]
        }))
    }

    /// An op's operands must live on one tape (a node can only name nodes
    /// of its own tape).
    pub(crate) fn check_same_tape(op: &'static str, vars: &[Var<'t, T>]) -> Result<()> {
        match vars.split_first() {
            Some((first, rest)) if rest.iter().any(|v| !v.same_tape(first)) => {
                Err(TensorError::InvalidArgument {
                    op,
                    why: "operands are on different tapes".into(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Broadcasts two operands to their common shape (one node each, only
    /// where a shape changes). Every broadcasting binary op starts here.
    pub(crate) fn broadcast_pair(
        op: &'static str,
        a: Var<'t, T>,
        b: Var<'t, T>,
    ) -> Result<(Var<'t, T>, Var<'t, T>)> {
        Var::check_same_tape(op, &[a, b])?;
        let (sa, sb) = (a.shape(), b.shape());
        if sa == sb {
            return Ok((a, b));
        }
        let shape = broadcast_shapes(op, &sa, &sb)?;
        Ok((a.try_broadcast_to(&shape)?, b.try_broadcast_to(&shape)?))
    }
}

panicking! { Var {
    fn broadcast_to(self, shape: &[usize]) -> Var<'t, T> = try_broadcast_to;
    fn sum_to(self, shape: &[usize]) -> Var<'t, T> = try_sum_to;
} }

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn sum_to_undoes_broadcast_to_by_summing_the_copies() {
        // x = [[1], [2]] broadcast to [2, 3] repeats each row three times;
        // sum_to back to [2, 1] gives 3 * [1, 2]; to [3]: the column sums [3, 3, 3].
        let x = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2, 1]);
        let b = x.broadcast_to(&[2, 3]);
        assert_eq!(b.to_vec(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!(b.sum_to(&[2, 1]).to_vec(), vec![3.0, 6.0]);
        assert_eq!(b.sum_to(&[3]).to_vec(), vec![3.0, 3.0, 3.0]);
        assert!(b.try_sum_to(&[2, 2]).is_err());
    }

    #[test]
    fn broadcast_gradient_counts_the_copies() {
        // y = broadcast of x [3] to [2, 3], weighted by w = [[1, 2, 3], [4, 5, 6]]:
        // dx = column sums of w = [5, 7, 9]
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3]));
        let w = tape.constant(Tensor::arange(1.0, 7.0, 1.0).reshape(&[2, 3]));
        let g = (x.broadcast_to(&[2, 3]) * w).sum().backward();
        assert_eq!(g.wrt(x).unwrap().to_vec(), vec![5.0, 7.0, 9.0]);
    }

    #[test]
    fn broadcast_ops_pass_gradcheck_in_f64_and_agree_in_f32() {
        let x = || Tensor::<f64>::from_f64(&[0.3, -1.2], &[2, 1]);
        let big = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        check_grads!(twice[x()], |tape, v| v[0].broadcast_to(&[4, 2, 3]).square());
        check_grads!(twice[big()], |tape, v| v[0].sum_to(&[1, 3]).square());
    }
}
