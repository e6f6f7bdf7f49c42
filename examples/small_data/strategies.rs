//! The remedies for few labels that need no pool: training from scratch,
//! with augmentation, and fine-tuning the network pretrained by
//! `fine_tuning`; and, on a long-tailed sample, the three ways to balance
//! the classes (a class-balanced sampler, oversampling, downsampling)
//! against plain sampling. Pseudo-labelling, which needs the pool, is
//! `pseudo.rs`.

use std::path::Path;

use wengert::data::augment::{
    Compose, GaussianNoise, RandomErasing, RandomHorizontalFlip, RandomShiftCrop, Transform,
};
use wengert::data::{try_downsample, try_oversample, ClassDistribution, WeightedSampler};
use wengert::prelude::*;
use wengert::tensor::WengertRng;

use super::data::ImageSet;
use super::fine_tuning::network::NetSpec;
use super::fine_tuning::strategies::{self as transfer, Strategy as Transfer, TrainSettings};
use super::training::{adam, train_and_score, Run, RunSettings};
use super::Outcome;

/// A remedy of the balanced part that trains on the labelled sample alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// The MLP from a fresh init on the labelled images as they are.
    Scratch,
    /// The same with horizontal flips (p 0.5).
    Flips,
    /// The same with flips, shifts, random erasing and noise together.
    AllAugmentations,
    /// The pretrained body, a new head, everything trained, the body at a
    /// tenth of the head's rate (`fine_tuning`'s "fine-tune all").
    FineTuneAll,
    /// The pretrained body, a new head, everything at one rate
    /// (`fine_tuning`'s k = 0).
    FineTuneOneRate,
    /// [`Remedy::Scratch`] for [`LONGER`] times the steps.
    ScratchLonger,
    /// [`Remedy::Flips`] for [`LONGER`] times the steps.
    FlipsLonger,
    /// [`Remedy::AllAugmentations`] for [`LONGER`] times the steps: an
    /// augmented set is harder to fit, so at the same budget it may only
    /// be undertrained; these rows tell the two apart.
    AllAugmentationsLonger,
}

/// How many times the budget's steps the "longer" remedies train.
pub const LONGER: usize = 3;

impl Remedy {
    /// The table's order.
    pub const ALL: [Remedy; 8] = [
        Remedy::Scratch,
        Remedy::Flips,
        Remedy::AllAugmentations,
        Remedy::FineTuneAll,
        Remedy::FineTuneOneRate,
        Remedy::ScratchLonger,
        Remedy::FlipsLonger,
        Remedy::AllAugmentationsLonger,
    ];

    /// The row header.
    pub fn name(self) -> &'static str {
        match self {
            Remedy::Scratch => "from scratch",
            Remedy::Flips => "augmentation: flips",
            Remedy::AllAugmentations => "augmentation: flips, shifts, erasing, noise",
            Remedy::FineTuneAll => "fine-tuned, body at 0.1x",
            Remedy::FineTuneOneRate => "fine-tuned, one rate",
            Remedy::ScratchLonger => "from scratch, 3x the steps",
            Remedy::FlipsLonger => "augmentation: flips, 3x the steps",
            Remedy::AllAugmentationsLonger => "augmentation: all four, 3x the steps",
        }
    }

    /// The budget's steps it trains for, as a multiple.
    pub fn budget_factor(self) -> usize {
        match self {
            Remedy::ScratchLonger | Remedy::FlipsLonger | Remedy::AllAugmentationsLonger => LONGER,
            _ => 1,
        }
    }

    /// Whether it starts from the pretrained network.
    pub fn uses_pretrained(self) -> bool {
        matches!(self, Remedy::FineTuneAll | Remedy::FineTuneOneRate)
    }
}

/// How strong the augmentations are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AugmentSettings {
    /// Probability of a horizontal flip.
    pub flip: f64,
    /// Largest shift in pixels (zero-pad and crop back).
    pub shift: usize,
    /// Probability of erasing a rectangle.
    pub erase: f64,
    /// Standard deviation of the added noise (pixels are in `[0, 1]`).
    pub noise: f64,
}

/// `steps` applied to a flat image of `side x side` pixels: reshaped to
/// `[1, side, side]` for the image transforms, and back.
pub fn on_images(side: usize, steps: Compose<f32>) -> impl Transform<f32> {
    move |x: Tensor<f32>, rng: &mut WengertRng| {
        let image = x.reshape(&[1, side, side]);
        steps.apply(image, rng).reshape(&[side * side])
    }
}

/// The augmentation of `remedy` (none for the others).
pub fn augmentation(remedy: Remedy, a: &AugmentSettings) -> Option<Compose<f32>> {
    match remedy {
        Remedy::Flips | Remedy::FlipsLonger => {
            Some(Compose::new().then(RandomHorizontalFlip::new(a.flip)))
        }
        Remedy::AllAugmentations | Remedy::AllAugmentationsLonger => Some(
            Compose::new()
                .then(RandomHorizontalFlip::new(a.flip))
                .then(RandomShiftCrop::new(a.shift))
                .then(RandomErasing::new(a.erase))
                .then(GaussianNoise::new(a.noise)),
        ),
        _ => None,
    }
}

/// The `fine_tuning` strategy a remedy of the pretrained network is.
fn transfer_of(remedy: Remedy) -> Transfer {
    match remedy {
        Remedy::FineTuneAll => Transfer::FineTuneAll,
        Remedy::FineTuneOneRate => Transfer::FreezeFirst(0),
        _ => Transfer::Scratch,
    }
}

/// Trains `remedy` on the training images at `labelled` and tests it once;
/// the pretrained network's weights come from `weights` when it needs them.
#[allow(clippy::too_many_arguments)]
pub fn run_remedy(
    remedy: Remedy,
    set: &ImageSet,
    spec: &NetSpec,
    weights: &Path,
    labelled: &[usize],
    settings: &RunSettings,
    pretrained_lr_scale: f64,
    augment: &AugmentSettings,
) -> Outcome<Run> {
    let strategy = transfer_of(remedy);
    // The same seed builds the same fresh net for every remedy that starts
    // from scratch, and the same new head for both fine-tunings.
    let model = transfer::starting_network(strategy, spec, weights, set.classes, settings.seed)?;
    let optimizer = transfer::optimizer(
        strategy,
        spec,
        &TrainSettings {
            lr: settings.lr,
            pretrained_lr_scale,
            batch: settings.batch,
            epochs: settings.epochs,
            seed: settings.seed,
        },
    );
    let mut loader = DataLoader::new(
        set.part(labelled.to_vec()),
        LoaderConfig::new(settings.batch).seed(settings.seed),
    );
    if let Some(steps) = augmentation(remedy, augment) {
        loader = loader.with_transform(on_images(set.side, steps));
    }
    let epochs = settings.epochs_for(labelled.len()) * remedy.budget_factor();
    Ok(train_and_score(
        model,
        optimizer,
        &loader,
        epochs,
        settings.seed,
        &set.test,
        set.classes,
    )?
    .0)
}

/// A way to train on a long-tailed sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balancing {
    /// Every image once per epoch, the imbalance as it is.
    Plain,
    /// A [`WeightedSampler`] drawing every class equally often, as many
    /// draws per epoch as the sample has images.
    WeightedSampler,
    /// [`try_oversample`] to equal classes: each rare image repeated, once
    /// chosen for the whole run.
    Oversampled,
    /// [`try_downsample`] to equal classes: every class cut to the rarest
    /// class's count.
    Downsampled,
}

impl Balancing {
    /// The table's order.
    pub const ALL: [Balancing; 4] = [
        Balancing::Plain,
        Balancing::WeightedSampler,
        Balancing::Oversampled,
        Balancing::Downsampled,
    ];

    /// The row header.
    pub fn name(self) -> &'static str {
        match self {
            Balancing::Plain => "plain sampling",
            Balancing::WeightedSampler => "WeightedSampler, class-balanced",
            Balancing::Oversampled => "oversampled to balance",
            Balancing::Downsampled => "downsampled to balance",
        }
    }
}

/// Trains the MLP from scratch on the long-tailed images at `sample`,
/// balanced as `balancing` says, for the budget's steps, and tests it once.
pub fn run_balancing(
    balancing: Balancing,
    set: &ImageSet,
    spec: &NetSpec,
    sample: &[usize],
    settings: &RunSettings,
) -> Outcome<Run> {
    let labels: Vec<usize> = sample.iter().map(|&i| set.labels()[i]).collect();
    let balanced = ClassDistribution::uniform(set.classes);
    // Resampling gives positions in `sample`; the loader wants indices
    // into the training images.
    let chosen = |positions: Vec<usize>| positions.into_iter().map(|p| sample[p]).collect();
    let config = LoaderConfig::new(settings.batch).seed(settings.seed);
    let model = spec.build(set.classes, settings.seed);
    let optimizer = adam(settings.lr);
    let (seed, test, classes) = (settings.seed, &set.test, set.classes);
    let run = match balancing {
        Balancing::Plain => {
            let loader = DataLoader::new(set.part(sample.to_vec()), config);
            let epochs = settings.epochs_for(sample.len());
            train_and_score(model, optimizer, &loader, epochs, seed, test, classes)?.0
        }
        Balancing::WeightedSampler => {
            let sampler = WeightedSampler::try_class_balanced(&labels, sample.len())?;
            let loader =
                DataLoader::new(set.part(sample.to_vec()), config).try_with_sampler(sampler)?;
            let epochs = settings.epochs_for(sample.len());
            train_and_score(model, optimizer, &loader, epochs, seed, test, classes)?.0
        }
        Balancing::Oversampled | Balancing::Downsampled => {
            let positions = if balancing == Balancing::Oversampled {
                try_oversample(&labels, &balanced, settings.seed)?
            } else {
                try_downsample(&labels, &balanced, settings.seed)?
            };
            let indices: Vec<usize> = chosen(positions);
            let epochs = settings.epochs_for(indices.len());
            let loader = DataLoader::new(set.part(indices), config);
            train_and_score(model, optimizer, &loader, epochs, seed, test, classes)?.0
        }
    };
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert::data::augment::hflip;

    #[test]
    fn a_flat_image_is_flipped_as_the_image_it_is() {
        // A 3x3 image 0..9, flat: its mirror swaps the first and last
        // column of each row.
        let flat = Tensor::from_vec((0..9).map(|v| v as f32).collect(), &[9]);
        let flip = on_images(3, Compose::new().then(RandomHorizontalFlip::new(1.0)));
        let got = flip.apply(flat.clone(), &mut seeded_rng(0));
        assert_eq!(got.shape(), &[9]);
        assert_eq!(got.to_vec(), [2.0, 1.0, 0.0, 5.0, 4.0, 3.0, 8.0, 7.0, 6.0]);
        assert_eq!(got.to_vec(), hflip(&flat.reshape(&[1, 3, 3])).to_vec());
    }
}
