//! Gradient clipping: a remedy for exploding gradients (the text's RNN
//! chapter), by global norm or by value, with a check that names the
//! parameter whose gradient went NaN or infinite.
//!
//! Clipping by norm rescales every gradient by the same factor, so the
//! direction of the whole update is kept and only its length is capped:
//!
//! ```text
//! total = sqrt(sum over parameters of ||g_p||^2)
//! g_p  <- g_p * min(max_norm / (total + 1e-6), 1)
//! ```
//!
//! as PyTorch's `torch.nn.utils.clip_grad_norm_`, which multiplies even
//! when the factor is 1 and returns `total` as it was before clipping.
//! [`clip_grad_norm_p`] takes PyTorch's `norm_type`: the global p-norm
//! `(sum |g|^p)^(1/p)` for any `p > 0`, `1` for the sum of magnitudes,
//! `f64::INFINITY` for the largest magnitude.
//! Clipping by value clamps each element to `[-clip, clip]`
//! (`clip_grad_value_`), which can change the direction.

use std::collections::BTreeMap;

use wengert_tensor::{Float, Grads, Param, ParamId, Parameters};

use crate::error::{OptimError, Result};

/// Names of parameters by id, so an error about a gradient can say which
/// parameter it belongs to ([`Grads`] only knows ids).
///
/// ```
/// use wengert_optim::ParamNames;
/// use wengert_tensor::{Param, Tensor};
/// let w = Param::new("fc.weight", Tensor::<f32>::zeros(&[2]));
/// let names = ParamNames::of(&[&w]);
/// assert_eq!(names.name(w.id()), "fc.weight");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamNames {
    names: BTreeMap<ParamId, String>,
}

impl ParamNames {
    /// No names.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of these parameters.
    pub fn of<T: Float>(params: &[&Param<T>]) -> Self {
        let mut names = Self::new();
        for p in params {
            names.insert(p.id(), p.name());
        }
        names
    }

    /// The full names a model gives its parameters (`fc1.weight`).
    pub fn of_model<T: Float>(model: &dyn Parameters<T>) -> Self {
        let mut names = Self::new();
        model.visit_params(&mut |name, p| names.insert(p.id(), name));
        names
    }

    /// Records one name.
    pub fn insert(&mut self, id: ParamId, name: impl Into<String>) {
        self.names.insert(id, name.into());
    }

    /// The name of `id`, or `ParamId(n)` when it has none.
    pub fn name(&self, id: ParamId) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("ParamId({})", id.as_u64()))
    }
}

/// The global 2-norm of all parameter gradients, summed in parameter-id
/// order in f64 (the same value every run).
///
/// ```
/// use wengert_optim::grad_norm;
/// use wengert_tensor::{Grads, ParamId, Tensor};
/// let mut grads = Grads::new();
/// grads.insert(ParamId::fresh(), Tensor::from_vec(vec![3.0f32], &[1]));
/// grads.insert(ParamId::fresh(), Tensor::from_vec(vec![4.0f32], &[1]));
/// assert_eq!(grad_norm(&grads), 5.0);
/// ```
pub fn grad_norm<T: Float>(grads: &Grads<T>) -> f64 {
    grads
        .iter()
        .map(|(_, g)| {
            g.values()
                .iter()
                .map(|&x| x.to_f64() * x.to_f64())
                .sum::<f64>()
        })
        .sum::<f64>()
        .sqrt()
}

/// The first non-finite gradient element, as an error naming the parameter.
fn check_finite<T: Float>(op: &'static str, grads: &Grads<T>, names: &ParamNames) -> Result<()> {
    for (id, g) in grads.iter() {
        if let Some((index, &value)) = g.values().iter().enumerate().find(|(_, x)| !x.is_finite()) {
            // A name given by the caller, else the one the tape bound.
            let param = match (names.names.get(&id), grads.name_of(id)) {
                (Some(name), _) => name.clone(),
                (None, Some(bound)) => bound.to_string(),
                (None, None) => names.name(id),
            };
            return Err(OptimError::NonFiniteGradient {
                op,
                param,
                index,
                value: value.to_f64(),
            });
        }
    }
    Ok(())
}

/// The global p-norm of all parameter gradients, PyTorch's `norm_type`:
/// `(sum |g|^p)^(1/p)` over every element for `0 < p < inf` (2 is
/// [`grad_norm`], 1 the sum of magnitudes), the largest magnitude for
/// `f64::INFINITY`. Summed in parameter-id order in f64.
///
/// ```
/// use wengert_optim::grad_norm_p;
/// use wengert_tensor::{Grads, ParamId, Tensor};
/// let mut grads = Grads::new();
/// grads.insert(ParamId::fresh(), Tensor::from_vec(vec![3.0f64, -4.0], &[2]));
/// grads.insert(ParamId::fresh(), Tensor::from_vec(vec![1.0f64], &[1]));
/// assert_eq!(grad_norm_p(&grads, 1.0).unwrap(), 8.0);
/// assert_eq!(grad_norm_p(&grads, f64::INFINITY).unwrap(), 4.0);
/// assert!(grad_norm_p(&grads, 0.0).is_err());
/// ```
pub fn grad_norm_p<T: Float>(grads: &Grads<T>, norm_type: f64) -> Result<f64> {
    check_norm_type("grad_norm_p", norm_type)?;
    Ok(p_norm(grads, norm_type))
}

/// `norm_type` must name a norm: `p > 0`, finite or infinite.
fn check_norm_type(op: &'static str, norm_type: f64) -> Result<()> {
    if norm_type > 0.0 {
        return Ok(());
    }
    Err(OptimError::InvalidHyperparameter {
        op,
        why: format!(
            "norm_type must be > 0 (a p-norm, or f64::INFINITY for the largest magnitude), got {norm_type}. PyTorch also takes 0 (the count of non-zero elements) and negative p (down to -inf, the smallest magnitude); they are not norms, and a clipping threshold on them has no meaning, so wengert refuses them"
        ),
    })
}

/// The p-norm for a checked `norm_type`.
fn p_norm<T: Float>(grads: &Grads<T>, p: f64) -> f64 {
    // `fold(init, f)` over every element's magnitude, in f64.
    let fold = |init: f64, f: &dyn Fn(f64, f64) -> f64| {
        grads.iter().fold(init, |acc, (_, g)| {
            g.values()
                .iter()
                .fold(acc, |acc, &x| f(acc, x.to_f64().abs()))
        })
    };
    if p == 2.0 {
        grad_norm(grads)
    } else if p == 1.0 {
        fold(0.0, &|acc, a| acc + a)
    } else if p == f64::INFINITY {
        fold(0.0, &f64::max)
    } else {
        fold(0.0, &|acc, a| acc + a.powf(p)).powf(1.0 / p)
    }
}

/// Rescales all gradients so their global norm is at most `max_norm`, and
/// returns the norm before clipping. A NaN or infinite gradient element is
/// an error naming the parameter by id (see [`clip_grad_norm_named`] for
/// names); the gradients are then left unchanged.
///
/// PyTorch: `torch.nn.utils.clip_grad_norm_(params, max_norm,
/// error_if_nonfinite=True)`; [`clip_grad_norm_p`] takes its `norm_type`.
///
/// ```
/// use wengert_optim::clip_grad_norm;
/// use wengert_tensor::{Grads, ParamId, Tensor};
/// let id = ParamId::fresh();
/// let mut grads = Grads::new();
/// grads.insert(id, Tensor::from_vec(vec![3.0f64, 4.0], &[2]));
/// let norm = clip_grad_norm(&mut grads, 1.0).unwrap();
/// assert_eq!(norm, 5.0);
/// let g = grads.by_id(id).unwrap().to_vec();
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm<T: Float>(grads: &mut Grads<T>, max_norm: f64) -> Result<f64> {
    clip_grad_norm_named(grads, max_norm, &ParamNames::new())
}

/// [`clip_grad_norm`] whose errors name parameters by `names`.
pub fn clip_grad_norm_named<T: Float>(
    grads: &mut Grads<T>,
    max_norm: f64,
    names: &ParamNames,
) -> Result<f64> {
    clip_by_norm("clip_grad_norm", grads, max_norm, 2.0, names)
}

/// [`clip_grad_norm`] with PyTorch's `norm_type`: the global p-norm for
/// any `p > 0` ([`grad_norm_p`]), `f64::INFINITY` for the largest
/// magnitude. Returns that norm before clipping.
///
/// PyTorch: `torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type,
/// error_if_nonfinite=True)`. `norm_type` 0 or below is refused (PyTorch
/// takes them; they are not norms).
///
/// ```
/// use wengert_optim::clip_grad_norm_p;
/// use wengert_tensor::{Grads, ParamId, Tensor};
/// let id = ParamId::fresh();
/// let mut grads = Grads::new();
/// grads.insert(id, Tensor::from_vec(vec![3.0f64, -4.0], &[2]));
/// // The largest magnitude, 4, is brought down to 2: every element halves.
/// let norm = clip_grad_norm_p(&mut grads, 2.0, f64::INFINITY).unwrap();
/// assert_eq!(norm, 4.0);
/// let g = grads.by_id(id).unwrap().to_vec();
/// assert!((g[0] - 1.5).abs() < 1e-6 && (g[1] + 2.0).abs() < 1e-6);
/// ```
pub fn clip_grad_norm_p<T: Float>(
    grads: &mut Grads<T>,
    max_norm: f64,
    norm_type: f64,
) -> Result<f64> {
    clip_grad_norm_p_named(grads, max_norm, norm_type, &ParamNames::new())
}

/// [`clip_grad_norm_p`] whose errors name parameters by `names`.
pub fn clip_grad_norm_p_named<T: Float>(
    grads: &mut Grads<T>,
    max_norm: f64,
    norm_type: f64,
    names: &ParamNames,
) -> Result<f64> {
    clip_by_norm("clip_grad_norm_p", grads, max_norm, norm_type, names)
}

/// Clipping by the `norm_type` norm, in the name of `op`.
fn clip_by_norm<T: Float>(
    op: &'static str,
    grads: &mut Grads<T>,
    max_norm: f64,
    norm_type: f64,
    names: &ParamNames,
) -> Result<f64> {
    if !(max_norm.is_finite() && max_norm > 0.0) {
        return Err(OptimError::InvalidHyperparameter {
            op,
            why: format!("max_norm must be finite and > 0, got {max_norm}"),
        });
    }
    check_norm_type(op, norm_type)?;
    check_finite(op, grads, names)?;
    let total = p_norm(grads, norm_type);
    // 1e-6 keeps the division finite for a zero gradient; the factor is
    // applied even when it is 1, as PyTorch does.
    let factor = T::from_f64((max_norm / (total + 1e-6)).min(1.0));
    for (_, g) in grads.iter_mut() {
        g.data_mut().iter_mut().for_each(|x| *x *= factor);
    }
    Ok(total)
}

/// Clamps every gradient element to `[-clip_value, clip_value]`. A NaN or
/// infinite element is an error naming the parameter by id (see
/// [`clip_grad_value_named`]); the gradients are then left unchanged.
///
/// PyTorch: `torch.nn.utils.clip_grad_value_(params, clip_value)`.
///
/// ```
/// use wengert_optim::clip_grad_value;
/// use wengert_tensor::{Grads, ParamId, Tensor};
/// let id = ParamId::fresh();
/// let mut grads = Grads::new();
/// grads.insert(id, Tensor::from_vec(vec![-3.0f32, 0.2, 4.0], &[3]));
/// clip_grad_value(&mut grads, 0.5).unwrap();
/// assert_eq!(grads.by_id(id).unwrap().to_vec(), vec![-0.5, 0.2, 0.5]);
/// ```
pub fn clip_grad_value<T: Float>(grads: &mut Grads<T>, clip_value: f64) -> Result<()> {
    clip_grad_value_named(grads, clip_value, &ParamNames::new())
}

/// [`clip_grad_value`] whose errors name parameters by `names`.
pub fn clip_grad_value_named<T: Float>(
    grads: &mut Grads<T>,
    clip_value: f64,
    names: &ParamNames,
) -> Result<()> {
    const OP: &str = "clip_grad_value";
    if clip_value.is_nan() || clip_value < 0.0 {
        return Err(OptimError::InvalidHyperparameter {
            op: OP,
            why: format!("clip_value must be >= 0, got {clip_value}"),
        });
    }
    check_finite(OP, grads, names)?;
    let hi = T::from_f64(clip_value);
    let lo = -hi;
    for (_, g) in grads.iter_mut() {
        g.data_mut().iter_mut().for_each(|x| *x = x.max(lo).min(hi));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::Tensor;

    #[test]
    fn non_finite_gradient_names_the_parameter_and_element() {
        let w = Param::new("encoder.weight", Tensor::<f32>::zeros(&[3]));
        let mut grads = Grads::new();
        grads.insert(w.id(), Tensor::from_vec(vec![1.0, f32::NAN, 2.0], &[3]));
        let before = grads.clone();
        let names = ParamNames::of(&[&w]);
        let err = clip_grad_norm_named(&mut grads, 1.0, &names)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("encoder.weight") && err.contains("element 1"),
            "{err}"
        );
        let err = clip_grad_value_named(&mut grads, 1.0, &names)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("encoder.weight") && err.contains("NaN"),
            "{err}"
        );
        // Unchanged on error (compare bit patterns: NaN != NaN).
        let bits = |g: &Grads<f32>| {
            g.by_id(w.id())
                .unwrap()
                .to_vec()
                .iter()
                .map(|x| x.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&grads), bits(&before));
    }

    #[test]
    fn infinite_gradient_without_names_reports_the_id() {
        let id = ParamId::fresh();
        let mut grads = Grads::new();
        grads.insert(id, Tensor::from_vec(vec![f64::NEG_INFINITY], &[1]));
        let err = clip_grad_norm(&mut grads, 1.0).unwrap_err().to_string();
        assert!(
            err.contains(&format!("ParamId({})", id.as_u64())) && err.contains("-inf"),
            "{err}"
        );
    }

    #[test]
    fn small_gradients_are_scaled_by_a_factor_just_below_one() {
        // total 0.5 < max_norm 1: factor min(1 / (0.5 + 1e-6), 1) = 1.
        let id = ParamId::fresh();
        let mut grads = Grads::new();
        grads.insert(id, Tensor::from_vec(vec![0.3f64, 0.4], &[2]));
        assert_eq!(clip_grad_norm(&mut grads, 1.0).unwrap(), 0.5);
        assert_eq!(grads.by_id(id).unwrap().to_vec(), vec![0.3, 0.4]);
        // total 5 > 1: factor 1 / (5 + 1e-6).
        grads.insert(id, Tensor::from_vec(vec![3.0f64, 4.0], &[2]));
        clip_grad_norm(&mut grads, 1.0).unwrap();
        let f = 1.0 / (5.0 + 1e-6);
        assert_eq!(grads.by_id(id).unwrap().to_vec(), vec![3.0 * f, 4.0 * f]);
    }
}
