//! Matrix product: 2-D, batched, with broadcasting over batch dimensions,
//! and 1-D operands as `torch.matmul` treats them.

use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::kernels::matmul;
use crate::shape::broadcast_shapes;
use crate::tape::Var;
use crate::tensor::Tensor;

fn mismatch(a: &[usize], b: &[usize], why: String) -> TensorError {
    TensorError::ShapeMismatch {
        op: "matmul",
        lhs: a.to_vec(),
        rhs: b.to_vec(),
        why,
    }
}

/// Batch-broadcast target shapes for `[..., m, k] @ [..., k, n]`.
fn broadcast_matmul_shapes(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, Vec<usize>)> {
    if a.len() < 2 || b.len() < 2 {
        return Err(mismatch(
            a,
            b,
            "both operands need at least 2 dimensions".into(),
        ));
    }
    let (ba, bb) = (&a[..a.len() - 2], &b[..b.len() - 2]);
    let batch = broadcast_shapes("matmul", ba, bb).map_err(|_| {
        mismatch(
            a,
            b,
            format!("batch dimensions {ba:?} and {bb:?} do not broadcast"),
        )
    })?;
    let mut sa = batch.clone();
    sa.extend_from_slice(&a[a.len() - 2..]);
    let mut sb = batch;
    sb.extend_from_slice(&b[b.len() - 2..]);
    Ok((sa, sb))
}

/// Checks the inner dimensions, naming the caller's full shapes. A 1-D
/// lhs is a row (its one axis is k), a 1-D rhs a column.
fn check_inner(a: &[usize], b: &[usize]) -> Result<()> {
    let k = a[a.len() - 1];
    let k2 = b[b.len().saturating_sub(2)];
    if k == k2 {
        return Ok(());
    }
    let rhs_axis = if b.len() == 1 {
        "only"
    } else {
        "second to last"
    };
    Err(mismatch(
        a,
        b,
        format!("inner dimensions differ: {k} (last of lhs) vs {k2} ({rhs_axis} of rhs)"),
    ))
}

/// How torch.matmul reads 1-D operands: a 1-D lhs `[k]` as the row
/// `[1, k]`, a 1-D rhs `[k]` as the column `[k, 1]`, that size-1 axis then
/// removed from the result. Returns the operands' matrix shapes and the
/// result's shape.
fn vector_plan(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, Vec<usize>, Vec<usize>)> {
    if a.is_empty() || b.is_empty() {
        return Err(mismatch(
            a,
            b,
            "both operands need at least 1 dimension".into(),
        ));
    }
    check_inner(a, b)?;
    let sa = if a.len() == 1 {
        vec![1, a[0]]
    } else {
        a.to_vec()
    };
    let sb = if b.len() == 1 {
        vec![b[0], 1]
    } else {
        b.to_vec()
    };
    let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
    let mut out = broadcast_shapes("matmul", ba, bb).map_err(|_| {
        mismatch(
            a,
            b,
            format!("batch dimensions {ba:?} and {bb:?} do not broadcast"),
        )
    })?;
    if a.len() > 1 {
        out.push(a[a.len() - 2]);
    }
    if b.len() > 1 {
        out.push(b[b.len() - 1]);
    }
    Ok((sa, sb, out))
}

impl<T: Float> Tensor<T> {
    /// Matrix product `a @ b`, as `torch.matmul`: `[..., m, k] @ [..., k, n]`
    /// with batch dimensions broadcast, and 1-D operands read as a row
    /// (lhs) or a column (rhs) whose size-1 axis leaves the result (see
    /// [`Var::try_matmul`]). Transposed views are read in place.
    pub fn try_matmul(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        if self.ndim() < 2 || b.ndim() < 2 {
            let (sa, sb, out) = vector_plan(self.shape(), b.shape())?;
            return self
                .try_reshape(&sa)?
                .try_matmul(&b.try_reshape(&sb)?)?
                .try_reshape(&out);
        }
        let (sa, sb) = broadcast_matmul_shapes(self.shape(), b.shape())?;
        check_inner(self.shape(), b.shape())?;
        if sa == self.shape() && sb == b.shape() {
            return matmul::matmul(self, b);
        }
        matmul::matmul(&self.try_broadcast_to(&sa)?, &b.try_broadcast_to(&sb)?)
    }
}

panicking! { Tensor {
    fn matmul(&self, b: &Tensor<T>) -> Tensor<T> = try_matmul;
} }

impl<'t, T: Float> Var<'t, T> {
    /// `y = a @ b`, as `torch.matmul`: for `[..., m, k]` and `[..., k, n]`
    /// the batch dimensions broadcast (with `broadcast_to` nodes, whose
    /// backward sums the batch gradient back); a 1-D operand is read as a
    /// row `[1, k]` (lhs) or a column `[k, 1]` (rhs), and that size-1 axis
    /// is removed from the result (reshape nodes, so the backward is the
    /// matrix one reshaped).
    ///
    /// Backward: `da = dy @ b^T`, `db = a^T @ dy`; the transposes are views,
    /// so no operand is copied. For two vectors (a dot product) that is
    /// `da = dy b`, `db = dy a`. PyTorch: `torch.matmul`.
    ///
    /// # Shapes
    /// `[m, k] @ [k, n] -> [m, n]`; `[B, m, k] @ [k, n] -> [B, m, n]`;
    /// `[k] @ [k] -> []`; `[k] @ [k, n] -> [n]`; `[m, k] @ [k] -> [m]`;
    /// `[k] @ [B, k, n] -> [B, n]`; `[B, m, k] @ [k] -> [B, m]`.
    /// A 0-d operand is an error, as in PyTorch.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// let b = tape.constant(Tensor::eye(2));
    /// let g = a.matmul(b).sum().backward();
    /// assert_eq!(g.wrt(a).unwrap().to_vec(), vec![1.0, 1.0, 1.0, 1.0]);
    /// let v = tape.constant(Tensor::from_vec(vec![1.0, -1.0], &[2]));
    /// assert_eq!(a.matmul(v).value().to_vec(), vec![-1.0, -1.0]); // [2, 2] @ [2] -> [2]
    /// ```
    pub fn try_matmul(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        Var::check_same_tape("matmul", &[self, b])?;
        let (a_shape, b_shape) = (self.shape(), b.shape());
        if a_shape.len() < 2 || b_shape.len() < 2 {
            let (sa, sb, out) = vector_plan(&a_shape, &b_shape)?;
            return self
                .try_reshape(&sa)?
                .try_matmul(b.try_reshape(&sb)?)?
                .try_reshape(&out);
        }
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
}

panicking! { Var {
    fn matmul(self, b: Var<'t, T>) -> Var<'t, T> = try_matmul;
} }

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

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
    fn one_dimensional_operands_follow_torch_matmul() {
        // torch.matmul(torch.tensor([1., 2, 3]), torch.tensor([4., 5, 6])) is tensor(32.), 0-d
        let u = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[3]);
        let w = Tensor::<f64>::from_vec(vec![4.0, 5.0, 6.0], &[3]);
        let dot = u.matmul(&w);
        assert_eq!((dot.shape(), dot.item()), (&[][..], 32.0));
        // m = [[1, 2, 3], [4, 5, 6]]: torch.matmul(m, u) = [14, 32] (shape [2]),
        // torch.matmul(torch.tensor([1., -1]), m) = [-3, -3, -3] (shape [3])
        let m = Tensor::<f64>::arange(1.0, 7.0, 1.0).reshape(&[2, 3]);
        assert_eq!(m.matmul(&u).to_vec(), vec![14.0, 32.0]);
        let r = Tensor::<f64>::from_vec(vec![1.0, -1.0], &[2]);
        let y = r.matmul(&m);
        assert_eq!((y.shape(), y.to_vec()), (&[3][..], vec![-3.0, -3.0, -3.0]));
        // Batched: [2, 2, 3] @ [3] -> [2, 2]; [2] @ [2, 2, 3] -> [2, 3]
        let mb = Tensor::stack(&[m.clone(), m.mul_scalar(2.0)], 0);
        assert_eq!(mb.matmul(&u).to_vec(), vec![14.0, 32.0, 28.0, 64.0]);
        let y = r.matmul(&mb);
        assert_eq!(y.shape(), &[2, 3]);
        assert_eq!(y.to_vec(), vec![-3.0, -3.0, -3.0, -6.0, -6.0, -6.0]);
    }

    #[test]
    fn dot_product_gradient_is_the_other_vector() {
        // d/du (u . w) = w, d/dw = u
        let tape = Tape::<f64>::new();
        let u = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
        let w = tape.var(Tensor::from_vec(vec![4.0, 5.0, 6.0], &[3]));
        let g = u.matmul(w).backward();
        assert_eq!(g.wrt(u).unwrap().to_vec(), vec![4.0, 5.0, 6.0]);
        assert_eq!(g.wrt(w).unwrap().to_vec(), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn one_dimensional_shape_errors_name_both_shapes() {
        let v = Tensor::<f32>::zeros(&[3]);
        let msg = v.try_matmul(&Tensor::zeros(&[4])).unwrap_err().to_string();
        assert!(
            msg.contains("[3] and [4]") && msg.contains("inner"),
            "{msg}"
        );
        let msg = v
            .try_matmul(&Tensor::zeros(&[2, 5]))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("[3] and [2, 5]"), "{msg}");
        let msg = Tensor::<f32>::zeros(&[2, 5])
            .try_matmul(&v)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("[2, 5] and [3]"), "{msg}");
        let msg = v.try_matmul(&Tensor::scalar(1.0)).unwrap_err().to_string();
        assert!(msg.contains("at least 1 dimension"), "{msg}");
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

    #[test]
    fn matmul_passes_gradcheck_in_f64_and_agrees_in_f32() {
        let t = |shape: &[usize], phase: f64| {
            let n = shape.iter().product::<usize>();
            Tensor::<f64>::from_vec(
                (0..n).map(|i| (i as f64 * 0.7 + phase).sin()).collect(),
                shape,
            )
        };
        check_grads!(twice [t(&[2, 3], 0.1), t(&[3, 4], 0.5)], |tape, v| v[0].matmul(v[1]));
        check_grads!(twice [t(&[2, 2, 3], 0.1), t(&[3, 4], 0.5)], |tape, v| v[0].matmul(v[1]));
        check_grads!(twice [t(&[3], 0.1), t(&[3], 0.5)], |tape, v| v[0].matmul(v[1]));
        check_grads!(twice [t(&[3], 0.1), t(&[3, 4], 0.5)], |tape, v| v[0].matmul(v[1]));
        check_grads!(twice [t(&[2, 3], 0.1), t(&[3], 0.5)], |tape, v| v[0].matmul(v[1]));
        check_grads!(twice [t(&[3], 0.1), t(&[2, 3, 4], 0.5)], |tape, v| v[0].matmul(v[1]));
        check_grads!(twice [t(&[2, 2, 3], 0.1), t(&[3], 0.5)], |tape, v| v[0].matmul(v[1]));
    }
}
