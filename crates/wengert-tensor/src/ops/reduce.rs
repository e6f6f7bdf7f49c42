//! Reductions: sum and max/min are primitives; mean, variance and
//! logsumexp are composed.
//!
//! Every reduction takes a set of axes (negative ones count from the back,
//! -1 is the last) and `keepdim`. The backward of a sum restores the
//! reduced axes as size 1 and broadcasts `dy` back.
//!
//! As in PyTorch, a 0-d tensor has one virtual axis: reducing it over 0 or
//! -1 gives the same 0-d value (`torch.tensor(2.5).sum(0)` is
//! `tensor(2.5)`), with or without keepdim. One difference: an empty axis
//! list reduces nothing here, where PyTorch's `x.sum(dim=[])` reduces
//! every axis; use [`Tensor::sum`] / [`Var::sum`] for that.

use crate::error::Result;
use crate::float::Float;
use crate::kernels::reduce;
use crate::shape::{reduced_shape, resolve_axis_or_scalar, resolve_reduction_axes, Axes, Axis};
use crate::tape::Var;
use crate::tensor::Tensor;

/// The maximum over `axes` (kept as size 1) to subtract before
/// exponentiating; 0 where it is not finite, since a row of all -inf would
/// otherwise give -inf - -inf = NaN.
fn stable_shift<T: Float>(x: &Tensor<T>, axes: &[usize]) -> Tensor<T> {
    x.max_axes(axes, true)
        .map(|v| if v.is_finite() { v } else { T::zero() })
}

/// An element count as a float (the divisor of a mean).
fn count<T: Float>(n: usize) -> T {
    T::from_f64(n as f64)
}

/// A reduction by `kernel` over resolved `axes` (which keeps them as size 1),
/// reshaped for `keepdim`; the identity when there is nothing to reduce.
fn reduce_with<T: Float>(
    x: &Tensor<T>,
    axes: &[usize],
    keepdim: bool,
    kernel: fn(&Tensor<T>, &[usize]) -> Tensor<T>,
) -> Result<Tensor<T>> {
    if axes.is_empty() {
        return Ok(x.clone());
    }
    kernel(x, axes).try_reshape(&reduced_shape(x.shape(), axes, keepdim))
}

/// The axis of an argmax/argmin, which must not be empty (there is no
/// index to give; PyTorch refuses it too).
fn arg_axis(op: &'static str, shape: &[usize], axis: impl Axis) -> Result<usize> {
    let ax = resolve_axis_or_scalar(op, axis, shape)?;
    if shape.get(ax) == Some(&0) {
        return Err(crate::error::TensorError::InvalidShape {
            op,
            shape: shape.to_vec(),
            why: format!("axis {ax} is empty: no index to return"),
        });
    }
    Ok(ax)
}

impl<T: Float> Tensor<T> {
    /// Sum over `axes` (negative ones count from the back); `keepdim`
    /// keeps them as size 1. [`Tensor::sum`] sums every element; an empty
    /// axis list reduces nothing (PyTorch's `x.sum(dim=[])` reduces all).
    /// A 0-d tensor accepts axis 0 or -1 and stays 0-d, as in PyTorch.
    /// PyTorch: `x.sum(dim=axes, keepdim=keepdim)`.
    pub fn try_sum_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Tensor<T>> {
        let axes = resolve_reduction_axes("sum", axes, self.shape())?;
        reduce_with(self, &axes, keepdim, reduce::sum_axes)
    }

    /// Sum of every element, as a scalar tensor.
    pub fn sum(&self) -> Tensor<T> {
        let all: Vec<usize> = (0..self.ndim()).collect();
        self.sum_axes(&all, false)
    }

    /// Mean over `axes`. PyTorch: `x.mean(dim=axes, keepdim=keepdim)`.
    pub fn try_mean_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Tensor<T>> {
        let axes = resolve_reduction_axes("mean", axes, self.shape())?;
        let n: usize = axes.iter().map(|&a| self.shape()[a]).product();
        Ok(reduce_with(self, &axes, keepdim, reduce::sum_axes)?.mul_scalar(T::one() / count(n)))
    }

    /// Mean of every element.
    pub fn mean(&self) -> Tensor<T> {
        self.sum().mul_scalar(T::one() / count(self.numel()))
    }

    /// Maximum over `axes` (NaN propagates). PyTorch: `torch.amax`.
    pub fn try_max_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Tensor<T>> {
        let axes = resolve_reduction_axes("max", axes, self.shape())?;
        reduce_with(self, &axes, keepdim, reduce::max_axes)
    }

    /// Minimum over `axes` (NaN propagates). PyTorch: `torch.amin`.
    pub fn try_min_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Tensor<T>> {
        let axes = resolve_reduction_axes("min", axes, self.shape())?;
        reduce_with(self, &axes, keepdim, reduce::min_axes)
    }

    /// Variance over `axes` with Bessel's `correction` (0: biased, 1:
    /// unbiased); NaN when `correction` is not below the count, as in
    /// PyTorch's `torch.var(x, dim, correction=...)`.
    pub fn try_var_axes(
        &self,
        axes: &(impl Axes + ?Sized),
        keepdim: bool,
        correction: usize,
    ) -> Result<Tensor<T>> {
        let axes = resolve_reduction_axes("var", axes, self.shape())?;
        let n: usize = axes.iter().map(|&a| self.shape()[a]).product();
        let centered = self.sub(&self.mean_axes(&axes, true));
        let denom = count::<T>(n.saturating_sub(correction));
        Ok(
            reduce_with(&centered.mul(&centered), &axes, keepdim, reduce::sum_axes)?
                .mul_scalar(T::one() / denom),
        )
    }

    /// `ln(sum(exp(x)))` over `axes`, with the maximum subtracted first.
    /// PyTorch: `torch.logsumexp(x, dim, keepdim)`.
    pub fn try_logsumexp_axes(
        &self,
        axes: &(impl Axes + ?Sized),
        keepdim: bool,
    ) -> Result<Tensor<T>> {
        let axes = resolve_reduction_axes("logsumexp", axes, self.shape())?;
        let m = stable_shift(self, &axes);
        let lse = self.sub(&m).exp().sum_axes(&axes, true).ln().add(&m);
        if keepdim {
            Ok(lse)
        } else {
            lse.try_reshape(&reduced_shape(self.shape(), &axes, false))
        }
    }

    /// Index of the first maximum along `axis`, one per position of the
    /// other axes (row-major); `[0]` for a 0-d tensor.
    /// PyTorch: `torch.argmax(x, dim)`.
    pub fn try_argmax(&self, axis: impl Axis) -> Result<Vec<usize>> {
        let ax = arg_axis("argmax", self.shape(), axis)?;
        Ok(match self.ndim() {
            0 => vec![0],
            _ => reduce::argmax_axis(self, ax),
        })
    }

    /// Index of the first minimum along `axis`. PyTorch: `torch.argmin(x, dim)`.
    pub fn try_argmin(&self, axis: impl Axis) -> Result<Vec<usize>> {
        let ax = arg_axis("argmin", self.shape(), axis)?;
        Ok(match self.ndim() {
            0 => vec![0],
            _ => reduce::argmin_axis(self, ax),
        })
    }
}

panicking! { Tensor {
    fn sum_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Tensor<T> = try_sum_axes;
    fn mean_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Tensor<T> = try_mean_axes;
    fn max_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Tensor<T> = try_max_axes;
    fn min_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Tensor<T> = try_min_axes;
    fn var_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool, correction: usize) -> Tensor<T> = try_var_axes;
    fn logsumexp_axes(&self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Tensor<T> = try_logsumexp_axes;
    fn argmax(&self, axis: impl Axis) -> Vec<usize> = try_argmax;
    fn argmin(&self, axis: impl Axis) -> Vec<usize> = try_argmin;
} }

impl<'t, T: Float> Var<'t, T> {
    /// `y = sum of x over axes`. Backward: `dx = broadcast(dy)` back to the
    /// input's shape: each input element contributed once.
    /// PyTorch: `x.sum(dim=axes, keepdim=keepdim)`.
    ///
    /// # Shapes
    /// `[2, 3, 4]` summed over `[1]` (or `[-2]`) gives `[2, 4]`, or
    /// `[2, 1, 4]` with keepdim. A 0-d tensor summed over 0 or -1 stays
    /// 0-d, as in PyTorch. An empty axis list reduces nothing, where
    /// PyTorch's `x.sum(dim=[])` reduces every axis: use [`Var::sum`].
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// assert_eq!(x.sum_axes(&[-1], false).value().to_vec(), vec![3.0, 7.0]);
    /// ```
    pub fn try_sum_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Var<'t, T>> {
        let x = self.value();
        let axes = resolve_reduction_axes("sum", axes, x.shape())?;
        self.sum_resolved(&x, &axes, keepdim)
    }

    /// The sum over `axes` already resolved against `x`, this Var's value.
    fn sum_resolved(self, x: &Tensor<T>, axes: &[usize], keepdim: bool) -> Result<Var<'t, T>> {
        let kept = reduced_shape(x.shape(), axes, true);
        let y = reduce_with(x, axes, keepdim, reduce::sum_axes)?;
        let x_shape = x.shape().to_vec();
        Ok(self.tape().record("sum", &[self], y, move |_ctx, dy| {
            [Some(dy.reshape(&kept).broadcast_to(&x_shape))]
        }))
    }

    /// Sum of every element, a scalar (shape `[]`): the usual last step
    /// before `backward`.
    pub fn sum(self) -> Var<'t, T> {
        let x = self.value();
        let all: Vec<usize> = (0..x.ndim()).collect();
        super::or_panic(self.sum_resolved(&x, &all, false))
    }

    /// Mean over `axes` (composed: sum divided by the count).
    /// PyTorch: `x.mean(dim=axes, keepdim=keepdim)`.
    pub fn try_mean_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Var<'t, T>> {
        let x = self.value();
        let axes = resolve_reduction_axes("mean", axes, x.shape())?;
        let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
        Ok(self
            .sum_resolved(&x, &axes, keepdim)?
            .mul_scalar(T::one() / count(n)))
    }

    /// Mean of every element.
    pub fn mean(self) -> Var<'t, T> {
        let n = self.numel();
        self.sum().mul_scalar(T::one() / count(n))
    }

    /// Maximum over `axes`. Backward: `dy` is shared evenly among the
    /// elements equal to the maximum (one element in the usual case without
    /// ties), as PyTorch's `torch.amax`.
    pub fn try_max_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Var<'t, T>> {
        self.extreme_axes("max", axes, keepdim)
    }

    /// Minimum over `axes`; ties share the gradient as in [`Var::try_max_axes`].
    /// PyTorch: `torch.amin`.
    pub fn try_min_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Result<Var<'t, T>> {
        self.extreme_axes("min", axes, keepdim)
    }

    fn extreme_axes(
        self,
        op: &'static str,
        axes: &(impl Axes + ?Sized),
        keepdim: bool,
    ) -> Result<Var<'t, T>> {
        let x = self.value();
        let axes = resolve_reduction_axes(op, axes, x.shape())?;
        let kept_shape = reduced_shape(x.shape(), &axes, true);
        let kernel = if op == "max" {
            reduce::max_axes
        } else {
            reduce::min_axes
        };
        let y = reduce_with(&x, &axes, keepdim, kernel)?;
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
    pub fn try_var_axes(
        self,
        axes: &(impl Axes + ?Sized),
        keepdim: bool,
        correction: usize,
    ) -> Result<Var<'t, T>> {
        let shape = self.shape();
        let axes = resolve_reduction_axes("var", axes, &shape)?;
        let n: usize = axes.iter().map(|&a| shape[a]).product();
        let centered = self - self.mean_axes(&axes, true);
        let denom = count::<T>(n.saturating_sub(correction));
        Ok(centered
            .square()
            .sum_axes(&axes, keepdim)
            .mul_scalar(T::one() / denom))
    }

    /// `ln(sum(exp(x)))` over `axes`, stable: the maximum is subtracted
    /// before exponentiating and added back (as a constant, so it does not
    /// change the gradient, which is softmax(x)). PyTorch: `torch.logsumexp`.
    pub fn try_logsumexp_axes(
        self,
        axes: &(impl Axes + ?Sized),
        keepdim: bool,
    ) -> Result<Var<'t, T>> {
        let shape = self.shape();
        let axes = resolve_reduction_axes("logsumexp", axes, &shape)?;
        let m = self.tape().constant(stable_shift(&self.value(), &axes));
        let lse = (self - m).exp().sum_axes(&axes, true).ln() + m;
        if keepdim {
            Ok(lse)
        } else {
            lse.try_reshape(&reduced_shape(&shape, &axes, false))
        }
    }
}

panicking! { Var {
    fn sum_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Var<'t, T> = try_sum_axes;
    fn mean_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Var<'t, T> = try_mean_axes;
    fn max_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Var<'t, T> = try_max_axes;
    fn min_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Var<'t, T> = try_min_axes;
    fn var_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool, correction: usize) -> Var<'t, T> = try_var_axes;
    fn logsumexp_axes(self, axes: &(impl Axes + ?Sized), keepdim: bool) -> Var<'t, T> = try_logsumexp_axes;
} }

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
    fn negative_axes_name_the_same_axes() {
        let x = Tensor::<f64>::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]);
        assert_eq!(x.sum_axes(&[-1], false), x.sum_axes(&[2], false));
        assert_eq!(x.mean_axes(&[-3, -1], true), x.mean_axes(&[0, 2], true));
        assert_eq!(x.max_axes(&[-2], false), x.max_axes(&[1], false));
        assert_eq!(x.argmax(-1), x.argmax(2));
        assert!(x.try_sum_axes(&[-1, 2], false).is_err()); // one axis twice
        assert!(x.try_sum_axes(&[-4], false).is_err());
    }

    #[test]
    fn reductions_of_a_0d_tensor_over_axis_0_or_minus_1_follow_pytorch() {
        // s = torch.tensor(2.5, dtype=torch.float64, requires_grad=True):
        // s.sum(0), s.sum(0, keepdim=True), s.mean(-1), s.amax(0), s.amin(-1),
        // torch.logsumexp(s, 0) are all tensor(2.5) of shape ();
        // s.var(0, correction=0) is 0, s.var(0) is nan; s.argmax(0) is 0;
        // s.sum(1) raises "Dimension out of range (expected to be in range of [-1, 0], but got 1)".
        let tape = Tape::<f64>::new();
        let s = tape.var(Tensor::scalar(2.5));
        for y in [
            s.sum_axes(&[0], false),
            s.sum_axes(&[0], true),
            s.mean_axes(&[-1], false),
            s.max_axes(&[0], false),
            s.min_axes(&[-1], true),
            s.logsumexp_axes(&[0], false),
        ] {
            assert_eq!(y.shape(), Vec::<usize>::new());
            assert_eq!(y.item(), 2.5);
            // d/ds of each is 1 (s.sum(0).backward() gives s.grad = 1)
            assert_eq!(y.backward().wrt(s).unwrap().item(), 1.0);
        }
        assert_eq!(s.var_axes(&[0], false, 0).item(), 0.0);
        assert!(s.var_axes(&[0], false, 1).item().is_nan());
        assert_eq!(s.value().argmax(0), vec![0]);
        let msg = s.try_sum_axes(&[1], false).unwrap_err().to_string();
        assert!(msg.contains("valid axes: -1 to 0"), "{msg}");
        // torch.zeros(2, 0).argmax(1) raises: no index to return
        assert!(Tensor::<f64>::zeros(&[2, 0]).try_argmax(1).is_err());
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

    #[test]
    fn reductions_pass_gradcheck_in_f64_and_agree_in_f32() {
        // Distinct values (no ties for max/min).
        let x = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        check_grads!(twice[x()], |tape, v| v[0].sum_axes(&[-1], true).square());
        check_grads!(twice[x()], |tape, v| v[0].mean_axes(&[0], false).square());
        check_grads!([x()], |tape, v| v[0].max_axes(&[-1], false)
            + v[0].min_axes(&[0], false).sum());
        check_grads!(twice[x()], |tape, v| v[0].var_axes(&[-1], false, 1));
        check_grads!(twice[x()], |tape, v| v[0].logsumexp_axes(&[0, -1], false));
        check_grads!([Tensor::scalar(0.7)], |tape, v| v[0]
            .logsumexp_axes(&[-1], true)
            .exp());
    }
}
