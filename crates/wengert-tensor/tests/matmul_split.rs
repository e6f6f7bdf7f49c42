//! Matrix products large enough to be split into parts (over output rows,
//! over output columns, over the batch) give bitwise the result of the
//! unsplit product, and the right one: one thread runs every product whole,
//! two or three threads split it, and both are checked against a plain
//! triple loop.

use rayon::ThreadPoolBuilder;
use wengert_tensor::kernels::matmul::GEMM_PART_WORK;
use wengert_tensor::{seeded_rng, Tensor};

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

/// `a @ b` by the definition, in f64, for `[batch, m, k] x [batch, k, n]`.
fn reference(a: &Tensor<f64>, b: &Tensor<f64>) -> Vec<f64> {
    let (sa, sb) = (a.shape(), b.shape());
    let (nb, m, k, n) = (sa[0], sa[1], sa[2], sb[2]);
    let mut out = Vec::with_capacity(nb * m * n);
    for bi in 0..nb {
        for i in 0..m {
            for j in 0..n {
                out.push((0..k).map(|l| a.at(&[bi, i, l]) * b.at(&[bi, l, j])).sum());
            }
        }
    }
    out
}

/// Products of each split kind: `(batch, m, k, n, transpose b)`, each with
/// at least two parts' worth of work.
const CASES: [(usize, usize, usize, usize, bool); 5] = [
    (1, 256, 256, 160, false), // rows (m >= n)
    (1, 200, 130, 330, false), // columns, n not a multiple of the block
    (1, 40, 256, 1001, true),  // columns, b a transposed view
    (8, 64, 128, 130, false),  // batch, several products to a part
    (3, 250, 200, 90, true),   // batch, one product to a part
];

fn operands<T: wengert_tensor::Float>(case: usize) -> (Tensor<T>, Tensor<T>) {
    let (nb, m, k, n, transposed) = CASES[case];
    assert!(nb * m * k * n >= 2 * GEMM_PART_WORK, "case {case} splits");
    let a = Tensor::<T>::randn(&[nb, m, k], &mut seeded_rng(10 + case as u64));
    let b = if transposed {
        Tensor::<T>::randn(&[nb, n, k], &mut seeded_rng(20 + case as u64)).transpose(1, 2)
    } else {
        Tensor::<T>::randn(&[nb, k, n], &mut seeded_rng(20 + case as u64))
    };
    (a, b)
}

#[test]
fn split_f32_products_are_bitwise_the_unsplit_ones_on_any_thread_count() {
    for case in 0..CASES.len() {
        let (a, b) = operands::<f32>(case);
        let bits = |t: Tensor<f32>| t.values().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let whole = in_pool(1, || bits(a.matmul(&b)));
        for threads in [2, 3] {
            let split = in_pool(threads, || bits(a.matmul(&b)));
            assert!(whole == split, "case {case:?}: {threads} threads differ");
        }
    }
}

#[test]
fn split_f64_products_match_the_definition_and_the_unsplit_ones() {
    for case in 0..CASES.len() {
        let (a, b) = operands::<f64>(case);
        let want = reference(&a, &b);
        let whole = in_pool(1, || a.matmul(&b).to_vec());
        let split = in_pool(2, || a.matmul(&b).to_vec());
        assert_eq!(whole, split, "case {case}: split differs from whole");
        for (i, (g, w)) in split.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() < 1e-10,
                "case {case}, element {i}: {g} vs {w}"
            );
        }
    }
}
