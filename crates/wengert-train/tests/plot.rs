//! Plots: the files are what their extension says (an SVG that parses as
//! XML with its curves as polylines, a PNG with its signature and the
//! requested size), errors for what cannot be plotted, and the shipped
//! font.
#![cfg(feature = "plot")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wengert_train::plot::{
    plot_charts, plot_charts_marked, plot_grad_norms, plot_learning_curves,
    plot_learning_curves_with, plot_lr, plot_lr_with, register_font, Chart, Mark, PlotOptions,
    Series, FONT,
};
use wengert_train::{EpochRecord, History, StepRecord, TrainError};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wengert-train-plot-{}-{name}", std::process::id()));
    _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Six epochs of a run that starts to overfit, with accuracy and two
/// layers' gradient norms (one of them vanishing, one zero at epoch 3).
fn history() -> History {
    let mut h = History::default();
    for epoch in 1..=6 {
        let e = epoch as f64;
        let mut record = EpochRecord {
            epoch,
            steps: 10 * epoch,
            train_loss: 1.0 / e,
            val_loss: Some(1.1 / e + 0.04 * e),
            lr: 0.1 * 0.5f64.powi(epoch as i32),
            ..Default::default()
        };
        record
            .train_metrics
            .insert("accuracy".into(), 0.5 + 0.08 * e);
        record.val_metrics.insert("accuracy".into(), 0.5 + 0.05 * e);
        record.layer_grad_norms = BTreeMap::from([
            ("layers.0".to_string(), 10f64.powi(-(epoch as i32))),
            (
                "layers.2".to_string(),
                if epoch == 3 { 0.0 } else { 0.5 + 0.1 * e },
            ),
        ]);
        h.epochs.push(record);
    }
    h.steps = (1..=60)
        .map(|step| StepRecord {
            step,
            epoch: (step - 1) / 10 + 1,
            loss: 1.0,
            lr: 0.1 * 0.9f64.powi(step as i32),
            grad_norm: 1.0,
            ..Default::default()
        })
        .collect();
    h
}

/// The parsed SVG's polylines as point lists, after checking the root.
fn svg_polylines(path: &Path, size: (u32, u32)) -> (Vec<Vec<(f64, f64)>>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path:?} is not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "root element of {path:?}");
    assert_eq!(root.attribute("width"), Some(size.0.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(size.1.to_string().as_str()));
    let polylines = root
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            n.attribute("points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect();
    let texts = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect();
    (polylines, texts)
}

/// The width and height in a PNG's IHDR chunk, after checking the
/// signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "PNG signature of {path:?}"
    );
    // The first chunk: length 13, type IHDR, then width and height (big-endian).
    assert_eq!(&bytes[8..12], &13u32.to_be_bytes());
    assert_eq!(&bytes[12..16], b"IHDR");
    let word = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn learning_curves_svg_is_xml_with_an_svg_root_and_the_curves_as_polylines() {
    let dir = scratch("curves-svg");
    let path = dir.join("curves.svg");
    plot_learning_curves(&history(), Some("accuracy"), &path).unwrap();
    let (polylines, texts) = svg_polylines(&path, (900, 600));
    // Four curves of six epochs each (train and validation loss and accuracy).
    let curves = polylines.iter().filter(|p| p.len() == 6).count();
    assert_eq!(curves, 4, "polylines: {polylines:?}");
    // Every point lies inside the picture.
    for &(x, y) in polylines.iter().flatten() {
        assert!(
            (0.0..=900.0).contains(&x) && (0.0..=600.0).contains(&y),
            "({x}, {y})"
        );
    }
    // The loss falls on the train curve: y in SVG grows downward.
    let train = polylines.iter().find(|p| p.len() == 6).unwrap();
    assert!(train.windows(2).all(|w| w[1].1 > w[0].1), "{train:?}");
    for label in [
        "learning curves",
        "loss",
        "accuracy",
        "train",
        "validation",
        "epoch",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no text {label:?} in {texts:?}"
        );
    }
    // Without a metric: one panel, two curves.
    plot_learning_curves(&history(), None, &path).unwrap();
    let (polylines, _) = svg_polylines(&path, (900, 600));
    assert_eq!(polylines.iter().filter(|p| p.len() == 6).count(), 2);
}

#[test]
fn learning_curves_png_has_the_signature_and_the_requested_size() {
    let dir = scratch("curves-png");
    let path = dir.join("curves.png");
    plot_learning_curves(&history(), Some("accuracy"), &path).unwrap();
    assert_eq!(png_size(&path), (900, 600));
    let options = PlotOptions {
        size: (640, 480),
        title: Some("run 7".into()),
        ..PlotOptions::default()
    };
    plot_learning_curves_with(&history(), None, &path, &options).unwrap();
    assert_eq!(png_size(&path), (640, 480));
    // Upper case extensions count too.
    let upper = dir.join("CURVES.PNG");
    plot_learning_curves(&history(), None, &upper).unwrap();
    assert_eq!(png_size(&upper), (900, 600));
}

#[test]
fn non_finite_values_break_a_curve_instead_of_leaving_the_picture() {
    let dir = scratch("non-finite");
    let path = dir.join("curves.svg");
    let mut h = history();
    h.epochs[2].train_loss = f64::NAN;
    h.epochs[4].val_loss = Some(f64::INFINITY);
    h.epochs[5].val_loss = None;
    plot_learning_curves(&h, None, &path).unwrap();
    let (polylines, _) = svg_polylines(&path, (900, 600));
    for &(x, y) in polylines.iter().flatten() {
        assert!(
            (0.0..=900.0).contains(&x) && (0.0..=600.0).contains(&y),
            "({x}, {y})"
        );
    }
    // Train breaks into epochs 1-2 and 4-6; validation keeps epochs 1-4.
    let mut lengths: Vec<usize> = polylines.iter().map(Vec::len).filter(|&n| n > 2).collect();
    lengths.sort();
    assert!(lengths.contains(&3) && lengths.contains(&4), "{lengths:?}");
    assert!(!lengths.contains(&6), "{lengths:?}");
}

#[test]
fn huge_and_subnormal_values_neither_hang_nor_leave_the_picture() {
    // A diverged run: losses of +-1e308 (the axis width would overflow f64)
    // and f64::MAX; a validation loss and gradient norms that are subnormal
    // (their padded log axis would round to zero).
    let dir = scratch("huge");
    let mut h = History::default();
    for (epoch, loss) in [(1, 1.0), (2, 1e308), (3, -1e308), (4, f64::MAX), (5, 0.5)] {
        let mut record = EpochRecord {
            epoch,
            train_loss: loss,
            val_loss: Some(5e-324),
            lr: 5e-324,
            ..Default::default()
        };
        record.layer_grad_norms.insert("layers.0".into(), 5e-324);
        record
            .layer_grad_norms
            .insert("layers.1".into(), 1e308 * epoch as f64);
        h.epochs.push(record);
    }
    let svg = dir.join("huge.svg");
    plot_learning_curves(&h, None, &svg).unwrap();
    let (polylines, _) = svg_polylines(&svg, (900, 600));
    for &(x, y) in polylines.iter().flatten() {
        assert!(
            (0.0..=900.0).contains(&x) && (0.0..=600.0).contains(&y),
            "({x}, {y})"
        );
    }
    plot_grad_norms(&h, dir.join("grads.svg")).unwrap();
    plot_lr(&h, dir.join("lr.svg")).unwrap();
}

#[test]
fn grad_norms_plot_one_curve_per_layer_on_a_log_scale() {
    let dir = scratch("grad-norms");
    let path = dir.join("grads.svg");
    plot_grad_norms(&history(), &path).unwrap();
    let (polylines, texts) = svg_polylines(&path, (900, 600));
    // layers.0 spans six decades: six points; layers.2 is zero at epoch 3,
    // which a log scale cannot show: runs of 2 and 3 points.
    assert!(polylines.iter().any(|p| p.len() == 6));
    assert!(polylines.iter().any(|p| p.len() == 3));
    assert!(texts.iter().any(|t| t == "layers.0") && texts.iter().any(|t| t == "layers.2"));
    // Decades are evenly spaced on a log axis: 1e-1 .. 1e-6 at equal steps.
    let decades = polylines.iter().find(|p| p.len() == 6).unwrap();
    let steps: Vec<f64> = decades.windows(2).map(|w| w[1].1 - w[0].1).collect();
    for s in &steps {
        assert!((s - steps[0]).abs() <= 1.0, "uneven decades {steps:?}");
    }
    let png = dir.join("grads.png");
    plot_grad_norms(&history(), &png).unwrap();
    assert_eq!(png_size(&png), (900, 600));
}

#[test]
fn learning_curves_can_draw_the_loss_on_a_log_scale() {
    let dir = scratch("curves-log");
    let mut h = History::default();
    for epoch in 1..=4 {
        h.epochs.push(EpochRecord {
            epoch,
            // 1, 0.1, 0.01, 0.001: one decade per epoch.
            train_loss: 10f64.powi(1 - epoch as i32),
            val_loss: Some(2.0),
            ..Default::default()
        });
    }
    let gaps = |log_loss: bool| {
        let path = dir.join(format!("log-{log_loss}.svg"));
        let options = PlotOptions {
            log_loss,
            ..PlotOptions::default()
        };
        plot_learning_curves_with(&h, None, &path, &options).unwrap();
        let (polylines, _) = svg_polylines(&path, (900, 600));
        let train = polylines.iter().find(|p| p.len() == 4).unwrap().clone();
        train
            .windows(2)
            .map(|w| w[1].1 - w[0].1)
            .collect::<Vec<f64>>()
    };
    // On a log axis the decades are evenly spaced; on a linear one the
    // first fall (0.9) dwarfs the last (0.009).
    let log = gaps(true);
    for g in &log {
        assert!((g - log[0]).abs() <= 1.0, "uneven decades {log:?}");
    }
    let linear = gaps(false);
    assert!(linear[0] > 50.0 * linear[2], "{linear:?}");
}

#[test]
fn charts_draw_one_polyline_per_series_and_a_panel_per_chart() {
    let dir = scratch("charts");
    let path = dir.join("charts.svg");
    let line = |label: &str, n: usize| {
        Series::new(
            label,
            (0..n).map(|i| (i as f64 * 0.5, 1.0 + i as f64)).collect(),
        )
    };
    let charts = [
        Chart {
            title: "top".into(),
            y_label: "loss".into(),
            log_y: true,
            series: vec![line("sgd", 7), line("adam", 5)],
        },
        Chart {
            title: "bottom".into(),
            y_label: "norm".into(),
            log_y: false,
            series: vec![line("norm", 3)],
        },
    ];
    plot_charts("sweep", "lambda", &charts, &path, &PlotOptions::default()).unwrap();
    let (polylines, texts) = svg_polylines(&path, (900, 600));
    // The curves (grid and legend lines have two points).
    let mut lengths: Vec<usize> = polylines
        .iter()
        .map(|p| p.len())
        .filter(|&n| n > 2)
        .collect();
    lengths.sort();
    assert_eq!(lengths, [3, 5, 7]);
    for label in [
        "sweep", "lambda", "top", "bottom", "sgd", "adam", "norm", "loss",
    ] {
        assert!(texts.iter().any(|t| t == label), "{label} in {texts:?}");
    }
    let empty = [Chart {
        series: vec![Series::new("none", vec![])],
        ..charts[1].clone()
    }];
    let why = match plot_charts("e", "x", &empty, &path, &PlotOptions::default()) {
        Err(TrainError::Config { why, .. }) => why,
        other => panic!("expected a config error, got {other:?}"),
    };
    assert!(why.contains("no chart has a point"), "{why}");
}

/// The SVG's two-point black polylines (dashes of a mark, legend swatches),
/// as `((x1, y1), (x2, y2))` in pixels.
fn black_segments(path: &Path) -> Vec<((f64, f64), (f64, f64))> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.root_element()
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some("#000000"))
        .filter_map(|n| {
            let p: Vec<(f64, f64)> = n
                .attribute("points")?
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (p.len() == 2).then(|| (p[0], p[1]))
        })
        .collect()
}

#[test]
fn marks_draw_a_dashed_vertical_line_at_their_x_across_every_chart() {
    let dir = scratch("marks");
    let path = dir.join("marks.svg");
    // Epochs 1 to 6; the mark at 9 lies beyond the data, so the x axis
    // has to widen for it.
    let line = |label: &str, f: fn(f64) -> f64| {
        Series::new(label, (1..=6).map(|e| (e as f64, f(e as f64))).collect())
    };
    let charts = [
        Chart {
            title: "loss".into(),
            y_label: "loss".into(),
            log_y: true,
            series: vec![line("validation", |e| (e - 3.0).powi(2) + 0.5)],
        },
        Chart {
            title: "accuracy".into(),
            y_label: "accuracy".into(),
            log_y: false,
            series: vec![line("validation", |e| 0.5 + 0.05 * e)],
        },
    ];
    let marks = [Mark::new("kept", 3.0), Mark::new("stopped", 9.0)];
    let options = PlotOptions::default();
    plot_charts_marked("stop", "epoch", &charts, &marks, &path, &options).unwrap();
    let (polylines, texts) = svg_polylines(&path, (900, 600));
    for label in ["kept", "stopped", "validation", "loss", "accuracy"] {
        assert!(texts.iter().any(|t| t == label), "{label} in {texts:?}");
    }
    let curves: Vec<&Vec<(f64, f64)>> = polylines.iter().filter(|p| p.len() == 6).collect();
    assert_eq!(curves.len(), 2, "one curve per chart");
    // How many pixels of black vertical line stand at `x` between `top`
    // and `bottom`.
    let black_at = |x: f64, top: f64, bottom: f64| -> f64 {
        black_segments(&path)
            .iter()
            .filter(|(a, b)| (a.0 - x).abs() <= 1.0 && (b.0 - x).abs() <= 1.0)
            .filter(|(a, b)| a.1.min(b.1) >= top && a.1.max(b.1) <= bottom)
            .map(|(a, b)| (a.1 - b.1).abs())
            .sum()
    };
    for curve in curves {
        // Where epochs 3 and 9 fall on this chart's x axis, in pixels, and
        // the vertical extent of its curve.
        let per_epoch = (curve[5].0 - curve[0].0) / 5.0;
        let (top, bottom) = curve
            .iter()
            .fold((f64::MAX, f64::MIN), |(t, b), p| (t.min(p.1), b.max(p.1)));
        for x in [curve[2].0, curve[0].0 + 8.0 * per_epoch] {
            // The dashes of the mark cover much of the chart's height (an
            // axis tick is a few pixels).
            let covered = black_at(x, top - 40.0, bottom + 40.0);
            assert!(
                covered >= 0.3 * (bottom - top),
                "the dashes at x = {x} cover {covered} of {} pixels",
                bottom - top
            );
        }
    }
    // Without the marks, the same places hold at most the axis ticks.
    plot_charts("stop", "epoch", &charts, &path, &options).unwrap();
    let (polylines, texts) = svg_polylines(&path, (900, 600));
    assert!(!texts.iter().any(|t| t == "kept" || t == "stopped"));
    let unmarked: Vec<&Vec<(f64, f64)>> = polylines.iter().filter(|p| p.len() == 6).collect();
    for curve in unmarked {
        let (top, bottom) = curve
            .iter()
            .fold((f64::MAX, f64::MIN), |(t, b), p| (t.min(p.1), b.max(p.1)));
        let covered = black_at(curve[2].0, top - 40.0, bottom + 40.0);
        assert!(covered <= 12.0, "{covered} pixels of black at epoch 3");
    }
}

#[test]
fn lr_plot_reads_the_steps_or_else_the_epochs() {
    let dir = scratch("lr");
    let path = dir.join("lr.svg");
    plot_lr(&history(), &path).unwrap();
    let (polylines, texts) = svg_polylines(&path, (900, 600));
    assert!(
        polylines.iter().any(|p| p.len() == 60),
        "one point per step"
    );
    assert!(texts.iter().any(|t| t == "step"));
    let mut epochs_only = history();
    epochs_only.steps.clear();
    let options = PlotOptions {
        size: (500, 300),
        title: None,
        ..PlotOptions::default()
    };
    plot_lr_with(&epochs_only, &path, &options).unwrap();
    let (polylines, _) = svg_polylines(&path, (500, 300));
    assert!(
        polylines.iter().any(|p| p.len() == 6),
        "one point per epoch"
    );
}

#[test]
fn plots_refuse_other_extensions_and_missing_data() {
    let dir = scratch("refuse");
    for name in ["curves.jpg", "curves"] {
        let path = dir.join(name);
        match plot_learning_curves(&history(), None, &path) {
            Err(TrainError::Format { path: p, why }) => {
                assert_eq!(p, path);
                assert!(why.contains(".svg or .png"), "{why}");
            }
            other => panic!("expected a Format error for {name}, got {other:?}"),
        }
    }
    let path = dir.join("p.svg");
    let config_why = |r: wengert_train::Result<()>| match r {
        Err(TrainError::Config { why, .. }) => why,
        other => panic!("expected a Config error, got {other:?}"),
    };
    let why = config_why(plot_learning_curves(&history(), Some("f1"), &path));
    assert!(why.contains("`f1`") && why.contains("accuracy"), "{why}");
    let why = config_why(plot_learning_curves(&History::default(), None, &path));
    assert!(why.contains("no epochs"), "{why}");
    let mut no_layers = history();
    for e in &mut no_layers.epochs {
        e.layer_grad_norms.clear();
    }
    let why = config_why(plot_grad_norms(&no_layers, &path));
    assert!(why.contains("per-layer gradient norms"), "{why}");
    let why = config_why(plot_lr(&History::default(), &path));
    assert!(why.contains("no steps"), "{why}");
    let tiny = PlotOptions {
        size: (10, 600),
        title: None,
        ..PlotOptions::default()
    };
    let why = config_why(plot_learning_curves_with(&history(), None, &path, &tiny));
    assert!(why.contains("10 x 600"), "{why}");
    // Nothing was written, not even a temporary file.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn plots_leave_only_the_finished_file() {
    let dir = scratch("atomic");
    plot_learning_curves(&history(), None, dir.join("a.svg")).unwrap();
    plot_learning_curves(&history(), None, dir.join("a.png")).unwrap();
    plot_learning_curves(&history(), None, dir.join("a.png")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["a.png", "a.svg"]);
}

#[test]
fn the_shipped_font_is_a_small_truetype_file_that_plotters_accepts() {
    // TrueType's version tag 0x00010000, and small enough to embed.
    assert_eq!(&FONT[..4], &[0, 1, 0, 0]);
    assert!(FONT.len() < 64 * 1024, "{} bytes", FONT.len());
    register_font();
    register_font(); // a second call is a no-op
                     // Text can be measured and drawn with the registered font alone.
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (200, 100)).into_drawing_area();
        let (w, h) = root
            .estimate_text_size("epoch", &("sans-serif", 20).into_text_style(&root))
            .unwrap();
        assert!(w > 20 && h > 5, "layout of \"epoch\": {w} x {h}");
        root.draw_text("epoch", &("serif", 20).into_text_style(&root), (10, 10))
            .unwrap();
        root.present().unwrap();
    }
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let text = doc.descendants().find(|n| n.has_tag_name("text")).unwrap();
    assert_eq!(text.text().map(str::trim), Some("epoch"), "{svg}");
}
