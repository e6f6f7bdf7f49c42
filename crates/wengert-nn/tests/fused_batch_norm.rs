//! Batch norm's fused node against its composed twin (the textbook
//! formula in differentiable ops, written out here): values and gradients
//! with respect to the input, weight and bias agree to a tight tolerance in
//! f64 over random shapes (rank 2, 3, 4), training and evaluation, with and
//! without the affine parameters; running statistics match the composed
//! update; and the layer stays twice differentiable in both modes.

use proptest::prelude::*;
use wengert_nn::conv::BatchNorm2d;
use wengert_nn::{BatchNorm1d, BatchNormConfig, Module};
use wengert_tensor::{gradgradcheck, seeded_rng, Tape, Tensor, Tolerance, Var};

const CASES: u32 = 32;

/// The composed twin: `(x - mean) / sqrt(var + eps) * w + b` per channel
/// (axis 1), with batch statistics (biased variance) or given ones.
fn composed<'t>(
    x: Var<'t, f64>,
    affine: Option<(Var<'t, f64>, Var<'t, f64>)>,
    running: Option<(&Tensor<f64>, &Tensor<f64>)>,
    eps: f64,
) -> Var<'t, f64> {
    let tape = x.tape();
    let shape = x.shape();
    let axes: Vec<usize> = (0..shape.len()).filter(|&a| a != 1).collect();
    let mut bshape = vec![1; shape.len()];
    bshape[1] = shape[1];
    let x_hat = match running {
        Some((mean, var)) => {
            let std = tape.constant(var.reshape(&bshape).add_scalar(eps).sqrt());
            (x - tape.constant(mean.reshape(&bshape))) / std
        }
        None => {
            let centered = x - x.mean_axes(&axes, true);
            let var = centered.square().mean_axes(&axes, true);
            centered / var.add_scalar(eps).sqrt()
        }
    };
    match affine {
        Some((w, b)) => x_hat * w.reshape(&bshape) + b.reshape(&bshape),
        None => x_hat,
    }
}

fn rand(shape: &[usize], seed: u64, low: f64, high: f64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, low, high, &mut seeded_rng(seed))
}

fn assert_near(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
            "{what}[{k}]: fused {g} vs composed {w} (tolerance 1e-12 relative)"
        );
    }
}

/// Runs a layer (2-d or 1-d) and the twin on the same input, weight and
/// bias, and compares the output and the gradients of `sum(u * y)`.
fn check(shape: &[usize], training: bool, affine: bool, eps: f64, seed: u64) {
    let c = shape[1];
    let config = BatchNormConfig::new(c).with_eps(eps).with_affine(affine);
    let (w, b) = (
        rand(&[c], seed ^ 1, 0.5, 1.5),
        rand(&[c], seed ^ 2, -1.0, 1.0),
    );
    let (mean, var) = (
        rand(&[c], seed ^ 3, -0.5, 0.5),
        rand(&[c], seed ^ 4, 0.5, 2.0),
    );
    let x = rand(shape, seed, -2.0, 2.0);
    let u = rand(shape, seed ^ 5, -1.0, 1.0);
    let layer: Box<dyn Module<f64>> = if shape.len() == 4 {
        let mut bn = BatchNorm2d::<f64>::from_config(config);
        bn.set_running_stats(mean.clone(), var.clone()).unwrap();
        Box::new(bn)
    } else {
        let mut bn = BatchNorm1d::<f64>::from_config(config);
        bn.set_running_stats(mean.clone(), var.clone()).unwrap();
        Box::new(bn)
    };
    let mut layer = layer;
    for (name, p) in layer.params_mut() {
        let value = if name.ends_with("weight") { &w } else { &b };
        p.set_value(value.clone()).unwrap();
    }
    let run = |fused: bool| {
        let tape = if training {
            Tape::training(0)
        } else {
            Tape::inference()
        };
        let xv = tape.var(x.clone());
        let (wv, bv) = (tape.var(w.clone()), tape.var(b.clone()));
        let (y, params) = if fused {
            let y = layer.forward(&tape, xv).unwrap();
            (y, None)
        } else {
            let running = (!training).then_some((&mean, &var));
            let y = composed(xv, affine.then_some((wv, bv)), running, eps);
            (y, Some((wv, bv)))
        };
        let grads = (y * tape.constant(u.clone())).sum().backward();
        let mut out = vec![y.value().to_vec(), grads.wrt(xv).unwrap().to_vec()];
        if affine {
            match params {
                Some((wv, bv)) => {
                    out.push(grads.wrt(wv).unwrap().to_vec());
                    out.push(grads.wrt(bv).unwrap().to_vec());
                }
                None => {
                    let by_name = |suffix: &str| {
                        let (_, p) = layer
                            .params()
                            .into_iter()
                            .find(|(n, _)| n.ends_with(suffix))
                            .unwrap();
                        grads.get(p).unwrap().to_vec()
                    };
                    out.push(by_name("weight"));
                    out.push(by_name("bias"));
                }
            }
        }
        out
    };
    let (fused, twin) = (run(true), run(false));
    for (what, (f, t)) in ["y", "dx", "dweight", "dbias"]
        .iter()
        .zip(fused.iter().zip(&twin))
    {
        assert_near(
            &format!("{what} {shape:?} training {training} affine {affine}"),
            f,
            t,
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn fused_batch_norm_matches_composed_twin(
        (n, c, h, w) in (2usize..5, 1usize..4, 1usize..5, 1usize..5),
        rank in 2usize..5,
        training in any::<bool>(),
        affine in any::<bool>(),
        eps in 1e-5..1e-1f64,
        seed in any::<u64>(),
    ) {
        let shape = [n, c, h, w];
        check(&shape[..rank], training, affine, eps, seed);
    }
}

#[test]
fn shapes_split_into_several_parts_match_the_composed_twin() {
    // The kernels split per-channel sums into groups of whole channels and
    // element-wise passes into ranges of whole runs, each part at least
    // 2^17 values: these shapes have several parts of each, with runs of
    // an odd length (so a part starts in the middle of the channel cycle),
    // and runs of one value ([N, C]).
    for shape in [&[6, 5, 61, 59][..], &[70_001, 3][..]] {
        for (training, affine) in [(true, true), (true, false), (false, true)] {
            check(shape, training, affine, 1e-5, 21);
        }
    }
}

#[test]
fn running_statistics_follow_the_composed_update() {
    let x = rand(&[3, 2, 4, 5], 9, -2.0, 2.0);
    let bn = BatchNorm2d::<f64>::new(2);
    let tape = Tape::training(0);
    bn.forward(&tape, tape.constant(x.clone())).unwrap();
    // running = 0.9 * (0, 1) + 0.1 * (batch mean, unbiased batch variance)
    let mean = x.mean_axes(&[0, 2, 3], false);
    let n = 3.0 * 4.0 * 5.0;
    let var = x.var_axes(&[0, 2, 3], false, 0).mul_scalar(n / (n - 1.0));
    let want_mean: Vec<f64> = mean.to_vec().iter().map(|m| 0.1 * m).collect();
    let want_var: Vec<f64> = var.to_vec().iter().map(|v| 0.9 + 0.1 * v).collect();
    assert_near("running_mean", &bn.running_mean().to_vec(), &want_mean);
    assert_near("running_var", &bn.running_var().to_vec(), &want_var);
}

#[test]
fn batch_norm_2d_is_twice_differentiable_in_both_modes() {
    let x = rand(&[3, 2, 2, 3], 11, -2.0, 2.0);
    let mut bn = BatchNorm2d::<f64>::new(2);
    for (_, p) in bn.params_mut() {
        let c = p.shape()[0];
        p.set_value(rand(&[c], 12, 0.5, 1.5)).unwrap();
    }
    bn.set_running_stats(rand(&[2], 13, -0.5, 0.5), rand(&[2], 14, 0.5, 2.0))
        .unwrap();
    for training in [true, false] {
        gradgradcheck(
            |tape, xs| {
                tape.set_training(training);
                bn.forward(tape, xs[0]).unwrap().square()
            },
            std::slice::from_ref(&x),
            Tolerance::default(),
        )
        .unwrap_or_else(|e| panic!("training {training}: {e}"));
    }
}
