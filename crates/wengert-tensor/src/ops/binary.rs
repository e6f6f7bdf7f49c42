//! Element-wise binary ops with broadcasting: add, sub, mul, div, maximum,
//! minimum, and their scalar forms.
//!
//! Each op broadcasts its operands with `broadcast_to` nodes first (see
//! `broadcast.rs`), so every rule below works on equal shapes.
//!
//! The named methods (`a.add(b)`) exist beside the operators (`a + b`) so a
//! formula can be written either way and each has a `try_` form.
#![allow(clippy::should_implement_trait)]

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::error::Result;
use crate::float::Float;
use crate::kernels::elementwise::{zip_broadcast, zip_same};
use crate::tape::Var;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Element-wise `a + b` with broadcasting.
    pub fn try_add(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        zip_broadcast("add", self, b, |x, y| x + y)
    }
    /// Element-wise `a - b` with broadcasting.
    pub fn try_sub(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        zip_broadcast("sub", self, b, |x, y| x - y)
    }
    /// Element-wise `a * b` with broadcasting.
    pub fn try_mul(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        zip_broadcast("mul", self, b, |x, y| x * y)
    }
    /// Element-wise `a / b` with broadcasting.
    pub fn try_div(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        zip_broadcast("div", self, b, |x, y| x / y)
    }
    /// Element-wise maximum with broadcasting (NaN propagates).
    pub fn try_maximum(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        zip_broadcast("maximum", self, b, nan_max)
    }
    /// Element-wise minimum with broadcasting (NaN propagates).
    pub fn try_minimum(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
        zip_broadcast("minimum", self, b, nan_min)
    }
    /// `a + c` for a scalar `c`.
    pub fn add_scalar(&self, c: T) -> Tensor<T> {
        self.map(move |x| x + c)
    }
    /// `a * c` for a scalar `c`.
    pub fn mul_scalar(&self, c: T) -> Tensor<T> {
        self.map(move |x| x * c)
    }
}

fn nan_max<T: Float>(x: T, y: T) -> T {
    if x.is_nan() || y.is_nan() {
        T::nan()
    } else {
        x.max(y)
    }
}

fn nan_min<T: Float>(x: T, y: T) -> T {
    if x.is_nan() || y.is_nan() {
        T::nan()
    } else {
        x.min(y)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `y = a + b`, broadcasting. Backward: `da = dy`, `db = dy`.
    /// PyTorch: `torch.add`.
    pub fn try_add(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        let (a, b) = Var::broadcast_pair("add", self, b)?;
        let y = zip_same(&a.value_ref(), &b.value_ref(), |x, y| x + y);
        Ok(a.tape()
            .record("add", &[a, b], y, |_ctx, dy| [Some(dy), Some(dy)]))
    }

    /// `y = a - b`, broadcasting. Backward: `da = dy`, `db = -dy`.
    /// PyTorch: `torch.sub`.
    pub fn try_sub(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        let (a, b) = Var::broadcast_pair("sub", self, b)?;
        let y = zip_same(&a.value_ref(), &b.value_ref(), |x, y| x - y);
        Ok(a.tape().record("sub", &[a, b], y, |ctx, dy| {
            [Some(dy), ctx.needs_grad(1).then(|| -dy)]
        }))
    }

    /// `y = a * b`, broadcasting. Backward: `da = dy * b`, `db = dy * a`.
    /// PyTorch: `torch.mul`.
    pub fn try_mul(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        let (a, b) = Var::broadcast_pair("mul", self, b)?;
        let y = zip_same(&a.value_ref(), &b.value_ref(), |x, y| x * y);
        Ok(a.tape().record("mul", &[a, b], y, |ctx, dy| {
            let (a, b) = (ctx.input(0), ctx.input(1));
            [
                ctx.needs_grad(0).then(|| dy * b),
                ctx.needs_grad(1).then(|| dy * a),
            ]
        }))
    }

    /// `y = a / b`, broadcasting. Backward: `da = dy / b`,
    /// `db = -dy * a / b^2 = -dy * y / b`. PyTorch: `torch.div`.
    pub fn try_div(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        let (a, b) = Var::broadcast_pair("div", self, b)?;
        let y = zip_same(&a.value_ref(), &b.value_ref(), |x, y| x / y);
        Ok(a.tape().record("div", &[a, b], y, |ctx, dy| {
            let (b, y) = (ctx.input(1), ctx.output());
            [
                ctx.needs_grad(0).then(|| dy / b),
                ctx.needs_grad(1).then(|| -(dy * y / b)),
            ]
        }))
    }

    /// `y = max(a, b)` element-wise, broadcasting. Backward: `dy` goes to the
    /// larger operand; at a tie each gets `dy / 2`, as in PyTorch's
    /// `torch.maximum`.
    pub fn try_maximum(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        self.extremum("maximum", b, nan_max)
    }

    /// `y = min(a, b)` element-wise, broadcasting; ties split the gradient
    /// as in [`Var::try_maximum`]. PyTorch: `torch.minimum`.
    pub fn try_minimum(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        self.extremum("minimum", b, nan_min)
    }

    fn extremum(self, op: &'static str, b: Var<'t, T>, pick: fn(T, T) -> T) -> Result<Var<'t, T>> {
        let (a, b) = Var::broadcast_pair(op, self, b)?;
        let y = zip_same(&a.value_ref(), &b.value_ref(), pick);
        Ok(a.tape().record(op, &[a, b], y, move |ctx, dy| {
            // The share of dy each operand gets: 1 where it is the pick, 0
            // where the other one is, 1/2 at a tie. Worked out here, not in
            // the forward, so a pass that needs no gradient never pays for
            // it; a constant, as its derivative is zero almost everywhere.
            let half = T::from_f64(0.5);
            let share_a = zip_same(
                &ctx.input(0).value_ref(),
                &ctx.input(1).value_ref(),
                move |x, z| {
                    if x == z {
                        half
                    } else if pick(x, z) == x {
                        T::one()
                    } else {
                        T::zero()
                    }
                },
            );
            let sa = ctx.tape().constant(share_a);
            [
                ctx.needs_grad(0).then(|| dy * sa),
                ctx.needs_grad(1).then(|| dy * sa.rsub_scalar(T::one())),
            ]
        }))
    }

    /// `y = x + c` for a scalar `c`. Backward: `dx = dy`.
    pub fn add_scalar(self, c: T) -> Var<'t, T> {
        let y = self.value_ref().add_scalar(c);
        self.tape()
            .record("add_scalar", &[self], y, |_ctx, dy| [Some(dy)])
    }

    /// `y = c * x` for a scalar `c`. Backward: `dx = c * dy`.
    pub fn mul_scalar(self, c: T) -> Var<'t, T> {
        let y = self.value_ref().mul_scalar(c);
        self.tape()
            .record("mul_scalar", &[self], y, move |_ctx, dy| {
                [Some(dy.mul_scalar(c))]
            })
    }

    /// `y = c - x` (composed: `-x + c`).
    pub fn rsub_scalar(self, c: T) -> Var<'t, T> {
        (-self).add_scalar(c)
    }

    /// `y = x / c` (composed: `x * (1/c)`).
    pub fn div_scalar(self, c: T) -> Var<'t, T> {
        self.mul_scalar(T::one() / c)
    }
}

panicking! { Tensor {
    fn add(&self, b: &Tensor<T>) -> Tensor<T> = try_add;
    fn sub(&self, b: &Tensor<T>) -> Tensor<T> = try_sub;
    fn mul(&self, b: &Tensor<T>) -> Tensor<T> = try_mul;
    fn div(&self, b: &Tensor<T>) -> Tensor<T> = try_div;
    fn maximum(&self, b: &Tensor<T>) -> Tensor<T> = try_maximum;
    fn minimum(&self, b: &Tensor<T>) -> Tensor<T> = try_minimum;
} }

panicking! { Var {
    fn add(self, b: Var<'t, T>) -> Var<'t, T> = try_add;
    fn sub(self, b: Var<'t, T>) -> Var<'t, T> = try_sub;
    fn mul(self, b: Var<'t, T>) -> Var<'t, T> = try_mul;
    fn div(self, b: Var<'t, T>) -> Var<'t, T> = try_div;
    fn maximum(self, b: Var<'t, T>) -> Var<'t, T> = try_maximum;
    fn minimum(self, b: Var<'t, T>) -> Var<'t, T> = try_minimum;
} }

/// `Var op Var`, `Var op scalar` and `Tensor op Tensor` operators; they
/// panic on shape errors like the named methods.
macro_rules! operators {
    ($trait:ident, $method:ident, $scalar:expr) => {
        impl<'t, T: Float> $trait for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, b: Var<'t, T>) -> Var<'t, T> {
                Var::$method(self, b)
            }
        }
        impl<'t, T: Float> $trait<T> for Var<'t, T> {
            type Output = Var<'t, T>;
            fn $method(self, c: T) -> Var<'t, T> {
                let f: fn(Var<'t, T>, T) -> Var<'t, T> = $scalar;
                f(self, c)
            }
        }
        impl<T: Float> $trait for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, b: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, b)
            }
        }
    };
}

operators!(Add, add, |a, c| a.add_scalar(c));
operators!(Sub, sub, |a, c| a.add_scalar(-c));
operators!(Mul, mul, |a, c| a.mul_scalar(c));
operators!(Div, div, |a, c| a.div_scalar(c));

impl<'t, T: Float> Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    fn neg(self) -> Var<'t, T> {
        self.neg()
    }
}

impl<T: Float> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        self.map(|x| -x)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn broadcast_mul_and_div_known_values_and_gradients() {
        // a = [[1, 2], [3, 4]], b = [10, 20] broadcast over rows:
        // a * b = [[10, 40], [30, 80]]; d sum / da = b per row = [[10, 20], [10, 20]];
        // d sum / db = column sums of a = [1 + 3, 2 + 4] = [4, 6].
        let tape = Tape::<f64>::new();
        let a = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
        let b = tape.var(Tensor::from_vec(vec![10.0, 20.0], &[2]));
        let y = a * b;
        assert_eq!(y.value().to_vec(), vec![10.0, 40.0, 30.0, 80.0]);
        let g = y.sum().backward();
        assert_eq!(g.wrt(a).unwrap().to_vec(), vec![10.0, 20.0, 10.0, 20.0]);
        assert_eq!(g.wrt(b).unwrap().to_vec(), vec![4.0, 6.0]);
        // a / b: d/db of sum = -sum over rows of a / b^2 = [-4/100, -6/400]
        let g = (a / b).sum().backward();
        assert_eq!(g.wrt(b).unwrap().to_vec(), vec![-0.04, -0.015]);
    }

    #[test]
    fn maximum_splits_the_gradient_at_a_tie() {
        // torch.maximum(torch.tensor([1., 2.], requires_grad=True), torch.tensor([1., 0.]))
        // .sum().backward() gives a.grad = [0.5, 1.0]
        let tape = Tape::<f64>::new();
        let a = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[2]));
        let b = tape.var(Tensor::from_vec(vec![1.0, 0.0], &[2]));
        let g = a.maximum(b).sum().backward();
        assert_eq!(g.wrt(a).unwrap().to_vec(), vec![0.5, 1.0]);
        assert_eq!(g.wrt(b).unwrap().to_vec(), vec![0.5, 0.0]);
    }

    fn a() -> Tensor<f64> {
        Tensor::from_vec(vec![0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3])
    }

    fn b() -> Tensor<f64> {
        Tensor::from_vec(vec![1.3, -0.8, 2.2], &[3])
    }

    #[test]
    fn binary_ops_pass_gradcheck_in_f64_and_agree_in_f32() {
        check_grads!(twice [a(), b()], |tape, v| v[0] + v[1] * v[1]);
        check_grads!(twice [a(), b()], |tape, v| (v[0] - v[1]) * v[0]);
        check_grads!(twice [a(), b()], |tape, v| v[0] / v[1]);
        check_grads!([a(), b()], |tape, v| v[0].maximum(v[1])
            + v[0].minimum(v[1].mul_scalar(T::from_f64(0.5))));
        check_grads!([a()], |tape, v| v[0]
            .mul_scalar(T::from_f64(-1.5))
            .add_scalar(T::from_f64(2.0))
            .rsub_scalar(T::one())
            .div_scalar(T::from_f64(4.0)));
    }
}
