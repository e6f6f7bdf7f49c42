//! Differentiable ops on [`crate::Var`], one file per family, each op's
//! forward and backward rule side by side.
//!
//! Only primitives have hand-written rules; everything else (softmax, GELU,
//! variance, losses...) is composed of them and needs no rule of its own.
//! Rules are written with the same `Var` ops, so gradients of gradients come
//! for free.
//!
//! # Adding an op: the checklist
//!
//! 1. **Forward**: compute the value with a kernel from `kernels/` (or write
//!    one there); check shapes first and return a [`crate::TensorError`]
//!    naming the op and every shape involved. Write `try_op` returning
//!    `Result` and list `fn op(..) -> R = try_op;` in the file's
//!    `panicking!` block, which writes the panicking `op` (same message,
//!    `#[track_caller]`). Take one axis as `impl Axis`, a list as
//!    `&(impl Axes + ?Sized)` ([`crate::shape::Axis`],
//!    [`crate::shape::Axes`]: `&[1]`, `&[-1]`, `&axes` all work) and resolve
//!    them with `crate::shape`, so negative axes work as in PyTorch.
//! 2. **Backward rule**: pass a closure to [`crate::Tape::record`]; it
//!    returns an array with one optional gradient per input, e.g.
//!    `[Some(dy), ctx.needs_grad(1).then(|| -dy)]`. Use the
//!    vocabulary `a`, `b` (or `x`) for inputs, `y` for the output, `dy` for
//!    the upstream gradient. Write it with `Var` ops only, so it can be
//!    differentiated again. Skip work with `ctx.needs_grad(i)`. If the op
//!    broadcasts, broadcast its inputs with `broadcast_to` nodes first, so the
//!    rule can assume equal shapes.
//! 3. **Docs**: what it computes, the derivative, `# Shapes`, the convention
//!    at kinks, the PyTorch equivalent (and any deliberate difference), a
//!    runnable example.
//! 4. **Tests** at the bottom of the family's file: a hand-computed value
//!    (the derivation, or the PyTorch snippet, in a comment), and
//!    `check_grads!`: gradcheck in f64 (`gradgradcheck` too with `twice`)
//!    and the f32 gradient against the f64 one.
//! 5. **Property test**: in `tests/grad_props.rs`, a proptest over random
//!    shapes and values away from kinks and domain edges.
//! 6. **Bench**: a criterion case in `benches/` if the op is on a hot path.

/// Writes the panicking form of `try_` ops. For each line
/// `fn op(args) -> R = try_op;` it writes `op`, with the same arguments,
/// calling `try_op` and panicking with the error's message at the caller
/// (`#[track_caller]`). Receivers: `&self` (Tensor), `self` (Var), none (an
/// associated function), and generics in brackets: `fn op[R: Rng](..)`.
/// Every pair in the crate comes from here, so the two forms cannot drift.
macro_rules! panicking {
    (Tensor { $($fns:tt)* }) => {
        impl<T: $crate::float::Float> $crate::tensor::Tensor<T> {
            $crate::ops::panicking!(@fns $($fns)*);
        }
    };
    (Var { $($fns:tt)* }) => {
        impl<'t, T: $crate::float::Float> $crate::tape::Var<'t, T> {
            $crate::ops::panicking!(@fns $($fns)*);
        }
    };
    (@doc $try:ident) => {
        concat!(
            "Panicking form of [`", stringify!($try), "`](Self::", stringify!($try),
            "): the same op, panicking with the same message where that returns an error."
        )
    };
    (@fns) => {};
    (@fns $(#[$m:meta])* fn $name:ident(&self $(, $a:ident: $t:ty)*) -> $r:ty = $try:ident; $($rest:tt)*) => {
        $(#[$m])*
        #[doc = $crate::ops::panicking!(@doc $try)]
        #[track_caller]
        pub fn $name(&self $(, $a: $t)*) -> $r {
            $crate::ops::or_panic(self.$try($($a),*))
        }
        $crate::ops::panicking!(@fns $($rest)*);
    };
    (@fns $(#[$m:meta])* fn $name:ident(self $(, $a:ident: $t:ty)*) -> $r:ty = $try:ident; $($rest:tt)*) => {
        $(#[$m])*
        #[doc = $crate::ops::panicking!(@doc $try)]
        #[track_caller]
        pub fn $name(self $(, $a: $t)*) -> $r {
            $crate::ops::or_panic(self.$try($($a),*))
        }
        $crate::ops::panicking!(@fns $($rest)*);
    };
    (@fns $(#[$m:meta])* fn $name:ident$([$($g:tt)*])?($($a:ident: $t:ty),*) -> $r:ty = $try:ident; $($rest:tt)*) => {
        $(#[$m])*
        #[doc = $crate::ops::panicking!(@doc $try)]
        #[track_caller]
        pub fn $name$(<$($g)*>)?($($a: $t),*) -> $r {
            $crate::ops::or_panic(Self::$try($($a),*))
        }
        $crate::ops::panicking!(@fns $($rest)*);
    };
}
pub(crate) use panicking;

/// `check_grads!([inputs], |tape, v| body)`: gradchecks `body` in f64 at the
/// given (f64) inputs, and checks that its f32 gradient agrees with the f64
/// one to f32 precision. The body is written once, generic over the float
/// type `T` (write constants as `T::from_f64(0.1)`). `check_grads!(twice
/// [..], ..)` also runs `gradgradcheck`.
#[cfg(test)]
macro_rules! check_grads {
    (twice [$($x:expr),* $(,)?], |$tape:ident, $v:ident| $body:expr) => {
        $crate::ops::check_grads!(@run true, [$($x),*], |$tape, $v| $body)
    };
    ([$($x:expr),* $(,)?], |$tape:ident, $v:ident| $body:expr) => {
        $crate::ops::check_grads!(@run false, [$($x),*], |$tape, $v| $body)
    };
    (@run $twice:expr, [$($x:expr),*], |$tape:ident, $v:ident| $body:expr) => {{
        #[allow(unused_variables)]
        fn body<'t, T: $crate::Float>(
            $tape: &'t $crate::Tape<T>,
            $v: &[$crate::Var<'t, T>],
        ) -> $crate::Var<'t, T> {
            $body
        }
        $crate::ops::grad_checks::run(&[$($x),*], $twice, body::<f64>, body::<f32>)
    }};
}
#[cfg(test)]
pub(crate) use check_grads;

mod activation;
mod binary;
mod broadcast;
mod compare;
mod fused;
mod index;
mod matmul;
mod movement;
mod reduce;
mod softmax;
mod unary;

use crate::error::Result;

/// Unwraps a `try_` result, panicking with the error's message at the
/// caller's location (every panicking op is `#[track_caller]`).
#[track_caller]
pub(crate) fn or_panic<R>(r: Result<R>) -> R {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// What `check_grads!` runs.
#[cfg(test)]
pub(crate) mod grad_checks {
    use crate::gradcheck::{assert_close, gradcheck, gradgradcheck, Tolerance};
    use crate::{Float, Tape, Tensor, Var};

    /// The gradient of `sum(u * f(x))` with respect to each input, computed
    /// in `T` and returned in f64; `u` is a fixed pseudo-random weight.
    fn grads<T: Float>(
        f: impl for<'t> Fn(&'t Tape<T>, &[Var<'t, T>]) -> Var<'t, T>,
        inputs: &[Tensor<f64>],
    ) -> Vec<Tensor<f64>> {
        let tape = Tape::<T>::training(0);
        let xs: Vec<Var<'_, T>> = inputs.iter().map(|x| tape.var(x.cast())).collect();
        let y = f(&tape, &xs);
        let u = Tensor::<f64>::randn(&y.shape(), &mut crate::seeded_rng(41));
        let g = (y * tape.constant(u.cast())).sum().backward();
        xs.iter()
            .zip(inputs)
            .map(|(&x, t)| match g.wrt(x) {
                Some(d) => d.cast(),
                None => Tensor::zeros(t.shape()),
            })
            .collect()
    }

    /// gradcheck (and with `twice` gradgradcheck) in f64; then the f32
    /// gradient against the f64 one, within what f32 rounding allows.
    pub(crate) fn run(
        inputs: &[Tensor<f64>],
        twice: bool,
        f64_body: impl for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64> + Copy,
        f32_body: impl for<'t> Fn(&'t Tape<f32>, &[Var<'t, f32>]) -> Var<'t, f32>,
    ) {
        gradcheck(f64_body, inputs, Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
        if twice {
            let tol = Tolerance {
                atol: 1e-5,
                rtol: 1e-4,
                ..Tolerance::default()
            };
            gradgradcheck(f64_body, inputs, tol).unwrap_or_else(|e| panic!("{e}"));
        }
        let (g64, g32) = (grads(f64_body, inputs), grads(f32_body, inputs));
        for (lo, hi) in g32.iter().zip(&g64) {
            assert_close(lo, hi, 1e-4, 1e-4);
        }
    }

    #[test]
    #[should_panic(expected = "assert_close")]
    fn an_f32_gradient_that_differs_from_the_f64_one_is_caught() {
        // Deliberately 0.1% off in f32: more than f32 rounding explains.
        let x = [Tensor::from_vec(vec![0.5, -1.0], &[2])];
        run(
            &x,
            false,
            |_t, v| v[0].exp(),
            |_t, v| v[0].exp().mul_scalar(1.001),
        );
    }
}
