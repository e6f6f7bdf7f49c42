//! One optimizer step on a single 784x256 f32 parameter (the first layer of
//! the benchmarked MLP), with and without a tape still holding it.
//!
//! A tape binds a parameter by sharing its storage, and the usual loop
//! steps the optimizer before the tape is dropped. Three cases per
//! optimizer:
//!
//! - `in_place`: no tape holds the parameter; the step updates its storage.
//! - `live_tape`: a tape still holds it; the step reads the shared old
//!   values and writes the new ones into a fresh (pooled) buffer.
//! - `live_tape_copy_on_write`: the same, done the way it was before fresh
//!   buffers: `data_mut` copies the shared storage first (copy on write),
//!   then the step updates the copy in place. Kept as the baseline the
//!   `live_tape` case is judged against, in the same run.
//!
//! Ids: `live_tape/{optimizer}/784x256/{case}/f32`; throughput is the
//! bytes the update itself must move (Adam 7 arrays, SGD momentum 5).

use criterion::{criterion_group, Criterion, Throughput};
use wengert_optim::{AdamConfig, Optimizer, SgdConfig};
use wengert_tensor::{seeded_rng, Grads, Param, Tape, Tensor};

const SHAPE: [usize; 2] = [784, 256];

/// How the parameter is held while it is stepped.
#[derive(Clone, Copy)]
enum Case {
    InPlace,
    LiveTape,
    LiveTapeCopyOnWrite,
}

impl Case {
    const ALL: [Case; 3] = [Case::InPlace, Case::LiveTape, Case::LiveTapeCopyOnWrite];

    fn id(self) -> &'static str {
        match self {
            Case::InPlace => "in_place",
            Case::LiveTape => "live_tape",
            Case::LiveTapeCopyOnWrite => "live_tape_copy_on_write",
        }
    }
}

/// One step of `opt` on `w` held as `case` says.
fn step(opt: &mut dyn Optimizer<f32>, w: &mut Param<f32>, grads: &Grads<f32>, case: Case) {
    match case {
        Case::InPlace => opt.step(w, grads),
        Case::LiveTape | Case::LiveTapeCopyOnWrite => {
            let tape = Tape::new();
            let leaf = tape.param(w);
            if let Case::LiveTapeCopyOnWrite = case {
                // What `data_mut` does to shared storage: copy it all.
                std::hint::black_box(w.value_mut().data_mut().as_ptr());
            }
            opt.step(w, grads);
            std::hint::black_box(leaf);
        }
    }
}

fn bench_live_tape(c: &mut Criterion) {
    let mut rng = seeded_rng(5);
    let bound = 1.0 / (SHAPE[0] as f32).sqrt();
    let mut w = Param::new(
        "layers.0.weight",
        Tensor::rand_uniform(&SHAPE, -bound, bound, &mut rng),
    );
    let mut grads = Grads::new();
    grads.insert(w.id(), Tensor::randn(&SHAPE, &mut rng).mul_scalar(1e-3));
    let n = w.numel();
    let bytes = |arrays: usize| Throughput::Bytes((arrays * n * std::mem::size_of::<f32>()) as u64);

    let mut group = c.benchmark_group("live_tape");
    type Make = fn() -> Box<dyn Optimizer<f32>>;
    let optimizers: [(&str, usize, Make); 2] = [
        ("adam", 7, || Box::new(AdamConfig::new(1e-3).build())),
        ("sgd_momentum", 5, || {
            Box::new(SgdConfig::new(1e-3).momentum(0.9).build())
        }),
    ];
    for (name, arrays, make) in optimizers {
        group.throughput(bytes(arrays));
        for case in Case::ALL {
            let mut opt = make();
            // One step first, so the timed steps all find their state.
            step(opt.as_mut(), &mut w, &grads, case);
            group.bench_function(format!("{name}/784x256/{}/f32", case.id()), |b| {
                b.iter(|| step(opt.as_mut(), &mut w, &grads, case))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_live_tape);
