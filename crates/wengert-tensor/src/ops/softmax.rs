//! softmax and log_softmax along an axis, composed from logsumexp, so both
//! are stable for large inputs and twice differentiable.
//!
//! `log_softmax(x) = (x - m) - ln(sum(exp(x - m)))` with `m` the row maximum,
//! and `softmax(x) = exp(log_softmax(x))`.

use crate::float::Float;
use crate::tape::Var;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// `exp(x - logsumexp(x))` along `axis`.
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Tensor<T> {
        self.log_softmax(axis).exp()
    }

    /// `x - logsumexp(x)` along `axis`, with the maximum subtracted first.
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Tensor<T> {
        let m = self
            .max_axes(&[axis], true)
            .map(|v| if v.is_finite() { v } else { T::zero() });
        let shifted = self.sub(&m);
        let lse = shifted.exp().sum_axes(&[axis], true).ln();
        shifted.sub(&lse)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `y_i = e^{x_i} / sum_j e^{x_j}` along `axis`; composed as
    /// `exp(log_softmax(x))`. Its gradient is `dx = y * (dy - sum(dy * y))`.
    /// PyTorch: `torch.softmax(x, axis)`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], &[1, 2]));
    /// assert_eq!(x.softmax(1).value().to_vec(), vec![0.5, 0.5]); // no overflow
    /// ```
    #[track_caller]
    pub fn softmax(self, axis: usize) -> Var<'t, T> {
        self.log_softmax(axis).exp()
    }

    /// `y = x - logsumexp(x)` along `axis`: log-probabilities, stable for
    /// large inputs. Gradient `dx = dy - softmax(x) * sum(dy)`.
    /// PyTorch: `torch.log_softmax(x, axis)`.
    #[track_caller]
    pub fn log_softmax(self, axis: usize) -> Var<'t, T> {
        // Shift by the row maximum (a constant: it cancels in the gradient)
        // and never add it back: `x - (m + ln s)` would round at the scale of
        // m and lose the small log-probabilities' digits.
        let m = self
            .value()
            .max_axes(&[axis], true)
            .map(|v| if v.is_finite() { v } else { T::zero() });
        let shifted = self - self.tape().constant(m);
        shifted - shifted.exp().sum_axes(&[axis], true).ln()
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    #[test]
    fn softmax_known_values_and_sums_to_one() {
        // softmax([0, ln 3]) = [1/4, 3/4]
        let x = Tensor::<f64>::from_vec(vec![0.0, 3f64.ln()], &[1, 2]);
        let y = x.softmax(1).to_vec();
        assert!((y[0] - 0.25).abs() < 1e-15 && (y[1] - 0.75).abs() < 1e-15);
        let z = Tensor::<f64>::arange(0.0, 12.0, 1.0)
            .reshape(&[3, 4])
            .softmax(0);
        for s in z.sum_axes(&[0], false).to_vec() {
            assert!((s - 1.0).abs() < 1e-15);
        }
    }
}
