//! `Conv2d`'s bias, added by one per-channel node, against the composed
//! twin: the same convolution without bias plus `b.reshape([1, O, 1, 1])`
//! through a broadcast add. Values and gradients (input, weight, bias)
//! agree bitwise in f64 over random shapes; a recorded backward still
//! gives correct second derivatives.

use proptest::prelude::*;
use wengert_nn::conv::{Conv2d, Conv2dConfig};
use wengert_nn::Module;
use wengert_tensor::{gradgradcheck, seeded_rng, Tape, Tensor, Tolerance};

const CASES: u32 = 24;

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.5, 1.5, &mut seeded_rng(seed))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn conv_bias_node_matches_broadcast_add_twin(
        (n, c, o, h, w) in (1usize..3, 1usize..4, 1usize..4, 3usize..7, 3usize..7),
        (k, padding) in (1usize..4, 0usize..2),
        seed in any::<u64>(),
    ) {
        prop_assume!(h + 2 * padding >= k && w + 2 * padding >= k);
        let config = Conv2dConfig::new(c, o, k).with_padding(padding);
        let with_bias: Conv2d<f64> = config.build(&mut seeded_rng(seed)).unwrap();
        let mut plain: Conv2d<f64> = config.with_bias(false).build(&mut seeded_rng(seed)).unwrap();
        plain.params_mut()[0].1.set_value(with_bias.weight().value().clone()).unwrap();
        let bias = with_bias.bias().unwrap().value();
        let x = rand(&[n, c, h, w], seed ^ 1);

        let tape = Tape::new();
        let xv = tape.var(x.clone());
        let y = with_bias.forward(&tape, xv).unwrap();
        let u = tape.constant(rand(&y.shape(), seed ^ 2));
        let grads = (y * u).sum().backward();
        let fused = (
            y.value().to_vec(),
            grads.wrt(xv).unwrap().to_vec(),
            grads.get(with_bias.weight()).unwrap().to_vec(),
            grads.get(with_bias.bias().unwrap()).unwrap().to_vec(),
        );

        let tape = Tape::new();
        let xv = tape.var(x.clone());
        let bv = tape.var(bias.clone());
        let y = plain.forward(&tape, xv).unwrap() + bv.reshape(&[1, o, 1, 1]);
        let u = tape.constant(rand(&y.shape(), seed ^ 2));
        let grads = (y * u).sum().backward();
        let twin = (
            y.value().to_vec(),
            grads.wrt(xv).unwrap().to_vec(),
            grads.get(plain.weight()).unwrap().to_vec(),
            grads.wrt(bv).unwrap().to_vec(),
        );
        prop_assert_eq!(&fused.0, &twin.0, "values");
        prop_assert_eq!(&fused.1, &twin.1, "dx");
        prop_assert_eq!(&fused.2, &twin.2, "dweight");
        // The bias gradient sums the same values in a different order.
        for (f, t) in fused.3.iter().zip(&twin.3) {
            prop_assert!((f - t).abs() <= 1e-12 * (1.0 + t.abs()), "dbias {} vs {}", f, t);
        }
    }
}

#[test]
fn conv_with_bias_stays_twice_differentiable() {
    // The recorded backward runs the bias node's differentiable branch.
    let conv: Conv2d<f64> = Conv2dConfig::new(2, 3, 3)
        .with_padding(1)
        .build(&mut seeded_rng(4))
        .unwrap();
    gradgradcheck(
        |t, v| conv.forward(t, v[0]).unwrap().square(),
        &[rand(&[2, 2, 4, 4], 5)],
        Tolerance::default(),
    )
    .unwrap();
}
