//! `Var<'t, T>`: a handle to one node of a tape.

use std::cell::Ref;
use std::fmt;

use super::Tape;
use crate::float::Float;
use crate::tensor::Tensor;

/// A handle to a node of a [`Tape`]: `Copy`, two words, valid as long as the
/// tape is borrowed. Ops on it compute eagerly and record a node.
///
/// ```
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let a = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// let b = tape.constant(Tensor::from_vec(vec![10.0, 20.0], &[2]));
/// let c = a * b + a; // operators work on the Copy handles
/// assert_eq!(c.value().to_vec(), vec![11.0, 42.0]);
/// ```
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float> {
    tape: &'t Tape<T>,
    id: usize,
}

impl<'t, T: Float> Var<'t, T> {
    #[inline]
    pub(crate) fn new(tape: &'t Tape<T>, id: usize) -> Self {
        Var { tape, id }
    }

    /// The node's position on the tape.
    #[inline]
    pub fn id(&self) -> usize {
        self.id
    }

    /// The tape it lives on.
    #[inline]
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// Its value (a cheap clone of shared storage).
    pub fn value(&self) -> Tensor<T> {
        self.tape.values()[self.id].clone()
    }

    /// Its value, borrowed from the tape: for an op's forward kernel, which
    /// reads its inputs without the reference-count traffic of a clone. The
    /// borrow must end before the op records its node.
    #[inline]
    pub(crate) fn value_ref(&self) -> Ref<'t, Tensor<T>> {
        Ref::map(self.tape.values(), |values| &values[self.id])
    }

    /// Its shape.
    pub fn shape(&self) -> Vec<usize> {
        self.tape.values()[self.id].shape().to_vec()
    }

    /// Its number of dimensions.
    pub fn ndim(&self) -> usize {
        self.tape.values()[self.id].ndim()
    }

    /// Its number of elements.
    pub fn numel(&self) -> usize {
        self.tape.values()[self.id].numel()
    }

    /// The value of a one-element Var; an error naming the shape otherwise.
    pub fn try_item(&self) -> crate::Result<T> {
        self.tape.values()[self.id].try_item()
    }

    /// Panicking form of [`Var::try_item`].
    #[track_caller]
    pub fn item(&self) -> T {
        self.tape.values()[self.id].item()
    }

    /// Whether a gradient flows to it.
    pub fn requires_grad(&self) -> bool {
        self.tape.nodes()[self.id].requires_grad
    }

    /// The name of the op that made it.
    pub fn op(&self) -> &'static str {
        self.tape.nodes()[self.id].op
    }

    /// The same value as a new constant leaf: gradients stop here
    /// (truncated backpropagation through time detaches the carried state).
    pub fn detach(&self) -> Var<'t, T> {
        self.tape.constant(self.value())
    }

    /// Whether two handles are on the same tape.
    pub(crate) fn same_tape(&self, other: &Var<'t, T>) -> bool {
        std::ptr::eq(self.tape, other.tape)
    }
}

impl<T: Float> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Var(#{} {} {:?})", self.id, self.op(), self.shape())
    }
}
