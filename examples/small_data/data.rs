//! The data of the small-data experiments: every training image of the
//! set (flat, `[n, pixels]`), its test images, the source task the
//! pretrained network learns, and the draws from the training images of
//! one seed: the labelled sample, the unlabelled pool, and a long-tailed
//! (imbalanced on purpose) sample.

use std::path::Path;

use wengert::data::{InMemoryDataset, Subset};
use wengert::prelude::*;
use wengert::rand::seq::SliceRandom;

use super::fine_tuning::data::{digits_split, fashion_classes, select_classes, Part, Task};
use super::Outcome;

/// One image set with everything the experiments draw from it.
#[derive(Clone)]
pub struct ImageSet {
    /// What it is, for the tables.
    pub name: String,
    /// Every training image, flat, labels from 0.
    pub train: InMemoryDataset<f32>,
    /// The test images, evaluated once per trained network.
    pub test: InMemoryDataset<f32>,
    /// Side of the square images (28 or 8): augmentation reshapes a flat
    /// image to `[1, side, side]`.
    pub side: usize,
    /// Number of classes.
    pub classes: usize,
    /// The task the pretrained network of `fine_tuning` learns: classes 0-4
    /// of the training images, all of them, with their labels.
    pub source: Task,
}

impl ImageSet {
    /// Pixels per image.
    pub fn inputs(&self) -> usize {
        self.side * self.side
    }

    /// The training images' labels.
    pub fn labels(&self) -> &[usize] {
        self.train.labels().expect("a classification set")
    }

    /// The test images' labels.
    pub fn test_labels(&self) -> &[usize] {
        self.test.labels().expect("a classification set")
    }

    /// The training images at `indices`, as a view.
    pub fn part(&self, indices: Vec<usize>) -> Part {
        Subset::new(self.train.clone(), indices)
    }
}

/// Fashion-MNIST: all 60,000 training and 10,000 test images, pixels in
/// `[0, 1]`; the source task is classes 0-4 of the training images, in
/// file order, the very set `fine_tuning` pretrains on (so the same seed
/// gives the same pretrained network). An error says how to get the data.
pub fn fashion(dir: &Path) -> Outcome<ImageSet> {
    let all: Vec<usize> = (0..10).collect();
    let (train, test) = fashion_classes(dir, &all)?;
    let source = source_task(&train, &test, "Fashion-MNIST classes 0-4")?;
    Ok(ImageSet {
        name: "Fashion-MNIST".into(),
        train,
        test,
        side: 28,
        classes: 10,
        source,
    })
}

/// The embedded 8x8 digits for the quick mode: a stratified 70% of each
/// class to draw from, the other 30% (540 images) to test on; the source
/// task is digits 0-4 of the 70%.
pub fn digits() -> Outcome<ImageSet> {
    let (train, test) = digits_split(0.7, 0)?;
    let source = source_task(&train, &test, "digits 0-4")?;
    Ok(ImageSet {
        name: "digits".into(),
        train,
        test,
        side: 8,
        classes: 10,
        source,
    })
}

/// Classes 0-4 of `train` and `test`, their labels kept (they are 0-4 in
/// both tasks).
fn source_task(
    train: &InMemoryDataset<f32>,
    test: &InMemoryDataset<f32>,
    name: &str,
) -> Outcome<Task> {
    let source = [0, 1, 2, 3, 4];
    Ok(Task {
        name: name.into(),
        train: select_classes(train, &source, |p| p)?,
        test: select_classes(test, &source, |p| p)?,
        classes: source.len(),
    })
}

/// What one seed draws from the training images: indices into
/// [`ImageSet::train`].
#[derive(Clone, Debug, PartialEq)]
pub struct Draw {
    /// The labelled sample, `per_class` images of each class.
    pub labelled: Vec<usize>,
    /// The unlabelled pool: other training images, none of the labelled
    /// ones, their labels hidden from training (kept only to score the
    /// pseudo-labels afterwards).
    pub pool: Vec<usize>,
    /// The long-tailed sample: `counts[c]` images of class `c`.
    pub long_tail: Vec<usize>,
}

/// The draws of `seed`: `per_class` labelled images of each class, a pool
/// of `pool` other training images (all the others when fewer are left),
/// and a long-tailed sample with `counts[c]` images of class `c` (drawn
/// independently of the labelled sample). An error when a class has too
/// few images.
pub fn draw(
    labels: &[usize],
    per_class: usize,
    pool: usize,
    counts: &[usize],
    seed: u64,
) -> Outcome<Draw> {
    let mut rng = seeded_rng(seed);
    let classes = counts.len();
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &c) in labels.iter().enumerate() {
        by_class
            .get_mut(c)
            .ok_or("a label beyond the classes")?
            .push(i);
    }
    let mut labelled = Vec::with_capacity(classes * per_class);
    let mut long_tail = Vec::new();
    let mut rest = Vec::new();
    for (c, members) in by_class.iter_mut().enumerate() {
        if members.len() < per_class.max(counts[c]) {
            return Err(format!(
                "class {c} has {} training images, {} were asked for",
                members.len(),
                per_class.max(counts[c])
            )
            .into());
        }
        members.shuffle(&mut rng);
        labelled.extend_from_slice(&members[..per_class]);
        rest.extend_from_slice(&members[per_class..]);
        // A second shuffle: the long tail is its own draw, not the first
        // images of the labelled sample.
        let mut again = members.clone();
        again.shuffle(&mut rng);
        long_tail.extend_from_slice(&again[..counts[c]]);
    }
    rest.shuffle(&mut rng);
    rest.truncate(pool);
    Ok(Draw {
        labelled,
        pool: rest,
        long_tail,
    })
}

/// `labelled` split per class into the first `per_class` of each class
/// (validation) and the rest (training), in the order given: how the
/// pseudo-labelling threshold is chosen without touching the test set.
pub fn hold_out(
    labels: &[usize],
    labelled: &[usize],
    per_class: usize,
) -> (Vec<usize>, Vec<usize>) {
    let mut seen = vec![0usize; labels.iter().max().map_or(0, |&m| m + 1)];
    let (mut train, mut validation) = (Vec::new(), Vec::new());
    for &i in labelled {
        let c = labels[i];
        if seen[c] < per_class {
            validation.push(i);
        } else {
            train.push(i);
        }
        seen[c] += 1;
    }
    (train, validation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_counts(labels: &[usize], indices: &[usize], classes: usize) -> Vec<usize> {
        let mut counts = vec![0; classes];
        for &i in indices {
            counts[labels[i]] += 1;
        }
        counts
    }

    #[test]
    fn a_draw_keeps_the_pool_apart_from_the_labelled_sample() {
        let labels: Vec<usize> = (0..300).map(|i| i % 3).collect();
        let d = draw(&labels, 5, 50, &[20, 10, 2], 7).unwrap();
        assert_eq!(class_counts(&labels, &d.labelled, 3), [5, 5, 5]);
        assert_eq!(class_counts(&labels, &d.long_tail, 3), [20, 10, 2]);
        assert_eq!(d.pool.len(), 50);
        assert!(d.pool.iter().all(|i| !d.labelled.contains(i)));
    }
}
