//! Plots of a [`History`]: learning curves, per-layer gradient norms and the
//! learning rate, as SVG or PNG files (the extension decides).
//!
//! Everything here builds with nothing but a Rust toolchain: plotters draws
//! text through its pure-Rust `ab_glyph` path with a font shipped inside
//! this crate (a subset of DejaVu Sans, `assets/DejaVuSans-subset.ttf`,
//! under the Bitstream Vera license beside it), instead of asking the
//! system's fontconfig for one, which needs C libraries and their
//! development files to build. [`register_font`] installs that font in
//! plotters once; the plot functions call it, and code that draws with
//! plotters directly calls it before its first text.
//!
//! Files are written atomically (a temporary file beside the target, then a
//! rename), like histories and checkpoints.

use std::error::Error;
use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::error::{Result, TrainError};
use crate::history::{rename_into_place, temp_path_beside, write_atomically, History};

/// The font plots are drawn with: DejaVu Sans cut down to printable ASCII,
/// Latin-1, Greek and a few signs (29 KB; see `assets/LICENSE-DejaVu.txt`).
pub static FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");

/// Registers [`FONT`] with plotters for the `sans-serif`, `serif` and
/// `monospace` families (every style falls back to it), once per process.
///
/// With plotters' `ab_glyph` text path, text fails to draw until a font is
/// registered; call this before drawing with plotters directly (the plot
/// functions of this module call it themselves).
pub fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            // A font that does not parse is a broken build, not a runtime
            // condition: the test suite loads it.
            if plotters::style::register_font(family, FontStyle::Normal, FONT).is_err() {
                panic!("wengert-train: the embedded plot font does not parse as TrueType");
            }
        }
    });
}

/// The size and title of a plot.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotOptions {
    /// Width and height in pixels (SVG user units for `.svg`).
    pub size: (u32, u32),
    /// The title above the plot; `None` for the plot's own.
    pub title: Option<String>,
    /// Draws the loss panel of [`plot_learning_curves_with`] on a log
    /// scale, as the text draws its under- and overfitting curves: losses
    /// that differ by decades (a train loss of 0.4 beside a test loss of
    /// 100) stay readable.
    pub log_loss: bool,
}

impl Default for PlotOptions {
    /// 900 x 600 pixels, the plot's own title, a linear loss axis.
    fn default() -> Self {
        Self {
            size: (900, 600),
            title: None,
            log_loss: false,
        }
    }
}

/// Learning curves: training and validation loss by epoch, and, when
/// `metric` is given (`"accuracy"`, `"mse"`, ...), its training and
/// validation curves in a second panel below. The gap between the curves
/// is the generalization gap; a validation curve that turns up while the
/// training curve keeps falling is overfitting.
///
/// `path` ends in `.svg` or `.png`. Missing, non-finite or huge (beyond
/// 1e300) values break a curve instead of stretching the axis.
///
/// ```
/// use wengert_train::plot::plot_learning_curves;
/// use wengert_train::{EpochRecord, History};
///
/// let mut history = History::default();
/// for epoch in 1..=5 {
///     let mut record = EpochRecord {
///         epoch,
///         train_loss: 1.0 / epoch as f64,
///         val_loss: Some(1.2 / epoch as f64 + 0.05 * epoch as f64),
///         ..Default::default()
///     };
///     record.val_metrics.insert("accuracy".into(), 0.5 + 0.08 * epoch as f64);
///     history.epochs.push(record);
/// }
/// let path = std::env::temp_dir().join(format!("curves-doc-{}.svg", std::process::id()));
/// plot_learning_curves(&history, Some("accuracy"), &path).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn plot_learning_curves(
    history: &History,
    metric: Option<&str>,
    path: impl AsRef<Path>,
) -> Result<()> {
    plot_learning_curves_with(history, metric, path, &PlotOptions::default())
}

/// [`plot_learning_curves`] with a size and title.
pub fn plot_learning_curves_with(
    history: &History,
    metric: Option<&str>,
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<()> {
    let path = path.as_ref();
    let kind = FileKind::of(path, options)?;
    let what = "plot_learning_curves";
    if history.epochs.is_empty() {
        return Err(nothing_to_plot(what, "the history has no epochs"));
    }
    let epochs = history.series("epoch").unwrap_or_default();
    let mut panels = vec![Panel {
        title: "loss".into(),
        y_label: "loss".into(),
        log_y: options.log_loss,
        curves: [("train", "train_loss"), ("validation", "val_loss")]
            .into_iter()
            .filter_map(|(label, column)| {
                Some(Curve::new(label, &epochs, &history.series(column)?))
            })
            .collect(),
    }];
    if let Some(metric) = metric {
        let curves: Vec<Curve> = [("train", "train_"), ("validation", "val_")]
            .into_iter()
            .filter_map(|(label, prefix)| {
                let values = history.series(&format!("{prefix}{metric}"))?;
                Some(Curve::new(label, &epochs, &values))
            })
            .collect();
        if curves.is_empty() {
            return Err(nothing_to_plot(
                what,
                &format!(
                    "no metric `{metric}` in the history (its metrics: {})",
                    list_or_none(&history.metric_names())
                ),
            ));
        }
        panels.push(Panel {
            title: metric.to_string(),
            y_label: metric.to_string(),
            log_y: false,
            curves,
        });
    }
    let figure = Figure {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| "learning curves".into()),
        x_label: "epoch".into(),
        integer_x: true,
        panels,
        marks: vec![],
    };
    kind.render(path, options.size, &figure)
}

/// The gradient norm of every layer by epoch, on a log scale (vanishing
/// gradients show as curves falling decades below the others, exploding
/// ones as curves climbing). Reads `EpochRecord::layer_grad_norms`, which
/// gradient-health monitoring fills; zero and non-finite norms leave gaps.
pub fn plot_grad_norms(history: &History, path: impl AsRef<Path>) -> Result<()> {
    plot_grad_norms_with(history, path, &PlotOptions::default())
}

/// [`plot_grad_norms`] with a size and title.
pub fn plot_grad_norms_with(
    history: &History,
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<()> {
    let path = path.as_ref();
    let kind = FileKind::of(path, options)?;
    let epochs = history.series("epoch").unwrap_or_default();
    let curves: Vec<Curve> = history
        .layer_names()
        .into_iter()
        .filter_map(|layer| {
            let values = history.series(&format!("grad_norm/{layer}"))?;
            Some(Curve::new(&layer, &epochs, &values))
        })
        .collect();
    if curves.is_empty() {
        return Err(nothing_to_plot(
            "plot_grad_norms",
            "the history has no per-layer gradient norms (turn on gradient-health monitoring)",
        ));
    }
    let figure = Figure {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| "gradient norm by layer".into()),
        x_label: "epoch".into(),
        integer_x: true,
        marks: vec![],
        panels: vec![Panel {
            title: String::new(),
            y_label: "gradient norm".into(),
            log_y: true,
            curves,
        }],
    };
    kind.render(path, options.size, &figure)
}

/// The learning rate by optimizer step, from the history's step records
/// (or, for a history without them, such as one read from CSV, the rate at
/// the end of each epoch against the steps taken by then). A log scale is
/// used when the rate spans two decades or more, so every phase of a decay
/// stays visible.
pub fn plot_lr(history: &History, path: impl AsRef<Path>) -> Result<()> {
    plot_lr_with(history, path, &PlotOptions::default())
}

/// [`plot_lr`] with a size and title.
pub fn plot_lr_with(
    history: &History,
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<()> {
    let path = path.as_ref();
    let kind = FileKind::of(path, options)?;
    let (steps, lr): (Vec<f64>, Vec<f64>) = if history.steps.is_empty() {
        history
            .epochs
            .iter()
            .map(|e| (e.steps as f64, e.lr))
            .unzip()
    } else {
        history.steps.iter().map(|s| (s.step as f64, s.lr)).unzip()
    };
    if steps.is_empty() {
        return Err(nothing_to_plot(
            "plot_lr",
            "the history has no steps and no epochs",
        ));
    }
    let finite: Vec<f64> = lr.iter().copied().filter(|x| x.is_finite()).collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let log_y = lo > 0.0 && hi / lo >= 100.0;
    let figure = Figure {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| "learning rate".into()),
        x_label: "step".into(),
        integer_x: true,
        marks: vec![],
        panels: vec![Panel {
            title: String::new(),
            y_label: "learning rate".into(),
            log_y,
            curves: vec![Curve::new("lr", &steps, &lr)],
        }],
    };
    kind.render(path, options.size, &figure)
}

/// One named line of a [`Chart`]: its points `(x, y)` in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend label.
    pub label: String,
    /// The points; a non-finite or huge value breaks the line.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A line named `label` through `points`.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
        }
    }
}

/// One chart of [`plot_charts`]: its lines, the y axis's label and scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The caption above the chart (empty for none).
    pub title: String,
    /// The y axis's label.
    pub y_label: String,
    /// A log scale on y (values at or below zero break the lines).
    pub log_y: bool,
    /// The lines.
    pub series: Vec<Series>,
}

/// Any measured curves, for what the history plots do not cover: a test
/// loss against the penalty's lambda, a loss against the examples seen,
/// one line per optimizer. Charts are stacked top to bottom and share the
/// x axis's label; `options.title` is the figure's title (`title` when
/// `None`).
///
/// ```
/// use wengert_train::plot::{plot_charts, Chart, PlotOptions, Series};
///
/// let chart = Chart {
///     title: String::new(),
///     y_label: "test loss".into(),
///     log_y: true,
///     series: vec![Series::new("L2", vec![(0.0, 50.0), (1.0, 0.5), (3.0, 0.01)])],
/// };
/// let path = std::env::temp_dir().join(format!("charts-doc-{}.svg", std::process::id()));
/// plot_charts("weight decay", "lambda", &[chart], &path, &PlotOptions::default()).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn plot_charts(
    title: &str,
    x_label: &str,
    charts: &[Chart],
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<()> {
    plot_charts_marked(title, x_label, charts, &[], path, options)
}

/// A vertical dashed line at `x` across every chart of a figure, named in
/// the legend: a point of the run that the curves alone do not show, such
/// as the epoch early stopping stopped at and the epoch whose weights it
/// kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// The legend label.
    pub label: String,
    /// Where the line stands on the x axis (a non-finite `x` is not drawn).
    pub x: f64,
}

impl Mark {
    /// A line named `label` at `x`.
    pub fn new(label: impl Into<String>, x: f64) -> Self {
        Mark {
            label: label.into(),
            x,
        }
    }
}

/// [`plot_charts`] with [`Mark`]s: each mark is a vertical dashed line
/// across every chart (the x axis widens to show it), in black with a dash
/// pattern of its own, listed in the legend after the curves.
///
/// ```
/// use wengert_train::plot::{plot_charts_marked, Chart, Mark, PlotOptions, Series};
///
/// let val: Vec<(f64, f64)> = (1..=8).map(|e| (e as f64, (e as f64 - 4.0).powi(2) + 1.0)).collect();
/// let chart = Chart {
///     title: String::new(),
///     y_label: "validation loss".into(),
///     log_y: false,
///     series: vec![Series::new("validation", val)],
/// };
/// let marks = [Mark::new("kept", 4.0), Mark::new("stopped", 7.0)];
/// let path = std::env::temp_dir().join(format!("marks-doc-{}.svg", std::process::id()));
/// plot_charts_marked("early stopping", "epoch", &[chart], &marks, &path, &PlotOptions::default())
///     .unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("stopped"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn plot_charts_marked(
    title: &str,
    x_label: &str,
    charts: &[Chart],
    marks: &[Mark],
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<()> {
    let path = path.as_ref();
    let kind = FileKind::of(path, options)?;
    if charts
        .iter()
        .all(|c| c.series.iter().all(|s| s.points.is_empty()))
    {
        return Err(nothing_to_plot("plot_charts", "no chart has a point"));
    }
    let figure = Figure {
        title: options.title.clone().unwrap_or_else(|| title.to_string()),
        x_label: x_label.to_string(),
        integer_x: false,
        marks: marks
            .iter()
            .filter(|m| m.x.abs() <= DRAWABLE_MAX)
            .cloned()
            .collect(),
        panels: charts
            .iter()
            .map(|c| Panel {
                title: c.title.clone(),
                y_label: c.y_label.clone(),
                log_y: c.log_y,
                curves: c
                    .series
                    .iter()
                    .map(|s| Curve {
                        label: s.label.clone(),
                        points: s.points.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    kind.render(path, options.size, &figure)
}

/// A [`TrainError::Config`] for a plot without data.
fn nothing_to_plot(what: &'static str, why: &str) -> TrainError {
    TrainError::Config {
        what,
        why: why.to_string(),
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The largest magnitude drawn; beyond it a value is a gap in its curve,
/// like infinity. Only a diverged run gets there, and an axis from -1e308
/// to 1e308 has a width f64 cannot hold (plotters would loop forever
/// looking for its ticks).
const DRAWABLE_MAX: f64 = 1e300;

/// The smallest value drawn on a log scale (zero and below have no
/// logarithm; a subnormal one would round the padded axis down to zero).
const DRAWABLE_MIN: f64 = 1e-300;

/// One line of a panel: its legend label and its points, split into runs
/// of drawable points (a missing, non-finite or huge value ends a run).
struct Curve {
    label: String,
    points: Vec<(f64, f64)>,
}

impl Curve {
    fn new(label: &str, x: &[f64], y: &[f64]) -> Self {
        Self {
            label: label.to_string(),
            points: x.iter().copied().zip(y.iter().copied()).collect(),
        }
    }

    /// The runs of consecutive points that can be drawn on this scale.
    fn runs(&self, log_y: bool) -> Vec<Vec<(f64, f64)>> {
        let drawable = |v: f64, log: bool| {
            if log {
                (DRAWABLE_MIN..=DRAWABLE_MAX).contains(&v)
            } else {
                v.abs() <= DRAWABLE_MAX
            }
        };
        let mut runs = vec![];
        let mut run = vec![];
        for &(x, y) in &self.points {
            if drawable(x, false) && drawable(y, log_y) {
                run.push((x, y));
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        runs
    }
}

/// One chart of a figure.
struct Panel {
    title: String,
    y_label: String,
    log_y: bool,
    curves: Vec<Curve>,
}

/// Panels stacked top to bottom, sharing the x axis's meaning.
struct Figure {
    title: String,
    x_label: String,
    /// The x values are counts (epochs, steps): label whole numbers only.
    integer_x: bool,
    panels: Vec<Panel>,
    /// Vertical lines across every panel.
    marks: Vec<Mark>,
}

/// Curves with more points than this are drawn without a dot per point.
const MAX_DOTS: usize = 100;

/// matplotlib's "tab10" colors, which stay apart for the color-blind.
const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

impl Figure {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, ("sans-serif", 22))?;
        let areas = root.split_evenly((self.panels.len(), 1));
        for (panel, area) in self.panels.iter().zip(&areas) {
            self.draw_panel(panel, area)?;
        }
        Ok(())
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        panel: &Panel,
        area: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let runs: Vec<Vec<Vec<(f64, f64)>>> =
            panel.curves.iter().map(|c| c.runs(panel.log_y)).collect();
        let points = || runs.iter().flatten().flatten();
        // The x axis covers the marks too: a run that stopped at epoch 7
        // with a budget of 20 still shows where it stopped.
        let x = padded_range(
            points().map(|p| p.0).chain(self.marks.iter().map(|m| m.x)),
            false,
            self.integer_x,
        );
        let y = padded_range(points().map(|p| p.1), panel.log_y, false);
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70);
        if !panel.title.is_empty() {
            builder.caption(&panel.title, ("sans-serif", 18));
        }
        let integer_x = self.integer_x;
        let x_format = move |x: &f64| {
            if !integer_x {
                format!("{x}")
            } else if (x - x.round()).abs() < 1e-9 {
                format!("{}", x.round())
            } else {
                // A tick between two counts ("epoch 1.5") means nothing.
                String::new()
            }
        };
        if panel.log_y {
            let mut chart = builder.build_cartesian_2d(x.0..x.1, (y.0..y.1).log_scale())?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&panel.y_label)
                .x_label_formatter(&x_format)
                .y_label_formatter(&|y| format!("{y:.0e}"))
                .draw()?;
            draw_curves(&mut chart, &panel.curves, &runs, &self.marks, y)?;
        } else {
            let mut chart = builder.build_cartesian_2d(x.0..x.1, y.0..y.1)?;
            chart
                .configure_mesh()
                .x_desc(&self.x_label)
                .y_desc(&panel.y_label)
                .x_label_formatter(&x_format)
                .draw()?;
            draw_curves(&mut chart, &panel.curves, &runs, &self.marks, y)?;
        }
        Ok(())
    }
}

/// Draws each curve's runs as lines, with a dot at every point when there
/// are few (a single epoch still shows; a thousand steps would smear into a
/// thick line), then each mark as a dashed vertical line from the bottom of
/// the y range `y` to its top, and a legend when there is more than one
/// line.
fn draw_curves<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    curves: &[Curve],
    runs: &[Vec<Vec<(f64, f64)>>],
    marks: &[Mark],
    y: (f64, f64),
) -> std::result::Result<(), Box<dyn Error>>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for (i, (curve, runs)) in curves.iter().zip(runs).enumerate() {
        let color = COLORS[i % COLORS.len()];
        let dots = runs.iter().map(Vec::len).sum::<usize>() <= MAX_DOTS;
        for (r, run) in runs.iter().enumerate() {
            let line = chart.draw_series(LineSeries::new(run.clone(), color.stroke_width(2)))?;
            if r == 0 {
                line.label(&curve.label).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
            if dots {
                chart.draw_series(run.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
            }
        }
    }
    for (i, mark) in marks.iter().enumerate() {
        let (dash, gap) = MARK_DASHES[i % MARK_DASHES.len()];
        let style = BLACK.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(
                [(mark.x, y.0), (mark.x, y.1)],
                dash,
                gap,
                style,
            ))?
            .label(&mark.label)
            .legend(move |(x, y)| DashedPathElement::new([(x, y), (x + 20, y)], dash, gap, style));
    }
    if curves.len() + marks.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}

/// The dash and gap lengths (pixels) of the marks, in turn: long dashes,
/// dots, then dashes in between, so two marks at nearby epochs stay apart
/// in black and white too.
const MARK_DASHES: [(u32, u32); 3] = [(10, 5), (2, 4), (6, 3)];

/// The range of `values` with a margin: 5% each side on a linear scale, a
/// quarter decade on a log scale; a usable range for one value or none.
fn padded_range(values: impl Iterator<Item = f64>, log: bool, integer: bool) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        // No drawable point: an empty chart with axes.
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        let pad = 10f64.powf(0.25);
        return (lo / pad, hi * pad);
    }
    if lo == hi {
        let pad = if integer {
            0.5
        } else {
            (lo.abs() * 0.1).max(0.5)
        };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// The file types a plot can be written as.
#[derive(Clone, Copy, Debug)]
enum FileKind {
    Svg,
    Png,
}

impl FileKind {
    /// The type `path`'s extension asks for, with the options checked.
    fn of(path: &Path, options: &PlotOptions) -> Result<Self> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let kind = match extension.as_deref() {
            Some("svg") => FileKind::Svg,
            Some("png") => FileKind::Png,
            other => {
                return Err(TrainError::Format {
                    path: path.to_path_buf(),
                    why: format!(
                    "the plot's file type follows its extension: expected .svg or .png, found {}",
                    other.map_or("no extension".to_string(), |e| format!(".{e}"))
                ),
                })
            }
        };
        let (width, height) = options.size;
        if width < 100 || height < 100 {
            return Err(TrainError::Config {
                what: "plot",
                why: format!("a plot of {width} x {height} pixels has no room for its axes; expected at least 100 x 100"),
            });
        }
        Ok(kind)
    }

    fn render(self, path: &Path, size: (u32, u32), figure: &Figure) -> Result<()> {
        register_font();
        let failed = |e: Box<dyn Error>| TrainError::Io {
            op: "drawing plot",
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        };
        match self {
            FileKind::Svg => {
                let mut svg = String::new();
                {
                    let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                    figure.draw(&root).map_err(failed)?;
                    root.present().map_err(|e| failed(e.into()))?;
                }
                write_atomically(path, "writing plot", svg.as_bytes())
            }
            FileKind::Png => {
                // The bitmap backend writes the file itself, choosing the
                // encoder by extension: draw into a .png beside the target,
                // then rename it into place.
                let temp = temp_path_beside(path);
                let drawn = (|| {
                    let root = BitMapBackend::new(&temp, size).into_drawing_area();
                    figure.draw(&root)?;
                    root.present()?;
                    Ok(())
                })();
                if let Err(e) = drawn {
                    _ = std::fs::remove_file(&temp);
                    return Err(failed(e));
                }
                rename_into_place(&temp, path, "writing plot")
            }
        }
    }
}
