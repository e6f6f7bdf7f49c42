//! Indexing: `index_select` and `gather` read elements picked by integer
//! indices; their adjoints `index_add` and `scatter_add` add values back into
//! those places. Each is the other's backward, so gradients accumulate where
//! an index repeats (an embedding row used twice gets both gradients).

use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::shape::{resolve_axis, resolve_axis_or_scalar, split_at_axis as split, Axis};
use crate::tape::Var;
use crate::tensor::Tensor;

fn check_indices(
    op: &'static str,
    index: &[usize],
    bound: usize,
    shape: &[usize],
    axis: usize,
) -> Result<()> {
    match index.iter().position(|&i| i >= bound) {
        None => Ok(()),
        Some(p) => Err(TensorError::InvalidArgument {
            op,
            why: format!(
                "index {} (position {p}) is out of range for axis {axis} of size {bound} in shape {shape:?}",
                index[p]
            ),
        }),
    }
}

/// For a 0-d input, which PyTorch lets `gather` and `index_select` read
/// along its virtual axis: exactly one index, and it must be 0.
fn check_scalar_index(op: &'static str, index: &[usize]) -> Result<()> {
    if index.len() != 1 {
        return Err(TensorError::InvalidArgument {
            op,
            why: format!("a 0-d tensor takes exactly one index, got {}", index.len()),
        });
    }
    check_indices(op, index, 1, &[], 0)
}

/// For gather/scatter: the index covers every position of the other axes,
/// so its length is a multiple of outer * inner; returns k, the size along
/// `axis`. When another axis has size 0 the result is empty whatever k is:
/// the index must be empty too, and is read as `self`'s own layout (k =
/// the size along `axis`), as `torch.gather(x, axis, index)` with an
/// index shaped like `x`.
fn gather_len(op: &'static str, shape: &[usize], axis: usize, index_len: usize) -> Result<usize> {
    let (outer, len, inner) = split(shape, axis);
    let others = outer * inner;
    if others == 0 && index_len == 0 {
        return Ok(len);
    }
    if others == 0 || index_len % others != 0 {
        return Err(TensorError::InvalidArgument {
            op,
            why: format!(
                "{index_len} indices do not fill whole rows: expected a multiple of {others} (the product of every axis but {axis} of shape {shape:?})"
            ),
        });
    }
    Ok(index_len / others)
}

impl<T: Float> Tensor<T> {
    /// The slices at `index` along `axis`, in that order (repeats allowed).
    /// A 0-d tensor takes the one index 0 and gives itself, as in PyTorch.
    /// PyTorch: `torch.index_select(x, axis, index)`.
    pub fn try_index_select(&self, axis: impl Axis, index: &[usize]) -> Result<Tensor<T>> {
        let axis = resolve_axis_or_scalar("index_select", axis, self.shape())?;
        if self.ndim() == 0 {
            check_scalar_index("index_select", index)?;
            return Ok(self.clone());
        }
        let (outer, len, inner) = split(self.shape(), axis);
        check_indices("index_select", index, len, self.shape(), axis)?;
        let src = self.values();
        let mut out = Vec::with_capacity(outer * index.len() * inner);
        for o in 0..outer {
            for &i in index {
                let at = (o * len + i) * inner;
                out.extend_from_slice(&src[at..at + inner]);
            }
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = index.len();
        Tensor::try_from_vec(out, &shape)
    }

    /// Adjoint of `index_select`: a tensor of size `size` along `axis`,
    /// zero except that slice `j` of `self` is added at `index[j]`.
    /// PyTorch: `zeros.index_add(axis, index, self)`.
    pub fn try_index_add(
        &self,
        axis: impl Axis,
        index: &[usize],
        size: usize,
    ) -> Result<Tensor<T>> {
        let axis = resolve_axis("index_add", axis, self.shape())?;
        let (outer, k, inner) = split(self.shape(), axis);
        if k != index.len() {
            return Err(TensorError::InvalidArgument {
                op: "index_add",
                why: format!(
                    "{} indices for {k} slices along axis {axis} of shape {:?}",
                    index.len(),
                    self.shape()
                ),
            });
        }
        check_indices("index_add", index, size, self.shape(), axis)?;
        let src = self.values();
        let mut out = vec![T::zero(); outer * size * inner];
        for o in 0..outer {
            for (j, &i) in index.iter().enumerate() {
                let from = (o * k + j) * inner;
                let to = (o * size + i) * inner;
                for n in 0..inner {
                    out[to + n] += src[from + n];
                }
            }
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = size;
        Tensor::try_from_vec(out, &shape)
    }

    /// Picks along `axis` one element per index: with `index` laid out as
    /// `self`'s shape but `k` along `axis`,
    /// `y[.., j, ..] = x[.., index[.., j, ..], ..]`. PyTorch: `torch.gather`.
    ///
    /// One difference from PyTorch, whose index may be smaller than `x`
    /// along the other axes: here it covers them in full (so its shape
    /// follows from its length). An empty index of a tensor with an empty
    /// axis gives an empty tensor, as in PyTorch, of `x`'s own shape (the
    /// index read as laid out like `x`); a 0-d tensor takes the one index 0
    /// and gives itself.
    ///
    /// # Shapes
    /// `[2, 3]` gathered along 1 (or -1) with 4 indices gives `[2, 2]`.
    pub fn try_gather(&self, axis: impl Axis, index: &[usize]) -> Result<Tensor<T>> {
        let axis = resolve_axis_or_scalar("gather", axis, self.shape())?;
        if self.ndim() == 0 {
            check_scalar_index("gather", index)?;
            return Ok(self.clone());
        }
        let (outer, len, inner) = split(self.shape(), axis);
        let k = gather_len("gather", self.shape(), axis, index.len())?;
        check_indices("gather", index, len, self.shape(), axis)?;
        let src = self.values();
        let mut out = Vec::with_capacity(index.len());
        for o in 0..outer {
            for j in 0..k {
                for n in 0..inner {
                    let i = index[(o * k + j) * inner + n];
                    out.push(src[(o * len + i) * inner + n]);
                }
            }
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = k;
        Tensor::try_from_vec(out, &shape)
    }

    /// Adjoint of `gather`: zeros of size `size` along `axis` with each
    /// element of `self` added at its index. PyTorch: `zeros.scatter_add`.
    pub fn try_scatter_add(
        &self,
        axis: impl Axis,
        index: &[usize],
        size: usize,
    ) -> Result<Tensor<T>> {
        let axis = resolve_axis("scatter_add", axis, self.shape())?;
        let (outer, k, inner) = split(self.shape(), axis);
        if index.len() != self.numel() {
            return Err(TensorError::InvalidArgument {
                op: "scatter_add",
                why: format!(
                    "{} indices for {} elements of shape {:?}",
                    index.len(),
                    self.numel(),
                    self.shape()
                ),
            });
        }
        check_indices("scatter_add", index, size, self.shape(), axis)?;
        let src = self.values();
        let mut out = vec![T::zero(); outer * size * inner];
        for o in 0..outer {
            for j in 0..k {
                for n in 0..inner {
                    let at = (o * k + j) * inner + n;
                    out[(o * size + index[at]) * inner + n] += src[at];
                }
            }
        }
        let mut shape = self.shape().to_vec();
        shape[axis] = size;
        Tensor::try_from_vec(out, &shape)
    }

    /// One row per index with a 1 in column `index[i]`: shape `[n, classes]`.
    /// PyTorch: `F.one_hot(index, classes)`.
    ///
    /// ```
    /// use wengert_tensor::Tensor;
    /// let t = Tensor::<f32>::one_hot(&[2, 0], 3);
    /// assert_eq!(t.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    pub fn try_one_hot(index: &[usize], classes: usize) -> Result<Tensor<T>> {
        check_indices("one_hot", index, classes, &[index.len(), classes], 1)?;
        let mut out = vec![T::zero(); index.len() * classes];
        for (row, &c) in index.iter().enumerate() {
            out[row * classes + c] = T::one();
        }
        Tensor::try_from_vec(out, &[index.len(), classes])
    }
}

panicking! { Tensor {
    fn index_select(&self, axis: impl Axis, index: &[usize]) -> Tensor<T> = try_index_select;
    fn index_add(&self, axis: impl Axis, index: &[usize], size: usize) -> Tensor<T> = try_index_add;
    fn gather(&self, axis: impl Axis, index: &[usize]) -> Tensor<T> = try_gather;
    fn scatter_add(&self, axis: impl Axis, index: &[usize], size: usize) -> Tensor<T> = try_scatter_add;
    fn one_hot(index: &[usize], classes: usize) -> Tensor<T> = try_one_hot;
} }

/// The four indexing ops; each one's backward is another's forward.
#[derive(Clone, Copy)]
enum Indexing {
    IndexSelect,
    IndexAdd,
    Gather,
    ScatterAdd,
}

impl Indexing {
    fn name(self) -> &'static str {
        match self {
            Indexing::IndexSelect => "index_select",
            Indexing::IndexAdd => "index_add",
            Indexing::Gather => "gather",
            Indexing::ScatterAdd => "scatter_add",
        }
    }

    /// The op whose forward is this one's backward.
    fn adjoint(self) -> Indexing {
        match self {
            Indexing::IndexSelect => Indexing::IndexAdd,
            Indexing::IndexAdd => Indexing::IndexSelect,
            Indexing::Gather => Indexing::ScatterAdd,
            Indexing::ScatterAdd => Indexing::Gather,
        }
    }

    /// The forward value; `size` is the output's size along `axis` for the
    /// two adding ops (the others ignore it).
    fn forward<T: Float>(
        self,
        x: &Tensor<T>,
        axis: impl Axis,
        index: &[usize],
        size: usize,
    ) -> Result<Tensor<T>> {
        match self {
            Indexing::IndexSelect => x.try_index_select(axis, index),
            Indexing::IndexAdd => x.try_index_add(axis, index, size),
            Indexing::Gather => x.try_gather(axis, index),
            Indexing::ScatterAdd => x.try_scatter_add(axis, index, size),
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Records an indexing op; its backward is the adjoint op on `dy`, with
    /// the input's size along `axis` (repeated indices accumulate there).
    fn indexed(
        self,
        op: Indexing,
        axis: impl Axis,
        index: &[usize],
        size: usize,
    ) -> Result<Var<'t, T>> {
        let x = self.value();
        let y = op.forward(&x, axis, index, size)?;
        if x.ndim() == 0 {
            // A 0-d input of gather/index_select: y is x, its gradient dy.
            return self.try_reshape(&[]);
        }
        let axis = resolve_axis(op.name(), axis, x.shape())?;
        let (index, input_size) = (index.to_vec(), x.shape()[axis]);
        Ok(self.tape().record(op.name(), &[self], y, move |_ctx, dy| {
            let dx = dy.indexed(op.adjoint(), axis, &index, input_size);
            [Some(super::or_panic(dx))]
        }))
    }

    /// Slices at `index` along `axis`. Backward: `dx = index_add(dy)`, which
    /// sums the gradients of repeated indices. PyTorch: `torch.index_select`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let table = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]));
    /// let rows = table.index_select(0, &[2, 2, 0]);
    /// let g = rows.sum().backward();
    /// assert_eq!(g.wrt(table).unwrap().to_vec(), vec![1.0, 0.0, 2.0]); // row 2 used twice
    /// ```
    pub fn try_index_select(self, axis: impl Axis, index: &[usize]) -> Result<Var<'t, T>> {
        self.indexed(Indexing::IndexSelect, axis, index, 0)
    }

    /// Adjoint of `index_select` (see [`Tensor::try_index_add`]).
    /// Backward: `dx = index_select(dy)`.
    pub fn try_index_add(
        self,
        axis: impl Axis,
        index: &[usize],
        size: usize,
    ) -> Result<Var<'t, T>> {
        self.indexed(Indexing::IndexAdd, axis, index, size)
    }

    /// One element per index along `axis` (see [`Tensor::try_gather`]).
    /// Backward: `dx = scatter_add(dy)`. Cross-entropy picks each row's
    /// target log-probability with it. PyTorch: `torch.gather`.
    pub fn try_gather(self, axis: impl Axis, index: &[usize]) -> Result<Var<'t, T>> {
        self.indexed(Indexing::Gather, axis, index, 0)
    }

    /// Adjoint of `gather` (see [`Tensor::try_scatter_add`]).
    /// Backward: `dx = gather(dy)`.
    pub fn try_scatter_add(
        self,
        axis: impl Axis,
        index: &[usize],
        size: usize,
    ) -> Result<Var<'t, T>> {
        self.indexed(Indexing::ScatterAdd, axis, index, size)
    }
}

panicking! { Var {
    fn index_select(self, axis: impl Axis, index: &[usize]) -> Var<'t, T> = try_index_select;
    fn index_add(self, axis: impl Axis, index: &[usize], size: usize) -> Var<'t, T> = try_index_add;
    fn gather(self, axis: impl Axis, index: &[usize]) -> Var<'t, T> = try_gather;
    fn scatter_add(self, axis: impl Axis, index: &[usize], size: usize) -> Var<'t, T> = try_scatter_add;
} }

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn gather_picks_per_row_and_scatter_add_is_its_adjoint() {
        // rows [0,1,2], [3,4,5]; pick column 2 of row 0 and column 0 of row 1
        let x = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
        let y = x.gather(1, &[2, 0]);
        assert_eq!(y.shape(), &[2, 1]);
        assert_eq!(y.to_vec(), vec![2.0, 3.0]);
        let back = y.try_scatter_add(1, &[2, 0], 3).unwrap();
        assert_eq!(back.to_vec(), vec![0.0, 0.0, 2.0, 3.0, 0.0, 0.0]);
    }

    #[test]
    fn out_of_range_index_is_a_clear_error() {
        let x = Tensor::<f32>::zeros(&[2, 3]);
        let msg = x.try_index_select(1, &[0, 3]).unwrap_err().to_string();
        assert!(
            msg.contains("index_select") && msg.contains("index 3") && msg.contains("[2, 3]"),
            "{msg}"
        );
        assert!(Tensor::<f32>::try_one_hot(&[4], 3).is_err());
    }

    #[test]
    fn gather_with_an_empty_index_of_an_empty_tensor_is_empty() {
        // torch.gather(torch.zeros(0, 3), 1, torch.zeros(0, 3, dtype=torch.long)).shape
        // is torch.Size([0, 3]): an empty tensor, not an error.
        let x = Tensor::<f64>::zeros(&[0, 3]);
        let y = x.try_gather(1, &[]).unwrap();
        assert_eq!(y.shape(), &[0, 3]);
        assert_eq!(x.gather(-1, &[]).shape(), &[0, 3]);
        // torch.gather(torch.zeros(2, 0), 1, torch.zeros(2, 0, dtype=torch.long)): [2, 0]
        assert_eq!(
            Tensor::<f64>::zeros(&[2, 0]).gather(1, &[]).shape(),
            &[2, 0]
        );
        // A non-empty index into an empty tensor is still an error.
        assert!(x.try_gather(1, &[0]).is_err());
        let tape = Tape::<f64>::new();
        let v = tape.var(x);
        let g = v.gather(1, &[]).sum().backward();
        assert_eq!(g.wrt(v).unwrap().shape(), &[0, 3]);
    }

    #[test]
    fn negative_axes_and_0d_inputs_follow_pytorch() {
        let x = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
        assert_eq!(x.gather(-1, &[2, 0]), x.gather(1, &[2, 0]));
        assert_eq!(x.index_select(-2, &[1]), x.index_select(0, &[1]));
        // s = torch.tensor(2.5): torch.gather(s, 0, torch.tensor(0)) and
        // torch.index_select(s, 0, torch.tensor([0])) are tensor(2.5) (0-d);
        // torch.index_select(s, 0, torch.tensor([0, 0])) raises
        // "Index to scalar can have only 1 value, got 2 value(s)".
        let tape = Tape::<f64>::new();
        let s = tape.var(Tensor::scalar(2.5));
        for y in [s.gather(0, &[0]), s.index_select(-1, &[0])] {
            assert_eq!((y.shape(), y.item()), (vec![], 2.5));
            assert_eq!(y.backward().wrt(s).unwrap().item(), 1.0);
        }
        assert!(s.try_index_select(0, &[0, 0]).is_err());
        assert!(s.try_gather(0, &[1]).is_err());
    }

    #[test]
    fn repeated_indices_accumulate_gradient() {
        // x = [1, 2, 3]; y = x[[0, 0, 2]] weighted by w = [1, 10, 100]:
        // d/dx (w . y) = [1 + 10, 0, 100]
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
        let w = tape.constant(Tensor::from_vec(vec![1.0, 10.0, 100.0], &[3]));
        let g = (x.index_select(0, &[0, 0, 2]) * w).sum().backward();
        assert_eq!(g.wrt(x).unwrap().to_vec(), vec![11.0, 0.0, 100.0]);
    }

    #[test]
    fn index_ops_pass_gradcheck_in_f64_and_agree_in_f32() {
        let x = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        check_grads!(twice[x()], |tape, v| v[0]
            .index_select(-1, &[2, 0, 2])
            .square());
        check_grads!(twice[x()], |tape, v| v[0]
            .gather(-1, &[1, 1, 0, 2])
            .square());
        check_grads!([x()], |tape, v| v[0].index_add(0, &[1, 1], 3));
        check_grads!([x()], |tape, v| v[0].scatter_add(1, &[0, 3, 3, 1, 0, 2], 4));
    }
}
