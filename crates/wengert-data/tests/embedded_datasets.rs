//! The datasets compiled into the crate load and have the documented shapes.

use wengert_data::embedded::{airfoil, digits, digits_raw, time_machine};
use wengert_data::text::CharVocab;
use wengert_data::{Dataset, Target, TargetKind};

#[test]
fn digits_have_1797_images_of_64_pixels_in_10_classes() {
    let raw = digits_raw().unwrap();
    assert_eq!(raw.len(), 1797);
    assert_eq!(raw.feature_shape(), &[64]);
    assert_eq!(raw.target_kind(), TargetKind::Classes { classes: 10 });
    let pixels = raw.features().to_vec();
    assert!(pixels
        .iter()
        .all(|&p| (0.0..=16.0).contains(&p) && p.fract() == 0.0));
    assert_eq!(pixels.iter().cloned().fold(0.0f32, f32::max), 16.0);
    // Class sizes of the UCI optdigits sample scikit-learn ships.
    let mut counts = [0usize; 10];
    for &c in raw.labels().unwrap() {
        counts[c] += 1;
    }
    assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
}

#[test]
fn scaled_digits_are_raw_over_16() {
    let (raw, scaled) = (digits_raw().unwrap(), digits().unwrap());
    assert_eq!(raw.labels(), scaled.labels());
    for (r, s) in raw
        .features()
        .to_vec()
        .iter()
        .zip(scaled.features().to_vec())
    {
        assert_eq!(r / 16.0, s);
    }
    // The first digit of the file is a 0: its row starts 0,0,5,13,9,1,0,0.
    let first = scaled.get(0);
    assert_eq!(first.target, Target::Class(0));
    assert_eq!(
        &first.features.to_vec()[..4],
        &[0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0]
    );
}

#[test]
fn airfoil_has_1503_rows_of_5_features_and_one_target() {
    let data = airfoil().unwrap();
    assert_eq!(data.len(), 1503);
    assert_eq!(data.feature_shape(), &[5]);
    assert_eq!(data.target_kind(), TargetKind::Values { width: 1 });
    let first = data.get(0);
    assert_eq!(
        first.features.to_vec(),
        vec![800.0, 0.0, 0.3048, 71.3, 0.00266337]
    );
    assert_eq!(first.target, Target::Values(vec![126.201]));
}

#[test]
fn time_machine_corpus_is_letters_and_spaces_with_28_symbols() {
    let corpus = time_machine();
    assert_eq!(corpus.vocab.len(), 28);
    assert!(corpus
        .text
        .chars()
        .all(|c| c == ' ' || c.is_ascii_lowercase()));
    assert!(!corpus.text.contains("  "));
    assert_eq!(corpus.tokens.len(), corpus.text.len());
    assert!(corpus.tokens.iter().all(|&t| t != CharVocab::UNKNOWN));
    // Space is the most frequent character, then 'e' (as in English text).
    assert_eq!(corpus.vocab.char_at(1), Some(' '));
    assert_eq!(corpus.vocab.char_at(2), Some('e'));
    assert_eq!(
        corpus.vocab.decode(&corpus.tokens[..16]),
        "the time machine"
    );
}
