//! L1 as feature selection: a linear model on a regression set where only
//! a few inputs matter, trained with the penalty `lambda ||w||_1` at
//! several strengths, against the same with `lambda/2 ||w||^2` (L2).
//!
//! The synthetic set: `inputs` features `x_j ~ N(0, 1)`, independent;
//! `y = sum_j w*_j x_j + 0.5 + N(0, noise^2)` with `w*` zero except at
//! [`RELEVANT`] (coefficients [`TRUE_COEFFICIENTS`]). A few training
//! examples (`train`), many test examples.
//!
//! Training: full-batch gradient descent on `1/2 (y_hat - y)^2` plus the
//! penalty on the weight (not the bias), the rate decayed by a cosine to 0
//! over the run. The decay matters for L1: its gradient `lambda sign(w)`
//! does not shrink as `w` does, so at a constant rate a weight that should
//! be zero jumps around it by about `lr * lambda` each step instead of
//! settling; as the rate goes to 0 it settles within the last steps' size.
//! Wengert's L1 is this penalty (`wengert::train::Penalty::l1`, a
//! subgradient); there is no proximal (soft-thresholding) L1 step, which
//! would give exact zeros.
//!
//! An input **survives** when its learned `|w_j|` is above
//! [`SURVIVAL_THRESHOLD`]; against the truly relevant inputs that gives
//! precision (survivors that are relevant) and recall (relevant inputs
//! that survive).

use wengert::data::{embedded, InMemoryDataset, Targets};
use wengert::optim::CosineAnnealingLr;
use wengert::prelude::*;
use wengert::rand::Rng;
use wengert::train::{Loss, MseLoss, Penalty, Schedule};

use super::Outcome;

/// The inputs that matter in the synthetic set (0-based).
pub const RELEVANT: [usize; 4] = [1, 6, 11, 16];

/// Their coefficients.
pub const TRUE_COEFFICIENTS: [f64; 4] = [3.0, -2.0, 1.5, -1.0];

/// The bias of the synthetic set.
pub const TRUE_BIAS: f64 = 0.5;

/// An input survives when its `|w|` is above this: a hundredth of the
/// smallest true coefficient, a tenth of the spread of an unpenalised
/// estimate of an irrelevant weight (`noise / sqrt(train)` = 0.1 in full
/// and quick mode), and far above where L1's zeroed weights end (below
/// `1e-3` with the cosine-decayed rate).
pub const SURVIVAL_THRESHOLD: f64 = 0.01;

/// The penalty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// `lambda ||w||_1`.
    L1,
    /// `lambda/2 ||w||^2`.
    L2,
}

impl Norm {
    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Norm::L1 => "L1",
            Norm::L2 => "L2",
        }
    }
}

/// The sizes and the training of the synthetic experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct SparsitySettings {
    /// Inputs of the synthetic set.
    pub inputs: usize,
    /// Training examples.
    pub train: usize,
    /// Test examples.
    pub test: usize,
    /// Standard deviation of the noise on `y`.
    pub noise: f64,
    /// The strengths swept, for both norms.
    pub lambdas: Vec<f64>,
    /// Gradient-descent steps (full batch: one per epoch).
    pub steps: usize,
    /// The starting rate of gradient descent.
    pub lr: f64,
    /// Seeds of the synthetic set (one set each).
    pub seeds: Vec<u64>,
}

/// The synthetic set of `seed`: `(train, test)`, f64.
pub fn synthetic(
    s: &SparsitySettings,
    seed: u64,
) -> Outcome<(InMemoryDataset<f64>, InMemoryDataset<f64>)> {
    let mut rng = seeded_rng(seed);
    let mut truth = vec![0.0; s.inputs];
    for (&j, &w) in RELEVANT.iter().zip(&TRUE_COEFFICIENTS) {
        *truth.get_mut(j).ok_or("more relevant inputs than inputs")? = w;
    }
    let mut make = |n: usize| -> Outcome<InMemoryDataset<f64>> {
        let x: Vec<f64> = (0..n * s.inputs)
            .map(|_| standard_normal(&mut rng))
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let row = &x[i * s.inputs..(i + 1) * s.inputs];
                let signal: f64 = row.iter().zip(&truth).map(|(a, b)| a * b).sum();
                signal + TRUE_BIAS + s.noise * standard_normal(&mut rng)
            })
            .collect();
        Ok(InMemoryDataset::try_regression(
            Tensor::from_vec(x, &[n, s.inputs]),
            Tensor::from_vec(y, &[n, 1]),
        )?)
    };
    let train = make(s.train)?;
    let test = make(s.test)?;
    Ok((train, test))
}

/// A draw of `N(0, 1)` (Box-Muller on two uniforms).
fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The text's loss, `1/2 (y_hat - y)^2` averaged over the batch.
fn half_squared_error<'t>(
    output: Var<'t, f64>,
    targets: &Targets<f64>,
) -> wengert::train::Result<Var<'t, f64>> {
    Ok(MseLoss.loss(output, targets)?.mul_scalar(0.5))
}

/// A linear model fitted with `norm` at `lambda`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The learned weights, one per input.
    pub weights: Vec<f64>,
    /// The loss `1/2 (y_hat - y)^2` on the test set.
    pub test_loss: f64,
}

impl Fit {
    /// The inputs whose `|w|` is above [`SURVIVAL_THRESHOLD`].
    pub fn survivors(&self) -> Vec<usize> {
        (0..self.weights.len())
            .filter(|&j| self.weights[j].abs() > SURVIVAL_THRESHOLD)
            .collect()
    }

    /// Weights with `|w|` below `1e-3`: zero for every practical purpose.
    pub fn near_zero(&self) -> usize {
        self.weights.iter().filter(|w| w.abs() < 1e-3).count()
    }
}

/// Fits a linear model to `train` by full-batch gradient descent with
/// `norm` at `lambda` on its weight, and measures it on `test`.
pub fn fit(
    train: &InMemoryDataset<f64>,
    test: &InMemoryDataset<f64>,
    norm: Norm,
    lambda: f64,
    steps: usize,
    lr: f64,
) -> Outcome<Fit> {
    let inputs = train.feature_shape()[0];
    // Every fit starts from the same weights: only the penalty differs.
    let model = Sequential::new().with(Linear::new(inputs, 1, &mut seeded_rng(0)));
    let penalty = match norm {
        Norm::L1 => Penalty::l1(lambda),
        Norm::L2 => Penalty::l2(lambda),
    }
    .weights_only();
    let batches = DataLoader::new(train.clone(), LoaderConfig::new(train.len()).shuffle(false));
    let whole_test = DataLoader::new(test.clone(), LoaderConfig::new(test.len()).shuffle(false));
    let mut trainer = Trainer::new(model, SgdConfig::new(lr).build(), half_squared_error)
        .epochs(steps)
        .penalty(penalty)
        .callback(Schedule::per_step(CosineAnnealingLr::new(steps, 0.0)))
        .quiet();
    trainer.fit_without_validation(&batches)?;
    let test_loss = trainer.evaluate(&whole_test)?.loss;
    let params = trainer.model().params();
    let (_, weight) = params
        .iter()
        .find(|(name, _)| name == "0.weight")
        .ok_or("a Linear's weight")?;
    Ok(Fit {
        weights: weight.value().to_vec(),
        test_loss,
    })
}

/// Precision and recall of `survivors` against `relevant`: precision 1
/// when no survivor is irrelevant (and when nothing survives), recall 1
/// when every relevant input survives.
pub fn precision_recall(survivors: &[usize], relevant: &[usize]) -> (f64, f64) {
    let hits = survivors.iter().filter(|j| relevant.contains(j)).count() as f64;
    let precision = if survivors.is_empty() {
        1.0
    } else {
        hits / survivors.len() as f64
    };
    (precision, hits / relevant.len() as f64)
}

/// One strength of one norm on the synthetic sets.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    /// The norm.
    pub norm: Norm,
    /// The strength.
    pub lambda: f64,
    /// The fit on every seed's set, in `seeds` order.
    pub fits: Vec<Fit>,
}

impl SweepRow {
    /// How many of the seeds' fits keep exactly the relevant inputs.
    pub fn exact_recoveries(&self) -> usize {
        self.fits
            .iter()
            .filter(|f| f.survivors() == RELEVANT)
            .count()
    }
}

/// Every strength of both norms on every seed's synthetic set.
pub fn sweep(s: &SparsitySettings) -> Outcome<Vec<SweepRow>> {
    let sets = s
        .seeds
        .iter()
        .map(|&seed| synthetic(s, seed))
        .collect::<Outcome<Vec<_>>>()?;
    let mut rows = Vec::new();
    for norm in [Norm::L1, Norm::L2] {
        for &lambda in &s.lambdas {
            let fits = sets
                .iter()
                .map(|(train, test)| fit(train, test, norm, lambda, s.steps, s.lr))
                .collect::<Outcome<Vec<_>>>()?;
            rows.push(SweepRow { norm, lambda, fits });
        }
    }
    Ok(rows)
}

/// Names of the airfoil's five inputs.
pub const AIRFOIL_INPUTS: [&str; 5] = [
    "frequency",
    "angle of attack",
    "chord length",
    "free-stream velocity",
    "suction-side displacement thickness",
];

/// The embedded airfoil table, every column z-scored over all 1,503 rows
/// (population standard deviation), as one training set: which inputs
/// survive is a question about the fitted weights, not about a test score.
pub fn airfoil() -> Outcome<InMemoryDataset<f64>> {
    let data = embedded::airfoil()?.cast::<f64>();
    let x = data.features().to_vec();
    let y = data.target_values().ok_or("regression targets")?.to_vec();
    let (n, k) = (y.len(), x.len() / y.len());
    let z = |column: Vec<f64>| {
        let mean = column.iter().sum::<f64>() / n as f64;
        let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        column
            .into_iter()
            .map(|v| (v - mean) / var.sqrt())
            .collect::<Vec<f64>>()
    };
    let columns: Vec<Vec<f64>> = (0..k)
        .map(|j| z((0..n).map(|i| x[i * k + j]).collect()))
        .collect();
    let features: Vec<f64> = (0..n)
        .flat_map(|i| columns.iter().map(move |c| c[i]))
        .collect();
    Ok(InMemoryDataset::try_regression(
        Tensor::from_vec(features, &[n, k]),
        Tensor::from_vec(z(y), &[n, 1]),
    )?)
}
