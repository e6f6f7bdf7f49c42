//! The optimizer update alone: read the gradients and state, write the
//! parameters and state, on the parameters of a 784-256-256-10 MLP.

use criterion::{criterion_group, Criterion, Throughput};
use wengert_optim::{AdamConfig, Optimizer, SgdConfig};
use wengert_tensor::{seeded_rng, Grads, Param, Tensor};

use super::mlp_params;

fn grads_for(params: &[Param<f32>]) -> Grads<f32> {
    let mut rng = seeded_rng(7);
    let mut grads = Grads::new();
    for p in params {
        grads.insert(p.id(), Tensor::randn(p.shape(), &mut rng).mul_scalar(1e-3));
    }
    grads
}

fn bench_update(c: &mut Criterion) {
    let mut params = mlp_params();
    let grads = grads_for(&params);
    let n: usize = params.iter().map(|p| p.numel()).sum();
    let bytes = |arrays: usize| Throughput::Bytes((arrays * n * std::mem::size_of::<f32>()) as u64);
    let mut group = c.benchmark_group("update");

    // Adam reads x, g, m, v and writes x, m, v: 7 arrays.
    group.throughput(bytes(7));
    let mut adam = AdamConfig::new(1e-3)
        .betas(0.9, 0.999)
        .eps(1e-8)
        .build::<f32>();
    group.bench_function(format!("adam/{n}/f32"), |b| {
        b.iter(|| {
            let mut refs: Vec<&mut Param<f32>> = params.iter_mut().collect();
            adam.step(&mut refs, &grads);
        })
    });

    // SGD with momentum reads x, g, b and writes x, b: 5 arrays.
    group.throughput(bytes(5));
    let mut sgd = SgdConfig::new(1e-3).momentum(0.9).build::<f32>();
    group.bench_function(format!("sgd_momentum/{n}/f32"), |b| {
        b.iter(|| {
            let mut refs: Vec<&mut Param<f32>> = params.iter_mut().collect();
            sgd.step(&mut refs, &grads);
        })
    });

    // Reference: the simplest update, x <- x - lr * g, written as a bare
    // loop over the same arrays (reads x, g, writes x: 3 arrays). The
    // optimizers' GB/s are judged against this.
    group.throughput(bytes(3));
    let lr = 1e-3f32;
    group.bench_function(format!("bare_loop_x_minus_lr_g/{n}/f32"), |b| {
        b.iter(|| {
            for p in params.iter_mut() {
                let g = grads.get(p).unwrap().values();
                for (x, &g) in p.value_mut().data_mut().iter_mut().zip(g.iter()) {
                    *x -= lr * g;
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_update);
