//! Histories: columns, best epochs, JSON and CSV files that give back
//! exactly what was written (NaN and infinities included), atomic writes,
//! and errors for bad files that say what was expected and where.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use wengert_train::{EpochRecord, History, Metrics, StepRecord, TrainError};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wengert-train-history-{}-{name}",
        std::process::id()
    ));
    _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A map of values: metrics, or the gradient-health maps.
fn map<M: From<BTreeMap<String, f64>>>(entries: &[(&str, f64)]) -> M {
    M::from(
        entries
            .iter()
            .map(|&(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// Three epochs with a validation set from epoch 2, a diverging last
/// epoch (NaN, inf) and per-layer gradient health.
fn sample() -> History {
    let epochs = vec![
        EpochRecord {
            epoch: 1,
            steps: 10,
            train_loss: 0.9,
            train_metrics: map(&[("accuracy", 0.6)]),
            val_loss: None,
            val_metrics: Metrics::new(),
            lr: 0.1,
            grad_norm: 2.5,
            seconds: 1.25,
            examples_per_second: 800.0,
            layer_grad_norms: map(&[("layers.0", 1.5), ("layers.2", 0.5)]),
            update_ratios: map(&[("layers.0", 1e-3)]),
        },
        EpochRecord {
            epoch: 2,
            steps: 20,
            train_loss: 0.1 + 0.2, // 0.30000000000000004: all 17 digits matter
            train_metrics: map(&[("accuracy", 0.8)]),
            val_loss: Some(0.35),
            val_metrics: map(&[("accuracy", 0.75)]),
            lr: 0.05,
            grad_norm: 1.0e-300,
            seconds: 1.5,
            examples_per_second: 812.5,
            layer_grad_norms: map(&[("layers.0", 0.25), ("layers.2", -0.0)]),
            update_ratios: map(&[("layers.0", 5e-4), ("layers.2", 2e-4)]),
        },
        EpochRecord {
            epoch: 3,
            steps: 30,
            train_loss: f64::NAN,
            train_metrics: map(&[("accuracy", 0.8)]),
            val_loss: Some(f64::INFINITY),
            val_metrics: map(&[("accuracy", f64::NEG_INFINITY)]),
            lr: 0.025,
            grad_norm: f64::INFINITY,
            seconds: 1.75,
            examples_per_second: 790.0,
            layer_grad_norms: map(&[("layers.0", f64::NAN)]),
            update_ratios: BTreeMap::new(),
        },
    ];
    let steps = (1..=3)
        .map(|step| StepRecord {
            step,
            epoch: 1,
            loss: 1.0 / step as f64,
            lr: 0.1,
            grad_norm: if step == 3 { f64::NAN } else { step as f64 },
            // A mid-epoch validation (`validate_every(2)`) at step 2 only.
            val_loss: (step == 2).then_some(0.75),
            val_metrics: if step == 2 {
                map(&[("accuracy", 0.5)])
            } else {
                Metrics::new()
            },
        })
        .collect();
    History { epochs, steps }
}

/// A history with every number replaced by its bits (NaN made canonical),
/// so two histories compare equal when they hold the same values, NaN
/// included (`NaN != NaN` under `PartialEq`).
fn bits(h: &History) -> String {
    let b = |x: f64| {
        if x.is_nan() {
            "NaN".to_string()
        } else {
            format!("{:016x}", x.to_bits())
        }
    };
    let m = |m: &BTreeMap<String, f64>| {
        m.iter()
            .map(|(k, &v)| format!("{k:?}={}", b(v)))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = String::new();
    for e in &h.epochs {
        out += &format!(
            "E {} {} {} [{}] {} [{}] {} {} {} {} [{}] [{}]\n",
            e.epoch,
            e.steps,
            b(e.train_loss),
            m(&e.train_metrics),
            e.val_loss.map_or("none".into(), b),
            m(&e.val_metrics),
            b(e.lr),
            b(e.grad_norm),
            b(e.seconds),
            b(e.examples_per_second),
            m(&e.layer_grad_norms),
            m(&e.update_ratios)
        );
    }
    for s in &h.steps {
        out += &format!(
            "S {} {} {} {} {}\n",
            s.step,
            s.epoch,
            b(s.loss),
            b(s.lr),
            b(s.grad_norm)
        );
    }
    out
}

/// The `why` of a format error for `path`, or a panic naming what came.
fn format_why<T: std::fmt::Debug>(result: wengert_train::Result<T>, path: &Path) -> String {
    match result {
        Err(TrainError::Format { path: p, why }) => {
            assert_eq!(p, path, "the error names the file");
            why
        }
        other => panic!("expected a Format error, got {other:?}"),
    }
}

#[test]
fn series_reads_named_columns_with_nan_where_an_epoch_lacks_the_value() {
    let h = sample();
    assert_eq!(h.series("epoch").unwrap(), vec![1.0, 2.0, 3.0]);
    assert_eq!(h.series("steps").unwrap(), vec![10.0, 20.0, 30.0]);
    assert_eq!(h.series("lr").unwrap(), vec![0.1, 0.05, 0.025]);
    assert_eq!(h.series("train_accuracy").unwrap(), vec![0.6, 0.8, 0.8]);
    assert_eq!(h.series("seconds").unwrap(), vec![1.25, 1.5, 1.75]);
    let val = h.series("val_loss").unwrap();
    assert!(val[0].is_nan());
    assert_eq!(&val[1..], &[0.35, f64::INFINITY]);
    let val_acc = h.series("val_accuracy").unwrap();
    assert!(val_acc[0].is_nan() && val_acc[1] == 0.75);
    let layer = h.series("grad_norm/layers.2").unwrap();
    assert_eq!(&layer[..2], &[0.5, 0.0]);
    assert!(layer[2].is_nan());
    assert_eq!(h.series("update_ratio/layers.0").unwrap()[0], 1e-3);
    // Columns no epoch has, and names that are no column.
    assert_eq!(h.series("val_mse"), None);
    assert_eq!(h.series("grad_norm/layers.9"), None);
    assert_eq!(h.series("accuracy"), None);
    // An empty history still has its fixed columns, empty.
    let empty = History::default();
    assert_eq!(empty.series("train_loss"), Some(vec![]));
    assert_eq!(empty.series("val_loss"), None);
    assert_eq!(h.metric_names(), vec!["accuracy".to_string()]);
    assert_eq!(
        h.layer_names(),
        vec!["layers.0".to_string(), "layers.2".to_string()]
    );
}

#[test]
fn best_epoch_skips_nan_and_missing_values_and_keeps_the_earliest_tie() {
    let h = sample();
    // train_loss 0.9, 0.3, NaN: lowest is epoch 2; highest skips the NaN: epoch 1.
    assert_eq!(h.best_epoch("train_loss", false).unwrap().epoch, 2);
    assert_eq!(h.best_epoch("train_loss", true).unwrap().epoch, 1);
    // train_accuracy 0.6, 0.8, 0.8: the tie goes to epoch 2.
    assert_eq!(h.best_epoch("train_accuracy", true).unwrap().epoch, 2);
    // val_loss missing at epoch 1, then 0.35, inf.
    assert_eq!(h.best_epoch("val_loss", false).unwrap().epoch, 2);
    assert_eq!(h.best_epoch("val_loss", true).unwrap().epoch, 3);
    assert!(h.best_epoch("val_mse", false).is_none());
    assert!(History::default().best_epoch("train_loss", false).is_none());
}

#[test]
fn json_round_trip_keeps_every_value_bit_for_bit() {
    let dir = scratch("json");
    let path = dir.join("history.json");
    let h = sample();
    h.save_json(&path).unwrap();
    let back = History::load_json(&path).unwrap();
    assert_eq!(bits(&back), bits(&h));
    // -0.0 keeps its sign (PartialEq would not notice).
    assert!(back.epochs[1].layer_grad_norms["layers.2"].is_sign_negative());
}

#[test]
fn json_writes_non_finite_numbers_as_strings_and_missing_values_as_null() {
    let dir = scratch("json-text");
    let path = dir.join("h.json");
    sample().save_json(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(r#""train_loss": "NaN""#), "{text}");
    assert!(text.contains(r#""val_loss": "inf""#), "{text}");
    assert!(text.contains(r#""accuracy": "-inf""#), "{text}");
    assert!(text.contains(r#""val_loss": null"#), "{text}");
    assert!(text.contains("0.30000000000000004"), "{text}");
    // Valid JSON for any reader.
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["epochs"].as_array().unwrap().len(), 3);
}

#[test]
fn csv_round_trip_keeps_the_epochs_and_has_no_steps() {
    let dir = scratch("csv");
    let path = dir.join("history.csv");
    let h = sample();
    h.save_csv(&path).unwrap();
    let back = History::load_csv(&path).unwrap();
    assert!(back.steps.is_empty());
    let epochs_only = History {
        epochs: h.epochs.clone(),
        steps: vec![],
    };
    assert_eq!(bits(&back), bits(&epochs_only));
}

#[test]
fn csv_has_the_documented_header_and_empty_cells_for_missing_values() {
    let dir = scratch("csv-text");
    let path = dir.join("h.csv");
    sample().save_csv(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,steps,train_loss,val_loss,train_accuracy,val_accuracy,lr,grad_norm,seconds,\
         examples_per_second,grad_norm/layers.0,grad_norm/layers.2,update_ratio/layers.0,\
         update_ratio/layers.2"
    );
    // Epoch 1 has no validation and no update ratio for layers.2.
    assert_eq!(lines[1], "1,10,0.9,,0.6,,0.1,2.5,1.25,800,1.5,0.5,0.001,");
    assert_eq!(lines[3], "3,30,NaN,inf,0.8,-inf,0.025,inf,1.75,790,NaN,,,");
    assert_eq!(lines.len(), 4);
}

#[test]
fn csv_quotes_names_with_commas_and_quotes() {
    let dir = scratch("csv-quote");
    let path = dir.join("h.csv");
    let mut h = History::default();
    h.epochs.push(EpochRecord {
        epoch: 1,
        train_metrics: map(&[("f1,macro", 0.5), ("say \"hi\"", 0.25)]),
        ..Default::default()
    });
    h.save_csv(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(
            r#"epoch,steps,train_loss,val_loss,"train_f1,macro","train_say ""hi""",lr"#
        ),
        "{text}"
    );
    assert_eq!(History::load_csv(&path).unwrap(), h);
}

#[test]
fn csv_refuses_what_it_cannot_hold() {
    let dir = scratch("csv-refuse");
    let path = dir.join("h.csv");
    let mut h = History::default();
    h.epochs.push(EpochRecord {
        epoch: 1,
        val_metrics: map(&[("loss", 0.5)]),
        ..Default::default()
    });
    let why = format_why(h.save_csv(&path), &path);
    assert!(
        why.contains("metric `loss`") && why.contains("val_loss"),
        "{why}"
    );
    h.epochs[0].val_metrics = map(&[("two\nlines", 0.5)]);
    let why = format_why(h.save_csv(&path), &path);
    assert!(why.contains("line breaks"), "{why}");
    assert!(
        !path.exists(),
        "nothing is written when the history is refused"
    );
}

#[test]
fn saving_replaces_the_file_atomically_and_leaves_no_temporary_file() {
    let dir = scratch("atomic");
    let json = dir.join("h.json");
    let csv = dir.join("h.csv");
    let mut h = sample();
    h.save_json(&json).unwrap();
    h.save_csv(&csv).unwrap();
    h.epochs.truncate(1);
    h.save_json(&json).unwrap();
    h.save_csv(&csv).unwrap();
    assert_eq!(History::load_json(&json).unwrap().epochs.len(), 1);
    assert_eq!(History::load_csv(&csv).unwrap().epochs.len(), 1);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["h.csv", "h.json"]);
    // A directory that does not exist is an I/O error naming the file.
    let missing = dir.join("no/such/dir/h.json");
    match h.save_json(&missing) {
        Err(TrainError::Io { path, op, .. }) => {
            assert_eq!(path, missing);
            assert_eq!(op, "writing history");
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
}

#[test]
fn bad_json_files_say_what_was_expected_and_where() {
    let dir = scratch("bad-json");
    let path = dir.join("bad.json");
    let cases: [(&str, &[&str]); 4] = [
        (
            "{\"epochs\": [1, 2]}",
            &["line 1", "column", "training history"],
        ),
        ("[1, 2, 3", &["line 1", "training history"]),
        (
            "{\"epochs\": [{\"epoch\": 1, \"steps\": 1,\n \"train_loss\": \"nan\"}]}",
            &["line 2", r#""NaN", "inf", "-inf""#, "nan"],
        ),
        ("{\"steps\": []}", &["missing field `epochs`"]),
    ];
    for (text, needles) in cases {
        std::fs::write(&path, text).unwrap();
        let why = format_why(History::load_json(&path), &path);
        for needle in needles {
            assert!(why.contains(needle), "{text:?}: {why:?} lacks {needle:?}");
        }
    }
    match History::load_json(dir.join("absent.json")) {
        Err(TrainError::Io { op, .. }) => assert_eq!(op, "reading history"),
        other => panic!("expected an Io error, got {other:?}"),
    }
}

#[test]
fn bad_csv_files_name_the_line_and_column() {
    let dir = scratch("bad-csv");
    let path = dir.join("bad.csv");
    let header = "epoch,steps,train_loss,val_loss,lr,grad_norm,seconds,examples_per_second";
    let cases = [
        (String::new(), vec!["line 1", "empty", "header"]),
        (
            "epoch,steps,train_loss,colour\n".to_string(),
            vec!["line 1, column 4", "unknown column \"colour\""],
        ),
        (
            "epoch,steps,train_loss,lr,grad_norm,seconds\n".to_string(),
            vec!["line 1", "no `examples_per_second` column"],
        ),
        (
            format!("{header},lr\n"),
            vec!["line 1, column 9", "repeats column 5"],
        ),
        (
            format!("{header}\n1,10,0.5,,0.1,1,1,1\n2,20,abc,,0.1,1,1,1\n"),
            vec![
                "line 3, column 3 (train_loss)",
                "expected a number",
                "\"abc\"",
            ],
        ),
        (
            format!("{header}\n1.5,10,0.5,,0.1,1,1,1\n"),
            vec!["line 2, column 1 (epoch)", "non-negative integer"],
        ),
        (
            format!("{header}\n1,10,0.5,,0.1,1,1\n"),
            vec!["line 2", "7 fields", "8 columns"],
        ),
        (
            format!("{header}\n1,10,,,0.1,1,1,1\n"),
            vec!["line 2, column 3 (train_loss)", "empty"],
        ),
        (
            "epoch,steps,\"train_loss\n".to_string(),
            vec!["line 1, column 3", "no closing quote"],
        ),
    ];
    for (text, needles) in cases {
        std::fs::write(&path, &text).unwrap();
        let why = format_why(History::load_csv(&path), &path);
        for needle in needles {
            assert!(why.contains(needle), "{text:?}: {why:?} lacks {needle:?}");
        }
    }
    // Columns in another order and CRLF line ends still read.
    std::fs::write(
        &path,
        "steps,epoch,lr,train_loss,grad_norm,seconds,examples_per_second\r\n5,1,0.1,0.5,1,2,3\r\n",
    )
    .unwrap();
    let h = History::load_csv(&path).unwrap();
    assert_eq!((h.epochs[0].epoch, h.epochs[0].steps), (1, 5));
    assert_eq!(h.epochs[0].val_loss, None);
}

/// Any f64: NaN, infinities, subnormals, -0.0 and the rest.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::ANY,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE / 3.0),
    ]
}

/// Names with commas, quotes, slashes and spaces, never `loss` (which CSV
/// refuses) and never a line break.
fn name() -> impl Strategy<Value = String> {
    "[a-z0-9_., \"/]{0,8}".prop_filter("`loss` is the loss column", |n| n != "loss")
}

fn f64_map() -> impl Strategy<Value = BTreeMap<String, f64>> {
    prop::collection::btree_map(name(), any_f64(), 0..3)
}

fn epoch_record() -> impl Strategy<Value = EpochRecord> {
    (
        (0usize..1000, 0usize..100_000, any_f64(), f64_map()),
        (prop::option::of(any_f64()), f64_map(), any_f64(), any_f64()),
        (any_f64(), any_f64(), f64_map(), f64_map()),
    )
        .prop_map(
            |(
                (epoch, steps, train_loss, train_metrics),
                (val_loss, val_metrics, lr, grad_norm),
                (seconds, examples_per_second, layer_grad_norms, update_ratios),
            )| EpochRecord {
                epoch,
                steps,
                train_loss,
                train_metrics: train_metrics.into(),
                val_loss,
                val_metrics: val_metrics.into(),
                lr,
                grad_norm,
                seconds,
                examples_per_second,
                layer_grad_norms,
                update_ratios,
            },
        )
}

fn step_record() -> impl Strategy<Value = StepRecord> {
    (
        (0usize..10_000, 0usize..100, any_f64(), any_f64(), any_f64()),
        proptest::option::of(any_f64()),
        proptest::collection::btree_map("[a-z]{1,8}", any_f64(), 0..3),
    )
        .prop_map(
            |((step, epoch, loss, lr, grad_norm), val_loss, val_metrics)| StepRecord {
                step,
                epoch,
                loss,
                lr,
                grad_norm,
                val_loss,
                val_metrics: val_metrics.into(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_histories_round_trip_through_json_and_csv(
        epochs in prop::collection::vec(epoch_record(), 0..5),
        steps in prop::collection::vec(step_record(), 0..5),
    ) {
        let dir = scratch("proptest");
        let h = History { epochs, steps };
        let json = dir.join("h.json");
        h.save_json(&json).unwrap();
        prop_assert_eq!(bits(&History::load_json(&json).unwrap()), bits(&h));
        let csv = dir.join("h.csv");
        h.save_csv(&csv).unwrap();
        let epochs_only = History { epochs: h.epochs.clone(), steps: vec![] };
        prop_assert_eq!(bits(&History::load_csv(&csv).unwrap()), bits(&epochs_only));
    }
}
