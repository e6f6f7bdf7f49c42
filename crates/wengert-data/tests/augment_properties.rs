//! Augmentation properties: flipping twice is the identity, crops and
//! rotations keep shape, normalization then its inverse recovers the input,
//! mixup targets sum to one, and transforms are reproducible from the seed.

use proptest::prelude::*;
use wengert_data::augment::{
    hflip, rotate, translate, BatchTransform, Compose, GaussianNoise, Mixup, Normalize,
    RandomErasing, RandomHorizontalFlip, RandomRotation, RandomShiftCrop, Transform,
};
use wengert_data::{Batch, Targets};
use wengert_tensor::{seeded_rng, Tensor};

/// Random images `[C, H, W]` with values in [-2, 2].
fn image() -> impl Strategy<Value = Tensor<f64>> {
    (1usize..4, 1usize..12, 1usize..12).prop_flat_map(|(c, h, w)| {
        proptest::collection::vec(-2.0f64..2.0, c * h * w)
            .prop_map(move |v| Tensor::from_vec(v, &[c, h, w]))
    })
}

proptest! {
    #[test]
    fn flipping_twice_is_the_identity(x in image()) {
        prop_assert_eq!(hflip(&hflip(&x)), x);
    }

    #[test]
    fn shifted_crop_keeps_shape_and_moves_pixels(x in image(), padding in 0usize..4, seed in any::<u64>()) {
        let y = RandomShiftCrop::new(padding).apply(x.clone(), &mut seeded_rng(seed));
        prop_assert_eq!(y.shape(), x.shape());
        // Every output value is either zero fill or a value of the input.
        let input = x.to_vec();
        prop_assert!(y.to_vec().iter().all(|v| *v == 0.0 || input.contains(v)));
    }

    #[test]
    fn translating_back_restores_the_overlap(x in image(), dy in -3isize..4, dx in -3isize..4) {
        let (h, w) = (x.shape()[1] as isize, x.shape()[2] as isize);
        let back = translate(&translate(&x, dy, dx), -dy, -dx);
        for c in 0..x.shape()[0] {
            for i in 0..h {
                for j in 0..w {
                    let inside = (0..h).contains(&(i + dy)) && (0..w).contains(&(j + dx));
                    let want = if inside { x.at(&[c, i as usize, j as usize]) } else { 0.0 };
                    prop_assert_eq!(back.at(&[c, i as usize, j as usize]), want);
                }
            }
        }
    }

    #[test]
    fn rotation_keeps_shape_and_rotating_by_zero_is_the_identity(x in image(), degrees in -30.0f64..30.0, seed in any::<u64>()) {
        let y = RandomRotation::new(degrees.abs()).apply(x.clone(), &mut seeded_rng(seed));
        prop_assert_eq!(y.shape(), x.shape());
        let same = rotate(&x, 0.0);
        for (a, b) in same.to_vec().iter().zip(x.to_vec()) {
            prop_assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn normalize_then_inverse_recovers_the_input(
        x in image(),
        stats in proptest::collection::vec((-1.0f64..1.0, 0.1f64..3.0), 3),
    ) {
        let c = x.shape()[0];
        let normalize = Normalize::new(stats[..c].iter().map(|s| s.0).collect(), stats[..c].iter().map(|s| s.1).collect());
        let y = normalize.apply(x.clone(), &mut seeded_rng(0));
        let back = normalize.inverse(&y);
        for (a, b) in back.to_vec().iter().zip(x.to_vec()) {
            prop_assert!((a - b).abs() < 1e-12, "{} vs {}", a, b);
        }
    }

    #[test]
    fn mixup_targets_sum_to_one_and_stay_in_the_unit_interval(
        labels in proptest::collection::vec(0usize..5, 1..40),
        alpha in 0.05f64..2.0,
        seed in any::<u64>(),
    ) {
        let n = labels.len();
        let batch = Batch {
            features: Tensor::<f64>::zeros(&[n, 3]),
            targets: Targets::Classes(labels),
            indices: (0..n).collect(),
        };
        let mixed = Mixup::new(alpha, 5).apply(batch, &mut seeded_rng(seed));
        let Targets::Probabilities(p) = mixed.targets else { panic!("probabilities expected") };
        prop_assert_eq!(p.shape(), &[n, 5]);
        for row in p.to_vec().chunks(5) {
            prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            prop_assert!(row.iter().all(|&v| (0.0..=1.0).contains(&v)));
        }
    }

    #[test]
    fn transforms_are_reproducible_from_the_seed(x in image(), seed in any::<u64>()) {
        let t = Compose::new()
            .then(RandomHorizontalFlip::new(0.5))
            .then(RandomShiftCrop::new(2))
            .then(RandomRotation::new(10.0))
            .then(GaussianNoise::new(0.1))
            .then(RandomErasing::new(0.5));
        prop_assert_eq!(t.apply(x.clone(), &mut seeded_rng(seed)), t.apply(x, &mut seeded_rng(seed)));
    }
}

#[test]
fn rotating_a_square_by_90_degrees_turns_columns_into_rows() {
    // Counter-clockwise by 90 degrees: the right column becomes the top row.
    let x = Tensor::from_vec((0..9).map(|v| v as f64).collect(), &[3, 3]);
    let y = rotate(&x, std::f64::consts::FRAC_PI_2);
    let want = [2.0, 5.0, 8.0, 1.0, 4.0, 7.0, 0.0, 3.0, 6.0];
    for (a, b) in y.to_vec().iter().zip(want) {
        assert!((a - b).abs() < 1e-9, "{:?}", y.to_vec());
    }
}

#[test]
fn flip_probability_one_always_flips_and_zero_never() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
    let mut rng = seeded_rng(0);
    assert_eq!(
        RandomHorizontalFlip::new(1.0)
            .apply(x.clone(), &mut rng)
            .to_vec(),
        vec![2.0, 1.0]
    );
    assert_eq!(RandomHorizontalFlip::new(0.0).apply(x.clone(), &mut rng), x);
}

#[test]
fn random_erasing_blanks_a_rectangle_within_the_scale_range() {
    let x = Tensor::<f64>::ones(&[2, 20, 20]);
    let mut erased_any = false;
    for seed in 0..20 {
        let y = RandomErasing::new(1.0).apply(x.clone(), &mut seeded_rng(seed));
        let zeros = y.to_vec().iter().filter(|&&v| v == 0.0).count();
        // Same rectangle in both channels, area between 2% and 33% of 400 pixels (with rounding).
        assert_eq!(zeros % 2, 0);
        let area = zeros / 2;
        if area > 0 {
            erased_any = true;
            assert!((4..=150).contains(&area), "area {area}");
        }
    }
    assert!(erased_any);
}

#[test]
fn gaussian_noise_has_the_requested_spread_on_any_shape() {
    let x = Tensor::<f64>::full(&[5, 7, 11, 13], 3.0);
    let y = GaussianNoise::new(0.5).apply(x, &mut seeded_rng(11));
    let v = y.to_vec();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n).sqrt();
    // 5005 samples: standard errors are about 0.007 (mean) and 0.005 (std).
    assert!((mean - 3.0).abs() < 0.04, "mean {mean}");
    assert!((std - 0.5).abs() < 0.03, "std {std}");
}

#[test]
fn mixup_of_a_regression_batch_blends_values_with_the_features_weight() {
    let batch = Batch {
        features: Tensor::from_vec(vec![0.0f64, 10.0], &[2, 1]),
        targets: Targets::Values(Tensor::from_vec(vec![0.0, 1.0], &[2, 1])),
        indices: vec![0, 1],
    };
    let mixed = Mixup::new(1.0, 1).apply(batch, &mut seeded_rng(4));
    let Targets::Values(y) = mixed.targets else {
        panic!("values expected")
    };
    // Features are 10 * target in both rows, so the blend must keep that.
    for (x, t) in mixed.features.to_vec().iter().zip(y.to_vec()) {
        assert!((x - 10.0 * t).abs() < 1e-12);
    }
}
