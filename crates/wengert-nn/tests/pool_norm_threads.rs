//! Max pooling and batch normalization split their work between threads
//! (planes for pooling, channels for the batch-norm sums, whole runs for
//! the element-wise passes) and never inside a sum, so a forward and
//! backward through them is bitwise the same on one thread and on two.
//! The inputs are large enough that every pass has several parts.

use rayon::ThreadPoolBuilder;
use wengert_nn::conv::{BatchNorm2d, MaxPool2d, Window2d};
use wengert_nn::{BatchNorm1d, Module, Parameters, ReLU, Sequential};
use wengert_tensor::{seeded_rng, Tape, Tensor};

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

fn bits(t: &Tensor<f32>) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

/// BN-ReLU-pool on `[32, 16, 28, 28]` (401,408 values: four parts of
/// batch-norm sums, three of pooling), in training and in evaluation; the
/// output, the input gradient and every parameter gradient, as bits.
fn bn_relu_pool(pool: MaxPool2d) -> Vec<Vec<u32>> {
    let model = Sequential::new()
        .with(BatchNorm2d::<f32>::new(16))
        .with(ReLU)
        .with(pool);
    let x = Tensor::<f32>::randn(&[32, 16, 28, 28], &mut seeded_rng(7)).add_scalar(0.5);
    let mut out = Vec::new();
    for training in [true, false] {
        let tape = if training {
            Tape::training(0)
        } else {
            Tape::inference()
        };
        let xv = tape.var(x.clone());
        let y = model.forward(&tape, xv).unwrap();
        let u = tape.constant(Tensor::randn(&y.shape(), &mut seeded_rng(8)));
        let grads = (y * u).sum().backward();
        out.push(bits(&y.value()));
        out.push(bits(grads.wrt(xv).unwrap()));
        model.visit_params(&mut |_, p| {
            if let Some(g) = grads.get(p) {
                out.push(bits(g));
            }
        });
    }
    out
}

#[test]
fn bn_relu_max_pool_is_bitwise_the_same_on_one_and_two_threads() {
    for pool in [
        MaxPool2d::new(2),
        MaxPool2d::from_window(Window2d::square(3).with_stride(2).with_padding(1)),
        MaxPool2d::new(3).with_ceil_mode(true),
    ] {
        let one = in_pool(1, || bn_relu_pool(pool));
        assert!(one.len() >= 6, "values and gradients were collected");
        assert!(one == in_pool(2, || bn_relu_pool(pool)), "{pool:?}");
    }
}

#[test]
fn batch_norm_1d_is_bitwise_the_same_on_one_and_two_threads() {
    // [N, C] (runs of one value) with more values than one part holds.
    let run = || {
        let bn = BatchNorm1d::<f32>::new(3);
        let x = Tensor::<f32>::randn(&[100_000, 3], &mut seeded_rng(9));
        let tape = Tape::training(0);
        let xv = tape.var(x);
        let y = bn.forward(&tape, xv).unwrap();
        let grads = y.square().sum().backward();
        let mut out = vec![bits(&y.value()), bits(grads.wrt(xv).unwrap())];
        bn.visit_params(&mut |_, p| out.push(bits(grads.get(p).unwrap())));
        out.push(bits(&bn.running_mean()));
        out.push(bits(&bn.running_var()));
        out
    };
    assert!(in_pool(1, run) == in_pool(2, run));
}
