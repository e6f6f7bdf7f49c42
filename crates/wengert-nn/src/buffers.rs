//! Buffers: state saved with a module's weights but not trained (batch
//! normalization's running statistics), and the [`Buffers`] trait through
//! which `#[derive(Module)]` lists a `#[module(buffer)]` field.

use std::cell::RefCell;

use wengert_tensor::{Float, Tensor};

/// A buffer's value, read-only: a float tensor (running statistics) or an
/// integer counter (`num_batches_tracked`, int64 in PyTorch's files).
#[derive(Clone, Copy, Debug)]
pub enum BufferRef<'a, T: Float> {
    /// A float tensor.
    Float(&'a Tensor<T>),
    /// A scalar integer counter.
    Int(i64),
}

/// A buffer's value, writable: loading weights replaces it in place.
#[derive(Debug)]
pub enum BufferMut<'a, T: Float> {
    /// A float tensor; keep its shape.
    Float(&'a mut Tensor<T>),
    /// A scalar integer counter.
    Int(&'a mut i64),
}

/// A value that holds buffers and lists them by name: a single tensor or
/// counter (named by its field: it passes the empty name), or a struct of
/// several (running mean, variance and count) that names its own.
///
/// ```
/// use std::cell::RefCell;
/// use wengert_nn::{BufferRef, Buffers};
/// use wengert_tensor::Tensor;
/// let stats = RefCell::new(Tensor::<f32>::zeros(&[3]));
/// let mut seen = Vec::new();
/// stats.visit_buffers(&mut |name, b| {
///     if let BufferRef::Float(t) = b { seen.push((name.to_string(), t.numel())) }
/// });
/// assert_eq!(seen, [(String::new(), 3)]);
/// ```
pub trait Buffers<T: Float> {
    /// Calls `f` with the name and value of every buffer.
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>));

    /// Mutable form of [`Buffers::visit_buffers`], the same buffers in the
    /// same order; writers keep each buffer's shape.
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>));
}

impl<T: Float> Buffers<T> for Tensor<T> {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        f("", BufferRef::Float(self))
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        f("", BufferMut::Float(self))
    }
}

impl<T: Float> Buffers<T> for i64 {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        f("", BufferRef::Int(*self))
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        f("", BufferMut::Int(self))
    }
}

/// Buffers a training forward updates through `&self` sit in a `RefCell`.
impl<T: Float, B: Buffers<T>> Buffers<T> for RefCell<B> {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        self.borrow().visit_buffers(f)
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        self.get_mut().visit_buffers_mut(f)
    }
}
