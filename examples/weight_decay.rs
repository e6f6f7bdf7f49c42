//! Weight decay, the text's high-dimensional linear regression.
//!
//! Data: 200 inputs `x ~ N(0, 1)`, `y = 0.05 + sum_i 0.01 x_i + e`,
//! `e ~ N(0, 0.01^2)`; only 20 training examples (and 100 test), so a
//! linear model with 200 weights can fit the training set exactly and
//! generalizes badly unless its weights are kept small. The model starts
//! from `w ~ N(0, 1)`, `b = 0` and trains with SGD at lr 0.003, batch 1,
//! 100 epochs, on `1/2 (y_hat - y)^2 + lambda/2 ||w||^2` (the bias is not
//! penalized), as the book does.
//!
//! It prints:
//! 1. lambda 0 and lambda 3 beside the book's numbers (||w|| and the
//!    losses);
//! 2. a sweep of lambda: the test loss and ||w|| against lambda (plot
//!    `lambda_sweep.svg`);
//! 3. the three ways to decay: the penalty in the objective, coupled L2 in
//!    the optimizer, decoupled decay; with SGD the three are one update (to
//!    rounding), with Adam coupled L2 and decoupled decay (AdamW) differ;
//! 4. L1 instead of L2: how many of the 200 weights end near zero.
//!
//! ```text
//! cargo run --release --example weight_decay [-- --quick] [-- --out DIR]
//! ```
//!
//! `--quick` runs 30 epochs instead of 100 (the test
//! `tests/facade/weight_decay_in_small.rs` checks the example's claims with
//! it). Every seed is fixed.

use std::path::PathBuf;
use std::time::Instant;

use wengert::data::{InMemoryDataset, Targets};
use wengert::nn::init::Init;
use wengert::nn::LinearConfig;
use wengert::optim::{Optimizer, ParamGroup, WeightDecay};
use wengert::prelude::*;
use wengert::train::plot::{plot_charts, Chart, PlotOptions, Series};
use wengert::train::{Loss, Penalty};

/// Inputs of every example.
pub const INPUTS: usize = 200;
/// Training examples (the text's 20: ten times fewer than the weights).
pub const TRAIN: usize = 20;
/// Test examples.
pub const TEST: usize = 100;
/// Learning rate, the book's.
pub const LR: f64 = 0.003;
/// Seed of the weights' init, apart from every data seed (a data set
/// drawn from the init's stream would start the weights on its inputs).
pub const INIT_SEED: u64 = 1 << 32;
/// The lambdas of the sweep.
pub const SWEEP: [f64; 8] = [0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0];

/// Training and test sets of the text's data, drawn from `seed`.
pub fn data(seed: u64) -> (InMemoryDataset<f64>, InMemoryDataset<f64>) {
    let mut rng = seeded_rng(seed);
    let n = TRAIN + TEST;
    let x = Tensor::<f64>::randn(&[n, INPUTS], &mut rng);
    let noise = Tensor::<f64>::randn(&[n], &mut rng).to_vec();
    let xs = x.to_vec();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            0.05 + xs[i * INPUTS..(i + 1) * INPUTS].iter().sum::<f64>() * 0.01 + 0.01 * noise[i]
        })
        .collect();
    let y = Tensor::from_vec(y, &[n, 1]);
    let part = |start: usize, len: usize| {
        InMemoryDataset::regression(x.narrow(0, start, len), y.narrow(0, start, len))
    };
    (part(0, TRAIN), part(TRAIN, TEST))
}

/// How the decay enters the update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decay {
    /// `lambda/2 ||w||^2` added to the objective (the book's form).
    Penalty,
    /// `g + lambda w` in the optimizer (PyTorch's `weight_decay=`).
    Coupled,
    /// `w <- w (1 - lr lambda)` before the step (AdamW's).
    Decoupled,
    /// `lambda ||w||_1` added to the objective.
    L1,
}

/// The optimizer of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// SGD at the book's lr.
    Sgd,
    /// Adam at the book's lr.
    Adam,
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct Run {
    /// Loss on the whole training set after each epoch (data loss only).
    pub train_loss: Vec<f64>,
    /// Loss on the whole test set after each epoch.
    pub test_loss: Vec<f64>,
    /// The learned weights.
    pub weights: Vec<f64>,
}

impl Run {
    /// `||w||`, the L2 norm of the weights.
    pub fn norm(&self) -> f64 {
        self.weights.iter().map(|w| w * w).sum::<f64>().sqrt()
    }

    /// Weights within `tol` of zero.
    pub fn near_zero(&self, tol: f64) -> usize {
        self.weights.iter().filter(|w| w.abs() < tol).count()
    }

    /// The last training loss.
    pub fn train(&self) -> f64 {
        *self.train_loss.last().expect("an epoch")
    }

    /// The last test loss.
    pub fn test(&self) -> f64 {
        *self.test_loss.last().expect("an epoch")
    }
}

/// The text's loss, `1/2 (y_hat - y)^2` averaged over the batch.
fn half_squared_error<'t>(
    output: Var<'t, f64>,
    targets: &Targets<f64>,
) -> wengert::train::Result<Var<'t, f64>> {
    Ok(MseLoss.loss(output, targets)?.mul_scalar(0.5))
}

/// A run of `epochs` epochs at `lambda`, the decay applied as `decay`.
pub fn run(
    method: Method,
    decay: Decay,
    lambda: f64,
    epochs: usize,
) -> Result<Run, Box<dyn std::error::Error>> {
    run_on(0, method, decay, lambda, epochs)
}

/// [`run`] on the data set drawn from `data_seed`.
pub fn run_on(
    data_seed: u64,
    method: Method,
    decay: Decay,
    lambda: f64,
    epochs: usize,
) -> Result<Run, Box<dyn std::error::Error>> {
    let in_optimizer = match decay {
        Decay::Coupled => WeightDecay::L2(lambda),
        Decay::Decoupled => WeightDecay::Decoupled(lambda),
        Decay::Penalty | Decay::L1 => WeightDecay::None,
    };
    // Decay in the optimizer spares the bias, as the penalty does.
    let no_bias_decay =
        || ParamGroup::by_name("bias", |n: &str| n.ends_with("bias")).weight_decay(0.0);
    match method {
        Method::Sgd => {
            let opt = SgdConfig::new(LR)
                .weight_decay(in_optimizer)
                .group(no_bias_decay())
                .build();
            train(data_seed, opt, decay, lambda, epochs)
        }
        Method::Adam => {
            let opt = AdamConfig::new(LR)
                .weight_decay(in_optimizer)
                .group(no_bias_decay())
                .build();
            train(data_seed, opt, decay, lambda, epochs)
        }
    }
}

fn train<O: Optimizer<f64>>(
    data_seed: u64,
    optimizer: O,
    decay: Decay,
    lambda: f64,
    epochs: usize,
) -> Result<Run, Box<dyn std::error::Error>> {
    let (train_set, test_set) = data(data_seed);
    let batches = DataLoader::new(train_set.clone(), LoaderConfig::new(1).seed(1));
    let whole_train = DataLoader::new(train_set, LoaderConfig::new(TRAIN).shuffle(false));
    let whole_test = DataLoader::new(test_set, LoaderConfig::new(TEST).shuffle(false));
    let linear = LinearConfig::new(INPUTS, 1)
        .with_weight_init(Init::Normal {
            mean: 0.0,
            std: 1.0,
        })
        .with_bias_init(Init::Zeros)
        .build::<f64, _>(&mut seeded_rng(INIT_SEED))?;
    let mut trainer = Trainer::new(
        Sequential::new().with(linear),
        optimizer,
        half_squared_error,
    )
    .seed(3)
    .quiet();
    trainer = match decay {
        Decay::Penalty => trainer.penalty(Penalty::l2(lambda).weights_only()),
        Decay::L1 => trainer.penalty(Penalty::l1(lambda).weights_only()),
        Decay::Coupled | Decay::Decoupled => trainer,
    };
    // One epoch per `fit` (the trainer counts epochs across calls), then the
    // whole training set, as the book measures it after every epoch.
    let mut train_loss = Vec::with_capacity(epochs);
    for epoch in 1..=epochs {
        trainer = trainer.epochs(epoch);
        trainer.fit(&batches, Some(&whole_test))?;
        train_loss.push(trainer.evaluate(&whole_train)?.loss);
    }
    let test_loss = trainer
        .history()
        .series("val_loss")
        .expect("validated every epoch");
    let params = trainer.model().params();
    let (_, weight) = params
        .iter()
        .find(|(n, _)| n == "0.weight")
        .expect("a Linear's");
    Ok(Run {
        train_loss,
        test_loss,
        weights: weight.value().to_vec(),
    })
}

/// Everything the example measures.
#[derive(Clone, Debug)]
pub struct Measured {
    /// `(lambda, run)` for every lambda of [`SWEEP`], the penalty form.
    pub sweep: Vec<(f64, Run)>,
    /// At lambda 3: SGD with the penalty, coupled and decoupled decay.
    pub sgd_forms: [Run; 3],
    /// At lambda 3: Adam with coupled L2, and AdamW.
    pub adam_forms: [Run; 2],
    /// `(lambda, run)` with L1.
    pub l1: Vec<(f64, Run)>,
    /// Lambda 0 and 3 on data sets 1 to [`DATA_SETS`]: `(lambda, runs)`.
    pub spread: Vec<(f64, Vec<Run>)>,
}

/// Data sets drawn for the spread of the book's two runs.
pub const DATA_SETS: u64 = 10;

/// Weights within this of zero count as zeroed by L1: half the true
/// weight, and above the jitter of a step (lr * lambda at most 0.003).
pub const NEAR_ZERO: f64 = 5e-3;

/// L1's lambdas.
pub const L1_LAMBDAS: [f64; 4] = [0.0, 0.01, 0.1, 1.0];

/// Runs every part with `epochs` epochs.
pub fn measure(epochs: usize) -> Result<Measured, Box<dyn std::error::Error>> {
    let sweep = SWEEP
        .iter()
        .map(|&l| Ok((l, run(Method::Sgd, Decay::Penalty, l, epochs)?)))
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let sgd_forms = [
        run(Method::Sgd, Decay::Penalty, 3.0, epochs)?,
        run(Method::Sgd, Decay::Coupled, 3.0, epochs)?,
        run(Method::Sgd, Decay::Decoupled, 3.0, epochs)?,
    ];
    let adam_forms = [
        run(Method::Adam, Decay::Coupled, 3.0, epochs)?,
        run(Method::Adam, Decay::Decoupled, 3.0, epochs)?,
    ];
    let l1 = L1_LAMBDAS
        .iter()
        .map(|&l| Ok((l, run(Method::Sgd, Decay::L1, l, epochs)?)))
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let spread = [0.0, 3.0]
        .iter()
        .map(|&l| {
            let runs = (1..=DATA_SETS)
                .map(|seed| run_on(seed, Method::Sgd, Decay::Penalty, l, epochs))
                .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
            Ok((l, runs))
        })
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    Ok(Measured {
        sweep,
        sgd_forms,
        adam_forms,
        l1,
        spread,
    })
}

/// Median and the lowest and highest of `values`.
pub fn spread(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}

/// The largest difference between two runs' weights.
pub fn max_difference(a: &Run, b: &Run) -> f64 {
    a.weights
        .iter()
        .zip(&b.weights)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn usage() -> &'static str {
    "weight_decay: L2 and L1 weight decay on the text's 200-input, 20-example regression

usage: cargo run --release --example weight_decay [-- OPTIONS]

  --quick      30 epochs instead of 100
  --out DIR    where the plot goes (default target/weight_decay)
  --help       this text"
}

/// Runs the example; an error (a missing data set, a bad argument) is
/// printed as its message, not as a debug dump of it.
fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let mut epochs = 100;
    let mut out = PathBuf::from("target/weight_decay");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => epochs = 30,
            "--out" => out = args.next().ok_or("--out needs a folder")?.into(),
            "--help" | "-h" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n\n{}", usage()).into()),
        }
    }
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    let m = measure(epochs)?;
    let seconds = started.elapsed().as_secs_f64();
    let at = |lambda: f64| {
        &m.sweep
            .iter()
            .find(|(l, _)| *l == lambda)
            .expect("in the sweep")
            .1
    };

    println!("{epochs} epochs of SGD (lr {LR}, batch 1) on {TRAIN} examples of {INPUTS} inputs\n");
    println!("| lambda | ‖w‖ | train loss | test loss | book: ‖w‖ | book: test loss |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for (lambda, book_norm, book_test) in
        [(0.0, "11.61", "about 55.6"), (3.0, "0.042", "about 0.0112")]
    {
        let r = at(lambda);
        println!(
            "| {lambda} | {:.3} | {:.3e} | {:.4} | {book_norm} | {book_test} |",
            r.norm(),
            r.train(),
            r.test()
        );
    }

    println!("\nThe same two runs on {DATA_SETS} other data sets (seeds 1 to {DATA_SETS}): median [lowest, highest]\n");
    println!("| lambda | ‖w‖ | test loss |");
    println!("| ---: | --- | --- |");
    for (lambda, runs) in &m.spread {
        let (n, n_lo, n_hi) = spread(runs.iter().map(Run::norm));
        let (t, t_lo, t_hi) = spread(runs.iter().map(Run::test));
        println!("| {lambda} | {n:.3} [{n_lo:.3}, {n_hi:.3}] | {t:.4} [{t_lo:.4}, {t_hi:.4}] |");
    }

    println!("\nThe sweep (penalty form):\n");
    println!("| lambda | ‖w‖ | train loss | test loss |");
    println!("| ---: | ---: | ---: | ---: |");
    for (lambda, r) in &m.sweep {
        println!(
            "| {lambda} | {:.4} | {:.3e} | {:.4} |",
            r.norm(),
            r.train(),
            r.test()
        );
    }

    println!("\nThree forms of decay at lambda 3:\n");
    println!(
        "| optimizer | decay | ‖w‖ | test loss | largest weight difference from the penalty form |"
    );
    println!("| --- | --- | ---: | ---: | ---: |");
    let [penalty, coupled, decoupled] = &m.sgd_forms;
    for (name, r) in [
        ("penalty in the objective", penalty),
        ("coupled L2 in SGD", coupled),
        ("decoupled", decoupled),
    ] {
        println!(
            "| SGD | {name} | {:.4} | {:.4} | {:.1e} |",
            r.norm(),
            r.test(),
            max_difference(penalty, r)
        );
    }
    let [adam_l2, adamw] = &m.adam_forms;
    println!(
        "| Adam | coupled L2 | {:.4} | {:.4} | - |",
        adam_l2.norm(),
        adam_l2.test()
    );
    println!(
        "| Adam | decoupled (AdamW) | {:.4} | {:.4} | - |",
        adamw.norm(),
        adamw.test()
    );

    println!("\nL1 instead of L2 (the true weights are all 0.01: nothing to select):\n");
    println!("| lambda | weights within {NEAR_ZERO} of 0 (of {INPUTS}) | ‖w‖ | test loss |");
    println!("| ---: | ---: | ---: | ---: |");
    for (lambda, r) in &m.l1 {
        println!(
            "| {lambda} | {} | {:.4} | {:.4} |",
            r.near_zero(NEAR_ZERO),
            r.norm(),
            r.test()
        );
    }

    // The sweep's plot: lambda 0 sits at the left edge of a linear axis.
    let line = |label: &str, of: fn(&Run) -> f64| {
        Series::new(label, m.sweep.iter().map(|(l, r)| (*l, of(r))).collect())
    };
    let charts = [
        Chart {
            title: "test and train loss".into(),
            y_label: "loss".into(),
            log_y: true,
            series: vec![line("test", Run::test), line("train", Run::train)],
        },
        Chart {
            title: "‖w‖".into(),
            y_label: "‖w‖".into(),
            log_y: true,
            series: vec![line("‖w‖", Run::norm)],
        },
    ];
    let path = out.join("lambda_sweep.svg");
    plot_charts(
        "weight decay: the lambda sweep",
        "lambda",
        &charts,
        &path,
        &PlotOptions::default(),
    )?;
    println!("\nplot: {}", path.display());
    println!(
        "{} runs took {seconds:.2} s",
        m.sweep.len() + 5 + m.l1.len()
    );
    Ok(())
}
