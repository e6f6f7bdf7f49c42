//! Model selection on the embedded digits: a small grid (learning rate x
//! width) scored by stratified 5-fold cross-validation, the best
//! configuration retrained on all training data, and the sealed test set
//! evaluated once, at the end.
//!
//! The digits are split once, stratified, into 80% training data and a 20%
//! test set that is sealed at once: the sweep only ever sees the training
//! part, so nothing is chosen by the test set and its accuracy stays an
//! honest estimate.
//!
//! Run it in this process (folds in parallel):
//!
//! ```text
//! cargo run --release --example sweep_digits
//! ```
//!
//! or as one process per job, as on a cluster (see the module docs of
//! `wengert_train::selection` for Slurm and Kubernetes):
//!
//! ```text
//! cargo run --release --example sweep_digits -- --write-jobs target/sweep_digits/jobs.json
//! seq 0 29 | xargs -P 2 -I{} cargo run --release --example sweep_digits -- \
//!     --jobs target/sweep_digits/jobs.json --results target/sweep_digits/results --job {}
//! cargo run --release --example sweep_digits -- \
//!     --jobs target/sweep_digits/jobs.json --merge target/sweep_digits/results
//! ```
//!
//! Both ways print the same table, bitwise the same numbers, then the
//! retrain and the one test evaluation, and write a plot of the scores
//! with their fold spread to `target/sweep_digits/sweep.svg`.

use std::time::Instant;

use wengert::data::{embedded, stratified_split, InMemoryDataset, SplitFractions, Subset};
use wengert::optim::Adam;
use wengert::prelude::*;
use wengert::train::selection::{
    plot_sweep, Config, CrossValidation, Grid, RunInfo, Score, SealedTestSet, Sweep, SweepCommand,
    ValidationPlan,
};

/// Epochs of every fold; the score is read at each fold's best epoch, and
/// the retrain runs the folds' mean best epoch.
const EPOCHS: usize = 15;

/// A part of the digits.
type DigitsPart = Subset<InMemoryDataset<f32>>;

/// The training part (for the sweep) and the sealed test part.
fn digits() -> Result<(DigitsPart, SealedTestSet<f32, DigitsPart>), Box<dyn std::error::Error>> {
    let digits = embedded::digits()?;
    let labels = digits.labels().expect("digits have class labels").to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.8, 0.0, 0.2), 0);
    let (train, _, test) = split.subsets(&digits);
    Ok((train, SealedTestSet::new(test, 512)))
}

/// 64 -> width -> 10 with ReLU, Adam at the configuration's learning rate,
/// weights and shuffles from the run's seed.
fn trainer(
    config: &Config,
    run: &RunInfo,
) -> wengert::train::Result<Trainer<f32, Sequential<f32>, Adam<f32>>> {
    let width = config.usize("width")?;
    let mut rng = seeded_rng(run.seed);
    let model = Sequential::new()
        .with(Linear::new(64, width, &mut rng))
        .with(ReLU)
        .with(Linear::new(width, 10, &mut rng));
    Ok(Trainer::new(
        model,
        AdamConfig::new(config.f64("lr")?).build(),
        CrossEntropyLoss,
    )
    .epochs(EPOCHS)
    .seed(run.seed)
    .metric(Accuracy::new())
    .quiet())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let (train, mut test) = digits()?;
    let configs = Grid::new()
        .axis("lr", [1e-3, 3e-3, 1e-2])
        .axis("width", [16usize, 64])
        .configs()?;
    let cv = CrossValidation::new(
        ValidationPlan::stratified_kfold(5, 1),
        Score::best("val_accuracy", true),
    );
    let sweep = Sweep::new(configs, cv)?;

    let command = SweepCommand::from_process()?;
    let Some(report) = command.execute(&sweep, &train, trainer)? else {
        if let Some(done) = command.done_message(&sweep) {
            println!("{done}");
        }
        return Ok(());
    };

    let best = report.best()?;
    let retrained = sweep.retrain(best, &train, trainer)?;
    let evaluation = test.evaluate_once(&retrained.trainer)?;
    println!("{}", report.to_markdown(Some(&evaluation)));

    let plot = std::path::Path::new("target/sweep_digits/sweep.svg");
    std::fs::create_dir_all(plot.parent().expect("a folder"))?;
    plot_sweep(&report, plot)?;
    println!("plot: {}", plot.display());
    println!("took {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
