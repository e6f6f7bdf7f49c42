//! Whole training steps, through the trainer and by hand:
//! `cargo bench -p wengert-benches -- --noplot`.
//!
//! `train_step/<workload>/trainer` and `train_step/<workload>/by_hand`
//! both report the time of one step (one batch), and throughput in
//! examples per second; see the crate docs for what each side includes.
//! The trainer runs on a loader of a few batches per epoch, so its
//! once-per-epoch work (gradient health, the epoch record, starting the
//! prefetch thread) weighs a little more per step than in an epoch over a
//! real data set.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use wengert_benches::{cnn, lstm, mlp, HandLoop, TrainerRun, Workload};
use wengert_nn::Module;

/// How long and how often one workload is measured.
struct Measure {
    /// Batches in the trainer's epoch.
    batches_per_epoch: usize,
    sample_size: usize,
    warm_up: Duration,
    measurement: Duration,
    /// Every sample runs the same number of steps: for slow steps, where
    /// criterion's growing samples would overshoot the time given.
    flat: bool,
}

fn bench_workload<M: Module<f32> + 'static>(
    c: &mut Criterion,
    build: impl Fn(u64) -> Workload<M>,
    measure: Measure,
) {
    let workload = build(0);
    let mut group = c.benchmark_group(format!("train_step/{}", workload.name));
    group
        .sample_size(measure.sample_size)
        .warm_up_time(measure.warm_up)
        .measurement_time(measure.measurement)
        .throughput(Throughput::Elements(workload.batch_size as u64));
    if measure.flat {
        group.sampling_mode(SamplingMode::Flat);
    }

    let data = workload.random_data(measure.batches_per_epoch, 1);
    let mut run = TrainerRun::new(build(0).model, data, workload.batch_size);
    let per_epoch = run.steps_per_epoch() as u64;
    group.bench_function("trainer", |b| {
        b.iter_custom(|iters| {
            // Whole epochs, at least `iters` steps, in one `fit`; the time
            // is given back for `iters` steps at the measured rate.
            let epochs = iters.div_ceil(per_epoch).max(1);
            let started = Instant::now();
            let steps = run.fit_epochs(epochs as usize);
            started.elapsed().mul_f64(iters as f64 / steps as f64)
        })
    });

    let batch = workload.random_data(1, 1);
    let mut hand = HandLoop::new(workload.model, &batch);
    group.bench_function("by_hand", |b| b.iter(|| hand.step()));
    group.finish();
}

fn train_steps(c: &mut Criterion) {
    let secs = Duration::from_secs;
    bench_workload(
        c,
        mlp,
        Measure {
            batches_per_epoch: 16,
            sample_size: 30,
            warm_up: secs(1),
            measurement: secs(4),
            flat: false,
        },
    );
    bench_workload(
        c,
        lstm,
        Measure {
            batches_per_epoch: 8,
            sample_size: 20,
            warm_up: secs(2),
            measurement: secs(6),
            flat: false,
        },
    );
    // About 150 ms a step.
    bench_workload(
        c,
        cnn,
        Measure {
            batches_per_epoch: 4,
            sample_size: 10,
            warm_up: secs(2),
            measurement: secs(10),
            flat: true,
        },
    );
}

criterion_group!(benches, train_steps);
criterion_main!(benches);
