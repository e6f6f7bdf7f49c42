//! `LayerNorm`: normalization over the trailing axes of each sample.

use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::module::input_error;
use crate::Module;

/// Layer normalization (Ba et al., 2016):
/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, mean and biased
/// variance taken over the trailing `normalized_shape` axes of each sample,
/// the same in training and evaluation (no running statistics).
/// Composed of mean, variance and element-wise ops, so gradients of every
/// order come from their rules.
///
/// # Shapes
/// `[*, normalized_shape...]`; `weight` and `bias` have `normalized_shape`.
///
/// PyTorch: `nn.LayerNorm(normalized_shape, eps=1e-5)`.
///
/// ```
/// use wengert_nn::{LayerNorm, Module};
/// use wengert_tensor::{Tape, Tensor};
/// let ln = LayerNorm::<f64>::new(&[2]);
/// let tape = Tape::inference();
/// let y = ln.forward(&tape, tape.constant(Tensor::from_vec(vec![1.0, 3.0], &[1, 2]))).unwrap();
/// let y = y.value().to_vec(); // mean 2, var 1
/// assert!((y[0] + 1.0).abs() < 1e-5 && (y[1] - 1.0).abs() < 1e-5);
/// ```
#[derive(Clone, Debug, Module)]
pub struct LayerNorm<T: Float> {
    #[module(skip)]
    normalized_shape: Vec<usize>,
    #[module(skip)]
    eps: f64,
    weight: Option<Param<T>>,
    bias: Option<Param<T>>,
}

impl<T: Float> LayerNorm<T> {
    /// Over trailing axes `normalized_shape`, eps 1e-5, with a scale
    /// (init 1) and shift (init 0), as PyTorch.
    pub fn new(normalized_shape: &[usize]) -> Self {
        crate::error::or_panic(Self::try_new(normalized_shape, 1e-5, true))
    }

    /// With this eps, and with or without the learned scale and shift.
    pub fn try_new(normalized_shape: &[usize], eps: f64, elementwise_affine: bool) -> Result<Self> {
        if normalized_shape.is_empty() || normalized_shape.contains(&0) {
            return Err(NnError::InvalidConfig {
                layer: "LayerNorm".into(),
                why: format!("normalized_shape must be non-empty with positive sizes, got {normalized_shape:?}"),
            });
        }
        let (weight, bias) = if elementwise_affine {
            (
                Some(Param::new("weight", Tensor::ones(normalized_shape))),
                Some(Param::new("bias", Tensor::zeros(normalized_shape))),
            )
        } else {
            (None, None)
        };
        Ok(LayerNorm {
            normalized_shape: normalized_shape.to_vec(),
            eps,
            weight,
            bias,
        })
    }

    /// The trailing shape it normalizes over.
    pub fn normalized_shape(&self) -> &[usize] {
        &self.normalized_shape
    }
}

impl<T: Float> Module<T> for LayerNorm<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let k = self.normalized_shape.len();
        if shape.len() < k || shape[shape.len() - k..] != self.normalized_shape[..] {
            return Err(input_error(
                format!("LayerNorm({:?})", self.normalized_shape),
                format!("[*, {}]", join(&self.normalized_shape)),
                shape,
            ));
        }
        let axes: Vec<usize> = (shape.len() - k..shape.len()).collect();
        // Biased variance of the centred input (the mean is taken once).
        let centered = x - x.mean_axes(&axes, true);
        let var = centered.square().mean_axes(&axes, true);
        let x_hat = centered / var.add_scalar(T::from_f64(self.eps)).sqrt();
        Ok(match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => x_hat * tape.param(w) + tape.param(b),
            _ => x_hat,
        })
    }
}

fn join(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
