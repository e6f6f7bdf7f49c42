//! Loading pretrained weights into a model that is not quite the model
//! they were trained in: layers renamed, a new head, a few layers kept at
//! their initial values. The strict loaders ([`crate::load_state_dict`],
//! [`crate::load_weights`]) refuse any difference; [`Pretrained`] says
//! which differences are intended, and refuses the others.
//!
//! Three rules keep a partial load from hiding mistakes:
//!
//! - a `rename`, `skip` or `allow_missing` that matches nothing is an error
//!   (a typo must not quietly load nothing);
//! - a shape that differs on a name that would be loaded is an error naming
//!   the entry and both shapes (skip the layer to keep the model's);
//! - by default the load is strict: every parameter and buffer of the model
//!   gets a value unless it is skipped or allowed to be missing, and every
//!   entry of the weights is used unless it is skipped, as PyTorch's
//!   `load_state_dict` is by default. `strict(false)` is PyTorch's
//!   `strict=False`: what is missing or unused is only reported.
//!
//! Every problem is found before anything is written, so a failed load
//! lists them all and leaves the model unchanged.

mod freeze;
mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use wengert_tensor::Float;

use crate::error::{NnError, Result};
use crate::module::{join_name, name_is_under, Module};
use crate::state_dict::{state_dict, write_entries, StateDict, StateValue};
use crate::weights::read_entries;

pub use freeze::freeze_all_except;
pub use report::LoadReport;

/// Pretrained weights and the rules to load them into a model whose names
/// or layers differ: prefix renames, layers skipped, entries allowed to be
/// missing.
///
/// PyTorch: `model.load_state_dict(sd, strict=False)` after renaming the
/// keys of `sd` by hand and deleting the old head's; here each of those is
/// one call, checked.
///
/// ```
/// use wengert_nn::{save_weights, Linear, Module, Pretrained, ReLU, Sequential};
/// use wengert_tensor::seeded_rng;
/// let mut rng = seeded_rng(0);
/// // Pretrained on 10 classes.
/// let source = Sequential::<f32>::new()
///     .with(Linear::new(8, 16, &mut rng))
///     .with(ReLU)
///     .with(Linear::new(16, 10, &mut rng));
///
/// // The same body, a 3-class head.
/// let mut model = Sequential::<f32>::new()
///     .with(Linear::new(8, 16, &mut rng))
///     .with(ReLU)
///     .with(Linear::new(16, 3, &mut rng));
/// let report = Pretrained::from_model(&source).skip("2").load_into(&mut model).unwrap();
/// assert_eq!(report.loaded_names(), ["0.bias", "0.weight"]);
/// assert_eq!(report.skipped, ["2.bias", "2.weight"]);
/// assert_eq!(report.missing, ["2.bias", "2.weight"]); // the new head keeps its values
/// assert_eq!(model.get(0).unwrap().params()[0].1.value().to_vec(),
///            source.get(0).unwrap().params()[0].1.value().to_vec());
///
/// // Without the skip, the head's shapes do not fit, and nothing is loaded.
/// let err = Pretrained::from_model(&source).load_into(&mut model).unwrap_err();
/// assert!(err.to_string().contains("`2.weight`: shape [10, 16] in the weights, the model has [3, 16]"));
/// ```
#[derive(Clone, Debug)]
pub struct Pretrained<T: Float> {
    origin: String,
    state: StateDict<T>,
    /// Entries of the file that cannot be read as `T` (an F16 tensor), with
    /// why: an error only if something would load them.
    unreadable: BTreeMap<String, String>,
    renames: Vec<(String, String)>,
    skips: Vec<String>,
    allowed_missing: Vec<String>,
    strict: bool,
}

impl<T: Float> Pretrained<T> {
    /// The weights of a safetensors file (F32 and F64 convert to `T`).
    /// Entries of other dtypes are an error only if they would be loaded.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let (state, unreadable) = read_entries(path)?;
        Ok(Self::with_origin(
            path.display().to_string(),
            state,
            unreadable,
        ))
    }

    /// Weights held in memory (a state dict read earlier, or built by
    /// hand).
    pub fn from_state_dict(state: StateDict<T>) -> Self {
        Self::with_origin("state dict".into(), state, BTreeMap::new())
    }

    /// The current weights of another model (transfer within one program;
    /// the tensors are shared, not copied).
    pub fn from_model<M: Module<T> + ?Sized>(model: &M) -> Self {
        Self::from_state_dict(state_dict(model))
    }

    fn with_origin(
        origin: String,
        state: StateDict<T>,
        unreadable: BTreeMap<String, String>,
    ) -> Self {
        Pretrained {
            origin,
            state,
            unreadable,
            renames: Vec::new(),
            skips: Vec::new(),
            allowed_missing: Vec::new(),
            strict: true,
        }
    }

    /// Loads the weights' entries named `from` or under it (`features`
    /// covers `features.0.weight`) into the model's names with `from`
    /// replaced by `to`: `rename("features", "body")` loads
    /// `features.0.weight` into `body.0.weight`. An empty `to` strips the
    /// prefix; an empty `from` prefixes every entry with `to`. Where two
    /// renames match, the longer `from` wins.
    pub fn rename(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.renames.push((from.into(), to.into()));
        self
    }

    /// Loads nothing into or from anything called `name` or under it: the
    /// weights' entries of that name are left out and the model's keep
    /// their values (the old head of a model given a new one). The name may
    /// be one of the weights' or one of the model's.
    pub fn skip(mut self, name: impl Into<String>) -> Self {
        self.skips.push(name.into());
        self
    }

    /// Lets the model's parameters and buffers called `name` or under it
    /// get no value from the weights (they keep theirs): a layer the
    /// pretrained model did not have.
    pub fn allow_missing(mut self, name: impl Into<String>) -> Self {
        self.allowed_missing.push(name.into());
        self
    }

    /// Whether what is missing (not skipped or allowed) and what is unused
    /// (not skipped) is an error (`true`, the default, as PyTorch's
    /// `strict=True`) or only reported (`false`).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Where the weights came from (a path, or `state dict`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The names of the weights' entries, sorted (to write the renames).
    pub fn names(&self) -> Vec<&str> {
        let all: BTreeSet<&str> = self
            .state
            .keys()
            .chain(self.unreadable.keys())
            .map(String::as_str)
            .collect();
        all.into_iter().collect()
    }

    /// The model's name for the weights' entry `name`: the longest
    /// matching rename applied, if any.
    fn target(&self, name: &str) -> String {
        let rename = self
            .renames
            .iter()
            .filter(|(from, _)| from.is_empty() || name_is_under(name, from))
            .max_by_key(|(from, _)| from.len());
        match rename {
            None => name.to_string(),
            Some((from, to)) if from.is_empty() => join_name(to, name),
            Some((from, to)) => {
                // What follows the prefix: "" or ".rest".
                let rest = &name[from.len()..];
                match rest.strip_prefix('.') {
                    Some(rest) => join_name(to, rest),
                    None => to.clone(),
                }
            }
        }
    }

    fn is_skipped(&self, name: &str) -> bool {
        self.skips.iter().any(|s| name_is_under(name, s))
    }

    /// Checks every rule against the weights and `model`, then writes what
    /// is to be loaded, and reports what was done with every entry. On any
    /// problem nothing is written and the error
    /// ([`NnError::WeightsMismatch`]) lists them all.
    pub fn load_into<M: Module<T> + ?Sized>(&self, model: &mut M) -> Result<LoadReport> {
        let slots = state_dict(&*model);
        let file_names = self.names();
        let mut problems = self.unmatched_rules(&file_names, &slots);

        let mut plan = StateDict::new();
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        let mut report = LoadReport {
            origin: self.origin.clone(),
            ..LoadReport::default()
        };
        for &from in &file_names {
            let to = self.target(from);
            if self.is_skipped(from) || self.is_skipped(&to) {
                report.skipped.push(from.to_string());
                continue;
            }
            let Some(slot) = slots.get(&to) else {
                report.unused.push(from.to_string());
                continue;
            };
            let entry = describe_entry(from, &to);
            if let Some(earlier) = sources.get(&to) {
                problems.push(format!(
                    "{entry}: `{earlier}` loads into `{to}` too; rename or skip one of them"
                ));
                continue;
            }
            sources.insert(to.clone(), from.to_string());
            let Some(value) = self.state.get(from) else {
                let why = &self.unreadable[from];
                problems.push(format!(
                    "{entry}: {why}; skip it with .skip(\"{}\")",
                    layer_of(&to)
                ));
                continue;
            };
            match (slot, value) {
                (StateValue::Float(want), StateValue::Float(got))
                    if want.shape() != got.shape() =>
                {
                    problems.push(format!(
                        "{entry}: shape {:?} in the weights, the model has {:?}; keep the model's \
                         with .skip(\"{}\")",
                        got.shape(),
                        want.shape(),
                        layer_of(&to)
                    ))
                }
                (StateValue::Float(_), StateValue::Float(_))
                | (StateValue::Int(_), StateValue::Int(_)) => {
                    plan.insert(to.clone(), value.clone());
                    report.loaded.push((from.to_string(), to));
                }
                (want, got) => problems.push(format!(
                    "{entry}: {} in the weights, the model has {}",
                    got.describe(),
                    want.describe()
                )),
            }
        }
        report.missing = slots
            .keys()
            // An entry with a source that did not fit is reported as that
            // problem, not again as missing.
            .filter(|name| !plan.contains_key(*name) && !sources.contains_key(*name))
            .cloned()
            .collect();
        if self.strict {
            problems.extend(self.strict_problems(&report));
        }
        if !problems.is_empty() {
            return Err(NnError::WeightsMismatch {
                origin: self.origin.clone(),
                problems,
            });
        }
        write_entries(model, &plan);
        Ok(report)
    }

    /// A rule that matches nothing, one line each: a typo would otherwise
    /// load nothing and say nothing.
    fn unmatched_rules(&self, file_names: &[&str], slots: &StateDict<T>) -> Vec<String> {
        let in_file = |prefix: &str| file_names.iter().any(|n| name_is_under(n, prefix));
        let in_model = |prefix: &str| slots.keys().any(|n| name_is_under(n, prefix));
        let mut problems = Vec::new();
        for (from, to) in &self.renames {
            if !from.is_empty() && !in_file(from) {
                problems.push(format!(
                    "rename(\"{from}\", \"{to}\") matches no entry of the weights (they hold: {})",
                    file_names.join(", ")
                ));
            }
        }
        for name in &self.skips {
            let renamed_into = file_names
                .iter()
                .any(|n| name_is_under(&self.target(n), name));
            if !in_file(name) && !in_model(name) && !renamed_into {
                problems.push(format!(
                    "skip(\"{name}\") matches no entry of the weights and nothing in the model"
                ));
            }
        }
        for name in &self.allowed_missing {
            if !in_model(name) {
                problems.push(format!(
                    "allow_missing(\"{name}\") matches no parameter or buffer of the model (it has: {})",
                    slots.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        problems
    }

    /// What a strict load refuses: entries of the model left without a
    /// value, entries of the weights left unused, neither asked for.
    fn strict_problems(&self, report: &LoadReport) -> Vec<String> {
        let mut problems = Vec::new();
        for name in &report.missing {
            let excused = self.is_skipped(name)
                || self.allowed_missing.iter().any(|a| name_is_under(name, a));
            if !excused {
                problems.push(format!(
                    "missing `{name}`: the weights have no entry for it; load one under another \
                     name with .rename, or keep the model's with .allow_missing(\"{}\")",
                    layer_of(name)
                ));
            }
        }
        for from in &report.unused {
            let to = self.target(from);
            problems.push(format!(
                "unused {}: the model has no parameter or buffer `{to}`; leave it out with \
                 .skip(\"{}\"), or map it with .rename",
                describe_entry(from, &to),
                layer_of(from)
            ));
        }
        problems
    }
}

/// `` `name` `` or `` `from` (loaded as `to`) `` in messages.
fn describe_entry(from: &str, to: &str) -> String {
    if from == to {
        format!("`{from}`")
    } else {
        format!("`{from}` (loaded as `{to}`)")
    }
}

/// The layer that holds `name`: everything before its last `.` (the name
/// itself for a top-level entry).
fn layer_of(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(layer, _)| layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Pretrained<f64> {
        Pretrained::from_state_dict(StateDict::new())
    }

    #[test]
    fn the_longest_matching_rename_wins_and_empty_prefixes_strip_or_add() {
        let p = empty()
            .rename("features", "body")
            .rename("features.3", "head");
        assert_eq!(p.target("features.0.weight"), "body.0.weight");
        assert_eq!(p.target("features.3.bias"), "head.bias");
        assert_eq!(p.target("features30.bias"), "features30.bias");
        assert_eq!(p.target("classifier.weight"), "classifier.weight");
        assert_eq!(
            empty().rename("model", "").target("model.0.weight"),
            "0.weight"
        );
        assert_eq!(
            empty().rename("", "backbone").target("0.weight"),
            "backbone.0.weight"
        );
    }

    #[test]
    fn layer_of_drops_the_last_component() {
        assert_eq!(layer_of("body.0.weight"), "body.0");
        assert_eq!(layer_of("scale"), "scale");
    }
}
