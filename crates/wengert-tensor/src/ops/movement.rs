//! Movement ops: reshape, permute/transpose, squeeze/unsqueeze, narrow and
//! its adjoint pad, concat and stack. They move values and never change
//! them, so each backward moves `dy` back the other way.

use super::or_panic;
use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::shape::{check_axis, numel};
use crate::tape::Var;
use crate::tensor::Tensor;

/// (outer, axis length, inner) of a row-major shape around `axis`.
fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        numel(&shape[..axis]),
        shape[axis],
        numel(&shape[axis + 1..]),
    )
}

impl<T: Float> Tensor<T> {
    /// Removes axis `axis`, which must have size 1.
    pub fn try_squeeze(&self, axis: usize) -> Result<Tensor<T>> {
        check_axis("squeeze", axis, self.shape())?;
        if self.shape()[axis] != 1 {
            return Err(TensorError::InvalidShape {
                op: "squeeze",
                shape: self.shape().to_vec(),
                why: format!("axis {axis} has size {}, expected 1", self.shape()[axis]),
            });
        }
        let mut shape = self.shape().to_vec();
        shape.remove(axis);
        self.try_reshape(&shape)
    }

    /// Inserts a size-1 axis at position `axis` (0..=ndim).
    pub fn try_unsqueeze(&self, axis: usize) -> Result<Tensor<T>> {
        if axis > self.ndim() {
            return Err(TensorError::AxisOutOfRange {
                op: "unsqueeze",
                axis,
                shape: self.shape().to_vec(),
                ndim: self.ndim() + 1,
            });
        }
        let mut shape = self.shape().to_vec();
        shape.insert(axis, 1);
        self.try_reshape(&shape)
    }

    /// Elements `start..start + len` along `axis` (a view, no copy).
    /// PyTorch: `x.narrow(axis, start, len)`.
    pub fn try_narrow(&self, axis: usize, start: usize, len: usize) -> Result<Tensor<T>> {
        check_axis("narrow", axis, self.shape())?;
        if start + len > self.shape()[axis] {
            return Err(TensorError::InvalidArgument {
                op: "narrow",
                why: format!(
                    "range {start}..{} exceeds size {} of axis {axis} in shape {:?}",
                    start + len,
                    self.shape()[axis],
                    self.shape()
                ),
            });
        }
        let mut view = self.clone();
        view.offset += start * self.strides[axis];
        view.shape[axis] = len;
        Ok(view)
    }

    /// Zeros of size `total` along `axis` with `self` placed at `start`:
    /// the adjoint of [`Tensor::try_narrow`].
    pub fn try_pad_axis(&self, axis: usize, start: usize, total: usize) -> Result<Tensor<T>> {
        check_axis("pad_axis", axis, self.shape())?;
        let len = self.shape()[axis];
        if start + len > total {
            return Err(TensorError::InvalidArgument {
                op: "pad_axis",
                why: format!(
                    "placing {len} elements at {start} needs size {}, but total is {total} (shape {:?}, axis {axis})",
                    start + len,
                    self.shape()
                ),
            });
        }
        let (outer, _, inner) = split_at_axis(self.shape(), axis);
        let src = self.values();
        let mut out = vec![T::zero(); outer * total * inner];
        for o in 0..outer {
            let from = &src[o * len * inner..(o + 1) * len * inner];
            let at = (o * total + start) * inner;
            out[at..at + len * inner].copy_from_slice(from);
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = total;
        Tensor::try_from_vec(out, &shape)
    }

    /// Joins tensors along `axis`; all other sizes must agree.
    pub fn try_concat(parts: &[Tensor<T>], axis: usize) -> Result<Tensor<T>> {
        let first = parts.first().ok_or(TensorError::InvalidArgument {
            op: "concat",
            why: "needs at least one tensor".into(),
        })?;
        check_axis("concat", axis, first.shape())?;
        for p in parts {
            let same_rank = p.ndim() == first.ndim();
            let others_agree =
                same_rank && (0..p.ndim()).all(|i| i == axis || p.shape()[i] == first.shape()[i]);
            if !others_agree {
                return Err(TensorError::ShapeMismatch {
                    op: "concat",
                    lhs: first.shape().to_vec(),
                    rhs: p.shape().to_vec(),
                    why: format!("every axis but {axis} must have the same size"),
                });
            }
        }
        let total: usize = parts.iter().map(|p| p.shape()[axis]).sum();
        let (outer, _, inner) = split_at_axis(first.shape(), axis);
        let mut out = Vec::with_capacity(outer * total * inner);
        let values: Vec<_> = parts.iter().map(|p| p.values()).collect();
        for o in 0..outer {
            for (p, v) in parts.iter().zip(&values) {
                let block = p.shape()[axis] * inner;
                out.extend_from_slice(&v[o * block..(o + 1) * block]);
            }
        }
        let mut shape = first.shape().to_vec();
        shape[axis] = total;
        Tensor::try_from_vec(out, &shape)
    }

    /// Stacks equal-shaped tensors along a new axis `axis`.
    pub fn try_stack(parts: &[Tensor<T>], axis: usize) -> Result<Tensor<T>> {
        let parts: Vec<Tensor<T>> = parts
            .iter()
            .map(|p| p.try_unsqueeze(axis))
            .collect::<Result<_>>()?;
        Tensor::try_concat(&parts, axis)
    }

    /// Panicking form of [`Tensor::try_squeeze`].
    #[track_caller]
    pub fn squeeze(&self, axis: usize) -> Tensor<T> {
        or_panic(self.try_squeeze(axis))
    }
    /// Panicking form of [`Tensor::try_unsqueeze`].
    #[track_caller]
    pub fn unsqueeze(&self, axis: usize) -> Tensor<T> {
        or_panic(self.try_unsqueeze(axis))
    }
    /// Panicking form of [`Tensor::try_narrow`].
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Tensor<T> {
        or_panic(self.try_narrow(axis, start, len))
    }
    /// Panicking form of [`Tensor::try_concat`].
    #[track_caller]
    pub fn concat(parts: &[Tensor<T>], axis: usize) -> Tensor<T> {
        or_panic(Tensor::try_concat(parts, axis))
    }
    /// Panicking form of [`Tensor::try_stack`].
    #[track_caller]
    pub fn stack(parts: &[Tensor<T>], axis: usize) -> Tensor<T> {
        or_panic(Tensor::try_stack(parts, axis))
    }
}

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

    /// Panicking form of [`Var::try_reshape`].
    #[track_caller]
    pub fn reshape(self, shape: &[usize]) -> Var<'t, T> {
        or_panic(self.try_reshape(shape))
    }

    /// Reorders axes (axis `i` of y is axis `perm[i]` of x); a view.
    /// Backward: `dx = permute(dy, inverse(perm))`. PyTorch: `x.permute(perm)`.
    pub fn try_permute(self, perm: &[usize]) -> Result<Var<'t, T>> {
        let y = self.value().try_permute(perm)?;
        let mut inverse = vec![0; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i;
        }
        Ok(self.tape().record("permute", &[self], y, move |_ctx, dy| {
            [Some(dy.permute(&inverse))]
        }))
    }

    /// Panicking form of [`Var::try_permute`].
    #[track_caller]
    pub fn permute(self, perm: &[usize]) -> Var<'t, T> {
        or_panic(self.try_permute(perm))
    }

    /// Swaps two axes (composed: a permute).
    #[track_caller]
    pub fn transpose(self, a: usize, b: usize) -> Var<'t, T> {
        let nd = self.ndim();
        for ax in [a, b] {
            or_panic(check_axis("transpose", ax, &self.shape()));
        }
        let mut perm: Vec<usize> = (0..nd).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Swaps the last two axes (PyTorch's `x.mT`).
    #[track_caller]
    pub fn matrix_transpose(self) -> Var<'t, T> {
        let nd = self.ndim();
        assert!(
            nd >= 2,
            "matrix_transpose: needs 2 dimensions, shape is {:?}",
            self.shape()
        );
        self.transpose(nd - 2, nd - 1)
    }

    /// Removes a size-1 axis (composed: a reshape).
    pub fn try_squeeze(self, axis: usize) -> Result<Var<'t, T>> {
        let shape = self.value().try_squeeze(axis)?.shape().to_vec();
        self.try_reshape(&shape)
    }

    /// Inserts a size-1 axis (composed: a reshape).
    pub fn try_unsqueeze(self, axis: usize) -> Result<Var<'t, T>> {
        let shape = self.value().try_unsqueeze(axis)?.shape().to_vec();
        self.try_reshape(&shape)
    }

    /// Panicking form of [`Var::try_squeeze`].
    #[track_caller]
    pub fn squeeze(self, axis: usize) -> Var<'t, T> {
        or_panic(self.try_squeeze(axis))
    }

    /// Panicking form of [`Var::try_unsqueeze`].
    #[track_caller]
    pub fn unsqueeze(self, axis: usize) -> Var<'t, T> {
        or_panic(self.try_unsqueeze(axis))
    }

    /// Elements `start..start + len` along `axis`. Backward: `dy` padded
    /// with zeros back to the input's size. PyTorch: `x.narrow(axis, start, len)`.
    pub fn try_narrow(self, axis: usize, start: usize, len: usize) -> Result<Var<'t, T>> {
        let x = self.value();
        let y = x.try_narrow(axis, start, len)?;
        let total = x.shape()[axis];
        Ok(self.tape().record("narrow", &[self], y, move |_ctx, dy| {
            [Some(dy.pad_axis(axis, start, total))]
        }))
    }

    /// Panicking form of [`Var::try_narrow`].
    #[track_caller]
    pub fn narrow(self, axis: usize, start: usize, len: usize) -> Var<'t, T> {
        or_panic(self.try_narrow(axis, start, len))
    }

    /// Zero padding along `axis` to size `total`, `x` placed at `start`.
    /// Backward: `dx = narrow(dy, axis, start, len)`.
    #[track_caller]
    pub fn pad_axis(self, axis: usize, start: usize, total: usize) -> Var<'t, T> {
        let x = self.value();
        let y = or_panic(x.try_pad_axis(axis, start, total));
        let len = x.shape()[axis];
        self.tape().record("pad_axis", &[self], y, move |_ctx, dy| {
            [Some(dy.narrow(axis, start, len))]
        })
    }

    /// Joins Vars along `axis`. Backward: each input gets its slice of `dy`.
    /// PyTorch: `torch.cat(parts, axis)`.
    pub fn try_concat(parts: &[Var<'t, T>], axis: usize) -> Result<Var<'t, T>> {
        let values: Vec<Tensor<T>> = parts.iter().map(|p| p.value()).collect();
        let y = Tensor::try_concat(&values, axis)?;
        let sizes: Vec<usize> = values.iter().map(|v| v.shape()[axis]).collect();
        Ok(parts[0]
            .tape()
            .record_many("concat", parts, y, move |ctx, dy| {
                let mut start = 0;
                sizes
                    .iter()
                    .enumerate()
                    .map(|(i, &len)| {
                        let d = ctx.needs_grad(i).then(|| dy.narrow(axis, start, len));
                        start += len;
                        d
                    })
                    .collect()
            }))
    }

    /// Panicking form of [`Var::try_concat`].
    #[track_caller]
    pub fn concat(parts: &[Var<'t, T>], axis: usize) -> Var<'t, T> {
        or_panic(Var::try_concat(parts, axis))
    }

    /// Stacks equal-shaped Vars along a new axis (composed: unsqueeze and
    /// concat). PyTorch: `torch.stack`.
    #[track_caller]
    pub fn stack(parts: &[Var<'t, T>], axis: usize) -> Var<'t, T> {
        let parts: Vec<Var<'t, T>> = parts.iter().map(|p| p.unsqueeze(axis)).collect();
        Var::concat(&parts, axis)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn narrow_is_a_view_and_pad_is_its_adjoint() {
        let x = Tensor::<f64>::arange(0.0, 12.0, 1.0).reshape(&[3, 4]);
        let n = x.narrow(1, 1, 2);
        assert_eq!(n.to_vec(), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]);
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
        let c = Tensor::concat(&[b.clone(), b.clone()], 1);
        assert_eq!(c.shape(), &[2, 4]);
        assert_eq!(c.to_vec(), vec![3.0, 4.0, 3.0, 4.0, 5.0, 6.0, 5.0, 6.0]);
        let s = Tensor::stack(&[a.reshape(&[2]), a.reshape(&[2])], 1);
        assert_eq!(s.shape(), &[2, 2]);
        assert_eq!(s.to_vec(), vec![1.0, 1.0, 2.0, 2.0]);
        let err = Tensor::try_concat(&[a, b.reshape(&[4, 1])], 0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("concat") && err.contains("[1, 2]") && err.contains("[4, 1]"),
            "{err}"
        );
    }

    #[test]
    fn concat_gradient_splits_dy() {
        let tape = Tape::<f64>::new();
        let a = tape.var(Tensor::ones(&[2]));
        let b = tape.var(Tensor::ones(&[3]));
        let w = tape.constant(Tensor::arange(1.0, 6.0, 1.0));
        let g = (crate::Var::concat(&[a, b], 0) * w).sum().backward();
        assert_eq!(g.wrt(a).unwrap().to_vec(), vec![1.0, 2.0]);
        assert_eq!(g.wrt(b).unwrap().to_vec(), vec![3.0, 4.0, 5.0]);
    }
}
