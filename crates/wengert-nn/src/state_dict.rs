//! A model's state as a map from names to values (parameters and buffers),
//! like PyTorch's `state_dict()`: what weight files hold, what checkpoints
//! and early stopping keep in memory.
//!
//! Loading checks everything first (every name, kind and shape) and writes
//! only when all of it fits, so a failed load leaves the model unchanged and
//! its error lists every problem at once.

use std::collections::BTreeMap;

use wengert_tensor::{Float, Tensor};

use crate::buffers::{BufferMut, BufferRef};
use crate::error::{NnError, Result};
use crate::module::Module;

/// One entry of a state dict: a float tensor (parameter or running
/// statistic) or an integer counter (`num_batches_tracked`).
#[derive(Clone, Debug)]
pub enum StateValue<T: Float> {
    /// A float tensor.
    Float(Tensor<T>),
    /// A scalar int64 counter.
    Int(i64),
}

impl<T: Float> StateValue<T> {
    /// How the entry reads in messages: `f64 tensor of shape [64, 784]`,
    /// `int64 counter`.
    pub fn describe(&self) -> String {
        match self {
            StateValue::Float(t) => format!("{} tensor of shape {:?}", T::DTYPE, t.shape()),
            StateValue::Int(_) => "int64 counter".to_string(),
        }
    }
}

/// Names to values, sorted by name.
pub type StateDict<T> = BTreeMap<String, StateValue<T>>;

/// The state of `model`: every parameter and buffer by full name. The
/// tensors share storage with the model, so this costs no copy, and it is a
/// true snapshot: tensors are copy-on-write, so later updates of the model
/// never reach it (early stopping keeps its best weights this way).
///
/// ```
/// use wengert_nn::{state_dict, BatchNorm1d, Linear, Sequential};
/// use wengert_tensor::seeded_rng;
/// let model = Sequential::<f32>::new()
///     .with(Linear::new(3, 2, &mut seeded_rng(0)))
///     .with(BatchNorm1d::new(2));
/// let names: Vec<String> = state_dict(&model).into_keys().collect();
/// assert_eq!(names, ["0.bias", "0.weight", "1.bias", "1.num_batches_tracked",
///                    "1.running_mean", "1.running_var", "1.weight"]);
/// ```
pub fn state_dict<T: Float, M: Module<T> + ?Sized>(model: &M) -> StateDict<T> {
    let mut out = StateDict::new();
    model.visit_params(&mut |name, p| {
        out.insert(name.to_string(), StateValue::Float(p.value().clone()));
    });
    model.visit_buffers(&mut |name, b| {
        let v = match b {
            BufferRef::Float(t) => StateValue::Float(t.clone()),
            BufferRef::Int(c) => StateValue::Int(c),
        };
        out.insert(name.to_string(), v);
    });
    out
}

/// What the model holds under one name.
enum Slot {
    Float(Vec<usize>),
    Int,
}

impl Slot {
    fn describe<T: Float>(&self) -> String {
        match self {
            Slot::Float(shape) => format!("an {} tensor of shape {shape:?}", T::DTYPE),
            Slot::Int => "an int64 counter".to_string(),
        }
    }
}

fn slots<T: Float, M: Module<T> + ?Sized>(model: &M) -> BTreeMap<String, Slot> {
    let mut out = BTreeMap::new();
    model.visit_params(&mut |name, p| {
        out.insert(name.to_string(), Slot::Float(p.shape().to_vec()));
    });
    model.visit_buffers(&mut |name, b| {
        let slot = match b {
            BufferRef::Float(t) => Slot::Float(t.shape().to_vec()),
            BufferRef::Int(_) => Slot::Int,
        };
        out.insert(name.to_string(), slot);
    });
    out
}

/// Every way `state` (plus entries that could not be read, with the
/// reason) fails to fit `model`, one line each.
pub(crate) fn mismatches<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    state: &StateDict<T>,
    unreadable: &BTreeMap<String, String>,
) -> Vec<String> {
    let expected = slots(model);
    let mut problems = Vec::new();
    for (name, slot) in &expected {
        if let Some(why) = unreadable.get(name) {
            problems.push(format!(
                "`{name}`: {why} (the model expects {})",
                slot.describe::<T>()
            ));
            continue;
        }
        match (slot, state.get(name)) {
            (_, None) => problems.push(format!(
                "missing `{name}`: the model expects {}",
                slot.describe::<T>()
            )),
            (Slot::Float(want), Some(StateValue::Float(t))) if t.shape() != want.as_slice() => {
                problems.push(format!(
                    "`{name}`: shape {:?} in the weights, the model expects {want:?}",
                    t.shape()
                ))
            }
            (Slot::Float(_), Some(StateValue::Float(_)))
            | (Slot::Int, Some(StateValue::Int(_))) => {}
            (_, Some(v)) => problems.push(format!(
                "`{name}`: {} in the weights, the model expects {}",
                v.describe(),
                slot.describe::<T>()
            )),
        }
    }
    for (name, v) in state {
        if !expected.contains_key(name) {
            problems.push(format!(
                "unexpected `{name}` ({}): the model has no parameter or buffer of that name",
                v.describe()
            ));
        }
    }
    for (name, why) in unreadable {
        if !expected.contains_key(name) {
            problems.push(format!(
                "unexpected `{name}` ({why}): the model has no parameter or buffer of that name"
            ));
        }
    }
    problems
}

/// Writes `state` into `model` after checking that every name, kind and
/// shape fits exactly (no missing, no unexpected entries: PyTorch's
/// `strict=True`). On error nothing was written and the error lists every
/// problem.
///
/// ```
/// use wengert_nn::{load_state_dict, state_dict, Linear, Module};
/// use wengert_tensor::seeded_rng;
/// let a = Linear::<f64>::new(3, 2, &mut seeded_rng(1));
/// let mut b = Linear::<f64>::new(3, 2, &mut seeded_rng(2));
/// load_state_dict(&mut b, &state_dict(&a)).unwrap();
/// assert_eq!(b.weight().value().to_vec(), a.weight().value().to_vec());
///
/// let mut c = Linear::<f64>::new(4, 2, &mut seeded_rng(3));
/// let err = load_state_dict(&mut c, &state_dict(&a)).unwrap_err();
/// assert!(err.to_string().contains("`weight`: shape [2, 3] in the weights, the model expects [2, 4]"));
/// ```
pub fn load_state_dict<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    state: &StateDict<T>,
) -> Result<()> {
    load_checked(model, state, &BTreeMap::new(), "state dict")
}

pub(crate) fn load_checked<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    state: &StateDict<T>,
    unreadable: &BTreeMap<String, String>,
    origin: &str,
) -> Result<()> {
    let problems = mismatches(model, state, unreadable);
    if !problems.is_empty() {
        return Err(NnError::WeightsMismatch {
            origin: origin.to_string(),
            problems,
        });
    }
    // Everything fits: every write below succeeds.
    write_entries(model, state);
    Ok(())
}

/// Writes every entry of `state` into the parameter or buffer of the same
/// name, leaving the model's other entries as they are. The caller has
/// checked that each entry's kind and shape fit its slot.
pub(crate) fn write_entries<T: Float, M: Module<T> + ?Sized>(model: &mut M, state: &StateDict<T>) {
    model.visit_params_mut(&mut |name, p| {
        if let Some(StateValue::Float(t)) = state.get(name) {
            p.set_value(t.clone()).expect("shape checked by the caller");
        }
    });
    model.visit_buffers_mut(&mut |name, b| match (b, state.get(name)) {
        (BufferMut::Float(slot), Some(StateValue::Float(t))) => *slot = t.clone(),
        (BufferMut::Int(slot), Some(StateValue::Int(c))) => *slot = *c,
        (_, None) => {}
        _ => unreachable!("kinds checked by the caller"),
    });
}
