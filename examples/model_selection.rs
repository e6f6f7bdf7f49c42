//! Model selection, the text's rule in practice: choose hyperparameters by
//! validation, never by the test set; retrain the choice on all training
//! data; look at the test set once, at the end.
//!
//! 1. Classification (Fashion-MNIST; the embedded 8x8 digits with
//!    `--quick`): an MLP `inputs-width-10` (ReLU) trained with SGD and
//!    momentum 0.9, L2 weight decay on the weights (not the biases). A grid
//!    of 2 widths x 2 weight decays x 2 learning rates is scored three ways
//!    on the training set: (a) one stratified validation split (20%), (b)
//!    stratified 5-fold and (c) stratified 10-fold cross-validation, each
//!    by the validation accuracy after the last epoch. It prints every
//!    configuration's per-fold scores with their mean and sample standard
//!    deviation, the three methods side by side, the configuration each
//!    chose and what each cost (fits, wall time). Each chosen configuration
//!    is retrained on the whole training set, from the seed the retrain of
//!    that method's result draws (so a configuration two methods chose is
//!    retrained twice, and the two test scores show the spread one test
//!    number carries from the seed alone), and the final models are
//!    evaluated on the sealed test set in one look, once. In full mode the
//!    cross-validation runs on a stratified subset of the 60,000 training
//!    images (10,000 by default, 1,000 a class, `--cv-examples N`) to keep
//!    the 8 + 40 + 80 fits within about a quarter of an hour on 2 cores;
//!    the retrain uses all 60,000.
//! 2. Regression (the embedded airfoil self-noise data, all 1,503 rows,
//!    every column z-scored): a linear model (the text's house-prices
//!    model) and an MLP 5-64-64-1, 5-fold cross-validation (shuffled:
//!    the file is sorted by frequency and angle, so contiguous folds would
//!    extrapolate), the average train and validation RMSE over the folds,
//!    in the form of the text's house-prices run (there: average
//!    validation log-RMSE 0.1703, train 0.1652; another data set and
//!    another error, so only the form and the size of the gap compare).
//!    The training RMSE is the fitted model evaluated on its fold's
//!    training part, not the running mean the history keeps.
//!
//! ```text
//! cargo run --release --example model_selection [-- --quick] [-- --out DIR]
//! ```
//!
//! The sweep of one method also runs as one process per job (as on a
//! cluster; see the module docs of `wengert_train::selection` for Slurm
//! and Kubernetes), and the merge prints the same report, bitwise, then
//! retrains and tests as the single run does:
//!
//! ```text
//! EX="cargo run --release --example model_selection -- --quick --select 5-fold"
//! $EX --write-jobs target/model_selection/jobs.json
//! seq 0 39 | xargs -P 2 -I{} $EX --jobs target/model_selection/jobs.json \
//!     --results target/model_selection/results --job {}
//! $EX --jobs target/model_selection/jobs.json --merge target/model_selection/results
//! ```
//!
//! Plots go to `--out DIR` (default `target/model_selection`): each
//! method's scores by configuration with every fold (`sweep_<method>.svg`)
//! and the three methods' means side by side (`methods.svg`). The test
//! `tests/facade/model_selection_in_small.rs` checks the claims in small
//! with `--quick`. Fashion-MNIST comes from the Debian package
//! `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist`), or from
//! `--fashion-mnist DIR`. Every seed is fixed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use wengert::data::{
    embedded, mnist, stratified_split, ByteImageDataset, InMemoryDataset, SplitFractions, Subset,
};
use wengert::nn::conv::Flatten;
use wengert::optim::{Adam, ParamGroup, Sgd, WeightDecay};
use wengert::prelude::*;
use wengert::train::metrics::Mse;
use wengert::train::plot::{plot_charts, Chart, PlotOptions, Series};
use wengert::train::selection::{
    plot_sweep, Config, CrossValidation, CvResult, Grid, RunInfo, Score, SealedTestSet, Sweep,
    SweepCommand, SweepReport, ValidationPlan,
};

/// What every fallible step of the example returns.
pub type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

/// The classes of both image sets.
pub const CLASSES: usize = 10;
/// Share of the training set the validation split holds out (one fold of
/// five).
pub const HOLDOUT: f64 = 0.2;
/// Training images the full mode cross-validates on (stratified).
pub const CV_EXAMPLES: usize = 10_000;
/// The text's house-prices run: 5-fold average train and validation
/// log-RMSE.
pub const BOOK_TRAIN_LOG_RMSE: f64 = 0.1652;
/// See [`BOOK_TRAIN_LOG_RMSE`].
pub const BOOK_VALID_LOG_RMSE: f64 = 0.1703;

/// One way of scoring a configuration on the training set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// One stratified split: train on 80%, validate on 20%.
    Holdout,
    /// Stratified 5-fold cross-validation.
    FiveFold,
    /// Stratified 10-fold cross-validation.
    TenFold,
}

impl Method {
    /// The three, cheapest first.
    pub const ALL: [Method; 3] = [Method::Holdout, Method::FiveFold, Method::TenFold];

    /// How the training set is cut (every method shuffles from seed 1).
    pub fn plan(self) -> ValidationPlan {
        match self {
            Method::Holdout => ValidationPlan::Holdout {
                fraction: HOLDOUT,
                stratified: true,
                seed: 1,
            },
            Method::FiveFold => ValidationPlan::stratified_kfold(5, 1),
            Method::TenFold => ValidationPlan::stratified_kfold(10, 1),
        }
    }

    /// Its name on the command line and in file names.
    pub fn flag(self) -> &'static str {
        match self {
            Method::Holdout => "split",
            Method::FiveFold => "5-fold",
            Method::TenFold => "10-fold",
        }
    }

    /// Its name in tables.
    pub fn describe(self) -> &'static str {
        match self {
            Method::Holdout => "validation split (20%)",
            Method::FiveFold => "5-fold CV",
            Method::TenFold => "10-fold CV",
        }
    }

    fn parse(text: &str) -> Outcome<Self> {
        Method::ALL
            .into_iter()
            .find(|m| m.flag() == text)
            .ok_or_else(|| format!("--select needs split, 5-fold or 10-fold, got `{text}`").into())
    }
}

/// The grid and the training of the classification part.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Pixels of an image.
    pub inputs: usize,
    /// Hidden widths tried.
    pub widths: [usize; 2],
    /// L2 weight decays tried (on the weights, not the biases).
    pub weight_decays: [f64; 2],
    /// Learning rates tried (SGD, momentum 0.9).
    pub lrs: [f64; 2],
    /// Epochs of every fit, the retrains included.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Base seed of the runs (see `RunInfo::seed`).
    pub seed: u64,
}

impl Settings {
    /// Fashion-MNIST: widths 64 and 256, 5 epochs, batches of 128.
    pub fn fashion_mnist() -> Self {
        Settings {
            inputs: 784,
            widths: [64, 256],
            weight_decays: [1e-4, 1e-2],
            lrs: [0.01, 0.1],
            epochs: 5,
            batch: 128,
            seed: 0,
        }
    }

    /// The digits: widths 16 and 64, 10 epochs, batches of 32.
    pub fn digits() -> Self {
        Settings {
            inputs: 64,
            widths: [16, 64],
            epochs: 10,
            batch: 32,
            ..Settings::fashion_mnist()
        }
    }

    /// The 8 configurations, width outermost, learning rate fastest.
    pub fn configs(&self) -> Outcome<Vec<Config>> {
        Ok(Grid::new()
            .axis("width", self.widths)
            .axis("weight_decay", self.weight_decays)
            .axis("lr", self.lrs)
            .configs()?)
    }

    /// The sweep of the grid scored by `method`: validation accuracy after
    /// the last epoch, so the retrain runs the same epochs.
    pub fn sweep(&self, method: Method) -> Outcome<Sweep> {
        let cv = CrossValidation::new(method.plan(), Score::last("val_accuracy", true))
            .seed(self.seed)
            .batch_size(self.batch)
            .eval_batch_size(1024);
        Ok(Sweep::new(self.configs()?, cv)?)
    }

    /// A fresh trainer for `config` and `run`: the MLP from the run's seed,
    /// SGD at the configuration's learning rate with momentum 0.9 and its
    /// L2 decay on the weights.
    pub fn trainer(
        &self,
        config: &Config,
        run: &RunInfo,
    ) -> wengert::train::Result<Trainer<f32, Sequential<f32>, Sgd<f32>>> {
        let width = config.usize("width")?;
        // The weights draw from their own stream, apart from the loader's
        // shuffle, which the run's seed drives too.
        let mut rng = seeded_rng((1 << 32) + run.seed);
        let model = Sequential::new()
            .with(Flatten)
            .with(Linear::new(self.inputs, width, &mut rng))
            .with(ReLU)
            .with(Linear::new(width, CLASSES, &mut rng));
        let optimizer = SgdConfig::new(config.f64("lr")?)
            .momentum(0.9)
            .weight_decay(WeightDecay::L2(config.f64("weight_decay")?))
            .group(ParamGroup::by_name("bias", |n: &str| n.ends_with("bias")).weight_decay(0.0))
            .build();
        Ok(Trainer::new(model, optimizer, CrossEntropyLoss)
            .epochs(self.epochs)
            .seed(run.seed)
            .metric(Accuracy::new())
            .quiet())
    }
}

/// One method's sweep.
#[derive(Clone, Debug)]
pub struct Selection {
    /// The method.
    pub method: Method,
    /// Every configuration's folds, mean and std.
    pub report: SweepReport,
    /// Fits it took (configurations x folds).
    pub fits: usize,
    /// Examples each fit trained on and validated on (fold 0).
    pub fold_sizes: (usize, usize),
    /// Wall time of the sweep.
    pub seconds: f64,
}

impl Selection {
    /// The chosen configuration's index in the grid.
    pub fn chosen(&self) -> Outcome<usize> {
        Ok(self.report.best()?.index)
    }
}

/// A method's choice retrained on the whole training set and tested.
#[derive(Clone, Debug)]
pub struct Final {
    /// The method that chose it.
    pub method: Method,
    /// Its index in the grid.
    pub index: usize,
    /// The configuration.
    pub config: Config,
    /// Wall time of the retrain.
    pub retrain_seconds: f64,
    /// Its one test evaluation.
    pub test: Evaluation,
}

/// The classification part's results.
#[derive(Clone, Debug)]
pub struct Classification {
    /// What the data was (for headings).
    pub what: String,
    /// Examples cross-validated on, and retrained on.
    pub sizes: (usize, usize),
    /// Each method's sweep, in the order run.
    pub selections: Vec<Selection>,
    /// Each method's choice, retrained and tested, in the order of
    /// `selections`.
    pub finals: Vec<Final>,
    /// Test examples.
    pub test_examples: usize,
    /// Whether the sealed test set is spent (it is, after one look).
    pub test_spent: bool,
}

impl Classification {
    /// The final model a method chose.
    pub fn final_of(&self, method: Method) -> Option<&Final> {
        self.finals.iter().find(|f| f.method == method)
    }
}

/// Runs the classification part: each of `methods` scores the grid on
/// `cv_data` (the sweep done by `command`: here, or one job of it, or its
/// merge), each choice is retrained on `retrain_data` and the final models
/// are evaluated once on `test`. `None` when the command only wrote files.
pub fn classification<D, R, S>(
    what: &str,
    settings: &Settings,
    cv_data: &D,
    retrain_data: &R,
    test: &mut SealedTestSet<f32, S>,
    methods: &[Method],
    command: &SweepCommand,
) -> Outcome<Option<Classification>>
where
    D: Dataset<f32> + Clone + 'static,
    R: Dataset<f32> + Clone + 'static,
    S: Dataset<f32> + 'static,
{
    let factory = |config: &Config, run: &RunInfo| settings.trainer(config, run);
    let mut selections = Vec::new();
    for &method in methods {
        let sweep = settings.sweep(method)?;
        eprintln!(
            "{}: {} configurations x {} fold(s) on {} examples...",
            method.describe(),
            sweep.configs.len(),
            sweep.folds(),
            cv_data.len()
        );
        let started = Instant::now();
        let Some(report) = command.execute(&sweep, cv_data, factory)? else {
            if let Some(done) = command.done_message(&sweep) {
                println!("{done}");
            }
            return Ok(None);
        };
        let fold = &sweep.cv.plan.folds(cv_data)?[0];
        selections.push(Selection {
            method,
            fits: sweep.jobs().len(),
            fold_sizes: (fold.train.len(), fold.validation.len()),
            seconds: started.elapsed().as_secs_f64(),
            report,
        });
    }

    // Retrain each method's choice (from the seed the retrain of its
    // result draws), then one look at the test set for all of them.
    let mut finals = Vec::new();
    let mut trainers = Vec::new();
    for selection in &selections {
        let best = selection.report.best()?;
        eprintln!(
            "{}: retraining {} on {} examples...",
            selection.method.describe(),
            best.config,
            retrain_data.len()
        );
        let started = Instant::now();
        let retrained = settings
            .sweep(selection.method)?
            .retrain(best, retrain_data, factory)?;
        finals.push((
            selection.method,
            best.index,
            best.config.clone(),
            started.elapsed().as_secs_f64(),
        ));
        trainers.push(retrained.trainer);
    }
    let looks: Vec<&Trainer<f32, Sequential<f32>, Sgd<f32>>> = trainers.iter().collect();
    let finals = finals
        .into_iter()
        .zip(test.evaluate_once_each(&looks)?)
        .map(|((method, index, config, retrain_seconds), test)| Final {
            method,
            index,
            config,
            retrain_seconds,
            test,
        })
        .collect();
    Ok(Some(Classification {
        what: what.to_string(),
        sizes: (cv_data.len(), retrain_data.len()),
        selections,
        finals,
        test_examples: test.len(),
        test_spent: test.is_spent(),
    }))
}

/// The embedded digits split once, stratified: 80% training data for the
/// selection and the retrain, 20% sealed as the test set.
pub fn digits() -> Outcome<(DigitsPart, SealedTestSet<f32, DigitsPart>)> {
    let digits = embedded::digits()?;
    let labels = digits.labels().ok_or("digits have labels")?.to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.8, 0.0, 0.2), 0);
    let (train, _, test) = split.subsets(&digits);
    Ok((train, SealedTestSet::new(test, 1024)))
}

/// A part of the embedded digits.
pub type DigitsPart = Subset<InMemoryDataset<f32>>;

/// One model's 5-fold cross-validation on the airfoil data.
#[derive(Clone, Debug)]
pub struct RegressionRun {
    /// The model's name.
    pub model: &'static str,
    /// The folds: `score` is the validation MSE, `train_score` the
    /// training MSE of the fitted model on its fold's training part (both
    /// on z-scored targets).
    pub result: CvResult,
    /// The target's standard deviation in dB (RMSE in z units times this
    /// is RMSE in dB).
    pub target_std_db: f64,
}

impl RegressionRun {
    /// Per fold: (train RMSE, validation RMSE), in z units.
    pub fn fold_rmse(&self) -> Vec<(f64, f64)> {
        self.result
            .folds
            .iter()
            .map(|f| (f.train_score.unwrap_or(f64::NAN).sqrt(), f.score.sqrt()))
            .collect()
    }

    /// The average over folds of the train and validation RMSE (the text
    /// averages the per-fold RMSEs).
    pub fn mean_rmse(&self) -> (f64, f64) {
        let folds = self.fold_rmse();
        let n = folds.len() as f64;
        (
            folds.iter().map(|f| f.0).sum::<f64>() / n,
            folds.iter().map(|f| f.1).sum::<f64>() / n,
        )
    }
}

/// All 1,503 airfoil rows with every column z-scored (population standard
/// deviation, as `examples/optimizers.rs` does), and the target's standard
/// deviation in dB.
pub fn airfoil() -> Outcome<(InMemoryDataset<f32>, f64)> {
    let data = embedded::airfoil()?.cast::<f64>();
    let x = data.features().to_vec();
    let y = data.target_values().ok_or("regression targets")?.to_vec();
    let (n, k) = (y.len(), x.len() / y.len());
    let z_score = |c: &mut Vec<f64>| {
        let mean = c.iter().sum::<f64>() / n as f64;
        let std = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        c.iter_mut().for_each(|v| *v = (*v - mean) / std);
        std
    };
    let mut columns: Vec<Vec<f64>> = (0..k)
        .map(|j| (0..n).map(|i| x[i * k + j]).collect())
        .collect();
    for c in &mut columns {
        z_score(c);
    }
    let mut target = y;
    let target_std = z_score(&mut target);
    let features: Vec<f32> = (0..n)
        .flat_map(|i| columns.iter().map(move |c| c[i] as f32))
        .collect();
    let targets: Vec<f32> = target.iter().map(|&v| v as f32).collect();
    Ok((
        InMemoryDataset::regression(
            Tensor::from_vec(features, &[n, k]),
            Tensor::from_vec(targets, &[n, 1]),
        ),
        target_std,
    ))
}

/// The airfoil part: the linear model and the MLP, each by 5-fold
/// cross-validation (shuffled from seed 1), `epochs` epochs of Adam at lr
/// 0.01, batch 32, mean squared error.
pub fn regression(epochs: usize) -> Outcome<Vec<RegressionRun>> {
    let (data, target_std_db) = airfoil()?;
    let inputs = data.feature_shape()[0];
    let cv = CrossValidation::new(ValidationPlan::kfold(5, 1), Score::last("val_mse", false))
        .batch_size(32)
        .score_training_part(true);
    let fit = |model: &'static str, hidden: &[usize]| -> Outcome<RegressionRun> {
        let result = cv.run(&data, |run: &RunInfo| {
            let mut rng = seeded_rng((1 << 32) + run.seed);
            let mut net = Sequential::new();
            let mut width = inputs;
            for &h in hidden {
                net = net.with(Linear::new(width, h, &mut rng)).with(ReLU);
                width = h;
            }
            let net = net.with(Linear::new(width, 1, &mut rng));
            let trainer: Trainer<f32, Sequential<f32>, Adam<f32>> =
                Trainer::new(net, AdamConfig::new(0.01).build(), MseLoss)
                    .epochs(epochs)
                    .seed(run.seed)
                    .metric(Mse::new())
                    .quiet();
            Ok(trainer)
        })?;
        Ok(RegressionRun {
            model,
            result,
            target_std_db,
        })
    };
    Ok(vec![
        fit("linear", &[])?,
        fit("MLP 5-64-64-1 (ReLU)", &[64, 64])?,
    ])
}

/// Everything one run of the example measured.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The classification part.
    pub classification: Classification,
    /// The regression part (not run for a single method's jobs).
    pub regression: Option<Vec<RegressionRun>>,
}

/// What the example was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Digits instead of Fashion-MNIST, fewer regression epochs.
    pub quick: bool,
    /// Only this method (and no regression part); any method with jobs.
    pub select: Option<Method>,
    /// Where plots go.
    pub out: PathBuf,
    /// Where Fashion-MNIST is.
    pub fashion: PathBuf,
    /// Training images cross-validated on in full mode.
    pub cv_examples: usize,
    /// Epochs of the classification fits, if not the settings'.
    pub epochs: Option<usize>,
    /// The sweep command (`--write-jobs`, `--job`, `--merge`, ...).
    pub command: SweepCommand,
}

/// Reads the example's arguments; every argument it does not know goes to
/// the selection module's [`SweepCommand`] (which refuses what it does not
/// know either). `None` for `--help`.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Outcome<Option<Options>> {
    let mut options = Options {
        quick: false,
        select: None,
        out: PathBuf::from("target/model_selection"),
        fashion: PathBuf::from(mnist::FASHION_MNIST_DIR),
        cv_examples: CV_EXAMPLES,
        epochs: None,
        command: SweepCommand::Local,
    };
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--out" => options.out = args.next().ok_or("--out needs a folder")?.into(),
            "--fashion-mnist" => {
                options.fashion = args.next().ok_or("--fashion-mnist needs a folder")?.into()
            }
            "--select" => {
                options.select = Some(Method::parse(
                    &args.next().ok_or("--select needs a method")?,
                )?)
            }
            "--cv-examples" => {
                options.cv_examples = args.next().ok_or("--cv-examples needs a number")?.parse()?
            }
            "--epochs" => {
                options.epochs = Some(args.next().ok_or("--epochs needs a number")?.parse()?)
            }
            "--help" | "-h" => return Ok(None),
            _ => rest.push(arg),
        }
    }
    options.command = SweepCommand::parse(rest, |name| std::env::var(name).ok())
        .map_err(|e| format!("{e}\n\n{}", usage()))?;
    if options.command != SweepCommand::Local && options.select.is_none() {
        return Err("jobs run one method's sweep: add --select split, 5-fold or 10-fold".into());
    }
    // A job file's identity covers the grid, the plan, the seeds, the
    // batch size and the data size, not the epochs the trainer factory
    // runs: results of jobs run with other epochs would merge unnoticed.
    if options.command != SweepCommand::Local && options.epochs.is_some() {
        return Err(
            "--epochs is not recorded in a job file, so jobs run with the settings' epochs".into(),
        );
    }
    Ok(Some(options))
}

/// Runs the example as `options` say and prints its tables; `None` when
/// it only wrote a job file or a job's result.
pub fn run(options: &Options) -> Outcome<Option<Summary>> {
    let methods: Vec<Method> = match options.select {
        Some(method) => vec![method],
        None => Method::ALL.to_vec(),
    };
    let mut settings = if options.quick {
        Settings::digits()
    } else {
        Settings::fashion_mnist()
    };
    if let Some(epochs) = options.epochs {
        settings.epochs = epochs;
    }
    let classification = if options.quick {
        let (train, mut test) = digits()?;
        let what = "the embedded digits (--quick)";
        classification(
            what,
            &settings,
            &train,
            &train,
            &mut test,
            &methods,
            &options.command,
        )?
    } else {
        let (train, test) = fashion_mnist(&options.fashion)?;
        if options.cv_examples < 100 || options.cv_examples > train.len() {
            return Err(format!(
                "--cv-examples must be between 100 and the {} training images, got {}",
                train.len(),
                options.cv_examples
            )
            .into());
        }
        let split = stratified_split(
            train.labels(),
            SplitFractions::new(
                options.cv_examples as f64 / train.len() as f64,
                0.0,
                1.0 - options.cv_examples as f64 / train.len() as f64,
            ),
            2,
        );
        let cv_part = Subset::new(train.clone(), split.train);
        let mut test = SealedTestSet::new(test, 1024);
        classification(
            "Fashion-MNIST",
            &settings,
            &cv_part,
            &train,
            &mut test,
            &methods,
            &options.command,
        )?
    };
    let Some(classification) = classification else {
        return Ok(None);
    };
    std::fs::create_dir_all(&options.out)?;
    print_classification(&classification, &settings, &options.out)?;
    let regression = if options.select.is_none() {
        let runs = regression(if options.quick { 30 } else { 100 })?;
        print_regression(&runs);
        Some(runs)
    } else {
        None
    };
    Ok(Some(Summary {
        classification,
        regression,
    }))
}

/// `mean ± std` with 4 digits, `std` n/a for one fold.
fn mean_std(cv: &CvResult) -> String {
    match cv.std {
        Some(std) => format!("{:.4} ± {std:.4}", cv.mean),
        None => format!("{:.4}", cv.mean),
    }
}

fn print_classification(c: &Classification, settings: &Settings, out: &Path) -> Outcome<()> {
    println!(
        "## Model selection on {}: MLP {}-width-{CLASSES}, SGD momentum 0.9, batch {}, {} epochs\n",
        c.what, settings.inputs, settings.batch, settings.epochs
    );
    println!(
        "Selection on {} training examples (stratified), retrain on {}, test on {} (sealed, looked at once). Score: validation accuracy after the last epoch.\n",
        c.sizes.0, c.sizes.1, c.test_examples
    );
    for s in &c.selections {
        println!(
            "### {}: {} fits, each on {} examples, validated on {}; {:.1} s\n",
            s.method.describe(),
            s.fits,
            s.fold_sizes.0,
            s.fold_sizes.1,
            s.seconds
        );
        let test = c.final_of(s.method).map(|f| &f.test);
        println!("{}", s.report.to_markdown(test));
        let path = out.join(format!("sweep_{}.svg", s.method.flag()));
        plot_sweep(&s.report, &path)?;
        println!("plot: {}\n", path.display());
    }

    if c.selections.len() > 1 {
        println!("### The methods side by side\n");
        println!("Mean validation accuracy ± sample std over the folds; in brackets the standard error of the mean (std / √k). `*` marks each method's choice.\n");
        let mut header = "| configuration |".to_string();
        let mut rule = "| --- |".to_string();
        for s in &c.selections {
            header.push_str(&format!(" {} |", s.method.describe()));
            rule.push_str(" ---: |");
        }
        println!("{header}\n{rule}");
        let configs = &c.selections[0].report.results;
        for (i, result) in configs.iter().enumerate() {
            let mut row = format!("| {} |", result.config);
            for s in &c.selections {
                let cv = &s.report.results[i].cv;
                let mark = if s.chosen()? == i { " *" } else { "" };
                let se = cv
                    .std
                    .map(|std| format!(" [{:.4}]", std / (cv.folds.len() as f64).sqrt()))
                    .unwrap_or_default();
                row.push_str(&format!(" {}{se}{mark} |", mean_std(cv)));
            }
            println!("{row}");
        }
    }

    println!("\n### What each method chose, and what it cost\n");
    println!("| method | fits | wall time (s) | chosen | its score | retrain on all training data (s) | test accuracy (once) | test loss |");
    println!("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: |");
    for s in &c.selections {
        let best = s.report.best()?;
        let done = c.final_of(s.method).ok_or("every choice is retrained")?;
        println!(
            "| {} | {} | {:.1} | {} | {} | {:.1} | {:.4} | {:.4} |",
            s.method.describe(),
            s.fits,
            s.seconds,
            best.config,
            mean_std(&best.cv),
            done.retrain_seconds,
            done.test.metrics["accuracy"],
            done.test.loss
        );
    }
    let chosen: Vec<usize> = c
        .selections
        .iter()
        .map(Selection::chosen)
        .collect::<Outcome<_>>()?;
    if c.selections.len() > 1 {
        if chosen.windows(2).all(|w| w[0] == w[1]) {
            println!(
                "\nThe methods agree: all choose {}.",
                c.selections[0].report.results[chosen[0]].config
            );
        } else {
            let mut distinct = chosen.clone();
            distinct.sort_unstable();
            distinct.dedup();
            println!(
                "\nThe methods disagree: {} distinct choices. Within a method, the gap between its choice and the runner-up against the std shows whether it could tell them apart.",
                distinct.len()
            );
        }
        for s in &c.selections {
            let ranked = s.report.ranked();
            if ranked.len() > 1 {
                println!(
                    "- {}: choice {:.4}, runner-up ({}) {:.4}, gap {:.4}; std of the choice {}",
                    s.method.describe(),
                    ranked[0].cv.mean,
                    ranked[1].config,
                    ranked[1].cv.mean,
                    ranked[0].cv.mean - ranked[1].cv.mean,
                    ranked[0]
                        .cv
                        .std
                        .map_or("n/a (one split)".into(), |s| format!("{s:.4}"))
                );
            }
        }
        let series = c
            .selections
            .iter()
            .map(|s| {
                Series::new(
                    s.method.describe(),
                    s.report
                        .results
                        .iter()
                        .map(|r| (r.index as f64, r.cv.mean))
                        .collect(),
                )
            })
            .collect();
        let path = out.join("methods.svg");
        plot_charts(
            &format!(
                "mean validation accuracy by configuration (0 to {}, in the order of the table)",
                configs_len(c) - 1
            ),
            "configuration",
            &[Chart {
                title: String::new(),
                y_label: "validation accuracy".into(),
                log_y: false,
                series,
            }],
            &path,
            &PlotOptions::default(),
        )?;
        println!("\nplot: {}", path.display());
    }
    Ok(())
}

fn configs_len(c: &Classification) -> usize {
    c.selections.first().map_or(0, |s| s.report.results.len())
}

fn print_regression(runs: &[RegressionRun]) {
    println!("\n## Regression: airfoil self-noise, 5-fold cross-validation\n");
    println!("All 1,503 rows, every column z-scored; Adam lr 0.01, batch 32, mean squared error. RMSE in standard deviations of the target (and in dB). Train RMSE: the fitted model on its fold's training part.\n");
    let mut header = "| fold |".to_string();
    let mut rule = "| ---: |".to_string();
    for r in runs {
        header.push_str(&format!(" {0}: train RMSE | {0}: valid RMSE |", r.model));
        rule.push_str(" ---: | ---: |");
    }
    println!("{header}\n{rule}");
    let per_fold: Vec<Vec<(f64, f64)>> = runs.iter().map(RegressionRun::fold_rmse).collect();
    for fold in 0..per_fold[0].len() {
        let mut row = format!("| {} |", fold + 1);
        for f in &per_fold {
            row.push_str(&format!(" {:.4} | {:.4} |", f[fold].0, f[fold].1));
        }
        println!("{row}");
    }
    println!("\n| model | 5-fold avg train RMSE | avg valid RMSE | valid / train | in dB: train, valid |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for r in runs {
        let (train, valid) = r.mean_rmse();
        println!(
            "| {} | {train:.4} | {valid:.4} | {:.3} | {:.3}, {:.3} |",
            r.model,
            valid / train,
            train * r.target_std_db,
            valid * r.target_std_db
        );
    }
    println!(
        "| book: house prices (Kaggle), linear, log-RMSE | {BOOK_TRAIN_LOG_RMSE} | {BOOK_VALID_LOG_RMSE} | {:.3} | another data set and error |",
        BOOK_VALID_LOG_RMSE / BOOK_TRAIN_LOG_RMSE
    );
}

/// Fashion-MNIST's training and test sets, or an error saying how to get them.
fn fashion_mnist(dir: &Path) -> Outcome<(ByteImageDataset<f32>, ByteImageDataset<f32>)> {
    let splits = mnist::load_fashion_mnist::<f32>(Some(dir)).map_err(|e| {
        format!("{e}\n(or pass --fashion-mnist DIR, or run with --quick: the embedded digits)")
    })?;
    Ok((splits.train, splits.test))
}

fn usage() -> &'static str {
    "model_selection: choose an MLP's width, weight decay and learning rate by a validation split, 5-fold and 10-fold cross-validation; test the choices once; airfoil 5-fold train/validation RMSE

usage: cargo run --release --example model_selection [-- OPTIONS]

  --quick              the embedded 8x8 digits instead of Fashion-MNIST, in seconds
  --fashion-mnist DIR  where the Fashion-MNIST IDX files are
                       (default /usr/share/datasets/fashion-mnist)
  --cv-examples N      training images to select on, stratified (default 10000;
                       the retrain uses all 60000)
  --epochs N           epochs of every classification fit (default 5; 10 with --quick)
  --select METHOD      only this method: split, 5-fold or 10-fold (no regression part)
  --out DIR            where the plots go (default target/model_selection)
  --help               this text

One method's sweep as separate jobs (with --select), the selection module's commands:
  --write-jobs FILE                       write the job file
  --jobs FILE --results DIR --job N       run job N (or --job-from-env: SLURM_ARRAY_TASK_ID,
                                          JOB_COMPLETION_INDEX)
  --jobs FILE --merge DIR                 merge the results: the same report as one run,
                                          then the retrain and the one test evaluation"
}

/// Runs the example; an error (a missing data set, a bad argument) is
/// printed as its message, not as a debug dump of it.
fn main() {
    let outcome = parse_args(std::env::args().skip(1)).and_then(|options| match options {
        None => {
            println!("{}", usage());
            Ok(())
        }
        Some(options) => {
            let started = Instant::now();
            run(&options)?;
            println!("\neverything took {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
    });
    if let Err(e) = outcome {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
