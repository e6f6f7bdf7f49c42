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

use super::or_panic;
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
    /// Panicking form of [`Tensor::try_add`].
    #[track_caller]
    pub fn add(&self, b: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_add(b))
    }
    /// Panicking form of [`Tensor::try_sub`].
    #[track_caller]
    pub fn sub(&self, b: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_sub(b))
    }
    /// Panicking form of [`Tensor::try_mul`].
    #[track_caller]
    pub fn mul(&self, b: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_mul(b))
    }
    /// Panicking form of [`Tensor::try_div`].
    #[track_caller]
    pub fn div(&self, b: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_div(b))
    }
    /// Panicking form of [`Tensor::try_maximum`].
    #[track_caller]
    pub fn maximum(&self, b: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_maximum(b))
    }
    /// Panicking form of [`Tensor::try_minimum`].
    #[track_caller]
    pub fn minimum(&self, b: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_minimum(b))
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

    /// Panicking form of [`Var::try_add`].
    #[track_caller]
    pub fn add(self, b: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_add(b))
    }
    /// Panicking form of [`Var::try_sub`].
    #[track_caller]
    pub fn sub(self, b: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_sub(b))
    }
    /// Panicking form of [`Var::try_mul`].
    #[track_caller]
    pub fn mul(self, b: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_mul(b))
    }
    /// Panicking form of [`Var::try_div`].
    #[track_caller]
    pub fn div(self, b: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_div(b))
    }
    /// Panicking form of [`Var::try_maximum`].
    #[track_caller]
    pub fn maximum(self, b: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_maximum(b))
    }
    /// Panicking form of [`Var::try_minimum`].
    #[track_caller]
    pub fn minimum(self, b: Var<'t, T>) -> Var<'t, T> {
        or_panic(self.try_minimum(b))
    }
}

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
