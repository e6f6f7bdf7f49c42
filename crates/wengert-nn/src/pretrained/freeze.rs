//! Freezing everything but a few named layers: the usual fine-tuning
//! set-up for a model that is not a [`crate::Sequential`] (where
//! [`crate::Sequential::freeze_first`] counts layers instead).

use wengert_tensor::Float;

use crate::error::{NnError, Result};
use crate::module::{name_is_under, Module};

/// Freezes every parameter of `model` except those named in `trainable` or
/// under a layer named there (`"head"` keeps `head.weight` and `head.bias`
/// trainable), and returns how many parameters stay trainable.
///
/// Every name is checked before anything changes: a name that matches no
/// parameter is an error listing the model's parameters, and the model is
/// left as it was (freezing everything and then unfreezing by hand would
/// leave a typo with a fully frozen model).
///
/// PyTorch: `for p in model.parameters(): p.requires_grad = False`, then
/// `True` for the head's.
///
/// ```
/// use wengert_nn::{freeze_all_except, Linear, Module, ReLU, Sequential};
/// use wengert_tensor::seeded_rng;
/// let mut rng = seeded_rng(0);
/// let mut model = Sequential::<f32>::new()
///     .with(Linear::new(4, 8, &mut rng))
///     .with(ReLU)
///     .with(Linear::new(8, 3, &mut rng));
/// assert_eq!(freeze_all_except(&mut model, &["2"]).unwrap(), 2);
/// assert_eq!(model.num_trainable_params(), 8 * 3 + 3);
///
/// let err = freeze_all_except(&mut model, &["3"]).unwrap_err();
/// assert!(err.to_string().contains("no parameter or layer named `3`"));
/// assert_eq!(model.num_trainable_params(), 8 * 3 + 3); // unchanged
/// ```
pub fn freeze_all_except<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    trainable: &[&str],
) -> Result<usize> {
    let names = model.param_names();
    if let Some(unknown) = trainable
        .iter()
        .find(|t| !names.iter().any(|n| name_is_under(n, t)))
    {
        return Err(NnError::UnknownName {
            name: unknown.to_string(),
            known: names.join(", "),
        });
    }
    let mut kept = 0;
    model.visit_params_mut(&mut |name, p| {
        let keep = trainable.iter().any(|t| name_is_under(name, t));
        p.set_frozen(!keep);
        kept += usize::from(keep);
    });
    Ok(kept)
}
