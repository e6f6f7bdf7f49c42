//! Movement ops: reshape, permute/transpose, squeeze/unsqueeze, narrow and
//! its adjoint pad, concat and stack. They move values and never change
//! them, so each backward moves `dy` back the other way.
//!
//! Axes may be negative (-1 is the last), as in PyTorch. For `unsqueeze`
//! and `stack`, which add an axis, -1 means "a new last axis". As in
//! PyTorch, `squeeze` and `transpose` accept axis 0 or -1 of a 0-d tensor
//! (and change nothing); `narrow`, `pad_axis` and `concat` refuse a 0-d
//! tensor.

use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::shape::{resolve_axis, resolve_axis_in, resolve_axis_or_scalar, split_at_axis, Axis};
use crate::tape::Var;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Removes axis `axis`, which must have size 1.
    ///
    /// A deliberate difference from PyTorch: `x.squeeze(dim)` of an axis
    /// whose size is not 1 returns `x` unchanged there, and is an error
    /// here, since it almost always means the wrong axis was named.
    /// Axis 0 or -1 of a 0-d tensor is accepted and changes nothing, as in
    /// PyTorch.
    ///
    /// ```
    /// use wengert_tensor::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 1]);
    /// assert_eq!(x.squeeze(-1).shape(), &[2]);
    /// assert!(x.try_squeeze(0).is_err()); // size 2: PyTorch would return x
    /// ```
    pub fn try_squeeze(&self, axis: impl Axis) -> Result<Tensor<T>> {
        let ax = resolve_axis_or_scalar("squeeze", axis, self.shape())?;
        if self.ndim() == 0 {
            return Ok(self.clone());
        }
        if self.shape()[ax] != 1 {
            return Err(TensorError::InvalidShape {
                op: "squeeze",
                shape: self.shape().to_vec(),
                why: format!("axis {ax} has size {}, expected 1", self.shape()[ax]),
            });
        }
        let mut shape = self.shape().to_vec();
        shape.remove(ax);
        self.try_reshape(&shape)
    }

    /// Inserts a size-1 axis at position `axis`, in `-(ndim + 1)..=ndim`
    /// (-1 appends one last). PyTorch: `x.unsqueeze(dim)`.
    pub fn try_unsqueeze(&self, axis: impl Axis) -> Result<Tensor<T>> {
        let ax = resolve_axis_in("unsqueeze", axis, self.ndim() + 1, self.shape())?;
        let mut shape = self.shape().to_vec();
        shape.insert(ax, 1);
        self.try_reshape(&shape)
    }

    /// Elements `start..start + len` along `axis` (a view, no copy).
    /// A 0-d tensor has no axis to narrow, as in PyTorch.
    /// PyTorch: `x.narrow(axis, start, len)`.
    pub fn try_narrow(&self, axis: impl Axis, start: usize, len: usize) -> Result<Tensor<T>> {
        let ax = resolve_axis("narrow", axis, self.shape())?;
        if start + len > self.shape()[ax] {
            return Err(TensorError::InvalidArgument {
                op: "narrow",
                why: format!(
                    "range {start}..{} exceeds size {} of axis {ax} in shape {:?}",
                    start + len,
                    self.shape()[ax],
                    self.shape()
                ),
            });
        }
        let mut view = self.clone();
        view.offset += start * self.strides[ax];
        view.shape[ax] = len;
        Ok(view)
    }

    /// Zeros of size `total` along `axis` with `self` placed at `start`:
    /// the adjoint of [`Tensor::try_narrow`].
    /// PyTorch: `F.pad` with `(start, total - start - len)` on that axis.
    pub fn try_pad_axis(&self, axis: impl Axis, start: usize, total: usize) -> Result<Tensor<T>> {
        let ax = resolve_axis("pad_axis", axis, self.shape())?;
        let len = self.shape()[ax];
        if start + len > total {
            return Err(TensorError::InvalidArgument {
                op: "pad_axis",
                why: format!(
                    "placing {len} elements at {start} needs size {}, but total is {total} (shape {:?}, axis {ax})",
                    start + len,
                    self.shape()
                ),
            });
        }
        let (outer, _, inner) = split_at_axis(self.shape(), ax);
        let src = self.values();
        let mut out = vec![T::zero(); outer * total * inner];
        for o in 0..outer {
            let from = &src[o * len * inner..(o + 1) * len * inner];
            let at = (o * total + start) * inner;
            out[at..at + len * inner].copy_from_slice(from);
        }
        let mut shape = self.shape().to_vec();
        shape[ax] = total;
        Tensor::try_from_vec(out, &shape)
    }

    /// Joins tensors along `axis`; all other sizes must agree.
    /// PyTorch: `torch.cat(parts, axis)` (which also refuses 0-d tensors).
    pub fn try_concat(parts: &[Tensor<T>], axis: impl Axis) -> Result<Tensor<T>> {
        let first = parts.first().ok_or(TensorError::InvalidArgument {
            op: "concat",
            why: "needs at least one tensor".into(),
        })?;
        let ax = resolve_axis("concat", axis, first.shape())?;
        for p in parts {
            let same_rank = p.ndim() == first.ndim();
            let others_agree =
                same_rank && (0..p.ndim()).all(|i| i == ax || p.shape()[i] == first.shape()[i]);
            if !others_agree {
                return Err(TensorError::ShapeMismatch {
                    op: "concat",
                    lhs: first.shape().to_vec(),
                    rhs: p.shape().to_vec(),
                    why: format!("every axis but {ax} must have the same size"),
                });
            }
        }
        let total: usize = parts.iter().map(|p| p.shape()[ax]).sum();
        let (outer, _, inner) = split_at_axis(first.shape(), ax);
        let mut out = Vec::with_capacity(outer * total * inner);
        let values: Vec<_> = parts.iter().map(|p| p.values()).collect();
        for o in 0..outer {
            for (p, v) in parts.iter().zip(&values) {
                let block = p.shape()[ax] * inner;
                out.extend_from_slice(&v[o * block..(o + 1) * block]);
            }
        }
        let mut shape = first.shape().to_vec();
        shape[ax] = total;
        Tensor::try_from_vec(out, &shape)
    }

    /// Stacks equal-shaped tensors along a new axis `axis`, in
    /// `-(ndim + 1)..=ndim`. PyTorch: `torch.stack(parts, axis)`.
    pub fn try_stack(parts: &[Tensor<T>], axis: impl Axis) -> Result<Tensor<T>> {
        let ax = stack_axis(parts.first().map(|p| p.shape()), axis)?;
        let parts: Vec<Tensor<T>> = parts
            .iter()
            .map(|p| p.try_unsqueeze(ax))
            .collect::<Result<_>>()?;
        Tensor::try_concat(&parts, ax)
    }
}

/// The new axis of a stack, resolved against the first part's shape.
fn stack_axis(first: Option<&[usize]>, axis: impl Axis) -> Result<usize> {
    let shape = first.ok_or(TensorError::InvalidArgument {
        op: "stack",
        why: "needs at least one tensor".into(),
    })?;
    resolve_axis_in("stack", axis, shape.len() + 1, shape)
}

panicking! { Tensor {
    fn squeeze(&self, axis: impl Axis) -> Tensor<T> = try_squeeze;
    fn unsqueeze(&self, axis: impl Axis) -> Tensor<T> = try_unsqueeze;
    fn narrow(&self, axis: impl Axis, start: usize, len: usize) -> Tensor<T> = try_narrow;
    fn pad_axis(&self, axis: impl Axis, start: usize, total: usize) -> Tensor<T> = try_pad_axis;
    fn concat(parts: &[Tensor<T>], axis: impl Axis) -> Tensor<T> = try_concat;
    fn stack(parts: &[Tensor<T>], axis: impl Axis) -> Tensor<T> = try_stack;
} }

impl<'t, T: Float> Var<'t, T> {
    /// Same elements, new shape. Backward: `dx = reshape(dy, shape(x))`.
    /// PyTorch: `x.reshape(shape)`.
    pub fn try_reshape(self, shape: &[usize]) -> Result<Var<'t, T>> {
        let x = self.value();
        let y = x.try_reshape(shape)?;
        let x_shape = x.shape().to_vec();
        Ok(self.tape().record("reshape", &[self], y, move |_ctx, dy| {
            [Some(dy.reshape(&x_shape))]
        }))
    }

    /// Reorders axes (axis `i` of y is axis `perm[i]` of x, negative
    /// entries counted from the back); a view.
    /// Backward: `dx = permute(dy, inverse(perm))`. PyTorch: `x.permute(perm)`.
    pub fn try_permute(self, perm: &(impl crate::shape::Axes + ?Sized)) -> Result<Var<'t, T>> {
        let y = self.value().try_permute(perm)?;
        let nd = y.ndim();
        let mut inverse = vec![0; nd];
        for i in 0..nd {
            // Cannot fail: try_permute has checked the permutation.
            inverse[resolve_axis("permute", perm.get(i), y.shape())?] = i;
        }
        Ok(self.tape().record("permute", &[self], y, move |_ctx, dy| {
            [Some(dy.permute(&inverse))]
        }))
    }

    /// Swaps two axes (composed: a permute). Axis 0 or -1 of a 0-d tensor
    /// is accepted, as in PyTorch, and changes nothing.
    /// PyTorch: `x.transpose(a, b)`.
    ///
    /// # Shapes
    /// `[2, 3, 4].transpose(0, -1)` is `[4, 3, 2]`.
    pub fn try_transpose(self, a: impl Axis, b: impl Axis) -> Result<Var<'t, T>> {
        let shape = self.shape();
        let a = resolve_axis_or_scalar("transpose", a, &shape)?;
        let b = resolve_axis_or_scalar("transpose", b, &shape)?;
        if shape.is_empty() {
            return Ok(self);
        }
        let mut perm: Vec<usize> = (0..shape.len()).collect();
        perm.swap(a, b);
        self.try_permute(&perm)
    }

    /// Swaps the last two axes (PyTorch's `x.mT`); needs 2 dimensions.
    pub fn try_matrix_transpose(self) -> Result<Var<'t, T>> {
        if self.ndim() < 2 {
            return Err(TensorError::InvalidShape {
                op: "matrix_transpose",
                shape: self.shape(),
                why: "needs at least 2 dimensions".into(),
            });
        }
        self.try_transpose(-2, -1)
    }

    /// Removes a size-1 axis (composed: a reshape); see
    /// [`Tensor::try_squeeze`] for where it differs from PyTorch.
    pub fn try_squeeze(self, axis: impl Axis) -> Result<Var<'t, T>> {
        let shape = self.value().try_squeeze(axis)?.shape().to_vec();
        self.try_reshape(&shape)
    }

    /// Inserts a size-1 axis (composed: a reshape); -1 appends one last.
    /// PyTorch: `x.unsqueeze(dim)`.
    pub fn try_unsqueeze(self, axis: impl Axis) -> Result<Var<'t, T>> {
        let shape = self.value().try_unsqueeze(axis)?.shape().to_vec();
        self.try_reshape(&shape)
    }

    /// Elements `start..start + len` along `axis`. Backward: `dy` padded
    /// with zeros back to the input's size. PyTorch: `x.narrow(axis, start, len)`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]));
    /// let g = x.narrow(-1, 1, 2).sum().backward(); // the last two columns
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    /// ```
    pub fn try_narrow(self, axis: impl Axis, start: usize, len: usize) -> Result<Var<'t, T>> {
        let x = self.value();
        let y = x.try_narrow(axis, start, len)?;
        let ax = resolve_axis("narrow", axis, x.shape())?;
        let total = x.shape()[ax];
        Ok(self.tape().record("narrow", &[self], y, move |_ctx, dy| {
            [Some(dy.pad_axis(ax, start, total))]
        }))
    }

    /// Zero padding along `axis` to size `total`, `x` placed at `start`.
    /// Backward: `dx = narrow(dy, axis, start, len)`.
    pub fn try_pad_axis(self, axis: impl Axis, start: usize, total: usize) -> Result<Var<'t, T>> {
        let x = self.value();
        let y = x.try_pad_axis(axis, start, total)?;
        let ax = resolve_axis("pad_axis", axis, x.shape())?;
        let len = x.shape()[ax];
        Ok(self.tape().record("pad_axis", &[self], y, move |_ctx, dy| {
            [Some(dy.narrow(ax, start, len))]
        }))
    }

    /// Joins Vars along `axis`. Backward: each input gets its slice of `dy`.
    /// PyTorch: `torch.cat(parts, axis)`.
    pub fn try_concat(parts: &[Var<'t, T>], axis: impl Axis) -> Result<Var<'t, T>> {
        Var::check_same_tape("concat", parts)?;
        let values: Vec<Tensor<T>> = parts.iter().map(|p| p.value()).collect();
        let y = Tensor::try_concat(&values, axis)?;
        let ax = resolve_axis("concat", axis, values[0].shape())?;
        let sizes: Vec<usize> = values.iter().map(|v| v.shape()[ax]).collect();
        Ok(parts[0]
            .tape()
            .record_many("concat", parts, y, move |ctx, dy| {
                let mut start = 0;
                sizes
                    .iter()
                    .enumerate()
                    .map(|(i, &len)| {
                        let d = ctx.needs_grad(i).then(|| dy.narrow(ax, start, len));
                        start += len;
                        d
                    })
                    .collect()
            }))
    }

    /// Stacks equal-shaped Vars along a new axis (composed: unsqueeze and
    /// concat). PyTorch: `torch.stack(parts, axis)`.
    pub fn try_stack(parts: &[Var<'t, T>], axis: impl Axis) -> Result<Var<'t, T>> {
        let first = parts.first().map(|p| p.shape());
        let ax = stack_axis(first.as_deref(), axis)?;
        let parts: Vec<Var<'t, T>> = parts
            .iter()
            .map(|p| p.try_unsqueeze(ax))
            .collect::<Result<_>>()?;
        Var::try_concat(&parts, ax)
    }
}

panicking! { Var {
    fn reshape(self, shape: &[usize]) -> Var<'t, T> = try_reshape;
    fn permute(self, perm: &(impl crate::shape::Axes + ?Sized)) -> Var<'t, T> = try_permute;
    fn transpose(self, a: impl Axis, b: impl Axis) -> Var<'t, T> = try_transpose;
    fn matrix_transpose(self) -> Var<'t, T> = try_matrix_transpose;
    fn squeeze(self, axis: impl Axis) -> Var<'t, T> = try_squeeze;
    fn unsqueeze(self, axis: impl Axis) -> Var<'t, T> = try_unsqueeze;
    fn narrow(self, axis: impl Axis, start: usize, len: usize) -> Var<'t, T> = try_narrow;
    fn pad_axis(self, axis: impl Axis, start: usize, total: usize) -> Var<'t, T> = try_pad_axis;
    fn concat(parts: &[Var<'t, T>], axis: impl Axis) -> Var<'t, T> = try_concat;
    fn stack(parts: &[Var<'t, T>], axis: impl Axis) -> Var<'t, T> = try_stack;
} }

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor, Var};

    #[test]
    fn narrow_is_a_view_and_pad_is_its_adjoint() {
        let x = Tensor::<f64>::arange(0.0, 12.0, 1.0).reshape(&[3, 4]);
        let n = x.narrow(1, 1, 2);
        assert_eq!(n.to_vec(), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]);
        assert_eq!(x.narrow(-1, 1, 2), n);
        let p = n.contiguous().try_pad_axis(1, 1, 4).unwrap();
        assert_eq!(
            p.to_vec(),
            vec![0.0, 1.0, 2.0, 0.0, 0.0, 5.0, 6.0, 0.0, 0.0, 9.0, 10.0, 0.0]
        );
    }

    #[test]
    fn concat_and_stack_known_values() {
        let a = Tensor::<f32>::from_vec(vec![1.0, 2.0], &[1, 2]);
        let b = Tensor::<f32>::from_vec(vec![3.0, 4.0, 5.0, 6.0], &[2, 2]);
        assert_eq!(
            Tensor::concat(&[a.clone(), b.clone()], 0).to_vec(),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        let c = Tensor::concat(&[b.clone(), b.clone()], -1);
        assert_eq!(c.shape(), &[2, 4]);
        assert_eq!(c.to_vec(), vec![3.0, 4.0, 3.0, 4.0, 5.0, 6.0, 5.0, 6.0]);
        // torch.stack([a, a], 1) of a = [1, 2] is [[1, 1], [2, 2]]; -1 is the same new axis
        let s = Tensor::stack(&[a.reshape(&[2]), a.reshape(&[2])], 1);
        assert_eq!(s.shape(), &[2, 2]);
        assert_eq!(s.to_vec(), vec![1.0, 1.0, 2.0, 2.0]);
        assert_eq!(Tensor::stack(&[a.reshape(&[2]), a.reshape(&[2])], -1), s);
        let err = Tensor::try_concat(&[a, b.reshape(&[4, 1])], 0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("concat") && err.contains("[1, 2]") && err.contains("[4, 1]"),
            "{err}"
        );
    }

    #[test]
    fn negative_axes_and_0d_tensors_follow_pytorch() {
        let x = Tensor::<f64>::zeros(&[2, 1, 3]);
        assert_eq!(x.squeeze(-2).shape(), &[2, 3]);
        assert_eq!(x.unsqueeze(-1).shape(), &[2, 1, 3, 1]); // x.unsqueeze(-1): [2, 1, 3, 1]
        assert_eq!(x.unsqueeze(-4).shape(), &[1, 2, 1, 3]);
        assert!(x.try_unsqueeze(-5).is_err());
        // torch.tensor(2.5).squeeze(0), .transpose(0, -1): 0-d, unchanged;
        // .unsqueeze(-1): shape (1,); torch.stack([s, s], -1): shape (2,);
        // .narrow(0, 0, 1) and torch.cat([s, s]) raise.
        let s = Tensor::<f64>::scalar(2.5);
        assert_eq!(s.squeeze(0), s);
        assert_eq!(s.transpose(0, -1), s);
        assert_eq!(s.unsqueeze(-1).shape(), &[1]);
        assert_eq!(Tensor::stack(&[s.clone(), s.clone()], -1).shape(), &[2]);
        assert!(s.try_narrow(0, 0, 1).is_err());
        assert!(Tensor::try_concat(&[s.clone(), s], 0).is_err());
        let tape = Tape::<f64>::new();
        let v = tape.var(Tensor::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]));
        assert_eq!(v.transpose(0, -1).shape(), vec![4, 3, 2]);
        assert_eq!(v.permute(&[-1, 0, 1]).shape(), vec![4, 2, 3]);
        assert!(v.try_permute(&[-1, 2, 0]).is_err()); // -1 and 2 are one axis
        assert!(Var::<f64>::try_concat(&[], 0).is_err());
    }

    #[test]
    fn concat_gradient_splits_dy() {
        let tape = Tape::<f64>::new();
        let a = tape.var(Tensor::ones(&[2]));
        let b = tape.var(Tensor::ones(&[3]));
        let w = tape.constant(Tensor::arange(1.0, 6.0, 1.0));
        let g = (Var::concat(&[a, b], 0) * w).sum().backward();
        assert_eq!(g.wrt(a).unwrap().to_vec(), vec![1.0, 2.0]);
        assert_eq!(g.wrt(b).unwrap().to_vec(), vec![3.0, 4.0, 5.0]);
    }

    #[test]
    fn movement_ops_pass_gradcheck_in_f64_and_agree_in_f32() {
        let x = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        let y = || Tensor::<f64>::from_f64(&[1.1, -0.6], &[2, 1]);
        check_grads!(twice[x()], |tape, v| v[0]
            .transpose(0, -1)
            .reshape(&[6])
            .square());
        check_grads!([x()], |tape, v| v[0]
            .permute(&[-1, 0])
            .unsqueeze(-1)
            .squeeze(2));
        check_grads!([x()], |tape, v| v[0]
            .narrow(-1, 1, 2)
            .pad_axis(0, 1, 4)
            .matrix_transpose());
        check_grads!([x(), y()], |tape, v| Var::concat(&[v[0], v[1]], -1));
        check_grads!([x(), x()], |tape, v| Var::stack(&[v[0], v[1].exp()], -1));
    }
}
