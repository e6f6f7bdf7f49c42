//! proptest strategies for shapes and tensors (feature `testing`), so every
//! crate and every user writing an op tests gradients the same way.
//!
//! ```
//! use proptest::prelude::*;
//! use wengert_tensor::testing::{shape, tensor_with_shape};
//! proptest!(|(x in shape(3, 4).prop_flat_map(|s| tensor_with_shape(s, -2.0..2.0)))| {
//!     prop_assert!(x.numel() >= 1);
//! });
//! ```

use proptest::prelude::*;

use crate::tensor::Tensor;

/// Shapes of rank 1 to `max_rank`, each size 1 to `max_dim`.
pub fn shape(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..=max_dim, 1..=max_rank)
}

/// Shapes of exactly `rank` axes, each size 1 to `max_dim`.
pub fn shape_of_rank(rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..=max_dim, rank)
}

/// Pairs of shapes that broadcast together: a full shape, and a second one
/// made from it by dropping leading axes and setting some sizes to 1 (either
/// side may be the "smaller" one).
pub fn broadcast_pair(
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    shape(max_rank, max_dim)
        .prop_flat_map(|full| {
            let rank = full.len();
            (
                Just(full),
                0..=rank,
                prop::collection::vec(any::<bool>(), rank),
                any::<bool>(),
            )
        })
        .prop_map(|(full, drop, ones, swap)| {
            let small: Vec<usize> = full
                .iter()
                .zip(&ones)
                .skip(drop.min(full.len() - 1))
                .map(|(&d, &one)| if one { 1 } else { d })
                .collect();
            if swap {
                (small, full)
            } else {
                (full, small)
            }
        })
}

/// A tensor of the given shape with values uniform in `range`.
pub fn tensor_with_shape(
    shape: Vec<usize>,
    range: std::ops::Range<f64>,
) -> impl Strategy<Value = Tensor<f64>> {
    let n: usize = shape.iter().product();
    prop::collection::vec(range, n).prop_map(move |data| Tensor::from_vec(data, &shape))
}

/// A tensor of random shape (rank 1 to `max_rank`, sizes 1 to `max_dim`)
/// with values in `range`.
pub fn tensor(
    max_rank: usize,
    max_dim: usize,
    range: std::ops::Range<f64>,
) -> impl Strategy<Value = Tensor<f64>> {
    shape(max_rank, max_dim).prop_flat_map(move |s| tensor_with_shape(s, range.clone()))
}

/// A tensor whose values keep at least `gap` away from every point in
/// `kinks` (for ops with a kink, like relu at 0 or clamp at its bounds, where
/// finite differences straddling the kink are meaningless).
pub fn tensor_away_from(
    shape: Vec<usize>,
    range: std::ops::Range<f64>,
    kinks: Vec<f64>,
    gap: f64,
) -> impl Strategy<Value = Tensor<f64>> {
    tensor_with_shape(shape, range).prop_map(move |t| {
        t.map(|x| {
            let mut x = x;
            for &k in &kinks {
                if (x - k).abs() < gap {
                    x = if x >= k { k + gap } else { k - gap };
                }
            }
            x
        })
    })
}
