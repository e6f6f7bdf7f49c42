//! The element types a tensor can hold: `f32` (the default for training) and
//! `f64` (what gradient checks use, since finite differences need the bits).

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// A floating-point element type: `f32` or `f64`.
///
/// Besides the arithmetic of [`num_traits::Float`], it knows its name (for
/// weight files and messages) and which matrixmultiply kernel multiplies it.
pub trait Float:
    num_traits::Float
    + num_traits::FloatConst
    + Default
    + Debug
    + Display
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Send
    + Sync
    + 'static
{
    /// `"f32"` or `"f64"`.
    const DTYPE: &'static str;

    /// Converts from `f64`, rounding to nearest for `f32`.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// The error function erf(x), needed by GELU (from `libm`).
    fn erf(self) -> Self;
    /// The logistic function `1 / (1 + e^-a)` for fused kernels (the LSTM
    /// cell): f32 through the branch-free [`exp_f32`](crate::kernels::fast_math::exp_f32)
    /// (a few ulp of 1, and it vectorises); f64 through the C library's
    /// `exp`, exact as gradient checks and golden tests need it.
    fn fast_sigmoid(self) -> Self;
    /// `tanh a = 1 - 2 / (e^(2a) + 1)` for fused kernels, dispatched as
    /// [`Float::fast_sigmoid`]: f32 fast, f64 through the C library's `exp`.
    fn fast_tanh(self) -> Self;

    /// The pool of recycled large buffers of this type (see `buffer.rs`).
    #[doc(hidden)]
    fn buffer_pool() -> &'static crate::buffer::Pool<Self>;

    /// General matrix product `c = alpha * a b + beta * c` on strided operands
    /// (row stride, column stride, counted in elements), so a transposed
    /// operand is read in place instead of copied.
    ///
    /// # Safety
    /// The pointers with their strides must address valid `m x k`, `k x n`
    /// and `m x n` matrices, and `c` must not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

/// The two impls differ only in their name, their erf and their gemm kernel.
macro_rules! impl_float {
    ($t:ty, $name:literal, $erf:path, $sigmoid:path, $tanh:path, $gemm:path) => {
        impl Float for $t {
            const DTYPE: &'static str = $name;
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn erf(self) -> Self {
                $erf(self)
            }
            #[inline(always)]
            fn fast_sigmoid(self) -> Self {
                $sigmoid(self)
            }
            #[inline(always)]
            fn fast_tanh(self) -> Self {
                $tanh(self)
            }
            fn buffer_pool() -> &'static crate::buffer::Pool<Self> {
                static POOL: crate::buffer::Pool<$t> = std::sync::Mutex::new((Vec::new(), 0));
                &POOL
            }
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: forwarded contract of this function (see the trait docs).
                unsafe { $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
            }
        }
    };
}

/// The f64 logistic function through the C library's `exp`.
fn sigmoid_f64(a: f64) -> f64 {
    1.0 / (1.0 + (-a).exp())
}

/// The f64 `tanh a = 1 - 2 / (e^(2a) + 1)` through the C library's `exp`
/// (glibc's `tanh` costs several `exp`s; this is within a few ulp of 1).
fn tanh_f64(a: f64) -> f64 {
    1.0 - 2.0 / ((2.0 * a).exp() + 1.0)
}

use crate::kernels::fast_math::{sigmoid_f32, tanh_f32};

impl_float!(
    f32,
    "f32",
    libm::erff,
    sigmoid_f32,
    tanh_f32,
    matrixmultiply::sgemm
);
impl_float!(
    f64,
    "f64",
    libm::erf,
    sigmoid_f64,
    tanh_f64,
    matrixmultiply::dgemm
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        // Values of erf from tables (Abramowitz & Stegun, table 7.1), 15 digits.
        let cases = [
            (0.0, 0.0),
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.5, 0.999_999_256_901_627_7),
            (-1.0, -0.842_700_792_949_714_9),
        ];
        for (x, want) in cases {
            let got = <f64 as Float>::erf(x);
            let got32 = <f32 as Float>::erf(x as f32);
            assert!((got32 as f64 - want).abs() < 1e-6, "f32 erf({x}) = {got32}");
            assert!((got - want).abs() < 1e-15, "erf({x}) = {got}, want {want}");
        }
    }
}
