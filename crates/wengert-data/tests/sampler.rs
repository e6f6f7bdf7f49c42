//! Weighted and class-balanced sampling through the loader: drawn class
//! frequencies follow the target, the seed and epoch fix the draws, the
//! batch count follows the draw count, loaders without a sampler are
//! unchanged, and bad weights, targets and lengths give clear errors.

use wengert_data::augment::{Compose, RandomShiftCrop};
use wengert_data::{
    ClassDistribution, DataError, DataLoader, InMemoryDataset, LoaderConfig, Sampler, Targets,
    WeightedSampler,
};
use wengert_tensor::Tensor;

/// 900 / 90 / 10 examples of classes 0 / 1 / 2 (a 90/9/1 skew), interleaved
/// so a class is not one block of indices; feature = index.
fn skewed_labels() -> Vec<usize> {
    (0..1000)
        .map(|i| match i % 100 {
            0 => 2,
            1..=9 => 1,
            _ => 0,
        })
        .collect()
}

fn dataset(labels: &[usize], feature_shape: &[usize]) -> InMemoryDataset<f32> {
    let n = labels.len();
    let per: usize = feature_shape.iter().product();
    let mut shape = vec![n];
    shape.extend_from_slice(feature_shape);
    let x = Tensor::from_vec((0..n * per).map(|v| v as f32).collect(), &shape);
    let classes = labels.iter().max().map_or(1, |&m| m + 1);
    InMemoryDataset::classification(x, labels.to_vec(), classes)
}

/// Class counts over `epochs` epochs of the loader's batches (the labels the
/// batches carry, so the whole path sampler -> order -> collate is checked).
fn class_counts_of_batches(
    loader: &DataLoader<f32, InMemoryDataset<f32>>,
    epochs: u64,
) -> Vec<u64> {
    let mut counts = vec![0u64; 3];
    for epoch in 0..epochs {
        for batch in loader.epoch(epoch) {
            let Targets::Classes(labels) = &batch.targets else {
                panic!("classes expected")
            };
            for &c in labels {
                counts[c] += 1;
            }
        }
    }
    counts
}

/// Asserts each class count is within 5 binomial standard deviations of its
/// expectation: a class drawn with probability `p` in each of `m`
/// independent draws has a count with mean `m p` and standard deviation
/// `sqrt(m p (1 - p))`, and a deviation of 5 of them has probability below
/// 6e-7, so a pass is not luck and a wrong distribution (a share off by even
/// 0.01 here) fails.
fn assert_within_five_sigma(counts: &[u64], target: &[f64]) {
    let m: u64 = counts.iter().sum();
    for (c, (&k, &p)) in counts.iter().zip(target).enumerate() {
        let mean = m as f64 * p;
        let sigma = (m as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (k as f64 - mean).abs() <= 5.0 * sigma,
            "class {c}: drew {k} of {m}, expected {mean} +- 5 * {sigma} (target {target:?})"
        );
    }
}

/// Over 3 epochs of 20,000 draws (60,000 in all) from the 90/9/1 dataset,
/// the balanced sampler's class counts are within 5 binomial sigma
/// (`5 * sqrt(60000 * p * (1 - p))`, about 577 draws for `p = 1/3`) of a
/// uniform third each.
#[test]
fn balanced_sampler_draws_skewed_classes_uniformly_within_five_sigma() {
    let labels = skewed_labels();
    let sampler = WeightedSampler::class_balanced(&labels, 20_000);
    let loader = DataLoader::new(dataset(&labels, &[1]), LoaderConfig::new(100).seed(4))
        .with_sampler(sampler);
    let counts = class_counts_of_batches(&loader, 3);
    assert_within_five_sigma(&counts, &[1.0 / 3.0; 3]);
}

/// The same 60,000 draws for the non-uniform target 0.2 / 0.3 / 0.5 (the
/// rare class the most frequent): counts within 5 binomial sigma
/// (`5 * sqrt(60000 * p * (1 - p))`: 490, 561 and 612 draws) of
/// 12,000 / 18,000 / 30,000.
#[test]
fn target_sampler_draws_a_non_uniform_distribution_within_five_sigma() {
    let labels = skewed_labels();
    let target = [0.2, 0.3, 0.5];
    let sampler =
        WeightedSampler::for_target(&labels, &ClassDistribution::new(target.to_vec()), 20_000);
    let loader = DataLoader::new(dataset(&labels, &[1]), LoaderConfig::new(100).seed(9))
        .with_sampler(sampler);
    let counts = class_counts_of_batches(&loader, 3);
    assert_within_five_sigma(&counts, &target);
}

/// Plain per-example weights 1, 2, 3, 0, 4: over 50,000 draws example `i` is
/// drawn within 5 binomial sigma of `50000 * w[i] / 10`, and the example of
/// weight 0 never.
#[test]
fn weighted_sampler_draws_in_proportion_to_weights_and_never_a_zero_weight() {
    let weights = vec![1.0, 2.0, 3.0, 0.0, 4.0];
    let sampler = WeightedSampler::new(weights.clone(), 50_000);
    let mut counts = vec![0u64; 5];
    for i in sampler.indices(21, 0) {
        counts[i] += 1;
    }
    assert_eq!(counts[3], 0, "weight 0 was drawn");
    let probabilities: Vec<f64> = weights.iter().map(|w| w / 10.0).collect();
    assert_within_five_sigma(&counts, &probabilities);
    assert_eq!(sampler.probability(4), 0.4);
}

#[test]
fn same_seed_and_epoch_give_the_same_draws_and_other_epochs_or_seeds_differ() {
    let labels = skewed_labels();
    let sampler = WeightedSampler::class_balanced(&labels, 500);
    assert_eq!(sampler.indices(3, 2), sampler.indices(3, 2));
    assert_ne!(sampler.indices(3, 2), sampler.indices(3, 1));
    assert_ne!(sampler.indices(3, 2), sampler.indices(4, 2));
    // Through a loader: the order is the sampler's draws with the loader's seed.
    let loader = DataLoader::new(dataset(&labels, &[1]), LoaderConfig::new(64).seed(3))
        .with_sampler(sampler.clone());
    assert_eq!(loader.epoch_order(2), sampler.indices(3, 2));
    let drawn: Vec<usize> = loader.epoch(2).flat_map(|b| b.indices).collect();
    assert_eq!(drawn, sampler.indices(3, 2));
}

#[test]
fn sampled_batches_are_identical_with_and_without_prefetch_and_resume_mid_epoch() {
    let labels = skewed_labels();
    let make = |prefetch: usize| {
        DataLoader::new(
            dataset(&labels, &[1, 4, 4]),
            LoaderConfig::new(50).seed(8).prefetch(prefetch),
        )
        .with_transform(Compose::new().then(RandomShiftCrop::new(1)))
        .with_sampler(WeightedSampler::class_balanced(&labels, 300))
    };
    let inline: Vec<_> = make(0).epoch(5).collect();
    let prefetched: Vec<_> = make(3).epoch(5).collect();
    assert_eq!(inline.len(), 6);
    assert_eq!(inline, prefetched);
    let rest: Vec<_> = make(2).epoch_from(5, 4).collect();
    assert_eq!(rest, inline[4..]);
}

#[test]
fn batch_count_follows_the_draw_count_and_drop_last() {
    let labels = skewed_labels();
    let sampler = WeightedSampler::class_balanced(&labels, 250);
    for (drop_last, batches, drawn) in [(false, 3, 250), (true, 2, 200)] {
        let loader = DataLoader::new(
            dataset(&labels, &[1]),
            LoaderConfig::new(100).drop_last(drop_last),
        )
        .with_sampler(sampler.clone());
        assert_eq!(loader.len(), batches, "drop_last = {drop_last}");
        let sizes: Vec<usize> = loader.epoch(0).map(|b| b.len()).collect();
        assert_eq!(sizes.len(), batches);
        assert_eq!(sizes.iter().sum::<usize>(), drawn);
    }
}

#[test]
fn the_shuffle_flag_does_not_change_a_sampled_order() {
    let labels = skewed_labels();
    let sampler = WeightedSampler::class_balanced(&labels, 400);
    let order = |shuffle: bool| {
        DataLoader::new(
            dataset(&labels, &[1]),
            LoaderConfig::new(32).seed(1).shuffle(shuffle),
        )
        .with_sampler(sampler.clone())
        .epoch_order(0)
    };
    assert_eq!(order(true), order(false));
}

/// The orders and batches of a loader without a sampler, recorded from the
/// loader at commit b7ae174 (before samplers existed): 20 examples, batch
/// size 6, seed 11, epochs 0 and 3. Adding samplers must not change them.
#[test]
fn loaders_without_a_sampler_keep_their_orders() {
    let labels: Vec<usize> = (0..20).map(|i| i % 3).collect();
    let loader = DataLoader::new(dataset(&labels, &[1]), LoaderConfig::new(6).seed(11));
    assert!(loader.sampler().is_none());
    assert_eq!(loader.len(), 4);
    assert_eq!(loader.epoch_order(0), GOLDEN_EPOCH_0);
    assert_eq!(loader.epoch_order(3), GOLDEN_EPOCH_3);
    let batches: Vec<Vec<usize>> = loader.epoch(3).map(|b| b.indices).collect();
    assert_eq!(batches.concat(), GOLDEN_EPOCH_3);
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        [6, 6, 6, 2]
    );
}

const GOLDEN_EPOCH_0: [usize; 20] = [
    16, 18, 2, 5, 7, 0, 4, 8, 3, 19, 11, 14, 6, 10, 9, 17, 12, 1, 15, 13,
];
const GOLDEN_EPOCH_3: [usize; 20] = [
    1, 10, 9, 5, 12, 18, 4, 8, 6, 19, 16, 15, 14, 3, 11, 2, 13, 7, 17, 0,
];

/// The first augmented batch of a loader without a sampler, recorded at
/// commit b7ae174: 4 images `[1, 4, 4]` holding `0..64`, a shift crop of
/// 1, seed 11, epoch 3. The repeat-aware augmentation seeding must leave a
/// plain loader's augmentations as they were.
#[test]
fn loaders_without_a_sampler_keep_their_augmentations() {
    let loader = DataLoader::new(
        dataset(&[0, 1, 0, 1], &[1, 4, 4]),
        LoaderConfig::new(4).seed(11),
    )
    .with_transform(Compose::new().then(RandomShiftCrop::new(1)));
    let batch = loader.epoch(3).next().unwrap();
    assert_eq!(batch.indices, [1, 3, 0, 2]);
    #[rustfmt::skip]
    let golden = [
        17.0, 18.0, 19.0, 0.0, 21.0, 22.0, 23.0, 0.0, 25.0, 26.0, 27.0, 0.0, 29.0, 30.0, 31.0, 0.0,
        53.0, 54.0, 55.0, 0.0, 57.0, 58.0, 59.0, 0.0, 61.0, 62.0, 63.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 5.0, 6.0, 7.0, 0.0, 9.0, 10.0, 11.0, 0.0,
        36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 0.0, 0.0, 0.0, 0.0,
    ];
    assert_eq!(batch.features.to_vec(), golden);
}

#[test]
fn a_class_with_a_share_but_no_example_is_an_error_naming_it() {
    // Classes 0 and 2 only; the target gives class 1 a share.
    let labels = [0, 2, 0, 2, 0];
    let target = ClassDistribution::new(vec![0.5, 0.25, 0.25]);
    let err = WeightedSampler::try_for_target(&labels, &target, 10).unwrap_err();
    assert!(
        matches!(err, DataError::EmptyTargetClass { class: 1, share, .. } if share == 0.25),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("WeightedSampler::for_target") && message.contains("class 1"),
        "{message}"
    );
    // A share of 0 for the missing class is fine.
    let target = ClassDistribution::new(vec![0.5, 0.0, 0.5]);
    assert!(WeightedSampler::try_for_target(&labels, &target, 10).is_ok());
}

#[test]
fn target_shares_must_be_finite_non_negative_and_sum_to_one() {
    let sum = ClassDistribution::try_new(vec![0.5, 0.6])
        .unwrap_err()
        .to_string();
    assert!(sum.contains("sum to 1") && sum.contains("1.1"), "{sum}");
    let negative = ClassDistribution::try_new(vec![1.5, -0.5])
        .unwrap_err()
        .to_string();
    assert!(
        negative.contains("class 1") && negative.contains("-0.5"),
        "{negative}"
    );
    let nan = ClassDistribution::try_new(vec![f64::NAN, 1.0])
        .unwrap_err()
        .to_string();
    assert!(nan.contains("class 0") && nan.contains("NaN"), "{nan}");
    assert!(ClassDistribution::try_new(vec![]).is_err());
    // Decimal shares that miss 1 by a rounding error are accepted.
    assert!(ClassDistribution::try_new(vec![0.1, 0.2, 0.7]).is_ok());
}

#[test]
fn weights_must_be_finite_non_negative_and_not_all_zero() {
    let negative = WeightedSampler::try_new(vec![1.0, -2.0], 5)
        .unwrap_err()
        .to_string();
    assert!(
        negative.contains("weight 1") && negative.contains("-2"),
        "{negative}"
    );
    let nan = WeightedSampler::try_new(vec![1.0, 1.0, f64::NAN], 5)
        .unwrap_err()
        .to_string();
    assert!(nan.contains("weight 2") && nan.contains("NaN"), "{nan}");
    let zeros = WeightedSampler::try_new(vec![0.0; 4], 5)
        .unwrap_err()
        .to_string();
    assert!(zeros.contains("all 4 weights are 0"), "{zeros}");
    let none = WeightedSampler::try_new(vec![1.0], 0)
        .unwrap_err()
        .to_string();
    assert!(none.contains("num_samples"), "{none}");
    assert!(WeightedSampler::try_new(vec![], 5).is_err());
}

#[test]
fn length_mismatches_are_errors_with_both_numbers() {
    // A label beyond the target's classes.
    let err =
        WeightedSampler::try_for_target(&[0, 1, 3], &ClassDistribution::uniform(2), 5).unwrap_err();
    assert!(matches!(err, DataError::Mismatch { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("label 3") && message.contains("2 classes"),
        "{message}"
    );
    // A sampler over 7 examples on a dataset of 1000.
    let loader = DataLoader::new(dataset(&skewed_labels(), &[1]), LoaderConfig::new(10));
    let message = match loader.try_with_sampler(WeightedSampler::new(vec![1.0; 7], 5)) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a sampler over 7 examples was accepted for 1000"),
    };
    assert!(
        message.contains("7 examples") && message.contains("1000"),
        "{message}"
    );
}

/// Weights that draw only example 0, 20 times an epoch, with a random shift
/// crop (9 possible shifts): the copies are augmented from their repeat
/// number, so they are not all the same image (all 20 equal would have
/// probability 9^-19), and the first copy is augmented exactly as a loader
/// without a sampler augments example 0 in that epoch.
#[test]
fn repeated_draws_of_an_example_are_augmented_differently() {
    let labels = vec![0, 1, 0, 1];
    let augment = || Compose::new().then(RandomShiftCrop::new(1));
    let mut weights = vec![0.0; 4];
    weights[0] = 1.0;
    let sampled = DataLoader::new(dataset(&labels, &[1, 4, 4]), LoaderConfig::new(20).seed(6))
        .with_transform(augment())
        .with_sampler(WeightedSampler::new(weights, 20));
    let batch = sampled.epoch(1).next().unwrap();
    assert_eq!(batch.indices, vec![0; 20]);
    let rows: Vec<Vec<f32>> = (0..20)
        .map(|r| batch.features.narrow(0, r, 1).to_vec())
        .collect();
    assert!(
        rows.iter().any(|row| row != &rows[0]),
        "all 20 copies are augmented alike"
    );

    let plain = DataLoader::new(dataset(&labels, &[1, 4, 4]), LoaderConfig::new(4).seed(6))
        .with_transform(augment());
    let plain_batch = plain.epoch(1).next().unwrap();
    let row = plain_batch.indices.iter().position(|&i| i == 0).unwrap();
    assert_eq!(plain_batch.features.narrow(0, row, 1).to_vec(), rows[0]);
}
