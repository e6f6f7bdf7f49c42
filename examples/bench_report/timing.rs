//! How bench_report times things: plain repeats, pairs in alternation, and
//! training steps split into their phases.

use std::time::Instant;

/// Times `f`: `warmup` untimed calls, then `iters` timed ones; returns the
/// sorted durations in seconds.
pub fn time(warmup: usize, iters: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..warmup {
        f();
    }
    let mut times: Vec<f64> = (0..iters)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

/// Times `f` and `g` in alternation, `iters` pairs after `warmup`: their
/// sorted times and the sorted ratios time(f) / time(g) of each pair. On a
/// shared machine whose speed drifts, two back-to-back timings compare
/// better than two batches taken a second apart.
pub fn time_pair(
    warmup: usize,
    iters: usize,
    mut f: impl FnMut(),
    mut g: impl FnMut(),
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut tf, mut tg, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..warmup + iters {
        let start = Instant::now();
        f();
        let a = start.elapsed().as_secs_f64();
        let start = Instant::now();
        g();
        let b = start.elapsed().as_secs_f64();
        if i >= warmup {
            tf.push(a);
            tg.push(b);
            ratios.push(a / b);
        }
    }
    for v in [&mut tf, &mut tg, &mut ratios] {
        v.sort_by(f64::total_cmp);
    }
    (tf, tg, ratios)
}

/// The middle element of sorted times (the upper one of an even count, as
/// `bench.py` takes `times[len // 2]`), so both sides report the same statistic.
pub fn median(sorted: &[f64]) -> f64 {
    sorted[sorted.len() / 2]
}

/// How many steps to run: untimed warm-up, then timed steps until both
/// `min_iters` steps and `min_secs` seconds are done (at most `max_iters`).
/// This is `bench.py`'s `measure` loop, so a workload that matches a peer's
/// can be timed the same way.
#[derive(Clone, Copy, Debug)]
pub struct Protocol {
    /// Untimed steps first.
    pub warmup: usize,
    /// Timed steps at least.
    pub min_iters: usize,
    /// Seconds of timed steps at least.
    pub min_secs: f64,
    /// Timed steps at most.
    pub max_iters: usize,
}

impl Protocol {
    /// Exactly `iters` timed steps after `warmup`, however long they take.
    pub fn fixed(warmup: usize, iters: usize) -> Self {
        Protocol {
            warmup,
            min_iters: iters,
            min_secs: 0.0,
            max_iters: iters,
        }
    }
}

/// Marks the ends of a step's forward and backward phases; what follows
/// the second mark until the step returns is the optimizer's.
pub struct Laps {
    marks: Vec<Instant>,
}

impl Laps {
    /// Call when a phase ends: first after the forward, then after the backward.
    pub fn mark(&mut self) {
        self.marks.push(Instant::now());
    }
}

/// Sorted durations in seconds of whole steps and of their three phases.
pub struct StepTimes {
    /// Whole steps (forward + backward + optimizer).
    pub step: Vec<f64>,
    /// From the step's start (tape reset included) to the loss.
    pub forward: Vec<f64>,
    /// `loss.backward()`: the reverse sweep to the gradients.
    pub backward: Vec<f64>,
    /// The optimizer's update of every parameter.
    pub optimizer: Vec<f64>,
}

/// Runs `step` as `protocol` says; `step` calls [`Laps::mark`] twice (after
/// its forward and after its backward), so one run gives the whole-step
/// time and the split of that same step. Reading the clock costs tens of
/// nanoseconds, nothing beside a step.
pub fn time_phases(protocol: Protocol, mut step: impl FnMut(&mut Laps)) -> StepTimes {
    let mut laps = Laps {
        marks: Vec::with_capacity(2),
    };
    for _ in 0..protocol.warmup {
        laps.marks.clear();
        step(&mut laps);
    }
    let mut times = StepTimes {
        step: Vec::new(),
        forward: Vec::new(),
        backward: Vec::new(),
        optimizer: Vec::new(),
    };
    let first = Instant::now();
    loop {
        laps.marks.clear();
        let start = Instant::now();
        step(&mut laps);
        let end = Instant::now();
        let [forward_end, backward_end] = laps.marks[..] else {
            panic!(
                "a timed step marks the end of its forward and of its backward: {} marks",
                laps.marks.len()
            )
        };
        times.step.push((end - start).as_secs_f64());
        times.forward.push((forward_end - start).as_secs_f64());
        times
            .backward
            .push((backward_end - forward_end).as_secs_f64());
        times.optimizer.push((end - backward_end).as_secs_f64());
        let n = times.step.len();
        let enough = n >= protocol.min_iters && first.elapsed().as_secs_f64() >= protocol.min_secs;
        if n >= protocol.max_iters || enough {
            break;
        }
    }
    for v in [
        &mut times.step,
        &mut times.forward,
        &mut times.backward,
        &mut times.optimizer,
    ] {
        v.sort_by(f64::total_cmp);
    }
    times
}
