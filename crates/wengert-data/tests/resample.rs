//! Down- and over-sampling to a target class distribution: the documented
//! counts exactly, distinct real indices when downsampling, every example
//! kept (and repeated evenly) when oversampling, seeded, with clear errors;
//! and a property test of the counting rule over random labels and targets.

use proptest::prelude::*;
use wengert_data::{
    try_downsample, try_oversample, ClassDistribution, DataError, Dataset, InMemoryDataset, Subset,
    MAX_OVERSAMPLE_FACTOR,
};
use wengert_tensor::Tensor;

/// 90 / 9 / 1 examples of classes 0 / 1 / 2, interleaved.
fn skewed_labels() -> Vec<usize> {
    (0..100)
        .map(|i| match i % 100 {
            0 => 2,
            1..=9 => 1,
            _ => 0,
        })
        .collect()
}

fn class_counts(labels: &[usize], indices: &[usize], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for &i in indices {
        counts[labels[i]] += 1;
    }
    counts
}

fn times_taken(indices: &[usize], n: usize) -> Vec<usize> {
    let mut times = vec![0; n];
    for &i in indices {
        times[i] += 1;
    }
    times
}

#[test]
fn downsampling_hits_the_documented_counts() {
    let labels = skewed_labels();
    // (target, expected counts), each derived by hand from the module's rule
    // N = min(count / share), k = min(count, round(share * N)) with counts 90 / 9 / 1:
    let cases: [(Vec<f64>, [usize; 3]); 4] = [
        // N = min(270, 27, 3) = 3: one of each.
        (vec![1.0 / 3.0; 3], [1, 1, 1]),
        // N = min(112.5, 90, 10) = 10: 8, 1, 1.
        (vec![0.8, 0.1, 0.1], [8, 1, 1]),
        // Class 2 left out: N = min(180, 18) = 18: 9, 9, 0.
        (vec![0.5, 0.5, 0.0], [9, 9, 0]),
        // N = min(180, 30, 5) = 5: round(2.5) = 3 (halves away from zero), round(1.5) = 2, 1.
        (vec![0.5, 0.3, 0.2], [3, 2, 1]),
    ];
    for (shares, expected) in cases {
        let kept = try_downsample(&labels, &ClassDistribution::new(shares.clone()), 5).unwrap();
        assert_eq!(
            class_counts(&labels, &kept, 3),
            expected,
            "target {shares:?}"
        );
    }
}

#[test]
fn downsampling_takes_distinct_real_indices_and_makes_a_subset() {
    let labels = skewed_labels();
    let kept = try_downsample(&labels, &ClassDistribution::new(vec![0.5, 0.5, 0.0]), 2).unwrap();
    let times = times_taken(&kept, labels.len());
    assert!(times.iter().all(|&t| t <= 1), "an index was taken twice");
    assert_eq!(kept.len(), 18);
    // As a dataset: a Subset with the chosen classes.
    let x = Tensor::from_vec((0..100).map(|v| v as f32).collect(), &[100, 1]);
    let data = InMemoryDataset::classification(x, labels.clone(), 3);
    let subset = Subset::try_new(data, kept.clone()).expect("indices are below 100");
    let subset_labels = subset.class_labels().unwrap();
    assert_eq!(subset_labels.iter().filter(|&&c| c == 1).count(), 9);
    assert_eq!(subset_labels.iter().filter(|&&c| c == 2).count(), 0);
}

#[test]
fn oversampling_keeps_every_example_and_repeats_each_evenly() {
    let labels = skewed_labels();
    // N = max(270, 27, 3) = 270: 90 of each class, so each of the 9 examples of
    // class 1 appears 10 times and the one example of class 2 appears 90 times.
    let kept = try_oversample(&labels, &ClassDistribution::uniform(3), 4).unwrap();
    assert_eq!(class_counts(&labels, &kept, 3), [90, 90, 90]);
    let times = times_taken(&kept, labels.len());
    for (i, &t) in times.iter().enumerate() {
        let expected = [1, 10, 90][labels[i]];
        assert_eq!(t, expected, "example {i} of class {}", labels[i]);
    }
}

#[test]
fn oversampling_a_remainder_repeats_examples_floor_or_ceil_times() {
    // Counts 4 / 3, shares 0.3 / 0.7: N = max(13.33, 4.29) = 13.33, so
    // k = max(4, round(4)) = 4 and max(3, round(9.33)) = 9 = 3 * 3: exact copies.
    // Shares 0.2 / 0.8: N = max(20, 3.75) = 20, k = 4 and 16 = 3 * 5 + 1:
    // two examples of class 1 five times and one six times.
    let labels = [0, 1, 0, 1, 0, 1, 0];
    let kept = try_oversample(&labels, &ClassDistribution::new(vec![0.2, 0.8]), 1).unwrap();
    assert_eq!(class_counts(&labels, &kept, 2), [4, 16]);
    let mut ones: Vec<usize> = [1, 3, 5]
        .iter()
        .map(|&i| times_taken(&kept, 7)[i])
        .collect();
    ones.sort();
    assert_eq!(ones, [5, 5, 6]);
}

#[test]
fn resampling_is_fixed_by_the_seed() {
    let labels = skewed_labels();
    let target = ClassDistribution::new(vec![0.5, 0.5, 0.0]);
    let a = try_downsample(&labels, &target, 10).unwrap();
    assert_eq!(a, try_downsample(&labels, &target, 10).unwrap());
    assert_ne!(a, try_downsample(&labels, &target, 11).unwrap());
    let target = ClassDistribution::uniform(3);
    let b = try_oversample(&labels, &target, 10).unwrap();
    assert_eq!(b, try_oversample(&labels, &target, 10).unwrap());
    assert_ne!(b, try_oversample(&labels, &target, 11).unwrap());
}

#[test]
fn resampling_errors_name_the_problem() {
    let labels = [0, 0, 2];
    let target = ClassDistribution::uniform(3);
    for result in [
        try_downsample(&labels, &target, 0),
        try_oversample(&labels, &target, 0),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(err, DataError::EmptyTargetClass { class: 1, .. }),
            "{err:?}"
        );
    }
    let err = try_downsample(&[0, 5], &ClassDistribution::uniform(2), 0).unwrap_err();
    assert!(err.to_string().contains("label 5"), "{err}");
    // Keeping all 99 examples of class 0 at share 1e-6 would need 99 million examples.
    let labels: Vec<usize> = (0..100).map(|i| usize::from(i == 0)).collect();
    let err = try_oversample(&labels, &ClassDistribution::new(vec![1e-6, 1.0 - 1e-6]), 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("class 0") && err.contains(&MAX_OVERSAMPLE_FACTOR.to_string()),
        "{err}"
    );
}

/// Random labels over up to 5 classes and a target from random integer
/// weights (a class without examples gets weight 0, so the target is
/// always reachable), with the shares and the size N recomputed here.
fn labels_and_target() -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    (1usize..=5)
        .prop_flat_map(|classes| {
            (
                prop::collection::vec(0..classes, 1..150),
                prop::collection::vec(0u32..10, classes),
            )
        })
        .prop_filter_map(
            "some class with examples needs a positive weight",
            |(labels, weights)| {
                let present = |c: usize| labels.contains(&c);
                let weights: Vec<f64> = weights
                    .iter()
                    .enumerate()
                    .map(|(c, &w)| if present(c) { f64::from(w) } else { 0.0 })
                    .collect();
                let sum: f64 = weights.iter().sum();
                (sum > 0.0).then(|| (labels, weights.iter().map(|w| w / sum).collect()))
            },
        )
}

proptest! {
    #[test]
    fn resampled_counts_follow_the_documented_rule((labels, shares) in labels_and_target(), seed in any::<u64>()) {
        let classes = shares.len();
        let target = ClassDistribution::new(shares.clone());
        let count = class_counts(&labels, &(0..labels.len()).collect::<Vec<_>>(), classes);
        let ratios: Vec<f64> = (0..classes).filter(|&c| shares[c] > 0.0).map(|c| count[c] as f64 / shares[c]).collect();

        let down = try_downsample(&labels, &target, seed).unwrap();
        let n_down = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let k_down = class_counts(&labels, &down, classes);
        prop_assert!(times_taken(&down, labels.len()).iter().all(|&t| t <= 1));
        for c in 0..classes {
            prop_assert!(k_down[c] <= count[c]);
            if shares[c] == 0.0 {
                prop_assert_eq!(k_down[c], 0);
            } else {
                prop_assert!((k_down[c] as f64 - shares[c] * n_down).abs() <= 0.5 + 1e-9,
                    "downsample class {}: kept {} for share {} * N {}", c, k_down[c], shares[c], n_down);
                // The class that sets N keeps all its examples.
                if (count[c] as f64 / shares[c] - n_down).abs() <= 1e-9 * n_down {
                    prop_assert_eq!(k_down[c], count[c]);
                }
            }
        }

        let over = try_oversample(&labels, &target, seed).unwrap();
        let n_over = ratios.iter().copied().fold(0.0, f64::max);
        let k_over = class_counts(&labels, &over, classes);
        prop_assert!(over.iter().all(|&i| i < labels.len()));
        let times = times_taken(&over, labels.len());
        for c in 0..classes {
            if shares[c] == 0.0 {
                prop_assert_eq!(k_over[c], 0);
                continue;
            }
            prop_assert!(k_over[c] >= count[c]);
            prop_assert!((k_over[c] as f64 - shares[c] * n_over).abs() <= 0.5 + 1e-9,
                "oversample class {}: kept {} for share {} * N {}", c, k_over[c], shares[c], n_over);
            let (low, high) = (k_over[c] / count[c], k_over[c].div_ceil(count[c]));
            for (i, &t) in times.iter().enumerate() {
                if labels[i] == c {
                    prop_assert!(t >= 1 && (t == low || t == high),
                        "example {} of class {} taken {} times, expected {} or {}", i, c, t, low, high);
                }
            }
        }
    }
}
