//! Recycled storage for large tensors.
//!
//! A fresh allocation of a few hundred kilobytes or more is served by `mmap`
//! on common allocators, so every large op would pay a page fault per 4 KiB
//! page and the kernel's zeroing of it: an element-wise add of 10^7 floats
//! into a fresh output ran at a third of the machine's copy bandwidth. Large
//! buffers are therefore kept in a small pool when their tensor is dropped
//! and handed to the next kernel that needs one of about the same size.
//! Small tensors are not pooled: the allocator already recycles them well.
//!
//! The pool only changes where output memory comes from; kernels write every
//! element, so results do not depend on it.
//!
//! Kernels outside this crate (convolution, pooling and normalisation in
//! `wengert-nn`) take their large outputs from the same pool through
//! [`take`] and [`zeroed`]: a `vec![0.0; n]` of a few megabytes is a fresh
//! mapping on every training step, and its page faults cost more than the
//! kernel that fills it (a third of a small CNN's backward pass, and more
//! on two threads, where the faults of both threads queue on one lock).
//!
//! ```
//! use wengert_tensor::buffer;
//! use wengert_tensor::Tensor;
//! let mut out: Vec<f32> = buffer::zeroed(1 << 20);
//! out[7] = 1.0;
//! let t = Tensor::from_vec(out, &[1 << 20]); // goes back to the pool when dropped
//! assert_eq!(t.sum().item(), 1.0);
//! ```

use std::ops::Deref;
use std::sync::Mutex;

use crate::float::Float;

/// Buffers below this many bytes are not pooled.
const MIN_POOLED_BYTES: usize = 256 << 10;
/// At most this many bytes wait in one pool (one pool per float type).
const MAX_POOL_BYTES: usize = 256 << 20;

/// The pool of one float type: idle buffers and their total capacity in bytes.
pub(crate) type Pool<T> = Mutex<(Vec<Vec<T>>, usize)>;

/// A tensor's storage: a `Vec` that goes back to the pool when dropped.
#[derive(Debug)]
pub(crate) struct Buffer<T: Float>(pub(crate) Vec<T>);

impl<T: Float> Deref for Buffer<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Float> Clone for Buffer<T> {
    fn clone(&self) -> Self {
        let mut v = take(self.0.len());
        v.extend_from_slice(&self.0);
        Buffer(v)
    }
}

impl<T: Float> Drop for Buffer<T> {
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.0));
    }
}

fn bytes<T>(elements: usize) -> usize {
    elements * std::mem::size_of::<T>()
}

/// An empty `Vec` with room for `n` elements, from the pool when a large
/// one of fitting size (between `n` and `2n`) is waiting. Hand it to
/// [`Tensor::from_vec`](crate::Tensor::from_vec) when filled, so that it
/// returns to the pool with its tensor.
pub fn take<T: Float>(n: usize) -> Vec<T> {
    if bytes::<T>(n) >= MIN_POOLED_BYTES {
        let mut pool = T::buffer_pool().lock().unwrap_or_else(|e| e.into_inner());
        let (idle, held) = &mut *pool;
        if let Some(i) = idle
            .iter()
            .position(|v| v.capacity() >= n && v.capacity() <= 2 * n)
        {
            let mut v = idle.swap_remove(i);
            *held -= bytes::<T>(v.capacity());
            v.clear();
            return v;
        }
    }
    Vec::with_capacity(n)
}

/// `n` zeros in a `Vec` from the pool (see [`take`]): for kernels that
/// add into their output or write only part of it.
pub fn zeroed<T: Float>(n: usize) -> Vec<T> {
    let mut v = take(n);
    v.resize(n, T::zero());
    v
}

/// Keeps a large buffer for reuse while the pool has room; frees it otherwise.
fn recycle<T: Float>(v: Vec<T>) {
    let size = bytes::<T>(v.capacity());
    if size < MIN_POOLED_BYTES {
        return;
    }
    let mut pool = T::buffer_pool().lock().unwrap_or_else(|e| e.into_inner());
    let (idle, held) = &mut *pool;
    if *held + size <= MAX_POOL_BYTES {
        *held += size;
        idle.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_large_buffer_is_handed_out_again_and_small_ones_are_not_pooled() {
        // f64 pool, sized so no other test's buffer fits: 300,001 elements.
        let n = 300_001;
        let first = Buffer::<f64>(take(n));
        let ptr = first.0.as_ptr();
        drop(first);
        let again = take::<f64>(n);
        assert_eq!(again.as_ptr(), ptr, "the recycled buffer comes back");
        assert!(again.is_empty() && again.capacity() >= n);
        let small = take::<f64>(10);
        assert!(small.capacity() >= 10);
    }

    #[test]
    fn zeroed_hands_out_zeros_even_from_a_recycled_buffer_of_nans() {
        // f64 pool, a size far from every other test's: 2,100,013 elements.
        let n = 2_100_013;
        let junk = Buffer::<f64>(vec![f64::NAN; n]);
        let ptr = junk.0.as_ptr();
        drop(junk);
        let zeros = zeroed::<f64>(n);
        assert_eq!(zeros.as_ptr(), ptr, "the recycled buffer comes back");
        assert_eq!(zeros.len(), n);
        assert!(zeros.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn results_do_not_depend_on_recycled_memory() {
        // Fill a large buffer with garbage, drop it, then compute into the
        // recycled memory: every element must be written.
        let n = 1 << 17;
        let junk = crate::Tensor::<f32>::full(&[n], f32::NAN);
        drop(junk);
        let a = crate::Tensor::<f32>::ones(&[n]);
        let b = a.add(&a);
        assert!(b.to_vec().iter().all(|&x| x == 2.0));
        let m = crate::Tensor::<f32>::ones(&[300, 300]).matmul(&crate::Tensor::ones(&[300, 300]));
        assert!(m.to_vec().iter().all(|&x| x == 300.0));
    }
}
