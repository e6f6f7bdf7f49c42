//! The `small_data` example's claims in small, on its `--quick` data
//! (`examples/small_data/` included here; the embedded digits, 10
//! labelled per class, the rest of a 70% share as the pool): L1 at a
//! suitable strength keeps exactly the relevant inputs of the synthetic
//! set while L2 at every strength keeps irrelevant ones and zeroes none;
//! class-balanced sampling (and oversampling) raises the worst and the
//! rare classes' accuracy on a long-tailed sample; pseudo-labels taken
//! above a threshold are mostly right, fewer at a higher threshold, and
//! pseudo-labelling with no round is bitwise the from-scratch run; the
//! pretrained network's gain lies on the classes it had labels for; and
//! the runs are the same from their seed on one thread or two.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/small_data/main.rs"]
mod small_data;

use small_data::data::{digits, draw, Draw, ImageSet};
use small_data::pseudo::{pseudo_label, run_pseudo};
use small_data::sparsity::{precision_recall, sweep, Norm, RELEVANT};
use small_data::strategies::{run_balancing, run_remedy, Balancing, Remedy};
use small_data::training::Run;
use small_data::{run_balanced, run_imbalanced, source_network, spread, Settings};

use crate::{assert_same_epochs, ScratchDir};

fn quick() -> (ImageSet, Settings) {
    (digits().unwrap(), Settings::quick())
}

fn draw_of(set: &ImageSet, settings: &Settings, seed: u64) -> Draw {
    draw(
        set.labels(),
        settings.per_class,
        settings.pool,
        &settings.long_tail,
        seed,
    )
    .unwrap()
}

#[test]
fn l1_keeps_exactly_the_relevant_inputs_at_a_suitable_strength_and_l2_keeps_irrelevant_ones() {
    let settings = Settings::quick().sparsity;
    let rows = sweep(&settings).unwrap();
    let seeds = settings.seeds.len();
    let l1: Vec<_> = rows.iter().filter(|r| r.norm == Norm::L1).collect();
    let l2: Vec<_> = rows.iter().filter(|r| r.norm == Norm::L2).collect();
    // Some strength of L1 recovers exactly the four relevant inputs on
    // every synthetic set.
    let exact: Vec<f64> = l1
        .iter()
        .filter(|r| r.exact_recoveries() == seeds)
        .map(|r| r.lambda)
        .collect();
    assert!(
        !exact.is_empty(),
        "no L1 strength recovers the relevant inputs"
    );
    // L2 never does: at every strength each set keeps every relevant
    // input and some irrelevant one. It shrinks without zeroing: at most
    // one weight in eight ends near zero (an unpenalised irrelevant weight
    // lands within 1e-3 of zero about 1% of the time, and L2 only scales
    // it), where L1 at its exact strength zeroes all 16 irrelevant ones.
    for row in &l2 {
        for fit in &row.fits {
            let (precision, recall) = precision_recall(&fit.survivors(), &RELEVANT);
            assert_eq!(recall, 1.0, "L2 at {}", row.lambda);
            assert!(
                precision < 1.0,
                "L2 at {} kept only the relevant",
                row.lambda
            );
            assert!(
                fit.near_zero() <= 2,
                "L2 at {}: {}",
                row.lambda,
                fit.near_zero()
            );
        }
    }
    let irrelevant = settings.inputs - RELEVANT.len();
    for row in l1.iter().filter(|r| exact.contains(&r.lambda)) {
        assert!(row.fits.iter().all(|f| f.near_zero() == irrelevant));
    }
    // Without a penalty the two are the same fit, bit for bit: the only
    // difference between the rows is the penalty.
    let bits = |w: &[f64]| w.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(l1[0].lambda, 0.0);
    for (a, b) in l1[0].fits.iter().zip(&l2[0].fits) {
        assert_eq!(bits(&a.weights), bits(&b.weights));
    }
    // A stronger L1 zeroes at least as many weights, on every set.
    for s in 0..seeds {
        let zeros: Vec<usize> = l1.iter().map(|r| r.fits[s].near_zero()).collect();
        assert!(zeros.windows(2).all(|w| w[0] <= w[1]), "set {s}: {zeros:?}");
    }
}

#[test]
fn class_balanced_sampling_raises_the_worst_and_the_rare_classes_of_a_long_tail() {
    let (set, settings) = quick();
    let runs = run_imbalanced(&set, &settings, false).unwrap();
    let of = |b: Balancing| -> &Vec<Run> { &runs.iter().find(|(x, _)| *x == b).unwrap().1 };
    let rare = settings.rare_classes();
    assert_eq!(rare, [8, 9]);
    let plain = of(Balancing::Plain);
    for balanced in [Balancing::WeightedSampler, Balancing::Oversampled] {
        for (seed, (p, b)) in plain.iter().zip(of(balanced)).enumerate() {
            assert!(
                b.score.worst() > p.score.worst(),
                "{}, seed {seed}: worst class {} against plain {}",
                balanced.name(),
                b.score.worst(),
                p.score.worst()
            );
            assert!(
                b.score.mean_over(&rare) > p.score.mean_over(&rare) + 0.1,
                "{}, seed {seed}: rare classes {} against plain {}",
                balanced.name(),
                b.score.mean_over(&rare),
                p.score.mean_over(&rare)
            );
        }
    }
    // Balancing by drawing does not cost overall accuracy here (the test
    // set has as many of every class).
    let median =
        |runs: &[Run]| spread(&runs.iter().map(|r| r.score.accuracy).collect::<Vec<_>>()).0;
    assert!(median(of(Balancing::WeightedSampler)) > median(plain));
    // Every row took about the same number of steps.
    // An epoch's record holds the steps taken so far.
    let steps = |r: &Run| r.history.epochs.last().map_or(0, |e| e.steps);
    for (b, done) in &runs {
        let s = steps(&done[0]) as f64;
        let budget = settings.run.steps() as f64;
        assert!(
            (s - budget).abs() / budget < 0.15,
            "{}: {s} steps",
            b.name()
        );
    }
}

#[test]
fn pseudo_labels_are_mostly_right_and_fewer_at_a_higher_threshold() {
    let (set, settings) = quick();
    let spec = settings.spec(set.inputs());
    for seed in 0..2 {
        let d = draw_of(&set, &settings, seed);
        let run = run_pseudo(
            &set,
            &spec,
            &d.labelled,
            &d.pool,
            &settings.run.with_seed(seed),
            &settings.pseudo,
        )
        .unwrap();
        let (low, high) = (&run.sweep[0], &run.sweep[1]);
        assert!(low.threshold < high.threshold);
        assert!(high.added <= low.added, "{} > {}", high.added, low.added);
        for point in &run.sweep {
            assert!(point.added > 0, "threshold {}", point.threshold);
            let right = point.label_accuracy.unwrap();
            assert!(right > 0.95, "threshold {}: {right}", point.threshold);
        }
        // The final run did what the rule chose.
        let (threshold, rounds) = run.chosen;
        assert!(settings.pseudo.thresholds.contains(&threshold));
        assert_eq!(run.report.rounds.len(), rounds);
        let chosen = run.sweep.iter().find(|p| p.threshold == threshold).unwrap();
        for point in &run.sweep {
            for &a in &point.validation {
                assert!(
                    a <= chosen.validation[rounds],
                    "the rule took a worse point"
                );
            }
        }
    }
}

#[test]
fn pseudo_labelling_with_no_round_is_the_from_scratch_run_bitwise() {
    let (set, settings) = quick();
    let spec = settings.spec(set.inputs());
    let d = draw_of(&set, &settings, 1);
    let run = settings.run.with_seed(1);
    let pool = set.part(d.pool.clone());
    let (report, model) = pseudo_label(
        &set,
        &spec,
        &d.labelled,
        &pool,
        0.9,
        0,
        &run,
        &settings.pseudo,
        None,
    )
    .unwrap();
    assert!(report.rounds.is_empty());
    let dir = ScratchDir::new("small-data-scratch");
    let scratch = run_remedy(
        Remedy::Scratch,
        &set,
        &spec,
        &dir.0.join("unused.safetensors"),
        &d.labelled,
        &run,
        settings.pretrained_lr_scale,
        &settings.augment,
    )
    .unwrap();
    let pseudo_score = small_data::training::score(&model, &set.test, set.classes).unwrap();
    assert_eq!(pseudo_score, scratch.score);
}

#[test]
fn the_pretrained_networks_gain_lies_on_the_classes_it_had_labels_for() {
    let (set, settings) = quick();
    let dir = ScratchDir::new("small-data-pretrained");
    let source = source_network(&set, &settings, &dir.0, None).unwrap();
    let part = run_balanced(&set, &settings, &source, false).unwrap();
    let of = |r: Remedy| &part.remedies.iter().find(|(x, _)| *x == r).unwrap().1;
    let scratch = of(Remedy::Scratch);
    let (first, second) = ([0, 1, 2, 3, 4], [5, 6, 7, 8, 9]);
    for remedy in [Remedy::FineTuneAll, Remedy::FineTuneOneRate] {
        let gains = |classes: &[usize]| {
            let d: Vec<f64> = of(remedy)
                .iter()
                .zip(scratch)
                .map(|(r, s)| r.score.mean_over(classes) - s.score.mean_over(classes))
                .collect();
            spread(&d).0
        };
        let (seen, unseen) = (gains(&first), gains(&second));
        assert!(
            seen > unseen,
            "{}: gain {seen} on the source's classes, {unseen} on the others",
            remedy.name()
        );
    }
}

#[test]
fn the_runs_are_the_same_from_their_seed_on_one_thread_or_two() {
    let (set, settings) = quick();
    let spec = settings.spec(set.inputs());
    let d = draw_of(&set, &settings, 2);
    let run = settings.run.with_seed(2);
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let dir = ScratchDir::new(&format!("small-data-threads-{threads}"));
                let augmented = run_remedy(
                    Remedy::AllAugmentations,
                    &set,
                    &spec,
                    &dir.0.join("unused.safetensors"),
                    &d.labelled,
                    &run,
                    settings.pretrained_lr_scale,
                    &settings.augment,
                )
                .unwrap();
                let weighted =
                    run_balancing(Balancing::WeightedSampler, &set, &spec, &d.long_tail, &run)
                        .unwrap();
                let pool = set.part(d.pool.clone());
                let (report, model) = pseudo_label(
                    &set,
                    &spec,
                    &d.labelled,
                    &pool,
                    0.9,
                    1,
                    &run,
                    &settings.pseudo,
                    None,
                )
                .unwrap();
                let pseudo = small_data::training::score(&model, &set.test, set.classes).unwrap();
                (augmented, weighted, report, pseudo)
            })
    };
    let (a1, w1, r1, p1) = on(1);
    let (a2, w2, r2, p2) = on(2);
    assert_same_epochs(&a1.history, &a2.history);
    assert_eq!(a1.score, a2.score);
    assert_same_epochs(&w1.history, &w2.history);
    assert_eq!(w1.score, w2.score);
    assert_eq!(r1, r2);
    assert!(r1.total() > 0);
    assert_eq!(p1, p2);
}
