//! `tape/chain/1000/f32`: the engine's own cost. A chain of 1,000
//! element-wise ops on a one-element Var (alternating y*1.0001 and
//! y+0.0001), then backward; the kernels are trivial, so the time is tape
//! overhead. Throughput in ops: criterion's "elem/s" is ops per second, and
//! ns per op (forward and backward together) is its inverse.

use criterion::{criterion_group, Criterion, Throughput};
use std::hint::black_box;
use wengert_tensor::{Tape, Tensor};

use crate::workloads::chain;

fn tape(c: &mut Criterion) {
    let mut group = c.benchmark_group("tape");
    group.throughput(Throughput::Elements(1000));
    let mut t = Tape::new();
    group.bench_function("chain/1000/f32", |b| {
        b.iter(|| black_box(chain(&mut t, 1000)))
    });
    let mut t = Tape::new();
    group.bench_function("chain_forward_only/1000/f32", |b| {
        b.iter(|| {
            t.reset();
            let x = t.var(Tensor::from_vec(vec![1.0f32], &[1]));
            let mut y = x;
            for i in 0..1000 {
                y = if i % 2 == 0 { y * 1.0001 } else { y + 0.0001 };
            }
            black_box(y.item())
        })
    });
    group.finish();
}

criterion_group!(benches, tape);
