//! Convolution and pooling: values against a direct (loop) implementation
//! of PyTorch's formula over random stride/padding/dilation/groups, the
//! adjoint identity of im2col and col2im, and gradients by finite
//! differences in f64 (input and every parameter; second derivatives where
//! the op is smooth).

use proptest::prelude::*;
use wengert_nn::conv::{
    col2im, im2col, AvgPool2d, BatchNorm2d, Conv2d, Conv2dConfig, Flatten, GlobalAvgPool2d,
    MaxPool2d, ResidualBlock, Window2d,
};
use wengert_nn::{gradcheck_module, Module};
use wengert_tensor::gradcheck::assert_close;
use wengert_tensor::{gradcheck, gradgradcheck, seeded_rng, Tape, Tensor, Tolerance};

const CASES: u32 = 24;

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.5, 1.5, &mut seeded_rng(seed))
}

/// A convolution problem: (config, input shape) with every option random
/// and the window fitting the input.
fn conv_problem() -> impl Strategy<Value = (Conv2dConfig, [usize; 4])> {
    (
        (1usize..3, 1usize..3, 1usize..3), // groups, in and out channels per group
        (1usize..4, 1usize..4),            // kernel h, w
        (1usize..3, 0usize..2, 1usize..3), // stride, padding, dilation
        (1usize..3, 1usize..7, 1usize..7), // batch, extra height, extra width
        any::<bool>(),
    )
        .prop_map(|((g, cg, og), (kh, kw), (s, p, d), (n, eh, ew), bias)| {
            let mut config = Conv2dConfig::new(g * cg, g * og, 1)
                .with_groups(g)
                .with_bias(bias);
            config.window = Window2d {
                kernel: [kh, kw],
                stride: [s, s],
                padding: [p, p.min(kw / 2)],
                dilation: [d, d],
            };
            // Smallest input the dilated kernel fits, plus some.
            let h = (d * (kh - 1) + 1).saturating_sub(2 * p).max(1) + eh - 1;
            let w = (d * (kw - 1) + 1)
                .saturating_sub(2 * config.window.padding[1])
                .max(1)
                + ew
                - 1;
            (config, [n, g * cg, h, w])
        })
}

/// PyTorch's formula, element by element.
fn direct_conv(
    config: &Conv2dConfig,
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: Option<&Tensor<f64>>,
) -> Tensor<f64> {
    let [n, c, h, wd] = [x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]];
    let win = &config.window;
    let (oh, ow) = win.output_size(h, wd).unwrap();
    let (o, g) = (config.out_channels, config.groups);
    let (cg, og) = (c / g, o / g);
    let mut y = vec![0.0; n * o * oh * ow];
    for ni in 0..n {
        for oc in 0..o {
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = b.map_or(0.0, |b| b.at(&[oc]));
                    for cc in 0..cg {
                        let ci = (oc / og) * cg + cc;
                        for u in 0..win.kernel[0] {
                            for v in 0..win.kernel[1] {
                                let hi = (i * win.stride[0] + u * win.dilation[0]) as isize
                                    - win.padding[0] as isize;
                                let wj = (j * win.stride[1] + v * win.dilation[1]) as isize
                                    - win.padding[1] as isize;
                                if hi >= 0 && wj >= 0 && (hi as usize) < h && (wj as usize) < wd {
                                    acc += w.at(&[oc, cc, u, v])
                                        * x.at(&[ni, ci, hi as usize, wj as usize]);
                                }
                            }
                        }
                    }
                    y[((ni * o + oc) * oh + i) * ow + j] = acc;
                }
            }
        }
    }
    Tensor::from_vec(y, &[n, o, oh, ow])
}

/// Distinct values with gaps of at least 0.01, so a finite-difference step
/// never changes which element of a window is the maximum.
fn distinct(shape: &[usize], seed: u64) -> Tensor<f64> {
    use rand::seq::SliceRandom;
    let n: usize = shape.iter().product();
    let mut v: Vec<f64> = (0..n).map(|k| k as f64 * 0.01 - 0.5).collect();
    v.shuffle(&mut seeded_rng(seed));
    Tensor::from_vec(v, shape)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn conv2d_equals_the_direct_formula((config, shape) in conv_problem(), seed in any::<u64>()) {
        let conv: Conv2d<f64> = config.build(&mut seeded_rng(seed)).unwrap();
        let x = rand(&shape, seed ^ 1);
        let tape = Tape::new();
        let y = conv.forward(&tape, tape.constant(x.clone())).unwrap().value();
        let want = direct_conv(&config, &x, conv.weight().value(), conv.bias().map(|b| b.value()));
        assert_close(&y, &want, 1e-13, 1e-12);
    }

    #[test]
    fn conv2d_gradients_over_stride_padding_dilation_groups((config, shape) in conv_problem(), seed in any::<u64>()) {
        let mut conv: Conv2d<f64> = config.build(&mut seeded_rng(seed)).unwrap();
        gradcheck_module(&mut conv, &rand(&shape, seed ^ 1), Tolerance::default()).unwrap();
    }

    #[test]
    fn im2col_and_col2im_are_adjoint_and_twice_differentiable((config, shape) in conv_problem(), seed in any::<u64>()) {
        let win = config.window;
        let x = rand(&shape, seed);
        let tape = Tape::new();
        let cols = im2col(tape.constant(x.clone()), win).unwrap();
        let y = rand(&cols.shape(), seed ^ 1);
        // <im2col(x), y> = <x, col2im(y)>
        let lhs = cols.value().mul(&y).sum().item();
        let back = col2im(tape.constant(y.clone()), win, shape).unwrap().value();
        let rhs = x.mul(&back).sum().item();
        prop_assert!((lhs - rhs).abs() < 1e-12 * (1.0 + lhs.abs()), "{lhs} vs {rhs}");
        gradcheck(|_, v| im2col(v[0], win).unwrap().square(), std::slice::from_ref(&x), Tolerance::default()).unwrap();
        gradgradcheck(|_, v| im2col(v[0], win).unwrap().square(), std::slice::from_ref(&x), Tolerance::default()).unwrap();
        gradgradcheck(|_, v| col2im(v[0], win, shape).unwrap().square(), std::slice::from_ref(&y), Tolerance::default()).unwrap();
    }

    #[test]
    fn max_pool_gradient_goes_to_each_window_maximum(
        (n, c, h, w) in (1usize..3, 1usize..3, 2usize..7, 2usize..7),
        (k, s, p, d) in (1usize..4, 1usize..3, 0usize..2, 1usize..3),
        seed in any::<u64>(),
    ) {
        let win = Window2d { kernel: [k, k], stride: [s, s], padding: [p.min(k / 2); 2], dilation: [d, d] };
        prop_assume!(win.output_size(h, w).is_some());
        let mut pool = MaxPool2d::from_window(win);
        let x = distinct(&[n, c, h, w], seed);
        gradcheck_module(&mut pool, &x, Tolerance::default()).unwrap();
        // Each output is the maximum of its window: check against a scan.
        let tape = Tape::new();
        let y = pool.forward(&tape, tape.constant(x.clone())).unwrap().value();
        let (oh, ow) = win.output_size(h, w).unwrap();
        for (flat, &got) in y.to_vec().iter().enumerate() {
            let (plane, i, j) = (flat / (oh * ow), flat / ow % oh, flat % ow);
            let mut best = f64::NEG_INFINITY;
            for u in 0..k {
                for v in 0..k {
                    let hi = (i * s + u * d) as isize - win.padding[0] as isize;
                    let wj = (j * s + v * d) as isize - win.padding[1] as isize;
                    if hi >= 0 && wj >= 0 && (hi as usize) < h && (wj as usize) < w {
                        best = best.max(x.to_vec()[plane * h * w + hi as usize * w + wj as usize]);
                    }
                }
            }
            prop_assert_eq!(got, best);
        }
    }

    #[test]
    fn avg_and_global_pool_and_flatten_gradients(
        (n, c, h, w) in (1usize..3, 1usize..3, 2usize..7, 2usize..7),
        (k, s, p) in (1usize..4, 1usize..3, 0usize..2),
        seed in any::<u64>(),
    ) {
        let win = Window2d { kernel: [k, k], stride: [s, s], padding: [p.min(k / 2); 2], dilation: [1, 1] };
        prop_assume!(win.output_size(h, w).is_some());
        let x = rand(&[n, c, h, w], seed);
        let mut avg = AvgPool2d::from_window(win);
        gradcheck_module(&mut avg, &x, Tolerance::default()).unwrap();
        gradcheck_module(&mut GlobalAvgPool2d, &x, Tolerance::default()).unwrap();
        gradcheck_module(&mut Flatten, &x, Tolerance::default()).unwrap();
        gradgradcheck(|t, v| avg.forward(t, v[0]).unwrap().square(), std::slice::from_ref(&x), Tolerance::default()).unwrap();
    }

    #[test]
    fn batch_norm_2d_training_gradients(
        (n, c, h, w) in (1usize..4, 1usize..3, 2usize..4, 2usize..4),
        seed in any::<u64>(),
    ) {
        let mut bn = BatchNorm2d::<f64>::new(c);
        let mut rng = seeded_rng(seed);
        for (_, p) in bn.params_mut() {
            p.set_value(Tensor::rand_uniform(p.shape(), -1.5, 1.5, &mut rng)).unwrap();
        }
        gradcheck_module(&mut bn, &rand(&[n, c, h, w], seed ^ 1), Tolerance::default()).unwrap();
    }
}

#[test]
fn conv2d_is_twice_differentiable() {
    let config = Conv2dConfig::new(4, 2, 3)
        .with_groups(2)
        .with_stride(2)
        .with_padding(1);
    let conv: Conv2d<f64> = config.build(&mut seeded_rng(1)).unwrap();
    gradgradcheck(
        |t, v| conv.forward(t, v[0]).unwrap().square(),
        &[rand(&[2, 4, 5, 5], 2)],
        Tolerance::default(),
    )
    .unwrap();
}

#[test]
fn residual_blocks_gradients_with_and_without_projection() {
    // Fixed seeds: the ReLUs see batch-normalized values, none within a
    // finite-difference step of 0 for these draws.
    for (c_in, c_out, stride, seed) in [(2, 2, 1, 3), (2, 3, 2, 4)] {
        let mut block = ResidualBlock::<f64>::new(c_in, c_out, stride, &mut seeded_rng(seed));
        let x = rand(&[2, c_in, 4, 4], seed ^ 1);
        gradcheck_module(&mut block, &x, Tolerance::default())
            .unwrap_or_else(|e| panic!("block {c_in}->{c_out} stride {stride}: {e}"));
    }
}

#[test]
fn conv_and_pool_errors_name_the_layer_and_shape() {
    let conv = Conv2d::<f64>::new(3, 4, 3, &mut seeded_rng(0));
    let tape = Tape::new();
    let e = conv
        .forward(&tape, tape.constant(Tensor::zeros(&[1, 2, 5, 5])))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv2d(3 -> 4)") && e.contains("[1, 2, 5, 5]"),
        "{e}"
    );
    let e = conv
        .forward(&tape, tape.constant(Tensor::zeros(&[1, 3, 2, 2])))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("kernel [3, 3]") && e.contains("[1, 3, 2, 2]"),
        "{e}"
    );
    let e = Conv2dConfig::new(3, 4, 3)
        .with_groups(2)
        .build::<f64, _>(&mut seeded_rng(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("groups (2)"), "{e}");
    let e = Module::<f64>::forward(
        &MaxPool2d::new(2),
        &tape,
        tape.constant(Tensor::zeros(&[4, 4])),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("MaxPool2d") && e.contains("[4, 4]"), "{e}");
}
