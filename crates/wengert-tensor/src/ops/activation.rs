//! Activations. Primitives with their own rule: relu, leaky_relu, sigmoid,
//! tanh, softplus. Composed (no rule of their own): elu, gelu, gelu_tanh.
//!
//! Conventions at kinks follow PyTorch: relu'(0) = 0, leaky_relu'(0) = the
//! negative slope (the test is x > 0), elu'(0) = alpha.

use crate::float::Float;
use crate::tape::Var;
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

/// `ln(1 + e^(beta x)) / beta`, and `x` itself where `beta x > threshold`,
/// as PyTorch (the two agree to within rounding there, and the exponential
/// would overflow).
fn softplus<T: Float>(x: T, beta: T, threshold: T) -> T {
    let bx = x * beta;
    if bx > threshold {
        x
    } else {
        bx.exp().ln_1p() / beta
    }
}

fn relu<T: Float>(x: T) -> T {
    if x > T::zero() {
        x
    } else {
        T::zero()
    }
}

fn step<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else {
        T::zero()
    }
}

/// sqrt(2 / pi), the scale inside the tanh approximation of GELU.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh approximation of GELU.
const GELU_TANH_CUBIC: f64 = 0.044_715;

impl<T: Float> Tensor<T> {
    /// Element-wise max(x, 0) (see [`Var::relu`]).
    pub fn relu(&self) -> Tensor<T> {
        self.map(relu)
    }
    /// Element-wise logistic sigmoid (see [`Var::sigmoid`]).
    pub fn sigmoid(&self) -> Tensor<T> {
        self.map(sigmoid)
    }
    /// Element-wise tanh.
    pub fn tanh(&self) -> Tensor<T> {
        self.map(|x| x.tanh())
    }
    /// Element-wise `ln(1 + e^x)`, x itself above 20 (see [`Var::softplus`]).
    pub fn softplus(&self) -> Tensor<T> {
        self.softplus_with(T::one(), T::from_f64(20.0))
    }
    /// Element-wise `ln(1 + e^(beta x)) / beta`, x itself where
    /// `beta x > threshold` (see [`Var::softplus_with`]).
    pub fn softplus_with(&self, beta: T, threshold: T) -> Tensor<T> {
        self.map(move |x| softplus(x, beta, threshold))
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
    /// Element-wise GELU, tanh approximation (see [`Var::gelu_tanh`]).
    pub fn gelu_tanh(&self) -> Tensor<T> {
        let (half, c) = (T::from_f64(0.5), T::from_f64(SQRT_2_OVER_PI));
        let k = T::from_f64(GELU_TANH_CUBIC);
        self.map(move |x| half * x * (T::one() + (c * (x + k * x * x * x)).tanh()))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `y = max(x, 0)`. Backward: `dx = dy * [x > 0]`, so relu'(0) = 0.
    /// PyTorch: `torch.relu`.
    pub fn relu(self) -> Var<'t, T> {
        self.unary("relu", relu, |ctx, dy| [Some(dy * Var::mask_of(ctx, step))])
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

    /// `y = ln(1 + e^x)`, and `y = x` above 20: [`Var::softplus_with`] with
    /// PyTorch's defaults beta 1, threshold 20. PyTorch: `F.softplus(x)`.
    pub fn softplus(self) -> Var<'t, T> {
        self.softplus_with(T::one(), T::from_f64(20.0))
    }

    /// `y = ln(1 + e^(beta x)) / beta`, and `y = x` where
    /// `beta x > threshold` (there the two agree to within rounding and the
    /// exponential would overflow).
    ///
    /// Backward: `dx = dy * sigmoid(beta x)`, and `dy` above the threshold
    /// (the switch is a constant mask, so the second derivative is
    /// `beta s (1 - s)` below it and 0 above, as PyTorch's). No check on
    /// `beta`: 0 gives infinity, as in PyTorch.
    /// PyTorch: `F.softplus(x, beta, threshold)`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![0.0, 3.0], &[2]));
    /// let y = x.softplus_with(2.0, 5.0); // ln(2) / 2, and 3 (as 2 * 3 > 5)
    /// assert_eq!(y.value().to_vec(), vec![2f64.ln() / 2.0, 3.0]);
    /// ```
    pub fn softplus_with(self, beta: T, threshold: T) -> Var<'t, T> {
        self.unary(
            "softplus",
            move |x| softplus(x, beta, threshold),
            move |ctx, dy| {
                let x = ctx.input(0);
                let above = Var::mask_of(ctx, move |x| {
                    if x * beta > threshold {
                        T::one()
                    } else {
                        T::zero()
                    }
                });
                let bx = if beta == T::one() {
                    x
                } else {
                    x.mul_scalar(beta)
                };
                let slope = above + above.rsub_scalar(T::one()) * bx.sigmoid();
                [Some(dy * slope)]
            },
        )
    }

    /// `y = x > 0 ? x : alpha (e^x - 1)`, composed as
    /// `relu(x) + alpha (exp(x - relu(x)) - 1)`: `x - relu(x)` is
    /// `min(x, 0)` with derivative 1 at 0, so the exponential never
    /// overflows and the derivative at 0 is alpha, as in PyTorch's
    /// `F.elu(x, alpha)` (`F.elu(torch.tensor(0.), alpha=1.3)` has grad 1.3).
    pub fn elu(self, alpha: T) -> Var<'t, T> {
        let pos = self.relu();
        let neg = self - pos;
        pos + neg.exp().add_scalar(-T::one()).mul_scalar(alpha)
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

    /// GELU, tanh approximation:
    /// `y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, composed, so
    /// its derivative (`1/2 (1 + t) + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 *
    /// 0.044715 x^2)` with t the tanh) and the second one come from the
    /// parts. PyTorch: `F.gelu(x, approximate='tanh')`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![0.0, 1.0], &[2]));
    /// let y = x.gelu_tanh().value().to_vec();
    /// assert!(y[0] == 0.0 && (y[1] - 0.8411919906082768).abs() < 1e-15);
    /// ```
    pub fn gelu_tanh(self) -> Var<'t, T> {
        let cubic = (self.square() * self).mul_scalar(T::from_f64(GELU_TANH_CUBIC));
        let t = (self + cubic)
            .mul_scalar(T::from_f64(SQRT_2_OVER_PI))
            .tanh()
            .add_scalar(T::one());
        (self * t).mul_scalar(T::from_f64(0.5))
    }
}

#[cfg(test)]
mod tests {
    use crate::gradcheck::assert_close;
    use crate::{Tape, Tensor, Var};

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
        assert_close(&t.elu(1.0), &x.elu(1.0).value(), 1e-15, 0.0);
        assert_close(&t.gelu(), &x.gelu().value(), 1e-15, 0.0);
        assert_close(&t.gelu_tanh(), &x.gelu_tanh().value(), 1e-15, 0.0);
        assert_close(
            &t.softplus_with(2.0, 5.0),
            &x.softplus_with(2.0, 5.0).value(),
            0.0,
            0.0,
        );
    }

    #[test]
    fn kink_conventions_match_pytorch() {
        // x = torch.tensor([0.], requires_grad=True): relu -> 0,
        // F.leaky_relu(x, 0.1) -> 0.1, F.elu(x, alpha=1.3) -> 1.3, F.softplus(x) -> 0.5
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![0.0], &[1]));
        let grad = |y: Var<'_, f64>| y.sum().backward().wrt(x).unwrap().to_vec()[0];
        assert_eq!(grad(x.relu()), 0.0);
        assert_eq!(grad(x.leaky_relu(0.1)), 0.1);
        assert_eq!(grad(x.elu(1.0)), 1.0);
        assert_eq!(grad(x.elu(1.3)), 1.3);
        assert_eq!(grad(x.softplus()), 0.5);
    }

    #[test]
    fn gelu_tanh_matches_pytorch() {
        // x = torch.tensor([-2., -0.5, 0., 1., 3.], dtype=torch.float64, requires_grad=True)
        // y = F.gelu(x, approximate='tanh'); y.sum().backward()
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![-2.0, -0.5, 0.0, 1.0, 3.0], &[5]));
        let y = x.gelu_tanh();
        let want_y = [
            -0.04540230591222494,
            -0.15428599017485606,
            0.0,
            0.8411919906082768,
            2.996362607918227,
        ];
        let want_g = [
            -0.0860992566236183,
            0.13263009646535764,
            0.5,
            1.0829640838457826,
            1.0115841666309695,
        ];
        assert_close(
            &y.value(),
            &Tensor::from_vec(want_y.to_vec(), &[5]),
            1e-15,
            1e-14,
        );
        let g = y.sum().backward_with_graph().wrt(x).unwrap();
        assert_close(
            &g.value(),
            &Tensor::from_vec(want_g.to_vec(), &[5]),
            1e-15,
            1e-14,
        );
        // d2, = torch.autograd.grad(d.sum(), x) at x = [0, 0.5]: [0.7978845608028654, 0.615506895115985]
        let d2 = g.narrow(0, 2, 1).sum().backward().wrt(x).unwrap().to_vec();
        assert!((d2[2] - 0.7978845608028654).abs() < 1e-14, "{d2:?}");
        let tape = Tape::<f64>::new();
        let h = tape.var(Tensor::from_vec(vec![0.5], &[1]));
        let d = h.gelu_tanh().sum().backward_with_graph().wrt(h).unwrap();
        let d2 = d.sum().backward().wrt(h).unwrap().item();
        assert!((d2 - 0.615506895115985).abs() < 1e-14, "{d2}");
    }

    #[test]
    fn softplus_beta_and_threshold_match_pytorch() {
        // x = torch.tensor([-1., 0., 2., 2.5, 3.], dtype=torch.float64, requires_grad=True)
        // y = F.softplus(x, beta=2., threshold=5.); y.sum().backward()
        // (beta x = 5 at 2.5 is not above 5: still the log form; 6 at 3 is: x itself)
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![-1.0, 0.0, 2.0, 2.5, 3.0], &[5]));
        let y = x.softplus_with(2.0, 5.0);
        let want_y = [
            0.06346400552148625,
            0.34657359027997264,
            2.0090749639589047,
            2.503357674244559,
            3.0,
        ];
        let want_g = [
            0.11920292202211755,
            0.5,
            0.9820137900379085,
            0.9933071490757152,
            1.0,
        ];
        assert_close(
            &y.value(),
            &Tensor::from_vec(want_y.to_vec(), &[5]),
            1e-15,
            1e-14,
        );
        let g = y.sum().backward().wrt(x).unwrap().clone();
        assert_close(&g, &Tensor::from_vec(want_g.to_vec(), &[5]), 1e-15, 1e-14);
        // F.softplus(x) at [-1, 0, 19, 20, 21] (beta 1, threshold 20): the plain softplus
        let x = tape.var(Tensor::from_vec(vec![-1.0, 0.0, 19.0, 20.0, 21.0], &[5]));
        let want = [
            0.31326168751822286,
            std::f64::consts::LN_2,
            19.000000005602796,
            20.000000002061153,
            21.0,
        ];
        assert_close(
            &x.softplus().value(),
            &Tensor::from_vec(want.to_vec(), &[5]),
            0.0,
            1e-15,
        );
        let g = x.softplus().sum().backward().wrt(x).unwrap().to_vec();
        assert_eq!(g[4], 1.0);
        assert!((g[3] - 0.9999999979388464).abs() < 1e-15);
    }

    #[test]
    fn activations_pass_gradcheck_in_f64_and_agree_in_f32() {
        // Away from the kinks at 0.
        let x = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        check_grads!(twice[x()], |tape, v| v[0].sigmoid() + v[0].tanh());
        check_grads!(twice[x()], |tape, v| v[0].softplus());
        check_grads!(twice[x()], |tape, v| v[0]
            .softplus_with(T::from_f64(2.0), T::from_f64(2.5)));
        check_grads!(twice[x()], |tape, v| v[0].gelu() + v[0].gelu_tanh());
        check_grads!(twice[x()], |tape, v| v[0].elu(T::from_f64(1.3)));
        check_grads!([x()], |tape, v| v[0].relu()
            + v[0].leaky_relu(T::from_f64(0.1)));
    }
}
