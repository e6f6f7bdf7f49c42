//! Reductions: sum and max/min are primitives; mean, variance and
//! logsumexp are composed.
//!
//! Every reduction takes a set of axes and `keepdim`. The backward of a sum
//! restores the reduced axes as size 1 and broadcasts `dy` back.

use super::or_panic;
use crate::error::Result;
use crate::float::Float;
use crate::kernels::reduce;
use crate::shape::{normalize_axes, reduced_shape};
use crate::tape::Var;
use crate::tensor::Tensor;

/// The maximum over `axes` (kept as size 1) to subtract before
/// exponentiating; 0 where it is not finite, since a row of all -inf would
/// otherwise give -inf - -inf = NaN.
fn stable_shift<T: Float>(x: &Tensor<T>, axes: &[usize]) -> Tensor<T> {
    x.max_axes(axes, true)
        .map(|v| if v.is_finite() { v } else { T::zero() })
}

impl<T: Float> Tensor<T> {
    /// Sum over `axes`; `keepdim` keeps them as size 1. [`Tensor::sum`]
    /// sums every element.
    pub fn try_sum_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        let axes = normalize_axes("sum", axes, self.shape())?;
        reduce::sum_axes(self, &axes).try_reshape(&reduced_shape(self.shape(), &axes, keepdim))
    }

    /// Sum of every element, as a scalar tensor.
    pub fn sum(&self) -> Tensor<T> {
        let all: Vec<usize> = (0..self.ndim()).collect();
        or_panic(self.try_sum_axes(&all, false))
    }

    /// Panicking form of [`Tensor::try_sum_axes`].
    #[track_caller]
    pub fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        or_panic(self.try_sum_axes(axes, keepdim))
    }

    /// Mean over `axes`.
    #[track_caller]
    pub fn mean_axes(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        let n: usize = axes
            .iter()
            .map(|&a| self.shape().get(a).copied().unwrap_or(1))
            .product();
        self.sum_axes(axes, keepdim)
            .mul_scalar(T::one() / T::from_f64(n as f64))
    }

    /// Mean of every element.
    pub fn mean(&self) -> Tensor<T> {
        self.sum()
            .mul_scalar(T::one() / T::from_f64(self.numel() as f64))
    }

    /// Maximum over `axes` (NaN propagates).
    pub fn try_max_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        let axes = normalize_axes("max", axes, self.shape())?;
        reduce::max_axes(self, &axes).try_reshape(&reduced_shape(self.shape(), &axes, keepdim))
    }

    /// Minimum over `axes` (NaN propagates).
    pub fn try_min_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        let axes = normalize_axes("min", axes, self.shape())?;
        reduce::min_axes(self, &axes).try_reshape(&reduced_shape(self.shape(), &axes, keepdim))
    }

    /// Panicking form of [`Tensor::try_max_axes`].
    #[track_caller]
    pub fn max_axes(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        or_panic(self.try_max_axes(axes, keepdim))
    }

    /// Panicking form of [`Tensor::try_min_axes`].
    #[track_caller]
    pub fn min_axes(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        or_panic(self.try_min_axes(axes, keepdim))
    }

    /// Variance over `axes` with Bessel's `correction` (0: biased, 1: unbiased).
    #[track_caller]
    pub fn var_axes(&self, axes: &[usize], keepdim: bool, correction: usize) -> Tensor<T> {
        let n: usize = axes
            .iter()
            .map(|&a| self.shape().get(a).copied().unwrap_or(1))
            .product();
        let centered = self.sub(&self.mean_axes(axes, true));
        let denom = T::from_f64(n.saturating_sub(correction) as f64);
        centered
            .mul(&centered)
            .sum_axes(axes, keepdim)
            .mul_scalar(T::one() / denom)
    }

    /// `ln(sum(exp(x)))` over `axes`, with the maximum subtracted first.
    #[track_caller]
    pub fn logsumexp_axes(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        let m = stable_shift(self, axes);
        let lse = self.sub(&m).exp().sum_axes(axes, true).ln().add(&m);
        if keepdim {
            lse
        } else {
            let axes = or_panic(normalize_axes("logsumexp", axes, self.shape()));
            lse.reshape(&reduced_shape(self.shape(), &axes, false))
        }
    }

    /// Index of the first maximum along `axis`, one per position of the
    /// other axes (row-major). PyTorch: `torch.argmax(x, dim)`.
    #[track_caller]
    pub fn argmax(&self, axis: usize) -> Vec<usize> {
        or_panic(crate::shape::check_axis("argmax", axis, self.shape()));
        reduce::argmax_axis(self, axis)
    }

    /// Index of the first minimum along `axis`.
    #[track_caller]
    pub fn argmin(&self, axis: usize) -> Vec<usize> {
        or_panic(crate::shape::check_axis("argmin", axis, self.shape()));
        reduce::argmin_axis(self, axis)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `y = sum of x over axes`. Backward: `dx = broadcast(dy)` back to the
    /// input's shape: each input element contributed once.
    /// PyTorch: `x.sum(dim=axes, keepdim=keepdim)`.
    ///
    /// # Shapes
    /// `[2, 3, 4]` summed over `[1]` gives `[2, 4]`, or `[2, 1, 4]` with keepdim.
    pub fn try_sum_axes(self, axes: &[usize], keepdim: bool) -> Result<Var<'t, T>> {
        let x = self.value();
        let axes = normalize_axes("sum", axes, x.shape())?;
        let kept = reduced_shape(x.shape(), &axes, true);
        let y = reduce::sum_axes(&x, &axes).reshape(&reduced_shape(x.shape(), &axes, keepdim));
        let x_shape = x.shape().to_vec();
        Ok(self.tape().record("sum", &[self], y, move |_ctx, dy| {
            [Some(dy.reshape(&kept).broadcast_to(&x_shape))]
        }))
    }

    /// Panicking form of [`Var::try_sum_axes`].
    #[track_caller]
    pub fn sum_axes(self, axes: &[usize], keepdim: bool) -> Var<'t, T> {
        or_panic(self.try_sum_axes(axes, keepdim))
    }

    /// Sum of every element, a scalar (shape `[]`): the usual last step
    /// before `backward`.
    pub fn sum(self) -> Var<'t, T> {
        let all: Vec<usize> = (0..self.ndim()).collect();
        self.sum_axes(&all, false)
    }

    /// Mean over `axes` (composed: sum divided by the count).
    #[track_caller]
    pub fn mean_axes(self, axes: &[usize], keepdim: bool) -> Var<'t, T> {
        let shape = self.shape();
        let y = self.sum_axes(axes, keepdim);
        let n: usize = axes.iter().map(|&a| shape[a]).product();
        y.mul_scalar(T::one() / T::from_f64(n as f64))
    }

    /// Mean of every element.
    pub fn mean(self) -> Var<'t, T> {
        let n = self.numel();
        self.sum().mul_scalar(T::one() / T::from_f64(n as f64))
    }

    /// Maximum over `axes`. Backward: `dy` is shared evenly among the
    /// elements equal to the maximum (one element in the usual case without
    /// ties), as PyTorch's `torch.amax`.
    pub fn try_max_axes(self, axes: &[usize], keepdim: bool) -> Result<Var<'t, T>> {
        self.extreme_axes("max", axes, keepdim)
    }

    /// Minimum over `axes`; ties share the gradient as in [`Var::try_max_axes`].
    /// PyTorch: `torch.amin`.
    pub fn try_min_axes(self, axes: &[usize], keepdim: bool) -> Result<Var<'t, T>> {
        self.extreme_axes("min", axes, keepdim)
    }

    /// Panicking form of [`Var::try_max_axes`].
    #[track_caller]
    pub fn max_axes(self, axes: &[usize], keepdim: bool) -> Var<'t, T> {
        or_panic(self.try_max_axes(axes, keepdim))
    }

    /// Panicking form of [`Var::try_min_axes`].
    #[track_caller]
    pub fn min_axes(self, axes: &[usize], keepdim: bool) -> Var<'t, T> {
        or_panic(self.try_min_axes(axes, keepdim))
    }

    fn extreme_axes(self, op: &'static str, axes: &[usize], keepdim: bool) -> Result<Var<'t, T>> {
        let x = self.value();
        let axes = normalize_axes(op, axes, x.shape())?;
        let kept_shape = reduced_shape(x.shape(), &axes, true);
        let kept = if op == "max" {
            reduce::max_axes(&x, &axes)
        } else {
            reduce::min_axes(&x, &axes)
        };
        let y = kept.reshape(&reduced_shape(x.shape(), &axes, keepdim));
        Ok(self.tape().record(op, &[self], y, move |ctx, dy| {
            // Which elements attain the extremum, each weighted 1/count so
            // ties share dy. Worked out only when a gradient is asked for; a
            // constant, as its derivative is zero almost everywhere.
            let x = ctx.input(0).value();
            let kept = ctx.output().value().reshape(&kept_shape);
            let hit = x
                .sub(&kept)
                .map(|d| if d == T::zero() { T::one() } else { T::zero() });
            let share = hit.div(&reduce::sum_axes(&hit, &axes));
            let share = ctx.tape().constant(share);
            [Some(dy.reshape(&kept_shape) * share)]
        }))
    }

    /// Variance over `axes` with Bessel's `correction` (0: divide by n, the
    /// biased variance batch norm uses; 1: divide by n - 1). Composed:
    /// `sum((x - mean)^2) / (n - correction)`. PyTorch:
    /// `torch.var(x, dim, correction=...)`.
    #[track_caller]
    pub fn var_axes(self, axes: &[usize], keepdim: bool, correction: usize) -> Var<'t, T> {
        let shape = self.shape();
        let n: usize = axes.iter().map(|&a| shape[a]).product();
        let centered = self - self.mean_axes(axes, true);
        let denom = T::from_f64(n.saturating_sub(correction) as f64);
        centered
            .square()
            .sum_axes(axes, keepdim)
            .mul_scalar(T::one() / denom)
    }

    /// `ln(sum(exp(x)))` over `axes`, stable: the maximum is subtracted
    /// before exponentiating and added back (as a constant, so it does not
    /// change the gradient, which is softmax(x)). PyTorch: `torch.logsumexp`.
    #[track_caller]
    pub fn logsumexp_axes(self, axes: &[usize], keepdim: bool) -> Var<'t, T> {
        let m = self.tape().constant(stable_shift(&self.value(), axes));
        let lse = (self - m).exp().sum_axes(axes, true).ln() + m;
        if keepdim {
            lse
        } else {
            let axes = or_panic(normalize_axes("logsumexp", axes, &self.shape()));
            lse.reshape(&reduced_shape(&self.shape(), &axes, false))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn sum_and_mean_known_values() {
        // [[1, 2, 3], [4, 5, 6]]: column sums 5 7 9, row means 2 5
        let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        assert_eq!(x.sum_axes(&[0], false).to_vec(), vec![5.0, 7.0, 9.0]);
        assert_eq!(x.mean_axes(&[1], true).shape(), &[2, 1]);
        assert_eq!(x.mean_axes(&[1], true).to_vec(), vec![2.0, 5.0]);
        assert_eq!(x.sum().item(), 21.0);
        assert_eq!(x.max_axes(&[1], false).to_vec(), vec![3.0, 6.0]);
        assert_eq!(x.argmax(1), vec![2, 2]);
        assert_eq!(x.argmin(0), vec![0, 0, 0]);
        // variance of [1, 2, 3] is 2/3 (biased) and 1 (unbiased)
        let v = x.var_axes(&[1], false, 0).to_vec();
        assert!((v[0] - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(x.var_axes(&[1], false, 1).to_vec(), vec![1.0, 1.0]);
        // logsumexp([1, 2, 3]) = 3 + ln(1 + e^-1 + e^-2)
        let l = x.logsumexp_axes(&[1], false).to_vec();
        assert!((l[0] - (3.0 + (1.0 + (-1f64).exp() + (-2f64).exp()).ln())).abs() < 1e-14);
    }

    #[test]
    fn max_gradient_is_shared_among_ties() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![1.0, 3.0, 3.0, 0.0], &[4]));
        let g = x.max_axes(&[0], false).backward();
        assert_eq!(g.wrt(x).unwrap().to_vec(), vec![0.0, 0.5, 0.5, 0.0]);
    }

    #[test]
    fn variance_known_values() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]));
        // mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5
        assert_eq!(x.var_axes(&[0], false, 0).item(), 1.25);
        assert!((x.var_axes(&[0], false, 1).item() - 5.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn logsumexp_is_stable_for_large_inputs() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], &[2]));
        let y = x.logsumexp_axes(&[0], false);
        assert!((y.item() - (1000.0 + 2f64.ln())).abs() < 1e-12);
    }
}
