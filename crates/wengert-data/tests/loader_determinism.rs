//! The loader: batches are the same with and without prefetching for a
//! seed, epochs differ, every example appears once per epoch, drop-last and
//! collate behave, and a worker's panic reaches the caller.

use wengert_data::augment::{Compose, Mixup, RandomHorizontalFlip, RandomShiftCrop};
use wengert_data::{embedded, Batch, DataLoader, Dataset, InMemoryDataset, LoaderConfig, Targets};
use wengert_tensor::{Tensor, WengertRng};

fn digits_images() -> InMemoryDataset<f32> {
    embedded::digits().unwrap().with_feature_shape(&[1, 8, 8])
}

fn collect(loader_prefetch: usize, epoch: u64, augment: bool) -> Vec<Batch<f32>> {
    let mut loader = DataLoader::new(
        digits_images(),
        LoaderConfig::new(100).seed(5).prefetch(loader_prefetch),
    );
    if augment {
        loader = loader.with_transform(
            Compose::new()
                .then(RandomHorizontalFlip::new(0.5))
                .then(RandomShiftCrop::new(2)),
        );
    }
    loader.epoch(epoch).collect()
}

#[test]
fn same_seed_gives_identical_batches_with_and_without_prefetch() {
    for augment in [false, true] {
        let inline = collect(0, 3, augment);
        let prefetched = collect(4, 3, augment);
        assert_eq!(inline.len(), 18);
        assert_eq!(inline, prefetched, "augment = {augment}");
    }
}

#[test]
fn different_epochs_give_different_orders_and_augmentations() {
    let (a, b) = (collect(2, 0, true), collect(2, 1, true));
    assert_ne!(a[0].indices, b[0].indices);
    // The same example is augmented differently in another epoch (with high probability
    // over 1797 examples at least one differs).
    let features_of = |batches: &[Batch<f32>], index: usize| {
        batches.iter().find_map(|batch| {
            batch
                .indices
                .iter()
                .position(|&i| i == index)
                .map(|row| batch.features.narrow(0, row, 1).to_vec())
        })
    };
    let differing = (0..50)
        .filter(|&i| features_of(&a, i) != features_of(&b, i))
        .count();
    assert!(differing > 0);
}

#[test]
fn every_example_appears_once_per_epoch() {
    let loader = DataLoader::new(digits_images(), LoaderConfig::new(64).seed(9));
    let mut seen = vec![0u8; 1797];
    let mut labels_ok = true;
    let data = digits_images();
    for batch in loader.epoch(7) {
        let Targets::Classes(labels) = &batch.targets else {
            panic!("classes expected")
        };
        for (&i, &label) in batch.indices.iter().zip(labels) {
            seen[i] += 1;
            labels_ok &= data.labels().unwrap()[i] == label;
        }
    }
    assert!(seen.iter().all(|&s| s == 1));
    assert!(labels_ok, "collated labels must be the examples' labels");
}

#[test]
fn collated_features_are_the_examples_features_in_batch_order() {
    let data = digits_images();
    let loader = DataLoader::new(data.clone(), LoaderConfig::new(32).seed(2));
    let batch = loader.epoch(0).next().unwrap();
    assert_eq!(batch.features.shape(), &[32, 1, 8, 8]);
    for (row, &i) in batch.indices.iter().enumerate() {
        assert_eq!(
            batch.features.narrow(0, row, 1).to_vec(),
            data.get(i).features.to_vec()
        );
    }
}

#[test]
fn drop_last_drops_the_short_batch() {
    let keep = DataLoader::new(digits_images(), LoaderConfig::new(100).drop_last(false));
    let drop = DataLoader::new(digits_images(), LoaderConfig::new(100).drop_last(true));
    let kept: Vec<usize> = keep.epoch(0).map(|b| b.len()).collect();
    let dropped: Vec<usize> = drop.epoch(0).map(|b| b.len()).collect();
    assert_eq!(kept.len(), 18);
    assert_eq!(*kept.last().unwrap(), 97);
    assert_eq!(dropped.len(), 17);
    assert!(dropped.iter().all(|&b| b == 100));
    assert_eq!(drop.len(), 17);
}

#[test]
fn without_shuffle_the_order_is_the_dataset_order() {
    let loader = DataLoader::new(digits_images(), LoaderConfig::new(10).shuffle(false));
    let first = loader.epoch(4).next().unwrap();
    assert_eq!(first.indices, (0..10).collect::<Vec<_>>());
}

#[test]
fn regression_targets_collate_to_a_batch_by_width_tensor() {
    let airfoil = embedded::airfoil().unwrap();
    let loader = DataLoader::new(airfoil.clone(), LoaderConfig::new(50).seed(1).prefetch(1));
    let batch = loader.epoch(0).next().unwrap();
    let Targets::Values(y) = &batch.targets else {
        panic!("values expected")
    };
    assert_eq!(y.shape(), &[50, 1]);
    assert_eq!(
        y.to_vec()[3],
        airfoil.target_values().unwrap().to_vec()[batch.indices[3]]
    );
}

#[test]
fn mixup_in_the_loader_is_deterministic_and_gives_probabilities() {
    let make = |prefetch| {
        DataLoader::new(
            digits_images(),
            LoaderConfig::new(128).seed(3).prefetch(prefetch),
        )
        .with_batch_transform(Mixup::new(0.4, 10))
        .epoch(0)
        .collect::<Vec<_>>()
    };
    let (a, b) = (make(0), make(2));
    assert_eq!(a, b);
    let Targets::Probabilities(p) = &a[0].targets else {
        panic!("probabilities expected")
    };
    assert_eq!(p.shape(), &[128, 10]);
}

#[test]
fn dropping_an_epoch_early_stops_the_worker() {
    let loader = DataLoader::new(digits_images(), LoaderConfig::new(8).prefetch(1));
    let mut batches = loader.epoch(0);
    assert!(batches.next().is_some());
    assert_eq!(batches.len(), 224);
    drop(batches); // must return: the worker is blocked on a full channel
}

#[test]
#[should_panic(expected = "a batch needs one shape")]
fn a_worker_panic_reaches_the_caller() {
    let grow = |x: Tensor<f32>, _rng: &mut WengertRng| x.reshape(&[64]);
    let loader =
        DataLoader::new(digits_images(), LoaderConfig::new(16).prefetch(2)).with_transform(grow);
    for _ in loader.epoch(0) {}
}

#[test]
fn batch_size_zero_is_rejected() {
    let err = DataLoader::try_new(digits_images(), LoaderConfig::new(0))
        .err()
        .unwrap();
    assert!(err.to_string().contains("batch_size must be at least 1"));
}

#[test]
fn loader_over_a_subset_reads_only_its_examples() {
    let data = digits_images();
    let subset = wengert_data::Subset::new(data, vec![5, 6, 7]);
    let loader = DataLoader::new(subset, LoaderConfig::new(2).seed(0));
    let mut seen: Vec<usize> = loader.epoch(0).flat_map(|b| b.indices).collect();
    seen.sort();
    // Batch indices are positions in the subset.
    assert_eq!(seen, vec![0, 1, 2]);
    assert_eq!(loader.dataset().len(), 3);
}

#[test]
fn prefetch_builds_batches_on_a_worker_thread_and_inline_on_the_caller() {
    use std::sync::{Arc, Mutex};
    use std::thread::ThreadId;
    for (prefetch, on_worker) in [(0, false), (2, true)] {
        let threads: Arc<Mutex<Vec<ThreadId>>> = Arc::default();
        let record = Arc::clone(&threads);
        let spy = move |x: Tensor<f32>, _rng: &mut WengertRng| {
            record.lock().unwrap().push(std::thread::current().id());
            x
        };
        let loader = DataLoader::new(digits_images(), LoaderConfig::new(256).prefetch(prefetch))
            .with_transform(spy);
        assert_eq!(loader.epoch(0).count(), 8);
        let caller = std::thread::current().id();
        let seen = threads.lock().unwrap();
        assert_eq!(seen.len(), 1797);
        assert_eq!(
            seen.iter().all(|&t| t != caller),
            on_worker,
            "prefetch {prefetch}"
        );
    }
}

#[test]
fn an_epoch_resumed_from_a_batch_gives_the_same_batches_with_or_without_prefetch() {
    let digits = wengert_data::embedded::digits().unwrap();
    for prefetch in [0, 2] {
        let config = wengert_data::LoaderConfig::new(100)
            .seed(9)
            .prefetch(prefetch);
        let loader = wengert_data::DataLoader::new(digits.clone(), config);
        let all: Vec<_> = loader.epoch(4).collect();
        let rest: Vec<_> = loader.epoch_from(4, 7).collect();
        assert_eq!(rest.len(), all.len() - 7);
        for (a, b) in all[7..].iter().zip(&rest) {
            assert_eq!(a.indices, b.indices, "prefetch {prefetch}");
            assert_eq!(
                a.features.to_vec(),
                b.features.to_vec(),
                "prefetch {prefetch}"
            );
        }
    }
}
