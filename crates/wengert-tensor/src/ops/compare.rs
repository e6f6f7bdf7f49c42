//! Comparison masks and `select` (PyTorch's `torch.where`).
//!
//! A mask is a tensor of 0s and 1s of the compared operands' broadcast
//! shape. Masks are not differentiable (their derivative is zero almost
//! everywhere), so they live on `Tensor`; `select` uses one to route values
//! and gradients between two Vars.

use crate::error::Result;
use crate::float::Float;
use crate::kernels::elementwise::zip_broadcast;
use crate::shape::broadcast_shapes;
use crate::tape::Var;
use crate::tensor::Tensor;

fn bool_to<T: Float>(b: bool) -> T {
    if b {
        T::one()
    } else {
        T::zero()
    }
}

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident, $try:ident, $scalar:ident, $op:tt;)*) => {
        impl<T: Float> Tensor<T> {
            $(
                $(#[$doc])*
                pub fn $try(&self, b: &Tensor<T>) -> Result<Tensor<T>> {
                    zip_broadcast(stringify!($name), self, b, |x, y| bool_to(x $op y))
                }

                $(#[$doc])*
                /// (against a scalar)
                pub fn $scalar(&self, c: T) -> Tensor<T> {
                    self.map(move |x| bool_to(x $op c))
                }
            )*
        }

        panicking! { Tensor {
            $(fn $name(&self, b: &Tensor<T>) -> Tensor<T> = $try;)*
        } }
    };
}

comparisons! {
    /// Mask of `a > b`, broadcasting: 1 where true, 0 where false.
    /// PyTorch: `torch.gt` (as 0/1 floats).
    gt, try_gt, gt_scalar, >;
    /// Mask of `a >= b`, broadcasting. PyTorch: `torch.ge`.
    ge, try_ge, ge_scalar, >=;
    /// Mask of `a < b`, broadcasting. PyTorch: `torch.lt`.
    lt, try_lt, lt_scalar, <;
    /// Mask of `a <= b`, broadcasting. PyTorch: `torch.le`.
    le, try_le, le_scalar, <=;
    /// Mask of `a == b`, broadcasting (named `eq_mask` so it is not
    /// confused with `PartialEq::eq`, which compares whole tensors).
    /// PyTorch: `torch.eq`.
    eq_mask, try_eq_mask, eq_scalar, ==;
}

impl<T: Float> Tensor<T> {
    /// `mask ? on_true : on_false` element-wise, all three broadcast
    /// together. A mask element is true when non-zero.
    /// PyTorch: `torch.where(mask != 0, on_true, on_false)`.
    pub fn try_select(
        mask: &Tensor<T>,
        on_true: &Tensor<T>,
        on_false: &Tensor<T>,
    ) -> Result<Tensor<T>> {
        let shape = broadcast_shapes("select", mask.shape(), on_true.shape())?;
        let shape = broadcast_shapes("select", &shape, on_false.shape())?;
        let m = mask.try_broadcast_to(&shape)?;
        let a = on_true.try_broadcast_to(&shape)?;
        let b = on_false.try_broadcast_to(&shape)?;
        let picked: Vec<T> = m
            .values()
            .iter()
            .zip(a.values().iter().zip(b.values().iter()))
            .map(|(&m, (&x, &y))| if m != T::zero() { x } else { y })
            .collect();
        Tensor::try_from_vec(picked, &shape)
    }
}

panicking! { Tensor {
    fn select(mask: &Tensor<T>, on_true: &Tensor<T>, on_false: &Tensor<T>) -> Tensor<T> = try_select;
} }

impl<'t, T: Float> Var<'t, T> {
    /// `y = mask ? a : b` element-wise, broadcasting all three.
    ///
    /// Backward: `da = dy` where the mask holds and 0 elsewhere, `db` the
    /// other way round. Unlike `m * a + (1 - m) * b`, a non-finite value in
    /// the branch not taken does not poison the result. PyTorch:
    /// `torch.where(mask, a, b)`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor, Var};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![-1.0, 2.0], &[2]));
    /// let mask = x.value().gt_scalar(0.0);
    /// let y = Var::select(&mask, x, x.mul_scalar(0.1)); // a leaky relu
    /// assert_eq!(y.value().to_vec(), vec![-0.1, 2.0]);
    /// ```
    pub fn try_select(mask: &Tensor<T>, a: Var<'t, T>, b: Var<'t, T>) -> Result<Var<'t, T>> {
        Var::check_same_tape("select", &[a, b])?;
        let shape = broadcast_shapes("select", mask.shape(), &a.shape())?;
        let shape = broadcast_shapes("select", &shape, &b.shape())?;
        let a = a.try_broadcast_to(&shape)?;
        let b = b.try_broadcast_to(&shape)?;
        let m = mask
            .try_broadcast_to(&shape)?
            .map(|v| bool_to(v != T::zero()));
        let y = Tensor::try_select(&m, &a.value(), &b.value())?;
        Ok(a.tape().record("select", &[a, b], y, move |ctx, dy| {
            let m = ctx.tape().constant(m.clone());
            [
                ctx.needs_grad(0).then(|| dy * m),
                ctx.needs_grad(1).then(|| dy * m.rsub_scalar(T::one())),
            ]
        }))
    }
}

panicking! { Var {
    fn select(mask: &Tensor<T>, a: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> = try_select;
} }

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor, Var};

    #[test]
    fn masks_broadcast_and_select_routes_gradient() {
        let a = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[3]);
        let b = Tensor::<f64>::from_vec(vec![2.0], &[1]);
        assert_eq!(a.gt(&b).to_vec(), vec![0.0, 0.0, 1.0]);
        assert_eq!(a.le(&b).to_vec(), vec![1.0, 1.0, 0.0]);
        assert_eq!(a.eq_mask(&b).to_vec(), vec![0.0, 1.0, 0.0]);
        let tape = Tape::<f64>::new();
        let x = tape.var(a.clone());
        let z = tape.var(Tensor::from_vec(vec![f64::INFINITY; 3], &[3]));
        let y = Var::select(&a.gt(&b), x, z);
        assert_eq!(y.value().to_vec(), vec![f64::INFINITY, f64::INFINITY, 3.0]);
        let g = y.sum().backward();
        assert_eq!(g.wrt(x).unwrap().to_vec(), vec![0.0, 0.0, 1.0]);
        assert_eq!(g.wrt(z).unwrap().to_vec(), vec![1.0, 1.0, 0.0]);
    }

    #[test]
    fn comparison_errors_name_both_shapes() {
        let msg = Tensor::<f32>::zeros(&[2, 3])
            .try_gt(&Tensor::zeros(&[4]))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("gt") && msg.contains("[2, 3]") && msg.contains("[4]"),
            "{msg}"
        );
    }

    #[test]
    fn select_passes_gradcheck_in_f64_and_agrees_in_f32() {
        // The mask is a constant: select routes each dy to one branch.
        let a = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        let b = || Tensor::<f64>::from_f64(&[1.1, -0.6, 0.2], &[3]);
        check_grads!(twice [a(), b()], |tape, v| {
            let mask = v[0].value().gt_scalar(T::zero());
            Var::select(&mask, v[0].square(), v[1] * v[0])
        });
    }
}
