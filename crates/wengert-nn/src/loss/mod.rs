//! Loss functions, composed of `Var` ops (so gradients of every order come
//! from the ops' rules), with PyTorch's reductions and options.
//!
//! - regression (`regression.rs`): [`mse_loss`], [`l1_loss`], [`huber_loss`];
//!   they refuse to broadcast input against target, on purpose (see
//!   [`try_mse_loss`]);
//! - classification: [`cross_entropy`] (`cross_entropy.rs`) and
//!   [`nll_loss`] (`nll.rs`), with per-class `weight`, `ignore_index`,
//!   label smoothing, K-dimensional `[N, C, d1, ...]` and unbatched `[C]`
//!   scores ([`cross_entropy_with`], [`nll_loss_with`]) and
//!   class-probability targets ([`cross_entropy_probs`]), sharing their
//!   checks and reduction (`class_targets.rs`); [`bce_with_logits`]
//!   (`bce.rs`) with `weight` and `pos_weight` ([`bce_with_logits_with`]).
//!
//! The plain forms (`cross_entropy(logits, targets, reduction)`) take
//! PyTorch's defaults; the `_with` forms take an options struct named
//! after the loss, whose fields are PyTorch's keyword arguments, and whose
//! doc lists which of PyTorch's options exist and which do not.
//!
//! Each has a `try_` form returning [`crate::NnError`] and a panicking form
//! with the same message.

mod bce;
mod class_targets;
mod cross_entropy;
mod nll;
mod regression;

pub use bce::{
    bce_with_logits, bce_with_logits_with, try_bce_with_logits, try_bce_with_logits_with,
    BceWithLogitsOptions,
};
pub use cross_entropy::{
    cross_entropy, cross_entropy_probs, cross_entropy_smoothed, cross_entropy_with,
    try_cross_entropy, try_cross_entropy_probs, try_cross_entropy_smoothed, try_cross_entropy_with,
    CrossEntropyOptions,
};
pub use nll::{nll_loss, nll_loss_with, try_nll_loss, try_nll_loss_with, NllLossOptions};
pub use regression::{huber_loss, l1_loss, mse_loss, try_huber_loss, try_l1_loss, try_mse_loss};

use wengert_tensor::{Float, Var};

/// How per-element (or per-sample) losses are combined, as PyTorch's
/// `reduction` argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean (PyTorch's default).
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// No reduction: one loss per element (or per sample).
    None,
}

impl Reduction {
    /// Applies the reduction to a tensor of losses.
    pub fn apply<'t, T: Float>(self, losses: Var<'t, T>) -> Var<'t, T> {
        match self {
            Reduction::Mean => losses.mean(),
            Reduction::Sum => losses.sum(),
            Reduction::None => losses,
        }
    }
}
