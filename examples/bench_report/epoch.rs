//! The epoch workloads (`epoch_mlp`, `epoch_cnn`): one whole epoch of
//! Fashion-MNIST's 60,000 training images through the library as a user
//! runs it (the `DataLoader`, the `Trainer`, its metric), timed end to
//! end. They are what a step's median leaves out: batching the images,
//! the loader's shuffle, the trainer's bookkeeping, the last short batch.
//!
//! The networks and batches are the `mlp` and `cnn` step workloads' (MLP
//! 784-256-256-10 with batch 128; the `bench.py` CNN with batch 64), with
//! Adam at PyTorch's defaults. Each prints the epoch's seconds and its
//! training accuracy (to see that it trains):
//!
//! ```text
//! {"lib":"wengert","workload":"epoch_mlp","threads":2,"seconds":...,"examples":60000,"steps":469,"train_accuracy":...}
//! ```
//!
//! Fashion-MNIST comes from the Debian package `dataset-fashion-mnist`
//! (`/usr/share/datasets/fashion-mnist`), or from the folder in the
//! `FASHION_MNIST` environment variable.

use std::path::PathBuf;
use std::time::Instant;

use wengert::data::mnist;
use wengert::nn::conv::Flatten;
use wengert::prelude::*;

use crate::steps::{adam, cnn_model};
use crate::Settings;

/// The MLP of the `mlp` step workload, as layers.
fn mlp_model(rng: &mut impl wengert::rand::Rng) -> Sequential<f32> {
    Sequential::new()
        .with(Flatten)
        .with(Linear::new(784, 256, rng))
        .with(ReLU)
        .with(Linear::new(256, 256, rng))
        .with(ReLU)
        .with(Linear::new(256, 10, rng))
}

/// Runs one epoch of `model` on Fashion-MNIST's training set with batch
/// `batch` and prints its JSON line; says how to get the data when absent.
pub fn epoch(settings: &Settings, cnn: bool) {
    let dir = std::env::var_os("FASHION_MNIST").map_or_else(
        || PathBuf::from("/usr/share/datasets/fashion-mnist"),
        PathBuf::from,
    );
    let splits = match mnist::load_fashion_mnist::<f32>(Some(&dir)) {
        Ok(splits) => splits,
        Err(e) => {
            eprintln!(
                "bench_report: the epoch workloads need Fashion-MNIST: {e}\n\
                 (apt-get install dataset-fashion-mnist, or FASHION_MNIST=DIR)"
            );
            return;
        }
    };
    let (name, batch) = if cnn {
        ("epoch_cnn", 64)
    } else {
        ("epoch_mlp", 128)
    };
    let mut rng = seeded_rng(0);
    let model = if cnn {
        cnn_model(&mut rng)
    } else {
        mlp_model(&mut rng)
    };
    let examples = splits.train.len();
    let loader = DataLoader::new(splits.train, LoaderConfig::new(batch).seed(1));
    let mut trainer = Trainer::new(model, adam(), CrossEntropyLoss)
        .epochs(1)
        .seed(1)
        .metric(Accuracy::new())
        .quiet();
    let started = Instant::now();
    let history = match trainer.fit_without_validation(&loader) {
        Ok(history) => history,
        Err(e) => {
            eprintln!("bench_report {name}: {e}");
            std::process::exit(1);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let last = history.epochs.last().expect("one epoch ran");
    println!(
        "{{\"lib\":\"wengert\",\"workload\":\"{name}\",\"threads\":{},\"seconds\":{seconds:.3},\"examples\":{examples},\"steps\":{},\"train_accuracy\":{:.4}}}",
        settings.threads,
        last.steps,
        last.train_metrics.get("accuracy").copied().unwrap_or(f64::NAN),
    );
}
