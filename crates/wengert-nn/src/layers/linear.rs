//! `Linear`: the affine map `y = x W^T + b`.

use rand::Rng;
use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::init::Init;
use crate::module::input_error;
use crate::Module;

/// Builds a [`Linear`]: sizes, bias on or off, and the initialisation
/// (PyTorch's defaults unless set).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearConfig {
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Whether the layer has a bias.
    pub bias: bool,
    /// Weight initialisation; `None` is PyTorch's default
    /// ([`Init::PYTORCH_LINEAR_WEIGHT`]).
    pub weight_init: Option<Init>,
    /// Bias initialisation; `None` is PyTorch's default
    /// ([`Init::pytorch_linear_bias`]).
    pub bias_init: Option<Init>,
}

impl LinearConfig {
    /// `in_features -> out_features` with a bias and PyTorch's default init.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        LinearConfig {
            in_features,
            out_features,
            bias: true,
            weight_init: None,
            bias_init: None,
        }
    }

    /// With or without a bias.
    pub fn with_bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// With this weight initialisation.
    pub fn with_weight_init(mut self, init: Init) -> Self {
        self.weight_init = Some(init);
        self
    }

    /// With this bias initialisation.
    pub fn with_bias_init(mut self, init: Init) -> Self {
        self.bias_init = Some(init);
        self
    }

    /// Draws the parameters from `rng` (weight first, then bias).
    pub fn build<T: Float, R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Linear<T>> {
        let shape = [self.out_features, self.in_features];
        let weight = self
            .weight_init
            .unwrap_or(Init::PYTORCH_LINEAR_WEIGHT)
            .tensor(&shape, rng)?;
        let bias = if self.bias {
            let init = self
                .bias_init
                .unwrap_or_else(|| Init::pytorch_linear_bias(self.in_features));
            Some(init.tensor(&[self.out_features], rng)?)
        } else {
            None
        };
        Linear::from_tensors(weight, bias)
    }
}

/// A fully connected layer, `y = x W^T + b`.
///
/// `W` has shape `[out, in]` as in PyTorch, so weight files map one to one.
/// Backward (by the matrix product and broadcast rules):
/// `dx = dy W`, `dW = dy^T x` (summed over leading axes), `db = sum dy`.
///
/// # Shapes
/// `[*, in] -> [*, out]`: any number of leading axes; a vector `[in]` gives
/// `[out]`.
///
/// PyTorch: `nn.Linear(in, out, bias)`.
///
/// ```
/// use wengert_nn::{Linear, Module};
/// use wengert_tensor::{Tape, Tensor};
/// let w = Tensor::from_vec(vec![1.0, 2.0, 0.0, -1.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![0.5, 0.0], &[2]);
/// let layer = Linear::from_tensors(w, Some(b)).unwrap();
/// let tape = Tape::inference();
/// let y = layer.forward(&tape, tape.constant(Tensor::from_vec(vec![1.0, 1.0], &[1, 2]))).unwrap();
/// assert_eq!(y.value().to_vec(), vec![3.5, -1.0]); // [1+2+0.5, 0-1+0]
/// ```
#[derive(Clone, Debug, Module)]
pub struct Linear<T: Float> {
    weight: Param<T>,
    bias: Option<Param<T>>,
}

impl<T: Float> Linear<T> {
    /// `in_features -> out_features` with a bias and PyTorch's default init.
    pub fn new<R: Rng + ?Sized>(in_features: usize, out_features: usize, rng: &mut R) -> Self {
        crate::error::or_panic(LinearConfig::new(in_features, out_features).build(rng))
    }

    /// A layer with these values: `weight` of shape `[out, in]`, `bias` of
    /// shape `[out]`.
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Result<Self> {
        if weight.ndim() != 2 {
            return Err(NnError::InvalidConfig {
                layer: "Linear".into(),
                why: format!("weight must be [out, in], got shape {:?}", weight.shape()),
            });
        }
        if let Some(b) = &bias {
            if b.shape() != [weight.shape()[0]] {
                return Err(NnError::InvalidConfig {
                    layer: "Linear".into(),
                    why: format!(
                        "bias must have shape [{}] for weight {:?}, got {:?}",
                        weight.shape()[0],
                        weight.shape(),
                        b.shape()
                    ),
                });
            }
        }
        Ok(Linear {
            weight: Param::new("weight", weight),
            bias: bias.map(|b| Param::new("bias", b)),
        })
    }

    /// Input features.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output features.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// The weight, `[out, in]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The bias, `[out]`, if any.
    pub fn bias(&self) -> Option<&Param<T>> {
        self.bias.as_ref()
    }

    fn describe(&self) -> String {
        format!("Linear({} -> {})", self.in_features(), self.out_features())
    }
}

impl<T: Float> Module<T> for Linear<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let (n_in, n_out) = (self.in_features(), self.out_features());
        if shape.last() != Some(&n_in) {
            return Err(input_error(
                self.describe(),
                format!("[*, {n_in}] (last axis = in_features)"),
                shape,
            ));
        }
        // Fold leading axes into one batch axis: one matrix product.
        let rows = shape[..shape.len() - 1].iter().product::<usize>();
        let w = tape.param(&self.weight);
        let mut y = x.reshape(&[rows, n_in]).matmul(w.matrix_transpose());
        if let Some(b) = &self.bias {
            y = y + tape.param(b);
        }
        let mut out_shape = shape;
        *out_shape.last_mut().expect("checked non-empty") = n_out;
        Ok(y.reshape(&out_shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::seeded_rng;

    #[test]
    fn leading_axes_are_kept_and_vectors_work() {
        let layer = Linear::<f64>::new(3, 2, &mut seeded_rng(0));
        let tape = Tape::inference();
        let y = layer
            .forward(&tape, tape.constant(Tensor::ones(&[4, 5, 3])))
            .unwrap();
        assert_eq!(y.shape(), vec![4, 5, 2]);
        let v = layer
            .forward(&tape, tape.constant(Tensor::ones(&[3])))
            .unwrap();
        assert_eq!(v.shape(), vec![2]);
        assert_eq!(v.value().to_vec(), y.value().to_vec()[..2].to_vec());
    }

    #[test]
    fn no_bias_config_has_only_a_weight() {
        let layer: Linear<f32> = LinearConfig::new(4, 3)
            .with_bias(false)
            .build(&mut seeded_rng(0))
            .unwrap();
        assert_eq!(layer.param_names(), ["weight"]);
        assert_eq!(layer.num_params(), 12);
    }
}
