//! The tables (markdown) and plots of every part.

use std::path::Path;

use wengert::prelude::Dataset;
use wengert::train::plot::{plot_charts, Chart, PlotOptions, Series};

use super::data::ImageSet;
use super::pseudo::PseudoRun;
use super::sparsity::{
    self, fit, precision_recall, Norm, SparsitySettings, SweepRow, AIRFOIL_INPUTS, RELEVANT,
    SURVIVAL_THRESHOLD,
};
use super::strategies::Balancing;
use super::training::{Run, Score};
use super::{spread, BalancedPart, Outcome, Settings, Source};

/// `0.8712 [0.8650, 0.8790]` over several values, `0.8712` for one.
pub fn cell(values: &[f64]) -> String {
    let (m, lo, hi) = spread(values);
    if values.len() == 1 {
        format!("{m:.4}")
    } else {
        format!("{m:.4} [{lo:.4}, {hi:.4}]")
    }
}

/// The median of `f` over `scores`.
fn median_of(scores: &[&Score], f: impl Fn(&Score) -> f64) -> f64 {
    spread(&scores.iter().map(|s| f(s)).collect::<Vec<_>>()).0
}

/// One row of the 500-image table: overall, worst class, each half.
fn score_row(name: &str, scores: &[&Score], seconds: &[f64]) {
    let of = |f: &dyn Fn(&Score) -> f64| scores.iter().map(|s| f(s)).collect::<Vec<f64>>();
    println!(
        "| {name} | {} | {} | {:.4} | {:.4} | {:.1} |",
        cell(&of(&|s| s.accuracy)),
        cell(&of(&|s| s.worst())),
        median_of(scores, |s| s.mean_over(&[0, 1, 2, 3, 4])),
        median_of(scores, |s| s.mean_over(&[5, 6, 7, 8, 9])),
        spread(seconds).0
    );
}

/// Part 1: the remedies on the labelled sample, pseudo-labelling's sweep
/// and rounds.
pub fn balanced(
    set: &ImageSet,
    settings: &Settings,
    source: &Source,
    part: &BalancedPart,
    out: &Path,
) -> Outcome<()> {
    let spec = settings.spec(set.inputs());
    let r = &settings.run;
    let labelled = settings.per_class * set.classes;
    let pool = settings.pool.min(set.train.len() - labelled);
    println!(
        "## {labelled} labelled {} images ({} per class): test accuracy of each remedy\n\n\
         MLP {} (ReLU), Adam lr {}, batch {}, {} epochs over the {labelled} ({} steps); \
         tested once on the {} test images. Median over {} seeds of the sample (each also draws \
         the weights and batches), [lowest, highest]. Worst class: the lowest per-class test \
         accuracy. Classes 0-4 and 5-9: mean per-class test accuracy on each half (the \
         pretrained network had labels for 0-4 only). The pool: {pool} other training images.\n\n\
         Pretrained network: {}.\n",
        set.name,
        settings.per_class,
        spec.describe(set.classes),
        r.lr,
        r.batch,
        r.epochs,
        r.steps(),
        set.test.len(),
        settings.seeds.len(),
        source.note
    );
    println!("| remedy | test accuracy | worst class | classes 0-4 | classes 5-9 | seconds |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (remedy, runs) in &part.remedies {
        let scores: Vec<&Score> = runs.iter().map(|r| &r.score).collect();
        let seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
        score_row(remedy.name(), &scores, &seconds);
    }
    let scores: Vec<&Score> = part.pseudo.iter().map(|p| &p.score).collect();
    let seconds: Vec<f64> = part.pseudo.iter().map(|p| p.seconds).collect();
    score_row(
        "pseudo-labelling (threshold and rounds chosen on 100 held out)",
        &scores,
        &seconds,
    );
    if let Some((_, scratch)) = part.remedies.first() {
        println!(
            "\nGain over from scratch, median of the per-seed differences in test accuracy:\n"
        );
        println!("| remedy | gain | on classes 0-4 | on classes 5-9 |");
        println!("| --- | ---: | ---: | ---: |");
        let gains = |scores: &[&Score]| {
            let diff = |f: &dyn Fn(&Score) -> f64| {
                spread(
                    &scores
                        .iter()
                        .zip(scratch)
                        .map(|(s, base)| f(s) - f(&base.score))
                        .collect::<Vec<f64>>(),
                )
                .0
            };
            (
                diff(&|s| s.accuracy),
                diff(&|s| s.mean_over(&[0, 1, 2, 3, 4])),
                diff(&|s| s.mean_over(&[5, 6, 7, 8, 9])),
            )
        };
        let mut rows: Vec<(String, Vec<&Score>)> = part
            .remedies
            .iter()
            .skip(1)
            .map(|(r, runs)| {
                (
                    r.name().to_string(),
                    runs.iter().map(|r| &r.score).collect(),
                )
            })
            .collect();
        rows.push(("pseudo-labelling".into(), scores.clone()));
        for (name, s) in rows {
            let (g, a, b) = gains(&s);
            println!("| {name} | {g:+.4} | {a:+.4} | {b:+.4} |");
        }
    }
    pseudo_tables(settings, &part.pseudo);
    pseudo_plot(&part.pseudo, out)?;
    Ok(())
}

/// Pseudo-labelling: the sweep on the held-out split, the choice and the
/// final run of each seed.
fn pseudo_tables(settings: &Settings, runs: &[PseudoRun]) {
    let p = &settings.pseudo;
    println!(
        "\n## Pseudo-labelling: the threshold chosen on labelled images only\n\n\
         The rule: {} images of each class of the sample are held out; pseudo-labelling runs on \
         the rest and the pool at every threshold (at most {} rounds, each adding at most {} \
         images per class, then {} epochs of the previous round's network over everything \
         labelled so far); the (threshold, rounds) with the best held-out accuracy wins (ties: \
         fewer rounds, then the higher threshold), and runs again on the whole sample. Round 0 \
         is the training on labelled images alone. Held-out accuracy, median over the seeds:\n",
        p.validation_per_class, p.rounds, p.max_per_class, p.round_epochs
    );
    print!("| threshold |");
    for round in 0..=p.rounds {
        print!(" after round {round} |");
    }
    println!(" pool images added | their labels right |");
    println!("| ---: |{}", " ---: |".repeat(p.rounds + 3));
    for (t, &threshold) in p.thresholds.iter().enumerate() {
        print!("| {threshold} |");
        for round in 0..=p.rounds {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.sweep[t].validation.get(round).copied())
                .collect();
            if values.is_empty() {
                print!(" (stopped) |");
            } else {
                print!(" {:.3} |", spread(&values).0);
            }
        }
        let added: Vec<f64> = runs.iter().map(|r| r.sweep[t].added as f64).collect();
        let right: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.sweep[t].label_accuracy)
            .collect();
        let right = if right.is_empty() {
            "-".to_string()
        } else {
            format!("{:.3}", spread(&right).0)
        };
        println!(" {:.0} | {right} |", spread(&added).0);
    }
    println!(
        "\nThe final run of each seed, on the whole sample:\n\n\
         | seed | chosen threshold | rounds | added per round | pseudo-labels right | test accuracy |\n\
         | ---: | ---: | ---: | --- | ---: | ---: |"
    );
    for (seed, run) in settings.seeds.iter().zip(runs) {
        let added: Vec<String> = run
            .report
            .rounds
            .iter()
            .map(|r| r.added.to_string())
            .collect();
        println!(
            "| {seed} | {} | {} | {} | {} | {:.4} |",
            run.chosen.0,
            run.chosen.1,
            if added.is_empty() {
                "none".into()
            } else {
                added.join(", ")
            },
            run.label_accuracy.map_or("-".into(), |a| format!("{a:.3}")),
            run.score.accuracy
        );
    }
}

/// Held-out accuracy against the round, one line per threshold (seed 0).
fn pseudo_plot(runs: &[PseudoRun], out: &Path) -> Outcome<()> {
    let Some(first) = runs.first() else {
        return Ok(());
    };
    let series = first
        .sweep
        .iter()
        .map(|point| {
            Series::new(
                format!("threshold {}", point.threshold),
                point
                    .validation
                    .iter()
                    .enumerate()
                    .map(|(r, &a)| (r as f64, a))
                    .collect(),
            )
        })
        .collect();
    let path = out.join("pseudo_labelling.svg");
    plot_charts(
        "pseudo-labelling: held-out accuracy after each round (seed 0)",
        "round (0: labelled images only)",
        &[Chart {
            title: String::new(),
            y_label: "held-out accuracy".into(),
            log_y: false,
            series,
        }],
        &path,
        &PlotOptions::default(),
    )?;
    println!("\nplot: {}", path.display());
    Ok(())
}

/// Part 2: the balancings of the long-tailed sample.
pub fn imbalanced(
    set: &ImageSet,
    settings: &Settings,
    runs: &[(Balancing, Vec<Run>)],
    out: &Path,
) -> Outcome<()> {
    let rare = settings.rare_classes();
    let r = &settings.run;
    let total: usize = settings.long_tail.iter().sum();
    println!(
        "\n## A long-tailed {total}: plain sampling against class balancing\n\n\
         Images per class 0-{}: {:?}. The MLP from scratch, Adam lr {}, batch {}, about {} steps \
         for every row (the epochs follow the set's size). Test accuracy (the test set has as \
         many images of every class, so it is also the balanced accuracy), the worst class's \
         accuracy, and the mean accuracy on the rare classes {:?} (at most a tenth of the \
         largest class's count). Median over {} seeds, [lowest, highest].\n",
        set.classes - 1,
        settings.long_tail,
        r.lr,
        r.batch,
        r.steps(),
        rare,
        settings.seeds.len()
    );
    println!(
        "| sampling | images per epoch | epochs | test accuracy | worst class | rare classes |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (balancing, done) in runs {
        let of = |f: &dyn Fn(&Score) -> f64| done.iter().map(|r| f(&r.score)).collect::<Vec<_>>();
        let first = done.first().ok_or("a run")?;
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            balancing.name(),
            first.train_size,
            first.history.epochs.len(),
            cell(&of(&|s| s.accuracy)),
            cell(&of(&|s| s.worst())),
            cell(&of(&|s| s.mean_over(&rare)))
        );
    }
    println!("\nPer-class test accuracy, median over the seeds:\n");
    print!("| class | images |");
    for (b, _) in runs {
        print!(" {} |", b.name());
    }
    println!("\n| ---: | ---: |{}", " ---: |".repeat(runs.len()));
    let mut series: Vec<Series> = runs
        .iter()
        .map(|(b, _)| Series::new(b.name(), Vec::new()))
        .collect();
    for c in 0..set.classes {
        print!("| {c} | {} |", settings.long_tail[c]);
        for ((_, done), line) in runs.iter().zip(&mut series) {
            let m = spread(
                &done
                    .iter()
                    .map(|r| r.score.per_class[c])
                    .collect::<Vec<_>>(),
            )
            .0;
            line.points.push((c as f64, m));
            print!(" {m:.3} |");
        }
        println!();
    }
    let path = out.join("long_tail.svg");
    plot_charts(
        &format!(
            "per-class test accuracy after training on a long tail {:?}",
            settings.long_tail
        ),
        "class (fewer training images to the right)",
        &[Chart {
            title: String::new(),
            y_label: "test accuracy (median over seeds)".into(),
            log_y: false,
            series,
        }],
        &path,
        &PlotOptions::default(),
    )?;
    println!("\nplot: {}", path.display());
    Ok(())
}

/// `x2, x7` (1-based names of the inputs).
fn names(inputs: &[usize]) -> String {
    if inputs.is_empty() {
        return "none".into();
    }
    inputs
        .iter()
        .map(|j| format!("x{}", j + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Part 3: which inputs L1 and L2 keep on the synthetic set.
pub fn sparsity(s: &SparsitySettings, rows: &[SweepRow], out: &Path) -> Outcome<()> {
    println!(
        "\n## L1 as feature selection: {} inputs, {} of which matter\n\n\
         y = {} + 0.5 + N(0, {}^2), x ~ N(0, 1) independent; {} training and {} test examples. \
         A linear model, full-batch gradient descent from lr {} decayed to 0 by a cosine over {} \
         steps, on 1/2 (y_hat - y)^2 plus the penalty on the weight (L1: lambda ||w||_1, L2: \
         lambda/2 ||w||^2). An input survives when |w| > {SURVIVAL_THRESHOLD}. Survivors are of \
         the set of seed {}; precision, recall, near-zero weights (|w| < 1e-3) and test loss are \
         medians over {} sets (seeds {:?}); exact: the sets where the survivors are exactly the \
         relevant inputs.\n",
        s.inputs,
        RELEVANT.len(),
        RELEVANT
            .iter()
            .zip(sparsity::TRUE_COEFFICIENTS)
            .map(|(j, w)| format!("{w} x{}", j + 1))
            .collect::<Vec<_>>()
            .join(" + "),
        s.noise,
        s.train,
        s.test,
        s.lr,
        s.steps,
        s.seeds[0],
        s.seeds.len(),
        s.seeds
    );
    println!("| penalty | lambda | survivors (seed {}) | precision | recall | exact | near-zero weights | test loss |", s.seeds[0]);
    println!("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let pr: Vec<(f64, f64)> = row
            .fits
            .iter()
            .map(|f| precision_recall(&f.survivors(), &RELEVANT))
            .collect();
        let med = |v: Vec<f64>| spread(&v).0;
        println!(
            "| {} | {} | {} | {:.3} | {:.3} | {}/{} | {:.0} | {:.4} |",
            row.norm.name(),
            row.lambda,
            names(&row.fits[0].survivors()),
            med(pr.iter().map(|p| p.0).collect()),
            med(pr.iter().map(|p| p.1).collect()),
            row.exact_recoveries(),
            row.fits.len(),
            med(row.fits.iter().map(|f| f.near_zero() as f64).collect()),
            med(row.fits.iter().map(|f| f.test_loss).collect())
        );
    }
    let chart = |norm: Norm| {
        let mine: Vec<&SweepRow> = rows.iter().filter(|r| r.norm == norm).collect();
        let mut series: Vec<Series> = RELEVANT
            .iter()
            .map(|&j| {
                Series::new(
                    format!("x{} (relevant)", j + 1),
                    mine.iter()
                        .map(|r| (r.lambda, r.fits[0].weights[j].abs()))
                        .collect(),
                )
            })
            .collect();
        series.push(Series::new(
            "largest |w| of the irrelevant inputs",
            mine.iter()
                .map(|r| {
                    let w = &r.fits[0].weights;
                    let top = (0..w.len())
                        .filter(|j| !RELEVANT.contains(j))
                        .map(|j| w[j].abs())
                        .fold(0.0, f64::max);
                    (r.lambda, top)
                })
                .collect(),
        ));
        Chart {
            title: format!("{} penalty", norm.name()),
            y_label: "|w| (seed 0)".into(),
            log_y: false,
            series,
        }
    };
    let path = out.join("l1_paths.svg");
    plot_charts(
        "learned |w| against the penalty's strength",
        "lambda",
        &[chart(Norm::L1), chart(Norm::L2)],
        &path,
        &PlotOptions {
            size: (1200, 500),
            ..PlotOptions::default()
        },
    )?;
    println!("\nplot: {}", path.display());
    Ok(())
}

/// Part 3 on real data: which of the airfoil's inputs L1 keeps.
pub fn airfoil(s: &SparsitySettings) -> Outcome<()> {
    let data = sparsity::airfoil()?;
    println!(
        "\n## L1 on the airfoil table: which of its 5 inputs survive\n\n\
         All 1,503 rows, every column z-scored; the same training as above on all of them (no \
         test set: the question is the weights). |w| > {SURVIVAL_THRESHOLD} survives.\n"
    );
    print!("| lambda |");
    for name in AIRFOIL_INPUTS {
        print!(" {name} |");
    }
    println!(" survivors | training loss |");
    println!("| ---: |{}", " ---: |".repeat(AIRFOIL_INPUTS.len() + 2));
    for &lambda in &s.lambdas {
        let f = fit(&data, &data, Norm::L1, lambda, s.steps, s.lr)?;
        print!("| {lambda} |");
        for w in &f.weights {
            print!(" {w:+.3} |");
        }
        println!(" {} | {:.4} |", f.survivors().len(), f.test_loss);
    }
    Ok(())
}
