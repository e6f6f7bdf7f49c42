//! The score of each configuration of a sweep, with its spread across
//! folds, as an SVG plot (behind the `plot` feature).

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Result, TrainError};
use crate::history::write_atomically;
use crate::plot::register_font;
use crate::selection::report::SweepReport;

/// Draws `report` into the SVG file `path`: one column per configuration
/// (in sweep order, labelled by the configuration), every fold's score as
/// a small circle, the mean as a filled blue dot and a bar from mean - std to
/// mean + std (sample standard deviation). The chosen configuration's
/// label is marked with `*`.
///
/// ```
/// use wengert_train::selection::{plot_sweep, Config, ConfigResult, CvResult, FoldResult, Score, SweepReport};
/// use wengert_train::History;
///
/// let fold = |fold, score| FoldResult { fold, epoch: 1, score, history: History::default(), train_score: None };
/// let result = |index, lr: f64, scores: [f64; 3]| ConfigResult {
///     index,
///     config: Config::new().with("lr", lr),
///     cv: CvResult::from_folds(scores.iter().enumerate().map(|(i, &s)| fold(i, s)).collect()),
/// };
/// let report = SweepReport {
///     score: Score::best("val_accuracy", true),
///     results: vec![result(0, 0.1, [0.8, 0.82, 0.79]), result(1, 0.01, [0.9, 0.93, 0.91])],
/// };
/// let path = std::env::temp_dir().join(format!("sweep-doc-{}.svg", std::process::id()));
/// plot_sweep(&report, &path)?;
/// assert!(std::fs::read_to_string(&path)?.contains("lr=0.01"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plot_sweep(report: &SweepReport, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    if path.extension().and_then(|e| e.to_str()) != Some("svg") {
        return Err(TrainError::Config {
            what: "plot_sweep",
            why: format!(
                "writes SVG: the path must end in .svg, got {}",
                path.display()
            ),
        });
    }
    let values: Vec<f64> = report
        .results
        .iter()
        .flat_map(|r| {
            let spread = r.cv.std.unwrap_or(0.0);
            r.cv.scores()
                .into_iter()
                .chain([r.cv.mean - spread, r.cv.mean + spread])
        })
        .filter(|v| v.is_finite())
        .collect();
    if report.results.is_empty() || values.is_empty() {
        return Err(TrainError::Config {
            what: "plot_sweep",
            why: "nothing to plot: no configuration has a finite score".into(),
        });
    }
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((high - low) * 0.08).max(1e-6);
    let best = report.best().ok().map(|b| b.index);
    let labels: Vec<String> = report
        .results
        .iter()
        .map(|r| {
            let mark = if Some(r.index) == best { "* " } else { "" };
            format!("{mark}{}", r.config)
        })
        .collect();

    register_font();
    let failed = |e: String| TrainError::Io {
        op: "drawing plot",
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    let n = report.results.len();
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (240 + 160 * n as u32, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
        let title = format!(
            "{} by configuration ({} folds, mean ± std)",
            report.score.column,
            report.results[0].cv.folds.len()
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((0..n).into_segmented(), (low - pad)..(high + pad))
            .map_err(|e| failed(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc(report.score.column.as_str())
            .draw()
            .map_err(|e| failed(e.to_string()))?;
        for (i, result) in report.results.iter().enumerate() {
            let x = SegmentValue::CenterOf(i);
            if let Some(std) = result.cv.std.filter(|s| s.is_finite()) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![
                            (x.clone(), result.cv.mean - std),
                            (x.clone(), result.cv.mean + std),
                        ],
                        BLUE.stroke_width(2),
                    )))
                    .map_err(|e| failed(e.to_string()))?;
            }
            let folds = result.cv.scores().into_iter().filter(|s| s.is_finite());
            chart
                .draw_series(folds.map(|s| Circle::new((x.clone(), s), 4, BLACK.stroke_width(1))))
                .map_err(|e| failed(e.to_string()))?;
            if result.cv.mean.is_finite() {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (x.clone(), result.cv.mean),
                        6,
                        BLUE.filled(),
                    )))
                    .map_err(|e| failed(e.to_string()))?;
            }
        }
        root.present().map_err(|e| failed(e.to_string()))?;
    }
    write_atomically(path, "writing plot", svg.as_bytes())
}
