//! Deriving independent seeds from (seed, epoch, example) so every random
//! choice in a run depends only on those numbers, never on which thread made
//! it or in what order: that is what makes the loader bitwise reproducible
//! with or without prefetching.

use wengert_tensor::{seeded_rng, WengertRng};

/// SplitMix64's finalizer: a bijection on `u64` whose output bits each
/// depend on every input bit (Steele, Lea, Flood, 2014).
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed for one purpose derived from a base seed and a path of numbers,
/// e.g. `derive_seed(seed, &[PURPOSE_AUGMENT, epoch, index])`.
pub(crate) fn derive_seed(seed: u64, path: &[u64]) -> u64 {
    path.iter()
        .fold(splitmix64(seed), |acc, &x| splitmix64(acc ^ splitmix64(x)))
}

/// A generator for one purpose, see [`derive_seed`].
pub(crate) fn derived_rng(seed: u64, path: &[u64]) -> WengertRng {
    seeded_rng(derive_seed(seed, path))
}

/// Purposes, so that the shuffle of epoch 3 and the augmentation of example 3
/// never share a stream.
pub(crate) const PURPOSE_SHUFFLE: u64 = 1;
pub(crate) const PURPOSE_AUGMENT: u64 = 2;
pub(crate) const PURPOSE_BATCH_TRANSFORM: u64 = 3;
pub(crate) const PURPOSE_SEQUENCE: u64 = 4;
pub(crate) const PURPOSE_SAMPLE: u64 = 5;
pub(crate) const PURPOSE_RESAMPLE: u64 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_differ_by_path_and_repeat_for_the_same_path() {
        let a = derive_seed(7, &[PURPOSE_SHUFFLE, 0]);
        assert_eq!(a, derive_seed(7, &[PURPOSE_SHUFFLE, 0]));
        assert_ne!(a, derive_seed(7, &[PURPOSE_SHUFFLE, 1]));
        assert_ne!(a, derive_seed(8, &[PURPOSE_SHUFFLE, 0]));
        assert_ne!(a, derive_seed(7, &[PURPOSE_AUGMENT, 0]));
        // Order matters: (epoch 1, example 2) is not (epoch 2, example 1).
        assert_ne!(derive_seed(7, &[1, 2]), derive_seed(7, &[2, 1]));
    }
}
