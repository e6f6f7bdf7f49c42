//! `elementwise/{op}/{n}/f32`: add, mul, exp, relu at 1e3, 1e5, 1e7
//! elements, plus add with a broadcast row (`add_bcast`), and a plain
//! `memcpy` of the same bytes as the machine's bandwidth reference.
//! Throughput in bytes moved (read inputs + write output).

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wengert_tensor::{seeded_rng, Tensor};

fn elementwise(c: &mut Criterion) {
    let mut group = c.benchmark_group("elementwise");
    for n in [1_000usize, 100_000, 10_000_000] {
        if n >= 10_000_000 {
            group.sample_size(10);
        }
        let a = Tensor::<f32>::randn(&[n], &mut seeded_rng(1));
        let b = Tensor::<f32>::randn(&[n], &mut seeded_rng(2));
        let bytes2 = (3 * n * 4) as u64; // two reads, one write
        let bytes1 = (2 * n * 4) as u64;
        group.throughput(Throughput::Bytes(bytes2));
        group.bench_with_input(BenchmarkId::new("add", format!("{n}/f32")), &n, |z, _| {
            z.iter(|| black_box(a.add(&b)))
        });
        group.bench_with_input(BenchmarkId::new("mul", format!("{n}/f32")), &n, |z, _| {
            z.iter(|| black_box(a.mul(&b)))
        });
        // broadcasting: [n/1000, 1000] + [1000]
        let rows = a.reshape(&[n / 1000, 1000]);
        let row = Tensor::<f32>::randn(&[1000], &mut seeded_rng(3));
        group.bench_with_input(
            BenchmarkId::new("add_bcast", format!("{n}/f32")),
            &n,
            |z, _| z.iter(|| black_box(rows.add(&row))),
        );
        group.throughput(Throughput::Bytes(bytes1));
        group.bench_with_input(BenchmarkId::new("exp", format!("{n}/f32")), &n, |z, _| {
            z.iter(|| black_box(a.exp()))
        });
        group.bench_with_input(BenchmarkId::new("relu", format!("{n}/f32")), &n, |z, _| {
            z.iter(|| black_box(a.relu()))
        });
        let src = a.to_vec();
        let mut dst = vec![0f32; n];
        group.bench_with_input(
            BenchmarkId::new("memcpy", format!("{n}/f32")),
            &n,
            |z, _| {
                z.iter(|| {
                    dst.copy_from_slice(&src);
                    black_box(&dst);
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, elementwise);
