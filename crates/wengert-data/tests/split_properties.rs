//! Splits are disjoint, cover every index, are reproducible from the seed,
//! and stratification keeps each class's share within one example.

use proptest::prelude::*;
use wengert_data::{
    random_split, stratified_split, try_random_split, SplitFractions, SplitIndices,
};

fn fractions() -> impl Strategy<Value = SplitFractions> {
    (0.0f64..1.0, 0.0f64..1.0).prop_map(|(a, b)| {
        let train = a;
        let validation = (1.0 - a) * b;
        SplitFractions::new(train, validation, 1.0 - train - validation)
    })
}

fn assert_partition(split: &SplitIndices, n: usize) {
    let mut seen = vec![0u8; n];
    for &i in split
        .train
        .iter()
        .chain(&split.validation)
        .chain(&split.test)
    {
        seen[i] += 1;
    }
    assert!(
        seen.iter().all(|&s| s == 1),
        "not a partition of 0..{n}: {seen:?}"
    );
}

fn within_one(count: usize, exact: f64) -> bool {
    (count as f64 - exact).abs() <= 1.0 + 1e-9
}

proptest! {
    #[test]
    fn random_split_is_disjoint_covers_and_sizes_are_within_one(n in 0usize..300, f in fractions(), seed in any::<u64>()) {
        let split = random_split(n, f, seed);
        assert_partition(&split, n);
        prop_assert!(within_one(split.train.len(), n as f64 * f.train));
        prop_assert!(within_one(split.validation.len(), n as f64 * f.validation));
        prop_assert!(within_one(split.test.len(), n as f64 * f.test));
    }

    #[test]
    fn same_seed_gives_same_split(n in 1usize..300, f in fractions(), seed in any::<u64>()) {
        prop_assert_eq!(random_split(n, f, seed), random_split(n, f, seed));
        let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
        prop_assert_eq!(stratified_split(&labels, f, seed), stratified_split(&labels, f, seed));
    }

    #[test]
    fn stratified_split_keeps_each_class_share_within_one(
        labels in proptest::collection::vec(0usize..5, 1..300),
        f in fractions(),
        seed in any::<u64>(),
    ) {
        let split = stratified_split(&labels, f, seed);
        assert_partition(&split, labels.len());
        for class in 0..5 {
            let n_class = labels.iter().filter(|&&c| c == class).count() as f64;
            for (part, fraction) in [(&split.train, f.train), (&split.validation, f.validation), (&split.test, f.test)] {
                let count = part.iter().filter(|&&i| labels[i] == class).count();
                prop_assert!(within_one(count, n_class * fraction),
                    "class {} has {} in a part of fraction {}, exact {}", class, count, fraction, n_class * fraction);
            }
        }
    }
}

#[test]
fn different_seeds_give_different_orders() {
    let f = SplitFractions::new(0.5, 0.25, 0.25);
    assert_ne!(random_split(100, f, 1), random_split(100, f, 2));
}

#[test]
fn fractions_must_sum_to_one() {
    let err = try_random_split(10, SplitFractions::new(0.5, 0.4, 0.2), 0).unwrap_err();
    assert!(err.to_string().contains("sum to 1"), "{err}");
    assert!(try_random_split(10, SplitFractions::new(1.2, -0.2, 0.0), 0).is_err());
}
