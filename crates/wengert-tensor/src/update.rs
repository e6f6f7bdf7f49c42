//! Updating a tensor's elements from their old values without a copy, even
//! when another tensor shares its storage.
//!
//! A tape binds a parameter by sharing its storage, and the usual training
//! loop steps the optimizer while that tape is still alive. Writing through
//! [`Tensor::data_mut`] would then copy the whole parameter first (copy on
//! write) and update the copy: one more read and write of every element,
//! and, when no recycled buffer fits, a fresh allocation whose pages fault
//! in one by one. An update is a function of the old value, so it can read
//! the old elements where they are and write each new one straight into a
//! new buffer instead; the tape keeps the old storage, unchanged.

use crate::float::Float;
use crate::storage::Storage;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Replaces every element `x` (row-major) with `f(x, e)`, where `e` is
    /// the matching item of `with`: an optimizer's update, with `with`
    /// zipping the gradient and the state buffers that `f` updates as well.
    ///
    /// When nothing else shares the storage, the elements are updated in
    /// place. When another tensor shares it (a tape that bound this
    /// parameter, a clone), the old elements are read where they are and
    /// the new ones are written into a new buffer (recycled from the pool
    /// when one fits), which this tensor then uses: the other tensor keeps
    /// the old values, and nothing is copied. Both cases are one pass that
    /// calls `f` once per element, in order, so `f` may update state as it
    /// goes and the two give bitwise the same result. A strided or offset
    /// view gets contiguous storage of its own.
    ///
    /// This is a closure over each element rather than access to a buffer
    /// to fill, so a caller can neither leave the new buffer half-written
    /// nor write the in-place and the fresh case twice.
    ///
    /// # Panics
    /// Unless `with` yields exactly one item per element (before anything
    /// changes).
    ///
    /// ```
    /// use wengert_tensor::Tensor;
    /// let mut x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let seen = x.clone(); // shares the storage, as a tape does
    /// let g = [0.5f32; 6];
    /// let mut momentum = [0.0f32; 6];
    /// // b <- 0.9 b + g; x <- x - 0.5 b
    /// x.update_zip(g.iter().zip(momentum.iter_mut()), |x, (&g, b)| {
    ///     *b = 0.9 * *b + g;
    ///     x - 0.5 * *b
    /// });
    /// assert_eq!(x.to_vec(), vec![0.75, 1.75, 2.75, 3.75, 4.75, 5.75]);
    /// assert_eq!(momentum, [0.5; 6]);
    /// assert_eq!(seen.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // untouched
    /// ```
    #[track_caller]
    #[inline]
    pub fn update_zip<I, F>(&mut self, with: I, mut f: F)
    where
        I: IntoIterator,
        I::IntoIter: ExactSizeIterator,
        F: FnMut(T, I::Item) -> T,
    {
        let with = with.into_iter();
        let n = self.numel();
        assert_eq!(
            with.len(),
            n,
            "update_zip: {} items to update {n} elements of a tensor of shape {:?}",
            with.len(),
            &self.shape[..],
        );
        if let Some(x) = self.unshared_elements() {
            for (x, e) in x.iter_mut().zip(with) {
                *x = f(*x, e);
            }
            return;
        }
        let storage = {
            let old = self.values();
            Storage::collect(n, old.iter().zip(with).map(|(&x, e)| f(x, e)))
        };
        let shape = self.shape.clone();
        *self = Tensor::from_storage(storage, &shape[..]);
    }

    /// The elements for writing in place, if no other tensor shares them
    /// and they are this tensor's whole storage, row-major.
    fn unshared_elements(&mut self) -> Option<&mut [T]> {
        let whole = self.is_contiguous() && self.offset == 0 && self.storage.len() == self.numel();
        match &mut self.storage {
            Storage::Inline(e) if whole => Some(&mut e.data[..e.len.get()]),
            Storage::Shared(buf) if whole => {
                std::sync::Arc::get_mut(buf).map(|b| b.0.as_mut_slice())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    /// x <- 2 x + e, with e counting up, so order and values both show.
    fn double_plus_index(t: &mut Tensor<f64>) {
        let n = t.numel();
        t.update_zip(0..n, |x, i| 2.0 * x + i as f64);
    }

    fn data_ptr(t: &Tensor<f64>) -> *const f64 {
        t.as_slice().unwrap().as_ptr()
    }

    #[test]
    fn unshared_storage_is_updated_in_place() {
        let mut t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let before = data_ptr(&t);
        double_plus_index(&mut t);
        assert_eq!(t.to_vec(), vec![2.0, 5.0, 8.0, 11.0, 14.0, 17.0]);
        assert_eq!(data_ptr(&t), before, "the update moved the elements");
    }

    #[test]
    fn shared_storage_gets_a_new_buffer_and_the_sharer_keeps_the_old_values() {
        let mut t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let held = t.clone();
        double_plus_index(&mut t);
        assert_eq!(t.to_vec(), vec![2.0, 5.0, 8.0, 11.0, 14.0, 17.0]);
        assert_eq!(held.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_ne!(data_ptr(&t), data_ptr(&held));
        assert!(t.is_contiguous() && t.shape() == [2, 3]);
        // Now t is the only owner of its new buffer: in place again.
        let after = data_ptr(&t);
        double_plus_index(&mut t);
        assert_eq!(data_ptr(&t), after);
    }

    #[test]
    fn both_paths_call_f_in_order_and_agree_bitwise() {
        // A large tensor, so the fresh buffer comes from the pool, which may
        // hold garbage: every element must be written.
        let n = 100_000;
        drop(Tensor::<f64>::full(&[n], f64::NAN));
        let start: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let run = |shared: bool| {
            let mut t = Tensor::from_vec(start.clone(), &[n]);
            let held = shared.then(|| t.clone());
            let mut state = vec![0.25; n];
            let mut calls = Vec::with_capacity(n);
            t.update_zip(state.iter_mut().enumerate(), |x, (i, s)| {
                calls.push(i);
                *s = 0.9 * *s + x;
                x - 0.01 * *s
            });
            if let Some(held) = held {
                assert_eq!(held.to_vec(), start);
            }
            assert!(calls.iter().copied().eq(0..n), "f was not called in order");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            (bits(&t.to_vec()), bits(&state))
        };
        assert_eq!(run(true), run(false));
    }

    #[test]
    fn inline_and_view_tensors_are_updated_right() {
        // Inline (few elements): by value, so a clone never sees the change.
        let mut small = Tensor::from_vec(vec![1.0, 2.0], &[2]);
        let held = small.clone();
        double_plus_index(&mut small);
        assert_eq!(
            (small.to_vec(), held.to_vec()),
            (vec![2.0, 5.0], vec![1.0, 2.0])
        );
        // A transposed view: row-major order of the view, own storage after.
        let base = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let mut t = base.transpose(0, 1);
        double_plus_index(&mut t);
        assert_eq!(t.shape(), &[3, 2]);
        assert_eq!(t.to_vec(), vec![2.0, 9.0, 6.0, 13.0, 10.0, 17.0]);
        assert_eq!(base.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert!(t.is_contiguous());
    }

    #[test]
    #[should_panic(
        expected = "update_zip: 5 items to update 6 elements of a tensor of shape [2, 3]"
    )]
    fn too_few_items_panic_naming_both_counts_and_the_shape() {
        let mut t = Tensor::<f64>::zeros(&[2, 3]);
        t.update_zip(0..5, |x, _| x);
    }
}
