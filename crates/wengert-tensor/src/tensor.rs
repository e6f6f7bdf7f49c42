//! `Tensor<T>`: an n-dimensional array of `f32` or `f64`.
//!
//! Storage is shared (`Arc`), so cloning a tensor is cheap and a tape can keep
//! every intermediate value without copying; a tensor of a few elements keeps
//! them inline instead (see `storage.rs`). A tensor is a view on its
//! storage with a shape, strides and an offset: `permute`/`transpose` only
//! swap strides, which is how a transposed matrix reaches the matrix product
//! without a copy. Kernels that need contiguous memory call
//! [`Tensor::contiguous`], which costs nothing for a tensor that already is.

use std::borrow::Cow;
use std::fmt;

use rand::Rng;
use rand_distr::{Distribution, Normal, StandardNormal, Uniform};

use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::shape::{numel, resolve_axis, resolve_axis_or_scalar, Axes, Axis};
use crate::storage::Storage;

/// Sizes or strides of a tensor, inline up to four axes: most tensors have
/// at most four, and keeping them off the heap makes creating a tensor (and
/// so every op on the tape) allocate at most its data.
pub(crate) type Dims = crate::indices::Indices;

#[inline]
fn dims_of_contiguous(shape: &[usize]) -> Dims {
    // Copy the shape (a plain memcpy into the inline buffer), then overwrite
    // each size with the product of the sizes after it.
    let mut strides = Dims::from_slice(shape);
    let s = &mut strides[..];
    let mut acc = 1;
    for k in (0..s.len()).rev() {
        let size = s[k];
        s[k] = acc;
        acc *= size;
    }
    strides
}

/// An n-dimensional tensor of `f32` or `f64`, row-major, cheap to clone.
///
/// ```
/// use wengert_tensor::Tensor;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// assert_eq!(a.shape(), &[2, 3]);
/// let t = a.transpose(0, 1); // a view: no data is copied
/// assert_eq!(t.shape(), &[3, 2]);
/// assert_eq!(t.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// ```
#[repr(C)]
pub struct Tensor<T: Float> {
    // Field order is fixed (`repr(C)`) for speed. The tape copies a tensor
    // in 16-byte words, and the next op reads parts of it right back; a read
    // that straddles two such words stalls the processor. In this order the
    // arrays a read touches (shape sizes at 0, strides at 48, inline elements
    // at 96) each start on a 16-byte boundary.
    pub(crate) shape: Dims,
    pub(crate) offset: usize,
    pub(crate) strides: Dims,
    pub(crate) storage: Storage<T>,
}

impl<T: Float> Tensor<T> {
    /// A tensor from row-major data and a shape; fails when the element count
    /// is not the product of the shape.
    pub fn try_from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self> {
        if data.len() != numel(shape) {
            return Err(TensorError::InvalidShape {
                op: "from_vec",
                shape: shape.to_vec(),
                why: format!("needs {} elements, got {}", numel(shape), data.len()),
            });
        }
        Ok(Self::from_storage(Storage::from_vec(data), shape))
    }

    /// A tensor copied from a slice.
    pub fn try_from_slice(data: &[T], shape: &[usize]) -> Result<Self> {
        Self::try_from_vec(data.to_vec(), shape)
    }

    /// A tensor from `f64` values, converted to `T` (handy in tests and for
    /// reference values).
    pub fn try_from_f64(data: &[f64], shape: &[usize]) -> Result<Self> {
        Self::try_from_vec(data.iter().map(|&x| T::from_f64(x)).collect(), shape)
    }

    /// A tensor from data the caller has sized right (kernels): no check
    /// beyond a debug assertion, no `Result` to move around.
    pub(crate) fn from_parts(data: Vec<T>, shape: &[usize]) -> Self {
        debug_assert_eq!(
            data.len(),
            numel(shape),
            "kernel produced a wrong element count"
        );
        Self::from_storage(Storage::from_vec(data), shape)
    }

    /// A tensor of `shape` whose row-major elements are `items` (exactly
    /// `numel(shape)` of them): a small result never allocates.
    #[inline]
    pub(crate) fn collect(shape: &[usize], items: impl Iterator<Item = T>) -> Self {
        Self::from_storage(Storage::collect(numel(shape), items), shape)
    }

    /// A tensor laid out as the contiguous tensor `a`, over new row-major
    /// `storage` (an element-wise kernel's output). `a`'s strides fit the
    /// new storage, so they are copied rather than worked out again: every
    /// op pays for this, so it matters for small tensors.
    #[inline]
    pub(crate) fn with_layout_of(a: &Tensor<T>, storage: Storage<T>) -> Self {
        debug_assert!(a.is_contiguous());
        Tensor {
            storage,
            shape: a.shape.clone(),
            strides: a.strides.clone(),
            offset: 0,
        }
    }

    /// The same view (shape, strides, offset) over other storage of the
    /// same length: an element-wise kernel that mapped the storage itself.
    #[inline]
    pub(crate) fn with_storage(&self, storage: Storage<T>) -> Self {
        debug_assert_eq!(storage.len(), self.storage.len());
        Tensor {
            storage,
            shape: self.shape.clone(),
            strides: self.strides.clone(),
            offset: self.offset,
        }
    }

    #[inline]
    pub(crate) fn from_storage(storage: Storage<T>, shape: &[usize]) -> Self {
        Tensor {
            storage,
            shape: Dims::from_slice(shape),
            strides: dims_of_contiguous(shape),
            offset: 0,
        }
    }

    /// A zero-dimensional tensor holding one value.
    pub fn scalar(value: T) -> Self {
        Self::full(&[], value)
    }

    /// A tensor filled with one value.
    pub fn full(shape: &[usize], value: T) -> Self {
        let n = numel(shape);
        if n <= crate::storage::INLINE {
            Self::collect(shape, std::iter::repeat_n(value, n))
        } else {
            Self::from_vec(vec![value; n], shape)
        }
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::zero())
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::one())
    }

    /// `[start, start + step, ...]` up to but excluding `end`, as PyTorch's
    /// `torch.arange(start, end, step)`; the step must be finite and non-zero.
    pub fn try_arange(start: T, end: T, step: T) -> Result<Self> {
        if step == T::zero() || !step.is_finite() {
            return Err(TensorError::InvalidArgument {
                op: "arange",
                why: format!(
                    "step must be finite and non-zero, got {step} (start {start}, end {end})"
                ),
            });
        }
        let n = ((end - start) / step).ceil().to_f64().max(0.0) as usize;
        let data: Vec<T> = (0..n)
            .map(|i| start + T::from_f64(i as f64) * step)
            .collect();
        Self::try_from_vec(data, &[n])
    }

    /// The `n x n` identity matrix.
    pub fn eye(n: usize) -> Self {
        let mut data = vec![T::zero(); n * n];
        for i in 0..n {
            data[i * n + i] = T::one();
        }
        Self::from_vec(data, &[n, n])
    }

    /// Uniform random values in `[low, high)` drawn from `rng`.
    ///
    /// ```
    /// use wengert_tensor::{seeded_rng, Tensor};
    /// let mut rng = seeded_rng(7);
    /// let a = Tensor::<f64>::rand_uniform(&[2, 2], -1.0, 1.0, &mut rng);
    /// assert!(a.to_vec().iter().all(|x| (-1.0..1.0).contains(x)));
    /// ```
    pub fn try_rand_uniform<R: Rng + ?Sized>(
        shape: &[usize],
        low: T,
        high: T,
        rng: &mut R,
    ) -> Result<Self> {
        let dist = Uniform::new(low.to_f64(), high.to_f64())
            .ok()
            .filter(|_| low < high)
            .ok_or_else(|| TensorError::InvalidArgument {
                op: "rand_uniform",
                why: format!("low {low} must be below high {high}, both finite"),
            })?;
        Ok(Self::sampled(shape, dist, rng))
    }

    /// Normal random values with the given mean and (non-negative, finite)
    /// standard deviation.
    pub fn try_rand_normal<R: Rng + ?Sized>(
        shape: &[usize],
        mean: T,
        std: T,
        rng: &mut R,
    ) -> Result<Self> {
        let dist = Normal::new(mean.to_f64(), std.to_f64())
            .ok()
            .filter(|_| std >= T::zero())
            .ok_or_else(|| TensorError::InvalidArgument {
                op: "rand_normal",
                why: format!("std {std} must be non-negative and finite (mean {mean})"),
            })?;
        Ok(Self::sampled(shape, dist, rng))
    }

    /// One draw from `dist` per element.
    fn sampled<R: Rng + ?Sized>(
        shape: &[usize],
        dist: impl Distribution<f64>,
        rng: &mut R,
    ) -> Self {
        let data = (0..numel(shape))
            .map(|_| T::from_f64(dist.sample(rng)))
            .collect();
        Self::from_parts(data, shape)
    }

    /// Standard normal values (mean 0, std 1).
    pub fn randn<R: Rng + ?Sized>(shape: &[usize], rng: &mut R) -> Self {
        Self::sampled(shape, StandardNormal, rng)
    }

    /// The shape.
    #[inline]
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Strides in elements (row-major for a contiguous tensor).
    #[inline]
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Number of dimensions.
    #[inline]
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    #[inline]
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// Whether the elements lie row-major and gap-free in storage.
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// The elements as a row-major slice, if contiguous.
    #[inline]
    pub fn as_slice(&self) -> Option<&[T]> {
        self.is_contiguous()
            .then(|| &self.storage[self.offset..self.offset + self.numel()])
    }

    /// The elements in row-major order, borrowed when contiguous.
    #[inline]
    pub fn values(&self) -> Cow<'_, [T]> {
        match self.as_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(self.gather_strided()),
        }
    }

    /// The elements in row-major order, copied into a `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        self.values().into_owned()
    }

    /// The same tensor laid out contiguously (no copy if it already is).
    pub fn contiguous(&self) -> Self {
        if self.is_contiguous() {
            self.clone()
        } else {
            Self::from_vec(self.gather_strided(), &self.shape)
        }
    }

    /// Mutable access to the elements, row-major. Copies the storage first if
    /// it is shared or not contiguous (copy on write), so other clones of
    /// this tensor never see the change. Optimizers update parameters with it.
    pub fn data_mut(&mut self) -> &mut [T] {
        if !self.is_contiguous() || self.offset != 0 || self.storage.len() != self.numel() {
            *self = Self::from_vec(self.gather_strided(), &self.shape);
        }
        self.storage.make_mut()
    }

    /// The single value of a one-element tensor. PyTorch: `x.item()`.
    pub fn try_item(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(TensorError::InvalidShape {
                op: "item",
                shape: self.shape.to_vec(),
                why: format!("has {} elements, expected 1", self.numel()),
            });
        }
        Ok(self.storage[self.offset])
    }

    /// The element at a multi-index.
    pub fn try_at(&self, index: &[usize]) -> Result<T> {
        if index.len() != self.ndim() || index.iter().zip(&self.shape).any(|(i, d)| i >= d) {
            return Err(TensorError::InvalidShape {
                op: "at",
                shape: self.shape.to_vec(),
                why: format!("index {index:?} is out of bounds"),
            });
        }
        let off: usize = index.iter().zip(&self.strides).map(|(i, s)| i * s).sum();
        Ok(self.storage[self.offset + off])
    }

    /// Applies `f` to every element.
    pub fn map(&self, f: impl Fn(T) -> T + Sync + Send) -> Self {
        crate::kernels::elementwise::map(self, f)
    }

    /// Converts every element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor::from_vec(
            self.values()
                .iter()
                .map(|&x| U::from_f64(x.to_f64()))
                .collect(),
            &self.shape,
        )
    }

    /// Same elements, new shape with the same element count. A view when the
    /// tensor is contiguous.
    pub fn try_reshape(&self, shape: &[usize]) -> Result<Self> {
        if numel(shape) != self.numel() {
            return Err(TensorError::ShapeMismatch {
                op: "reshape",
                lhs: self.shape.to_vec(),
                rhs: shape.to_vec(),
                why: format!(
                    "element counts differ ({} vs {})",
                    self.numel(),
                    numel(shape)
                ),
            });
        }
        let base = self.contiguous();
        Ok(Tensor {
            storage: base.storage,
            shape: Dims::from_slice(shape),
            strides: dims_of_contiguous(shape),
            offset: base.offset,
        })
    }

    /// Reorders the axes: axis `i` of the result is axis `perm[i]` of `self`
    /// (negative entries count from the back). A view: only strides change.
    /// PyTorch: `x.permute(perm)`.
    pub fn try_permute(&self, perm: &(impl Axes + ?Sized)) -> Result<Self> {
        let nd = self.ndim();
        let mut seen = vec![false; nd];
        let resolved = |i: usize| resolve_axis("permute", perm.get(i), &self.shape).ok();
        let valid = perm.count() == nd
            && (0..nd).all(|i| resolved(i).is_some_and(|p| !std::mem::replace(&mut seen[p], true)));
        if !valid {
            let listed: Vec<isize> = (0..perm.count()).map(|i| perm.get(i)).collect();
            return Err(TensorError::InvalidArgument {
                op: "permute",
                why: format!(
                    "{listed:?} is not a permutation of the {nd} axes of shape {:?}",
                    self.shape
                ),
            });
        }
        // Each entry resolves: checked just above.
        let axis = |i: usize| resolved(i).unwrap_or(0);
        Ok(Tensor {
            storage: self.storage.clone(),
            shape: (0..nd).map(|i| self.shape[axis(i)]).collect(),
            strides: (0..nd).map(|i| self.strides[axis(i)]).collect(),
            offset: self.offset,
        })
    }

    /// Swaps two axes (a view). Axis 0 or -1 of a 0-d tensor is accepted,
    /// as in PyTorch, and changes nothing. PyTorch: `x.transpose(a, b)`.
    pub fn try_transpose(&self, a: impl Axis, b: impl Axis) -> Result<Self> {
        let a = resolve_axis_or_scalar("transpose", a, &self.shape)?;
        let b = resolve_axis_or_scalar("transpose", b, &self.shape)?;
        if self.ndim() == 0 {
            return Ok(self.clone());
        }
        let mut perm: Vec<usize> = (0..self.ndim()).collect();
        perm.swap(a, b);
        self.try_permute(&perm)
    }

    /// Raw parts of the view, for kernels: storage, offset, shape, strides.
    pub(crate) fn raw(&self) -> (&[T], usize, &[usize], &[usize]) {
        (&self.storage, self.offset, &self.shape, &self.strides)
    }

    /// Copies a strided view into a row-major Vec: merged axes walked one
    /// innermost run at a time (a slice copy where the run is contiguous),
    /// into a buffer sized up front (from the pool when large).
    fn gather_strided(&self) -> Vec<T> {
        let mut out = crate::buffer::take(self.numel());
        crate::kernels::strided::gather_into(
            &mut out,
            &self.storage,
            self.offset,
            &self.shape,
            &self.strides,
        );
        out
    }
}

crate::ops::panicking! { Tensor {
    fn from_vec(data: Vec<T>, shape: &[usize]) -> Self = try_from_vec;
    fn from_slice(data: &[T], shape: &[usize]) -> Self = try_from_slice;
    fn from_f64(data: &[f64], shape: &[usize]) -> Self = try_from_f64;
    fn arange(start: T, end: T, step: T) -> Self = try_arange;
    fn rand_uniform[R: Rng + ?Sized](shape: &[usize], low: T, high: T, rng: &mut R) -> Self = try_rand_uniform;
    fn rand_normal[R: Rng + ?Sized](shape: &[usize], mean: T, std: T, rng: &mut R) -> Self = try_rand_normal;
    fn item(&self) -> T = try_item;
    fn at(&self, index: &[usize]) -> T = try_at;
    fn reshape(&self, shape: &[usize]) -> Self = try_reshape;
    fn permute(&self, perm: &(impl Axes + ?Sized)) -> Self = try_permute;
    fn transpose(&self, a: impl Axis, b: impl Axis) -> Self = try_transpose;
} }

impl<T: Float> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor {
            storage: self.storage.clone(),
            shape: self.shape.clone(),
            strides: self.strides.clone(),
            offset: self.offset,
        }
    }
}

impl<T: Float> PartialEq for Tensor<T> {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.values() == other.values()
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<T: Float> fmt::Display for Tensor<T> {
    /// `Tensor<f32>[2, 3] [1, 2, 3, 4, 5, 6]`, with at most 16 values shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values();
        write!(f, "Tensor<{}>{:?} [", T::DTYPE, self.shape)?;
        for (i, v) in values.iter().take(16).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{v}")?;
        }
        if values.len() > 16 {
            write!(f, ", ... ({} more)", values.len() - 16)?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_rejects_wrong_count_naming_shape() {
        let err = Tensor::<f32>::try_from_vec(vec![1.0; 5], &[2, 3]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("[2, 3]") && msg.contains("6") && msg.contains("5"),
            "{msg}"
        );
    }

    #[test]
    fn small_arrays_in_a_tensor_start_on_16_byte_boundaries() {
        // The layout `Tensor`'s field order promises (a speed matter only).
        let t = Tensor::<f32>::from_vec(vec![1.0, 2.0], &[2]);
        let base = &t as *const Tensor<f32> as usize;
        let at = |p: *const usize| p as usize - base;
        assert_eq!(at(t.shape.as_ptr()) % 16, 0);
        assert_eq!(at(t.strides.as_ptr()) % 16, 0);
        assert_eq!((t.storage.as_ptr() as usize - base) % 16, 0);
        assert_eq!(std::mem::size_of::<Tensor<f32>>() % 16, 0);
        assert_eq!(std::mem::size_of::<Tensor<f64>>() % 16, 0);
    }

    #[test]
    fn permute_is_a_view_and_contiguous_copies_in_order() {
        let a = Tensor::<f64>::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]);
        let p = a.permute(&[2, 0, 1]);
        assert_eq!(p.shape(), &[4, 2, 3]);
        assert!(!p.is_contiguous());
        // p[i, j, k] = a[j, k, i] = 12 j + 4 k + i
        assert_eq!(p.at(&[3, 1, 2]), 12.0 + 8.0 + 3.0);
        let c = p.contiguous();
        assert!(c.is_contiguous());
        assert_eq!(c.at(&[3, 1, 2]), 23.0);
        assert_eq!(c.to_vec()[0..3], [0.0, 4.0, 8.0]);
    }

    #[test]
    fn data_mut_copies_on_write() {
        let a = Tensor::<f32>::ones(&[3]);
        let mut b = a.clone();
        b.data_mut()[0] = 5.0;
        assert_eq!(a.to_vec(), vec![1.0, 1.0, 1.0]);
        assert_eq!(b.to_vec(), vec![5.0, 1.0, 1.0]);
    }

    #[test]
    fn arange_and_eye_known_values() {
        assert_eq!(
            Tensor::<f64>::arange(1.0, 2.0, 0.25).to_vec(),
            vec![1.0, 1.25, 1.5, 1.75]
        );
        assert_eq!(Tensor::<f32>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn seeded_random_is_reproducible() {
        let a = Tensor::<f32>::randn(&[10], &mut crate::seeded_rng(3));
        let b = Tensor::<f32>::randn(&[10], &mut crate::seeded_rng(3));
        let c = Tensor::<f32>::randn(&[10], &mut crate::seeded_rng(4));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
