//! `--compare PEERS [--ours OURS]`: wengert's medians beside the ones
//! `bench.py` printed, as a markdown table of ratios.
//!
//! Without `--ours`, bench_report runs itself once per thread count found
//! in PEERS (each run sets its two thread pools once, at start) on the
//! workloads found there, so the two sides are measured minutes apart on
//! the same machine (its JSON lines are echoed to stderr); with `--ours`
//! it reads lines a previous run printed.

use std::collections::BTreeSet;
use std::process::Command;

use crate::json_line::{self, Record};
use crate::Settings;

/// The workloads both bench_report and bench.py have.
const SHARED: [&str; 5] = ["gemm", "mlp", "lstm", "cnn", "tape"];

/// One measurement, reduced to what a row of the table needs.
#[derive(Clone, Debug)]
struct Measurement {
    workload: String,
    threads: u64,
    /// The matrix size of a `gemm` line.
    n: Option<u64>,
    /// Who measured: `wengert`, `wengert fused`, `torch`, `jax`, ...
    who: String,
    /// The time of one step (or product) in ms; of one op in ns for `tape`.
    time: f64,
    /// The 1-minute load average bench.py saw, if it printed one.
    load: Option<f64>,
}

impl Measurement {
    fn key(&self) -> (&str, u64, Option<u64>) {
        (&self.workload, self.threads, self.n)
    }
}

/// The measurement a line holds, if it holds one of a shared workload:
/// `None` for bench.py's lines that report an unsupported combination,
/// for bench_report's workloads that bench.py lacks, and for lines with no
/// time. A gemm line's time is that of one product, from its GFLOP/s (the
/// one number both sides print).
fn measurement(r: &Record) -> Option<Measurement> {
    if r.get("error").is_some() {
        return None;
    }
    let workload = r.str("workload")?;
    if !SHARED.contains(&workload) {
        return None;
    }
    let n = r.num("n").map(|n| n as u64);
    let time = match workload {
        "tape" => r.num("ns_per_op")?,
        "gemm" => 2.0 * (n? as f64).powi(3) / (r.num("gflops")? * 1e9) * 1e3,
        _ => r.num("median_ms")?,
    };
    let mut who = r.str("lib")?.to_string();
    if let Some(cell) = r.str("cell") {
        who = format!("{who} {cell}");
    }
    Some(Measurement {
        workload: workload.to_string(),
        threads: r.num("threads")? as u64,
        n,
        who,
        time,
        load: r.num("loadavg_1m"),
    })
}

/// The measurements of JSON lines; `source` names them in errors. Lines
/// that are not objects (a warning a library printed) are skipped.
fn read(text: &str, source: &str) -> Result<Vec<Measurement>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        let record =
            json_line::parse(line).map_err(|e| format!("{source}, line {}: {e}", i + 1))?;
        out.extend(measurement(&record));
    }
    Ok(out)
}

/// wengert's measurements for the workloads and thread counts of `peers`:
/// one run of this program per thread count.
fn run_ours(peers: &[Measurement], settings: &Settings) -> Result<Vec<Measurement>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("finding bench_report itself: {e}"))?;
    let threads: BTreeSet<u64> = peers.iter().map(|m| m.threads).collect();
    let mut workloads: Vec<&str> = Vec::new();
    for m in peers {
        if !workloads.contains(&m.workload.as_str()) {
            workloads.push(&m.workload);
        }
    }
    let mut out = Vec::new();
    for t in threads {
        let mut cmd = Command::new(&exe);
        cmd.arg("--threads").arg(t.to_string());
        if let Some(iters) = settings.iters {
            cmd.arg("--iters").arg(iters.to_string());
        }
        cmd.args(&workloads);
        eprintln!("running {cmd:?}");
        let output = cmd
            .output()
            .map_err(|e| format!("running {}: {e}", exe.display()))?;
        if !output.status.success() {
            return Err(format!(
                "bench_report --threads {t} {} failed: {}\n{}",
                workloads.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        // The lines themselves (phase split included) go to stderr, so
        // the run behind the table can be kept beside it.
        eprint!("{text}");
        out.extend(read(&text, &format!("bench_report --threads {t}"))?);
    }
    Ok(out)
}

/// The markdown table: one row per pair of a wengert measurement and a
/// peer's of the same workload, thread count and size, in the order of the
/// peers' file; a peer with no wengert counterpart gets a row with `-`.
fn table(ours: &[Measurement], peers: &[Measurement]) -> String {
    let mut keys: Vec<(&str, u64, Option<u64>)> = Vec::new();
    for m in peers {
        if !keys.contains(&m.key()) {
            keys.push(m.key());
        }
    }
    // Workloads in the order the peers' file first names them, then threads, then size.
    let order: Vec<&str> = keys.iter().map(|k| k.0).collect();
    let first = |w: &str| order.iter().position(|&o| o == w);
    keys.sort_by_key(|k| (first(k.0), k.1, k.2));
    let mut s = String::from(
        "| workload | threads | wengert | peer | wengert median | peer median | wengert / peer | peer's load (1 min) |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for key in keys {
        let (workload, threads, n) = key;
        let unit = if workload == "tape" { "ns/op" } else { "ms" };
        let name = match n {
            Some(n) => format!("{workload} n={n}"),
            None => workload.to_string(),
        };
        let mine: Vec<&Measurement> = ours.iter().filter(|m| m.key() == key).collect();
        for peer in peers.iter().filter(|m| m.key() == key) {
            let load = peer.load.map_or("-".to_string(), |l| format!("{l:.2}"));
            if mine.is_empty() {
                s += &format!(
                    "| {name} | {threads} | - | {} | - | {:.3} {unit} | - | {load} |\n",
                    peer.who, peer.time
                );
            }
            for m in &mine {
                s += &format!(
                    "| {name} | {threads} | {} | {} | {:.3} {unit} | {:.3} {unit} | {:.2} | {load} |\n",
                    m.who,
                    peer.who,
                    m.time,
                    peer.time,
                    m.time / peer.time
                );
            }
        }
    }
    s
}

/// Prints the comparison of the bench.py lines in `peers_path` with
/// wengert's, read from `ours_path` or measured now.
pub fn compare(
    peers_path: &str,
    ours_path: Option<&str>,
    settings: &Settings,
) -> Result<(), String> {
    let load =
        |path: &str| std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"));
    let peers = read(&load(peers_path)?, peers_path)?;
    if peers.is_empty() {
        return Err(format!(
            "{peers_path} holds no measurement of {}: expected the JSON lines bench.py prints",
            SHARED.join(", ")
        ));
    }
    let ours = match ours_path {
        Some(path) => read(&load(path)?, path)?,
        None => run_ours(&peers, settings)?,
    };
    print!("{}", table(&ours, &peers));
    Ok(())
}
