//! `gemm/{tensor,raw}/n/f32`: square matrix products through the Tensor API
//! and through raw matrixmultiply side by side, so the API's overhead is the
//! ratio of the two. Throughput in FLOP (2 n^3 per product).

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wengert_tensor::{seeded_rng, Tensor};

use crate::workloads::raw_gemm;

fn gemm(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm");
    for n in [128usize, 256, 512, 1024] {
        let a = Tensor::<f32>::randn(&[n, n], &mut seeded_rng(1));
        let b = Tensor::<f32>::randn(&[n, n], &mut seeded_rng(2));
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        if n >= 512 {
            group.sample_size(10);
        }
        group.bench_with_input(
            BenchmarkId::new("tensor", format!("{n}/f32")),
            &n,
            |bench, _| bench.iter(|| black_box(a.matmul(&b))),
        );
        let (sa, sb) = (a.to_vec(), b.to_vec());
        let mut out = vec![0f32; n * n];
        group.bench_with_input(
            BenchmarkId::new("raw", format!("{n}/f32")),
            &n,
            |bench, _| {
                bench.iter(|| {
                    raw_gemm(n, &sa, &sb, &mut out);
                    black_box(&out);
                })
            },
        );
    }
    // A batch of small products: parallel over the batch.
    let a = Tensor::<f32>::randn(&[32, 64, 64], &mut seeded_rng(3));
    let b = Tensor::<f32>::randn(&[32, 64, 64], &mut seeded_rng(4));
    group.throughput(Throughput::Elements((2 * 32 * 64 * 64 * 64) as u64));
    group.bench_function("batched/32x64x64x64/f32", |bench| {
        bench.iter(|| black_box(a.matmul(&b)))
    });
    // The same products one after another, for comparison.
    let (sa, sb): (Vec<_>, Vec<_>) = (0..32)
        .map(|i| {
            (
                a.narrow(0, i, 1).reshape(&[64, 64]),
                b.narrow(0, i, 1).reshape(&[64, 64]),
            )
        })
        .unzip();
    group.bench_function("batched_serial_loop/32x64x64x64/f32", |bench| {
        bench.iter(|| {
            for (x, y) in sa.iter().zip(&sb) {
                black_box(x.matmul(y));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, gemm);
