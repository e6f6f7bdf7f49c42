//! Branch-free f32 `exp`, `sigmoid` and `tanh` for fused kernels.
//!
//! The C library's `expf` is a call per element that the compiler cannot
//! vectorise; in the fused LSTM step it cost about as much as the gate
//! arithmetic itself. [`exp_f32`] is straight-line arithmetic (a clamp, a
//! rounding, one polynomial, two exponent scalings), so a loop over many
//! elements vectorises.
//!
//! How it works (Cody-Waite range reduction): write `x = n ln2 + r` with
//! `n = round(x / ln2)` and `|r| <= ln2 / 2`, so `e^x = 2^n e^r`. `ln2` is
//! split into a high part with few significant bits (so `n * LN2_HI` is
//! exact for every `n` that can occur) and a low correction, which keeps
//! `r` accurate to the last bit. `e^r` is its Taylor polynomial of degree 7:
//! the truncation error `|r|^8 / 8! <= 0.347^8 / 40320 < 5e-9` is far below
//! f32's half-ulp (`6e-8`), so the error is rounding in the few operations.
//! `2^n` is built from exponent bits as two factors `2^(n/2) 2^(n - n/2)`,
//! so results below `f32::MIN_POSITIVE` (subnormals) come out right too.
//!
//! Accuracy, checked in this file's tests over a dense sweep of
//! `[-87, 88]`: relative error of [`exp_f32`] below [`EXP_F32_MAX_REL_ERROR`]
//! (a few ulp). Outside `[-103, 88.7]` the input is clamped: below, the
//! result is `e^-103` (one or two of the smallest subnormals, instead of 0);
//! above, about `3.3e38` instead of infinity. NaN stays NaN. `sigmoid` and
//! `tanh` built on it are within a few ulp of 1 in absolute terms, and reach
//! their limits 0, 1 and -1 exactly where f32 rounds them there.
//!
//! f64 has no fast path: gradient checks and golden tests need the C
//! library's exactness, and [`Float::fast_sigmoid`](crate::Float::fast_sigmoid)
//! dispatches f64 to it.

/// The largest relative error of [`exp_f32`] against the exact `e^x` over
/// `[-87, 88]`, as this file's tests check it: 4 ulp of f32 (`2^-21`).
pub const EXP_F32_MAX_REL_ERROR: f64 = 4.0 / 8_388_608.0;

/// `ln 2` to 9 significant bits (`355 / 512`): `n * LN2_HI` is exact for
/// `|n| < 2^15`, and `|n| <= 150` here.
const LN2_HI: f32 = 355.0 / 512.0;
/// `ln 2 - LN2_HI`, rounded to f32.
const LN2_LO: f32 = -2.121_944_4e-4;
/// `1 / ln 2`.
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// `1.5 * 2^23`: adding and subtracting it rounds an f32 of magnitude below
/// `2^22` to the nearest integer (ties to even), and the sum's low mantissa
/// bits hold that integer.
const ROUNDER: f32 = 12_582_912.0;

/// `e^x` in f32 without a library call; see the [module docs](self) for the
/// method and its error bound ([`EXP_F32_MAX_REL_ERROR`]).
///
/// ```
/// use wengert_tensor::kernels::fast_math::{exp_f32, EXP_F32_MAX_REL_ERROR};
/// let exact = 1.5f64.exp();
/// assert!(((exp_f32(1.5) as f64 - exact) / exact).abs() <= EXP_F32_MAX_REL_ERROR);
/// ```
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // clamp keeps NaN (comparisons with NaN are false), so it flows through.
    let x = x.clamp(-103.0, 88.7);
    let shifted = x * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    // The integer n, read from the low mantissa bits of `shifted`.
    let ni = (shifted.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Taylor polynomial of e^r to degree 7, in Horner form.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // 2^n as two factors, each with an exponent in the normal range.
    let half = ni >> 1;
    let scale = |k: i32| f32::from_bits(((k + 127) as u32) << 23);
    p * scale(half) * scale(ni - half)
}

/// The logistic function `1 / (1 + e^-a)` through [`exp_f32`]. Absolute
/// error a few ulp of 1; `sigmoid(a)` for `a` below -88 is the tiny value
/// `1 / (1 + 3.3e38)` rather than the exact tail.
#[inline(always)]
pub fn sigmoid_f32(a: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-a))
}

/// `tanh a = 1 - 2 / (e^(2a) + 1)` through [`exp_f32`]. Absolute error a few
/// ulp of 1 (near 0 that is a large relative error on a small value, which
/// is what the LSTM's gates can afford: they add it to values of order 1);
/// the limits -1 and 1 are exact.
#[inline(always)]
pub fn tanh_f32(a: f32) -> f32 {
    1.0 - 2.0 / (exp_f32(2.0 * a) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 97th f32 bit pattern in [-87, 88] would be slow in a debug
    /// build; a uniform grid of 2 million points plus the integers and the
    /// multiples of ln2 (where the reduction switches n) covers it densely.
    fn sweep() -> impl Iterator<Item = f32> {
        let grid = (0..=2_000_000).map(|k| -87.0 + 175.0 * (k as f64 / 2_000_000.0));
        let breaks = (-125..=126).flat_map(|n| {
            let at = n as f64 * std::f64::consts::LN_2;
            [at - 1e-6, at, at + 1e-6]
        });
        grid.chain(breaks)
            .filter(|x| (-87.0..=88.0).contains(x))
            .map(|x| x as f32)
    }

    #[test]
    fn exp_f32_relative_error_is_within_the_stated_bound_on_minus_87_to_88() {
        let mut worst = (0.0f64, 0.0f32);
        for x in sweep() {
            let exact = (x as f64).exp();
            let rel = ((exp_f32(x) as f64 - exact) / exact).abs();
            if rel > worst.0 {
                worst = (rel, x);
            }
        }
        assert!(
            worst.0 <= EXP_F32_MAX_REL_ERROR,
            "exp_f32: relative error {:e} at x = {} exceeds {:e}",
            worst.0,
            worst.1,
            EXP_F32_MAX_REL_ERROR
        );
    }

    #[test]
    fn exp_f32_is_exact_at_zero_and_keeps_subnormals_and_nan() {
        assert_eq!(exp_f32(0.0), 1.0);
        // e^-100 = 3.72e-44 is subnormal in f32; within one subnormal step.
        let tiny = exp_f32(-100.0) as f64;
        assert!(
            (tiny - (-100f64).exp()).abs() <= f32::from_bits(1) as f64,
            "{tiny:e}"
        );
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f32(1000.0).is_finite() && exp_f32(1000.0) > 3.0e38);
        // Clamped to e^-103, within a subnormal step or two of 0.
        assert!(exp_f32(-1000.0) >= 0.0 && exp_f32(-1000.0) < 3.0e-45);
    }

    #[test]
    fn sigmoid_and_tanh_f32_are_within_a_few_ulp_of_one_absolute() {
        // 8 ulp of 1 in f32: the division and subtraction add to exp's error.
        let tol = 8.0 * f32::EPSILON as f64;
        for k in 0..=200_000 {
            let a = -30.0 + 60.0 * (k as f64 / 200_000.0);
            let a32 = a as f32;
            let a = a32 as f64;
            let s = 1.0 / (1.0 + (-a).exp());
            let ds = (sigmoid_f32(a32) as f64 - s).abs();
            let dt = (tanh_f32(a32) as f64 - a.tanh()).abs();
            assert!(ds <= tol, "sigmoid_f32({a}): error {ds:e} > {tol:e}");
            assert!(dt <= tol, "tanh_f32({a}): error {dt:e} > {tol:e}");
        }
        assert_eq!((tanh_f32(50.0), tanh_f32(-50.0)), (1.0, -1.0));
        assert_eq!((sigmoid_f32(50.0), tanh_f32(0.0)), (1.0, 0.0));
    }
}
