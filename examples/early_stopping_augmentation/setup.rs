//! The data, the model, the settings and the augmentations.

use std::path::Path;

use wengert::data::augment::{
    Compose, GaussianNoise, RandomErasing, RandomHorizontalFlip, RandomShiftCrop,
};
use wengert::data::{embedded, mnist, stratified_split, SplitFractions, Subset};
use wengert::nn::conv::Flatten;
use wengert::prelude::*;

use super::{Outcome, CLASSES};

/// One way to augment the training images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Augmentation {
    /// The images as they are.
    None,
    /// Mirrored left-right with probability `flip`.
    Flip,
    /// Zero-padded by `shift` pixels and cropped back at a random offset.
    Shift,
    /// `N(0, noise^2)` added to every pixel.
    Noise,
    /// A random rectangle blanked with probability `erase`.
    Erasing,
    /// Flip, shift, erasing and noise, in that order.
    All,
}

impl Augmentation {
    /// Every augmentation, none first.
    pub const EVERY: [Augmentation; 6] = [
        Augmentation::None,
        Augmentation::Flip,
        Augmentation::Shift,
        Augmentation::Noise,
        Augmentation::Erasing,
        Augmentation::All,
    ];

    /// Its name in tables, file names and `--augmentations`.
    pub fn name(self) -> &'static str {
        match self {
            Augmentation::None => "none",
            Augmentation::Flip => "flip",
            Augmentation::Shift => "shift",
            Augmentation::Noise => "noise",
            Augmentation::Erasing => "erasing",
            Augmentation::All => "all",
        }
    }

    /// The augmentation called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::EVERY.into_iter().find(|a| a.name() == name)
    }

    /// The transform applied to each training image (the identity for
    /// [`Augmentation::None`]).
    pub fn transform(self, s: &Settings) -> Compose<f32> {
        let flip = || RandomHorizontalFlip::new(s.flip);
        let shift = || RandomShiftCrop::new(s.shift);
        let erase = || RandomErasing::new(s.erase);
        let noise = || GaussianNoise::new(s.noise);
        match self {
            Augmentation::None => Compose::new(),
            Augmentation::Flip => Compose::new().then(flip()),
            Augmentation::Shift => Compose::new().then(shift()),
            Augmentation::Noise => Compose::new().then(noise()),
            Augmentation::Erasing => Compose::new().then(erase()),
            Augmentation::All => Compose::new()
                .then(flip())
                .then(shift())
                .then(erase())
                .then(noise()),
        }
    }

    /// What it does, with its strength.
    pub fn describe(self, s: &Settings) -> String {
        match self {
            Augmentation::None => "no augmentation".into(),
            Augmentation::Flip => format!("horizontal flips with p {}", s.flip),
            Augmentation::Shift => format!("shifts of up to {} px (pad and crop)", s.shift),
            Augmentation::Noise => format!("Gaussian noise of std {}", s.noise),
            Augmentation::Erasing => format!("random erasing with p {}", s.erase),
            Augmentation::All => "flip, shift, erasing and noise together".into(),
        }
    }
}

/// The model, the training and the augmentations' strengths.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Widths of the hidden layers.
    pub hidden: Vec<usize>,
    /// Adam's learning rate, constant.
    pub lr: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Epochs of the fixed budget (every run trains this long).
    pub budget: usize,
    /// The patiences swept.
    pub patiences: Vec<usize>,
    /// The patience of the augmentation table and of the marks in the plots.
    pub headline: usize,
    /// Probability of a horizontal flip.
    pub flip: f64,
    /// Largest shift in pixels.
    pub shift: usize,
    /// Standard deviation of the added noise (pixels are in `[0, 1]`).
    pub noise: f64,
    /// Probability of erasing a rectangle.
    pub erase: f64,
    /// Seed of the weights, the batch order and the augmentations.
    pub seed: u64,
}

impl Settings {
    /// The Fashion-MNIST run: 512-512, batch 128, 30 epochs.
    pub fn fashion_mnist() -> Self {
        Settings {
            // 669,706 weights for 5,000 images: wide enough to learn them
            // by heart within a few epochs. 1024-1024 (1.86 million) is
            // `--hidden 1024,1024`, three times the cost.
            hidden: vec![512, 512],
            lr: 1e-3,
            batch: 128,
            budget: 30,
            patiences: vec![1, 3, 5, 10, 20],
            headline: 5,
            flip: 0.5,
            shift: 2,
            noise: 0.1,
            erase: 0.5,
            seed: 0,
        }
    }

    /// The run in small, on the 8x8 digits: 256-256, batch 32, shifts of
    /// one pixel (an eighth of the image).
    pub fn digits() -> Self {
        Settings {
            hidden: vec![256, 256],
            batch: 32,
            budget: 60,
            shift: 1,
            ..Settings::fashion_mnist()
        }
    }

    /// The same settings drawing from `seed`.
    pub fn with_seed(&self, seed: u64) -> Self {
        Settings {
            seed,
            ..self.clone()
        }
    }
}

/// The three parts of the data, views by index into one data set each.
#[derive(Clone)]
pub struct Parts<D> {
    /// The images trained on.
    pub train: Subset<D>,
    /// The images that decide when to stop.
    pub validation: Subset<D>,
    /// The images evaluated on the kept weights only.
    pub test: Subset<D>,
    /// Pixels per image.
    pub inputs: usize,
}

/// The 8x8 digits as `[1, 8, 8]` images: a stratified 500 to train, 300 to
/// validate and the other 997 to test, fixed by `seed`.
pub fn digits_parts(seed: u64) -> Outcome<Parts<wengert::data::InMemoryDataset<f32>>> {
    let digits = embedded::digits()?.with_feature_shape(&[1, 8, 8]);
    let labels = digits.labels().ok_or("digits have labels")?.to_vec();
    let n = labels.len() as f64;
    let split = stratified_split(
        &labels,
        SplitFractions::new(500.0 / n, 300.0 / n, 1.0 - 800.0 / n),
        seed,
    );
    let (train, validation, test) = split.subsets(&digits);
    Ok(Parts {
        train,
        validation,
        test,
        inputs: 64,
    })
}

/// Fashion-MNIST's parts: a stratified 5,000 of the training images to
/// train on and 1,000 others to validate on (the remaining 54,000 are not
/// used), fixed by `seed`; the 10,000 test images to test. An error says
/// how to get the data when it is missing.
pub fn fashion_parts(
    dir: &Path,
    seed: u64,
) -> Outcome<Parts<wengert::data::ByteImageDataset<f32>>> {
    let splits = mnist::load_fashion_mnist::<f32>(Some(dir)).map_err(|e| {
        format!("{e}\n(or pass --fashion-mnist DIR, or run with --quick: the embedded digits)")
    })?;
    let labels = splits.train.labels().to_vec();
    let n = labels.len() as f64;
    let split = stratified_split(
        &labels,
        SplitFractions::new(5000.0 / n, 1000.0 / n, 1.0 - 6000.0 / n),
        seed,
    );
    let test_len = splits.test.len();
    Ok(Parts {
        train: Subset::new(splits.train.clone(), split.train),
        validation: Subset::new(splits.train, split.validation),
        test: Subset::new(splits.test, (0..test_len).collect()),
        inputs: 784,
    })
}

/// Seed of the weights' init for a run seeded `seed`, apart from the
/// loader's stream (which takes `seed` itself).
fn init_seed(seed: u64) -> u64 {
    (1 << 32) + seed
}

/// The MLP: flatten, then `Linear-ReLU` per hidden width and a linear
/// output, PyTorch's default init; nothing in it fights overfitting.
pub fn mlp(inputs: usize, settings: &Settings) -> Sequential<f32> {
    let mut rng = seeded_rng(init_seed(settings.seed));
    let mut model = Sequential::new().with(Flatten);
    let mut width = inputs;
    for &hidden in &settings.hidden {
        model = model.with(Linear::new(width, hidden, &mut rng)).with(ReLU);
        width = hidden;
    }
    model.with(Linear::new(width, CLASSES, &mut rng))
}
