//! AdamW: Adam with decoupled weight decay (Loshchilov & Hutter,
//! "Decoupled Weight Decay Regularization", ICLR 2019).
//!
//! ```text
//! x <- x * (1 - lr * wd)        then the Adam step on the plain gradient
//! ```
//!
//! The decay no longer passes through Adam's per-coordinate scaling, so
//! every weight shrinks at the same relative rate whatever its gradient
//! history. It is [`crate::Adam`] with [`crate::WeightDecay::Decoupled`]; this
//! config only carries PyTorch's AdamW defaults (weight decay 0.01).

use wengert_tensor::Float;

use crate::adam::{Adam, AdamConfig};
use crate::error::Result;
use crate::param_groups::ParamGroup;

/// Builder methods of `AdamWConfig` that set the same setting of the
/// `AdamConfig` inside.
macro_rules! forward_to_adam {
    ($($(#[$doc:meta])* $method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            $(#[$doc])*
            pub fn $method(mut self, $($arg: $ty),*) -> Self {
                self.adam = self.adam.$method($($arg),*);
                self
            }
        )*
    };
}

/// Settings of AdamW; PyTorch: `torch.optim.AdamW(params, lr=1e-3,
/// betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
/// maximize=False)`. Builds an [`Adam`] whose name is `"AdamW"`; every
/// method forwards to the [`AdamConfig`] inside, with the decay fixed to
/// decoupled. Its PyTorch options are [`AdamConfig`]'s.
///
/// ```
/// use wengert_optim::{AdamWConfig, Optimizer};
/// let opt = AdamWConfig::new(1e-3).weight_decay(0.05).build::<f32>();
/// assert_eq!(opt.name(), "AdamW");
/// ```
#[derive(Clone, Debug)]
pub struct AdamWConfig {
    adam: AdamConfig,
}

impl AdamWConfig {
    /// AdamW with learning rate `lr` and PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        AdamWConfig {
            adam: AdamConfig::new(lr).decoupled_weight_decay(1e-2),
        }
    }

    forward_to_adam! {
        /// Decay rates of the first and second moment averages.
        betas(beta1: f64, beta2: f64);
        /// Added to the bias-corrected square root (default 1e-8).
        eps(eps: f64);
        /// AMSGrad's running maximum of `v`.
        amsgrad(amsgrad: bool);
        /// Steps up the gradient, to maximize the objective (PyTorch's
        /// `maximize`).
        maximize(maximize: bool);
        /// Adds a parameter group (first match wins).
        group(group: ParamGroup);
    }

    /// The decoupled decay coefficient (default 0.01).
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.adam = self.adam.decoupled_weight_decay(wd);
        self
    }

    /// Builds the optimizer, checking the settings.
    pub fn try_build<T: Float>(self) -> Result<Adam<T>> {
        self.adam.try_build()
    }

    /// Panicking form of [`AdamWConfig::try_build`].
    #[track_caller]
    pub fn build<T: Float>(self) -> Adam<T> {
        self.adam.build()
    }
}
