//! Activations as layers, so they sit in a `Sequential`. Each one forwards
//! to the `Var` op of the same name in wengert-tensor, whose docs give the
//! derivative; the convention at kinks follows PyTorch (relu'(0) = 0,
//! LeakyReLU uses its slope at 0, ELU gives alpha at 0, Softplus is the
//! identity where `beta x` is above its threshold). They hold no
//! parameters; for a learnable slope see [`crate::PReLU`].
//!
//! PyTorch's `inplace=True` (ReLU, LeakyReLU, ELU) does not exist here, on
//! purpose: a tape keeps every value a backward rule reads, so overwriting
//! an input would save no memory, only invalidate what the tape holds.

use wengert_tensor::{Float, Tape, Var};

use crate::error::{NnError, Result};
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
    /// # PyTorch options
    /// `nn.ReLU(inplace)`: `inplace` deliberately not (see the module docs).
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
    /// `y = 1 / (1 + e^-x)`. Any shape. PyTorch: `nn.Sigmoid` (which has
    /// no options).
    Sigmoid, |x| x.sigmoid()
);
activation!(
    /// `y = tanh x`. Any shape. PyTorch: `nn.Tanh` (which has no options).
    Tanh, |x| x.tanh()
);
/// Which formula [`GELU`](struct@GELU) computes: PyTorch's `approximate` argument,
/// `'none'` (the exact erf form) or `'tanh'`.
///
/// Parsed from PyTorch's strings with [`str::parse`]:
///
/// ```
/// use wengert_nn::GeluApproximate;
/// assert_eq!("tanh".parse::<GeluApproximate>().unwrap(), GeluApproximate::Tanh);
/// assert!("sigmoid".parse::<GeluApproximate>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GeluApproximate {
    /// `x/2 (1 + erf(x / sqrt 2))`, PyTorch's `approximate='none'`.
    #[default]
    None,
    /// `x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, PyTorch's
    /// `approximate='tanh'`.
    Tanh,
}

impl std::str::FromStr for GeluApproximate {
    type Err = NnError;

    /// `"none"` or `"tanh"`, PyTorch's spellings; anything else is an
    /// error naming both (PyTorch refuses other strings too).
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(GeluApproximate::None),
            "tanh" => Ok(GeluApproximate::Tanh),
            other => Err(NnError::InvalidConfig {
                layer: "GELU".into(),
                why: format!("approximate must be 'none' or 'tanh', got '{other}'"),
            }),
        }
    }
}

/// GELU (Hendrycks & Gimpel, 2016): `y = x Phi(x)` with `Phi` the standard
/// normal distribution function, exactly (`x/2 (1 + erf(x / sqrt 2))`) or
/// by its tanh approximation
/// (`x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`), as chosen by
/// `approximate`. Both are compositions of `Var` ops ([`Var::gelu`],
/// [`Var::gelu_tanh`]), so every derivative order comes from their parts.
/// Any shape.
///
/// The value `GELU` is the exact form, so `Sequential::new().with(GELU)`
/// reads as PyTorch's `nn.GELU()`; [`GELU::tanh`] is the approximation.
///
/// # PyTorch options
/// `nn.GELU(approximate='none' | 'tanh')`: both, as [`GeluApproximate`].
///
/// ```
/// use wengert_nn::{Module, GELU};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::inference();
/// let x = tape.constant(Tensor::from_vec(vec![0.0, 1.0], &[2]));
/// let exact = GELU.forward(&tape, x).unwrap().value().to_vec();
/// let approx = GELU::tanh().forward(&tape, x).unwrap().value().to_vec();
/// assert_eq!(exact[0], 0.0);
/// assert!((exact[1] - 0.8413447460685429).abs() < 1e-15); // Phi(1)
/// assert!((approx[1] - 0.8411919906082768).abs() < 1e-15);
/// ```
#[allow(clippy::upper_case_acronyms)] // PyTorch's name, so users can map it
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Module)]
pub struct GELU {
    /// The exact form or the tanh approximation.
    #[module(skip)]
    pub approximate: GeluApproximate,
}

/// The exact GELU, PyTorch's `nn.GELU()`. The layer was a unit struct before
/// it had an option; this constant keeps `GELU` usable as a value.
pub const GELU: GELU = GELU {
    approximate: GeluApproximate::None,
};

impl GELU {
    /// With this formula.
    pub fn new(approximate: GeluApproximate) -> Self {
        GELU { approximate }
    }

    /// The tanh approximation, PyTorch's `nn.GELU(approximate='tanh')`.
    pub fn tanh() -> Self {
        GELU::new(GeluApproximate::Tanh)
    }
}

impl<T: Float> Module<T> for GELU {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        Ok(match self.approximate {
            GeluApproximate::None => x.gelu(),
            GeluApproximate::Tanh => x.gelu_tanh(),
        })
    }
}

/// Softplus, a smooth ReLU: `y = ln(1 + e^(beta x)) / beta`, and `y = x`
/// where `beta x > threshold` (there the two agree to within about
/// `e^-threshold / beta`, and the exponential would overflow). Forwards to
/// [`Var::softplus_with`], whose derivative is `sigmoid(beta x)` below the
/// threshold and 1 above. Any shape.
///
/// As in PyTorch, `beta` is not checked: a negative beta `-c` gives
/// `-ln(1 + e^(-c x)) / c`, a smooth `min(x, 0)`, and 0 gives infinity. The value `Softplus` has
/// PyTorch's defaults (beta 1, threshold 20).
///
/// # PyTorch options
/// `nn.Softplus(beta=1.0, threshold=20.0)`: both.
///
/// ```
/// use wengert_nn::{Module, Softplus};
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::inference();
/// let x = tape.constant(Tensor::from_vec(vec![0.0, 3.0], &[2]));
/// let y = Softplus::new(2.0, 5.0).forward(&tape, x).unwrap().value().to_vec();
/// assert_eq!(y, vec![2f64.ln() / 2.0, 3.0]); // 2 * 3 > 5: x itself
/// let y = Softplus.forward(&tape, x).unwrap().value().to_vec();
/// assert_eq!(y[0], 2f64.ln());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct Softplus {
    /// The sharpness: larger is closer to ReLU.
    #[module(skip)]
    pub beta: f64,
    /// Above this value of `beta x` the layer is the identity.
    #[module(skip)]
    pub threshold: f64,
}

/// Softplus with PyTorch's defaults, beta 1 and threshold 20. The layer was
/// a unit struct before it had options; this constant keeps `Softplus`
/// usable as a value.
#[allow(non_upper_case_globals)] // the layer's own name, as the unit struct had
pub const Softplus: Softplus = Softplus {
    beta: 1.0,
    threshold: 20.0,
};

impl Softplus {
    /// With this beta and threshold.
    pub fn new(beta: f64, threshold: f64) -> Self {
        Softplus { beta, threshold }
    }
}

impl Default for Softplus {
    /// PyTorch's defaults, beta 1 and threshold 20.
    fn default() -> Self {
        Softplus
    }
}

impl<T: Float> Module<T> for Softplus {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        Ok(x.softplus_with(T::from_f64(self.beta), T::from_f64(self.threshold)))
    }
}

/// `y = x > 0 ? x : slope * x`, the slope used at 0 as in PyTorch. Any
/// shape. PyTorch: `nn.LeakyReLU(negative_slope)` (default 0.01).
///
/// # PyTorch options
/// `nn.LeakyReLU(negative_slope=0.01, inplace=False)`: `negative_slope`;
/// `inplace` deliberately not (see the module docs).
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
///
/// # PyTorch options
/// `nn.ELU(alpha=1.0, inplace=False)`: `alpha`; `inplace` deliberately not
/// (see the module docs).
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
