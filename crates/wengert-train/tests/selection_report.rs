//! The sweep report: ranked markdown with the spread and the one test
//! evaluation, and the SVG plot of scores by configuration.

use std::collections::BTreeMap;

use wengert_train::selection::{Config, ConfigResult, CvResult, FoldResult, Score, SweepReport};
use wengert_train::{Evaluation, History};

fn report() -> SweepReport {
    let result = |index, lr: f64, scores: &[f64]| ConfigResult {
        index,
        config: Config::new().with("lr", lr),
        cv: CvResult::from_folds(
            scores
                .iter()
                .enumerate()
                .map(|(fold, &score)| FoldResult {
                    fold,
                    epoch: fold + 1,
                    score,
                    history: History::default(),
                    train_score: None,
                })
                .collect(),
        ),
    };
    SweepReport {
        score: Score::best("val_loss", false),
        results: vec![
            result(0, 0.1, &[0.5, 0.7, 0.6]),
            result(1, 0.01, &[0.3, 0.35, 0.25]),
            result(2, 1.0, &[f64::NAN, 0.2, 0.4]),
        ],
    }
}

#[test]
fn markdown_ranks_by_mean_with_std_per_fold_and_the_test_evaluation() {
    let report = report();
    let test = Evaluation {
        loss: 0.25,
        metrics: BTreeMap::from([("accuracy".to_string(), 0.9125)]).into(),
        examples: 40,
    };
    let text = report.to_markdown(Some(&test));
    // Lower is better: 0.30 < 0.60, and the NaN mean ranks last.
    let rows = [
        "| 1 | lr=0.01 | 0.3000 | 0.0500 | 0.3000, 0.3500, 0.2500 |",
        "| 2 | lr=0.1 | 0.6000 | 0.1000 | 0.5000, 0.7000, 0.6000 |",
        "| 3 | lr=1 | NaN | NaN | NaN, 0.2000, 0.4000 |",
    ];
    let at: Vec<usize> = rows
        .iter()
        .map(|row| {
            text.find(row)
                .unwrap_or_else(|| panic!("no {row} in\n{text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    // The chosen configuration retrains for the mean of epochs 1, 2, 3.
    assert!(
        text.contains("Chosen: lr=0.01 (mean 0.3000, std 0.0500); retrained on all training data for 2 epoch(s)."),
        "{text}"
    );
    assert!(
        text.contains("Test set (evaluated once): 40 examples, loss 0.2500, accuracy 0.9125."),
        "{text}"
    );
}

#[cfg(feature = "plot")]
#[test]
fn plot_shows_every_fold_and_mean_labelled_by_configuration() {
    use wengert_train::selection::plot_sweep;

    let report = report();
    let path = std::env::temp_dir().join(format!("selection-plot-{}.svg", std::process::id()));
    plot_sweep(&report, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect();
    for label in ["lr=0.1", "* lr=0.01", "lr=1"] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
    // 8 finite fold scores and 2 finite means.
    let circles = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    assert_eq!(circles, 10);

    let err = plot_sweep(&report, path.with_extension("png")).unwrap_err();
    assert!(err.to_string().contains("must end in .svg"), "{err}");
}
