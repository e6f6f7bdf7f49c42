//! LSTM and GRU against the plain tanh RNN, the text's remedy for
//! vanishing gradients through time, in two experiments.
//!
//! 1. The adding problem (`adding.rs`) at T = 50, 100, 200: tanh RNN, LSTM
//!    and GRU, 128 hidden units, Adam, global-norm clipping at 1, batches
//!    of 50, the same budget of 2,000 steps for each; the test MSE on 500
//!    fixed sequences every 50 steps, and the first of those at which it is
//!    below 0.01, beside the 0.167 of always predicting 1. Arjovsky, Shah &
//!    Bengio (2016, "Unitary evolution recurrent neural networks") report
//!    that the tanh RNN never beats that baseline at any T they try, and
//!    that the LSTM does up to T = 400. Their RMSProp at 1e-3 runs
//!    thousands of steps; the budget here is what 2 shared cores give in
//!    minutes, and Adam at 1e-3 does not leave the plateau in it (the
//!    LSTM at T = 50 was still at 0.155 after 800 steps), so Adam runs at
//!    1e-2 (`--adding-lr 1e-3 --adding-steps N` for the slow setting). At
//!    1e-2 the LSTM still sits on the plateau for its first 600 steps and
//!    leaves it by about 1,200 at T = 50, hence the 2,000 steps.
//! 2. The text's character-level language model (`char_lm.rs`) on *The
//!    Time Machine* (embedded): the text's preprocessing and its first
//!    10,000 characters (the text's `max_tokens`), one layer of 256 hidden
//!    units, windows of 35 steps, batches of 32, SGD with learning rate 1,
//!    global-norm clipping at 1, random and consecutive sampling (the
//!    latter carries the detached state from batch to batch); training
//!    perplexity per epoch, and 50 characters generated greedily after
//!    "time traveller" and "traveller". The book's runs end at about
//!    1.3-1.6 (RNN, 200 epochs), 3.9-4.1 (LSTM, 160 epochs) and 1.44
//!    (GRU). Each model gets the book's epochs (RNN 200, LSTM and GRU 160;
//!    the table gives seconds per epoch, and `--lm-epochs N` sets them
//!    all).
//!
//! `--quick` runs both in seconds with tiny budgets (short sequences,
//! narrower layers, a 2,000-character text) and is what
//! `tests/facade/lstm_vs_rnn_in_small.rs` checks. Seeds are fixed. Tables
//! are printed as markdown; the plots go to `target/lstm_vs_rnn/`.
//!
//! ```text
//! cargo run --release --example lstm_vs_rnn [-- --quick] [-- --out DIR]
//! ```

pub mod adding;
pub mod char_lm;
pub mod recurrent;

use std::path::{Path, PathBuf};
use std::time::Instant;

use wengert::data::embedded;
use wengert::data::text::SamplingStrategy;
use wengert::train::plot::{plot_charts, Chart, PlotOptions, Series};

use adding::{AddingConfig, AddingRun, BASELINE_MSE, SOLVED_MSE};
use char_lm::{LmConfig, LmRun};
use recurrent::CellKind;

/// A result whose error is any error (the example's own and the crates').
pub type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

/// The budgets of one run of the example.
#[derive(Clone, Debug)]
pub struct Budget {
    /// Sequence lengths of the adding problem.
    pub adding_lengths: Vec<usize>,
    /// The layers compared.
    pub kinds: Vec<CellKind>,
    /// The adding problem's settings (its `seq_len` is set per length).
    pub adding: AddingConfig,
    /// Characters of *The Time Machine* the language model trains on.
    pub lm_tokens: usize,
    /// The language model's settings (its `epochs` is set per model).
    pub lm: LmConfig,
    /// Epochs of the tanh RNN's language model.
    pub lm_epochs_rnn: usize,
    /// Epochs of the LSTM's and the GRU's.
    pub lm_epochs_gated: usize,
    /// Characters generated after each prefix.
    pub generated: usize,
}

impl Budget {
    /// The language model's epochs for `kind`.
    pub fn lm_epochs(&self, kind: CellKind) -> usize {
        match kind {
            CellKind::Rnn => self.lm_epochs_rnn,
            CellKind::Lstm | CellKind::Gru => self.lm_epochs_gated,
        }
    }

    /// The experiment as the text and the paper set it: the book's epochs
    /// for the language model, and enough Adam steps on the adding problem
    /// for the LSTM to leave the plateau.
    pub fn full() -> Self {
        Budget {
            adding_lengths: vec![50, 100, 200],
            kinds: CellKind::ALL.to_vec(),
            adding: AddingConfig {
                seq_len: 0,
                hidden: 128,
                batch: 50,
                steps: 2_000,
                eval_every: 50,
                lr: 1e-2,
                clip: 1.0,
                test_size: 500,
                seed: 0,
            },
            lm_tokens: 10_000,
            lm: LmConfig {
                hidden: 256,
                num_steps: 35,
                batch: 32,
                lr: 1.0,
                clip: 1.0,
                epochs: 0,
                seed: 0,
            },
            lm_epochs_rnn: 200,
            lm_epochs_gated: 160,
            generated: 50,
        }
    }

    /// Seconds, not minutes: short sequences, narrow layers, a short text.
    pub fn quick() -> Self {
        Budget {
            adding_lengths: vec![10, 20],
            kinds: CellKind::ALL.to_vec(),
            adding: AddingConfig {
                seq_len: 0,
                hidden: 32,
                batch: 50,
                steps: 400,
                eval_every: 50,
                lr: 1e-2,
                clip: 1.0,
                test_size: 500,
                seed: 0,
            },
            lm_tokens: 2_000,
            lm: LmConfig {
                hidden: 64,
                num_steps: 35,
                batch: 8,
                lr: 1.0,
                clip: 1.0,
                epochs: 0,
                seed: 0,
            },
            lm_epochs_rnn: 30,
            lm_epochs_gated: 30,
            generated: 20,
        }
    }
}

/// Every adding-problem run: each length, each layer.
pub fn adding_runs(budget: &Budget) -> Outcome<Vec<AddingRun>> {
    let mut runs = Vec::new();
    for &seq_len in &budget.adding_lengths {
        for &kind in &budget.kinds {
            let config = AddingConfig {
                seq_len,
                ..budget.adding
            };
            let run = adding::train_adding(kind, &config)?;
            eprintln!(
                "adding T = {seq_len}, {}: test MSE {:.4} ({:.1} ms a step)",
                kind.name(),
                run.final_mse,
                run.seconds_per_step * 1e3
            );
            runs.push(run);
        }
    }
    Ok(runs)
}

/// The first `max_tokens` tokens of *The Time Machine* and the size of its
/// vocabulary.
pub fn time_machine_tokens(max_tokens: usize) -> (Vec<usize>, usize) {
    let corpus = embedded::time_machine();
    let n = corpus.tokens.len().min(max_tokens);
    (corpus.tokens[..n].to_vec(), corpus.vocab.len())
}

/// Every language-model run: each layer with each sampling.
pub fn lm_runs(budget: &Budget) -> Outcome<Vec<LmRun>> {
    let (tokens, vocab_size) = time_machine_tokens(budget.lm_tokens);
    let mut runs = Vec::new();
    for &kind in &budget.kinds {
        for strategy in [SamplingStrategy::Random, SamplingStrategy::Sequential] {
            let config = LmConfig {
                epochs: budget.lm_epochs(kind),
                ..budget.lm
            };
            let run = char_lm::train_lm(kind, strategy, &tokens, vocab_size, &config)?;
            eprintln!(
                "char LM {}, {}: perplexity {:.3} ({:.2} s an epoch)",
                kind.name(),
                sampling_name(strategy),
                run.perplexities.last().copied().unwrap_or(f64::NAN),
                run.seconds_per_epoch
            );
            runs.push(run);
        }
    }
    Ok(runs)
}

/// How the tables name a sampling strategy (the text's words).
pub fn sampling_name(strategy: SamplingStrategy) -> &'static str {
    match strategy {
        SamplingStrategy::Random => "random",
        SamplingStrategy::Sequential => "consecutive",
    }
}

/// What Arjovsky et al. (2016) report for this layer on the adding problem.
fn paper_claim(kind: CellKind) -> &'static str {
    match kind {
        CellKind::Rnn => "never beats the baseline (T = 100 to 750)",
        CellKind::Lstm => "beats it up to T = 400",
        CellKind::Gru => "not in the paper",
    }
}

/// The book's final perplexity for this layer.
fn book_perplexity(kind: CellKind) -> &'static str {
    match kind {
        CellKind::Rnn => "1.3-1.6 (200 epochs)",
        CellKind::Lstm => "3.9-4.1 (160 epochs)",
        CellKind::Gru => "1.44",
    }
}

fn print_adding(runs: &[AddingRun], budget: &Budget) {
    let a = &budget.adding;
    println!(
        "## The adding problem\n\n{} Adam steps (lr {}) of {} sequences, hidden {}, \
         global-norm clip {}, test MSE on {} fixed sequences every {} steps\n",
        a.steps, a.lr, a.batch, a.hidden, a.clip, a.test_size, a.eval_every
    );
    println!(
        "| T | model | final test MSE | steps to MSE < {SOLVED_MSE} | baseline (predict 1) | \
         Arjovsky et al. (2016) | ms a step |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | --- | ---: |");
    for run in runs {
        let solved = match run.steps_to_solved {
            Some(step) => step.to_string(),
            None => "not in budget".to_string(),
        };
        println!(
            "| {} | {} | {:.4} | {solved} | {BASELINE_MSE:.3} | {} | {:.1} |",
            run.seq_len,
            run.kind.name(),
            run.final_mse,
            paper_claim(run.kind),
            run.seconds_per_step * 1e3
        );
    }
    println!();
}

fn plot_adding(runs: &[AddingRun], budget: &Budget, out: &Path) -> Outcome<PathBuf> {
    let charts: Vec<Chart> = budget
        .adding_lengths
        .iter()
        .map(|&t| {
            let mut series: Vec<Series> = runs
                .iter()
                .filter(|r| r.seq_len == t)
                .map(|r| {
                    let points = r.curve.iter().map(|&(s, m)| (s as f64, m)).collect();
                    Series::new(r.kind.name(), points)
                })
                .collect();
            let end = budget.adding.steps as f64;
            let baseline = vec![(0.0, BASELINE_MSE), (end, BASELINE_MSE)];
            series.push(Series::new("predict 1 (0.167)", baseline));
            Chart {
                title: format!("T = {t}"),
                y_label: "test MSE".into(),
                log_y: true,
                series,
            }
        })
        .collect();
    let path = out.join("adding_problem.svg");
    let options = PlotOptions {
        size: (900, 300 * charts.len() as u32),
        ..PlotOptions::default()
    };
    plot_charts("the adding problem", "Adam steps", &charts, &path, &options)?;
    Ok(path)
}

fn print_lm(runs: &[LmRun], budget: &Budget, unigram: f64) {
    let l = &budget.lm;
    println!(
        "## Character-level language model on The Time Machine\n\n\
         first {} characters (lower-case letters and space), hidden {}, {} steps, batch {}, \
         SGD lr {}, global-norm clip {}; training perplexity of the last epoch\n",
        budget.lm_tokens, l.hidden, l.num_steps, l.batch, l.lr, l.clip
    );
    println!("| model | sampling | epochs | perplexity | book's | s an epoch |");
    println!("| --- | --- | ---: | ---: | --- | ---: |");
    for run in runs {
        println!(
            "| {} | {} | {} | {:.3} | {} | {:.3} |",
            run.kind.name(),
            sampling_name(run.strategy),
            run.perplexities.len(),
            run.perplexities.last().copied().unwrap_or(f64::NAN),
            book_perplexity(run.kind),
            run.seconds_per_epoch
        );
    }
    println!("| unigram (character frequencies) | | | {unigram:.3} | | |\n");
}

fn print_generated(runs: &[LmRun], budget: &Budget) -> Outcome<()> {
    let vocab = embedded::time_machine().vocab;
    println!(
        "Generated greedily, {} characters after each prefix:\n",
        budget.generated
    );
    println!("| model | sampling | text |");
    println!("| --- | --- | --- |");
    for run in runs {
        for prefix in ["time traveller", "traveller"] {
            let text = run.model.generate(&vocab, prefix, budget.generated)?;
            println!(
                "| {} | {} | `{text}` |",
                run.kind.name(),
                sampling_name(run.strategy)
            );
        }
    }
    println!();
    Ok(())
}

fn plot_lm(runs: &[LmRun], unigram: f64, out: &Path) -> Outcome<PathBuf> {
    let charts: Vec<Chart> = [SamplingStrategy::Random, SamplingStrategy::Sequential]
        .into_iter()
        .map(|strategy| {
            let mut series: Vec<Series> = runs
                .iter()
                .filter(|r| r.strategy == strategy)
                .map(|r| {
                    let points = (1..).zip(&r.perplexities).map(|(e, &p)| (e as f64, p));
                    Series::new(r.kind.name(), points.collect())
                })
                .collect();
            let epochs = runs.iter().map(|r| r.perplexities.len()).max().unwrap_or(1);
            let flat = vec![(1.0, unigram), (epochs as f64, unigram)];
            series.push(Series::new("unigram", flat));
            Chart {
                title: format!("{} sampling", sampling_name(strategy)),
                y_label: "training perplexity".into(),
                log_y: true,
                series,
            }
        })
        .collect();
    let path = out.join("char_lm_perplexity.svg");
    let options = PlotOptions {
        size: (900, 700),
        ..PlotOptions::default()
    };
    plot_charts(
        "character-level language model on The Time Machine",
        "epoch",
        &charts,
        &path,
        &options,
    )?;
    Ok(path)
}

fn usage() -> &'static str {
    "lstm_vs_rnn: tanh RNN vs LSTM vs GRU on the adding problem and on a character language model

usage: cargo run --release --example lstm_vs_rnn [-- OPTIONS]

  --quick            tiny budgets, seconds (short sequences, narrow layers, a short text)
  --adding-steps N   Adam steps per adding-problem run (default 2000; quick 400)
  --lm-epochs N      epochs for every language model (default the book's: RNN 200,
                     LSTM and GRU 160; quick 30)
  --adding-lr X      Adam's learning rate on the adding problem (default 1e-2, as quick)
  --lengths A,B,..   the adding problem's sequence lengths (default 50,100,200; quick 10,20)
  --models LIST      which of rnn, lstm, gru to train (default all three)
  --seed N           seeds the weights, the data and the sampler (default 0)
  --skip-adding      only the language model
  --skip-lm          only the adding problem
  --out DIR          where the plots go (default target/lstm_vs_rnn)
  --help             this text"
}

/// Runs the example; an error (a missing data set, a bad argument) is
/// printed as its message, not as a debug dump of it.
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Outcome<()> {
    let mut quick = false;
    let mut out = PathBuf::from("target/lstm_vs_rnn");
    let mut adding_steps = None;
    let mut lm_epochs = None;
    let mut seed = None;
    let mut adding_lr = None;
    let mut lengths = None;
    let mut kinds = None;
    let (mut skip_adding, mut skip_lm) = (false, false);
    let mut args = std::env::args().skip(1);
    let number = |value: Option<String>, flag: &str| -> Outcome<usize> {
        let value = value.ok_or(format!("{flag} needs a number"))?;
        Ok(value
            .parse()
            .map_err(|_| format!("{flag}: `{value}` is not a number"))?)
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--adding-steps" => adding_steps = Some(number(args.next(), "--adding-steps")?),
            "--lm-epochs" => lm_epochs = Some(number(args.next(), "--lm-epochs")?),
            "--adding-lr" => {
                let value = args.next().ok_or("--adding-lr needs a number")?;
                adding_lr = Some(
                    value
                        .parse::<f64>()
                        .map_err(|_| format!("--adding-lr: `{value}`"))?,
                );
            }
            "--lengths" => {
                let value = args.next().ok_or("--lengths needs a list")?;
                let parsed: Result<Vec<usize>, _> = value.split(',').map(str::parse).collect();
                lengths = Some(
                    parsed.map_err(|_| format!("--lengths: `{value}` is not a list of numbers"))?,
                );
            }
            "--models" => {
                let value = args.next().ok_or("--models needs a list")?;
                let parsed: Option<Vec<CellKind>> = value.split(',').map(CellKind::parse).collect();
                kinds = Some(parsed.ok_or(format!(
                    "--models: `{value}` is not a list of rnn, lstm, gru"
                ))?);
            }
            "--seed" => seed = Some(number(args.next(), "--seed")? as u64),
            "--skip-adding" => skip_adding = true,
            "--skip-lm" => skip_lm = true,
            "--out" => out = args.next().ok_or("--out needs a folder")?.into(),
            "--help" | "-h" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n\n{}", usage()).into()),
        }
    }
    std::fs::create_dir_all(&out)?;
    let mut budget = if quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    if let Some(steps) = adding_steps {
        budget.adding.steps = steps;
    }
    if let Some(lr) = adding_lr {
        budget.adding.lr = lr;
    }
    if let Some(lengths) = lengths {
        budget.adding_lengths = lengths;
    }
    if let Some(kinds) = kinds {
        budget.kinds = kinds;
    }
    if let Some(seed) = seed {
        budget.adding.seed = seed;
        budget.lm.seed = seed;
    }
    if let Some(epochs) = lm_epochs {
        budget.lm_epochs_rnn = epochs;
        budget.lm_epochs_gated = epochs;
    }
    let started = Instant::now();

    if !skip_adding {
        let runs = adding_runs(&budget)?;
        print_adding(&runs, &budget);
        println!("plot: {}\n", plot_adding(&runs, &budget, &out)?.display());
    }

    if !skip_lm {
        let runs = lm_runs(&budget)?;
        let (tokens, vocab_size) = time_machine_tokens(budget.lm_tokens);
        let unigram = char_lm::unigram_perplexity(&tokens, vocab_size);
        print_lm(&runs, &budget, unigram);
        print_generated(&runs, &budget)?;
        println!("plot: {}\n", plot_lm(&runs, unigram, &out)?.display());
    }
    println!("total time: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
