//! In K-fold every example is validated exactly once and trained on in the
//! other folds; stratified folds keep class shares within one example.

use proptest::prelude::*;
use wengert_data::{kfold, stratified_kfold, try_kfold, Fold};

fn assert_folds_partition(folds: &[Fold], n: usize) {
    let mut validated = vec![0usize; n];
    for fold in folds {
        let mut in_fold = vec![0u8; n];
        for &i in fold.train.iter().chain(&fold.validation) {
            in_fold[i] += 1;
        }
        assert!(
            in_fold.iter().all(|&c| c == 1),
            "a fold's train and validation must partition 0..{n}"
        );
        for &i in &fold.validation {
            validated[i] += 1;
        }
    }
    assert!(
        validated.iter().all(|&c| c == 1),
        "every example must be validated exactly once: {validated:?}"
    );
}

proptest! {
    #[test]
    fn every_example_is_in_exactly_one_validation_fold(n in 2usize..200, k_raw in 2usize..12, seed in proptest::option::of(any::<u64>())) {
        let k = k_raw.min(n);
        let folds = kfold(n, k, seed);
        prop_assert_eq!(folds.len(), k);
        assert_folds_partition(&folds, n);
        let sizes: Vec<usize> = folds.iter().map(|f| f.validation.len()).collect();
        prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "fold sizes {:?}", sizes);
    }

    #[test]
    fn stratified_folds_keep_class_shares_within_one(
        labels in proptest::collection::vec(0usize..4, 2..200),
        k_raw in 2usize..8,
        seed in proptest::option::of(any::<u64>()),
    ) {
        let k = k_raw.min(labels.len());
        let folds = stratified_kfold(&labels, k, seed);
        assert_folds_partition(&folds, labels.len());
        for class in 0..4 {
            let n_class = labels.iter().filter(|&&c| c == class).count() as f64;
            for fold in &folds {
                let count = fold.validation.iter().filter(|&&i| labels[i] == class).count() as f64;
                prop_assert!((count - n_class / k as f64).abs() < 1.0, "class {} count {} vs {}", class, count, n_class / k as f64);
            }
        }
    }

    #[test]
    fn same_seed_gives_same_folds(n in 2usize..100, seed in any::<u64>()) {
        prop_assert_eq!(kfold(n, 2, Some(seed)), kfold(n, 2, Some(seed)));
        let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
        prop_assert_eq!(stratified_kfold(&labels, 2, Some(seed)), stratified_kfold(&labels, 2, Some(seed)));
    }
}

#[test]
fn unshuffled_folds_are_contiguous_blocks_as_in_the_text() {
    let folds = kfold(10, 3, None);
    assert_eq!(folds[0].validation, vec![0, 1, 2, 3]);
    assert_eq!(folds[1].validation, vec![4, 5, 6]);
    assert_eq!(folds[2].validation, vec![7, 8, 9]);
    assert_eq!(folds[1].train, vec![0, 1, 2, 3, 7, 8, 9]);
}

#[test]
fn k_must_be_between_2_and_n() {
    assert!(try_kfold(5, 1, None)
        .unwrap_err()
        .to_string()
        .contains("between 2 and the number of examples (5), got 1"));
    assert!(try_kfold(5, 6, None).is_err());
}
