//! Runs wengert's benchmark workloads outside criterion and prints one JSON
//! line per measurement, so runs can be compared with other libraries on the
//! same machine (warm-up, then a fixed number of timed iterations; medians).
//!
//! ```text
//! cargo run --release --example bench_report -- [--threads N] [WORKLOAD...]
//! ```
//!
//! Workloads: `gemm`, `add`, `tape`, `mlp_sgd`, `mlp`, `lstm` (all by default), and
//! `threshold` (serial vs parallel element-wise add around the threshold).
//! `--threads N` sets both rayon's pool and matrixmultiply's threads.
//!
//! ```text
//! {"lib":"wengert","workload":"gemm","n":512,"threads":2,"gflops":...}
//! {"lib":"wengert","workload":"tape","threads":1,"ns_per_op":...}
//! {"lib":"wengert","workload":"mlp_sgd","threads":2,"median_ms":...,"min_ms":...,"iters":...}
//! ```

use std::hint::black_box;
use std::time::Instant;

use wengert::optim::{AdamConfig, Optimizer};
use wengert::prelude::*;

#[path = "../crates/wengert-tensor/benches/workloads.rs"]
mod workloads;

/// Times `f`: `warmup` untimed calls, then `iters` timed ones; returns the
/// sorted durations in seconds.
fn time(warmup: usize, iters: usize, mut f: impl FnMut()) -> Vec<f64> {
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
fn time_pair(
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

fn median(sorted: &[f64]) -> f64 {
    sorted[sorted.len() / 2]
}

fn gemm(threads: usize) {
    for n in [128usize, 256, 512, 1024] {
        let a = Tensor::<f32>::randn(&[n, n], &mut seeded_rng(1));
        let b = Tensor::<f32>::randn(&[n, n], &mut seeded_rng(2));
        let iters = if n >= 1024 { 10 } else { 30 };
        let (sa, sb) = (a.to_vec(), b.to_vec());
        let mut out = vec![0f32; n * n];
        let (raw, api, ratios) = time_pair(
            2,
            iters,
            || {
                workloads::raw_gemm(n, &sa, &sb, &mut out);
                black_box(&out);
            },
            || {
                black_box(a.matmul(&b));
            },
        );
        let (raw, api) = (median(&raw), median(&api));
        let flops = 2.0 * (n * n * n) as f64;
        println!(
            "{{\"lib\":\"wengert\",\"workload\":\"gemm\",\"n\":{n},\"threads\":{threads},\"gflops\":{:.2},\"raw_gflops\":{:.2},\"ratio\":{:.3}}}",
            flops / api / 1e9,
            flops / raw / 1e9,
            median(&ratios)
        );
    }
}

fn add(threads: usize) {
    let n = 10_000_000;
    let a = Tensor::<f32>::randn(&[n], &mut seeded_rng(1));
    let b = Tensor::<f32>::randn(&[n], &mut seeded_rng(2));
    let t_add = median(&time(2, 15, || {
        black_box(a.add(&b));
    }));
    let src = a.to_vec();
    // The machine's bandwidth: a copy into a buffer that already exists.
    let mut dst = vec![0f32; n];
    let t_copy = median(&time(2, 15, || {
        dst.copy_from_slice(&src);
        black_box(&dst);
    }));
    // A copy into a fresh allocation, as `add` must make one for its output:
    // for 40 MB the allocator maps new pages every time.
    let t_clone = median(&time(2, 15, || {
        black_box(src.clone());
    }));
    // add moves 3 n floats (two reads, one write); a copy moves 2 n.
    let add_gbps = 3.0 * 4.0 * n as f64 / t_add / 1e9;
    let copy_gbps = 2.0 * 4.0 * n as f64 / t_copy / 1e9;
    let clone_gbps = 2.0 * 4.0 * n as f64 / t_clone / 1e9;
    println!(
        "{{\"lib\":\"wengert\",\"workload\":\"add\",\"n\":{n},\"threads\":{threads},\"gbps\":{add_gbps:.2},\"memcpy_gbps\":{copy_gbps:.2},\"clone_gbps\":{clone_gbps:.2},\"ratio\":{:.3}}}",
        add_gbps / copy_gbps
    );
}

/// Where parallel element-wise work starts to pay: the same add loop run
/// serially and with rayon (chunks of `wengert_tensor::kernels::CHUNK`), at
/// sizes around `wengert_tensor::kernels::PARALLEL_THRESHOLD`.
fn threshold(threads: usize) {
    use rayon::prelude::*;
    use wengert_tensor::kernels::{CHUNK, PARALLEL_THRESHOLD};
    for n in [
        8192usize,
        32768,
        65536,
        131072,
        262144,
        524288,
        1 << 20,
        1 << 22,
    ] {
        let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let b = a.clone();
        let iters = (20_000_000 / n).clamp(50, 5000);
        let serial = median(&time(10, iters, || {
            let out: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
            black_box(out);
        }));
        let parallel = median(&time(10, iters, || {
            let mut out = Vec::with_capacity(n);
            a.par_iter()
                .zip(b.par_iter())
                .with_min_len(CHUNK)
                .map(|(x, y)| x + y)
                .collect_into_vec(&mut out);
            black_box(out);
        }));
        println!(
            "{{\"lib\":\"wengert\",\"workload\":\"threshold\",\"n\":{n},\"threads\":{threads},\"serial_us\":{:.2},\"parallel_us\":{:.2},\"speedup\":{:.2},\"current_threshold\":{PARALLEL_THRESHOLD}}}",
            serial * 1e6,
            parallel * 1e6,
            serial / parallel
        );
    }
}

fn tape(threads: usize) {
    let mut t = Tape::new();
    let ops = 1000;
    let times = time(20, 200, || {
        black_box(workloads::chain(&mut t, ops));
    });
    println!(
        "{{\"lib\":\"wengert\",\"workload\":\"tape\",\"threads\":{threads},\"ns_per_op\":{:.1},\"min_ns_per_op\":{:.1}}}",
        median(&times) / ops as f64 * 1e9,
        times[0] / ops as f64 * 1e9
    );
}

fn report(workload: &str, threads: usize, times: &[f64], extra: &str) {
    println!(
        "{{\"lib\":\"wengert\",\"workload\":\"{workload}\",\"threads\":{threads},\"median_ms\":{:.3},\"min_ms\":{:.3},\"iters\":{}{extra}}}",
        median(times) * 1e3,
        times[0] * 1e3,
        times.len()
    );
}

fn mlp_sgd(threads: usize) {
    let mut mlp = workloads::Mlp::new();
    let mut t = Tape::training(0);
    let w = [
        mlp.params[0].value().clone(),
        mlp.params[2].value().clone(),
        mlp.params[4].value().clone(),
    ];
    // The step and its eight products alone, timed in alternation.
    let x = mlp.x.clone();
    let (step, gemms, ratios) = time_pair(
        5,
        50,
        || {
            black_box(mlp.step(&mut t, 0.01));
        },
        || {
            black_box(workloads::gemms_alone(&x, &w));
        },
    );
    let extra = format!(
        ",\"gemms_alone_median_ms\":{:.3},\"ratio_to_gemms\":{:.3}",
        median(&gemms) * 1e3,
        median(&ratios)
    );
    report("mlp_sgd", threads, &step, &extra);
}

fn mlp_adam(threads: usize) {
    let mut mlp = workloads::Mlp::new();
    let mut adam = AdamConfig::new(1e-3)
        .betas(0.9, 0.999)
        .eps(1e-8)
        .build::<f32>();
    let mut t = Tape::training(0);
    let step = time(5, 50, || {
        let (loss, grads) = mlp.loss_and_grads(&mut t);
        let mut params: Vec<&mut Param<f32>> = mlp.params.iter_mut().collect();
        adam.step(&mut params, &grads);
        black_box(loss);
    });
    report("mlp", threads, &step, "");
}

/// One training step of an LSTM (input 32, hidden 128, sequence 50, batch
/// 32): last hidden state -> Linear(128, 10) -> cross-entropy, backward
/// through all 50 steps, Adam (lr 1e-3). Fused cell, then the composed one.
fn lstm(threads: usize) {
    use wengert::nn::recurrent::{Lstm, RnnConfig};
    use wengert::nn::{Linear, Module};
    for fused in [true, false] {
        let mut rng = seeded_rng(5);
        let mut lstm = Lstm::<f32>::new(RnnConfig::new(32, 128).with_fused(fused), &mut rng);
        let mut head = Linear::<f32>::new(128, 10, &mut rng);
        let x = Tensor::<f32>::randn(&[50, 32, 32], &mut rng);
        let labels: Vec<usize> = (0..32).map(|i| (i * 3) % 10).collect();
        let mut adam = AdamConfig::new(1e-3).build::<f32>();
        let mut tape = Tape::training(0);
        let times = time(2, 20, || {
            tape.reset();
            let grads = {
                let input = tape.constant(x.clone());
                let (_, state) = lstm
                    .forward_with_state(&tape, input, None)
                    .expect("shapes fit");
                let last_h = state.h.reshape(&[32, 128]);
                let logits = head.forward(&tape, last_h).expect("shapes fit");
                logits.cross_entropy_with_logits(&labels).backward()
            };
            adam.step(&mut (&mut lstm, &mut head), &grads);
        });
        let extra = format!(",\"cell\":\"{}\"", if fused { "fused" } else { "composed" });
        report("lstm", threads, &times, &extra);
    }
}

fn main() {
    let mut threads = None;
    let mut workloads = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => {
                let n = args.next().and_then(|s| s.parse().ok());
                threads = Some(n.expect("--threads takes a positive number"));
            }
            other => workloads.push(other.to_string()),
        }
    }
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // matrixmultiply reads its thread count once, at the first product.
    std::env::set_var("MATMUL_NUM_THREADS", threads.to_string());
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("the global thread pool is set once");
    if workloads.is_empty() {
        workloads = ["gemm", "add", "tape", "mlp_sgd", "mlp", "lstm"]
            .map(String::from)
            .to_vec();
    }
    for w in &workloads {
        match w.as_str() {
            "gemm" => gemm(threads),
            "add" => add(threads),
            "tape" => tape(threads),
            "mlp_sgd" => mlp_sgd(threads),
            "mlp" => mlp_adam(threads),
            "threshold" => threshold(threads),
            "lstm" => lstm(threads),
            other => {
                eprintln!("unknown workload {other:?}: expected gemm, add, tape, mlp_sgd, mlp, lstm or threshold")
            }
        }
    }
}
