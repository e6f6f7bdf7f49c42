//! Convolutional layers for `[N, C, H, W]` images: [`Conv2d`],
//! [`MaxPool2d`], [`AvgPool2d`], [`GlobalAvgPool2d`], [`BatchNorm2d`],
//! [`Flatten`], and ResNet's [`ResidualBlock`].
//!
//! ## Reading order
//!
//! 1. `window.rs`: the sliding-window geometry ([`Window2d`]) and the one
//!    new primitive pair, [`im2col`] and its adjoint [`col2im`], each the
//!    other's backward rule.
//! 2. `conv2d.rs`: convolution as im2col followed by one (grouped) matrix
//!    product; its gradients come from those two ops; the bias is added by
//!    one per-channel node (`channel_bias.rs`).
//! 3. `padding.rs`: the padding modes other than zeros (reflect, replicate,
//!    circular) as an `index_select` per axis.
//! 4. `max_pool.rs`: max pooling, its values and argmax positions in one
//!    pass, the gradient routed to them by `argmax_route.rs` (the loops of
//!    both in `max_pool_kernel.rs`);
//!    `avg_pool.rs`: average pooling as im2col, a sum and a divisor per
//!    window; `pool.rs`: global pooling, flatten.
//! 5. `batch_norm2d.rs` (its fused node, shared with `BatchNorm1d`, in
//!    `batch_norm_fused.rs`, its loops in `batch_norm_kernel.rs`) and
//!    `residual_block.rs`.

mod argmax_route;
mod avg_pool;
mod batch_norm2d;
pub(crate) mod batch_norm_fused;
mod batch_norm_kernel;
mod channel_bias;
mod conv2d;
mod max_pool;
mod max_pool_kernel;
mod padding;
mod pool;
mod residual_block;
mod window;

pub use avg_pool::AvgPool2d;
pub use batch_norm2d::BatchNorm2d;
pub use conv2d::{Conv2d, Conv2dConfig};
pub use max_pool::MaxPool2d;
pub use padding::PaddingMode;
pub use pool::{Flatten, GlobalAvgPool2d};
pub use residual_block::ResidualBlock;
pub use window::{col2im, im2col, Window2d};
