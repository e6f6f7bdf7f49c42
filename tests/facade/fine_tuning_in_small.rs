//! The `fine_tuning` example's claims in small, on its `--quick` tasks
//! (`examples/fine_tuning/` included here; digits 0-4 as the source, digits
//! 5-9 as the similar target, digits 5-9 inverted as the dissimilar one):
//! the saved-and-reloaded pretrained network gives bitwise the outputs of
//! the trained one and a partial load puts exactly its body into a new
//! network; frozen layers keep their weights bitwise through training and
//! the others move; the fine-tune-all strategy's parameter group holds the
//! whole body and nothing else; a run is the same from its seed on one
//! thread or two; what the grid measured (a body pretrained on five
//! classes transfers worse the more of it is frozen, and from scratch wins
//! the large + dissimilar cell, as the text advises); and greedy layer-wise
//! pretraining trains a deep sigmoid net that plain SGD leaves at chance.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/fine_tuning/main.rs"]
mod fine_tuning;

use std::path::{Path, PathBuf};

use fine_tuning::data::{per_class_sample, quick_tasks, upscale, Tasks};
use fine_tuning::layerwise::compare;
use fine_tuning::network::{outputs, snapshot, NetSpec};
use fine_tuning::pretrain::{pretrain, round_trip_is_bitwise};
use fine_tuning::strategies::{run_strategy, Strategy, StrategyRun, TrainSettings};
use fine_tuning::{layerwise_data, run_cell, winner, Cell, Settings};
use wengert::nn::load_weights;
use wengert::prelude::*;

use crate::{assert_same_epochs, ScratchDir};

/// The quick tasks, settings and network, with the source network
/// pretrained and saved into `dir`.
struct Pretrained {
    tasks: Tasks,
    settings: Settings,
    spec: NetSpec,
    weights: PathBuf,
}

fn pretrained(dir: &Path) -> Pretrained {
    let tasks = quick_tasks().unwrap();
    let settings = Settings::quick();
    let spec = settings.spec(tasks.source.inputs());
    let weights = dir.join("pretrained.safetensors");
    let run = pretrain(&spec, &tasks.source, &settings.pretrain, &weights).unwrap();
    // The source task is learned (the digits 0-4 are easy).
    assert!(run.test_accuracy > 0.95, "{}", run.test_accuracy);
    assert!(run.round_trip_bitwise);
    Pretrained {
        tasks,
        settings,
        spec,
        weights,
    }
}

/// Short training on the small similar sample, for the checks that need
/// a run but not a converged one.
fn short(settings: &Settings, seed: u64) -> TrainSettings {
    TrainSettings {
        epochs: 3,
        seed,
        ..settings.target
    }
}

fn run(
    p: &Pretrained,
    strategy: Strategy,
    training: &TrainSettings,
) -> (StrategyRun, Sequential<f32>) {
    let task = &p.tasks.similar;
    let part = task
        .sample(p.settings.small_per_class, training.seed)
        .unwrap();
    run_strategy(
        strategy,
        &p.spec,
        &p.weights,
        &part,
        &task.test,
        task.classes,
        training,
    )
    .unwrap()
}

/// The values of the parameters named `prefix...` of a snapshot.
fn under(snapshot: &[(String, Vec<f32>)], prefix: &str) -> Vec<(String, Vec<f32>)> {
    snapshot
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .cloned()
        .collect()
}

fn bits(values: &[(String, Vec<f32>)]) -> Vec<(String, Vec<u32>)> {
    values
        .iter()
        .map(|(n, v)| (n.clone(), v.iter().map(|x| x.to_bits()).collect()))
        .collect()
}

/// The largest absolute change of any parameter named `prefix...`.
fn largest_change(
    before: &[(String, Vec<f32>)],
    after: &[(String, Vec<f32>)],
    prefix: &str,
) -> f32 {
    under(before, prefix)
        .iter()
        .zip(under(after, prefix))
        .flat_map(|((_, a), (_, b))| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f32::max)
}

#[test]
fn the_reloaded_pretrained_network_gives_bitwise_the_same_outputs() {
    let dir = ScratchDir::new("fine-tuning-round-trip");
    let p = pretrained(&dir.0);
    // The file holds trained weights: a fresh network of the pretraining's
    // seed differs from one loaded from it.
    let again = p
        .spec
        .build(p.tasks.source.classes, p.settings.pretrain.seed);
    let mut reloaded = p.spec.build(p.tasks.source.classes, 99);
    load_weights(&mut reloaded, &p.weights).unwrap();
    let images = p.tasks.source.test.features();
    assert_ne!(
        outputs(&again, images).unwrap(),
        outputs(&reloaded, images).unwrap(),
        "an untrained network must differ from the trained one"
    );
    // Loaded into networks of two other inits, the file gives bitwise the
    // same outputs (the example's printed check compares the trained
    // network itself with a reloaded one, asserted in `pretrained`).
    let mut trained = p.spec.build(p.tasks.source.classes, 7);
    load_weights(&mut trained, &p.weights).unwrap();
    assert!(round_trip_is_bitwise(&p.spec, &p.tasks.source, &trained, &p.weights).unwrap());
    let a = outputs(&trained, images).unwrap();
    let b = outputs(&reloaded, images).unwrap();
    assert_eq!(
        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );

    // A partial load for a 5-way target task: the body is the file's,
    // bitwise, and the new head is the new network's own init.
    let (model, report) = p.spec.pretrained(&p.weights, 5, 3).unwrap();
    let head = format!("{}.", p.spec.head_index());
    assert_eq!(
        report.skipped,
        [format!("{head}bias"), format!("{head}weight")]
    );
    assert_eq!(report.loaded.len(), 2 * p.spec.depth());
    let file = snapshot(&reloaded);
    let loaded = snapshot(&model);
    let body = |s: &[(String, Vec<f32>)]| {
        s.iter()
            .filter(|(n, _)| !n.starts_with(&head))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&body(&loaded)), bits(&body(&file)));
    assert_eq!(
        bits(&under(&loaded, &head)),
        bits(&under(&snapshot(&p.spec.build(5, 3)), &head))
    );
}

#[test]
fn frozen_layers_keep_their_weights_bitwise_and_the_others_train() {
    let dir = ScratchDir::new("fine-tuning-frozen");
    let p = pretrained(&dir.0);
    let training = short(&p.settings, 0);
    let (start, _) = p.spec.pretrained(&p.weights, 5, training.seed).unwrap();
    let before = snapshot(&start);
    for strategy in [
        Strategy::HeadOnly,
        Strategy::FreezeFirst(1),
        Strategy::FreezeFirst(2),
    ] {
        let (result, trained) = run(&p, strategy, &training);
        let after = snapshot(&trained);
        let frozen = strategy.frozen_layers(p.spec.depth());
        for j in 0..p.spec.depth() {
            let prefix = format!("{}.", NetSpec::hidden_index(j));
            if j < frozen {
                assert_eq!(
                    bits(&under(&before, &prefix)),
                    bits(&under(&after, &prefix)),
                    "{}: hidden layer {j} is frozen",
                    strategy.name()
                );
            } else {
                assert!(
                    largest_change(&before, &after, &prefix) > 0.0,
                    "{}: hidden layer {j} trains",
                    strategy.name()
                );
            }
        }
        let head = format!("{}.", p.spec.head_index());
        assert!(
            largest_change(&before, &after, &head) > 0.0,
            "{}: the head trains",
            strategy.name()
        );
        // What trains is what the run reports as trainable.
        let expected: usize = under(&after, "")
            .iter()
            .filter(|(n, _)| {
                let layer: usize = n.split('.').next().unwrap().parse().unwrap();
                layer >= NetSpec::layers_to_freeze(frozen)
            })
            .map(|(_, v)| v.len())
            .sum();
        assert_eq!(result.trainable.0, expected, "{}", strategy.name());
    }
}

#[test]
fn fine_tune_all_trains_the_whole_body_at_the_lower_rate() {
    let dir = ScratchDir::new("fine-tuning-groups");
    let p = pretrained(&dir.0);
    let (start, _) = p.spec.pretrained(&p.weights, 5, 0).unwrap();
    let before = snapshot(&start);
    let head = format!("{}.", p.spec.head_index());
    let body_change = |scale: f64| {
        let training = TrainSettings {
            pretrained_lr_scale: scale,
            ..short(&p.settings, 0)
        };
        let (_, trained) = run(&p, Strategy::FineTuneAll, &training);
        let after = snapshot(&trained);
        let per_layer: Vec<f32> = (0..p.spec.depth())
            .map(|j| largest_change(&before, &after, &format!("{}.", NetSpec::hidden_index(j))))
            .collect();
        (per_layer, largest_change(&before, &after, &head))
    };
    // A body rate of 0: the group holds every body parameter (none moves)
    // and not the head (it trains at the full rate).
    let (frozen_body, head_moved) = body_change(0.0);
    assert_eq!(frozen_body, vec![0.0; p.spec.depth()]);
    assert!(head_moved > 0.0);
    // At a tenth of the rate every body layer moves, less than at the full
    // rate (Adam's steps scale with the rate).
    let (tenth, _) = body_change(0.1);
    let (full, _) = body_change(1.0);
    for j in 0..p.spec.depth() {
        assert!(
            tenth[j] > 0.0 && tenth[j] < full[j],
            "layer {j}: {} vs {}",
            tenth[j],
            full[j]
        );
    }
}

#[test]
fn a_run_is_the_same_from_its_seed_on_one_thread_or_two() {
    let dir = ScratchDir::new("fine-tuning-determinism");
    let p = pretrained(&dir.0);
    let training = short(&p.settings, 1);
    let on = |threads: usize, strategy: Strategy| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run(&p, strategy, &training))
    };
    for strategy in [
        Strategy::FreezeFirst(1),
        Strategy::FineTuneAll,
        Strategy::Scratch,
    ] {
        let (a, ma) = on(1, strategy);
        let (b, mb) = on(2, strategy);
        assert_same_epochs(&a.history, &b.history);
        assert_eq!(a.test_accuracy.to_bits(), b.test_accuracy.to_bits());
        assert_eq!(
            bits(&snapshot(&ma)),
            bits(&snapshot(&mb)),
            "{}",
            strategy.name()
        );
    }
    // Another seed: another sample, head and batch order.
    let (c, _) = run(&p, Strategy::Scratch, &short(&p.settings, 2));
    let (a, _) = on(1, Strategy::Scratch);
    assert_ne!(
        a.history.epochs[0].train_loss.to_bits(),
        c.history.epochs[0].train_loss.to_bits()
    );
}

#[test]
fn the_grid_in_small_freezing_more_costs_accuracy_and_scratch_wins_large_dissimilar() {
    let dir = ScratchDir::new("fine-tuning-grid");
    let p = pretrained(&dir.0);
    let settings = Settings {
        seeds: [1; 4],
        ..p.settings.clone()
    };
    let depth = p.spec.depth();
    for cell in Cell::ALL {
        let result = run_cell(cell, &p.tasks, &settings, &p.weights, false).unwrap();
        // Measured with seed 0 (and the medians of seeds 0-2 agree): in every
        // cell the accuracy falls as more of the body pretrained on five
        // classes is frozen; its top layers' features are specific to them.
        let sweep: Vec<f64> = (0..=depth)
            .map(|k| {
                let s = if k == depth {
                    Strategy::HeadOnly
                } else {
                    Strategy::FreezeFirst(k)
                };
                result.median(s).unwrap()
            })
            .collect();
        for k in 0..depth {
            assert!(
                sweep[k] > sweep[k + 1],
                "{}: k sweep {sweep:?}",
                cell.name()
            );
        }
        let scratch = result.median(Strategy::Scratch).unwrap();
        let head_only = result.median(Strategy::HeadOnly).unwrap();
        assert!(
            scratch > head_only + 0.2,
            "{}: scratch {scratch}, head only {head_only}",
            cell.name()
        );
        if cell == Cell::LargeDissimilar {
            // The text's advice for this cell wins it.
            assert_eq!(winner(&result, settings.table_k).0, Strategy::Scratch);
        }
    }
}

#[test]
fn layerwise_pretraining_trains_a_deep_sigmoid_net_that_plain_sgd_leaves_at_chance() {
    let settings = Settings::quick().layerwise;
    let (unlabelled, labelled, test, classes) =
        layerwise_data(&settings, true, Path::new("unused in quick mode")).unwrap();
    let c = compare(&unlabelled, &labelled, &test, classes, &settings).unwrap();
    // Every layer's autoencoder learned to reconstruct its inputs.
    for layer in &c.report.layers {
        assert!(layer.final_loss < 0.1 * layer.initial_loss, "{layer:?}");
    }
    let last_loss =
        |r: &fine_tuning::layerwise::DeepRun| r.history.epochs.last().unwrap().train_loss;
    // Measured: the plain net ends at 2.310 (ln 10 = 2.303: chance) with a
    // first-layer gradient 1e-5 of the head's; the pretrained one at 0.59,
    // test accuracy 0.70 against 0.10, its first layer's gradient 1e-2 of
    // the head's in epoch 1.
    assert!(last_loss(&c.plain) > 2.2, "{}", last_loss(&c.plain));
    assert!(
        last_loss(&c.pretrained) < 1.0,
        "{}",
        last_loss(&c.pretrained)
    );
    assert!(c.pretrained.test_accuracy > c.plain.test_accuracy + 0.3);
    assert!(c.pretrained.first_over_head[0] > 100.0 * c.plain.first_over_head[0]);
}

#[test]
fn upscaling_keeps_constants_and_corners_and_is_monotone_along_a_ramp() {
    let constant = vec![0.25f32; 64];
    assert!(upscale(&constant, 8, 28)
        .iter()
        .all(|&p| (p - 0.25).abs() < 1e-7));
    // A ramp along the columns: every row of the result rises, the first
    // and last columns clamp to the source's border values.
    let ramp: Vec<f32> = (0..64).map(|i| (i % 8) as f32 / 7.0).collect();
    let big = upscale(&ramp, 8, 28);
    assert_eq!(big.len(), 28 * 28);
    for row in big.chunks(28) {
        assert!(row.windows(2).all(|w| w[1] >= w[0]), "{row:?}");
        assert_eq!((row[0], row[27]), (0.0, 1.0));
    }
}

#[test]
fn a_small_sample_has_exactly_n_distinct_images_of_each_class() {
    let labels: Vec<usize> = (0..300).map(|i| i % 3).collect();
    let sample = per_class_sample(&labels, 10, 4).unwrap();
    assert_eq!(sample.len(), 30);
    for c in 0..3 {
        assert_eq!(sample.iter().filter(|&&i| labels[i] == c).count(), 10);
    }
    let mut distinct = sample.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 30);
    assert_eq!(sample, per_class_sample(&labels, 10, 4).unwrap());
    assert_ne!(sample, per_class_sample(&labels, 10, 5).unwrap());
    let err = per_class_sample(&labels, 101, 0).unwrap_err().to_string();
    assert!(
        err.contains("class 0 has 100 examples, 101 were asked for"),
        "{err}"
    );
}
