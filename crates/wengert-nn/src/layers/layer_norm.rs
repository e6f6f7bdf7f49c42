//! `LayerNorm`: normalization over the trailing axes of each sample.

use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::module::input_error;
use crate::Module;

/// Builds a [`LayerNorm`]; defaults as PyTorch: eps 1e-5, a learned scale
/// and a learned shift.
///
/// ```
/// use wengert_nn::{LayerNormConfig, Module};
/// // PyTorch's nn.LayerNorm(8, bias=False): a weight, no bias
/// let ln = LayerNormConfig::new(&[8]).with_bias(false).build::<f32>().unwrap();
/// assert_eq!(ln.param_names(), ["weight"]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNormConfig {
    /// The trailing shape normalized over.
    pub normalized_shape: Vec<usize>,
    /// Added to the variance inside the square root.
    pub eps: f64,
    /// Whether the layer has learned element-wise parameters: a scale
    /// (`weight`, init 1) and, if `bias`, a shift (`bias`, init 0).
    pub elementwise_affine: bool,
    /// Whether the affine part has a shift; without `elementwise_affine`
    /// there is none either way, as in PyTorch.
    pub bias: bool,
}

impl LayerNormConfig {
    /// PyTorch's defaults over the trailing axes `normalized_shape`.
    pub fn new(normalized_shape: &[usize]) -> Self {
        LayerNormConfig {
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
            elementwise_affine: true,
            bias: true,
        }
    }

    /// With this eps.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// With or without the learned scale (and shift).
    pub fn with_elementwise_affine(mut self, elementwise_affine: bool) -> Self {
        self.elementwise_affine = elementwise_affine;
        self
    }

    /// With or without the learned shift (PyTorch's `bias`).
    pub fn with_bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// The layer; an empty `normalized_shape` or one with a zero size is an
    /// error.
    pub fn build<T: Float>(&self) -> Result<LayerNorm<T>> {
        let shape = &self.normalized_shape;
        if shape.is_empty() || shape.contains(&0) {
            return Err(NnError::InvalidConfig {
                layer: "LayerNorm".into(),
                why: format!(
                    "normalized_shape must be non-empty with positive sizes, got {shape:?}"
                ),
            });
        }
        let affine = self.elementwise_affine;
        Ok(LayerNorm {
            normalized_shape: shape.clone(),
            eps: self.eps,
            weight: affine.then(|| Param::new("weight", Tensor::ones(shape))),
            bias: (affine && self.bias).then(|| Param::new("bias", Tensor::zeros(shape))),
        })
    }
}

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
/// # PyTorch options
/// `nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True,
/// bias=True)`: all four ([`LayerNormConfig`]). `device` and `dtype` have
/// no counterpart: the float type is the layer's type parameter.
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
        crate::error::or_panic(LayerNormConfig::new(normalized_shape).build())
    }

    /// With this eps, and with or without the learned scale and shift
    /// (for a scale without a shift, see [`LayerNormConfig::with_bias`]).
    pub fn try_new(normalized_shape: &[usize], eps: f64, elementwise_affine: bool) -> Result<Self> {
        LayerNormConfig::new(normalized_shape)
            .with_eps(eps)
            .with_elementwise_affine(elementwise_affine)
            .build()
    }

    /// The trailing shape it normalizes over.
    pub fn normalized_shape(&self) -> &[usize] {
        &self.normalized_shape
    }

    /// The learned scale, `normalized_shape`, if the layer has one.
    pub fn weight(&self) -> Option<&Param<T>> {
        self.weight.as_ref()
    }

    /// The learned shift, `normalized_shape`, if the layer has one.
    pub fn bias(&self) -> Option<&Param<T>> {
        self.bias.as_ref()
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
        let mut y = centered / var.add_scalar(T::from_f64(self.eps)).sqrt();
        if let Some(w) = &self.weight {
            y = y * tape.param(w);
        }
        if let Some(b) = &self.bias {
            y = y + tape.param(b);
        }
        Ok(y)
    }
}

fn join(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
