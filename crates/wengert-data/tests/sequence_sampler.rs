//! The sequence sampler on The Time Machine: targets are inputs shifted by
//! one, consecutive batches continue each other, random windows do not
//! overlap, and the seed fixes everything.

use proptest::prelude::*;
use wengert_data::embedded::time_machine;
use wengert_data::text::{SamplingStrategy, SequenceSampler};

fn check_shift(
    tokens: &[usize],
    batch: &wengert_data::text::SequenceBatch,
    starts: &mut Vec<usize>,
) {
    for b in 0..batch.batch_size {
        let x = batch.input_row(b);
        let y = batch.target_row(b);
        assert_eq!(
            &x[1..],
            &y[..y.len() - 1],
            "target is the input shifted by one"
        );
        // Locate the window in the stream through its position (tokens are positions here).
        assert_eq!(y[y.len() - 1], tokens[x[0] + x.len()]);
        starts.push(x[0]);
    }
}

proptest! {
    #[test]
    fn windows_are_shifted_pairs_and_random_windows_do_not_overlap(
        len in 10usize..400, batch_size in 1usize..6, num_steps in 1usize..12, seed in any::<u64>(), epoch in 0u64..5,
    ) {
        // Tokens equal to their positions make every window's place visible.
        let tokens: Vec<usize> = (0..len).collect();
        for strategy in [SamplingStrategy::Random, SamplingStrategy::Sequential] {
            let sampler = SequenceSampler::new(tokens.clone(), batch_size, num_steps, strategy, seed);
            let batches = sampler.epoch(epoch);
            prop_assert_eq!(&batches, &sampler.epoch(epoch));
            let mut starts = Vec::new();
            for batch in &batches {
                check_shift(&tokens, batch, &mut starts);
            }
            starts.sort();
            for pair in starts.windows(2) {
                prop_assert!(pair[1] >= pair[0] + num_steps, "windows overlap: {:?}", pair);
            }
            if strategy == SamplingStrategy::Sequential {
                for k in 1..batches.len() {
                    for b in 0..batch_size {
                        prop_assert_eq!(batches[k].input_row(b)[0], batches[k - 1].input_row(b)[num_steps - 1] + 1);
                    }
                }
            }
        }
    }
}

#[test]
fn time_machine_batches_cover_most_of_the_text_each_epoch() {
    let corpus = time_machine();
    let n = corpus.tokens.len();
    for strategy in [SamplingStrategy::Random, SamplingStrategy::Sequential] {
        let sampler = SequenceSampler::new(corpus.tokens.clone(), 32, 35, strategy, 0);
        let batches = sampler.epoch(0);
        let covered = batches.len() * 32 * 35;
        // At most one window per row, the offset and the remainder are left out.
        assert!(
            covered + 32 * 35 * 2 >= n && covered <= n,
            "{strategy:?}: {covered} of {n}"
        );
        assert_ne!(
            batches[0],
            sampler.epoch(1)[0],
            "epochs start at different offsets or orders"
        );
    }
}

#[test]
fn one_hot_inputs_are_time_major() {
    let sampler = SequenceSampler::new(
        (0..30).map(|i| i % 4).collect(),
        2,
        3,
        SamplingStrategy::Sequential,
        1,
    );
    let batch = &sampler.epoch(0)[0];
    let x = batch.inputs_one_hot::<f32>(4);
    assert_eq!(x.shape(), &[3, 2, 4]);
    for t in 0..3 {
        for b in 0..2 {
            let token = batch.input_row(b)[t];
            for v in 0..4 {
                assert_eq!(x.at(&[t, b, v]), if v == token { 1.0 } else { 0.0 });
            }
        }
    }
    let y = batch.targets_time_major();
    assert_eq!(y[1], batch.target_row(1)[0]);
}
