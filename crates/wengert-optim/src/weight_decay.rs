//! Weight decay, the two ways PyTorch users know it.
//!
//! - **Coupled (L2)**: the gradient of `wd/2 * ||x||^2` is added to the
//!   gradient before anything else, `g <- g + wd * x`. This is what
//!   `weight_decay=` means for PyTorch's SGD, Adagrad, RMSprop, Adadelta and
//!   Adam. For plain SGD it is the same as shrinking the weights; for
//!   adaptive methods it is not, because the decay term is divided by the
//!   same running scale as the gradient (Loshchilov & Hutter, "Decoupled
//!   Weight Decay Regularization", ICLR 2019).
//! - **Decoupled**: the weights shrink first, `x <- x * (1 - lr * wd)`, then
//!   the optimizer takes its step on the plain gradient. This is AdamW.

/// How an optimizer applies weight decay.
///
/// ```
/// use wengert_optim::{Adam, AdamConfig, WeightDecay};
/// // Adam with coupled L2, as torch.optim.Adam(weight_decay=0.1):
/// let adam: Adam<f64> = AdamConfig::new(0.1).weight_decay(WeightDecay::L2(0.1)).build();
/// // The same coefficient, decoupled, is AdamW:
/// let adamw: Adam<f64> = AdamConfig::new(0.1).weight_decay(WeightDecay::Decoupled(0.1)).build();
/// # let _ = (adam, adamw);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum WeightDecay {
    /// No decay.
    #[default]
    None,
    /// Coupled L2: `g <- g + wd * x` before the update (PyTorch's
    /// `weight_decay=` on every optimizer but AdamW).
    L2(f64),
    /// Decoupled: `x <- x * (1 - lr * wd)` before the update on the plain
    /// gradient (AdamW, `decoupled_weight_decay=True`).
    Decoupled(f64),
}

impl WeightDecay {
    /// The coefficient `wd` (0 for [`WeightDecay::None`]).
    pub fn coefficient(self) -> f64 {
        match self {
            WeightDecay::None => 0.0,
            WeightDecay::L2(wd) | WeightDecay::Decoupled(wd) => wd,
        }
    }

    /// The same kind of decay with another coefficient. A parameter group's
    /// override uses it; on [`WeightDecay::None`] a coefficient means coupled
    /// L2, which is what PyTorch's `weight_decay` in a group means.
    pub fn with_coefficient(self, wd: f64) -> WeightDecay {
        match self {
            WeightDecay::None | WeightDecay::L2(_) => WeightDecay::L2(wd),
            WeightDecay::Decoupled(_) => WeightDecay::Decoupled(wd),
        }
    }

    /// The coefficient to add to the gradient (`wd` for coupled L2, else 0).
    pub(crate) fn coupled(self) -> f64 {
        match self {
            WeightDecay::L2(wd) => wd,
            _ => 0.0,
        }
    }

    /// The coefficient of the shrinking before the step (`wd` when
    /// decoupled, else 0).
    pub(crate) fn decoupled(self) -> f64 {
        match self {
            WeightDecay::Decoupled(wd) => wd,
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_override_keeps_the_kind_and_none_becomes_l2() {
        assert_eq!(
            WeightDecay::Decoupled(0.1).with_coefficient(0.0),
            WeightDecay::Decoupled(0.0)
        );
        assert_eq!(
            WeightDecay::None.with_coefficient(0.2),
            WeightDecay::L2(0.2)
        );
        assert_eq!(WeightDecay::L2(0.3).coupled(), 0.3);
        assert_eq!(WeightDecay::L2(0.3).decoupled(), 0.0);
        assert_eq!(WeightDecay::Decoupled(0.3).decoupled(), 0.3);
    }
}
