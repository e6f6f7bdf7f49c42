//! Loads Fashion-MNIST from Debian's `dataset-fashion-mnist` package (or the
//! directory given as the first argument) and prints its sizes, class
//! balance and pixel statistics, then times one loader epoch.
//!
//! ```sh
//! cargo run --release -p wengert-data --example fashion_mnist_summary [DIR]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use wengert_data::augment::{Compose, RandomHorizontalFlip, RandomShiftCrop};
use wengert_data::mnist::{load_fashion_mnist, FASHION_MNIST_CLASSES};
use wengert_data::{ByteImageDataset, DataLoader, Dataset, LoaderConfig};

fn class_counts(data: &ByteImageDataset<f32>) -> [usize; 10] {
    let mut counts = [0; 10];
    for &label in data.labels() {
        counts[label] += 1;
    }
    counts
}

fn main() -> Result<(), wengert_data::DataError> {
    let dir = std::env::args().nth(1).map(PathBuf::from);
    let data = load_fashion_mnist::<f32>(dir.as_deref())?;
    println!(
        "train: {} images {:?}",
        data.train.len(),
        data.train.feature_shape()
    );
    println!(
        "test:  {} images {:?}",
        data.test.len(),
        data.test.feature_shape()
    );
    let (train_counts, test_counts) = (class_counts(&data.train), class_counts(&data.test));
    println!("{:>3} {:<12} {:>6} {:>6}", "", "class", "train", "test");
    for (c, name) in FASHION_MNIST_CLASSES.iter().enumerate() {
        println!(
            "{c:>3} {name:<12} {:>6} {:>6}",
            train_counts[c], test_counts[c]
        );
    }
    let n = data.train.len() * 784;
    let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
    for i in 0..data.train.len() {
        for &b in data.train.image_bytes(i) {
            let v = b as f64 / 255.0;
            sum += v;
            sum_sq += v * v;
        }
    }
    let mean = sum / n as f64;
    println!(
        "pixel mean {mean:.4}, std {:.4} (after scaling to [0, 1])",
        (sum_sq / n as f64 - mean * mean).sqrt()
    );

    for (label, augment) in [("plain", false), ("flip+crop", true)] {
        let mut loader = DataLoader::new(data.train.clone(), LoaderConfig::new(128).seed(0));
        if augment {
            loader = loader.with_transform(
                Compose::new()
                    .then(RandomHorizontalFlip::new(0.5))
                    .then(RandomShiftCrop::new(2)),
            );
        }
        let start = Instant::now();
        let examples: usize = loader.epoch(0).map(|b| b.len()).sum();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "loader epoch ({label}): {examples} examples in {seconds:.3} s = {:.0} examples/s",
            examples as f64 / seconds
        );
    }
    Ok(())
}
