//! Under- and overfitting, the text's polynomial experiment.
//!
//! Data: `y = 1.2 x - 3.4 x^2 + 5.6 x^3 + 5 + e`, `x ~ N(0, 1)`,
//! `e ~ N(0, 0.1^2)`, 100 training and 100 test examples. A linear model
//! with the loss `1/2 (y_hat - y)^2`, SGD at lr 0.01, batch 10, 100 epochs,
//! is fitted three times:
//!
//! - on the features `[x, x^2, x^3]`, the true model's family: a good fit,
//!   train and test loss both near the noise floor (`0.1^2 / 2 = 0.005`);
//! - on `x` alone: the model cannot express the curve, both losses stay
//!   high (underfitting);
//! - on `[x, x^2, x^3]` but from two training examples: the training loss
//!   falls while the test loss stays high (overfitting).
//!
//! Each fit prints its final losses and weights beside the book's, and
//! writes its learning curves (train and test loss per epoch, log scale)
//! to `target/generalization/`. The losses per epoch are those of the
//! whole training and test sets after the epoch, as the book measures them,
//! not the running mean over the epoch's batches.
//!
//! ```text
//! cargo run --release --example generalization [-- --quick] [-- --out DIR]
//! ```
//!
//! `--quick` runs 30 epochs instead of 100 (the test
//! `tests/facade/generalization_in_small.rs` checks the example's claim with
//! it). Every seed is fixed: each run prints the same numbers. The book's
//! runs have no fixed seed, so its numbers are one draw: compare the orders
//! of magnitude and which fit wins, not the digits.

use std::path::PathBuf;
use std::time::Instant;

use wengert::data::{InMemoryDataset, Targets};
use wengert::nn::init::Init;
use wengert::nn::LinearConfig;
use wengert::prelude::*;
use wengert::train::plot::{plot_learning_curves_with, PlotOptions};
use wengert::train::Loss;

/// The true polynomial: `y = 5 + 1.2 x - 3.4 x^2 + 5.6 x^3`.
pub const TRUE_WEIGHTS: [f64; 3] = [1.2, -3.4, 5.6];
/// The true intercept.
pub const TRUE_BIAS: f64 = 5.0;
/// Standard deviation of the label noise.
pub const NOISE_STD: f64 = 0.1;
/// Training and test examples each (the text's 100 and 100).
pub const EXAMPLES: usize = 100;

/// The text's settings of one fit.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Epochs of SGD.
    pub epochs: usize,
    /// Learning rate.
    pub lr: f64,
    /// Minibatch size (at most the training examples).
    pub batch: usize,
    /// Seed of the weights' init and the minibatch order.
    pub seed: u64,
}

impl Settings {
    /// The text's: 100 epochs, lr 0.01, batch 10.
    pub fn book() -> Self {
        Settings {
            epochs: 100,
            lr: 0.01,
            batch: 10,
            seed: 0,
        }
    }
}

/// `x` (`[2n, 1]`, the first n for training) and the noisy labels `[2n, 1]`.
pub fn polynomial_data(n: usize, seed: u64) -> (Tensor<f64>, Tensor<f64>) {
    let mut rng = seeded_rng(seed);
    let x = Tensor::<f64>::randn(&[2 * n, 1], &mut rng);
    let noise = Tensor::<f64>::randn(&[2 * n, 1], &mut rng);
    let y: Vec<f64> = x
        .to_vec()
        .iter()
        .zip(noise.to_vec())
        .map(|(&x, e)| {
            let [a, b, c] = TRUE_WEIGHTS;
            TRUE_BIAS + a * x + b * x * x + c * x * x * x + NOISE_STD * e
        })
        .collect();
    (x, Tensor::from_vec(y, &[2 * n, 1]))
}

/// The features `[x, x^2, ..., x^degree]` of `x` (`[n, 1]`), as `[n, degree]`.
pub fn powers(x: &Tensor<f64>, degree: usize) -> Tensor<f64> {
    let xs = x.to_vec();
    let rows = xs.len();
    let values = xs
        .iter()
        .flat_map(|&x| (1..=degree as i32).map(move |p| x.powi(p)))
        .collect();
    Tensor::from_vec(values, &[rows, degree])
}

/// Rows `range` of a `[n, k]` tensor.
fn rows(t: &Tensor<f64>, range: std::ops::Range<usize>) -> Tensor<f64> {
    t.narrow(0, range.start, range.len())
}

/// The text's loss, `1/2 (y_hat - y)^2` averaged over the batch (half of
/// PyTorch's `MSELoss`, so the gradient and the learning rate are the
/// book's).
fn half_squared_error<'t>(
    output: Var<'t, f64>,
    targets: &Targets<f64>,
) -> wengert::train::Result<Var<'t, f64>> {
    Ok(MseLoss.loss(output, targets)?.mul_scalar(0.5))
}

/// What one fit measured.
#[derive(Clone, Debug)]
pub struct Fit {
    /// Loss on the whole training set after each epoch.
    pub train_loss: Vec<f64>,
    /// Loss on the whole test set after each epoch.
    pub test_loss: Vec<f64>,
    /// The learned weights.
    pub weights: Vec<f64>,
    /// The learned intercept.
    pub bias: f64,
    /// The run's history, its losses replaced by the whole-set ones.
    pub history: History,
}

/// Fits `y = w . features + b` on `train` and measures both sets after every
/// epoch. The weights start as the book's framework starts them (uniform in
/// `[-0.07, 0.07]`, bias 0).
pub fn fit(
    train: (Tensor<f64>, Tensor<f64>),
    test: (Tensor<f64>, Tensor<f64>),
    settings: Settings,
) -> Result<Fit, Box<dyn std::error::Error>> {
    let (n, k) = (train.0.shape()[0], train.0.shape()[1]);
    let train_set = InMemoryDataset::regression(train.0, train.1);
    let test_set = InMemoryDataset::regression(test.0, test.1);
    let test_n = test_set.len();
    let batches = DataLoader::new(
        train_set.clone(),
        LoaderConfig::new(settings.batch.min(n)).seed(settings.seed),
    );
    let whole_train = DataLoader::new(train_set, LoaderConfig::new(n).shuffle(false));
    let whole_test = DataLoader::new(test_set, LoaderConfig::new(test_n).shuffle(false));

    let mut rng = seeded_rng(settings.seed);
    let linear = LinearConfig::new(k, 1)
        .with_weight_init(Init::Uniform {
            low: -0.07,
            high: 0.07,
        })
        .with_bias_init(Init::Zeros)
        .build::<f64, _>(&mut rng)?;
    let model = Sequential::new().with(linear);
    let mut trainer = Trainer::new(
        model,
        SgdConfig::new(settings.lr).build(),
        half_squared_error,
    )
    .seed(settings.seed)
    .quiet();

    // One epoch per `fit` (the trainer counts epochs across calls), then
    // the whole training set, as the book measures it after every epoch.
    let mut train_loss = Vec::with_capacity(settings.epochs);
    for epoch in 1..=settings.epochs {
        trainer = trainer.epochs(epoch);
        trainer.fit(&batches, Some(&whole_test))?;
        train_loss.push(trainer.evaluate(&whole_train)?.loss);
    }
    let mut history = trainer.history().clone();
    for (record, &loss) in history.epochs.iter_mut().zip(&train_loss) {
        record.train_loss = loss;
    }
    let test_loss = history.series("val_loss").expect("validated every epoch");
    let learned = |name: &str| {
        let params = trainer.model().params();
        let (_, param) = params.iter().find(|(n, _)| n == name).expect("a Linear's");
        param.value().to_vec()
    };
    let (weights, bias) = (learned("0.weight"), learned("0.bias")[0]);
    Ok(Fit {
        train_loss,
        test_loss,
        weights,
        bias,
        history,
    })
}

/// The three fits of the text, by name: cubic features, `x` alone, and
/// cubic features from two training examples.
pub fn three_fits(
    settings: Settings,
    data_seed: u64,
) -> Result<ThreeFits, Box<dyn std::error::Error>> {
    let (x, y) = polynomial_data(EXAMPLES, data_seed);
    let (cubic, linear) = (powers(&x, 3), powers(&x, 1));
    let (train, test) = (0..EXAMPLES, EXAMPLES..2 * EXAMPLES);
    let y_test = rows(&y, test.clone());
    Ok(vec![
        (
            "cubic (normal)",
            fit(
                (rows(&cubic, train.clone()), rows(&y, train.clone())),
                (rows(&cubic, test.clone()), y_test.clone()),
                settings,
            )?,
        ),
        (
            "linear (underfitting)",
            fit(
                (rows(&linear, train.clone()), rows(&y, train)),
                (rows(&linear, test.clone()), y_test.clone()),
                settings,
            )?,
        ),
        (
            "2 examples (overfitting)",
            fit(
                (rows(&cubic, 0..2), rows(&y, 0..2)),
                (rows(&cubic, test), y_test),
                settings,
            )?,
        ),
    ])
}

/// How much to run: the fit settings and how many data sets to draw.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The settings of every fit.
    pub settings: Settings,
    /// Data sets drawn (seeds 1 to `data_sets`) for the spread of results.
    pub data_sets: u64,
}

impl Options {
    /// The book's settings, over 20 data sets.
    pub fn full() -> Self {
        Options {
            settings: Settings::book(),
            data_sets: 20,
        }
    }

    /// `--quick`: 30 epochs, 5 data sets.
    pub fn quick() -> Self {
        Options {
            settings: Settings {
                epochs: 30,
                ..Settings::book()
            },
            data_sets: 5,
        }
    }
}

/// The three fits of one data set, by name.
pub type ThreeFits = Vec<(&'static str, Fit)>;

/// The three fits on every data set: `runs[seed - 1][fit]`.
pub fn measure(options: Options) -> Result<Vec<ThreeFits>, Box<dyn std::error::Error>> {
    (1..=options.data_sets)
        .map(|seed| three_fits(options.settings, seed))
        .collect()
}

/// The book's final numbers for each fit: train loss, test loss, and the
/// weights and bias where it prints them.
const BOOK: [(&str, &str, &str); 3] = [
    ("0.0069", "0.0113", "w = [1.322, -3.364, 5.563], b = 4.952"),
    ("44.0", "160.7", "-"),
    ("0.40", "103.3", "-"),
];

/// The last epoch's loss.
pub fn final_loss(per_epoch: &[f64]) -> f64 {
    per_epoch.last().copied().unwrap_or(f64::NAN)
}

/// Median and the lowest and highest of `values`.
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}

fn usage() -> &'static str {
    "generalization: under- and overfitting on a cubic polynomial (the text's experiment)

usage: cargo run --release --example generalization [-- OPTIONS]

  --quick      30 epochs instead of 100, 5 data sets instead of 20
  --out DIR    where the learning-curve plots go (default target/generalization)
  --help       this text"
}

/// Runs the example; an error (a missing data set, a bad argument) is
/// printed as its message, not as a debug dump of it.
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = Options::full();
    let mut out = PathBuf::from("target/generalization");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options = Options::quick(),
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
    let runs = measure(options)?;
    let seconds = started.elapsed().as_secs_f64();
    let (settings, data_sets) = (options.settings, options.data_sets);

    println!(
        "{} epochs of SGD (lr {}, batch {}), loss 1/2 (y_hat - y)^2; true w = {:?}, b = {}\n",
        settings.epochs, settings.lr, settings.batch, TRUE_WEIGHTS, TRUE_BIAS
    );
    println!("One data set (seed 1), as the book draws one:\n");
    println!("| fit | train loss | test loss | learned | book: train / test | book: learned |");
    println!("| --- | ---: | ---: | --- | --- | --- |");
    let fits = &runs[0];
    for ((name, fit), (book_train, book_test, book_learned)) in fits.iter().zip(BOOK) {
        let learned = format!(
            "w = [{}], b = {:.3}",
            fit.weights
                .iter()
                .map(|w| format!("{w:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            fit.bias
        );
        println!(
            "| {name} | {:.4} | {:.4} | {learned} | {book_train} / {book_test} | {book_learned} |",
            final_loss(&fit.train_loss),
            final_loss(&fit.test_loss),
        );
    }

    // The book's numbers are one draw of the data: where they fall among
    // many draws says more than one draw of ours beside them.
    println!("\nOver {data_sets} data sets (seeds 1 to {data_sets}): median [lowest, highest]\n");
    println!("| fit | train loss | test loss | book: train / test |");
    println!("| --- | --- | --- | --- |");
    for (i, (book_train, book_test, _)) in BOOK.iter().enumerate() {
        let show = |of: fn(&Fit) -> &[f64]| {
            let finals: Vec<f64> = runs.iter().map(|run| final_loss(of(&run[i].1))).collect();
            let (median, low, high) = spread(&finals);
            format!("{median:.4} [{low:.4}, {high:.4}]")
        };
        println!(
            "| {} | {} | {} | {book_train} / {book_test} |",
            fits[i].0,
            show(|f| &f.train_loss),
            show(|f| &f.test_loss)
        );
    }

    for (i, (name, fit)) in fits.iter().enumerate() {
        let path = out.join(format!(
            "curves_{}.svg",
            ["cubic", "linear", "two_examples"][i]
        ));
        let options = PlotOptions {
            title: Some(format!(
                "{name}: loss per epoch (\"validation\" is the test set)"
            )),
            log_loss: true,
            ..PlotOptions::default()
        };
        plot_learning_curves_with(&fit.history, None, &path, &options)?;
        println!("plot: {}", path.display());
    }
    println!(
        "{} fits ({data_sets} data sets x 3) took {seconds:.2} s",
        3 * data_sets
    );
    Ok(())
}
