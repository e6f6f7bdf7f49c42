//! Loss functions, composed of `Var` ops (so gradients of every order come
//! from the ops' rules), with PyTorch's reductions.
//!
//! - regression (`regression.rs`): [`mse_loss`], [`l1_loss`], [`huber_loss`];
//! - classification (`classification.rs`): [`cross_entropy`] (with label
//!   smoothing), [`nll_loss`], [`bce_with_logits`].
//!
//! Each has a `try_` form returning [`crate::NnError`] and a panicking form
//! with the same message.

mod classification;
mod regression;

pub use classification::{
    bce_with_logits, cross_entropy, cross_entropy_smoothed, nll_loss, try_bce_with_logits,
    try_cross_entropy, try_cross_entropy_smoothed, try_nll_loss,
};
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
