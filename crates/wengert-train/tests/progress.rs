//! Progress output away from a terminal: one plain line per epoch, no
//! escape codes, in the documented format.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use wengert_train::{epoch_summary, EpochRecord, Progress};

/// A writer whose bytes the test reads afterwards.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

fn record(epoch: usize) -> EpochRecord {
    EpochRecord {
        epoch,
        steps: 10 * epoch,
        train_loss: 0.4123,
        val_loss: Some(0.4567),
        val_metrics: BTreeMap::from([("accuracy".to_string(), 0.9012)]).into(),
        lr: 1e-3,
        seconds: 2.31,
        examples_per_second: 12345.0,
        ..Default::default()
    }
}

#[test]
fn plain_output_has_exactly_one_line_per_epoch_and_no_escape_byte() {
    let out = Shared::default();
    let epochs = 4;
    let mut progress = Progress::plain(Box::new(out.clone()), epochs, 5);
    for epoch in 1..=epochs {
        progress.start_epoch(epoch);
        for batch in 0..5 {
            progress.batch(batch, 1.0 / (batch + 1) as f64, 32);
        }
        progress.end_epoch(&record(epoch));
    }
    progress.finish();
    drop(progress);
    let bytes = out.bytes();
    assert!(
        !bytes.contains(&0x1b),
        "escape code in {:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(!bytes.contains(&b'\r'), "carriage return in plain output");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), epochs, "{text}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with(&format!("epoch {}/{epochs}  ", i + 1)),
            "{line}"
        );
    }
}

#[test]
fn the_epoch_line_reads_as_documented() {
    assert_eq!(
        epoch_summary(&record(3), 20),
        "epoch 3/20  train_loss 0.4123  val_loss 0.4567  val_accuracy 0.9012  lr 1.0e-3  2.31 s  12345 ex/s"
    );
    // Training metrics come after the training loss; an unknown number of
    // epochs drops the "/20"; a run without validation has no val entries.
    let mut r = EpochRecord {
        epoch: 7,
        train_loss: 3.5e-7,
        lr: 0.1,
        seconds: 0.5,
        examples_per_second: 100.0,
        ..Default::default()
    };
    r.train_metrics.insert("mae".into(), 12.0);
    assert_eq!(
        epoch_summary(&r, 0),
        "epoch 7  train_loss 3.500e-7  train_mae 12.0000  lr 1.0e-1  0.50 s  100 ex/s"
    );
    r.train_loss = f64::NAN;
    assert!(epoch_summary(&r, 0).contains("train_loss NaN"));
}

#[test]
fn hidden_and_plain_progress_survive_calls_out_of_order() {
    // The trainer may stop mid-epoch (early stopping, an error): finishing
    // without end_epoch, or batches before any start, must not write a line
    // or panic.
    let out = Shared::default();
    let mut progress = Progress::plain(Box::new(out.clone()), 2, 0);
    progress.batch(0, 0.5, 8);
    progress.start_epoch(1);
    progress.batch(0, 0.5, 0);
    progress.finish();
    progress.finish();
    assert!(out.bytes().is_empty());
    let mut hidden = Progress::hidden();
    hidden.start_epoch(1);
    hidden.batch(0, 0.5, 8);
    hidden.end_epoch(&record(1));
    hidden.finish();
    assert!(format!("{hidden:?}").contains("hidden"));
}
