//! `MaxPool2d`'s one-pass kernel (values and argmax together, gradient
//! routed straight to the argmax) against its composed twin: the window
//! maxima found by a plain scan here, picked with the generic `gather`
//! (whose backward is `scatter_add`). Values and gradients must agree
//! bitwise, ties and ceil mode included, on the 2x2 / stride 2 fast path
//! and on the generic one; and the op stays twice differentiable.

use proptest::prelude::*;
use wengert_nn::conv::{MaxPool2d, Window2d};
use wengert_nn::Module;
use wengert_tensor::{gradgradcheck, seeded_rng, Tape, Tensor, Tolerance, Var};

const CASES: u32 = 32;

/// Values from a set of five, so windows often hold tied maxima.
fn tied(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, 0.0, 5.0, &mut seeded_rng(seed)).map(|v: f64| v.floor())
}

/// The composed twin: the first maximum of each window in row-major tap
/// order by a scan, gathered from `[planes, H * W]` (one `-infinity`
/// column appended for windows wholly in the padding).
fn composed_max_pool<'t>(
    tape: &'t Tape<f64>,
    x: Var<'t, f64>,
    win: &Window2d,
    out: (usize, usize),
) -> Var<'t, f64> {
    let shape = x.shape();
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3]);
    let xs = x.value().to_vec();
    let source = |a: usize, o: usize, t: usize, n: usize| {
        let pos = (o * win.stride[a] + t * win.dilation[a]) as isize - win.padding[a] as isize;
        (pos >= 0 && (pos as usize) < n).then_some(pos as usize)
    };
    let mut index = Vec::new();
    for p in 0..planes {
        for i in 0..out.0 {
            for j in 0..out.1 {
                let mut best: Option<(usize, f64)> = None;
                for u in 0..win.kernel[0] {
                    for v in 0..win.kernel[1] {
                        if let (Some(hi), Some(wj)) = (source(0, i, u, h), source(1, j, v, w)) {
                            let val = xs[p * h * w + hi * w + wj];
                            if best.is_none_or(|(_, b)| val > b) {
                                best = Some((hi * w + wj, val));
                            }
                        }
                    }
                }
                index.push(best.map_or(h * w, |(at, _)| at));
            }
        }
    }
    let minus_inf = tape.constant(Tensor::full(&[planes, 1], f64::NEG_INFINITY));
    let rows = Var::concat(&[x.reshape(&[planes, h * w]), minus_inf], 1);
    rows.gather(1, &index)
        .reshape(&[shape[0], shape[1], out.0, out.1])
}

/// Forward values and the gradient of `sum(u * pool(x))` wrt `x`.
fn value_and_grad(
    pool: impl for<'t> Fn(&'t Tape<f64>, Var<'t, f64>) -> Var<'t, f64>,
    x: &Tensor<f64>,
    seed: u64,
) -> (Vec<f64>, Vec<f64>) {
    let tape = Tape::new();
    let xv = tape.var(x.clone());
    let y = pool(&tape, xv);
    let u = Tensor::rand_uniform(&y.shape(), -1.0, 1.0, &mut seeded_rng(seed));
    let loss = (y * tape.constant(u)).sum();
    let grads = loss.backward();
    (y.value().to_vec(), grads.wrt(xv).unwrap().to_vec())
}

fn check_against_twin(win: Window2d, ceil: bool, shape: [usize; 4], seed: u64) {
    let out = if ceil {
        win.output_size_ceil(shape[2], shape[3])
    } else {
        win.output_size(shape[2], shape[3])
    }
    .unwrap();
    let layer = MaxPool2d::from_window(win).with_ceil_mode(ceil);
    let x = tied(&shape, seed);
    let fused = value_and_grad(|t, v| layer.forward(t, v).unwrap(), &x, seed ^ 7);
    let twin = value_and_grad(|t, v| composed_max_pool(t, v, &win, out), &x, seed ^ 7);
    assert_eq!(fused.0, twin.0, "values, {win:?} ceil {ceil} {shape:?}");
    assert_eq!(fused.1, twin.1, "gradients, {win:?} ceil {ceil} {shape:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn two_by_two_stride_two_matches_gather_twin_with_ties(
        (n, c, h, w) in (1usize..3, 1usize..4, 2usize..9, 2usize..9),
        ceil in any::<bool>(),
        seed in any::<u64>(),
    ) {
        check_against_twin(Window2d::square(2).with_stride(2), ceil, [n, c, h, w], seed);
    }

    #[test]
    fn any_window_matches_gather_twin_with_ties(
        (n, c, h, w) in (1usize..3, 1usize..3, 2usize..8, 2usize..8),
        (k, s, p, d) in (1usize..4, 1usize..3, 0usize..3, 1usize..4),
        ceil in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let win = Window2d { kernel: [k, k], stride: [s, s], padding: [p, p], dilation: [d, d] };
        let fits = if ceil { win.output_size_ceil(h, w) } else { win.output_size(h, w) };
        prop_assume!(fits.is_some());
        check_against_twin(win, ceil, [n, c, h, w], seed);
    }
}

#[test]
fn planes_split_into_several_parts_match_the_gather_twin() {
    // A part of the pooling kernels holds at least 2^17 input values in
    // whole planes: 220 planes of 27 x 29 make three parts (odd sizes, so
    // the 2x2 path drops a row and a column, and ceil mode keeps them).
    let shape = [4, 55, 27, 29];
    for (win, ceil) in [
        (Window2d::square(2).with_stride(2), false),
        (Window2d::square(2).with_stride(2), true),
        (Window2d::square(3).with_stride(2).with_padding(1), false),
    ] {
        check_against_twin(win, ceil, shape, 17);
    }
}

#[test]
fn max_pool_is_twice_differentiable() {
    // Distinct values: no tie within a finite-difference step.
    let x = Tensor::rand_uniform(&[2, 2, 5, 4], -1.0, 1.0, &mut seeded_rng(3));
    for win in [
        Window2d::square(2).with_stride(2),
        Window2d::square(3).with_stride(1).with_padding(1),
    ] {
        let pool = MaxPool2d::from_window(win);
        gradgradcheck(
            |t, v| pool.forward(t, v[0]).unwrap().square(),
            std::slice::from_ref(&x),
            Tolerance::default(),
        )
        .unwrap_or_else(|e| panic!("{win:?}: {e}"));
    }
}

#[test]
fn nan_wins_its_window_and_takes_the_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(
        vec![1.0, f64::NAN, 3.0, 2.0],
        &[1, 1, 2, 2],
    ));
    let y = MaxPool2d::new(2).forward(&tape, x).unwrap();
    assert!(y.value().to_vec()[0].is_nan());
    let grads = y.sum().backward();
    assert_eq!(grads.wrt(x).unwrap().to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
}
