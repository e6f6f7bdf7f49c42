//! Kernels that walk strided views in contiguous runs (copies, reductions,
//! broadcasts, element-wise zips)
//! give the same bits as the definition read element by element.
//!
//! Views are made by permuting and narrowing random tensors, so their
//! strides have gaps, offsets and reversed orders. The references index each
//! element with `Tensor::at`, which shares no code with the run-walking
//! kernels.

use proptest::prelude::*;
use rayon::ThreadPoolBuilder;
use wengert_tensor::kernels::elementwise::{broadcast_to, zip_same};
use wengert_tensor::kernels::reduce::{max_axes, sum_axes};
use wengert_tensor::kernels::CHUNK;
use wengert_tensor::{seeded_rng, Tensor};

/// Every multi-index of `shape` in row-major order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..n {
        out.push(index.clone());
        for ax in (0..shape.len()).rev() {
            index[ax] += 1;
            if index[ax] < shape[ax] {
                break;
            }
            index[ax] = 0;
        }
    }
    out
}

/// The elements of a view read one at a time, row-major.
fn read_each(t: &Tensor<f32>) -> Vec<f32> {
    indices(t.shape()).iter().map(|i| t.at(i)).collect()
}

/// The documented reduction order: each output's reduced elements row-major,
/// folded in chunks of `CHUNK` from `init`, chunk results combined in order.
fn reduce_by_definition(
    t: &Tensor<f32>,
    axes: &[usize],
    init: f32,
    f: impl Fn(f32, f32) -> f32,
) -> Vec<f32> {
    let shape = t.shape();
    let kept: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
    let kept_shape: Vec<usize> = kept.iter().map(|&a| shape[a]).collect();
    let reduced_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    indices(&kept_shape)
        .iter()
        .map(|k| {
            let row: Vec<f32> = indices(&reduced_shape)
                .iter()
                .map(|r| {
                    let mut full = vec![0; shape.len()];
                    for (&ax, &i) in kept.iter().zip(k) {
                        full[ax] = i;
                    }
                    for (&ax, &i) in axes.iter().zip(r) {
                        full[ax] = i;
                    }
                    t.at(&full)
                })
                .collect();
            row.chunks(CHUNK)
                .map(|c| c.iter().fold(init, |a, &x| f(a, x)))
                .fold(init, &f)
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// A view of a random tensor of `shape`: permuted by `perm`, then narrowed
/// along one axis (`narrow` picks axis, start and length, clamped to fit).
fn view(shape: &[usize], seed: u64, perm: &[usize], narrow: (usize, usize, usize)) -> Tensor<f32> {
    let t = Tensor::<f32>::randn(shape, &mut seeded_rng(seed)).permute(perm);
    let axis = narrow.0 % t.ndim();
    let size = t.shape()[axis];
    let start = narrow.1 % size;
    let len = 1 + narrow.2 % (size - start);
    t.narrow(axis, start, len)
}

fn view_parts() -> impl Strategy<Value = (Vec<usize>, u64, Vec<usize>, (usize, usize, usize))> {
    prop::collection::vec(1..=6usize, 1..=4).prop_flat_map(|shape| {
        let rank = shape.len();
        (
            Just(shape),
            any::<u64>(),
            Just((0..rank).collect::<Vec<usize>>()).prop_shuffle(),
            (any::<usize>(), any::<usize>(), any::<usize>()),
        )
    })
}

/// A non-empty sorted subset of `0..rank` from the bits of `mask`.
fn axes_from(mask: u8, rank: usize) -> Vec<usize> {
    let axes: Vec<usize> = (0..rank).filter(|a| mask & (1 << a) != 0).collect();
    if axes.is_empty() {
        vec![rank - 1]
    } else {
        axes
    }
}

proptest! {
    #[test]
    fn contiguous_copy_of_a_permuted_narrowed_view_reads_each_element(
        (shape, seed, perm, narrow) in view_parts(),
    ) {
        let v = view(&shape, seed, &perm, narrow);
        let copy = v.contiguous();
        prop_assert!(copy.is_contiguous());
        prop_assert_eq!(copy.shape(), v.shape());
        prop_assert_eq!(bits(&copy.to_vec()), bits(&read_each(&v)));
    }

    #[test]
    fn sum_and_max_over_any_axes_of_a_view_match_the_definition_bitwise(
        (shape, seed, perm, narrow) in view_parts(),
        mask in any::<u8>(),
    ) {
        let v = view(&shape, seed, &perm, narrow);
        let axes = axes_from(mask, v.ndim());
        let sum = sum_axes(&v, &axes).to_vec();
        prop_assert_eq!(bits(&sum), bits(&reduce_by_definition(&v, &axes, 0.0, |a, b| a + b)));
        let max = max_axes(&v, &axes).to_vec();
        prop_assert_eq!(bits(&max), bits(&reduce_by_definition(&v, &axes, f32::NEG_INFINITY, f32::max)));
    }
    #[test]
    fn broadcast_of_a_view_repeats_each_element_of_the_view(
        (shape, seed, perm, narrow) in view_parts(),
        mask in any::<u8>(),
        lead in prop::collection::vec(1..=3usize, 0..=2),
    ) {
        // Narrow the axes in `mask` to size 1, then broadcast back to the
        // view's full shape behind `lead` new axes.
        let full = view(&shape, seed, &perm, narrow);
        let mut small = full.clone();
        for ax in 0..full.ndim() {
            if mask & (1 << ax) != 0 {
                small = small.narrow(ax, 0, 1);
            }
        }
        let target: Vec<usize> = lead.iter().chain(full.shape()).copied().collect();
        let got = broadcast_to(&small, &target);
        prop_assert_eq!(got.shape(), &target[..]);
        let want: Vec<f32> = indices(&target)
            .iter()
            .map(|i| {
                let src: Vec<usize> = i[lead.len()..]
                    .iter()
                    .zip(small.shape())
                    .map(|(&k, &d)| if d == 1 { 0 } else { k })
                    .collect();
                small.at(&src)
            })
            .collect();
        prop_assert_eq!(bits(&got.to_vec()), bits(&want));
    }

    #[test]
    fn zip_of_two_differently_strided_views_pairs_elements_by_position(
        (shape, seed, perm, narrow) in view_parts(),
    ) {
        let a = view(&shape, seed, &perm, narrow);
        // b: a reversed-axes transpose holding a's shape, so its strides
        // run the other way.
        let rev: Vec<usize> = a.shape().iter().rev().copied().collect();
        let order: Vec<usize> = (0..a.ndim()).rev().collect();
        let b = Tensor::<f32>::randn(&rev, &mut seeded_rng(seed ^ 1)).permute(&order);
        for (x, y) in [(&a, &b), (&b, &a), (&a, &a.contiguous())] {
            let got = zip_same(x, y, |p, q| p * q - p);
            let want: Vec<f32> = read_each(x)
                .iter()
                .zip(read_each(y))
                .map(|(&p, q)| p * q - p)
                .collect();
            prop_assert_eq!(got.shape(), x.shape());
            prop_assert_eq!(bits(&got.to_vec()), bits(&want));
        }
    }
}

/// Per-channel sums of `[N, C, H, W]` shapes that cross the chunk length
/// (several chunks per channel, chunks split inside an `H * W` run) and the
/// parallel conditions (64 channels and many elements; one channel row above
/// the threshold), against the definition, bitwise.
#[test]
fn per_channel_sums_of_large_activations_keep_the_chunked_order() {
    let shapes: [&[usize]; 3] = [&[4, 3, 60, 70], &[2, 64, 32, 40], &[3, 2, 250, 200]];
    for (seed, shape) in shapes.into_iter().enumerate() {
        let x = Tensor::<f32>::randn(shape, &mut seeded_rng(seed as u64));
        let got = sum_axes(&x, &[0, 2, 3]).to_vec();
        let want = reduce_by_definition(&x, &[0, 2, 3], 0.0, |a, b| a + b);
        assert_eq!(bits(&got), bits(&want), "shape {shape:?}");
        // Permute-then-copy (the path without runs) agrees too.
        let moved = x.permute(&[1, 0, 2, 3]).contiguous();
        let by_copy = sum_axes(&moved, &[1, 2, 3]).to_vec();
        assert_eq!(bits(&got), bits(&by_copy), "shape {shape:?} via the copy");
    }
}

#[test]
fn per_channel_sums_are_the_same_bits_on_one_and_two_threads() {
    let in_pool = |threads: usize| {
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(|| {
                [&[2usize, 64, 32, 40][..], &[3, 2, 250, 200]]
                    .map(|shape| {
                        let x = Tensor::<f32>::randn(shape, &mut seeded_rng(7));
                        bits(&sum_axes(&x, &[0, 2, 3]).to_vec())
                    })
                    .to_vec()
            })
    };
    assert_eq!(in_pool(1), in_pool(2));
}

/// LSTM gate chunks: narrow views of one `[B, 4H]` matrix zipped with each
/// other, below and above the parallel threshold (where views are copied
/// first), against zips of their contiguous copies.
#[test]
fn zips_of_gate_chunks_match_zips_of_their_copies() {
    for (batch, hidden) in [(32, 128), (64, 1024)] {
        let g = Tensor::<f32>::randn(&[batch, 4 * hidden], &mut seeded_rng(3));
        let (i, f) = (g.narrow(1, 0, hidden), g.narrow(1, hidden, hidden));
        let got = zip_same(&i, &f, |p, q| p * q);
        let want = zip_same(&i.contiguous(), &f.contiguous(), |p, q| p * q);
        assert_eq!(
            bits(&got.to_vec()),
            bits(&want.to_vec()),
            "[{batch}, {hidden}]"
        );
    }
}

/// A `[1, C, 1, 1]` bias broadcast over `[N, C, H, W]` fills each `H * W` run
/// with its channel's value.
#[test]
fn per_channel_broadcast_fills_each_plane_with_its_channel_value() {
    let bias = Tensor::<f32>::randn(&[1, 5, 1, 1], &mut seeded_rng(4));
    let out = broadcast_to(&bias, &[3, 5, 7, 6]);
    let want: Vec<f32> = indices(&[3, 5, 7, 6])
        .iter()
        .map(|i| bias.at(&[0, i[1], 0, 0]))
        .collect();
    assert_eq!(bits(&out.to_vec()), bits(&want));
}
