//! Loader throughput on Fashion-MNIST-shaped data: 60,000 images of 28x28
//! bytes, read as f32 in [0, 1], batches of 128, with and without flip+crop
//! augmentation. Uses the real training set when Debian's
//! `dataset-fashion-mnist` is installed, synthetic bytes of the same shape
//! otherwise (throughput does not depend on pixel values).

use criterion::{Criterion, Throughput};
use rand::Rng;
use wengert_data::augment::{Compose, RandomHorizontalFlip, RandomShiftCrop};
use wengert_data::{mnist, ByteImageDataset, DataLoader, Dataset, LoaderConfig};

const IMAGES: usize = 60_000;
const BATCH: usize = 128;

fn fashion_mnist_shaped() -> (ByteImageDataset<f32>, &'static str) {
    if let Ok(data) = mnist::load_fashion_mnist::<f32>(None) {
        return (data.train, "fashion-mnist");
    }
    let mut rng = wengert_tensor::seeded_rng(0);
    let pixels: Vec<u8> = (0..IMAGES * 28 * 28).map(|_| rng.random()).collect();
    let labels: Vec<usize> = (0..IMAGES).map(|_| rng.random_range(0..10)).collect();
    (
        ByteImageDataset::new(pixels, labels, [1, 28, 28], 10),
        "synthetic",
    )
}

pub fn bench_loader(c: &mut Criterion) {
    let (data, source) = fashion_mnist_shaped();
    let n = data.len();
    let mut group = c.benchmark_group("loader");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);

    let plain = DataLoader::new(data.clone(), LoaderConfig::new(BATCH).seed(1));
    let mut epoch = 0;
    group.bench_function(format!("epoch/{n}x28x28/f32/{source}"), |b| {
        b.iter(|| {
            epoch += 1;
            plain.epoch(epoch).map(|batch| batch.len()).sum::<usize>()
        })
    });

    let augmented = DataLoader::new(data, LoaderConfig::new(BATCH).seed(1)).with_transform(
        Compose::new()
            .then(RandomHorizontalFlip::new(0.5))
            .then(RandomShiftCrop::new(2)),
    );
    group.bench_function(format!("epoch_flip_crop/{n}x28x28/f32/{source}"), |b| {
        b.iter(|| {
            epoch += 1;
            augmented
                .epoch(epoch)
                .map(|batch| batch.len())
                .sum::<usize>()
        })
    });
    group.finish();
}
