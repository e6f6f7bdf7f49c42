//! Parameter groups: different learning rates and weight decay for
//! different sets of parameters.
//!
//! Two uses the text motivates: no weight decay on biases and normalization
//! parameters (decaying a bias toward zero does not limit the model's
//! capacity, it only shifts it), and a lower learning rate for pretrained
//! layers while fine-tuning a new head. A group selects its members by
//! [`ParamId`] or by a predicate on the parameter's name (the name the
//! step's visitor gives, a module's full path like `layers.0.bias`, or
//! [`wengert_tensor::Param::name`] for a slice of parameters); a parameter
//! in no group uses the optimizer's own settings. The first matching group
//! wins.
//!
//! A group's learning rate is the optimizer's learning rate times the
//! group's scale, so a learning-rate schedule (which calls
//! [`crate::Optimizer::set_lr`]) moves every group together, as PyTorch's
//! schedulers scale each group's initial rate by the same factor.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use wengert_tensor::ParamId;

/// Which parameters a group holds.
#[derive(Clone)]
enum Members {
    Ids(BTreeSet<ParamId>),
    NameMatches(Arc<dyn Fn(&str) -> bool + Send + Sync>),
}

/// A set of parameters with their own learning-rate scale and weight decay.
///
/// PyTorch: one entry of `optimizer.param_groups`.
///
/// ```
/// use wengert_optim::{Optimizer, ParamGroup, SgdConfig, WeightDecay};
/// use wengert_tensor::{Grads, Param, Tensor};
///
/// let mut w = Param::new("layer.weight", Tensor::from_vec(vec![1.0f64], &[1]));
/// let mut b = Param::new("layer.bias", Tensor::from_vec(vec![1.0f64], &[1]));
/// let mut sgd = SgdConfig::new(0.1)
///     .weight_decay(WeightDecay::L2(0.5))
///     .group(ParamGroup::by_name("no decay on biases", |n| n.ends_with("bias")).weight_decay(0.0))
///     .build();
/// let mut grads = Grads::new();
/// grads.insert(w.id(), Tensor::zeros(&[1]));
/// grads.insert(b.id(), Tensor::zeros(&[1]));
/// sgd.step(&mut [&mut w, &mut b], &grads);
/// assert_eq!(w.value().to_vec(), vec![1.0 - 0.1 * 0.5]); // decayed
/// assert_eq!(b.value().to_vec(), vec![1.0]); // not decayed
/// ```
#[derive(Clone)]
pub struct ParamGroup {
    name: String,
    members: Members,
    lr_scale: f64,
    weight_decay: Option<f64>,
}

impl ParamGroup {
    /// A group holding exactly these parameters.
    pub fn by_ids(name: impl Into<String>, ids: impl IntoIterator<Item = ParamId>) -> Self {
        Self::with_members(name, Members::Ids(ids.into_iter().collect()))
    }

    /// A group holding every parameter whose name satisfies `matches`
    /// (e.g. `|n| n.ends_with("bias")`, `|n| n.starts_with("backbone.")`).
    pub fn by_name(
        name: impl Into<String>,
        matches: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self::with_members(name, Members::NameMatches(Arc::new(matches)))
    }

    fn with_members(name: impl Into<String>, members: Members) -> Self {
        ParamGroup {
            name: name.into(),
            members,
            lr_scale: 1.0,
            weight_decay: None,
        }
    }

    /// The group's learning rate is the optimizer's times `scale`
    /// (e.g. 0.1 for pretrained layers).
    pub fn lr_scale(mut self, scale: f64) -> Self {
        self.lr_scale = scale;
        self
    }

    /// Overrides the weight-decay coefficient for the group (0 turns decay
    /// off); the kind, coupled or decoupled, stays the optimizer's.
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = Some(wd);
        self
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its learning-rate scale.
    pub fn scale(&self) -> f64 {
        self.lr_scale
    }

    /// Its weight-decay override, if any.
    pub fn weight_decay_override(&self) -> Option<f64> {
        self.weight_decay
    }

    /// Whether the parameter with this id and name belongs to the group.
    pub fn contains(&self, id: ParamId, name: &str) -> bool {
        match &self.members {
            Members::Ids(ids) => ids.contains(&id),
            Members::NameMatches(f) => f(name),
        }
    }
}

impl fmt::Debug for ParamGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members = match &self.members {
            Members::Ids(ids) => format!("{} ids", ids.len()),
            Members::NameMatches(_) => "names matching a predicate".to_string(),
        };
        f.debug_struct("ParamGroup")
            .field("name", &self.name)
            .field("members", &members)
            .field("lr_scale", &self.lr_scale)
            .field("weight_decay", &self.weight_decay)
            .finish()
    }
}

/// The settings a parameter gets from its group (or the defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GroupSettings {
    pub(crate) lr_scale: f64,
    pub(crate) weight_decay: Option<f64>,
}

/// The first group holding the parameter, or the defaults.
pub(crate) fn settings_for(groups: &[ParamGroup], id: ParamId, name: &str) -> GroupSettings {
    groups
        .iter()
        .find(|g| g.contains(id, name))
        .map(|g| GroupSettings {
            lr_scale: g.lr_scale,
            weight_decay: g.weight_decay,
        })
        .unwrap_or(GroupSettings {
            lr_scale: 1.0,
            weight_decay: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_group_wins_and_others_get_defaults() {
        let a = ParamId::fresh();
        let b = ParamId::fresh();
        let groups = vec![
            ParamGroup::by_ids("a", [a]).lr_scale(0.5),
            ParamGroup::by_name("bias", |n| n.ends_with("bias")).weight_decay(0.0),
        ];
        assert_eq!(settings_for(&groups, a, "x.bias").lr_scale, 0.5);
        assert_eq!(settings_for(&groups, b, "x.bias").weight_decay, Some(0.0));
        assert_eq!(
            settings_for(&groups, b, "x.weight"),
            GroupSettings {
                lr_scale: 1.0,
                weight_decay: None
            }
        );
    }
}
