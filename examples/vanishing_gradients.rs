//! Vanishing and exploding gradients, the text's section on numerical
//! stability, measured on the tape.
//!
//! 1. The text's scalar chain: thirty layers `y = w y`, each weight its own
//!    leaf on the tape, backward in f64: `d out / d x = w^30`, which is
//!    `0.2^30 ~ 1e-21` (vanishing) and `5^30 ~ 9e20` (exploding), printed
//!    beside the closed form.
//! 2. Deep MLPs (depth counts the Linear layers) of sigmoid, ReLU and
//!    LeakyReLU, each with wengert's default init (PyTorch's
//!    `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, which is also Glorot & Bengio's
//!    "standard" init), Xavier/Glorot (`XavierUniform`, gain 1, biases 0)
//!    and Kaiming/He (`KaimingNormal`, fan-in, the activation's gain, biases
//!    0); and two remedies with the default init: ReLU with batch norm
//!    after every hidden Linear, and ReLU with residual blocks
//!    `x -> ReLU(x + Linear(ReLU(Linear(x))))`. For each, the Frobenius norm
//!    of every Linear weight's gradient on the first minibatch, before any
//!    update (plot `grad_norms_by_layer.svg`, one chart per depth, log
//!    scale), then the test accuracy after a fixed budget of plain SGD, the
//!    same for every configuration, and whether it trains.
//! 3. Glorot & Bengio (2010): a sigmoid net of five hidden layers, their
//!    deepest, from the default init and from Xavier: the mean activation
//!    of each hidden layer, and the fraction of the top hidden layer's units
//!    saturated (below 0.01 or above 0.99), on a fixed probe batch during
//!    the first steps, and the probe loss after them (plot `glorot.svg`).
//!    They trained with minibatches of 10; with ours (32 and 128) SGD runs
//!    at lr 1 so that the run gets somewhere within the budget.
//! 4. Gradient clipping: a ReLU net of depth 10 whose init is twice
//!    Kaiming's (each layer doubles the signal, the text's weight 5 in
//!    small), at the grid's lr, with and without clipping the global
//!    gradient norm to 1; the loss per step of both (plot `clipping.svg`).
//!    The unclipped run ends in the
//!    trainer's NaN guard, whose error names the op that first produced a
//!    non-finite value; the example reports it and goes on.
//!
//! ```text
//! cargo run --release --example vanishing_gradients [-- --quick] [-- --out DIR]
//! ```
//!
//! Full mode trains on Fashion-MNIST (hidden width 128, depths 10, 20 and
//! 50, one epoch of SGD per configuration); it comes from the Debian
//! package `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist`),
//! or from `--fashion-mnist DIR`. `--quick` runs the same on the embedded
//! digits (width 32, a few epochs) in seconds; the test
//! `tests/facade/vanishing_gradients_in_small.rs` checks the example's
//! claims with it. Every seed is fixed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use wengert::data::{embedded, mnist, stratified_split, SplitFractions};
use wengert::nn::conv::Flatten;
use wengert::nn::init::{FanMode, Init, Nonlinearity};
use wengert::nn::{LeakyReLU, LinearConfig, Residual};
use wengert::prelude::*;
use wengert::train::plot::{plot_charts, Chart, PlotOptions, Series};
use wengert::train::{StepRecord, TrainError};

/// A result whose error is any error (the example's own and the crates').
pub type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

/// Layers of the text's scalar chain.
pub const CHAIN_LAYERS: usize = 30;

/// `(d out / d x from the tape, the closed form w^layers)` for the chain
/// `out = w_layers (... (w_2 (w_1 x)))` with every `w_k = weight`, each
/// `w_k` a leaf of its own, as thirty one-unit linear layers would be.
pub fn scalar_chain(weight: f64, layers: usize) -> (f64, f64) {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0], &[1]));
    let out = (0..layers).fold(x, |y, _| {
        let w = tape.var(Tensor::from_vec(vec![weight], &[1]));
        y * w
    });
    let grads = out.sum().backward();
    let on_tape = grads
        .wrt(x)
        .expect("x is a leaf that needs a gradient")
        .to_vec()[0];
    (on_tape, weight.powi(layers as i32))
}

/// The nonlinearity between Linear layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `1 / (1 + e^-x)`: derivative at most 1/4.
    Sigmoid,
    /// `max(0, x)`.
    ReLU,
    /// `x` for `x > 0`, `0.01 x` below (PyTorch's default slope).
    LeakyReLU,
}

impl Activation {
    fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::ReLU => "ReLU",
            Activation::LeakyReLU => "LeakyReLU",
        }
    }

    fn push(self, model: &mut Sequential<f32>) {
        match self {
            Activation::Sigmoid => model.push(Box::new(Sigmoid)),
            Activation::ReLU => model.push(Box::new(ReLU)),
            Activation::LeakyReLU => model.push(Box::new(LeakyReLU::default())),
        }
    }

    /// The gain Kaiming init uses for it (PyTorch's `calculate_gain`).
    fn nonlinearity(self) -> Nonlinearity {
        match self {
            Activation::Sigmoid => Nonlinearity::Sigmoid,
            Activation::ReLU => Nonlinearity::ReLU,
            Activation::LeakyReLU => Nonlinearity::LeakyReLU(0.01),
        }
    }
}

/// How the Linear weights start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitScheme {
    /// What `Linear::new` does: PyTorch's default, weight and bias
    /// `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` (weight variance `1/(3 fan_in)`).
    Default,
    /// Glorot & Bengio's normalized init, `U(-a, a)`,
    /// `a = sqrt(6 / (fan_in + fan_out))`, biases 0.
    Xavier,
    /// He et al.'s, `N(0, gain^2 / fan_in)` with the activation's gain,
    /// biases 0.
    Kaiming,
    /// Twice Kaiming's standard deviation, biases 0: each ReLU layer then
    /// doubles the scale of the signal (and of the gradient going back), as
    /// the text's weight 5 multiplies it; the exploding configuration.
    KaimingTimesTwo,
}

impl InitScheme {
    fn name(self) -> &'static str {
        match self {
            InitScheme::Default => "default",
            InitScheme::Xavier => "Xavier",
            InitScheme::Kaiming => "Kaiming",
            InitScheme::KaimingTimesTwo => "Kaiming x2",
        }
    }
}

/// What sits between the Linear layers besides the activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// Linear, activation, Linear, activation, ...
    Plain,
    /// Linear, BatchNorm1d, activation, ...
    BatchNorm,
    /// Residual blocks of two Linear layers: `act(x + L(act(L(x))))`.
    Residual,
}

/// One configuration of the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The nonlinearity.
    pub activation: Activation,
    /// The init of every Linear.
    pub init: InitScheme,
    /// Plain, with batch norm, or with residual blocks.
    pub architecture: Architecture,
}

impl Config {
    /// A plain MLP.
    pub const fn plain(activation: Activation, init: InitScheme) -> Self {
        Config {
            activation,
            init,
            architecture: Architecture::Plain,
        }
    }

    /// Its name in the tables and plots.
    pub fn name(&self) -> String {
        let base = format!("{} + {}", self.activation.name(), self.init.name());
        match self.architecture {
            Architecture::Plain => base,
            Architecture::BatchNorm => format!("{base} + batch norm"),
            Architecture::Residual => format!("{base} + residual"),
        }
    }

    /// What the text leads one to expect of it, deep.
    fn expected(&self) -> &'static str {
        match (self.architecture, self.activation, self.init) {
            (Architecture::Plain, Activation::Sigmoid, _) => "vanishes",
            (Architecture::Plain, _, InitScheme::Kaiming) => "trains",
            (Architecture::Plain, _, _) => "shrinks with depth",
            _ => "trains",
        }
    }

    fn linear(
        &self,
        inputs: usize,
        outputs: usize,
        rng: &mut impl wengert::rand::Rng,
    ) -> Outcome<Linear<f32>> {
        let config = LinearConfig::new(inputs, outputs);
        let config = match self.init {
            InitScheme::Default => config,
            InitScheme::Xavier => config
                .with_weight_init(Init::XavierUniform { gain: 1.0 })
                .with_bias_init(Init::Zeros),
            InitScheme::Kaiming => config
                .with_weight_init(Init::KaimingNormal {
                    mode: FanMode::FanIn,
                    nonlinearity: self.activation.nonlinearity(),
                })
                .with_bias_init(Init::Zeros),
            InitScheme::KaimingTimesTwo => config
                .with_weight_init(Init::Normal {
                    mean: 0.0,
                    std: 2.0 * self.activation.nonlinearity().gain() / (inputs as f64).sqrt(),
                })
                .with_bias_init(Init::Zeros),
        };
        Ok(config.build(rng)?)
    }

    /// The MLP `inputs -> width -> ... -> classes` with `depth` Linear
    /// layers (the residual form needs an even `depth - 2`), drawn from
    /// `seed`.
    pub fn build(
        &self,
        depth: usize,
        inputs: usize,
        width: usize,
        classes: usize,
        seed: u64,
    ) -> Outcome<Sequential<f32>> {
        if depth < 2 {
            return Err(format!("depth {depth}: an MLP needs at least 2 Linear layers").into());
        }
        let mut rng = seeded_rng(seed);
        let mut model = Sequential::new().with(Flatten);
        let hidden = |model: &mut Sequential<f32>, layer: Linear<f32>| {
            model.push(Box::new(layer));
            if self.architecture == Architecture::BatchNorm {
                model.push(Box::new(BatchNorm1d::new(width)));
            }
            self.activation.push(model);
        };
        hidden(&mut model, self.linear(inputs, width, &mut rng)?);
        if self.architecture == Architecture::Residual {
            if (depth - 2) % 2 != 0 {
                return Err(format!("depth {depth}: residual blocks hold 2 Linear layers each, so depth - 2 must be even").into());
            }
            for _ in 0..(depth - 2) / 2 {
                let mut body = Sequential::new().with(self.linear(width, width, &mut rng)?);
                self.activation.push(&mut body);
                body.push(Box::new(self.linear(width, width, &mut rng)?));
                model.push(Box::new(Residual::new(body)));
                self.activation.push(&mut model);
            }
        } else {
            for _ in 0..depth - 2 {
                hidden(&mut model, self.linear(width, width, &mut rng)?);
            }
        }
        model.push(Box::new(self.linear(width, classes, &mut rng)?));
        Ok(model)
    }
}

/// The grid: the three activations under the three inits, plain; then ReLU
/// with batch norm and ReLU with residual blocks, both from the default
/// init (the remedies, not a careful init, do the work).
pub fn grid() -> Vec<Config> {
    let mut configs = Vec::new();
    for activation in [Activation::Sigmoid, Activation::ReLU, Activation::LeakyReLU] {
        for init in [InitScheme::Default, InitScheme::Xavier, InitScheme::Kaiming] {
            configs.push(Config::plain(activation, init));
        }
    }
    for architecture in [Architecture::BatchNorm, Architecture::Residual] {
        configs.push(Config {
            activation: Activation::ReLU,
            init: InitScheme::Default,
            architecture,
        });
    }
    configs
}

/// The sizes and budgets of a run of the example.
#[derive(Clone, Debug)]
pub struct Setting {
    /// Hidden width of every MLP.
    pub width: usize,
    /// The depths of the grid (Linear layers).
    pub depths: Vec<usize>,
    /// Minibatch size.
    pub batch: usize,
    /// SGD's learning rate, the same for every configuration of the grid.
    pub lr: f64,
    /// Epochs of the grid's training budget.
    pub epochs: usize,
    /// SGD's learning rate in the Glorot & Bengio runs.
    pub glorot_lr: f64,
    /// Steps of the Glorot & Bengio runs.
    pub glorot_steps: usize,
    /// Probe the activations every this many steps.
    pub probe_every: usize,
    /// Depth of the exploding configuration.
    pub clip_depth: usize,
    /// Its learning rate.
    pub clip_lr: f64,
    /// The global gradient norm clipping allows.
    pub max_norm: f64,
    /// Epochs of the clipping runs.
    pub clip_epochs: usize,
}

impl Setting {
    /// On the embedded digits, in seconds.
    pub fn quick() -> Self {
        Setting {
            width: 32,
            depths: vec![10, 20, 50],
            batch: 32,
            lr: 0.1,
            epochs: 8,
            glorot_lr: 1.0,
            glorot_steps: 600,
            probe_every: 30,
            clip_depth: 10,
            clip_lr: 0.1,
            max_norm: 1.0,
            clip_epochs: 8,
        }
    }

    /// On Fashion-MNIST.
    pub fn full() -> Self {
        Setting {
            width: 128,
            depths: vec![10, 20, 50],
            batch: 128,
            lr: 0.1,
            epochs: 1,
            glorot_lr: 1.0,
            glorot_steps: 469,
            probe_every: 25,
            clip_depth: 10,
            clip_lr: 0.1,
            max_norm: 1.0,
            clip_epochs: 1,
        }
    }
}

/// A training and a test loader and the shape of the data.
pub struct Data<D: Dataset<f32> + 'static> {
    /// Shuffled minibatches of the training set.
    pub train: DataLoader<f32, D>,
    /// The test set, in large batches.
    pub test: DataLoader<f32, D>,
    /// Features per example (flattened).
    pub inputs: usize,
    /// Where to read it in the tables.
    pub name: String,
}

impl<D: Dataset<f32> + Clone + 'static> Data<D> {
    /// Loaders of `batch` over `train`, and over `test` unshuffled.
    pub fn new(train: D, test: D, batch: usize, name: impl Into<String>) -> Self {
        let inputs = train.feature_shape().iter().product();
        Data {
            train: DataLoader::new(train, LoaderConfig::new(batch).seed(1)),
            test: DataLoader::new(test, LoaderConfig::new(1000).shuffle(false)),
            inputs,
            name: name.into(),
        }
    }
}

/// The embedded digits, 80/20 stratified.
pub fn digits(batch: usize) -> Outcome<Data<impl Dataset<f32> + Clone + 'static>> {
    let digits = embedded::digits()?;
    let labels = digits.labels().expect("class labels").to_vec();
    let (train, _, test) =
        stratified_split(&labels, SplitFractions::new(0.8, 0.0, 0.2), 0).subsets(&digits);
    Ok(Data::new(train, test, batch, "the embedded digits"))
}

/// Fashion-MNIST from `dir`, with a hint when it is missing.
pub fn fashion_mnist(
    dir: &Path,
    batch: usize,
) -> Outcome<Data<impl Dataset<f32> + Clone + 'static + use<>>> {
    let splits = mnist::load_fashion_mnist::<f32>(Some(dir)).map_err(|e| {
        format!(
            "{e}\nFashion-MNIST is in the Debian package `dataset-fashion-mnist`; \
             or pass --fashion-mnist DIR, or run with --quick (the embedded digits)"
        )
    })?;
    Ok(Data::new(splits.train, splits.test, batch, "Fashion-MNIST"))
}

/// The Frobenius norm of each Linear weight's gradient (every 2-D
/// parameter, input to output) on the first training minibatch, before
/// any update; batch norm in training mode, as the first step sees it.
pub fn first_batch_grad_norms<D: Dataset<f32> + 'static>(
    model: &Sequential<f32>,
    train: &DataLoader<f32, D>,
) -> Outcome<Vec<f64>> {
    let batch = train.epoch(0).next().ok_or("an empty training set")?;
    let tape = Tape::training(0);
    let logits = model.forward(&tape, tape.constant(batch.features))?;
    let classes = batch.targets.classes().ok_or("class targets")?;
    let grads = logits.cross_entropy_with_logits(classes).backward();
    Ok(model
        .params()
        .iter()
        .filter(|(_, p)| p.value().ndim() == 2)
        .map(|(_, p)| {
            let g = grads.get(p).map_or_else(Vec::new, |g| g.to_vec());
            g.iter()
                .map(|&x| f64::from(x) * f64::from(x))
                .sum::<f64>()
                .sqrt()
        })
        .collect())
}

/// How a training run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Trained {
    /// It ran its budget: test accuracy and loss.
    Finished {
        /// Test accuracy.
        accuracy: f64,
        /// Mean test loss.
        loss: f64,
    },
    /// The NaN guard stopped it; the guard's message.
    Diverged(String),
}

impl Trained {
    /// The test accuracy, 0 for a run that diverged.
    pub fn accuracy(&self) -> f64 {
        match self {
            Trained::Finished { accuracy, .. } => *accuracy,
            Trained::Diverged(_) => 0.0,
        }
    }
}

/// Accuracy at or above which a run "trains" (chance is 0.1).
pub const TRAINS: f64 = 0.5;
/// Below this it does not train at all.
pub const CHANCE_LEVEL: f64 = 0.2;

fn trains(outcome: &Trained) -> &'static str {
    match outcome {
        Trained::Diverged(_) => "no (diverged)",
        t if t.accuracy() >= TRAINS => "yes",
        t if t.accuracy() >= CHANCE_LEVEL => "partly",
        _ => "no",
    }
}

/// Trains `model` with SGD at `lr` for `epochs` (clipping the global
/// gradient norm to `max_norm` if given) and evaluates it on the test set;
/// the run's step records (losses, gradient norms) and how it ended. A
/// non-finite loss or gradient ends the run, not the example.
pub fn train<D: Dataset<f32> + 'static>(
    model: Sequential<f32>,
    data: &Data<D>,
    lr: f64,
    epochs: usize,
    max_norm: Option<f64>,
) -> Outcome<(Trained, Vec<StepRecord>, Vec<String>)> {
    let mut trainer = Trainer::new(model, SgdConfig::new(lr).build(), CrossEntropyLoss)
        .epochs(epochs)
        .seed(2)
        .metric(Accuracy::new())
        .quiet();
    if let Some(max) = max_norm {
        trainer = trainer.clip_grad_norm(max);
    }
    let outcome = match trainer.fit_without_validation(&data.train) {
        Ok(_) => {
            let evaluation = trainer.evaluate(&data.test)?;
            Trained::Finished {
                accuracy: evaluation.metrics["accuracy"],
                loss: evaluation.loss,
            }
        }
        Err(e @ TrainError::NonFinite { .. }) => Trained::Diverged(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    Ok((
        outcome,
        trainer.history().steps.clone(),
        trainer.warnings().to_vec(),
    ))
}

/// One configuration at one depth.
#[derive(Clone, Debug)]
pub struct GridRun {
    /// The configuration.
    pub config: Config,
    /// Its depth.
    pub depth: usize,
    /// Gradient norm of each Linear weight on the first minibatch.
    pub grad_norms: Vec<f64>,
    /// After the budget.
    pub outcome: Trained,
    /// Whether the trainer's gradient-health monitor warned (it measures
    /// at the last step of each epoch).
    pub health_warned: bool,
}

impl GridRun {
    /// First layer's gradient norm over the last layer's.
    pub fn first_over_last(&self) -> f64 {
        self.grad_norms[0] / self.grad_norms[self.grad_norms.len() - 1]
    }
}

/// Every configuration of [`grid`] at every depth of `setting`.
pub fn measure_grid<D: Dataset<f32> + 'static>(
    setting: &Setting,
    data: &Data<D>,
    mut on_run: impl FnMut(&GridRun),
) -> Outcome<Vec<GridRun>> {
    let mut runs = Vec::new();
    for &depth in &setting.depths {
        for config in grid() {
            let model = config.build(depth, data.inputs, setting.width, 10, 0)?;
            let grad_norms = first_batch_grad_norms(&model, &data.train)?;
            let (outcome, _, warnings) = train(model, data, setting.lr, setting.epochs, None)?;
            let run = GridRun {
                config,
                depth,
                grad_norms,
                outcome,
                health_warned: !warnings.is_empty(),
            };
            on_run(&run);
            runs.push(run);
        }
    }
    Ok(runs)
}

/// Hidden layers of the Glorot & Bengio net.
pub const GLOROT_HIDDEN: usize = 5;

/// A sigmoid net of [`GLOROT_HIDDEN`] hidden layers trained with SGD,
/// probed as it trains.
#[derive(Clone, Debug)]
pub struct SaturationRun {
    /// Default or Xavier.
    pub init: InitScheme,
    /// The steps at which it was probed (0: before any).
    pub steps: Vec<usize>,
    /// At each probe, the mean activation of each hidden layer.
    pub layer_means: Vec<Vec<f64>>,
    /// At each probe, the fraction of the top hidden layer's outputs below
    /// 0.01 or above 0.99.
    pub top_saturated: Vec<f64>,
    /// At each probe, the mean loss on the probe batch.
    pub probe_loss: Vec<f64>,
}

impl SaturationRun {
    /// The last probe's loss.
    pub fn final_loss(&self) -> f64 {
        *self.probe_loss.last().expect("a probe")
    }
}

/// The Glorot & Bengio run from `init`: SGD at `setting.glorot_lr` for
/// `setting.glorot_steps` steps (as many epochs as that takes), probing
/// every `setting.probe_every` steps on the first test batch.
pub fn glorot_run<D: Dataset<f32> + 'static>(
    setting: &Setting,
    data: &Data<D>,
    init: InitScheme,
) -> Outcome<SaturationRun> {
    let config = Config::plain(Activation::Sigmoid, init);
    let mut model = config.build(GLOROT_HIDDEN + 1, data.inputs, setting.width, 10, 0)?;
    let probe = data.test.epoch(0).next().ok_or("an empty test set")?;
    let probe_classes = probe.targets.classes().ok_or("class targets")?.to_vec();
    let mut run = SaturationRun {
        init,
        steps: Vec::new(),
        layer_means: Vec::new(),
        top_saturated: Vec::new(),
        probe_loss: Vec::new(),
    };
    let mut record = |model: &Sequential<f32>, step: usize| -> Outcome<()> {
        let tape = Tape::inference();
        let mut x = tape.constant(probe.features.clone());
        let mut means = Vec::new();
        let mut top = Vec::new();
        for i in 0..model.len() {
            let layer = model.get(i).expect("in range");
            x = layer.forward(&tape, x)?;
            if layer.type_name() == "Sigmoid" {
                top = x.value().to_vec();
                means.push(top.iter().map(|&v| f64::from(v)).sum::<f64>() / top.len() as f64);
            }
        }
        let saturated = top.iter().filter(|&&v| !(0.01..=0.99).contains(&v)).count();
        run.steps.push(step);
        run.layer_means.push(means);
        run.top_saturated.push(saturated as f64 / top.len() as f64);
        run.probe_loss.push(f64::from(
            x.cross_entropy_with_logits(&probe_classes).item(),
        ));
        Ok(())
    };
    record(&model, 0)?;
    let mut opt = SgdConfig::new(setting.glorot_lr).build();
    let mut step = 0;
    'epochs: for epoch in 0.. {
        for batch in data.train.epoch(epoch) {
            let tape = Tape::training(0);
            let logits = model.forward(&tape, tape.constant(batch.features))?;
            let classes = batch.targets.classes().ok_or("class targets")?;
            let grads = logits.cross_entropy_with_logits(classes).backward();
            drop(tape);
            opt.step(&mut model, &grads);
            step += 1;
            if step % setting.probe_every == 0 || step == setting.glorot_steps {
                record(&model, step)?;
            }
            if step == setting.glorot_steps {
                break 'epochs;
            }
        }
    }
    Ok(run)
}

/// The exploding configuration, trained without and with clipping.
#[derive(Clone, Debug)]
pub struct ClipRuns {
    /// Steps of the unclipped run, up to where it stopped.
    pub unclipped: Vec<StepRecord>,
    /// How it ended.
    pub unclipped_outcome: Trained,
    /// Steps of the clipped run.
    pub clipped: Vec<StepRecord>,
    /// How it ended.
    pub clipped_outcome: Trained,
}

/// ReLU + Kaiming x2 at `setting.clip_depth`, SGD at `setting.clip_lr`,
/// without and with clipping to `setting.max_norm`.
pub fn clip_runs<D: Dataset<f32> + 'static>(
    setting: &Setting,
    data: &Data<D>,
) -> Outcome<ClipRuns> {
    let config = Config::plain(Activation::ReLU, InitScheme::KaimingTimesTwo);
    let model = || config.build(setting.clip_depth, data.inputs, setting.width, 10, 0);
    let (unclipped_outcome, unclipped, _) =
        train(model()?, data, setting.clip_lr, setting.clip_epochs, None)?;
    let (clipped_outcome, clipped, _) = train(
        model()?,
        data,
        setting.clip_lr,
        setting.clip_epochs,
        Some(setting.max_norm),
    )?;
    Ok(ClipRuns {
        unclipped,
        unclipped_outcome,
        clipped,
        clipped_outcome,
    })
}

fn usage() -> &'static str {
    "vanishing_gradients: vanishing and exploding gradients, on the tape and in deep MLPs

usage: cargo run --release --example vanishing_gradients [-- OPTIONS]

  --quick              the embedded digits, small nets, in seconds (instead of Fashion-MNIST)
  --fashion-mnist DIR  where the Fashion-MNIST IDX files are
                       (default /usr/share/datasets/fashion-mnist)
  --out DIR            where the plots go (default target/vanishing_gradients)
  --help               this text"
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
    let mut out = PathBuf::from("target/vanishing_gradients");
    let mut fashion = PathBuf::from("/usr/share/datasets/fashion-mnist");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => out = args.next().ok_or("--out needs a folder")?.into(),
            "--fashion-mnist" => {
                fashion = args.next().ok_or("--fashion-mnist needs a folder")?.into()
            }
            "--help" | "-h" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n\n{}", usage()).into()),
        }
    }
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    print_chain();
    if quick {
        let setting = Setting::quick();
        run_all(&setting, &digits(setting.batch)?, &out)?;
    } else {
        let setting = Setting::full();
        run_all(&setting, &fashion_mnist(&fashion, setting.batch)?, &out)?;
    }
    println!("\ntotal time: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print_chain() {
    println!("## 1. The scalar chain on the tape: {CHAIN_LAYERS} layers y = w y, f64\n");
    println!("| w | d out / d x (tape) | w^{CHAIN_LAYERS} (closed form) | the text | relative difference |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for (w, book) in [(0.2, "~1e-21"), (5.0, "~9e20")] {
        let (tape, closed) = scalar_chain(w, CHAIN_LAYERS);
        println!(
            "| {w} | {tape:.6e} | {closed:.6e} | {book} | {:.1e} |",
            ((tape - closed) / closed).abs()
        );
    }
}

fn run_all<D: Dataset<f32> + 'static>(
    setting: &Setting,
    data: &Data<D>,
    out: &Path,
) -> Outcome<()> {
    println!(
        "\n## 2. Deep MLPs on {}: gradient norms on the first minibatch, then accuracy\n",
        data.name
    );
    println!(
        "Hidden width {}, depth = Linear layers; the grid trains with plain SGD at lr {}, \
         batch {}, {} epoch(s), every configuration alike. \"trains?\": test accuracy >= {TRAINS} \
         (yes), >= {CHANCE_LEVEL} (partly), else no; chance is 0.1. \"health warning\": the \
         trainer's gradient-health monitor (at the last step of each epoch) warned of vanishing \
         or exploding gradients.\n",
        setting.width, setting.lr, setting.batch, setting.epochs
    );
    let started = Instant::now();
    let mut depth_shown = 0;
    let runs = measure_grid(setting, data, |run| {
        if run.depth != depth_shown {
            depth_shown = run.depth;
            println!("\n### Depth {}\n", run.depth);
            println!("| configuration | grad norm, layer 1 | grad norm, layer {} | layer 1 / last | test accuracy | trains? | the text expects | health warning |", run.depth);
            println!("| --- | ---: | ---: | ---: | ---: | --- | --- | --- |");
        }
        let last = run.grad_norms[run.grad_norms.len() - 1];
        let accuracy = match &run.outcome {
            Trained::Finished { accuracy, .. } => format!("{accuracy:.4}"),
            Trained::Diverged(_) => "NaN".into(),
        };
        println!(
            "| {} | {:.2e} | {last:.2e} | {:.1e} | {accuracy} | {} | {} | {} |",
            run.config.name(),
            run.grad_norms[0],
            run.first_over_last(),
            trains(&run.outcome),
            run.config.expected(),
            if run.health_warned { "yes" } else { "no" }
        );
    })?;
    println!("\n(grid: {:.1} s)", started.elapsed().as_secs_f64());
    for run in &runs {
        if let Trained::Diverged(why) = &run.outcome {
            println!(
                "\n{} at depth {} diverged: {why}",
                run.config.name(),
                run.depth
            );
        }
    }
    let charts: Vec<Chart> = setting
        .depths
        .iter()
        .map(|&depth| Chart {
            title: format!("depth {depth}"),
            y_label: "||dL/dW|| (first minibatch)".into(),
            log_y: true,
            series: runs
                .iter()
                .filter(|r| r.depth == depth)
                .map(|r| {
                    Series::new(
                        r.config.name(),
                        r.grad_norms
                            .iter()
                            .enumerate()
                            .map(|(i, &n)| ((i + 1) as f64, n))
                            .collect(),
                    )
                })
                .collect(),
        })
        .collect();
    let path = out.join("grad_norms_by_layer.svg");
    let options = PlotOptions {
        size: (1000, 500 * setting.depths.len() as u32),
        ..PlotOptions::default()
    };
    plot_charts(
        &format!(
            "gradient norm of each Linear weight before training, {}",
            data.name
        ),
        "layer (1 = input)",
        &charts,
        &path,
        &options,
    )?;
    println!("\nplot: {}", path.display());

    print_glorot(setting, data, out)?;
    print_clipping(setting, data, out)
}

fn print_glorot<D: Dataset<f32> + 'static>(
    setting: &Setting,
    data: &Data<D>,
    out: &Path,
) -> Outcome<()> {
    println!(
        "\n## 3. Glorot & Bengio (2010): sigmoid, {GLOROT_HIDDEN} hidden layers of {}, SGD lr {}, {} steps\n",
        setting.width, setting.glorot_lr, setting.glorot_steps
    );
    let runs = [
        glorot_run(setting, data, InitScheme::Default)?,
        glorot_run(setting, data, InitScheme::Xavier)?,
    ];
    println!("Mean activation of each hidden layer on a probe batch of {} test images, and the fraction of the top hidden layer's outputs below 0.01 or above 0.99.\n", data.test.epoch(0).next().map_or(0, |b| b.len()));
    let header: Vec<String> = (1..=GLOROT_HIDDEN).map(|h| format!("layer {h}")).collect();
    println!(
        "| init | step | {} | top saturated | probe loss |",
        header.join(" | ")
    );
    println!(
        "| --- | ---: |{} ---: | ---: |",
        " ---: |".repeat(GLOROT_HIDDEN)
    );
    for run in &runs {
        let shown = probes_to_show(&run.steps);
        for k in shown {
            let means: Vec<String> = run.layer_means[k]
                .iter()
                .map(|m| format!("{m:.3}"))
                .collect();
            println!(
                "| {} | {} | {} | {:.3} | {:.4} |",
                run.init.name(),
                run.steps[k],
                means.join(" | "),
                run.top_saturated[k],
                run.probe_loss[k]
            );
        }
    }
    let [default, xavier] = &runs;
    let top = |r: &SaturationRun, k: usize| r.layer_means[k][GLOROT_HIDDEN - 1];
    let lowest_top = (0..default.steps.len())
        .map(|k| top(default, k))
        .fold(f64::INFINITY, f64::min);
    let lower_layers_at_lowest = default
        .layer_means
        .iter()
        .map(|m| m[0])
        .fold(f64::INFINITY, f64::min);
    println!("\n| Glorot & Bengio report | what we measure | seen? |");
    println!("| --- | --- | --- |");
    let saturates = lowest_top < 0.1 && lowest_top < 0.5 * top(default, 0);
    println!(
        "| with the standard init the top hidden layer saturates towards 0 early in training | default init: top layer mean {:.3} at step 0, lowest {lowest_top:.3}; layer 1's lowest {lower_layers_at_lowest:.3}; saturated fraction up to {:.3} | {} |",
        top(default, 0),
        default.top_saturated.iter().copied().fold(0.0, f64::max),
        if saturates { "yes" } else { "no" }
    );
    // A lower loss by 1% at least: both runs may sit on the plateau at
    // ln 10 = 2.303 (a uniform guess), where the digits differ by noise.
    let faster = xavier.final_loss() < 0.99 * default.final_loss();
    println!(
        "| normalized (Xavier) init converges faster | probe loss after {} steps: default {:.4}, Xavier {:.4} (a uniform guess: ln 10 = 2.3026) | {} |",
        setting.glorot_steps,
        default.final_loss(),
        xavier.final_loss(),
        if faster { "yes" } else { "no" }
    );
    let chart = |title: &str,
                 y_label: &str,
                 log_y: bool,
                 value: &dyn Fn(&SaturationRun, usize) -> f64| Chart {
        title: title.into(),
        y_label: y_label.into(),
        log_y,
        series: runs
            .iter()
            .map(|r| {
                Series::new(
                    format!("{} init", r.init.name()),
                    (0..r.steps.len())
                        .map(|k| (r.steps[k] as f64, value(r, k)))
                        .collect(),
                )
            })
            .collect(),
    };
    let path = out.join("glorot.svg");
    plot_charts(
        "sigmoid, 5 hidden layers: Glorot & Bengio's saturation",
        "SGD step",
        &[
            chart("", "top hidden layer mean activation", false, &top),
            chart("", "probe loss", false, &|r, k| r.probe_loss[k]),
        ],
        &path,
        &PlotOptions {
            size: (900, 800),
            ..PlotOptions::default()
        },
    )?;
    println!("\nplot: {}", path.display());
    Ok(())
}

/// Probe indices for a table of about ten rows, the first and last kept.
fn probes_to_show(steps: &[usize]) -> Vec<usize> {
    let every = steps.len().div_ceil(10).max(1);
    let mut shown: Vec<usize> = (0..steps.len()).step_by(every).collect();
    if shown.last() != Some(&(steps.len() - 1)) {
        shown.push(steps.len() - 1);
    }
    shown
}

fn print_clipping<D: Dataset<f32> + 'static>(
    setting: &Setting,
    data: &Data<D>,
    out: &Path,
) -> Outcome<()> {
    println!(
        "\n## 4. Gradient clipping: ReLU + Kaiming x2 (each layer doubles the signal), depth {}, SGD lr {}, {} epoch(s)\n",
        setting.clip_depth, setting.clip_lr, setting.clip_epochs
    );
    let runs = clip_runs(setting, data)?;
    println!(
        "| step | loss, no clipping | grad norm, no clipping | loss, clipped to norm {} | grad norm before clipping |",
        setting.max_norm
    );
    println!("| ---: | ---: | ---: | ---: | ---: |");
    let steps = runs.clipped.len().max(runs.unclipped.len());
    let mut shown: Vec<usize> = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 200, 300, 500]
        .into_iter()
        .filter(|&s| s <= steps)
        .collect();
    if let Some(last) = runs.unclipped.last() {
        shown.push(last.step);
    }
    shown.push(steps);
    shown.sort_unstable();
    shown.dedup();
    let cell = |records: &[StepRecord], s: usize, f: fn(&StepRecord) -> f64| {
        records
            .iter()
            .find(|r| r.step == s)
            .map_or("stopped".to_string(), |r| format!("{:.4e}", f(r)))
    };
    for s in shown {
        println!(
            "| {s} | {} | {} | {} | {} |",
            cell(&runs.unclipped, s, |r| r.loss),
            cell(&runs.unclipped, s, |r| r.grad_norm),
            cell(&runs.clipped, s, |r| r.loss),
            cell(&runs.clipped, s, |r| r.grad_norm),
        );
    }
    for (name, outcome) in [
        ("without clipping", &runs.unclipped_outcome),
        ("with clipping", &runs.clipped_outcome),
    ] {
        match outcome {
            Trained::Finished { accuracy, loss } => {
                println!("\n{name}: finished, test accuracy {accuracy:.4}, test loss {loss:.4}")
            }
            Trained::Diverged(why) => println!("\n{name}: stopped by the NaN guard: {why}"),
        }
    }
    let series = |name: &str, records: &[StepRecord]| {
        Series::new(
            name,
            records.iter().map(|r| (r.step as f64, r.loss)).collect(),
        )
    };
    let path = out.join("clipping.svg");
    plot_charts(
        &format!(
            "ReLU + Kaiming x2, depth {}, SGD lr {}",
            setting.clip_depth, setting.clip_lr
        ),
        "SGD step",
        &[Chart {
            title: String::new(),
            y_label: "minibatch loss".into(),
            log_y: true,
            series: vec![
                series("no clipping", &runs.unclipped),
                series(
                    &format!("clipped to norm {}", setting.max_norm),
                    &runs.clipped,
                ),
            ],
        }],
        &path,
        &PlotOptions::default(),
    )?;
    println!("\nplot: {}", path.display());
    Ok(())
}
