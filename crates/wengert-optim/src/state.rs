//! Optimizer state that can be saved and restored.
//!
//! Momentum buffers and running averages are part of a training run: a run
//! resumed from a checkpoint continues the exact trajectory only if they
//! are restored too. [`OptimizerState`] is a plain structure (names,
//! counters, tensors) that a checkpoint writer can store however it likes.
//!
//! Parameter ids are unique within a process only, so each entry carries
//! the parameter's name as well. Restored entries are matched to parameters
//! at the next step: by id first (same process), else by name when exactly
//! one saved entry has that name (a new process that rebuilt the model).

use std::collections::BTreeMap;

use wengert_tensor::{Float, Tensor};

/// Everything an optimizer needs to continue a run: its learning rates
/// (the default group's, and each parameter group's), its step count and
/// one [`ParamState`] per parameter it has stepped.
///
/// ```
/// use wengert_optim::{Optimizer, SgdConfig};
/// use wengert_tensor::{Grads, Param, Tensor};
///
/// let mut x = Param::new("x", Tensor::from_vec(vec![1.0f64, 2.0], &[2]));
/// let mut grads = Grads::new();
/// grads.insert(x.id(), Tensor::from_vec(vec![0.5, -0.5], &[2]));
/// let mut sgd = SgdConfig::new(0.1).momentum(0.9).build();
/// sgd.step(&mut [&mut x], &grads);
/// let saved = sgd.state();
/// assert_eq!(saved.optimizer, "SGD");
/// assert_eq!((saved.base_lr, saved.steps), (0.1, 1));
/// assert_eq!(saved.params[0].name, "x");
/// assert!(saved.params[0].buffers.contains_key("momentum_buffer"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState<T: Float> {
    /// Which optimizer wrote it (`"SGD"`, `"Adam"`, ...); loading into
    /// another kind is refused.
    pub optimizer: String,
    /// The default group's learning rate at the time of saving (a
    /// schedule may have moved it).
    pub lr: f64,
    /// The learning rate the optimizer was built with (the default group's
    /// base rate), from which schedules work out the current one
    /// (PyTorch's `initial_lr`).
    pub base_lr: f64,
    /// Successful steps the optimizer had taken
    /// ([`crate::Optimizer::step_count`]).
    pub steps: u64,
    /// One entry per parameter, in parameter-id order.
    pub params: Vec<ParamState<T>>,
    /// The rates of each [`crate::ParamGroup`], in the order the groups
    /// were added (empty for an optimizer without groups).
    pub groups: Vec<GroupRates>,
}

/// The saved rates of one parameter group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupRates {
    /// The group's name ([`crate::ParamGroup::name`]); loading checks it.
    pub name: String,
    /// Its learning rate at the time of saving.
    pub lr: f64,
    /// Its base rate (PyTorch's group `initial_lr`).
    pub base_lr: f64,
}

/// The saved state of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamState<T: Float> {
    /// The parameter's id when saved (matches in the same process only).
    pub id: u64,
    /// The parameter's name (matches across processes).
    pub name: String,
    /// How many updates this parameter has had (Adam's `t`).
    pub step: u64,
    /// Named buffers, with the parameter's shape (`momentum_buffer`,
    /// `exp_avg`, `exp_avg_sq`, ... as in PyTorch's `state_dict`).
    pub buffers: BTreeMap<String, Tensor<T>>,
}

/// Tensors with their names, as a weight or checkpoint file lists them.
pub type NamedTensors<T> = Vec<(String, Tensor<T>)>;

impl<T: Float> OptimizerState<T> {
    /// Flattens the state into named tensors and string metadata, the shape
    /// of a safetensors file: tensors `param.{i}.{buffer}` and metadata
    /// `optimizer`, `lr`, `base_lr`, `steps`, `params`, `param.{i}.name`,
    /// `param.{i}.id`, `param.{i}.step` (`i` is the entry's position),
    /// `groups`, `group.{j}.name`, `group.{j}.lr`, `group.{j}.base_lr`.
    /// Numbers are written so they read back exactly.
    ///
    /// ```
    /// use wengert_optim::{AdamConfig, Optimizer, OptimizerState};
    /// use wengert_tensor::{Grads, Param, Tensor};
    /// let mut x = Param::new("x", Tensor::from_vec(vec![1.0f32, 2.0], &[2]));
    /// let mut grads = Grads::new();
    /// grads.insert(x.id(), Tensor::from_vec(vec![0.1, 0.2], &[2]));
    /// let mut adam = AdamConfig::new(1e-3).build();
    /// adam.step(&mut [&mut x], &grads);
    /// let (tensors, metadata) = adam.state().to_named_tensors();
    /// assert!(tensors.iter().any(|(name, _)| name == "param.0.exp_avg_sq"));
    /// let back = OptimizerState::from_named_tensors(tensors, &metadata).unwrap();
    /// assert_eq!(back, adam.state());
    /// ```
    pub fn to_named_tensors(&self) -> (NamedTensors<T>, BTreeMap<String, String>) {
        let mut tensors = Vec::new();
        let mut metadata = BTreeMap::new();
        metadata.insert("optimizer".to_string(), self.optimizer.clone());
        // `{:?}` of an f64 is the shortest string that parses back exactly.
        metadata.insert("lr".to_string(), format!("{:?}", self.lr));
        metadata.insert("base_lr".to_string(), format!("{:?}", self.base_lr));
        metadata.insert("steps".to_string(), self.steps.to_string());
        metadata.insert("params".to_string(), self.params.len().to_string());
        for (i, p) in self.params.iter().enumerate() {
            metadata.insert(format!("param.{i}.name"), p.name.clone());
            metadata.insert(format!("param.{i}.id"), p.id.to_string());
            metadata.insert(format!("param.{i}.step"), p.step.to_string());
            for (buffer, t) in &p.buffers {
                tensors.push((format!("param.{i}.{buffer}"), t.clone()));
            }
        }
        metadata.insert("groups".to_string(), self.groups.len().to_string());
        for (j, g) in self.groups.iter().enumerate() {
            metadata.insert(format!("group.{j}.name"), g.name.clone());
            metadata.insert(format!("group.{j}.lr"), format!("{:?}", g.lr));
            metadata.insert(format!("group.{j}.base_lr"), format!("{:?}", g.base_lr));
        }
        (tensors, metadata)
    }

    /// Rebuilds the state written by [`OptimizerState::to_named_tensors`];
    /// an error names the missing or malformed entry. Metadata written
    /// before groups had rates of their own (no `groups` entry) reads as no
    /// group entries.
    pub fn from_named_tensors(
        tensors: NamedTensors<T>,
        metadata: &BTreeMap<String, String>,
    ) -> crate::Result<Self> {
        let bad = |why: String| crate::OptimError::StateMismatch {
            optimizer: "OptimizerState::from_named_tensors",
            param: "*".to_string(),
            why,
        };
        let get = |key: &str| {
            metadata
                .get(key)
                .ok_or_else(|| bad(format!("metadata `{key}` is missing")))
        };
        fn parse<V: std::str::FromStr>(
            key: &str,
            text: &str,
            bad: impl Fn(String) -> crate::OptimError,
        ) -> crate::Result<V> {
            text.parse()
                .map_err(|_| bad(format!("metadata `{key}` = {text:?} is not a number")))
        }
        let count: usize = parse("params", get("params")?, bad)?;
        let mut params: Vec<ParamState<T>> = (0..count)
            .map(|i| -> crate::Result<ParamState<T>> {
                let key = |field: &str| format!("param.{i}.{field}");
                Ok(ParamState {
                    name: get(&key("name"))?.clone(),
                    id: parse(&key("id"), get(&key("id"))?, bad)?,
                    step: parse(&key("step"), get(&key("step"))?, bad)?,
                    buffers: BTreeMap::new(),
                })
            })
            .collect::<crate::Result<_>>()?;
        for (name, t) in tensors {
            let parsed = name
                .strip_prefix("param.")
                .and_then(|rest| rest.split_once('.'))
                .and_then(|(i, buffer)| Some((i.parse::<usize>().ok()?, buffer)));
            let Some((i, buffer)) = parsed.filter(|(i, _)| *i < count) else {
                return Err(bad(format!(
                    "tensor `{name}` is not `param.{{i}}.{{buffer}}` with i below {count}"
                )));
            };
            params[i].buffers.insert(buffer.to_string(), t);
        }
        let group_count: usize = match metadata.get("groups") {
            Some(text) => parse("groups", text, bad)?,
            None => 0,
        };
        let groups = (0..group_count)
            .map(|j| -> crate::Result<GroupRates> {
                let key = |field: &str| format!("group.{j}.{field}");
                Ok(GroupRates {
                    name: get(&key("name"))?.clone(),
                    lr: parse(&key("lr"), get(&key("lr"))?, bad)?,
                    base_lr: parse(&key("base_lr"), get(&key("base_lr"))?, bad)?,
                })
            })
            .collect::<crate::Result<_>>()?;
        Ok(OptimizerState {
            optimizer: get("optimizer")?.clone(),
            lr: parse("lr", get("lr")?, bad)?,
            base_lr: parse("base_lr", get("base_lr")?, bad)?,
            steps: parse("steps", get("steps")?, bad)?,
            params,
            groups,
        })
    }
}

/// The per-parameter state of one optimizer: how it is saved and restored.
pub(crate) trait BufferState<T: Float>: Sized {
    /// Updates taken so far.
    fn step(&self) -> u64;
    /// The named buffers, flat.
    fn buffers(&self) -> Vec<(&'static str, &[T])>;
    /// Rebuilds the state; `Err` says what is missing or malformed.
    fn from_saved(saved: &ParamState<T>, numel: usize) -> Result<Self, String>;
}

/// Implements [`BufferState`] for a state struct with a `step: u64` field
/// and buffer fields, each `Vec<T>` (always there) or `Option<Vec<T>>`
/// (there for some settings only). A buffer is saved under its field's
/// name, which is PyTorch's `state_dict` key:
///
/// ```text
/// buffer_state!(AdamState { exp_avg, exp_avg_sq; optional max_exp_avg_sq });
/// ```
macro_rules! buffer_state {
    ($state:ident { $($buffer:ident),* ; optional $($optional:ident),* }) => {
        impl<T: wengert_tensor::Float> $crate::state::BufferState<T> for $state<T> {
            fn step(&self) -> u64 {
                self.step
            }

            fn buffers(&self) -> Vec<(&'static str, &[T])> {
                #[allow(unused_mut)]
                let mut out: Vec<(&'static str, &[T])> =
                    vec![$((stringify!($buffer), self.$buffer.as_slice())),*];
                $(
                    if let Some(b) = &self.$optional {
                        out.push((stringify!($optional), b.as_slice()));
                    }
                )*
                out
            }

            fn from_saved(
                saved: &$crate::state::ParamState<T>,
                numel: usize,
            ) -> Result<Self, String> {
                Ok($state {
                    step: saved.step,
                    $($buffer: $crate::state::saved_buffer(saved, stringify!($buffer), numel)?,)*
                    $($optional: $crate::state::optional_saved_buffer(
                        saved,
                        stringify!($optional),
                        numel,
                    )?,)*
                })
            }
        }
    };
}

pub(crate) use buffer_state;

/// The buffer `name` of a saved entry, checked to hold `numel` values.
pub(crate) fn saved_buffer<T: Float>(
    saved: &ParamState<T>,
    name: &str,
    numel: usize,
) -> Result<Vec<T>, String> {
    optional_saved_buffer(saved, name, numel)?.ok_or_else(|| {
        format!(
            "buffer `{name}` is missing (saved buffers: {:?})",
            saved.buffers.keys().collect::<Vec<_>>()
        )
    })
}

/// The buffer `name` if it was saved, checked to hold `numel` values.
pub(crate) fn optional_saved_buffer<T: Float>(
    saved: &ParamState<T>,
    name: &str,
    numel: usize,
) -> Result<Option<Vec<T>>, String> {
    match saved.buffers.get(name) {
        None => Ok(None),
        Some(t) if t.numel() == numel => Ok(Some(t.to_vec())),
        Some(t) => Err(format!(
            "buffer `{name}` has shape {:?} ({} values) but the parameter has {numel}",
            t.shape(),
            t.numel()
        )),
    }
}
