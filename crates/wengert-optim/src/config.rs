//! What every optimizer's settings share, written once: the learning rate,
//! weight decay and parameter groups ([`CommonSettings`], embedded in each
//! `FooConfig`), their range checks, the builder methods, and the one build
//! path ([`checked_driver`]) that checks a config and makes the
//! [`StepDriver`] its optimizer steps with.
//!
//! An optimizer declares its own settings as a table with
//! [`optimizer_config!`]: each setting's doc, type, PyTorch default and
//! range rule. From that one table come the `FooConfig` struct, its builder
//! methods, the checks, and the `Foo` struct that holds the checked
//! settings next to its driver. What is left to write by hand is the
//! update equation (`impl Optimizer for Foo`) and the state.

use wengert_tensor::Float;

use crate::driver::StepDriver;
use crate::error::{Result, SettingChecks};
use crate::param_groups::ParamGroup;
use crate::state::BufferState;
use crate::weight_decay::WeightDecay;

/// The settings every optimizer has.
#[derive(Clone, Debug)]
pub(crate) struct CommonSettings {
    /// The learning rate the optimizer is built with (its base rate).
    pub(crate) lr: f64,
    pub(crate) weight_decay: WeightDecay,
    pub(crate) groups: Vec<ParamGroup>,
    /// Step up the gradient (PyTorch's `maximize`).
    pub(crate) maximize: bool,
}

/// The per-group overrides an optimizer reads beyond the learning rate and
/// weight decay, which every optimizer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupExtras {
    /// None (AdaGrad, AdaDelta).
    Nothing,
    /// `momentum` (SGD, RMSprop).
    Momentum,
    /// `betas` (Adam, AdamW).
    Betas,
}

impl CommonSettings {
    /// Learning rate `lr`, no weight decay, no groups, minimizing.
    pub(crate) fn new(lr: f64) -> Self {
        CommonSettings {
            lr,
            weight_decay: WeightDecay::None,
            groups: Vec::new(),
            maximize: false,
        }
    }

    /// The rules of the common settings, in the optimizer's name; `extras`
    /// says which group overrides beyond rate and decay it reads.
    fn check(&self, check: &SettingChecks, extras: GroupExtras) -> Result<()> {
        check.learning_rate("learning rate", self.lr)?;
        check.weight_decay(self.weight_decay)?;
        for g in &self.groups {
            let setting = |what: &str| format!("group `{}`: {what}", g.name());
            match g.lr_override() {
                Some(lr) => check.learning_rate(&setting("lr"), lr)?,
                None => {
                    if !(g.scale().is_finite() && g.scale() >= 0.0) {
                        return Err(check.invalid(format!(
                            "{} must be finite and >= 0, got {}",
                            setting("lr scale"),
                            g.scale()
                        )));
                    }
                }
            }
            if let Some(wd) = g.weight_decay_override() {
                check.weight_decay(self.weight_decay.with_coefficient(wd))?;
            }
            let refuse = |what: &str| {
                Err(check.invalid(format!(
                    "{} is set, but {} has no {what} (groups of it may set lr and weight_decay{})",
                    setting(what),
                    check.op(),
                    match extras {
                        GroupExtras::Nothing => "",
                        GroupExtras::Momentum => " and momentum",
                        GroupExtras::Betas => " and betas",
                    }
                )))
            };
            if let Some(m) = g.momentum_override() {
                if extras != GroupExtras::Momentum {
                    return refuse("momentum");
                }
                check.momentum_factor(&setting("momentum"), m)?;
            }
            if let Some((beta1, beta2)) = g.betas_override() {
                if extras != GroupExtras::Betas {
                    return refuse("betas");
                }
                check.below_one(&setting("beta1"), beta1)?;
                check.below_one(&setting("beta2"), beta2)?;
            }
        }
        Ok(())
    }
}

/// The one build path, after a config's own settings passed their checks:
/// the common settings are checked, then the driver is made.
pub(crate) fn checked_driver<T: Float, S: BufferState<T>>(
    check: &SettingChecks,
    settings: &CommonSettings,
    extras: GroupExtras,
) -> Result<StepDriver<T, S>> {
    settings.check(check, extras)?;
    Ok(StepDriver::new(check.op(), settings))
}

/// Declares an optimizer's config and optimizer structs from the table of
/// its own settings:
///
/// ```text
/// optimizer_config! {
///     /// (the config's docs)
///     pub struct SgdConfig {
///         /// Momentum factor in `[0, 1)` (0: none).
///         momentum: f64 = 0.0, below_one;      // builder method, default, rule
///         nesterov: bool = false;              // no rule
///     }
///     fixed { beta1: f64 = 0.9, below_one; } // optional: settings without a
///                                             // one-value builder method
///     /// (the optimizer's docs)
///     pub struct Sgd<T> with SgdState<T>, named "SGD";
///     // optional: `named "Adam" or "AdamW" when decoupled;`
///     groups may set Momentum;               // optional: a `GroupExtras`
///     also check nesterov_rule;              // optional: a rule of its own
/// }
/// ```
///
/// A rule is a method of `SettingChecks` (`below_one`, `at_most_one`,
/// `non_negative`, `momentum_factor`, ...); an `also check` method is
/// `fn(&self, &SettingChecks) -> Result<()>` on the config; `groups may
/// set` names the [`GroupExtras`] the optimizer reads (default: nothing
/// beyond rate and decay). Generated: both structs (the config embeds
/// [`CommonSettings`]; the optimizer holds the settings under the same
/// names and its driver), `FooConfig::with_lr(lr)` with the defaults (each
/// config writes its own `new`), one builder method per setting,
/// `weight_decay`, `maximize`, `group`, `try_build` (fixed settings'
/// rules, then the others' in table order, then `also check`, then the
/// common settings), `build`, and `Foo::state_of`.
macro_rules! optimizer_config {
    (
        $(#[$config_doc:meta])*
        pub struct $config:ident {
            $(
                $(#[$doc:meta])*
                $field:ident: $ty:ty = $default:expr $(, $rule:ident)?;
            )*
        }
        $(fixed {
            $(
                $(#[$fixed_doc:meta])*
                $fixed:ident: $fixed_ty:ty = $fixed_default:expr $(, $fixed_rule:ident)?;
            )*
        })?
        $(#[$optimizer_doc:meta])*
        pub struct $optimizer:ident<T> with $state:ident<T>,
            named $name:literal $(or $decoupled_name:literal when decoupled)?;
        $(groups may set $extras:ident;)?
        $(also check $extra:ident;)?
    ) => {
        $(#[$config_doc])*
        #[derive(Clone, Debug)]
        pub struct $config {
            common: $crate::config::CommonSettings,
            $($($(#[$fixed_doc])* $fixed: $fixed_ty,)*)?
            $($(#[$doc])* $field: $ty,)*
        }

        impl $config {
            /// Learning rate `lr`, every other setting at its default.
            fn with_lr(lr: f64) -> Self {
                $config {
                    common: $crate::config::CommonSettings::new(lr),
                    $($($fixed: $fixed_default,)*)?
                    $($field: $default,)*
                }
            }

            $crate::config::builder_setters! {
                $($(#[$doc])* $field: $ty;)*
            }

            /// Weight decay: [`WeightDecay::L2`](crate::WeightDecay::L2) is
            /// PyTorch's `weight_decay=` (added to the gradient),
            /// [`WeightDecay::Decoupled`](crate::WeightDecay::Decoupled)
            /// shrinks the weights before the step (AdamW's decay).
            pub fn weight_decay(mut self, weight_decay: $crate::WeightDecay) -> Self {
                self.common.weight_decay = weight_decay;
                self
            }

            /// Steps up the gradient instead of down, to maximize the
            /// objective (PyTorch's `maximize`, default false): the
            /// gradient is negated before anything else, weight decay
            /// included.
            pub fn maximize(mut self, maximize: bool) -> Self {
                self.common.maximize = maximize;
                self
            }

            /// Adds a parameter group (first match wins).
            pub fn group(mut self, group: $crate::ParamGroup) -> Self {
                self.common.groups.push(group);
                self
            }

            /// Builds the optimizer, checking the settings; an error names
            /// the optimizer, the setting and its value.
            pub fn try_build<T: wengert_tensor::Float>(self) -> $crate::Result<$optimizer<T>> {
                #[allow(unused_variables)]
                let decoupled = matches!(
                    self.common.weight_decay,
                    $crate::WeightDecay::Decoupled(_)
                );
                let name: &'static str = $name;
                $(let name = if decoupled { $decoupled_name } else { name };)?
                let check = $crate::error::SettingChecks::new(name);
                $($($(check.$fixed_rule(stringify!($fixed), self.$fixed)?;)?)*)?
                $($(check.$rule(stringify!($field), self.$field)?;)?)*
                $(self.$extra(&check)?;)?
                #[allow(unused_variables)]
                let extras = $crate::config::GroupExtras::Nothing;
                $(let extras = $crate::config::GroupExtras::$extras;)?
                let driver = $crate::config::checked_driver(&check, &self.common, extras)?;
                Ok($optimizer {
                    $($($fixed: self.$fixed,)*)?
                    $($field: self.$field,)*
                    driver,
                })
            }

            #[doc = concat!("Panicking form of [`", stringify!($config), "::try_build`].")]
            #[track_caller]
            pub fn build<T: wengert_tensor::Float>(self) -> $optimizer<T> {
                self.try_build().unwrap_or_else(|e| panic!("{e}"))
            }
        }

        $(#[$optimizer_doc])*
        #[derive(Clone, Debug)]
        pub struct $optimizer<T: wengert_tensor::Float> {
            $($($fixed: $fixed_ty,)*)?
            $($field: $ty,)*
            driver: $crate::driver::StepDriver<T, $state<T>>,
        }

        impl<T: wengert_tensor::Float> $optimizer<T> {
            /// The state of one parameter, if it has been stepped.
            pub fn state_of(&self, id: wengert_tensor::ParamId) -> Option<&$state<T>> {
                self.driver.state_of(id)
            }
        }
    };
}

pub(crate) use optimizer_config;

/// Builder methods that set one field each, `fn field(mut self, field: Ty)
/// -> Self`, with the docs given; for configs and schedules alike. A
/// setting with a `where` rule panics, naming the type, the setting, the
/// allowed range and the value, unless the rule holds:
///
/// ```text
/// builder_setters! {
///     /// Cosine (default) or linear phases.
///     anneal: Anneal;
///     /// Fraction of the steps spent rising. # Panics ...
///     pct_start: f64 where pct_start > 0.0 && pct_start < 1.0 => "(0, 1)";
/// }
/// ```
macro_rules! builder_setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty $(where $ok:expr => $range:literal)?;)*) => {
        $(
            $(#[$doc])*
            #[track_caller]
            pub fn $field(mut self, $field: $ty) -> Self {
                $($crate::config::require_setting::<Self>($ok, stringify!($field), $range, $field);)?
                self.$field = $field;
                self
            }
        )*
    };
}

pub(crate) use builder_setters;

/// Panics unless `ok`: "`Type`: `name` must be in `range`, got `value`".
#[track_caller]
pub(crate) fn require_setting<S>(ok: bool, name: &str, range: &str, value: impl std::fmt::Display) {
    let owner = std::any::type_name::<S>()
        .rsplit("::")
        .next()
        .unwrap_or("?");
    assert!(ok, "{owner}: {name} must be in {range}, got {value}");
}
