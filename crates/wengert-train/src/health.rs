//! Gradient health: per-layer gradient norms and update-to-weight ratios,
//! and warnings naming the layer when gradients vanish or explode (the
//! text's deep sigmoid networks, whose first layers stop learning).
//!
//! A layer is a module path: a parameter's full name without its last part
//! (`features.0.weight` belongs to `features.0`). Layers are ordered as the
//! model lists them, which for the usual models is input to output, so "the
//! first layer" is the one nearest the input.

use std::collections::BTreeMap;

use wengert_tensor::{Float, Grads, Parameters, Tensor};

/// When and how gradient health is measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthConfig {
    /// Measure at the last step of each epoch (`None`), or every this many
    /// steps (the last measurement of an epoch goes in its record).
    pub every_steps: Option<usize>,
    /// Warn that gradients vanish when the first layer's gradient norm is
    /// below this fraction of the last layer's.
    pub vanishing_ratio: f64,
    /// Warn that gradients explode when a layer's gradient norm exceeds
    /// this.
    pub exploding_norm: f64,
}

impl Default for HealthConfig {
    /// Once per epoch; vanishing below a ratio of 1e-4, exploding above a
    /// norm of 1e4.
    fn default() -> Self {
        HealthConfig {
            every_steps: None,
            vanishing_ratio: 1e-4,
            exploding_norm: 1e4,
        }
    }
}

/// The layer a parameter belongs to: its name without the last part.
pub(crate) fn layer_of(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((layer, _)) => layer,
        None => name,
    }
}

/// `sum x^2` in f64.
fn squared_norm<T: Float>(t: &Tensor<T>) -> f64 {
    t.values()
        .iter()
        .map(|&x| x.to_f64() * x.to_f64())
        .sum::<f64>()
}

/// Per-layer gradient 2-norms, layers in the model's order: for each
/// layer (a parameter's name without its last part: `blocks.0` for
/// `blocks.0.weight`, `0` for a [`Sequential`](wengert_nn::Sequential)'s `0.weight`), the 2-norm over all its parameters' gradients,
/// summed in f64. Parameters without a gradient (frozen, or not on the
/// tape) are left out.
///
/// This is what the trainer records per epoch in
/// [`EpochRecord::layer_grad_norms`](crate::EpochRecord::layer_grad_norms);
/// call it yourself to read the norms of any gradients, such as those of
/// the very first minibatch, where vanishing gradients show before
/// training moves anything.
///
/// ```
/// use wengert_nn::{Linear, Module, Sequential, Sigmoid};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// use wengert_train::layer_grad_norms;
///
/// let mut rng = seeded_rng(0);
/// let mut model = Sequential::new();
/// for _ in 0..6 {
///     model = model.with(Linear::new(16, 16, &mut rng)).with(Sigmoid);
/// }
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::<f64>::randn(&[8, 16], &mut rng));
/// let grads = model.forward(&tape, x).unwrap().sum().backward();
/// let norms = layer_grad_norms(&model, &grads);
/// assert_eq!(norms.len(), 6);
/// // The Linear layers are children 0, 2, ..., 10 of the Sequential.
/// assert_eq!(norms[0].0, "0");
/// assert_eq!(norms[5].0, "10");
/// // Sigmoid's slope is at most 1/4: the first layer's gradient is far
/// // smaller than the last's.
/// assert!(norms[0].1 < norms[5].1 / 10.0);
/// ```
pub fn layer_grad_norms<T: Float>(
    model: &dyn Parameters<T>,
    grads: &Grads<T>,
) -> Vec<(String, f64)> {
    let mut sums: Vec<(String, f64)> = Vec::new();
    model.visit_params(&mut |name, p| {
        let Some(g) = grads.get(p) else { return };
        add_to(&mut sums, layer_of(name), squared_norm(g));
    });
    sums.into_iter().map(|(l, s)| (l, s.sqrt())).collect()
}

fn add_to(sums: &mut Vec<(String, f64)>, layer: &str, value: f64) {
    match sums.iter_mut().find(|(l, _)| l == layer) {
        Some((_, s)) => *s += value,
        None => sums.push((layer.to_string(), value)),
    }
}

/// The parameters' values, to compare with after a step.
pub(crate) fn snapshot<T: Float>(model: &dyn Parameters<T>) -> Vec<(String, Tensor<T>)> {
    let mut out = Vec::new();
    // Tensors share storage, so this costs no copy; the optimizer writes
    // the new values to fresh storage while the snapshot holds the old.
    model.visit_params(&mut |name, p| out.push((name.to_string(), p.value().clone())));
    out
}

/// Per-layer `||w_after - w_before|| / ||w_before||`.
pub(crate) fn update_ratios<T: Float>(
    model: &dyn Parameters<T>,
    before: &[(String, Tensor<T>)],
) -> BTreeMap<String, f64> {
    let mut updates: Vec<(String, f64)> = Vec::new();
    let mut weights: Vec<(String, f64)> = Vec::new();
    let mut k = 0;
    model.visit_params(&mut |name, p| {
        let Some((_, old)) = before.get(k).filter(|(n, _)| n == name) else {
            return;
        };
        k += 1;
        let layer = layer_of(name);
        let delta: f64 = p
            .value()
            .values()
            .iter()
            .zip(old.values().iter())
            .map(|(&a, &b)| (a.to_f64() - b.to_f64()).powi(2))
            .sum();
        add_to(&mut updates, layer, delta);
        add_to(&mut weights, layer, squared_norm(old));
    });
    updates
        .into_iter()
        .zip(weights)
        .map(|((layer, u), (_, w))| (layer, (u / w).sqrt()))
        .collect()
}

/// Warnings for the per-layer norms of one measurement.
pub(crate) fn warnings(
    config: &HealthConfig,
    norms: &[(String, f64)],
    epoch: usize,
    step: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for (layer, n) in norms {
        if !n.is_finite() || *n > config.exploding_norm {
            out.push(format!(
                "epoch {epoch}, step {step}: gradients explode in layer `{layer}`: norm {n:.3e} \
                 (above {:.1e}); clip them or lower the learning rate",
                config.exploding_norm
            ));
        }
    }
    if let (Some((first, a)), Some((last, b))) = (norms.first(), norms.last()) {
        if norms.len() > 1 && *b > 0.0 && a / b < config.vanishing_ratio {
            out.push(format!(
                "epoch {epoch}, step {step}: gradients vanish towards the input: layer `{first}` \
                 has gradient norm {a:.3e}, {:.1e} of the last layer `{last}`'s ({b:.3e}); \
                 ReLU, batch norm or residual connections keep them alive",
                a / b
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::Param;

    #[test]
    fn layers_are_names_without_their_last_part_in_model_order() {
        assert_eq!(layer_of("features.0.weight"), "features.0");
        assert_eq!(layer_of("scale"), "scale");
        let a = Param::new("a", Tensor::from_vec(vec![3.0f64, 0.0], &[2]));
        let b = Param::new("b", Tensor::from_vec(vec![4.0f64], &[1]));
        let c = Param::new("c", Tensor::from_vec(vec![1.0f64], &[1]));
        let mut grads = Grads::new();
        grads.insert(a.id(), a.value().clone());
        grads.insert(b.id(), b.value().clone());
        grads.insert(c.id(), c.value().clone());
        // Two layers: `l1` holds a and b (norm sqrt(9 + 16) = 5), `l0` holds c.
        struct Two(Param<f64>, Param<f64>, Param<f64>);
        impl Parameters<f64> for Two {
            fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f64>)) {
                f("l1.w", &self.0);
                f("l1.b", &self.1);
                f("l0.w", &self.2);
            }
            fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f64>)) {
                f("l1.w", &mut self.0);
                f("l1.b", &mut self.1);
                f("l0.w", &mut self.2);
            }
        }
        let norms = layer_grad_norms(&Two(a, b, c), &grads);
        assert_eq!(norms, [("l1".to_string(), 5.0), ("l0".to_string(), 1.0)]);
    }

    #[test]
    fn vanishing_and_exploding_gradients_name_the_layer() {
        let config = HealthConfig::default();
        let fine = [("0".to_string(), 0.5), ("1".to_string(), 1.0)];
        assert!(warnings(&config, &fine, 1, 10).is_empty());
        let vanishing = [("0".to_string(), 1e-9), ("5".to_string(), 1.0)];
        let w = warnings(&config, &vanishing, 2, 20);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("vanish") && w[0].contains("`0`") && w[0].contains("`5`"),
            "{w:?}"
        );
        let exploding = [("0".to_string(), 1.0), ("1".to_string(), 5e4)];
        let w = warnings(&config, &exploding, 3, 30);
        assert!(w[0].contains("explode") && w[0].contains("`1`"), "{w:?}");
    }
}
