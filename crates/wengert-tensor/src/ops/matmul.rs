//! Matrix product: 2-D, batched, with broadcasting over batch dimensions.

use super::or_panic;
use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::kernels::matmul;
use crate::shape::broadcast_shapes;
use crate::tape::Var;
use crate::tensor::Tensor;

/// Batch-broadcast target shapes for `[..., m, k] @ [..., k, n]`.
fn broadcast_matmul_shapes(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, Vec<usize>)> {
    if a.len() < 2 || b.len() < 2 {
        return Err(TensorError::ShapeMismatch {
            op: "matmul",
            lhs: a.to_vec(),
            rhs: b.to_vec(),
            why: "both operands need at least 2 dimensions".into(),
        });
    }
    let (ba, bb) = (&a[..a.len() - 2], &b[..b.len() - 2]);
    let batch = broadcast_shapes("matmul", ba, bb).map_err(|_| TensorError::ShapeMismatch {
        op: "matmul",
        lhs: a.to_vec(),
        rhs: b.to_vec(),
        why: format!("batch dimensions {ba:?} and {bb:?} do not broadcast"),
    })?;
    let mut sa = batch.clone();
    sa.extend_from_slice(&a[a.len() - 2..]);
    let mut sb = batch;
    sb.extend_from_slice(&b[b.len() - 2..]);
    Ok((sa, sb))
}

/// Checks the inner dimensions, naming the caller's full shapes.
fn check_inner(a: &[usize], b: &[usize]) -> Result<()> {
    let (k, k2) = (a[a.len() - 1], b[b.len() - 2]);
    if k == k2 {
        return Ok(());
    }
    Err(TensorError::ShapeMismatch {
        op: "matmul",
        lhs: a.to_vec(),
        rhs: b.to_vec(),
        why: format!("inner dimensions differ: {k} (last of lhs) vs {k2} (second to last of rhs)"),
    })
}

impl<T: Float> Tensor<T> {
    /// Matrix product `a @ b` for `[..., m, k]` and `[..., k, n]`, batch
    /// dimensions broadcast. Transposed views are read in place.
    pub fn try_matmul(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        let (sa, sb) = broadcast_matmul_shapes(self.shape(), b.shape())?;
        check_inner(self.shape(), b.shape())?;
        if sa == self.shape() && sb == b.shape() {
            return matmul::matmul(self, b);
        }
        matmul::matmul(&self.try_broadcast_to(&sa)?, &b.try_broadcast_to(&sb)?)
    }

    /// Panicking form of [`Tensor::try_matmul`].
    #[track_caller]
    pub fn matmul(&self, b: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_matmul(b))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `y = a @ b` for `[..., m, k]` and `[..., k, n]`, batch dimensions
    /// broadcast (with `broadcast_to` nodes, whose backward sums the batch
    /// gradient back).
    ///
    /// Backward: `da = dy @ b^T`, `db = a^T @ dy`; the transposes are views,
    /// so no operand is copied. PyTorch: `torch.matmul`.
    ///
    /// # Shapes
    /// `[m, k] @ [k, n] -> [m, n]`; `[B, m, k] @ [k, n] -> [B, m, n]`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// let b = tape.constant(Tensor::eye(2));
    /// let g = a.matmul(b).sum().backward();
    /// assert_eq!(g.wrt(a).unwrap().to_vec(), vec![1.0, 1.0, 1.0, 1.0]);
    /// ```
    pub fn try_matmul(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        let (a_shape, b_shape) = (self.shape(), b.shape());
        let (sa, sb) = broadcast_matmul_shapes(&a_shape, &b_shape)?;
        check_inner(&a_shape, &b_shape)?;
        let a = self.try_broadcast_to(&sa)?;
        let b = b.try_broadcast_to(&sb)?;
        let y = matmul::matmul(&a.value(), &b.value())?;
        Ok(self.tape().record("matmul", &[a, b], y, |ctx, dy| {
            let (a, b) = (ctx.input(0), ctx.input(1));
            [
                ctx.needs_grad(0).then(|| dy.matmul(b.matrix_transpose())),
                ctx.needs_grad(1).then(|| a.matrix_transpose().matmul(dy)),
            ]
        }))
    }

    /// Panicking form of [`Var::try_matmul`].
    #[track_caller]
    pub fn matmul(self, b: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_matmul(b))
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    #[test]
    fn matmul_known_values_and_transposed_view() {
        // [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]]
        let a = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let b = Tensor::<f64>::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[2, 2]);
        assert_eq!(a.matmul(&b).to_vec(), vec![19.0, 22.0, 43.0, 50.0]);
        // a^T @ b = [[1,3],[2,4]] @ b = [[26,30],[38,44]], through a strided view
        assert_eq!(
            a.transpose(0, 1).matmul(&b).to_vec(),
            vec![26.0, 30.0, 38.0, 44.0]
        );
    }

    #[test]
    fn batched_matmul_broadcasts_batch() {
        let a = Tensor::<f32>::arange(0.0, 12.0, 1.0).reshape(&[3, 2, 2]);
        let b = Tensor::<f32>::eye(2);
        let y = a.matmul(&b);
        assert_eq!(y.shape(), &[3, 2, 2]);
        assert_eq!(y.to_vec(), a.to_vec());
    }

    #[test]
    fn an_empty_inner_dimension_gives_zeros() {
        let a = Tensor::<f32>::zeros(&[2, 0]);
        let b = Tensor::<f32>::zeros(&[0, 3]);
        assert_eq!(a.matmul(&b).to_vec(), vec![0.0; 6]);
    }

    #[test]
    fn many_small_batched_products_match_one_at_a_time() {
        // Eight small products: the parallel path, each written into
        // uninitialized output memory.
        let mut rng = crate::seeded_rng(3);
        let a = Tensor::<f64>::randn(&[8, 3, 4], &mut rng);
        let b = Tensor::<f64>::randn(&[8, 4, 5], &mut rng);
        let c = a.matmul(&b);
        for i in 0..8 {
            let ai = a.narrow(0, i, 1).reshape(&[3, 4]);
            let bi = b.narrow(0, i, 1).reshape(&[4, 5]);
            assert_eq!(c.narrow(0, i, 1).reshape(&[3, 5]), ai.matmul(&bi));
        }
    }

    #[test]
    fn matmul_error_names_both_shapes() {
        let a = Tensor::<f32>::zeros(&[2, 3]);
        let b = Tensor::<f32>::zeros(&[4, 5]);
        let msg = a.try_matmul(&b).unwrap_err().to_string();
        assert!(
            msg.contains("matmul") && msg.contains("[2, 3]") && msg.contains("[4, 5]"),
            "{msg}"
        );
    }
}
