//! Element-wise elementary functions: neg, exp, ln, sqrt, abs, sign, powf,
//! erf and clamp have their own rule; square is composed. Activations
//! (relu, sigmoid, GELU, ...) are in `activation.rs`.
//!
//! Conventions at kinks follow PyTorch: abs'(0) = sign(0) = 0; clamp's
//! gradient is 1 strictly inside (min, max) and 0 at a bound and beyond;
//! `x^0` has derivative 0 everywhere, at x = 0 too.

use crate::float::Float;
use crate::tape::{BackwardCtx, Var};
use crate::tensor::Tensor;

fn sign<T: Float>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        x // keeps 0 as 0 and NaN as NaN
    }
}

/// min(max(x, min), max), NaN kept NaN (`f64::max` would turn it into `min`),
/// and `max` where the bounds cross, both as `torch.clamp`.
fn clamp<T: Float>(x: T, min: T, max: T) -> T {
    if x.is_nan() {
        x
    } else {
        x.max(min).min(max)
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
}

impl<T: Float> Tensor<T> {
    /// Element-wise x^p.
    pub fn powf(&self, p: T) -> Tensor<T> {
        self.map(move |x| x.powf(p))
    }
    /// Element-wise clamp into `[min, max]` (see [`Var::clamp`]).
    pub fn clamp(&self, min: T, max: T) -> Tensor<T> {
        self.map(move |x| clamp(x, min, max))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Records an element-wise op: `f` for the value, `rule` for the gradient.
    pub(super) fn unary<R>(
        self,
        op: &'static str,
        f: impl Fn(T) -> T + Sync + Send,
        rule: R,
    ) -> Var<'t, T>
    where
        R: for<'a> Fn(&BackwardCtx<'a, T>, Var<'a, T>) -> [Option<Var<'a, T>>; 1] + 'static,
    {
        let y = self.value_ref().map(f);
        self.tape().record(op, &[self], y, rule)
    }

    /// A constant made from the input's value, for rules whose factor has
    /// zero derivative (masks, slopes).
    pub(super) fn mask_of<'a>(
        ctx: &BackwardCtx<'a, T>,
        f: impl Fn(T) -> T + Sync + Send,
    ) -> Var<'a, T> {
        let mask = ctx.input(0).value_ref().map(f);
        ctx.tape().constant(mask)
    }

    /// `y = -x`. Backward: `dx = -dy`. PyTorch: `torch.neg`.
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

    /// `y = x^p` for a constant exponent.
    ///
    /// Backward: `dx = dy * p * x^(p-1)`, written with `powf` itself so the
    /// second derivative is `p (p-1) x^(p-2)`. For `p = 0` the gradient is
    /// zeros (x^0 = 1 is constant), where the formula would give
    /// `0 * 0^-1 = NaN` at x = 0; that makes both orders exact at x = 0 for
    /// p = 0 and p = 1 (whose derivative is `1 * x^0 = 1`, a constant).
    /// As PyTorch's `pow_backward`, which returns zeros for exponent 0;
    /// `0^p` for `0 < p < 1` has an infinite derivative at 0, as there.
    /// PyTorch: `torch.pow(x, p)`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![0.0, 2.0], &[2]));
    /// let g = x.powf(0.0).sum().backward();
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![0.0, 0.0]); // not NaN at 0
    /// ```
    pub fn powf(self, p: T) -> Var<'t, T> {
        self.unary(
            "powf",
            move |x| x.powf(p),
            move |ctx, dy| {
                let x = ctx.input(0);
                if p == T::zero() {
                    return [Some(ctx.tape().constant(Tensor::zeros(&x.shape())))];
                }
                [Some(dy * x.powf(p - T::one()).mul_scalar(p))]
            },
        )
    }

    /// `y = x^2` (composed: `x * x`). PyTorch: `torch.square`.
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

    /// `y = min(max(x, min), max)`; NaN stays NaN, and where `min > max`
    /// every element is `max`.
    ///
    /// Backward: `dx = dy * [min < x < max]`: the gradient passes strictly
    /// inside the bounds and is 0 at a bound and beyond. That follows
    /// PyTorch (2.15) exactly: `torch.tensor(0., requires_grad=True)
    /// .clamp(min=0.)` gives grad 0, `x.clamp(0., 1.)` at x = 1 too. For a
    /// bound-free side pass an infinity (`clamp(T::neg_infinity(), max)`).
    /// PyTorch: `torch.clamp(x, min, max)` with scalar bounds.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![-1.0, 0.0, 0.5, 1.0], &[4]));
    /// let g = x.clamp(0.0, 1.0).sum().backward();
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![0.0, 0.0, 1.0, 0.0]);
    /// ```
    pub fn clamp(self, min: T, max: T) -> Var<'t, T> {
        self.unary(
            "clamp",
            move |x| clamp(x, min, max),
            move |ctx, dy| {
                let inside = Var::mask_of(ctx, move |x| {
                    if x > min && x < max {
                        T::one()
                    } else {
                        T::zero()
                    }
                });
                [Some(dy * inside)]
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn elementary_known_values_and_gradients() {
        // x = [1, 4]: sqrt = [1, 2], d sqrt = 1 / (2 sqrt x) = [1/2, 1/4];
        // ln = [0, ln 4], d ln = 1 / x = [1, 1/4]; x^3 at 4 = 64, d = 3 x^2 = 48.
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![1.0, 4.0], &[2]));
        assert_eq!(x.sqrt().value().to_vec(), vec![1.0, 2.0]);
        assert_eq!(
            x.sqrt().sum().backward().wrt(x).unwrap().to_vec(),
            vec![0.5, 0.25]
        );
        assert_eq!(
            x.ln().sum().backward().wrt(x).unwrap().to_vec(),
            vec![1.0, 0.25]
        );
        assert_eq!(x.powf(3.0).value().to_vec(), vec![1.0, 64.0]);
        assert_eq!(
            x.powf(3.0).sum().backward().wrt(x).unwrap().to_vec(),
            vec![3.0, 48.0]
        );
        // erf'(0) = 2 / sqrt(pi)
        let z = tape.var(Tensor::scalar(0.0));
        let g = z.erf().backward().wrt(z).unwrap().item();
        assert!((g - std::f64::consts::FRAC_2_SQRT_PI).abs() < 1e-15);
    }

    #[test]
    fn powf_is_exact_at_zero_for_exponents_zero_and_one() {
        // x = torch.tensor([0.], dtype=torch.float64, requires_grad=True)
        // torch.autograd.grad(x.pow(0.).sum(), x) -> [0.] (not nan)
        // d, = torch.autograd.grad(x.pow(1.).sum(), x, create_graph=True) -> [1.];
        // torch.autograd.grad(d.sum(), x) -> [0.] (d/dx of 1 * x^0)
        // the same for x.pow(2.): first [0.], second [2.]
        let second = |p: f64| {
            let tape = Tape::<f64>::new();
            let x = tape.var(Tensor::from_vec(vec![0.0], &[1]));
            let d = x.powf(p).sum().backward_with_graph().wrt(x).unwrap();
            let first = d.value().to_vec()[0];
            let second = d.sum().backward().wrt(x).map_or(0.0, |g| g.to_vec()[0]);
            (first, second)
        };
        assert_eq!(second(0.0), (0.0, 0.0));
        assert_eq!(second(1.0), (1.0, 0.0));
        assert_eq!(second(2.0), (0.0, 2.0));
        // torch.tensor([4., 0.]).pow(0.5) backward: [0.25, inf]
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![4.0, 0.0], &[2]));
        let g = x.powf(0.5).sum().backward().wrt(x).unwrap().to_vec();
        assert_eq!(g, vec![0.25, f64::INFINITY]);
    }

    #[test]
    fn kink_conventions_match_pytorch() {
        // torch.tensor([0.], requires_grad=True).abs() backward: 0;
        // x.clamp(0., 1.) at [0, 1, 0.5, -1, 2] backward: [0, 0, 1, 0, 0];
        // x.clamp(min=0.) at 0: 0; x.clamp(max=1.) at 1: 0;
        // torch.tensor([nan, 0.5]).clamp(0., 1.) = [nan, 0.5].
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![0.0, 1.0, 0.5, -1.0, 2.0], &[5]));
        let grad = |y: crate::Var<'_, f64>| y.sum().backward().wrt(x).unwrap().to_vec();
        assert_eq!(grad(x.abs()), vec![0.0, 1.0, 1.0, -1.0, 1.0]);
        assert_eq!(grad(x.clamp(0.0, 1.0)), vec![0.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(grad(x.clamp(0.0, f64::INFINITY))[0], 0.0);
        assert_eq!(grad(x.clamp(f64::NEG_INFINITY, 1.0))[1], 0.0);
        let n = Tensor::from_vec(vec![f64::NAN, 0.5], &[2])
            .clamp(0.0, 1.0)
            .to_vec();
        assert!(n[0].is_nan() && n[1] == 0.5);
        // torch.tensor([0.2, 3.]).clamp(2., 1.) = [1., 1.]: max wins when the bounds cross
        assert_eq!(
            Tensor::from_vec(vec![0.2, 3.0], &[2])
                .clamp(2.0, 1.0)
                .to_vec(),
            vec![1.0, 1.0]
        );
    }

    #[test]
    fn elementary_ops_pass_gradcheck_in_f64_and_agree_in_f32() {
        let x = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        let pos = || Tensor::<f64>::from_f64(&[0.3, 1.2, 2.0, 0.7, 0.4, 1.5], &[2, 3]);
        check_grads!(twice[x()], |tape, v| v[0].exp().neg());
        check_grads!(twice[pos()], |tape, v| v[0].ln() + v[0].sqrt());
        check_grads!(twice[pos()], |tape, v| v[0].powf(T::from_f64(-1.5))
            + v[0].powf(T::from_f64(2.5)));
        check_grads!(twice[x()], |tape, v| v[0].powf(T::from_f64(3.0))
            + v[0].powf(T::one())
            + v[0].powf(T::zero()));
        check_grads!(twice[x()], |tape, v| v[0].erf().square());
        check_grads!([x()], |tape, v| v[0].abs() + v[0].sign() * v[0]);
        check_grads!([x()], |tape, v| v[0].clamp(T::from_f64(-0.5), T::one()));
    }
}
