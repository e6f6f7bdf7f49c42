//! `losses/{loss}_fwd_bwd/{batch}x{classes}/f32`: a loss and its gradient
//! with respect to the logits. Throughput in samples.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wengert_nn::loss::{bce_with_logits, cross_entropy, Reduction};
use wengert_tensor::{seeded_rng, Tape, Tensor};

fn losses(c: &mut Criterion) {
    let mut g = c.benchmark_group("losses");
    let (n, k) = (256usize, 10usize);
    let mut rng = seeded_rng(0);
    let z = Tensor::<f32>::randn(&[n, k], &mut rng);
    let targets: Vec<usize> = (0..n).map(|i| (i * 7) % k).collect();
    let soft = Tensor::<f32>::rand_uniform(&[n, k], 0.0, 1.0, &mut rng);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(
        BenchmarkId::new("cross_entropy_fwd_bwd", format!("{n}x{k}/f32")),
        |b| {
            b.iter(|| {
                let tape = Tape::training(0);
                let l = cross_entropy(tape.var(z.clone()), &targets, Reduction::Mean);
                black_box(l.backward());
            })
        },
    );
    g.bench_function(
        BenchmarkId::new("bce_with_logits_fwd_bwd", format!("{n}x{k}/f32")),
        |b| {
            b.iter(|| {
                let tape = Tape::training(0);
                let l = bce_with_logits(
                    tape.var(z.clone()),
                    tape.constant(soft.clone()),
                    Reduction::Mean,
                );
                black_box(l.backward());
            })
        },
    );
    g.finish();
}

criterion_group!(benches, losses);
