//! Activations as layers, so they sit in a `Sequential`. Each one forwards
//! to the `Var` op of the same name in wengert-tensor, whose docs give the
//! derivative; the convention at kinks follows PyTorch (relu'(0) = 0,
//! LeakyReLU uses its slope at 0, ELU gives 1 at 0, Softplus is the
//! identity above 20). They hold no parameters; for a learnable slope see
//! [`crate::PReLU`].

use wengert_tensor::{Float, Tape, Var};

use crate::error::Result;
use crate::Module;

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Module)]
        pub struct $name;

        impl<T: Float> Module<T> for $name {
            fn forward<'t>(&self, _tape: &'t Tape<T>, $x: Var<'t, T>) -> Result<Var<'t, T>> {
                Ok($body)
            }
        }
    };
}

activation!(
    /// `y = max(x, 0)`; gradient 0 at 0. Any shape. PyTorch: `nn.ReLU`.
    ///
    /// ```
    /// use wengert_nn::{Module, ReLU};
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::inference();
    /// let y = ReLU.forward(&tape, tape.constant(Tensor::from_vec(vec![-1.0, 2.0], &[2]))).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![0.0, 2.0]);
    /// ```
    ReLU, |x| x.relu()
);
activation!(
    /// `y = 1 / (1 + e^-x)`. Any shape. PyTorch: `nn.Sigmoid`.
    Sigmoid, |x| x.sigmoid()
);
activation!(
    /// `y = tanh x`. Any shape. PyTorch: `nn.Tanh`.
    Tanh, |x| x.tanh()
);
activation!(
    /// GELU, exact erf form: `y = x/2 (1 + erf(x / sqrt 2))`. Any shape.
    /// PyTorch: `nn.GELU()` (approximate = 'none').
    #[allow(clippy::upper_case_acronyms)] // PyTorch's name, so users can map it
    GELU, |x| x.gelu()
);
activation!(
    /// `y = ln(1 + e^x)`, and `x` itself above 20 (PyTorch's threshold, beta
    /// 1). Any shape. PyTorch: `nn.Softplus()`.
    Softplus, |x| x.softplus()
);

/// `y = x > 0 ? x : slope * x`, the slope used at 0 as in PyTorch. Any
/// shape. PyTorch: `nn.LeakyReLU(negative_slope)` (default 0.01).
///
/// ```
/// use wengert_nn::{LeakyReLU, Module};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::inference();
/// let y = LeakyReLU::new(0.1).forward(&tape, tape.constant(Tensor::from_vec(vec![-2.0, 3.0], &[2]))).unwrap();
/// assert_eq!(y.value().to_vec(), vec![-0.2, 3.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct LeakyReLU {
    /// The slope for x <= 0.
    #[module(skip)]
    pub negative_slope: f64,
}

impl LeakyReLU {
    /// With this negative slope.
    pub fn new(negative_slope: f64) -> Self {
        LeakyReLU { negative_slope }
    }
}

impl Default for LeakyReLU {
    /// PyTorch's default slope, 0.01.
    fn default() -> Self {
        LeakyReLU::new(0.01)
    }
}

impl<T: Float> Module<T> for LeakyReLU {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        Ok(x.leaky_relu(T::from_f64(self.negative_slope)))
    }
}

/// `y = x > 0 ? x : alpha (e^x - 1)`; gradient 1 at 0 for alpha 1, as in
/// PyTorch. Any shape. PyTorch: `nn.ELU(alpha)` (default 1).
#[allow(clippy::upper_case_acronyms)] // PyTorch's name
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct ELU {
    /// The scale of the negative part.
    #[module(skip)]
    pub alpha: f64,
}

impl ELU {
    /// With this alpha.
    pub fn new(alpha: f64) -> Self {
        ELU { alpha }
    }
}

impl Default for ELU {
    /// PyTorch's default alpha, 1.
    fn default() -> Self {
        ELU::new(1.0)
    }
}

impl<T: Float> Module<T> for ELU {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        Ok(x.elu(T::from_f64(self.alpha)))
    }
}
