//! The text's optimizers on real data: a linear model on the airfoil
//! self-noise measurements (embedded), and an MLP on Fashion-MNIST.
//!
//! Airfoil, as the book runs it: every column z-scored (population
//! standard deviation), the first 1,500 rows, a linear model from
//! `w ~ N(0, 0.01^2)`, `b = 0`, the loss `1/2 (y_hat - y)^2`, 2 epochs of
//! minibatches of 10 (full-batch GD: 6 epochs of one batch; SGD: batch 1).
//! The loss on all 1,500 rows is measured every 100 examples; the final one
//! is printed beside the book's, and every optimizer's curve against the
//! examples seen goes to `airfoil_losses.svg`, over the exact least-squares
//! floor of these rows. The epsilons are the book's (AdaGrad, RMSProp and
//! Adam 1e-6, AdaDelta 1e-5); wengert's AdaGrad, RMSProp and Adam add eps
//! outside the square root, as PyTorch does, the book inside: a
//! difference far below the digits shown.
//!
//! Then the same optimizers train the MLP 784-256-10 (ReLU) on
//! Fashion-MNIST for 3 epochs (batch 256), test accuracy and time per epoch
//! for each. `--quick` trains it on the embedded digits instead (and is
//! what the test `tests/facade/optimizers_in_small.rs` runs). The 2-D
//! trajectories and the saddle point are the example
//! `optimizer_trajectories`.
//!
//! ```text
//! cargo run --release --example optimizers [-- --quick] [-- --out DIR]
//! ```
//!
//! Fashion-MNIST comes from the Debian package `dataset-fashion-mnist`
//! (`/usr/share/datasets/fashion-mnist`), or from `--fashion-mnist DIR`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use wengert::data::{
    embedded, mnist, stratified_split, ByteImageDataset, InMemoryDataset, SplitFractions, Targets,
};
use wengert::nn::conv::Flatten;
use wengert::nn::init::Init;
use wengert::nn::LinearConfig;
use wengert::optim::{AdadeltaConfig, AdagradConfig, Optimizer, RmsPropConfig};
use wengert::prelude::*;
use wengert::train::plot::{plot_charts, Chart, PlotOptions, Series};
use wengert::train::{Callback, CallbackContext, Loss, StepRecord};

/// A result whose error is any error (the example's own and the crates').
pub type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

/// Rows of the airfoil data the text trains on.
pub const ROWS: usize = 1500;

/// The z-scored airfoil rows: features `[1500, 5]`, targets `[1500, 1]`.
pub fn airfoil() -> Outcome<(Tensor<f64>, Tensor<f64>)> {
    let data = embedded::airfoil()?.cast::<f64>();
    let x = data.features().to_vec();
    let y = data.target_values().expect("regression targets").to_vec();
    let (n, k) = (y.len(), x.len() / y.len());
    // Every column, the target included, over all rows, then the first
    // 1,500: the book's order.
    let mut columns: Vec<Vec<f64>> = (0..k)
        .map(|j| (0..n).map(|i| x[i * k + j]).collect())
        .collect();
    columns.push(y);
    for c in &mut columns {
        let mean = c.iter().sum::<f64>() / n as f64;
        let std = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        c.iter_mut().for_each(|v| *v = (*v - mean) / std);
    }
    let features = (0..ROWS)
        .flat_map(|i| (0..k).map(|j| columns[j][i]).collect::<Vec<_>>())
        .collect();
    let targets = columns[k][..ROWS].to_vec();
    Ok((
        Tensor::from_vec(features, &[ROWS, k]),
        Tensor::from_vec(targets, &[ROWS, 1]),
    ))
}

/// `1/2 mean (X w + b - y)^2` at the least-squares solution: the lowest
/// loss any linear model reaches on these rows (normal equations, solved
/// in f64 by Gaussian elimination with partial pivoting).
pub fn least_squares_floor(x: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
    let (n, k) = (x.shape()[0], x.shape()[1]);
    let (xs, ys) = (x.to_vec(), y.to_vec());
    let row = |i: usize| -> Vec<f64> {
        xs[i * k..(i + 1) * k]
            .iter()
            .copied()
            .chain([1.0])
            .collect()
    };
    let d = k + 1;
    // [A | c] = [X1^T X1 | X1^T y] with X1 = [X, 1].
    let mut a = vec![vec![0.0; d + 1]; d];
    for (i, &yi) in ys.iter().enumerate() {
        let r = row(i);
        for (a_p, &r_p) in a.iter_mut().zip(&r) {
            for (a_pq, &r_q) in a_p.iter_mut().zip(r.iter().chain([&yi])) {
                *a_pq += r_p * r_q;
            }
        }
    }
    for col in 0..d {
        let pivot = (col..d)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .expect("rows");
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for below in &mut a[col + 1..] {
            let f = below[col] / pivot_row[col];
            for (x, p) in below[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
        }
    }
    let mut beta = vec![0.0; d];
    for r in (0..d).rev() {
        let s: f64 = (r + 1..d).map(|c| a[r][c] * beta[c]).sum();
        beta[r] = (a[r][d] - s) / a[r][r];
    }
    (0..n)
        .map(|i| {
            let pred: f64 = row(i).iter().zip(&beta).map(|(a, b)| a * b).sum();
            0.5 * (pred - ys[i]).powi(2)
        })
        .sum::<f64>()
        / n as f64
}

/// One airfoil run of the text: a name, the optimizer, the batch size
/// and the epochs, and the book's final loss.
pub struct Setting {
    /// What the book calls it, with its hyperparameters.
    pub name: &'static str,
    /// The optimizer, fresh.
    pub optimizer: fn() -> Box<dyn Optimizer<f64>>,
    /// Minibatch size.
    pub batch: usize,
    /// Epochs.
    pub epochs: usize,
    /// The book's final loss.
    pub book: f64,
}

/// The text's runs, in its order.
pub fn settings() -> Vec<Setting> {
    fn sgd(lr: f64, momentum: f64) -> Box<dyn Optimizer<f64>> {
        Box::new(SgdConfig::new(lr).momentum(momentum).build())
    }
    vec![
        Setting {
            name: "GD (lr 1, full batch)",
            optimizer: || sgd(1.0, 0.0),
            batch: ROWS,
            epochs: 6,
            book: 0.2461,
        },
        Setting {
            name: "SGD (lr 0.005, batch 1)",
            optimizer: || sgd(0.005, 0.0),
            batch: 1,
            epochs: 2,
            book: 0.2459,
        },
        Setting {
            name: "minibatch SGD (lr 0.05)",
            optimizer: || sgd(0.05, 0.0),
            batch: 10,
            epochs: 2,
            book: 0.2474,
        },
        Setting {
            name: "momentum (lr 0.02, 0.5)",
            optimizer: || sgd(0.02, 0.5),
            batch: 10,
            epochs: 2,
            book: 0.2443,
        },
        Setting {
            name: "momentum (lr 0.02, 0.9)",
            optimizer: || sgd(0.02, 0.9),
            batch: 10,
            epochs: 2,
            book: 0.2533,
        },
        Setting {
            name: "momentum (lr 0.004, 0.9)",
            optimizer: || sgd(0.004, 0.9),
            batch: 10,
            epochs: 2,
            book: 0.2443,
        },
        Setting {
            name: "AdaGrad (lr 0.1)",
            optimizer: || Box::new(AdagradConfig::new(0.1).eps(1e-6).build()),
            batch: 10,
            epochs: 2,
            book: 0.2427,
        },
        Setting {
            name: "RMSProp (lr 0.01, gamma 0.9)",
            optimizer: || Box::new(RmsPropConfig::new(0.01).alpha(0.9).eps(1e-6).build()),
            batch: 10,
            epochs: 2,
            book: 0.2447,
        },
        Setting {
            name: "AdaDelta (rho 0.9)",
            optimizer: || Box::new(AdadeltaConfig::new().rho(0.9).eps(1e-5).build()),
            batch: 10,
            epochs: 2,
            book: 0.2440,
        },
        Setting {
            name: "Adam (lr 0.01)",
            optimizer: || Box::new(AdamConfig::new(0.01).eps(1e-6).build()),
            batch: 10,
            epochs: 2,
            book: 0.2450,
        },
    ]
}

/// The text's loss, `1/2 (y_hat - y)^2` averaged over the batch.
fn half_squared_error<'t>(
    output: Var<'t, f64>,
    targets: &Targets<f64>,
) -> wengert::train::Result<Var<'t, f64>> {
    Ok(MseLoss.loss(output, targets)?.mul_scalar(0.5))
}

/// Records the loss on all rows every `every` examples, as the book's
/// training loop does: `(examples seen, loss)`.
struct LossEvery {
    every: usize,
    batch: usize,
    x: Tensor<f64>,
    y: Tensor<f64>,
    curve: Arc<Mutex<Vec<(usize, f64)>>>,
}

impl Callback<f64> for LossEvery {
    fn name(&self) -> String {
        "loss_every".into()
    }

    fn on_step_end(
        &mut self,
        ctx: &mut CallbackContext<'_, f64>,
        step: &StepRecord,
    ) -> wengert::train::Result<()> {
        let seen = step.step * self.batch;
        if seen % self.every == 0 {
            let tape = Tape::inference();
            let out = ctx.model.forward(&tape, tape.constant(self.x.clone()))?;
            let loss = half_squared_error(out, &Targets::Values(self.y.clone()))?.item();
            self.curve.lock().expect("not poisoned").push((seen, loss));
        }
        Ok(())
    }
}

/// One airfoil run: the loss curve and the seconds per epoch.
pub fn airfoil_run(
    setting: &Setting,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
) -> Outcome<(Vec<(usize, f64)>, f64)> {
    let data = InMemoryDataset::regression(x.clone(), y.clone());
    let loader = DataLoader::new(data, LoaderConfig::new(setting.batch).seed(1));
    let linear = LinearConfig::new(x.shape()[1], 1)
        .with_weight_init(Init::Normal {
            mean: 0.0,
            std: 0.01,
        })
        .with_bias_init(Init::Zeros)
        .build::<f64, _>(&mut seeded_rng(0))?;
    let curve = Arc::new(Mutex::new(Vec::new()));
    let recorder = LossEvery {
        // Full-batch GD measures after every step, as the book's
        // `(batch_i + 1) * batch_size % 100 == 0` does.
        every: if setting.batch > 100 {
            setting.batch
        } else {
            100
        },
        batch: setting.batch,
        x: x.clone(),
        y: y.clone(),
        curve: curve.clone(),
    };
    let mut trainer = Trainer::new(
        Sequential::new().with(linear),
        (setting.optimizer)(),
        half_squared_error,
    )
    .epochs(setting.epochs)
    .callback(recorder)
    .quiet();
    let started = Instant::now();
    trainer.fit_without_validation(&loader)?;
    let per_epoch = started.elapsed().as_secs_f64() / setting.epochs as f64;
    let curve = curve.lock().expect("not poisoned").clone();
    Ok((curve, per_epoch))
}

/// The MLP 784-256-10 with each optimizer: `(name, test accuracy, seconds
/// per epoch)`, on `train` / `test`.
pub fn mlp_runs<D: Dataset<f32> + Clone + 'static>(
    train: D,
    test: D,
    inputs: usize,
    epochs: usize,
) -> Outcome<Vec<(&'static str, f64, f64)>> {
    type Make = fn() -> Box<dyn Optimizer<f32>>;
    let optimizers: [(&str, Make); 6] = [
        ("SGD (lr 0.1)", || Box::new(SgdConfig::new(0.1).build())),
        ("momentum (lr 0.1, 0.9)", || {
            Box::new(SgdConfig::new(0.1).momentum(0.9).build())
        }),
        ("AdaGrad (lr 0.01)", || {
            Box::new(AdagradConfig::new(0.01).build())
        }),
        ("RMSProp (lr 0.001)", || {
            Box::new(RmsPropConfig::new(0.001).alpha(0.9).build())
        }),
        ("AdaDelta (rho 0.9)", || {
            Box::new(AdadeltaConfig::new().rho(0.9).build())
        }),
        ("Adam (lr 0.001)", || {
            Box::new(AdamConfig::new(0.001).build())
        }),
    ];
    let train_loader = DataLoader::new(train, LoaderConfig::new(256).seed(1));
    let test_loader = DataLoader::new(test, LoaderConfig::new(1024).shuffle(false));
    optimizers
        .iter()
        .map(|(name, make)| {
            let mut rng = seeded_rng(0);
            let model = Sequential::new()
                .with(Flatten)
                .with(Linear::new(inputs, 256, &mut rng))
                .with(ReLU)
                .with(Linear::new(256, 10, &mut rng));
            let mut trainer = Trainer::new(model, make(), CrossEntropyLoss)
                .epochs(epochs)
                .seed(1)
                .metric(Accuracy::new())
                .quiet();
            let started = Instant::now();
            trainer.fit_without_validation(&train_loader)?;
            let per_epoch = started.elapsed().as_secs_f64() / epochs as f64;
            let accuracy = trainer.evaluate(&test_loader)?.metrics["accuracy"];
            Ok((*name, accuracy, per_epoch))
        })
        .collect()
}

fn usage() -> &'static str {
    "optimizers: the text's optimizers on the airfoil data (linear model) and on an MLP

usage: cargo run --release --example optimizers [-- OPTIONS]

  --quick              the MLP part on the embedded digits instead of Fashion-MNIST
  --fashion-mnist DIR  where the Fashion-MNIST IDX files are
                       (default /usr/share/datasets/fashion-mnist)
  --out DIR            where the plot goes (default target/optimizers)
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
    let mut out = PathBuf::from("target/optimizers");
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

    let (x, y) = airfoil()?;
    let floor = least_squares_floor(&x, &y);
    println!("Airfoil, first {ROWS} rows z-scored, linear model, loss 1/2 (y_hat - y)^2\n");
    println!("| optimizer | final loss | book | above the floor | seconds per epoch |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut series = Vec::new();
    for setting in settings() {
        let (curve, per_epoch) = airfoil_run(&setting, &x, &y)?;
        let last = curve.last().map_or(f64::NAN, |p| p.1);
        println!(
            "| {} | {last:.4} | {:.4} | {:+.4} | {per_epoch:.4} |",
            setting.name,
            setting.book,
            last - floor
        );
        series.push(Series::new(
            setting.name,
            curve
                .iter()
                .map(|&(n, l)| (n as f64 / ROWS as f64, l))
                .collect(),
        ));
    }
    println!("| least-squares floor | {floor:.6} | 0.241688 | | |");
    let floor_line = Series::new("least-squares floor", vec![(0.0, floor), (6.0, floor)]);
    series.push(floor_line);
    let chart = Chart {
        title: String::new(),
        y_label: "loss (all 1,500 rows)".into(),
        log_y: false,
        series,
    };
    let path = out.join("airfoil_losses.svg");
    plot_charts(
        "the optimizers on the airfoil data",
        "epochs (examples seen / 1,500)",
        &[chart],
        &path,
        &PlotOptions::default(),
    )?;
    println!("\nplot: {}\n", path.display());

    let (runs, what) = if quick {
        let digits = embedded::digits()?;
        let labels = digits.labels().expect("class labels").to_vec();
        let (train, _, test) =
            stratified_split(&labels, SplitFractions::new(0.8, 0.0, 0.2), 0).subsets(&digits);
        (
            mlp_runs(train, test, 64, 3)?,
            "the embedded digits (--quick), 3 epochs",
        )
    } else {
        let (train, test) = fashion_mnist(&fashion)?;
        (mlp_runs(train, test, 784, 3)?, "Fashion-MNIST, 3 epochs")
    };
    println!("MLP (ReLU, hidden 256, batch 256) on {what}\n");
    println!("| optimizer | test accuracy | seconds per epoch |");
    println!("| --- | ---: | ---: |");
    for (name, accuracy, per_epoch) in runs {
        println!("| {name} | {accuracy:.4} | {per_epoch:.2} |");
    }
    Ok(())
}

/// Fashion-MNIST's training and test sets.
fn fashion_mnist(dir: &Path) -> Outcome<(ByteImageDataset<f32>, ByteImageDataset<f32>)> {
    let splits = mnist::load_fashion_mnist::<f32>(Some(dir)).map_err(|e| {
        format!("{e}\n(or run with --quick: the MLP part then uses the embedded digits)")
    })?;
    Ok((splits.train, splits.test))
}
