//! Where a tensor's elements live: inside the tensor when there are only a
//! few, in shared heap memory otherwise.
//!
//! A tape records one value per op, and many of those values are tiny: a
//! loss, a scalar step size, the state of a one-unit cell, a bias of a few
//! entries. Putting each in its own `Arc<Vec>` costs two allocations and two
//! frees per op, which made up much of the tape's cost per op on small
//! values. Up to [`INLINE`] elements are therefore kept by value: cloning
//! copies them (a few bytes, no reference count), and since a tensor never
//! mutates shared elements (see [`Storage::make_mut`]), copying and sharing
//! are indistinguishable to its users.

use std::ops::Deref;
use std::sync::Arc;

use crate::buffer::Buffer;
use crate::float::Float;
use crate::indices::InlineLen;

/// Tensors with at most this many elements keep them inline.
pub(crate) const INLINE: usize = 4;

/// The elements behind a tensor (a view picks from them with its offset and
/// strides).
#[derive(Clone, Debug)]
pub(crate) enum Storage<T: Float> {
    /// At most [`INLINE`] elements, by value.
    Inline(InlineElems<T>),
    /// Heap elements shared by every view and clone of the tensor.
    Shared(Arc<Buffer<T>>),
}

/// Inline elements: `len` of `data` are used. `InlineLen` lets the enum's
/// variant live in `len`'s impossible values, so there is no tag byte (see
/// `indices.rs`); `repr(C)` puts `data` one word in, which `Tensor`'s field
/// order relies on to keep it on a 16-byte boundary.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct InlineElems<T: Float> {
    pub(crate) len: InlineLen,
    pub(crate) data: [T; INLINE],
}

impl<T: Float> Storage<T> {
    /// Takes ownership of `data`: small data moves inline (and the `Vec` is
    /// freed), larger data is shared as is.
    pub(crate) fn from_vec(data: Vec<T>) -> Self {
        if data.len() <= INLINE {
            Self::inline_from(data.into_iter())
        } else {
            Storage::Shared(Arc::new(Buffer(data)))
        }
    }

    /// The `n` items of `items`: inline when few, else collected into a new
    /// buffer. Kernels build their outputs with it, so a small output never
    /// touches the allocator.
    #[inline]
    pub(crate) fn collect(n: usize, items: impl Iterator<Item = T>) -> Self {
        if n <= INLINE {
            let inline = Self::inline_from(items);
            debug_assert_eq!(inline.len(), n, "kernel produced a wrong element count");
            inline
        } else {
            let mut v = crate::buffer::take(n);
            v.extend(items);
            debug_assert_eq!(v.len(), n, "kernel produced a wrong element count");
            Storage::Shared(Arc::new(Buffer(v)))
        }
    }

    /// Callers pass at most [`INLINE`] items. The array is built whole, not
    /// element by element (see `kernels::elementwise::map` for why).
    #[inline]
    fn inline_from(mut items: impl Iterator<Item = T>) -> Self {
        let mut len = 0;
        let data = std::array::from_fn(|_| match items.next() {
            Some(x) => {
                len += 1;
                x
            }
            None => T::zero(),
        });
        Storage::Inline(InlineElems {
            len: InlineLen::new(len),
            data,
        })
    }

    /// The elements for writing. Shared heap memory is copied first when
    /// another tensor still uses it (copy on write), so no other tensor sees
    /// the change.
    pub(crate) fn make_mut(&mut self) -> &mut [T] {
        match self {
            Storage::Inline(e) => &mut e.data[..e.len.get()],
            Storage::Shared(buf) => Arc::make_mut(buf).0.as_mut_slice(),
        }
    }
}

impl<T: Float> Deref for Storage<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Storage::Inline(e) => &e.data[..e.len.get()],
            Storage::Shared(buf) => buf.as_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_data_is_inline_and_large_data_shared() {
        let small = Storage::<f64>::from_vec(vec![1.0, 2.0, 3.0]);
        assert!(matches!(
            small,
            Storage::Inline(InlineElems {
                len: InlineLen::L3,
                ..
            })
        ));
        assert_eq!(&*small, &[1.0, 2.0, 3.0]);
        let large = Storage::<f64>::from_vec(vec![1.0; INLINE + 1]);
        assert!(matches!(large, Storage::Shared(_)));
        assert_eq!(large.len(), INLINE + 1);
        let collected = Storage::<f32>::collect(2, [5.0, 6.0].into_iter());
        assert_eq!(&*collected, &[5.0, 6.0]);
        assert_eq!(Storage::<f32>::collect(0, std::iter::empty()).len(), 0);
    }

    #[test]
    fn inline_storage_has_no_tag_byte() {
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<Storage<f32>>(), word + 16);
        assert_eq!(std::mem::size_of::<Storage<f64>>(), word + 32);
    }

    #[test]
    fn writing_never_changes_a_clone() {
        for n in [2, INLINE + 3] {
            let a = Storage::<f32>::from_vec(vec![1.0; n]);
            let mut b = a.clone();
            b.make_mut()[0] = 9.0;
            assert_eq!(a[0], 1.0, "n = {n}");
            assert_eq!(b[0], 9.0, "n = {n}");
        }
    }
}
