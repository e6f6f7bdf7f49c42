//! Runs wengert's benchmark workloads outside criterion and prints one JSON
//! line per measurement, so runs can be compared with other libraries on the
//! same machine (warm-up, then timed iterations; medians).
//!
//! Comparing with PyTorch and JAX takes two commands, from the repository's
//! root (bench.py, and how to make its virtual environment, are in
//! `../shared/peers/`):
//!
//! ```text
//! for t in 1 2; do for w in mlp lstm cnn; do for lib in torch jax; do
//!   $HOME/peers-venv/bin/python ../shared/peers/bench.py --lib $lib --workload $w --threads $t
//! done; done; done > peers.jsonl
//! cargo run --release --example bench_report -- --compare peers.jsonl
//! ```
//!
//! The second runs bench_report once per thread count of `peers.jsonl` on its
//! workloads and prints a markdown table: per workload and thread count,
//! wengert's median, the peer's and the ratio wengert / peer
//! (`--ours FILE` compares lines of an earlier bench_report run instead).
//! bench.py prints an `error` line for a combination it lacks (JAX has no
//! `cnn`); those are skipped.
//!
//! ```text
//! cargo run --release --example bench_report -- [--threads N] [--iters N] [WORKLOAD...]
//! ```
//!
//! Workloads: `gemm`, `add`, `tape`, `mlp_sgd`, `mlp`, `lstm`, `gru`, `cnn`
//! (all by default), `lstm_fused` and `lstm_composed` (one cell of `lstm`
//! alone), `gru_fused` and `gru_composed` (the same for `gru`, the LSTM's
//! shapes with a GRU layer),
//! `threshold` (serial vs parallel element-wise add around the
//! threshold), and `epoch_mlp` and `epoch_cnn` (one Fashion-MNIST epoch
//! through the loader and the trainer, timed whole; not in the default set). `--threads N` sets rayon's pool, over which wengert splits
//! its work (matrixmultiply itself runs single-threaded). `--iters N` runs the step workloads (`mlp`, `lstm*`, `gru*`, `cnn`) for
//! one warm-up step and N timed ones, which is what a profile needs
//! (callgrind's instruction counts hold on a busy machine):
//!
//! ```text
//! valgrind --tool=callgrind target/release/examples/bench_report --threads 1 --iters 3 cnn
//! ```
//!
//! The step workloads print the whole step's median and, beside it, the
//! medians of its forward (tape reset to loss), backward and optimizer phases,
//! taken in the same steps, and the first and last losses:
//!
//! ```text
//! {"lib":"wengert","workload":"gemm","n":512,"threads":2,"gflops":...}
//! {"lib":"wengert","workload":"tape","threads":1,"ns_per_op":...}
//! {"lib":"wengert","workload":"mlp_sgd","threads":2,"median_ms":...,"min_ms":...,"iters":...}
//! {"lib":"wengert","workload":"cnn","threads":1,"median_ms":...,"min_ms":...,"iters":...,"forward_ms":...,"backward_ms":...,"optimizer_ms":...,"loss_first":...,"loss_last":...}
//! ```

use std::hint::black_box;

use wengert::prelude::*;

mod compare;
mod epoch;
mod json_line;
mod steps;
mod timing;

#[path = "../../crates/wengert-tensor/benches/workloads.rs"]
mod workloads;

use timing::{median, time, time_pair, Protocol};

/// What every workload is run with.
pub struct Settings {
    /// Threads of rayon's pool, which wengert's kernels split their work over (the caller counted as one).
    pub threads: usize,
    /// `--iters N`: N timed steps after one warm-up, instead of each step
    /// workload's own protocol.
    pub iters: Option<usize>,
}

impl Settings {
    /// `default`, unless `--iters` asked for a fixed count.
    pub fn protocol(&self, default: Protocol) -> Protocol {
        self.iters.map_or(default, |n| Protocol::fixed(1, n))
    }
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

/// Exits with `message` on stderr, for a command line it cannot run.
fn usage_error(message: &str) -> ! {
    eprintln!("bench_report: {message}");
    std::process::exit(2)
}

fn main() {
    const WORKLOADS: [&str; 15] = [
        "gemm",
        "add",
        "tape",
        "mlp_sgd",
        "mlp",
        "lstm",
        "lstm_fused",
        "lstm_composed",
        "gru",
        "gru_fused",
        "gru_composed",
        "cnn",
        "threshold",
        "epoch_mlp",
        "epoch_cnn",
    ];
    let mut threads = None;
    let mut iters = None;
    let mut peers = None;
    let mut ours = None;
    let mut workloads = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .unwrap_or_else(|| usage_error(&format!("{arg} takes {what}")))
        };
        let mut count = |what: &str| {
            let v = value(what);
            v.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or_else(|| usage_error(&format!("{arg} takes {what}, got {v:?}")))
        };
        match arg.as_str() {
            "--threads" => threads = Some(count("a positive number")),
            "--iters" => iters = Some(count("a positive number")),
            "--compare" => peers = Some(value("a file of bench.py's JSON lines")),
            "--ours" => ours = Some(value("a file of bench_report's JSON lines")),
            w if WORKLOADS.contains(&w) => workloads.push(w.to_string()),
            other => usage_error(&format!(
                "unknown argument {other:?}: expected --threads N, --iters N, --compare FILE, --ours FILE or one of {}",
                WORKLOADS.join(", ")
            )),
        }
    }
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let settings = Settings { threads, iters };
    if let Some(peers) = peers {
        if let Err(e) = compare::compare(&peers, ours.as_deref(), &settings) {
            eprintln!("bench_report --compare: {e}");
            std::process::exit(1);
        }
        return;
    }
    if ours.is_some() {
        usage_error("--ours goes with --compare");
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("the global thread pool is set once");
    if workloads.is_empty() {
        workloads = [
            "gemm", "add", "tape", "mlp_sgd", "mlp", "lstm", "gru", "cnn",
        ]
        .map(String::from)
        .to_vec();
    }
    for w in &workloads {
        match w.as_str() {
            "gemm" => gemm(threads),
            "add" => add(threads),
            "tape" => tape(threads),
            "mlp_sgd" => mlp_sgd(threads),
            "mlp" => steps::mlp(&settings),
            "lstm" => steps::recurrent(&settings, false, &[true, false]),
            "lstm_fused" => steps::recurrent(&settings, false, &[true]),
            "lstm_composed" => steps::recurrent(&settings, false, &[false]),
            "gru" => steps::recurrent(&settings, true, &[true, false]),
            "gru_fused" => steps::recurrent(&settings, true, &[true]),
            "gru_composed" => steps::recurrent(&settings, true, &[false]),
            "cnn" => steps::cnn(&settings),
            "threshold" => threshold(threads),
            "epoch_mlp" => epoch::epoch(&settings, false),
            "epoch_cnn" => epoch::epoch(&settings, true),
            other => unreachable!("arguments were checked against WORKLOADS: {other}"),
        }
    }
}
