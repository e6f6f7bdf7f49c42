//! What the selection tests share: a small part of the embedded digits, a
//! tiny trainer factory, and a bitwise comparison of results.
#![allow(dead_code)]

use wengert_data::{embedded, InMemoryDataset, Subset};
use wengert_nn::{Dropout, Linear, ReLU, Sequential};
use wengert_optim::{Adam, AdamConfig};
use wengert_tensor::seeded_rng;
use wengert_train::selection::{Config, CvResult, RunInfo, SweepReport};
use wengert_train::{Accuracy, CrossEntropyLoss, History, Result, Trainer};

/// The first `n` digits (every class is there from a few hundred on).
pub fn digits(n: usize) -> Subset<InMemoryDataset<f32>> {
    let digits = embedded::digits().expect("the embedded digits load");
    Subset::new(digits, (0..n).collect())
}

/// 64 -> width -> 10 with dropout (so the run seed matters), Adam at
/// `lr`, `epochs` epochs, accuracy measured, quiet.
pub fn trainer(
    config: &Config,
    run: &RunInfo,
    epochs: usize,
) -> Result<Trainer<f32, Sequential<f32>, Adam<f32>>> {
    let mut rng = seeded_rng(run.seed);
    let width = config.usize("width")?;
    let model = Sequential::new()
        .with(Linear::new(64, width, &mut rng))
        .with(ReLU)
        .with(Dropout::new(0.1))
        .with(Linear::new(width, 10, &mut rng));
    Ok(Trainer::new(
        model,
        AdamConfig::new(config.f64("lr")?).build(),
        CrossEntropyLoss,
    )
    .epochs(epochs)
    .seed(run.seed)
    .metric(Accuracy::new())
    .quiet())
}

/// The f64s of a history, by field, as bits (NaN and signed zeros count).
fn history_bits(history: &History) -> Vec<(String, u64)> {
    let mut bits = Vec::new();
    let mut push = |name: String, x: f64| bits.push((name, x.to_bits()));
    for e in &history.epochs {
        let at = |field: &str| format!("epoch {} {field}", e.epoch);
        push(at("train_loss"), e.train_loss);
        push(at("val_loss"), e.val_loss.unwrap_or(f64::NAN));
        push(at("lr"), e.lr);
        push(at("grad_norm"), e.grad_norm);
        push(at("seconds"), e.seconds);
        push(at("examples_per_second"), e.examples_per_second);
        for (group, map) in [
            ("train", &*e.train_metrics),
            ("val", &*e.val_metrics),
            ("grad_norm", &e.layer_grad_norms),
            ("update_ratio", &e.update_ratios),
        ] {
            for (name, value) in map {
                push(at(&format!("{group}/{name}")), *value);
            }
        }
    }
    for s in &history.steps {
        let at = |field: &str| format!("step {} {field}", s.step);
        push(at("loss"), s.loss);
        push(at("lr"), s.lr);
        push(at("grad_norm"), s.grad_norm);
    }
    bits
}

/// Asserts that two cross-validations are equal bitwise: every fold's
/// score and history, the mean and the std.
pub fn assert_same_bits(a: &CvResult, b: &CvResult, what: &str) {
    assert_eq!(a.folds.len(), b.folds.len(), "{what}: fold count");
    for (fa, fb) in a.folds.iter().zip(&b.folds) {
        assert_eq!(fa.epoch, fb.epoch, "{what}: fold {} epoch", fa.fold);
        assert_eq!(
            fa.score.to_bits(),
            fb.score.to_bits(),
            "{what}: fold {} score {} vs {}",
            fa.fold,
            fa.score,
            fb.score
        );
        assert_eq!(
            history_bits(&fa.history),
            history_bits(&fb.history),
            "{what}: fold {} history",
            fa.fold
        );
    }
    assert_eq!(a.mean.to_bits(), b.mean.to_bits(), "{what}: mean");
    assert_eq!(
        a.std.map(f64::to_bits),
        b.std.map(f64::to_bits),
        "{what}: std"
    );
    assert_eq!(a, b, "{what}: structs");
}

/// [`assert_same_bits`] for every configuration of two reports.
pub fn assert_same_report(a: &SweepReport, b: &SweepReport) {
    assert_eq!(a.results.len(), b.results.len(), "configuration count");
    for (ra, rb) in a.results.iter().zip(&b.results) {
        assert_eq!(ra.config, rb.config);
        assert_same_bits(&ra.cv, &rb.cv, &ra.config.to_string());
    }
    assert_eq!(a, b, "reports");
}
