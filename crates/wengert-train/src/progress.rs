//! Progress of a run: a live bar in a terminal, one plain line per epoch
//! everywhere else.
//!
//! A bar redraws itself with escape codes, which a log file or a CI page
//! shows as garbage, and a long run without any output looks hung. So
//! [`Progress::auto`] picks by whether stdout is a terminal: a bar per
//! epoch (batch count, running loss, examples per second, ETA) with each
//! finished epoch's summary line printed above it, or just the summary
//! lines, which read the same in both modes:
//!
//! ```text
//! epoch 3/20  train_loss 0.4123  val_loss 0.4567  val_accuracy 0.9012  lr 1.0e-3  2.31 s  12345 ex/s
//! ```
//!
//! Output is best effort: a write that fails (a closed pipe) is ignored
//! rather than stopping the training it reports on.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::history::EpochRecord;

/// Reports a run's progress, epoch by epoch and batch by batch.
///
/// The trainer calls [`start_epoch`](Progress::start_epoch), then
/// [`batch`](Progress::batch) after each optimizer step, then
/// [`end_epoch`](Progress::end_epoch) with the epoch's record, and
/// [`finish`](Progress::finish) at the end.
///
/// ```
/// use std::io::Write;
/// use std::sync::{Arc, Mutex};
/// use wengert_train::{EpochRecord, Progress};
///
/// /// A writer that keeps what it is given, to look at afterwards.
/// #[derive(Clone, Default)]
/// struct Shared(Arc<Mutex<Vec<u8>>>);
/// impl Write for Shared {
///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let out = Shared::default();
/// let mut progress = Progress::plain(Box::new(out.clone()), 2, 10);
/// progress.start_epoch(1);
/// progress.batch(0, 0.9, 32);
/// progress.end_epoch(&EpochRecord { epoch: 1, train_loss: 0.9, lr: 1e-3, ..Default::default() });
/// progress.finish();
/// let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
/// assert!(text.starts_with("epoch 1/2  train_loss 0.9000"));
/// ```
pub struct Progress {
    output: Output,
    epochs: usize,
    batches_per_epoch: usize,
    epoch: usize,
    started: Instant,
    examples: usize,
    /// Sum of `loss * examples` over the epoch's batches so far.
    weighted_loss: f64,
}

enum Output {
    /// A live bar on stdout, the current epoch's once started.
    Bar(Option<ProgressBar>),
    /// One line per epoch to a writer.
    Plain(Box<dyn Write + Send>),
    Hidden,
}

impl Progress {
    /// A bar when stdout is a terminal, plain lines on stdout otherwise.
    /// `epochs` and `batches_per_epoch` may be 0 when unknown (no total, a
    /// spinner instead of a bar).
    pub fn auto(epochs: usize, batches_per_epoch: usize) -> Self {
        let output = if std::io::stdout().is_terminal() {
            Output::Bar(None)
        } else {
            Output::Plain(Box::new(std::io::stdout()))
        };
        Self::with_output(output, epochs, batches_per_epoch)
    }

    /// One plain line per epoch to `writer`, no escape codes (for logs and
    /// tests).
    pub fn plain(writer: Box<dyn Write + Send>, epochs: usize, batches_per_epoch: usize) -> Self {
        Self::with_output(Output::Plain(writer), epochs, batches_per_epoch)
    }

    /// Shows nothing.
    pub fn hidden() -> Self {
        Self::with_output(Output::Hidden, 0, 0)
    }

    fn with_output(output: Output, epochs: usize, batches_per_epoch: usize) -> Self {
        Self {
            output,
            epochs,
            batches_per_epoch,
            epoch: 0,
            started: Instant::now(),
            examples: 0,
            weighted_loss: 0.0,
        }
    }

    /// Starts epoch `epoch` (1-based).
    pub fn start_epoch(&mut self, epoch: usize) {
        self.epoch = epoch;
        self.started = Instant::now();
        self.examples = 0;
        self.weighted_loss = 0.0;
        if let Output::Bar(slot) = &mut self.output {
            if let Some(old) = slot.take() {
                old.finish_and_clear();
            }
            let bar = if self.batches_per_epoch > 0 {
                let bar = ProgressBar::with_draw_target(
                    Some(self.batches_per_epoch as u64),
                    ProgressDrawTarget::stdout(),
                );
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} [{bar:30.cyan/blue}] {pos}/{len}  {msg}  ETA {eta}",
                    )
                    .expect("the bar template is valid")
                    .progress_chars("=> "),
                );
                bar
            } else {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} {spinner} {pos} batches  {msg}  {elapsed}",
                    )
                    .expect("the spinner template is valid"),
                );
                bar
            };
            bar.set_prefix(epoch_label(epoch, self.epochs));
            *slot = Some(bar);
        }
    }

    /// Batch `batch_index` (0-based) of the epoch is done: its loss (the
    /// batch mean) and its number of examples. The bar shows the running
    /// loss, the mean over the epoch's examples so far, and throughput.
    pub fn batch(&mut self, batch_index: usize, loss: f64, examples: usize) {
        // A batch without examples has no loss to weigh (and a NaN loss
        // times zero would still poison the running mean).
        if examples > 0 {
            self.examples += examples;
            self.weighted_loss += loss * examples as f64;
        }
        if let Output::Bar(Some(bar)) = &self.output {
            bar.set_position(batch_index as u64 + 1);
            let running = if self.examples > 0 {
                self.weighted_loss / self.examples as f64
            } else {
                f64::NAN
            };
            bar.set_message(format!(
                "loss {}  {:.0} ex/s",
                format_value(running),
                per_second(self.examples, self.started.elapsed())
            ));
        }
    }

    /// The epoch is over: prints its summary line (see the module docs).
    pub fn end_epoch(&mut self, record: &EpochRecord) {
        let line = epoch_summary(record, self.epochs);
        match &mut self.output {
            Output::Bar(slot) => match slot.take() {
                Some(bar) => {
                    bar.println(&line);
                    bar.finish_and_clear();
                }
                None => println!("{line}"),
            },
            Output::Plain(writer) => {
                _ = writeln!(writer, "{line}");
                _ = writer.flush();
            }
            Output::Hidden => {}
        }
    }

    /// The run is over: removes a bar still showing and flushes.
    pub fn finish(&mut self) {
        match &mut self.output {
            Output::Bar(slot) => {
                if let Some(bar) = slot.take() {
                    bar.finish_and_clear();
                }
            }
            Output::Plain(writer) => _ = writer.flush(),
            Output::Hidden => {}
        }
    }
}

impl Drop for Progress {
    /// A run that ends early (an error, a panic) leaves no half-drawn bar.
    fn drop(&mut self) {
        self.finish();
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.output {
            Output::Bar(_) => "bar",
            Output::Plain(_) => "plain",
            Output::Hidden => "hidden",
        };
        f.debug_struct("Progress")
            .field("mode", &mode)
            .field("epochs", &self.epochs)
            .field("batches_per_epoch", &self.batches_per_epoch)
            .field("epoch", &self.epoch)
            .finish()
    }
}

/// The one-line summary of an epoch: `epoch 3/20  train_loss 0.4123
/// [train_<m> ...]  val_loss 0.4567  [val_<m> ...]  lr 1.0e-3  2.31 s
/// 12345 ex/s` (validation entries only when the record has them; `/20`
/// only when the number of epochs is known, that is `epochs > 0`).
pub fn epoch_summary(record: &EpochRecord, epochs: usize) -> String {
    let mut parts = vec![
        epoch_label(record.epoch, epochs),
        format!("train_loss {}", format_value(record.train_loss)),
    ];
    for (name, value) in &record.train_metrics {
        parts.push(format!("train_{name} {}", format_value(*value)));
    }
    if let Some(val_loss) = record.val_loss {
        parts.push(format!("val_loss {}", format_value(val_loss)));
    }
    for (name, value) in &record.val_metrics {
        parts.push(format!("val_{name} {}", format_value(*value)));
    }
    parts.push(format!("lr {:.1e}", record.lr));
    parts.push(format!("{:.2} s", record.seconds));
    parts.push(format!("{:.0} ex/s", record.examples_per_second));
    parts.join("  ")
}

fn epoch_label(epoch: usize, epochs: usize) -> String {
    if epochs > 0 {
        format!("epoch {epoch}/{epochs}")
    } else {
        format!("epoch {epoch}")
    }
}

/// Four decimals in the usual range of losses and metrics, scientific
/// notation outside it (a loss of 3e-7 would read 0.0000).
fn format_value(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-3..1e5).contains(&x.abs()) {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

fn per_second(examples: usize, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        examples as f64 / seconds
    } else {
        0.0
    }
}
