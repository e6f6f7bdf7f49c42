//! The data of the fine-tuning grid: the source task the network is
//! pretrained on, the similar and the dissimilar target tasks, and their
//! small samples. Every set is flat (`[n, pixels]`) so the MLPs need no
//! `Flatten` layer and the hidden layers sit at even indices of the
//! `Sequential` (see `network.rs`).

use std::path::Path;

use wengert::data::{embedded, mnist, stratified_split, InMemoryDataset, SplitFractions, Subset};
use wengert::prelude::*;
use wengert::rand::seq::SliceRandom;

use super::Outcome;

/// A part of a task's training images: a view by index (all of them for
/// the large cells, a per-class sample for the small ones).
pub type Part = Subset<InMemoryDataset<f32>>;

/// One classification task: training and test images, flat, labels from 0.
#[derive(Clone)]
pub struct Task {
    /// What it is, for the tables.
    pub name: String,
    /// The training images.
    pub train: InMemoryDataset<f32>,
    /// The test images.
    pub test: InMemoryDataset<f32>,
    /// Number of classes.
    pub classes: usize,
}

impl Task {
    /// Pixels per image.
    pub fn inputs(&self) -> usize {
        self.train.feature_shape()[0]
    }

    /// Every training image, as a part.
    pub fn all(&self) -> Part {
        Subset::new(self.train.clone(), (0..self.train.len()).collect())
    }

    /// `per_class` training images of each class, drawn from `seed`.
    pub fn sample(&self, per_class: usize, seed: u64) -> Outcome<Part> {
        let labels = self.train.labels().ok_or("a classification task")?;
        Ok(Subset::new(
            self.train.clone(),
            per_class_sample(labels, per_class, seed)?,
        ))
    }

    /// The fewest training images any class has.
    pub fn smallest_class(&self) -> usize {
        let labels = self.train.labels().expect("a classification task");
        (0..self.classes)
            .map(|c| labels.iter().filter(|&&l| l == c).count())
            .min()
            .unwrap_or(0)
    }
}

/// The first `per_class` of a seeded shuffle of each class's indices, in
/// class order (the loader shuffles them anyway). An error when a class has
/// fewer.
pub fn per_class_sample(labels: &[usize], per_class: usize, seed: u64) -> Outcome<Vec<usize>> {
    let classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut rng = seeded_rng(seed);
    let mut kept = Vec::with_capacity(classes * per_class);
    for c in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        if members.len() < per_class {
            return Err(format!(
                "class {c} has {} examples, {per_class} were asked for",
                members.len()
            )
            .into());
        }
        members.shuffle(&mut rng);
        kept.extend_from_slice(&members[..per_class]);
    }
    Ok(kept)
}

/// The images of `dataset` whose class is in `classes`, relabelled from 0
/// in that order, with their pixels mapped by `pixel` (the identity, or an
/// inversion).
pub fn select_classes(
    dataset: &InMemoryDataset<f32>,
    classes: &[usize],
    pixel: impl Fn(f32) -> f32,
) -> Outcome<InMemoryDataset<f32>> {
    let labels = dataset.labels().ok_or("a classification set")?;
    let width = dataset.feature_shape().iter().product::<usize>();
    let values = dataset.features().values();
    let mut features = Vec::new();
    let mut kept = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        if let Some(new) = classes.iter().position(|c| c == label) {
            features.extend(values[i * width..(i + 1) * width].iter().map(|&p| pixel(p)));
            kept.push(new);
        }
    }
    let n = kept.len();
    Ok(InMemoryDataset::try_classification(
        Tensor::from_vec(features, &[n, width]),
        kept,
        classes.len(),
    )?)
}

/// Fashion-MNIST's images of `classes` (train and test), flat, pixels in
/// `[0, 1]`, relabelled from 0, or an error saying how to get the data.
pub fn fashion_classes(
    dir: &Path,
    classes: &[usize],
) -> Outcome<(InMemoryDataset<f32>, InMemoryDataset<f32>)> {
    let splits = mnist::load_fashion_mnist::<f32>(Some(dir)).map_err(|e| {
        format!("{e}\n(or pass --fashion-mnist DIR, or run with --quick: the embedded digits)")
    })?;
    let pick = |set: &wengert::data::ByteImageDataset<f32>| -> Outcome<InMemoryDataset<f32>> {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for (i, label) in set.labels().iter().enumerate() {
            if let Some(new) = classes.iter().position(|c| c == label) {
                // Each byte as the loader reads it: the f32 nearest b / 255.
                features.extend(
                    set.image_bytes(i)
                        .iter()
                        .map(|&b| (f64::from(b) / 255.0) as f32),
                );
                labels.push(new);
            }
        }
        let n = labels.len();
        Ok(InMemoryDataset::try_classification(
            Tensor::from_vec(features, &[n, 784]),
            labels,
            classes.len(),
        )?)
    };
    Ok((pick(&splits.train)?, pick(&splits.test)?))
}

/// Side of the embedded digits' images.
pub const DIGITS_SIDE: usize = 8;
/// Side of Fashion-MNIST's images, which the upscaled digits take.
pub const FASHION_SIDE: usize = 28;

/// Bilinear resampling of a `side x side` image to `new_side x new_side`,
/// sampling at pixel centres and clamping at the border (PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)`).
pub fn upscale(image: &[f32], side: usize, new_side: usize) -> Vec<f32> {
    let scale = side as f64 / new_side as f64;
    // A target pixel's centre in source coordinates: its two neighbours and
    // the weight of the second.
    let taps = |t: usize| {
        let x = ((t as f64 + 0.5) * scale - 0.5).clamp(0.0, (side - 1) as f64);
        let lo = x.floor() as usize;
        let hi = (lo + 1).min(side - 1);
        (lo, hi, x - lo as f64)
    };
    let mut out = Vec::with_capacity(new_side * new_side);
    for r in 0..new_side {
        let (r0, r1, wr) = taps(r);
        for c in 0..new_side {
            let (c0, c1, wc) = taps(c);
            let at = |rr: usize, cc: usize| f64::from(image[rr * side + cc]);
            let top = at(r0, c0) * (1.0 - wc) + at(r0, c1) * wc;
            let bottom = at(r1, c0) * (1.0 - wc) + at(r1, c1) * wc;
            out.push((top * (1.0 - wr) + bottom * wr) as f32);
        }
    }
    out
}

/// The embedded digits, `(train, test)`, a stratified split with
/// `train_fraction` of each class for training, flat `[n, 64]` in `[0, 1]`.
pub fn digits_split(
    train_fraction: f64,
    seed: u64,
) -> Outcome<(InMemoryDataset<f32>, InMemoryDataset<f32>)> {
    let digits = embedded::digits()?;
    let labels = digits.labels().ok_or("digits have labels")?.to_vec();
    let split = stratified_split(
        &labels,
        SplitFractions::new(train_fraction, 0.0, 1.0 - train_fraction),
        seed,
    );
    let gather = |indices: &[usize]| -> Outcome<InMemoryDataset<f32>> {
        let values = digits.features().values();
        let mut features = Vec::with_capacity(indices.len() * 64);
        for &i in indices {
            features.extend_from_slice(&values[i * 64..(i + 1) * 64]);
        }
        Ok(InMemoryDataset::try_classification(
            Tensor::from_vec(features, &[indices.len(), 64]),
            indices.iter().map(|&i| labels[i]).collect(),
            10,
        )?)
    };
    Ok((gather(&split.train)?, gather(&split.test)?))
}

/// Every image of `dataset` (flat `side x side`) upscaled to
/// `new_side x new_side`.
pub fn upscale_all(
    dataset: &InMemoryDataset<f32>,
    side: usize,
    new_side: usize,
) -> Outcome<InMemoryDataset<f32>> {
    let n = dataset.len();
    let values = dataset.features().values();
    let mut features = Vec::with_capacity(n * new_side * new_side);
    for i in 0..n {
        features.extend(upscale(
            &values[i * side * side..(i + 1) * side * side],
            side,
            new_side,
        ));
    }
    Ok(dataset.try_with_features(Tensor::from_vec(features, &[n, new_side * new_side]))?)
}

/// The three tasks of one mode.
#[derive(Clone)]
pub struct Tasks {
    /// What the network is pretrained on.
    pub source: Task,
    /// A target task of the same kind of images.
    pub similar: Task,
    /// A target task of another kind of images, at the same input size.
    pub dissimilar: Task,
    /// One line on what "all" of the dissimilar training set is.
    pub note: String,
}

/// Full mode: Fashion-MNIST classes 0-4 (T-shirt/top, trouser, pullover,
/// dress, coat) as the source, classes 5-9 (sandal, shirt, sneaker, bag,
/// ankle boot) as the similar target, and the embedded 8x8 digits, all ten
/// classes, upscaled to 28x28 as the dissimilar one (75% of each class to
/// train on, 25% to test on).
pub fn full_tasks(dir: &Path) -> Outcome<Tasks> {
    let (source_train, source_test) = fashion_classes(dir, &[0, 1, 2, 3, 4])?;
    let (similar_train, similar_test) = fashion_classes(dir, &[5, 6, 7, 8, 9])?;
    let (digits_train, digits_test) = digits_split(0.75, 0)?;
    let dissimilar = Task {
        name: "digits 0-9 upscaled to 28x28".into(),
        train: upscale_all(&digits_train, DIGITS_SIDE, FASHION_SIDE)?,
        test: upscale_all(&digits_test, DIGITS_SIDE, FASHION_SIDE)?,
        classes: 10,
    };
    let note = format!(
        "the embedded digits have {} training images ({} in the smallest class): \"large\" \
         is all there is, barely more than the small cell's 100 per class",
        dissimilar.train.len(),
        dissimilar.smallest_class()
    );
    Ok(Tasks {
        source: Task {
            name: "Fashion-MNIST classes 0-4".into(),
            train: source_train,
            test: source_test,
            classes: 5,
        },
        similar: Task {
            name: "Fashion-MNIST classes 5-9".into(),
            train: similar_train,
            test: similar_test,
            classes: 5,
        },
        dissimilar,
        note,
    })
}

/// Quick mode, on the embedded digits at 8x8: digits 0-4 as the source
/// (all of their 70% training share), digits 5-9 as the similar target,
/// and digits 5-9 with inverted intensities (`1 - pixel`: white strokes on
/// black become black on white) as the dissimilar one; both targets share
/// one split of digits 5-9.
pub fn quick_tasks() -> Outcome<Tasks> {
    let (train, test) = digits_split(0.7, 0)?;
    let source = [0, 1, 2, 3, 4];
    let target = [5, 6, 7, 8, 9];
    let invert = |p: f32| 1.0 - p;
    let dissimilar = Task {
        name: "digits 5-9, inverted".into(),
        train: select_classes(&train, &target, invert)?,
        test: select_classes(&test, &target, invert)?,
        classes: 5,
    };
    let note = format!(
        "the digits 5-9 have {} training images ({} in the smallest class)",
        dissimilar.train.len(),
        dissimilar.smallest_class()
    );
    Ok(Tasks {
        source: Task {
            name: "digits 0-4".into(),
            train: select_classes(&train, &source, |p| p)?,
            test: select_classes(&test, &source, |p| p)?,
            classes: 5,
        },
        similar: Task {
            name: "digits 5-9".into(),
            train: select_classes(&train, &target, |p| p)?,
            test: select_classes(&test, &target, |p| p)?,
            classes: 5,
        },
        dissimilar,
        note,
    })
}
