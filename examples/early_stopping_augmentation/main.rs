//! Early stopping and data augmentation against an MLP that overfits.
//!
//! The text recommends both as remedies for overfitting but prints no
//! number for them: this example measures its own, and says so in its
//! output. The setting is made to overfit: a wide MLP 784-512-512-10
//! (ReLU, PyTorch's default init, no dropout, no weight decay), Adam at a
//! constant lr 1e-3, batch 128, for 30 epochs, trained on only 5,000
//! Fashion-MNIST images (a fixed stratified subset of the 60,000 training
//! images: 500 per class). A validation set of 1,000 more training images
//! (100 per class, disjoint from the 5,000) decides when to stop; the
//! 10,000 test images are evaluated only on the weights a rule chose, never
//! to choose.
//!
//! It prints:
//! 1. for each augmentation, as soon as its run ends, the patience sweep
//!    (1, 3, 5, 10, 20, the whole budget with its best epoch kept, and the
//!    fixed budget's last epoch): the epoch stopped at, the epoch kept, its
//!    validation and test accuracy, and the train/validation gap there;
//! 2. each augmentation alone (horizontal flips, shifted crops, Gaussian
//!    noise, random erasing) and all together, with and without early
//!    stopping: test accuracy, gaps, epochs; and the test accuracy of every
//!    augmentation at every patience;
//! 3. after the run without augmentation, a check that replaying the
//!    stopping rule (below) gives what the library's `EarlyStopping`
//!    callback gives when it really stops a run;
//! 4. optionally (`--seeds N`) the spread over training seeds.
//!
//! Learning curves (train and validation loss and accuracy by epoch) with
//! the stopping point marked go to `curves_<augmentation>.svg`, the gaps of
//! every augmentation to `gaps.svg`, test accuracy against patience to
//! `patience.svg`, in `--out DIR` (default
//! `target/early_stopping_augmentation`).
//!
//! ## What is measured
//! Early stopping watches the validation loss (cross-entropy on the 1,000
//! validation images, after every epoch). An epoch *improves* when its
//! validation loss is lower than every earlier one. With patience `p`, a
//! run *stops at* the first epoch that is `p` epochs after the last
//! improvement (the last epoch trained), or at the end of the budget when
//! that never happens; it *keeps* the weights of the last improvement up to
//! then: the lowest validation loss so far (the earliest on a tie).
//!
//! Training is deterministic and the learning rate constant, so a run
//! stopped at epoch `s` is, epoch for epoch, the first `s` epochs of the
//! run that uses its whole budget. Every configuration therefore trains
//! once, for the whole budget, and the stopping rule is replayed on its
//! validation losses for every patience at once, keeping a snapshot of the
//! best weights as `EarlyStopping` does; section 3 runs the library's
//! callback and shows the same epochs and test accuracy.
//!
//! The *train* loss and accuracy of the gaps are measured on the 5,000
//! training images as the validation set is, after the epoch, with no
//! augmentation (the running means over an epoch's augmented batches,
//! also plotted, say how well the net fits the augmented images instead).
//!
//! ```text
//! cargo run --release --example early_stopping_augmentation [-- --quick] [-- --seeds N]
//! ```
//!
//! `--quick` runs on the embedded 8x8 digits (500 to train, 300 to
//! validate, the other 997 to test) with a 64-256-256-10 net, in seconds;
//! `tests/facade/early_stopping_augmentation_in_small.rs` checks the
//! example's claims with it. Fashion-MNIST comes from the Debian package
//! `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist`), or from
//! `--fashion-mnist DIR`. Every seed is fixed.
//!
//! The files: `setup.rs` (the data, the model, the augmentations),
//! `replay.rs` (the runs and the stopping rule replayed on them),
//! `report.rs` (the tables and the plots).

pub mod replay;
mod report;
pub mod setup;

use std::path::PathBuf;
use std::time::Instant;

use wengert::data::mnist;

pub use replay::{run_config, run_with_early_stopping, ConfigRun, Stopping};
use setup::fashion_parts;
pub use setup::{digits_parts, Augmentation, Settings};

/// What every fallible step of the example returns.
pub type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

/// The classes of both data sets.
pub const CLASSES: usize = 10;

fn usage() -> &'static str {
    "early_stopping_augmentation: early stopping (patience swept) and augmentation (flip, shift,
noise, erasing) against a wide MLP that overfits 5,000 Fashion-MNIST images

usage: cargo run --release --example early_stopping_augmentation [-- OPTIONS]

  --quick                 the embedded 8x8 digits, a 64-256-256-10 net, in seconds
  --fashion-mnist DIR     where the Fashion-MNIST IDX files are
                          (default /usr/share/datasets/fashion-mnist)
  --augmentations LIST    which to run, from none,flip,shift,noise,erasing,all (default all six)
  --budget N              epochs every run trains for (default 30; 60 with --quick)
  --hidden LIST           hidden widths (default 512,512; 256,256 with --quick)
  --seeds N               training seeds for the spread table (default 1: no table)
  --out DIR               where the plots go (default target/early_stopping_augmentation)
  --help                  this text

The text gives no number for this experiment: every number printed is our measurement."
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
    let mut augmentations = Augmentation::EVERY.to_vec();
    let mut budget = None;
    let mut hidden: Option<Vec<usize>> = None;
    let mut seeds = 1u64;
    let mut out = PathBuf::from("target/early_stopping_augmentation");
    let mut fashion = PathBuf::from(mnist::FASHION_MNIST_DIR);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => out = args.next().ok_or("--out needs a folder")?.into(),
            "--budget" => budget = Some(args.next().ok_or("--budget needs a number")?.parse()?),
            "--hidden" => {
                let list = args.next().ok_or("--hidden needs a list of widths")?;
                let widths = list
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<Vec<usize>, _>>()
                    .map_err(|e| format!("--hidden {list}: {e}"))?;
                if widths.contains(&0) {
                    return Err(format!("--hidden {list}: a layer needs at least one unit").into());
                }
                hidden = Some(widths);
            }
            "--seeds" => seeds = args.next().ok_or("--seeds needs a number")?.parse()?,
            "--augmentations" => {
                let list = args.next().ok_or("--augmentations needs a list")?;
                augmentations = list
                    .split(',')
                    .map(|n| {
                        Augmentation::parse(n).ok_or(format!(
                            "unknown augmentation `{n}` (none, flip, shift, noise, erasing, all)"
                        ))
                    })
                    .collect::<Result<_, _>>()?;
            }
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
    if seeds == 0 {
        return Err("--seeds needs at least 1".into());
    }
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    if quick {
        let mut settings = Settings::digits();
        settings.budget = budget.unwrap_or(settings.budget);
        settings.hidden = hidden.clone().unwrap_or(settings.hidden);
        let what = "the embedded digits (--quick)";
        report::report(
            what,
            &digits_parts(0)?,
            &settings,
            &augmentations,
            seeds,
            &out,
            false,
        )?;
    } else {
        let mut settings = Settings::fashion_mnist();
        settings.budget = budget.unwrap_or(settings.budget);
        settings.hidden = hidden.clone().unwrap_or(settings.hidden);
        let what =
            "Fashion-MNIST (validation images from the training set, disjoint from the 5,000)";
        report::report(
            what,
            &fashion_parts(&fashion, 0)?,
            &settings,
            &augmentations,
            seeds,
            &out,
            true,
        )?;
    }
    println!("\neverything took {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
