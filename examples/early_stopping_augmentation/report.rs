//! The tables and the plots.

use std::path::Path;

use wengert::prelude::*;
use wengert::train::plot::{plot_charts, plot_charts_marked, Chart, Mark, PlotOptions, Series};

use super::replay::{run_config, run_with_early_stopping, ConfigRun, Stopping};
use super::setup::{Augmentation, Parts, Settings};
use super::{Outcome, CLASSES};

/// Median and the lowest and highest of `values`.
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}

/// A cell for a stopping epoch: the epoch, or the budget with "(budget)".
fn stopped_cell(s: &Stopping, budget: usize) -> String {
    s.stopped_at
        .map_or(format!("{budget} (budget)"), |e| e.to_string())
}

/// A cell for a patience: the number, or "budget" for none.
fn patience_cell(p: Option<usize>) -> String {
    p.map_or("whole budget, best kept".into(), |p| p.to_string())
}

/// Every run on one data set, printed as tables, with the plots.
pub fn report<D: Dataset<f32> + Clone + Send + Sync + 'static>(
    what: &str,
    parts: &Parts<D>,
    settings: &Settings,
    augmentations: &[Augmentation],
    seeds: u64,
    out: &Path,
    progress: bool,
) -> Outcome<()> {
    let widths: Vec<String> = std::iter::once(parts.inputs)
        .chain(settings.hidden.iter().copied())
        .chain([CLASSES])
        .map(|w| w.to_string())
        .collect();
    println!("# Early stopping and augmentation on {what}\n");
    println!(
        "{} images to train on, {} to validate on (stratified, fixed), {} to test on.\n",
        parts.train.len(),
        parts.validation.len(),
        parts.test.len()
    );
    println!(
        "MLP {} (ReLU, default init, no dropout, no weight decay), Adam at a constant lr {}, \
         batch {}, a budget of {} epochs, seed {}. The text prints no number for this \
         experiment: nothing here is compared with the book.\n",
        widths.join("-"),
        settings.lr,
        settings.batch,
        settings.budget,
        settings.seed
    );
    println!(
        "Early stopping watches the validation loss after every epoch. With patience p, a run \
         *stops at* the first epoch p epochs after the last improvement (a validation loss \
         below every earlier one), or at the end of the budget; it *keeps* the weights of that \
         last improvement. The validation set alone decides; the test set is evaluated once on \
         the weights kept. Train loss and accuracy in the gaps are measured on the training \
         images without augmentation, in inference mode, as the validation set is.\n"
    );
    // Each run's table and plot come out as soon as it ends (stdout is
    // flushed by line), so a long run that is cut short still leaves what
    // it measured.
    let mut runs = Vec::new();
    for &augmentation in augmentations {
        let run = run_config(parts, augmentation, settings, progress)?;
        if progress {
            eprintln!(
                "{}: done, {:.2} s per epoch",
                augmentation.name(),
                run.seconds_per_epoch
            );
        }
        print_patience_sweep(&run, settings);
        let path = out.join(format!("curves_{}.svg", run.augmentation.name()));
        plot_curves(&run, settings, what, &path)?;
        println!("\nplot: {}", path.display());
        if augmentation == Augmentation::None {
            print_check(parts, &run, settings)?;
        }
        runs.push(run);
    }
    let budget = settings.budget;
    print_augmentation_table(&runs, settings);
    if seeds > 1 {
        print_seed_spread(parts, &runs, settings, seeds, progress)?;
    }
    plot_summary(&runs, budget, out)?;
    Ok(())
}

/// Section 1 for one augmentation: every patience.
fn print_patience_sweep(run: &ConfigRun, settings: &Settings) {
    let budget = settings.budget;
    println!(
        "\n## Patience swept, {} ({:.2} s per epoch)\n",
        run.augmentation.describe(settings),
        run.seconds_per_epoch
    );
    println!(
        "| patience | stopped at | kept | val loss | val acc | train acc | test acc | test loss \
         | gap: val - train loss | gap: train - val acc | gap: train - test acc |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let row = |label: String, stopped: String, kept: usize, test_acc: f64, test_loss: f64| {
        println!(
            "| {label} | {stopped} | {kept} | {:.4} | {:.4} | {:.4} | {test_acc:.4} | {test_loss:.4} \
             | {:+.4} | {:+.4} | {:+.4} |",
            run.val_loss(kept),
            run.val_accuracy(kept),
            run.clean_train[kept - 1].1,
            run.loss_gap(kept),
            run.accuracy_gap(kept),
            run.clean_train[kept - 1].1 - test_acc
        );
    };
    for s in &run.stoppings {
        row(
            patience_cell(s.patience),
            stopped_cell(s, budget),
            s.kept,
            s.test_accuracy,
            s.test_loss,
        );
    }
    let last = run.epochs();
    row(
        "none (fixed budget, last epoch)".into(),
        format!("{last} (budget)"),
        last,
        run.final_test_accuracy,
        run.final_test_loss,
    );
}

/// Section 2: every augmentation with and without early stopping, and
/// every augmentation at every patience.
fn print_augmentation_table(runs: &[ConfigRun], settings: &Settings) {
    let p = settings.headline;
    println!(
        "\n## Augmentation, with and without early stopping (patience {p})\n\n\
         Without early stopping the last epoch of the budget is tested; gaps are at the epoch tested.\n"
    );
    println!(
        "| augmentation | no stopping: test acc | gap: val - train loss | gap: train - val acc \
         | stopping: stopped at | kept | test acc | gap: val - train loss | gap: train - val acc \
         | lowest val loss |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for run in runs {
        let last = run.epochs();
        let Some(s) = run.stopping(Some(p)) else {
            continue;
        };
        println!(
            "| {} | {:.4} | {:+.4} | {:+.4} | {} | {} | {:.4} | {:+.4} | {:+.4} | {:.4} |",
            run.augmentation.name(),
            run.final_test_accuracy,
            run.loss_gap(last),
            run.accuracy_gap(last),
            stopped_cell(s, settings.budget),
            s.kept,
            s.test_accuracy,
            run.loss_gap(s.kept),
            run.accuracy_gap(s.kept),
            run.val_loss(s.kept)
        );
    }
    println!("\nTest accuracy of the kept weights, by augmentation and patience:\n");
    let header: Vec<String> = settings
        .patiences
        .iter()
        .map(|p| format!("p = {p}"))
        .chain(["whole budget, best kept".into(), "no stopping".into()])
        .collect();
    println!("| augmentation | {} |", header.join(" | "));
    println!("| --- |{}", " ---: |".repeat(header.len()));
    for run in runs {
        let cells: Vec<String> = run
            .stoppings
            .iter()
            .map(|s| format!("{:.4}", s.test_accuracy))
            .chain([format!("{:.4}", run.final_test_accuracy)])
            .collect();
        println!("| {} | {} |", run.augmentation.name(), cells.join(" | "));
    }
}

/// Section 3: the library's `EarlyStopping` against the replay.
fn print_check<D: Dataset<f32> + Clone + Send + Sync + 'static>(
    parts: &Parts<D>,
    plain: &ConfigRun,
    settings: &Settings,
) -> Outcome<()> {
    let p = settings.headline;
    let replayed = plain
        .stopping(Some(p))
        .ok_or("the headline patience is swept")?;
    let (history, kept, _, accuracy) =
        run_with_early_stopping(parts, Augmentation::None, settings, p)?;
    let same = history.epochs.len() == replayed.stopped_at.unwrap_or(settings.budget)
        && kept == replayed.kept
        && accuracy.to_bits() == replayed.test_accuracy.to_bits();
    println!(
        "\n## Check: the library's EarlyStopping(val_loss, patience {p}) really stopping a run\n"
    );
    println!("| run | epochs trained | kept | test acc |\n| --- | ---: | ---: | ---: |");
    println!(
        "| EarlyStopping callback | {} | {kept} | {accuracy:.4} |",
        history.epochs.len()
    );
    println!(
        "| replay on the whole-budget run | {} | {} | {:.4} |",
        replayed.stopped_at.unwrap_or(settings.budget),
        replayed.kept,
        replayed.test_accuracy
    );
    println!(
        "\nThe same epochs and the same test accuracy to the bit: {}",
        if same { "yes" } else { "NO" }
    );
    Ok(())
}

/// Section 4: the spread over training seeds (the data parts stay fixed).
fn print_seed_spread<D: Dataset<f32> + Clone + Send + Sync + 'static>(
    parts: &Parts<D>,
    runs: &[ConfigRun],
    settings: &Settings,
    seeds: u64,
    progress: bool,
) -> Outcome<()> {
    let p = settings.headline;
    println!(
        "\n## Over training seeds 0 to {}: median [lowest, highest]\n",
        seeds - 1
    );
    println!(
        "| augmentation | no stopping: test acc | stopping (p = {p}): test acc | kept epoch | gap at the end: val - train loss | gap at the kept epoch |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for first in runs {
        let mut columns: [Vec<f64>; 5] = Default::default();
        for seed in 0..seeds {
            let seeded;
            let run = if seed == settings.seed {
                first
            } else {
                seeded = run_config(
                    parts,
                    first.augmentation,
                    &settings.with_seed(seed),
                    progress,
                )?;
                &seeded
            };
            let s = run
                .stopping(Some(p))
                .ok_or("the headline patience is swept")?;
            for (column, value) in columns.iter_mut().zip([
                run.final_test_accuracy,
                s.test_accuracy,
                s.kept as f64,
                run.loss_gap(run.epochs()),
                run.loss_gap(s.kept),
            ]) {
                column.push(value);
            }
        }
        let cells: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(k, values)| {
                let (m, lo, hi) = spread(values);
                match k {
                    2 => format!("{m:.0} [{lo:.0}, {hi:.0}]"),
                    3 | 4 => format!("{m:+.4} [{lo:+.4}, {hi:+.4}]"),
                    _ => format!("{m:.4} [{lo:.4}, {hi:.4}]"),
                }
            })
            .collect();
        println!("| {} | {} |", first.augmentation.name(), cells.join(" | "));
    }
    Ok(())
}

/// `values` against epochs from 1.
fn by_epoch(values: impl IntoIterator<Item = f64>) -> Vec<(f64, f64)> {
    values
        .into_iter()
        .enumerate()
        .map(|(e, v)| ((e + 1) as f64, v))
        .collect()
}

/// One augmentation's learning curves with the headline patience's
/// stopping point and kept epoch marked.
fn plot_curves(run: &ConfigRun, settings: &Settings, what: &str, path: &Path) -> Outcome<()> {
    let h = &run.history;
    let column = |name: &str| h.series(name).unwrap_or_default();
    let clean = |k: usize| {
        by_epoch(
            run.clean_train
                .iter()
                .map(|c| if k == 0 { c.0 } else { c.1 }),
        )
    };
    let chart = |title: &str, k: usize, running: &str, val: &str| Chart {
        title: title.into(),
        y_label: title.into(),
        log_y: false,
        series: vec![
            Series::new("train (no augmentation)", clean(k)),
            Series::new("train (running, augmented)", by_epoch(column(running))),
            Series::new("validation", by_epoch(column(val))),
        ],
    };
    let charts = [
        chart("cross-entropy", 0, "train_loss", "val_loss"),
        chart("accuracy", 1, "train_accuracy", "val_accuracy"),
    ];
    let p = settings.headline;
    let mut marks = Vec::new();
    if let Some(s) = run.stopping(Some(p)) {
        marks.push(Mark::new(format!("kept (patience {p})"), s.kept as f64));
        if let Some(stopped) = s.stopped_at {
            marks.push(Mark::new(format!("stopped (patience {p})"), stopped as f64));
        }
    }
    plot_charts_marked(
        &format!("{}: {what}", run.augmentation.describe(settings)),
        "epoch",
        &charts,
        &marks,
        path,
        &PlotOptions {
            size: (1000, 800),
            ..PlotOptions::default()
        },
    )?;
    Ok(())
}

/// The gaps of every augmentation by epoch, and test accuracy against
/// patience.
fn plot_summary(runs: &[ConfigRun], budget: usize, out: &Path) -> Outcome<()> {
    let gap = |f: fn(&ConfigRun, usize) -> f64| -> Vec<Series> {
        runs.iter()
            .map(|r| {
                Series::new(
                    r.augmentation.name(),
                    by_epoch((1..=r.epochs()).map(|e| f(r, e))),
                )
            })
            .collect()
    };
    let charts = [
        Chart {
            title: "validation minus training loss".into(),
            y_label: "loss gap".into(),
            log_y: false,
            series: gap(ConfigRun::loss_gap),
        },
        Chart {
            title: "training minus validation accuracy".into(),
            y_label: "accuracy gap".into(),
            log_y: false,
            series: gap(ConfigRun::accuracy_gap),
        },
    ];
    let path = out.join("gaps.svg");
    let options = PlotOptions {
        size: (1000, 800),
        ..PlotOptions::default()
    };
    plot_charts(
        "train/validation gap by augmentation",
        "epoch",
        &charts,
        &path,
        &options,
    )?;
    println!("plot: {}", path.display());
    let series = runs
        .iter()
        .map(|r| {
            let points = r
                .stoppings
                .iter()
                .filter_map(|s| Some((s.patience? as f64, s.test_accuracy)))
                .collect();
            Series::new(r.augmentation.name(), points)
        })
        .collect();
    let chart = Chart {
        title: format!("kept weights' test accuracy (budget {budget} epochs)"),
        y_label: "test accuracy".into(),
        log_y: false,
        series,
    };
    let path = out.join("patience.svg");
    plot_charts(
        "early stopping: patience",
        "patience",
        &[chart],
        &path,
        &options,
    )?;
    println!("plot: {}", path.display());
    Ok(())
}
