//! Element-wise unary ops and activations.
//!
//! Primitives with their own rule: neg, exp, ln, sqrt, abs, sign, powf, erf,
//! relu, leaky_relu, sigmoid, tanh, softplus, clamp. Composed from them (no
//! rule of their own): square, elu, gelu.
//!
//! Conventions at kinks follow PyTorch: relu'(0) = 0, leaky_relu'(0) = the
//! negative slope (the test is x > 0), abs'(0) = sign(0) = 0, clamp passes
//! the gradient at the bounds (min <= x <= max).

use crate::float::Float;
use crate::tape::{BackwardCtx, Var};
use crate::tensor::Tensor;

/// The logistic function, computed without overflow for large |x|.
fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// ln(1 + e^x) with PyTorch's threshold: x itself above 20, where the two
/// agree to within rounding.
fn softplus<T: Float>(x: T) -> T {
    if x > T::from_f64(SOFTPLUS_THRESHOLD) {
        x
    } else {
        x.exp().ln_1p()
    }
}

const SOFTPLUS_THRESHOLD: f64 = 20.0;

fn step<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else {
        T::zero()
    }
}

fn sign<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        x // keeps 0 as 0 and NaN as NaN
    }
}

macro_rules! tensor_unary {
    ($($(#[$doc:meta])* $name:ident => $f:expr;)*) => {
        impl<T: Float> Tensor<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Tensor<T> {
                    self.map($f)
                }
            )*
        }
    };
}

tensor_unary! {
    /// Element-wise e^x.
    exp => |x| x.exp();
    /// Element-wise natural logarithm.
    ln => |x| x.ln();
    /// Element-wise square root.
    sqrt => |x| x.sqrt();
    /// Element-wise absolute value.
    abs => |x| x.abs();
    /// Element-wise sign: -1, 0 or 1.
    sign => sign;
    /// Element-wise erf.
    erf => |x| x.erf();
    /// Element-wise max(x, 0).
    relu => |x| if x > T::zero() { x } else { T::zero() };
    /// Element-wise logistic sigmoid.
    sigmoid => sigmoid;
    /// Element-wise tanh.
    tanh => |x| x.tanh();
    /// Element-wise ln(1 + e^x) (x itself above 20).
    softplus => softplus;
}

impl<T: Float> Tensor<T> {
    /// Element-wise x^p.
    pub fn powf(&self, p: T) -> Tensor<T> {
        self.map(move |x| x.powf(p))
    }
    /// Element-wise clamp into `[min, max]`.
    pub fn clamp(&self, min: T, max: T) -> Tensor<T> {
        self.map(move |x| x.max(min).min(max))
    }
    /// Element-wise `x > 0 ? x : slope * x`.
    pub fn leaky_relu(&self, slope: T) -> Tensor<T> {
        self.map(move |x| if x > T::zero() { x } else { slope * x })
    }
    /// Element-wise `x > 0 ? x : alpha (e^x - 1)`.
    pub fn elu(&self, alpha: T) -> Tensor<T> {
        self.map(move |x| if x > T::zero() { x } else { alpha * x.exp_m1() })
    }
    /// Element-wise GELU, erf form: `x/2 (1 + erf(x / sqrt 2))`.
    pub fn gelu(&self) -> Tensor<T> {
        let half = T::from_f64(0.5);
        let inv_sqrt2 = T::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        self.map(move |x| half * x * (T::one() + (x * inv_sqrt2).erf()))
    }
}

impl<'t, T: Float> Var<'t, T> {
    fn unary<R>(self, op: &'static str, f: impl Fn(T) -> T + Sync + Send, rule: R) -> Var<'t, T>
    where
        R: for<'a> Fn(&BackwardCtx<'a, T>, Var<'a, T>) -> [Option<Var<'a, T>>; 1] + 'static,
    {
        let y = self.value_ref().map(f);
        self.tape().record(op, &[self], y, rule)
    }

    /// A constant made from the input's value, for rules whose factor has
    /// zero derivative (masks, slopes).
    fn mask_of<'a>(ctx: &BackwardCtx<'a, T>, f: impl Fn(T) -> T + Sync + Send) -> Var<'a, T> {
        let mask = ctx.input(0).value_ref().map(f);
        ctx.tape().constant(mask)
    }

    /// `y = -x`. Backward: `dx = -dy`.
    #[allow(clippy::should_implement_trait)] // the operator `-x` calls this
    pub fn neg(self) -> Var<'t, T> {
        self.unary("neg", |x| -x, |_ctx, dy| [Some(-dy)])
    }

    /// `y = e^x`. Backward: `dx = dy * y` (exp keeps its output:
    /// d/dx e^x = e^x). PyTorch: `torch.exp`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![0.0, 1.0], &[2]));
    /// let g = x.exp().sum().backward();
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![1.0, std::f64::consts::E]);
    /// ```
    pub fn exp(self) -> Var<'t, T> {
        self.unary("exp", |x| x.exp(), |ctx, dy| [Some(dy * ctx.output())])
    }

    /// `y = ln x`. Backward: `dx = dy / x`. Domain x > 0.
    /// PyTorch: `torch.log`.
    pub fn ln(self) -> Var<'t, T> {
        self.unary("ln", |x| x.ln(), |ctx, dy| [Some(dy / ctx.input(0))])
    }

    /// `y = sqrt(x)`. Backward: `dx = dy / (2 y)`. Domain x >= 0 (the
    /// derivative is infinite at 0). PyTorch: `torch.sqrt`.
    pub fn sqrt(self) -> Var<'t, T> {
        self.unary(
            "sqrt",
            |x| x.sqrt(),
            |ctx, dy| [Some((dy / ctx.output()).mul_scalar(T::from_f64(0.5)))],
        )
    }

    /// `y = |x|`. Backward: `dx = dy * sign(x)`, with sign(0) = 0 as in
    /// PyTorch. PyTorch: `torch.abs`.
    pub fn abs(self) -> Var<'t, T> {
        self.unary(
            "abs",
            |x| x.abs(),
            |ctx, dy| [Some(dy * Var::mask_of(ctx, sign))],
        )
    }

    /// `y = sign(x)` in {-1, 0, 1}. Its derivative is zero wherever it
    /// exists, so no gradient flows through it. PyTorch: `torch.sign`.
    pub fn sign(self) -> Var<'t, T> {
        self.unary("sign", sign, |_ctx, _dy| [None])
    }

    /// `y = x^p` for a constant exponent. Backward: `dx = dy * p * x^(p-1)`.
    /// PyTorch: `torch.pow(x, p)`.
    pub fn powf(self, p: T) -> Var<'t, T> {
        self.unary(
            "powf",
            move |x| x.powf(p),
            move |ctx, dy| [Some(dy * ctx.input(0).powf(p - T::one()).mul_scalar(p))],
        )
    }

    /// `y = x^2` (composed: `x * x`).
    pub fn square(self) -> Var<'t, T> {
        self * self
    }

    /// `y = erf(x)`. Backward: `dx = dy * 2/sqrt(pi) * exp(-x^2)`.
    /// PyTorch: `torch.erf`.
    pub fn erf(self) -> Var<'t, T> {
        self.unary(
            "erf",
            |x| x.erf(),
            |ctx, dy| {
                let x = ctx.input(0);
                let two_over_sqrt_pi = T::from_f64(std::f64::consts::FRAC_2_SQRT_PI);
                [Some(dy * (-(x * x)).exp().mul_scalar(two_over_sqrt_pi))]
            },
        )
    }

    /// `y = max(x, 0)`. Backward: `dx = dy * [x > 0]`, so relu'(0) = 0.
    /// PyTorch: `torch.relu`.
    pub fn relu(self) -> Var<'t, T> {
        self.unary(
            "relu",
            |x| if x > T::zero() { x } else { T::zero() },
            |ctx, dy| [Some(dy * Var::mask_of(ctx, step))],
        )
    }

    /// `y = x > 0 ? x : slope * x`. Backward: `dx = dy * (x > 0 ? 1 : slope)`,
    /// the slope at 0 as in PyTorch. PyTorch: `F.leaky_relu(x, slope)`.
    pub fn leaky_relu(self, slope: T) -> Var<'t, T> {
        self.unary(
            "leaky_relu",
            move |x| if x > T::zero() { x } else { slope * x },
            move |ctx, dy| {
                let d = Var::mask_of(ctx, move |x| if x > T::zero() { T::one() } else { slope });
                [Some(dy * d)]
            },
        )
    }

    /// `y = 1 / (1 + e^-x)`. Backward: `dx = dy * y * (1 - y)`.
    /// PyTorch: `torch.sigmoid`.
    pub fn sigmoid(self) -> Var<'t, T> {
        self.unary("sigmoid", sigmoid, |ctx, dy| {
            let y = ctx.output();
            [Some(dy * y * y.rsub_scalar(T::one()))]
        })
    }

    /// `y = tanh x`. Backward: `dx = dy * (1 - y^2)`. PyTorch: `torch.tanh`.
    pub fn tanh(self) -> Var<'t, T> {
        self.unary(
            "tanh",
            |x| x.tanh(),
            |ctx, dy| {
                let y = ctx.output();
                [Some(dy * (y * y).rsub_scalar(T::one()))]
            },
        )
    }

    /// `y = ln(1 + e^x)`, and `y = x` above 20 (PyTorch's threshold).
    /// Backward: `dx = dy * sigmoid(x)`, and `dy` above the threshold.
    /// PyTorch: `F.softplus(x)` (beta 1, threshold 20).
    pub fn softplus(self) -> Var<'t, T> {
        self.unary("softplus", softplus, |ctx, dy| {
            let x = ctx.input(0);
            let above = Var::mask_of(ctx, |x| {
                if x > T::from_f64(SOFTPLUS_THRESHOLD) {
                    T::one()
                } else {
                    T::zero()
                }
            });
            let slope = above + above.rsub_scalar(T::one()) * x.sigmoid();
            [Some(dy * slope)]
        })
    }

    /// `y = min(max(x, min), max)`. Backward: `dx = dy * [min <= x <= max]`
    /// (the gradient passes at the bounds, as in PyTorch's `torch.clamp`).
    pub fn clamp(self, min: T, max: T) -> Var<'t, T> {
        self.unary(
            "clamp",
            move |x| x.max(min).min(max),
            move |ctx, dy| {
                let inside = Var::mask_of(ctx, move |x| {
                    if x >= min && x <= max {
                        T::one()
                    } else {
                        T::zero()
                    }
                });
                [Some(dy * inside)]
            },
        )
    }

    /// `y = x > 0 ? x : alpha (e^x - 1)`, composed as
    /// `relu(x) + alpha (exp(min(x, 0)) - 1)`, so the exponential never
    /// overflows and the derivative at 0 is alpha (1 for the usual alpha = 1,
    /// as in PyTorch's `F.elu`).
    pub fn elu(self, alpha: T) -> Var<'t, T> {
        let neg_part = self
            .clamp(T::neg_infinity(), T::zero())
            .exp()
            .add_scalar(-T::one());
        self.relu() + neg_part.mul_scalar(alpha)
    }

    /// GELU, erf form: `y = x/2 (1 + erf(x / sqrt 2))`, composed.
    /// PyTorch: `F.gelu(x)` (approximate = 'none').
    pub fn gelu(self) -> Var<'t, T> {
        let phi = self
            .mul_scalar(T::from_f64(std::f64::consts::FRAC_1_SQRT_2))
            .erf()
            .add_scalar(T::one());
        (self * phi).mul_scalar(T::from_f64(0.5))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn activations_known_values() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![-2.0, 0.0, 3.0], &[3]));
        assert_eq!(x.relu().value().to_vec(), vec![0.0, 0.0, 3.0]);
        assert_eq!(x.leaky_relu(0.1).value().to_vec(), vec![-0.2, 0.0, 3.0]);
        // elu(-2) = e^-2 - 1
        let e = x.elu(1.0).value().to_vec();
        assert!((e[0] - ((-2.0f64).exp() - 1.0)).abs() < 1e-15 && e[1] == 0.0 && e[2] == 3.0);
        // sigmoid(0) = 1/2, tanh(0) = 0, softplus(0) = ln 2, gelu(0) = 0
        assert_eq!(x.sigmoid().value().to_vec()[1], 0.5);
        assert_eq!(x.tanh().value().to_vec()[1], 0.0);
        assert!((x.softplus().value().to_vec()[1] - 2f64.ln()).abs() < 1e-15);
        assert_eq!(x.gelu().value().to_vec()[1], 0.0);
        // the Tensor forms agree with the Var forms
        let t = x.value();
        crate::gradcheck::assert_close(&t.elu(1.0), &x.elu(1.0).value(), 1e-15, 0.0);
        crate::gradcheck::assert_close(&t.gelu(), &x.gelu().value(), 1e-15, 0.0);
    }

    #[test]
    fn kink_conventions_match_pytorch() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![0.0], &[1]));
        let grad = |y: crate::Var<'_, f64>| y.sum().backward().wrt(x).unwrap().to_vec()[0];
        assert_eq!(grad(x.relu()), 0.0); // relu'(0) = 0
        assert_eq!(grad(x.leaky_relu(0.1)), 0.1); // slope at 0
        assert_eq!(grad(x.abs()), 0.0); // sign(0) = 0
        assert_eq!(grad(x.elu(1.0)), 1.0); // ELU gives 1 at 0
        assert_eq!(grad(x.clamp(0.0, 1.0)), 1.0); // passes at the bound
        assert_eq!(grad(x.softplus()), 0.5); // sigmoid(0)
    }

    #[test]
    fn softplus_is_identity_above_threshold_and_has_slope_one() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![25.0, 19.0], &[2]));
        let y = x.softplus();
        assert_eq!(y.value().to_vec()[0], 25.0);
        let g = y.sum().backward().wrt(x).unwrap().to_vec();
        assert_eq!(g[0], 1.0);
        assert!((g[1] - 1.0 / (1.0 + (-19.0f64).exp())).abs() < 1e-15);
    }
}
