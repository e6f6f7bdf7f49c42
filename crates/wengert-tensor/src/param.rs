//! `Param<T>`: a named, persistent, trainable tensor with a stable id.
//!
//! Layers own their parameters; a tape binds one for a forward pass with
//! [`crate::Tape::param`]; the backward pass returns gradients keyed by
//! [`ParamId`]; optimizers read those and update the parameter in place.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::tensor::Tensor;

static NEXT_PARAM_ID: AtomicU64 = AtomicU64::new(0);

/// Identity of a parameter, stable for its lifetime and unique in the process.
/// Ids are handed out in creation order, so ordering by id is deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParamId(u64);

impl ParamId {
    /// A fresh id, never handed out before.
    pub fn fresh() -> Self {
        ParamId(NEXT_PARAM_ID.fetch_add(1, Ordering::Relaxed))
    }

    /// The number behind the id.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// A trainable tensor with a name and a stable [`ParamId`].
///
/// A frozen parameter is bound to the tape as a constant: it gets no
/// gradient, so optimizers leave it alone.
///
/// Cloning keeps the id: the clone is the same parameter at another moment
/// (a checkpoint, best weights kept by early stopping). Use
/// [`Param::new`] for a new, independent parameter.
///
/// ```
/// use wengert_tensor::{Param, Tape, Tensor};
/// let w = Param::new("w", Tensor::from_vec(vec![2.0f64], &[1]));
/// let tape = Tape::new();
/// let x = tape.param(&w);
/// let grads = (x * x).sum().backward();
/// assert_eq!(grads.get(&w).unwrap().to_vec(), vec![4.0]); // d(w^2)/dw = 2w
/// ```
#[derive(Clone, Debug)]
pub struct Param<T: Float> {
    id: ParamId,
    name: String,
    value: Tensor<T>,
    frozen: bool,
}

impl<T: Float> Param<T> {
    /// A new parameter with a fresh id.
    pub fn new(name: impl Into<String>, value: Tensor<T>) -> Self {
        Param {
            id: ParamId::fresh(),
            name: name.into(),
            value,
            frozen: false,
        }
    }

    /// Its id.
    pub fn id(&self) -> ParamId {
        self.id
    }

    /// Its name (a layer sets the local name; modules prefix their path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames it.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Its current value.
    pub fn value(&self) -> &Tensor<T> {
        &self.value
    }

    /// Mutable access to the value (optimizers write through
    /// [`Tensor::data_mut`]).
    pub fn value_mut(&mut self) -> &mut Tensor<T> {
        &mut self.value
    }

    /// Its shape.
    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }

    /// Number of scalars it holds.
    pub fn numel(&self) -> usize {
        self.value.numel()
    }

    /// Replaces the value; the shape must stay the same.
    pub fn set_value(&mut self, value: Tensor<T>) -> Result<()> {
        if value.shape() != self.value.shape() {
            return Err(TensorError::ShapeMismatch {
                op: "Param::set_value",
                lhs: self.value.shape().to_vec(),
                rhs: value.shape().to_vec(),
                why: format!("parameter `{}` keeps its shape", self.name),
            });
        }
        self.value = value;
        Ok(())
    }

    /// Whether it is frozen (no gradient, not updated).
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// Freezes or unfreezes it.
    pub fn set_frozen(&mut self, frozen: bool) {
        self.frozen = frozen;
    }
}
