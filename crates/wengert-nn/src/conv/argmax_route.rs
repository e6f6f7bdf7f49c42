//! The two linear maps that max pooling's gradients travel along, once the
//! forward pass knows each window's argmax: `route_back` adds each output's
//! gradient into the input position that won its window, and
//! `route_forward` reads those positions back. Each is the other's
//! adjoint and backward rule, so max pooling stays differentiable any
//! number of times (as `im2col` / `col2im` do for convolution).
//!
//! The generic `gather` / `scatter_add` pair would do the same, but checks
//! every index on every call and needs the input reshaped and, for windows
//! lying wholly in the padding, a `-infinity` column appended; here the
//! indices come from the pooling kernel, are valid by construction, and
//! are shared by every node that uses them. The loops, split over planes
//! between threads, are in `max_pool_kernel.rs`.

use std::rc::Rc;

use wengert_tensor::{Float, Tensor, Var};

use super::max_pool_kernel::{gather_from_argmax, scatter_to_argmax, Planes};

/// The flat input position (over the whole `[N, C, H, W]` input) of each
/// output's window maximum, or `max_pool_kernel::NOWHERE` for a window
/// with no input position, the planes they lie in, and the two shapes.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) index: Vec<usize>,
    pub(crate) dims: Planes,
    pub(crate) input_shape: Vec<usize>,
    pub(crate) output_shape: Vec<usize>,
}

/// `dx [input_shape]` with `dx[index[k]] += dy[k]`: the adjoint of
/// [`route_forward`]. Overlapping windows (stride below the kernel) may
/// share a maximum; their contributions add, in output order.
pub(crate) fn route_back<'t, T: Float>(dy: Var<'t, T>, route: Rc<Route>) -> Var<'t, T> {
    let dx = scatter_to_argmax(&dy.value().values(), &route.index, route.dims);
    let value = Tensor::from_vec(dx, &route.input_shape);
    dy.tape()
        .record("max_pool2d_backward", &[dy], value, move |_ctx, ddx| {
            [Some(route_forward(ddx, route.clone()))]
        })
}

/// `y [output_shape]` with `y[k] = x[index[k]]` (zero for a window with no
/// input position): the adjoint of [`route_back`].
pub(crate) fn route_forward<'t, T: Float>(x: Var<'t, T>, route: Rc<Route>) -> Var<'t, T> {
    let y = gather_from_argmax(&x.value().values(), &route.index, route.dims);
    let value = Tensor::from_vec(y, &route.output_shape);
    x.tape()
        .record("max_pool2d_route", &[x], value, move |_ctx, dy| {
            [Some(route_back(dy, route.clone()))]
        })
}
