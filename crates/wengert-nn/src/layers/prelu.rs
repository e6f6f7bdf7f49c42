//! `PReLU`: LeakyReLU with a learned slope (He et al., 2015).

use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::module::input_error;
use crate::Module;

/// `y = x > 0 ? x : a * x` with a learned slope `a`: one slope shared by
/// every element, or one per channel (axis 1, or axis 0 of a vector).
///
/// Composed with a constant mask `m = [x > 0]`: `y = x m + a x (1 - m)`, so
/// `dx = dy (m + a (1 - m))` (the slope at 0, as PyTorch) and
/// `da = sum of dy x (1 - m)` over the elements of the slope's channel.
/// The mask has zero derivative, so the layer is twice differentiable away
/// from 0.
///
/// # Shapes
/// Any shape for one slope, 0-d included (the output keeps the input's
/// shape); `[N, C, *]` (or `[C]`) for `C` slopes.
///
/// # PyTorch options
/// `nn.PReLU(num_parameters=1, init=0.25)`: both ([`PReLU::new`] takes
/// PyTorch's init 0.25, [`PReLU::with_slopes`] any starting slopes).
/// `device` and `dtype` have no counterpart: the float type is the layer's
/// type parameter.
///
/// Reference: He et al., "Delving Deep into Rectifiers" (2015).
///
/// ```
/// use wengert_nn::{Module, PReLU};
/// use wengert_tensor::{Tape, Tensor};
/// let layer = PReLU::<f64>::new(1);
/// let tape = Tape::inference();
/// let y = layer.forward(&tape, tape.constant(Tensor::from_vec(vec![-4.0, 2.0], &[2]))).unwrap();
/// assert_eq!(y.value().to_vec(), vec![-1.0, 2.0]); // slope 0.25
/// ```
#[derive(Clone, Debug, Module)]
pub struct PReLU<T: Float> {
    weight: Param<T>,
}

impl<T: Float> PReLU<T> {
    /// `num_parameters` slopes (1 shared, or one per channel), each 0.25 as
    /// in PyTorch.
    pub fn new(num_parameters: usize) -> Self {
        crate::error::or_panic(Self::with_slopes(Tensor::full(
            &[num_parameters],
            T::from_f64(0.25),
        )))
    }

    /// With these slopes, a vector of 1 or `C` values.
    pub fn with_slopes(slopes: Tensor<T>) -> Result<Self> {
        if slopes.ndim() != 1 || slopes.numel() == 0 {
            return Err(NnError::InvalidConfig {
                layer: "PReLU".into(),
                why: format!(
                    "slopes must be a non-empty vector, got shape {:?}",
                    slopes.shape()
                ),
            });
        }
        Ok(PReLU {
            weight: Param::new("weight", slopes),
        })
    }

    /// The slopes, `[num_parameters]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// Number of slopes.
    pub fn num_parameters(&self) -> usize {
        self.weight.numel()
    }
}

impl<T: Float> Module<T> for PReLU<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let c = self.num_parameters();
        let slope = if c == 1 && shape.is_empty() {
            // [1] would broadcast a 0-d input up to [1]; PyTorch keeps [].
            tape.param(&self.weight).reshape(&[])
        } else if c == 1 {
            tape.param(&self.weight)
        } else {
            let axis = if shape.len() >= 2 { 1 } else { 0 };
            if shape.get(axis) != Some(&c) {
                return Err(input_error(
                    format!("PReLU({c})"),
                    format!("{c} channels on axis 1 ([N, {c}, *]) or a vector [{c}]"),
                    shape,
                ));
            }
            // [C] -> [C, 1, ..., 1] so it broadcasts along axis `axis`.
            let mut s = vec![1; shape.len() - axis];
            s[0] = c;
            tape.param(&self.weight).reshape(&s)
        };
        let pos = x
            .value()
            .map(|v| if v > T::zero() { T::one() } else { T::zero() });
        let neg = pos.map(|m| T::one() - m);
        let (pos, neg) = (tape.constant(pos), tape.constant(neg));
        Ok(x * pos + (x * neg) * slope)
    }
}
