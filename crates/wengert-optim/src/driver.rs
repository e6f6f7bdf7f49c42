//! The bookkeeping every optimizer shares, written once: visiting the
//! parameters, skipping frozen ones and ones without a gradient, checking
//! shapes, finding each parameter's rate group (its learning rate and
//! overrides), negating the gradient for `maximize`, applying weight decay
//! (both kinds), keeping per-parameter state by [`ParamId`], counting steps,
//! and saving and restoring it all. An optimizer supplies only its update
//! equation, as a function of each element's old value
//! ([`ParamValues::update`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use wengert_tensor::{Float, Grads, Param, ParamId, Parameters, Tensor};

use crate::config::CommonSettings;
use crate::error::{OptimError, Result};
use crate::param_groups::{group_index, ParamGroup};
use crate::state::{BufferState, GroupRates, OptimizerState, ParamState};
use crate::weight_decay::WeightDecay;

/// The values of one parameter, for its update to rewrite.
///
/// An update is written as a function of each element's old value `x` and
/// gradient `g` (which also updates the state buffers it is zipped with),
/// so the same function serves both ways of writing the parameter: in
/// place when only the parameter holds its storage, or, when a tape still
/// shares it, reading the old values there and writing the new ones into a
/// fresh buffer, which leaves the tape's values as its graph used them and
/// copies nothing (see `Tensor::update_zip`).
///
/// Weight decay is applied here, once for every optimizer, in the same
/// pass: decoupled decay shrinks `x` before the update sees it, coupled L2
/// adds `wd * x` to the `g` it sees.
pub(crate) struct ParamValues<'a, T: Float> {
    value: &'a mut Tensor<T>,
    /// Decoupled decay's factor `1 - lr * wd` (AdamW), when there is one.
    shrink: Option<T>,
    /// Coupled L2's coefficient `wd`, 0 when there is none.
    l2: T,
}

impl<T: Float> ParamValues<'_, T> {
    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.value.numel()
    }

    /// `x <- f(x, g, s)` for every element `x`, its gradient `g` (with the
    /// L2 term) and the matching item `s` of `state` (state buffers,
    /// zipped), in one pass.
    ///
    /// Pass `f` as a `move` closure, so the scalars it uses (learning rate,
    /// betas, ...) are copied into it. Captured by reference they are
    /// reloaded from memory for every element, because the compiler cannot
    /// tell them apart from the state buffers the loop writes, and the loop
    /// no longer vectorizes (it ran 6 to 9 times slower).
    #[inline(always)]
    pub(crate) fn update<S, F>(self, g: &[T], state: S, mut f: F)
    where
        S: IntoIterator,
        S::IntoIter: ExactSizeIterator,
        F: FnMut(T, T, S::Item) -> T,
    {
        let with = g.iter().zip(state);
        let wd = self.l2;
        // One loop per case, so each compiles to straight-line vector code
        // (a test of `wd` inside the loop kept it from vectorizing well).
        // With wd = 0 the gradient is passed as it is, as PyTorch skips the
        // add: `0 * x` would turn the gradient of an infinite weight to NaN.
        match (self.shrink, wd == T::zero()) {
            (None, true) => self.value.update_zip(with, move |x, (&g, s)| f(x, g, s)),
            (None, false) => self
                .value
                .update_zip(with, move |x, (&g, s)| f(x, g + wd * x, s)),
            (Some(factor), true) => self
                .value
                .update_zip(with, move |x, (&g, s)| f(x * factor, g, s)),
            (Some(factor), false) => self.value.update_zip(with, move |x, (&g, s)| {
                let x = x * factor;
                f(x, g + wd * x, s)
            }),
        }
    }

    /// [`ParamValues::update`] for an update without state buffers:
    /// `x <- f(x, g)`.
    #[inline(always)]
    pub(crate) fn update_stateless(self, g: &[T], mut f: impl FnMut(T, T) -> T) {
        // n units, zero-sized: no memory, but an iterator the zip can index
        // like the slices, which keeps the loop vectorizable.
        let units = vec![(); g.len()];
        self.update(g, &units, move |x, g, _| f(x, g));
    }
}

/// A parameter's state with what is needed to save it.
#[derive(Clone, Debug)]
struct Slot<S> {
    name: String,
    shape: Vec<usize>,
    state: S,
}

/// One rate group as a step sees it: its learning rate and the overrides
/// of the optimizer's settings it carries (`None`: the optimizer's own).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GroupStep {
    /// The group's current learning rate.
    pub(crate) lr: f64,
    /// SGD's or RMSprop's momentum.
    pub(crate) momentum: Option<f64>,
    /// Adam's beta1.
    pub(crate) beta1: Option<f64>,
    /// Adam's beta2.
    pub(crate) beta2: Option<f64>,
}

/// A rate group as the driver keeps it: group 0 is the default group (the
/// parameters in no [`ParamGroup`], with the optimizer's settings), group
/// `i + 1` is `groups[i]`.
#[derive(Clone, Debug)]
struct RateGroup {
    /// `""` for the default group.
    name: String,
    /// The rate the group was built with (PyTorch's `initial_lr`).
    base_lr: f64,
    /// The rate of the next step and the overrides.
    step: GroupStep,
    decay: WeightDecay,
    /// What [`StepDriver::set_lr`] multiplies the default group's new rate
    /// by: the group's `lr_scale`, or its base rate over the default
    /// group's (none when that is 0).
    ratio: Option<f64>,
}

/// Shared optimizer bookkeeping; `S` is the optimizer's per-parameter state.
#[derive(Clone, Debug)]
pub(crate) struct StepDriver<T: Float, S> {
    optimizer: &'static str,
    /// Successful steps taken.
    pub(crate) steps: u64,
    /// Which parameters each group holds.
    groups: Vec<ParamGroup>,
    /// The default group, then one per entry of `groups`.
    rates: Vec<RateGroup>,
    /// Negate every gradient first (PyTorch's `maximize`).
    maximize: bool,
    slots: BTreeMap<ParamId, Slot<S>>,
    /// Restored entries not yet matched to a parameter.
    pending: Vec<ParamState<T>>,
}

impl<T: Float, S: BufferState<T>> StepDriver<T, S> {
    /// A driver for settings already checked (`config::try_build`).
    pub(crate) fn new(optimizer: &'static str, settings: &CommonSettings) -> Self {
        let plain = GroupStep {
            lr: settings.lr,
            momentum: None,
            beta1: None,
            beta2: None,
        };
        let mut rates = vec![RateGroup {
            name: String::new(),
            base_lr: settings.lr,
            step: plain,
            decay: settings.weight_decay,
            ratio: Some(1.0),
        }];
        for g in &settings.groups {
            let base_lr = g.base_lr(settings.lr);
            rates.push(RateGroup {
                name: g.name().to_string(),
                base_lr,
                step: GroupStep {
                    lr: base_lr,
                    momentum: g.momentum_override(),
                    beta1: g.betas_override().map(|b| b.0),
                    beta2: g.betas_override().map(|b| b.1),
                },
                decay: g
                    .weight_decay_override()
                    .map_or(settings.weight_decay, |wd| {
                        settings.weight_decay.with_coefficient(wd)
                    }),
                ratio: None,
            });
        }
        let mut driver = StepDriver {
            optimizer,
            steps: 0,
            groups: settings.groups.clone(),
            rates,
            maximize: settings.maximize,
            slots: BTreeMap::new(),
            pending: Vec::new(),
        };
        driver.refresh_ratios();
        driver
    }

    /// Works out each group's [`RateGroup::ratio`] from the base rates.
    fn refresh_ratios(&mut self) {
        let base = self.rates[0].base_lr;
        for (g, rate) in self.groups.iter().zip(&mut self.rates[1..]) {
            rate.ratio = match g.lr_override() {
                None => Some(g.scale()),
                Some(_) => (base != 0.0).then(|| rate.base_lr / base),
            };
        }
    }

    /// One optimizer step. Runs in two passes over the parameters: the first
    /// checks every shape and adopts restored state, the second updates, so
    /// a step that fails changes no parameter (and is not counted).
    pub(crate) fn try_step(
        &mut self,
        params: &mut dyn Parameters<T>,
        grads: &Grads<T>,
        fresh: impl Fn(usize) -> S,
        mut update: impl FnMut(ParamValues<'_, T>, &[T], &mut S, GroupStep),
    ) -> Result<()> {
        let mut first_error: Option<OptimError> = None;
        params.visit_params_mut(&mut |name: &str, p: &mut Param<T>| {
            if first_error.is_some() || p.is_frozen() {
                return;
            }
            let Some(g) = grads.by_id(p.id()) else {
                return;
            };
            if let Err(e) = self.prepare(name, p, g, &fresh) {
                first_error = Some(e);
            }
        });
        if let Some(e) = first_error {
            return Err(e);
        }
        params.visit_params_mut(&mut |name: &str, p: &mut Param<T>| {
            if p.is_frozen() {
                return;
            }
            let Some(g) = grads.by_id(p.id()) else {
                return;
            };
            let group = &self.rates[group_index(&self.groups, p.id(), name)];
            let (step, decay) = (group.step, group.decay);
            let slot = self
                .slots
                .get_mut(&p.id())
                .expect("the first pass made a slot for every parameter with a gradient");
            let shrink = decay.decoupled();
            let x = ParamValues {
                value: p.value_mut(),
                shrink: (shrink != 0.0).then(|| T::from_f64(1.0 - step.lr * shrink)),
                l2: T::from_f64(decay.coupled()),
            };
            let g = g.values();
            // Maximizing negates the gradient once, before weight decay, as
            // PyTorch does; the update loops stay the same.
            let g: Cow<'_, [T]> = if self.maximize {
                Cow::Owned(g.iter().map(|&v| -v).collect())
            } else {
                g
            };
            update(x, &g, &mut slot.state, step);
        });
        self.steps += 1;
        Ok(())
    }

    /// The number of rate groups: the default group and one per
    /// [`ParamGroup`].
    pub(crate) fn group_count(&self) -> usize {
        self.rates.len()
    }

    /// Rate group `group`, or a panic naming the optimizer and the count.
    #[track_caller]
    fn rate_group(&self, group: usize) -> &RateGroup {
        self.rates.get(group).unwrap_or_else(|| {
            panic!(
                "{}: no rate group {group}: it has {} (0 is the default group, then one per ParamGroup)",
                self.optimizer,
                self.rates.len()
            )
        })
    }

    /// The learning rate of `group`'s next step.
    #[track_caller]
    pub(crate) fn group_lr(&self, group: usize) -> f64 {
        self.rate_group(group).step.lr
    }

    /// The rate `group` was built with.
    #[track_caller]
    pub(crate) fn group_base_lr(&self, group: usize) -> f64 {
        self.rate_group(group).base_lr
    }

    /// Sets the learning rate of `group`'s next step.
    #[track_caller]
    pub(crate) fn set_group_lr(&mut self, group: usize, lr: f64) {
        self.rate_group(group);
        self.rates[group].step.lr = lr;
    }

    /// Sets the default group's rate, and every other group's to `lr`
    /// times its ratio (see [`crate::Optimizer::set_lr`]).
    pub(crate) fn set_lr(&mut self, lr: f64) {
        self.rates[0].step.lr = lr;
        for rate in &mut self.rates[1..] {
            if let Some(ratio) = rate.ratio {
                rate.step.lr = lr * ratio;
            }
        }
    }

    /// Drops every group's momentum and beta1 override, so each group uses
    /// the optimizer's (a schedule that cycles the momentum sets it for all
    /// groups, as PyTorch's OneCycleLR does).
    pub(crate) fn clear_momentum_overrides(&mut self) {
        for rate in &mut self.rates {
            rate.step.momentum = None;
            rate.step.beta1 = None;
        }
    }

    /// First pass for one parameter: shape checks and its state slot.
    /// `name` is the name the visitor gave (a module's full path).
    fn prepare(
        &mut self,
        name: &str,
        p: &Param<T>,
        g: &Tensor<T>,
        fresh: &impl Fn(usize) -> S,
    ) -> Result<()> {
        if g.shape() != p.shape() {
            return Err(OptimError::GradShape {
                optimizer: self.optimizer,
                param: name.to_string(),
                grad: g.shape().to_vec(),
                expected: p.shape().to_vec(),
            });
        }
        if let Some(slot) = self.slots.get(&p.id()) {
            if slot.shape != p.shape() {
                return Err(OptimError::StateMismatch {
                    optimizer: self.optimizer,
                    param: name.to_string(),
                    why: format!(
                        "its state has shape {:?} but the parameter now has shape {:?}",
                        slot.shape,
                        p.shape()
                    ),
                });
            }
            return Ok(());
        }
        let state = match self.take_pending(name, p) {
            Some(saved) => {
                let mismatch = |why: String| OptimError::StateMismatch {
                    optimizer: self.optimizer,
                    param: name.to_string(),
                    why,
                };
                for (buffer, t) in &saved.buffers {
                    if t.shape() != p.shape() {
                        return Err(mismatch(format!(
                            "saved buffer `{buffer}` has shape {:?} but the parameter has shape {:?}",
                            t.shape(),
                            p.shape()
                        )));
                    }
                }
                S::from_saved(&saved, p.numel()).map_err(mismatch)?
            }
            None => fresh(p.numel()),
        };
        self.slots.insert(
            p.id(),
            Slot {
                name: name.to_string(),
                shape: p.shape().to_vec(),
                state,
            },
        );
        Ok(())
    }

    /// The restored entry for `p`: same id, else the only one with its name.
    fn take_pending(&mut self, name: &str, p: &Param<T>) -> Option<ParamState<T>> {
        let by_id = self.pending.iter().position(|s| s.id == p.id().as_u64());
        let by_name = || {
            let mut same_name = self
                .pending
                .iter()
                .enumerate()
                .filter(|(_, s)| s.name == name);
            match (same_name.next(), same_name.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        };
        let index = by_id.or_else(by_name)?;
        Some(self.pending.remove(index))
    }

    /// The optimizer's PyTorch name, which its errors and saved state carry.
    pub(crate) fn name(&self) -> &'static str {
        self.optimizer
    }

    /// The live state of a parameter, for inspection.
    pub(crate) fn state_of(&self, id: ParamId) -> Option<&S> {
        self.slots.get(&id).map(|s| &s.state)
    }

    /// Forgets all per-parameter state (PyTorch: a fresh optimizer). The
    /// learning rates and the step count stay: they belong to the run's
    /// schedule, which goes on.
    pub(crate) fn zero_state(&mut self) {
        self.slots.clear();
        self.pending.clear();
    }

    /// The state as a plain structure.
    pub(crate) fn export(&self) -> OptimizerState<T> {
        let mut params: Vec<ParamState<T>> = self
            .slots
            .iter()
            .map(|(id, slot)| ParamState {
                id: id.as_u64(),
                name: slot.name.clone(),
                step: slot.state.step(),
                buffers: slot
                    .state
                    .buffers()
                    .into_iter()
                    .map(|(name, data)| (name.to_string(), Tensor::from_slice(data, &slot.shape)))
                    .collect(),
            })
            .collect();
        // Entries restored but not yet used survive a save.
        params.extend(self.pending.iter().cloned());
        params.sort_by_key(|s| s.id);
        OptimizerState {
            optimizer: self.optimizer.to_string(),
            lr: self.rates[0].step.lr,
            base_lr: self.rates[0].base_lr,
            steps: self.steps,
            params,
            groups: self.rates[1..]
                .iter()
                .map(|rate| GroupRates {
                    name: rate.name.clone(),
                    lr: rate.step.lr,
                    base_lr: rate.base_lr,
                })
                .collect(),
        }
    }

    /// Replaces all state with `saved`; entries are matched to parameters
    /// at the next step. The saved groups must be this optimizer's groups,
    /// in the same order; a state saved before groups had rates of their
    /// own (no group entries) gives each group the default group's rate
    /// times its ratio, as that version did.
    pub(crate) fn import(&mut self, saved: &OptimizerState<T>) -> Result<()> {
        let mismatch = |why: String| OptimError::StateMismatch {
            optimizer: self.optimizer,
            param: "*".to_string(),
            why,
        };
        if saved.optimizer != self.optimizer {
            return Err(mismatch(format!(
                "the state was saved by {}",
                saved.optimizer
            )));
        }
        let names = |names: Vec<&str>| format!("{names:?}");
        let ours: Vec<&str> = self.rates[1..].iter().map(|r| r.name.as_str()).collect();
        let theirs: Vec<&str> = saved.groups.iter().map(|g| g.name.as_str()).collect();
        let old_format = saved.groups.is_empty();
        if !old_format && ours != theirs {
            return Err(mismatch(format!(
                "the state was saved with parameter groups {}, this optimizer has {}",
                names(theirs),
                names(ours)
            )));
        }
        self.slots.clear();
        self.pending = saved.params.clone();
        self.steps = saved.steps;
        self.rates[0].base_lr = saved.base_lr;
        if old_format {
            for (g, rate) in self.groups.iter().zip(&mut self.rates[1..]) {
                rate.base_lr = g.base_lr(saved.base_lr);
            }
            self.refresh_ratios();
            self.set_lr(saved.lr);
        } else {
            for (saved, rate) in saved.groups.iter().zip(&mut self.rates[1..]) {
                rate.base_lr = saved.base_lr;
                rate.step.lr = saved.lr;
            }
            self.rates[0].step.lr = saved.lr;
            self.refresh_ratios();
        }
        Ok(())
    }
}
