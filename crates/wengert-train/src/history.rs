//! The record of a run: one [`EpochRecord`] per epoch and one
//! [`StepRecord`] per optimizer step, with named columns to read curves
//! from, and JSON and CSV files that give back exactly what was written.
//!
//! Files are written atomically (a temporary file in the same directory,
//! flushed and synced, then renamed over the target), so a crash leaves
//! the old file or the new one, never half of one.
//!
//! JSON cannot hold NaN or infinities (serde_json would write `null`, which
//! does not read back as a number), and a diverged run has them: in the
//! JSON of a history, a non-finite number is written as one of the strings
//! `"NaN"`, `"inf"`, `"-inf"` (Rust's own spelling, as in the CSV); every
//! finite number is a JSON number, written with the fewest digits that read
//! back to the same bits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::metric_values::Metrics;

/// What happened in one epoch: losses, metrics, learning rate, gradient
/// health and speed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch, 1-based.
    pub epoch: usize,
    /// Optimizer steps taken so far in the run (cumulative).
    pub steps: usize,
    /// Mean training loss over the epoch's examples.
    #[serde(with = "json_f64")]
    pub train_loss: f64,
    /// Training metrics by name (`accuracy`, `mse`, ...).
    #[serde(with = "json_f64_map", default)]
    pub train_metrics: Metrics,
    /// Mean validation loss, when the run has a validation set.
    #[serde(with = "json_f64_option", default)]
    pub val_loss: Option<f64>,
    /// Validation metrics by name.
    #[serde(with = "json_f64_map", default)]
    pub val_metrics: Metrics,
    /// The learning rate at the end of the epoch.
    #[serde(with = "json_f64")]
    pub lr: f64,
    /// Mean over the epoch's steps of the global gradient norm before
    /// clipping.
    #[serde(with = "json_f64")]
    pub grad_norm: f64,
    /// Wall time of the epoch in seconds, validation included.
    #[serde(with = "json_f64")]
    pub seconds: f64,
    /// Training examples per second of training time.
    #[serde(with = "json_f64")]
    pub examples_per_second: f64,
    /// Gradient health: the gradient norm of each layer (by module path).
    #[serde(with = "json_f64_map", default)]
    pub layer_grad_norms: BTreeMap<String, f64>,
    /// Gradient health: `||update|| / ||weight||` of each layer.
    #[serde(with = "json_f64_map", default)]
    pub update_ratios: BTreeMap<String, f64>,
}

/// One optimizer step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step, 1-based and counted over the whole run.
    pub step: usize,
    /// The epoch it belongs to, 1-based.
    pub epoch: usize,
    /// The batch's loss.
    #[serde(with = "json_f64")]
    pub loss: f64,
    /// The learning rate the step used.
    #[serde(with = "json_f64")]
    pub lr: f64,
    /// The global gradient norm before clipping.
    #[serde(with = "json_f64")]
    pub grad_norm: f64,
    /// Mean validation loss after this step, at the steps
    /// [`Trainer::validate_every`](crate::Trainer::validate_every) asks for.
    #[serde(with = "json_f64_option", default)]
    pub val_loss: Option<f64>,
    /// Validation metrics by name after this step (empty at other steps).
    #[serde(with = "json_f64_map", default)]
    pub val_metrics: Metrics,
}

/// Everything a run recorded, epoch by epoch and step by step.
///
/// Columns are read by name with [`History::series`]; files round-trip
/// exactly (NaN and infinities included).
///
/// ```
/// use wengert_train::{EpochRecord, History};
///
/// let mut history = History::default();
/// for (epoch, (train, val)) in [(0.9, 0.8), (0.5, 0.6), (0.3, 0.65)].into_iter().enumerate() {
///     history.epochs.push(EpochRecord {
///         epoch: epoch + 1,
///         train_loss: train,
///         val_loss: Some(val),
///         ..Default::default()
///     });
/// }
/// assert_eq!(history.series("val_loss").unwrap(), vec![0.8, 0.6, 0.65]);
/// assert_eq!(history.best_epoch("val_loss", false).unwrap().epoch, 2);
///
/// let path = std::env::temp_dir().join(format!("history-doc-{}.json", std::process::id()));
/// history.save_json(&path).unwrap();
/// assert_eq!(History::load_json(&path).unwrap(), history);
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One record per epoch, in order.
    pub epochs: Vec<EpochRecord>,
    /// One record per optimizer step, in order (may be empty: CSV files and
    /// runs that do not keep steps have none).
    #[serde(default)]
    pub steps: Vec<StepRecord>,
}

impl History {
    /// A column, one value per epoch.
    ///
    /// Columns: `epoch`, `steps`, `train_loss`, `val_loss`, `lr`,
    /// `grad_norm`, `seconds`, `examples_per_second`, `train_<metric>` and
    /// `val_<metric>` (`train_accuracy`, `val_mse`, ...),
    /// `grad_norm/<layer>` and `update_ratio/<layer>`. The columns every
    /// record has give `Some` even for an empty history; the others give
    /// `None` when no epoch has the value, and NaN at epochs that lack it.
    pub fn series(&self, column: &str) -> Option<Vec<f64>> {
        let column = Column::parse(column)?;
        let values: Vec<Option<f64>> = self.epochs.iter().map(|e| column.get(e)).collect();
        if !column.always_present() && values.iter().all(Option::is_none) {
            return None;
        }
        Some(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }

    /// The epoch with the best value of `column` (highest or lowest), NaN
    /// and missing values skipped; on a tie the earliest, which is the one
    /// early stopping keeps. `None` when no epoch has a value.
    pub fn best_epoch(&self, column: &str, higher_is_better: bool) -> Option<&EpochRecord> {
        let column = Column::parse(column)?;
        let mut best: Option<(&EpochRecord, f64)> = None;
        for record in &self.epochs {
            let Some(value) = column.get(record).filter(|v| !v.is_nan()) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((_, b)) if higher_is_better => value > b,
                Some((_, b)) => value < b,
            };
            if better {
                best = Some((record, value));
            }
        }
        best.map(|(record, _)| record)
    }

    /// The metric names of any epoch, train or validation, in name order.
    pub fn metric_names(&self) -> Vec<String> {
        let names: BTreeSet<&String> = self
            .epochs
            .iter()
            .flat_map(|e| e.train_metrics.keys().chain(e.val_metrics.keys()))
            .collect();
        names.into_iter().cloned().collect()
    }

    /// The layers with a gradient norm or update ratio in any epoch, in name
    /// order.
    pub fn layer_names(&self) -> Vec<String> {
        let names: BTreeSet<&String> = self
            .epochs
            .iter()
            .flat_map(|e| e.layer_grad_norms.keys().chain(e.update_ratios.keys()))
            .collect();
        names.into_iter().cloned().collect()
    }

    /// Writes the history as JSON (epochs and steps), atomically. Non-finite
    /// numbers are written as `"NaN"`, `"inf"`, `"-inf"` (see the module
    /// docs).
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let json = serde_json::to_vec_pretty(self).map_err(|e| TrainError::Format {
            path: path.to_path_buf(),
            why: format!("cannot encode the history as JSON: {e}"),
        })?;
        write_atomically(path, "writing history", &json)
    }

    /// Reads a history written by [`History::save_json`].
    pub fn load_json(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| TrainError::Io {
            op: "reading history",
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| TrainError::Format {
            path: path.to_path_buf(),
            // serde_json's message ends with "at line L column C".
            why: format!("expected a training history (a JSON object with `epochs`): {e}"),
        })
    }

    /// Writes one CSV row per epoch, atomically.
    ///
    /// The header is `epoch,steps,train_loss,val_loss`, then
    /// `train_<m>,val_<m>` for each metric `m` in name order (a column only
    /// where some epoch has the value), then
    /// `lr,grad_norm,seconds,examples_per_second`, then `grad_norm/<layer>`
    /// for each layer and `update_ratio/<layer>` for each layer, in name
    /// order. A missing value is an empty cell; numbers are written with
    /// Rust's `{}` (shortest digits that read back to the same bits; `NaN`,
    /// `inf`, `-inf`). Names with a comma or a quote are quoted (RFC 4180);
    /// a name with a line break, or a metric named `loss` (its columns
    /// would be the loss columns), cannot be written and is an error.
    ///
    /// The CSV holds the epochs only: [`History::load_csv`] gives back
    /// `steps` empty.
    pub fn save_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let columns = self.csv_columns();
        let mut text = String::new();
        for (i, column) in columns.iter().enumerate() {
            let name = column.header();
            if name.contains(['\n', '\r']) {
                return Err(TrainError::Format {
                    path: path.to_path_buf(),
                    why: format!(
                        "cannot write column {name:?} to CSV: names must not contain line breaks"
                    ),
                });
            }
            if matches!(column, Column::Train(m) | Column::Val(m) if m == "loss") {
                return Err(TrainError::Format {
                    path: path.to_path_buf(),
                    why: format!("cannot write metric `loss` to CSV: its column `{name}` is the loss column; rename the metric"),
                });
            }
            if i > 0 {
                text.push(',');
            }
            push_csv_field(&mut text, &name);
        }
        text.push('\n');
        for record in &self.epochs {
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                match column {
                    Column::Epoch => write!(text, "{}", record.epoch),
                    Column::Steps => write!(text, "{}", record.steps),
                    other => match other.get(record) {
                        Some(value) => write!(text, "{value}"),
                        None => Ok(()),
                    },
                }
                .expect("writing to a String cannot fail");
            }
            text.push('\n');
        }
        write_atomically(path, "writing history", text.as_bytes())
    }

    /// Reads a CSV written by [`History::save_csv`]: the epochs equal those
    /// written, and `steps` is empty (the CSV holds no steps).
    ///
    /// Columns may come in any order; `epoch`, `steps`, `train_loss`, `lr`,
    /// `grad_norm`, `seconds` and `examples_per_second` are required. A bad
    /// cell is an error naming its line and column.
    pub fn load_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|source| TrainError::Io {
            op: "reading history",
            path: path.to_path_buf(),
            source,
        })?;
        parse_csv(&text).map_err(|why| TrainError::Format {
            path: path.to_path_buf(),
            why,
        })
    }

    /// The CSV columns, in the order [`History::save_csv`] documents.
    fn csv_columns(&self) -> Vec<Column> {
        let mut columns = vec![
            Column::Epoch,
            Column::Steps,
            Column::TrainLoss,
            Column::ValLoss,
        ];
        for metric in self.metric_names() {
            for column in [Column::Train(metric.clone()), Column::Val(metric)] {
                if self.epochs.iter().any(|e| column.get(e).is_some()) {
                    columns.push(column);
                }
            }
        }
        columns.extend([
            Column::Lr,
            Column::GradNorm,
            Column::Seconds,
            Column::ExamplesPerSecond,
        ]);
        let layers: BTreeSet<&String> = self
            .epochs
            .iter()
            .flat_map(|e| e.layer_grad_norms.keys())
            .collect();
        columns.extend(layers.into_iter().map(|l| Column::LayerGradNorm(l.clone())));
        let layers: BTreeSet<&String> = self
            .epochs
            .iter()
            .flat_map(|e| e.update_ratios.keys())
            .collect();
        columns.extend(layers.into_iter().map(|l| Column::UpdateRatio(l.clone())));
        columns
    }
}

/// A named column of the epoch records: what [`History::series`] reads and
/// a CSV header holds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Column {
    Epoch,
    Steps,
    TrainLoss,
    ValLoss,
    Train(String),
    Val(String),
    Lr,
    GradNorm,
    Seconds,
    ExamplesPerSecond,
    LayerGradNorm(String),
    UpdateRatio(String),
}

impl Column {
    /// The column a name refers to; `None` for no column.
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "epoch" => Column::Epoch,
            "steps" => Column::Steps,
            "train_loss" => Column::TrainLoss,
            "val_loss" => Column::ValLoss,
            "lr" => Column::Lr,
            "grad_norm" => Column::GradNorm,
            "seconds" => Column::Seconds,
            "examples_per_second" => Column::ExamplesPerSecond,
            _ => {
                if let Some(layer) = name.strip_prefix("grad_norm/") {
                    Column::LayerGradNorm(layer.to_string())
                } else if let Some(layer) = name.strip_prefix("update_ratio/") {
                    Column::UpdateRatio(layer.to_string())
                } else if let Some(metric) = name.strip_prefix("train_") {
                    Column::Train(metric.to_string())
                } else if let Some(metric) = name.strip_prefix("val_") {
                    Column::Val(metric.to_string())
                } else {
                    return None;
                }
            }
        })
    }

    fn header(&self) -> String {
        match self {
            Column::Epoch => "epoch".into(),
            Column::Steps => "steps".into(),
            Column::TrainLoss => "train_loss".into(),
            Column::ValLoss => "val_loss".into(),
            Column::Train(m) => format!("train_{m}"),
            Column::Val(m) => format!("val_{m}"),
            Column::Lr => "lr".into(),
            Column::GradNorm => "grad_norm".into(),
            Column::Seconds => "seconds".into(),
            Column::ExamplesPerSecond => "examples_per_second".into(),
            Column::LayerGradNorm(l) => format!("grad_norm/{l}"),
            Column::UpdateRatio(l) => format!("update_ratio/{l}"),
        }
    }

    /// Whether every record has this column (the others may be missing).
    fn always_present(&self) -> bool {
        !matches!(
            self,
            Column::ValLoss
                | Column::Train(_)
                | Column::Val(_)
                | Column::LayerGradNorm(_)
                | Column::UpdateRatio(_)
        )
    }

    fn get(&self, e: &EpochRecord) -> Option<f64> {
        match self {
            Column::Epoch => Some(e.epoch as f64),
            Column::Steps => Some(e.steps as f64),
            Column::TrainLoss => Some(e.train_loss),
            Column::ValLoss => e.val_loss,
            Column::Train(m) => e.train_metrics.get(m).copied(),
            Column::Val(m) => e.val_metrics.get(m).copied(),
            Column::Lr => Some(e.lr),
            Column::GradNorm => Some(e.grad_norm),
            Column::Seconds => Some(e.seconds),
            Column::ExamplesPerSecond => Some(e.examples_per_second),
            Column::LayerGradNorm(l) => e.layer_grad_norms.get(l).copied(),
            Column::UpdateRatio(l) => e.update_ratios.get(l).copied(),
        }
    }

    /// Stores one non-empty CSV cell; the message says what was expected.
    fn set(&self, e: &mut EpochRecord, cell: &str) -> std::result::Result<(), String> {
        let number = || {
            cell.parse::<f64>()
                .map_err(|_| format!("expected a number (or NaN, inf, -inf), found {cell:?}"))
        };
        let count = || {
            cell.parse::<usize>()
                .map_err(|_| format!("expected a non-negative integer, found {cell:?}"))
        };
        match self {
            Column::Epoch => e.epoch = count()?,
            Column::Steps => e.steps = count()?,
            Column::TrainLoss => e.train_loss = number()?,
            Column::ValLoss => e.val_loss = Some(number()?),
            Column::Train(m) => _ = e.train_metrics.insert(m.clone(), number()?),
            Column::Val(m) => _ = e.val_metrics.insert(m.clone(), number()?),
            Column::Lr => e.lr = number()?,
            Column::GradNorm => e.grad_norm = number()?,
            Column::Seconds => e.seconds = number()?,
            Column::ExamplesPerSecond => e.examples_per_second = number()?,
            Column::LayerGradNorm(l) => _ = e.layer_grad_norms.insert(l.clone(), number()?),
            Column::UpdateRatio(l) => _ = e.update_ratios.insert(l.clone(), number()?),
        }
        Ok(())
    }
}

/// The columns every CSV history must have.
const REQUIRED_COLUMNS: [Column; 7] = [
    Column::Epoch,
    Column::Steps,
    Column::TrainLoss,
    Column::Lr,
    Column::GradNorm,
    Column::Seconds,
    Column::ExamplesPerSecond,
];

/// Appends `field`, quoted when it holds a comma or a quote.
fn push_csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// The fields of one CSV line (no line breaks inside fields), or what is
/// wrong with it and at which column.
fn split_csv_line(line: &str, line_no: usize) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let column = fields.len() + 1;
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(format!(
                            "line {line_no}, column {column}: a quoted field has no closing quote"
                        ))
                    }
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => {
                    return Err(format!(
                        "line {line_no}, column {column}: expected a comma after the closing quote, found {c:?}"
                    ))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => {
                        return Err(format!(
                            "line {line_no}, column {column}: a quote inside an unquoted field"
                        ))
                    }
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// Parses the CSV of [`History::save_csv`]; errors name line and column.
fn parse_csv(text: &str) -> std::result::Result<History, String> {
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l));
    let expected_header = "a header line starting `epoch,steps,train_loss,val_loss,...`";
    let (_, header) = lines
        .next()
        .filter(|(_, l)| !l.is_empty())
        .ok_or_else(|| format!("line 1: the file is empty; expected {expected_header}"))?;
    let names = split_csv_line(header, 1)?;
    let mut columns: Vec<Column> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let column = Column::parse(name).ok_or_else(|| {
            format!(
                "line 1, column {}: unknown column {name:?}; expected epoch, steps, train_loss, val_loss, lr, grad_norm, seconds, examples_per_second, train_<metric>, val_<metric>, grad_norm/<layer> or update_ratio/<layer>",
                i + 1
            )
        })?;
        if let Some(first) = columns.iter().position(|c| *c == column) {
            return Err(format!(
                "line 1, column {}: column {name:?} repeats column {}",
                i + 1,
                first + 1
            ));
        }
        columns.push(column);
    }
    if let Some(missing) = REQUIRED_COLUMNS.iter().find(|c| !columns.contains(c)) {
        return Err(format!(
            "line 1: the header has no `{}` column; expected {expected_header}",
            missing.header()
        ));
    }
    let mut history = History::default();
    for (line_no, line) in lines {
        if line.is_empty() {
            continue;
        }
        let cells = split_csv_line(line, line_no)?;
        if cells.len() != columns.len() {
            return Err(format!(
                "line {line_no}: {} fields, but the header has {} columns",
                cells.len(),
                columns.len()
            ));
        }
        let mut record = EpochRecord::default();
        for (i, (column, cell)) in columns.iter().zip(&cells).enumerate() {
            let at = || format!("line {line_no}, column {} ({})", i + 1, column.header());
            if cell.is_empty() {
                if column.always_present() {
                    return Err(format!("{}: empty, but every epoch has this value", at()));
                }
                continue;
            }
            column
                .set(&mut record, cell)
                .map_err(|why| format!("{}: {why}", at()))?;
        }
        history.epochs.push(record);
    }
    Ok(history)
}

/// A path beside `path` (same directory, so a rename onto `path` is atomic)
/// that no other writer uses: `.<name>.tmp-<pid>-<n>.<extension>`, keeping
/// the extension for writers that pick the format by it.
pub(crate) fn temp_path_beside(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name = format!(".{stem}.tmp-{}-{n}", std::process::id());
    if let Some(extension) = path.extension() {
        name.push('.');
        name.push_str(&extension.to_string_lossy());
    }
    path.with_file_name(name)
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, flushed
/// and synced to disk, then renamed over `path`.
pub(crate) fn write_atomically(path: &Path, op: &'static str, bytes: &[u8]) -> Result<()> {
    let temp = temp_path_beside(path);
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.flush()?;
        file.sync_all()
    })();
    if let Err(source) = written {
        _ = fs::remove_file(&temp);
        return Err(TrainError::Io {
            op,
            path: path.to_path_buf(),
            source,
        });
    }
    rename_into_place(&temp, path, op)
}

/// Syncs the finished file `temp` and renames it over `path` (removing
/// `temp` on failure).
pub(crate) fn rename_into_place(temp: &Path, path: &Path, op: &'static str) -> Result<()> {
    let moved = fs::File::open(temp)
        .and_then(|f| f.sync_all())
        .and_then(|()| fs::rename(temp, path));
    if let Err(source) = moved {
        _ = fs::remove_file(temp);
        return Err(TrainError::Io {
            op,
            path: path.to_path_buf(),
            source,
        });
    }
    // Make the rename itself durable. Best effort: the new file is already
    // in place, and not every platform can open a directory to sync it.
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(dir) = fs::File::open(dir) {
            _ = dir.sync_all();
        }
    }
    Ok(())
}

/// An f64 in JSON: a number when finite, else `"NaN"`, `"inf"` or `"-inf"`.
struct JsonF64(f64);

impl Serialize for JsonF64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for JsonF64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = JsonF64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"a number, or one of the strings "NaN", "inf", "-inf""#)
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> std::result::Result<JsonF64, E> {
                Ok(JsonF64(x))
            }
            fn visit_i64<E: serde::de::Error>(self, x: i64) -> std::result::Result<JsonF64, E> {
                Ok(JsonF64(x as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, x: u64) -> std::result::Result<JsonF64, E> {
                Ok(JsonF64(x as f64))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<JsonF64, E> {
                match s {
                    "NaN" => Ok(JsonF64(f64::NAN)),
                    "inf" => Ok(JsonF64(f64::INFINITY)),
                    "-inf" => Ok(JsonF64(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `#[serde(with)]` for an f64 field: see [`JsonF64`].
mod json_f64 {
    use super::JsonF64;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        JsonF64(*x).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        JsonF64::deserialize(d).map(|x| x.0)
    }
}

/// `#[serde(with)]` for an `Option<f64>` field (`null` for `None`).
mod json_f64_option {
    use super::JsonF64;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        x.map(JsonF64).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<JsonF64>::deserialize(d)?.map(|x| x.0))
    }
}

/// `#[serde(with)]` for a map of f64 values.
mod json_f64_map {
    use std::collections::BTreeMap;

    use super::JsonF64;
    use serde::{Deserialize, Deserializer, Serializer};

    /// For a `BTreeMap<String, f64>` and for [`Metrics`](crate::Metrics).
    pub fn serialize<M, S>(map: &M, s: S) -> Result<S::Ok, S::Error>
    where
        M: std::borrow::Borrow<BTreeMap<String, f64>>,
        S: Serializer,
    {
        s.collect_map(map.borrow().iter().map(|(k, &v)| (k, JsonF64(v))))
    }

    pub fn deserialize<'de, M, D>(d: D) -> Result<M, D::Error>
    where
        M: From<BTreeMap<String, f64>>,
        D: Deserializer<'de>,
    {
        let map = BTreeMap::<String, JsonF64>::deserialize(d)?;
        Ok(M::from(map.into_iter().map(|(k, v)| (k, v.0)).collect()))
    }
}
