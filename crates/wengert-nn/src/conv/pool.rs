//! Global pooling and flattening: [`GlobalAvgPool2d`], and [`Flatten`],
//! which usually follows the pools. Windowed pooling is in `max_pool.rs`
//! and `avg_pool.rs`.

use wengert_tensor::{Float, Tape, Var};

use crate::error::Result;
use crate::module::input_error;
use crate::Module;

/// Global average pooling: the mean of each channel over the whole image,
/// `[N, C, H, W] -> [N, C, 1, 1]`. Backward: `dx = dy / (H * W)` everywhere.
///
/// PyTorch: `nn.AdaptiveAvgPool2d(1)` (follow it with [`Flatten`] for `[N, C]`).
///
/// ```
/// use wengert_nn::conv::GlobalAvgPool2d;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::arange(0.0, 8.0, 1.0).reshape(&[1, 2, 2, 2]));
/// let y = GlobalAvgPool2d.forward(&tape, x).unwrap();
/// assert_eq!((y.shape(), y.value().to_vec()), (vec![1, 2, 1, 1], vec![1.5, 5.5]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Module)]
#[module(type_name = "AdaptiveAvgPool2d")]
pub struct GlobalAvgPool2d;

impl<T: Float> Module<T> for GlobalAvgPool2d {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        if shape.len() != 4 || shape[2] * shape[3] == 0 {
            return Err(input_error(
                "GlobalAvgPool2d".into(),
                "[N, C, H, W] with H, W >= 1".into(),
                shape,
            ));
        }
        Ok(x.mean_axes(&[2, 3], true))
    }
}

/// Flattens every axis after the first: `[N, d1, d2, ...] -> [N, d1*d2*...]`.
/// Backward: a reshape back.
///
/// PyTorch: `nn.Flatten()` (start_dim 1).
///
/// ```
/// use wengert_nn::conv::Flatten;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let y = Flatten.forward(&tape, tape.constant(Tensor::zeros(&[2, 16, 1, 1]))).unwrap();
/// assert_eq!(y.shape(), vec![2, 16]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Module)]
pub struct Flatten;

impl<T: Float> Module<T> for Flatten {
    fn forward<'t>(&self, _tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        if shape.is_empty() {
            return Err(input_error("Flatten".into(), "[N, ...]".into(), shape));
        }
        let rest: usize = shape[1..].iter().product();
        Ok(x.reshape(&[shape[0], rest]))
    }
}
