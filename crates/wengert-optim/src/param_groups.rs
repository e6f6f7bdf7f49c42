//! Parameter groups: different learning rates, weight decay and momentum
//! for different sets of parameters.
//!
//! Two uses the text motivates: no weight decay on biases and normalization
//! parameters (decaying a bias toward zero does not limit the model's
//! capacity, it only shifts it), and a lower learning rate for pretrained
//! layers while fine-tuning a new head. A group selects its members by
//! [`ParamId`] or by a predicate on the parameter's name (the name the
//! step's visitor gives, a module's full path like `layers.0.bias`, or
//! [`wengert_tensor::Param::name`] for a slice of parameters); a parameter
//! in no group uses the optimizer's own settings (the *default group*). The
//! first matching group wins.
//!
//! **Each group has its own base rate**, as each of PyTorch's
//! `param_groups` has its own `lr` (and `initial_lr`): set it outright with
//! [`ParamGroup::lr`], or as a multiple of the optimizer's base rate with
//! [`ParamGroup::lr_scale`]. A schedule works out every group's rate from
//! that group's own base rate, so additive schedules (cosine annealing to an
//! `eta_min`, a plateau's `min_lr` floor) treat each group as PyTorch does,
//! not as a fixed multiple of the default group's rate.
//!
//! # PyTorch options
//!
//! A PyTorch group can override any of its optimizer's settings. wengert
//! groups override `lr`, `weight_decay`, `momentum` (SGD, RMSprop) and
//! `betas` (Adam, AdamW); the other settings (`eps`, `nesterov`, `amsgrad`,
//! `maximize`, ...) are the optimizer's for every group, and a group that
//! sets an override its optimizer has no use for (betas on SGD) is refused
//! when the optimizer is built.

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

/// How a group's base learning rate is given.
#[derive(Clone, Copy, Debug, PartialEq)]
enum BaseRate {
    /// The optimizer's base rate times this.
    Scale(f64),
    /// This rate, whatever the optimizer's (PyTorch's group `lr`).
    Own(f64),
}

/// A set of parameters with their own base learning rate, weight decay and
/// momentum.
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
    base_rate: BaseRate,
    weight_decay: Option<f64>,
    momentum: Option<f64>,
    betas: Option<(f64, f64)>,
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
            base_rate: BaseRate::Scale(1.0),
            weight_decay: None,
            momentum: None,
            betas: None,
        }
    }

    /// The group's base rate is the optimizer's times `scale` (e.g. 0.1 for
    /// pretrained layers). Replaces an earlier [`ParamGroup::lr`].
    pub fn lr_scale(mut self, scale: f64) -> Self {
        self.base_rate = BaseRate::Scale(scale);
        self
    }

    /// The group's own base rate, whatever the optimizer's (PyTorch's group
    /// `lr`; the optimizer's may even be 0). Replaces an earlier
    /// [`ParamGroup::lr_scale`].
    ///
    /// ```
    /// use wengert_optim::{Optimizer, ParamGroup, SgdConfig};
    /// use wengert_tensor::{Grads, Param, Tensor};
    ///
    /// let mut head = Param::new("head.weight", Tensor::from_vec(vec![1.0f64], &[1]));
    /// let mut sgd = SgdConfig::new(0.0) // nothing else trains
    ///     .group(ParamGroup::by_name("head", |n| n.starts_with("head.")).lr(0.5))
    ///     .build();
    /// let mut grads = Grads::new();
    /// grads.insert(head.id(), Tensor::ones(&[1]));
    /// sgd.step(&mut [&mut head], &grads);
    /// assert_eq!(head.value().item(), 0.5);
    /// assert_eq!((sgd.group_base_lr(0), sgd.group_base_lr(1)), (0.0, 0.5));
    /// ```
    pub fn lr(mut self, lr: f64) -> Self {
        self.base_rate = BaseRate::Own(lr);
        self
    }

    /// Overrides the weight-decay coefficient for the group (0 turns decay
    /// off); the kind, coupled or decoupled, stays the optimizer's.
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = Some(wd);
        self
    }

    /// Overrides the momentum for the group (SGD's and RMSprop's
    /// `momentum`; other optimizers refuse it when built). A schedule that
    /// cycles the momentum ([`crate::OneCycleLr`]) sets every group's, as
    /// PyTorch's does.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = Some(momentum);
        self
    }

    /// Overrides Adam's (and AdamW's) `betas` for the group; other
    /// optimizers refuse it when built. A schedule that cycles the momentum
    /// sets every group's `beta1` and keeps its `beta2`, as PyTorch's does.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.betas = Some((beta1, beta2));
        self
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scale given by [`ParamGroup::lr_scale`] (1 when none was given,
    /// and for a group given its own rate by [`ParamGroup::lr`]).
    pub fn scale(&self) -> f64 {
        match self.base_rate {
            BaseRate::Scale(scale) => scale,
            BaseRate::Own(_) => 1.0,
        }
    }

    /// The rate given by [`ParamGroup::lr`], if any.
    pub fn lr_override(&self) -> Option<f64> {
        match self.base_rate {
            BaseRate::Own(lr) => Some(lr),
            BaseRate::Scale(_) => None,
        }
    }

    /// The group's base rate in an optimizer whose base rate is
    /// `optimizer_base_lr`.
    pub fn base_lr(&self, optimizer_base_lr: f64) -> f64 {
        match self.base_rate {
            BaseRate::Scale(scale) => optimizer_base_lr * scale,
            BaseRate::Own(lr) => lr,
        }
    }

    /// Its weight-decay override, if any.
    pub fn weight_decay_override(&self) -> Option<f64> {
        self.weight_decay
    }

    /// Its momentum override, if any.
    pub fn momentum_override(&self) -> Option<f64> {
        self.momentum
    }

    /// Its betas override, if any.
    pub fn betas_override(&self) -> Option<(f64, f64)> {
        self.betas
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
            .field("base_rate", &self.base_rate)
            .field("weight_decay", &self.weight_decay)
            .field("momentum", &self.momentum)
            .field("betas", &self.betas)
            .finish()
    }
}

/// The rate group of a parameter: 0 for the default group (parameters in no
/// [`ParamGroup`]), `i + 1` for the first group `groups[i]` holding it.
pub(crate) fn group_index(groups: &[ParamGroup], id: ParamId, name: &str) -> usize {
    groups
        .iter()
        .position(|g| g.contains(id, name))
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_group_wins_and_others_get_the_default_group() {
        let a = ParamId::fresh();
        let b = ParamId::fresh();
        let groups = vec![
            ParamGroup::by_ids("a", [a]).lr_scale(0.5),
            ParamGroup::by_name("bias", |n| n.ends_with("bias")).weight_decay(0.0),
        ];
        assert_eq!(group_index(&groups, a, "x.bias"), 1);
        assert_eq!(group_index(&groups, b, "x.bias"), 2);
        assert_eq!(group_index(&groups, b, "x.weight"), 0);
    }

    #[test]
    fn a_group_rate_is_a_scale_or_its_own_whichever_was_set_last() {
        let g = ParamGroup::by_ids("g", []).lr_scale(0.5);
        assert_eq!((g.base_lr(0.2), g.lr_override()), (0.1, None));
        let g = g.lr(0.03);
        assert_eq!(
            (g.base_lr(0.2), g.base_lr(0.0), g.scale()),
            (0.03, 0.03, 1.0)
        );
        let g = g.lr_scale(2.0);
        assert_eq!(g.base_lr(0.2), 0.4);
    }
}
