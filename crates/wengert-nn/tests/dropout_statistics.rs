//! Inverted dropout: in training the zero fraction is near p and the mean is
//! preserved; in evaluation it is the identity; a seed fixes the mask.

use wengert_nn::{Dropout, Module};
use wengert_tensor::{Tape, Tensor};

const N: usize = 100_000;

fn train_pass(p: f64, seed: u64, x: &Tensor<f64>) -> Vec<f64> {
    let tape = Tape::training(seed);
    Dropout::new(p)
        .forward(&tape, tape.constant(x.clone()))
        .unwrap()
        .value()
        .to_vec()
}

#[test]
fn zero_fraction_is_near_p_and_mean_is_preserved() {
    // Each element is dropped independently with probability p, so the zero
    // count is Binomial(N, p): its fraction has standard deviation
    // sqrt(p (1 - p) / N) <= 0.0016 for N = 1e5. A kept element is
    // 1 / (1 - p) (input 1), so the output mean has expectation 1 and
    // standard deviation sqrt(p / ((1 - p) N)) <= 0.0095 at p = 0.9.
    // We allow 5 standard deviations: a correct layer fails with
    // probability below 1e-6, and a missing 1/(1-p) scale (mean 1 - p) or a
    // keep/drop swap (zero fraction 1 - p) is caught for every p tested.
    let x = Tensor::<f64>::ones(&[N]);
    for (p, seed) in [(0.1, 1), (0.3, 2), (0.5, 3), (0.9, 4)] {
        let y = train_pass(p, seed, &x);
        let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / N as f64;
        let mean = y.iter().sum::<f64>() / N as f64;
        let sd_frac = (p * (1.0 - p) / N as f64).sqrt();
        let sd_mean = (p / ((1.0 - p) * N as f64)).sqrt();
        assert!(
            (zeros - p).abs() < 5.0 * sd_frac,
            "p {p}: zero fraction {zeros}"
        );
        assert!((mean - 1.0).abs() < 5.0 * sd_mean, "p {p}: mean {mean}");
        let kept = 1.0 / (1.0 - p);
        assert!(
            y.iter().all(|&v| v == 0.0 || v == kept),
            "p {p}: kept values are 1/(1-p)"
        );
    }
}

#[test]
fn evaluation_is_the_identity() {
    let x = Tensor::<f64>::from_vec((0..12).map(|i| i as f64 - 5.0).collect(), &[3, 4]);
    let tape = Tape::inference();
    let y = Dropout::new(0.7)
        .forward(&tape, tape.constant(x.clone()))
        .unwrap();
    assert_eq!(y.value().to_vec(), x.to_vec());
}

#[test]
fn same_seed_same_mask_and_other_seed_other_mask() {
    let x = Tensor::<f64>::ones(&[256]);
    assert_eq!(train_pass(0.5, 9, &x), train_pass(0.5, 9, &x));
    assert_ne!(train_pass(0.5, 9, &x), train_pass(0.5, 10, &x));
}

#[test]
fn extreme_probabilities() {
    let x = Tensor::<f64>::ones(&[64]);
    assert_eq!(train_pass(0.0, 1, &x), x.to_vec());
    assert!(train_pass(1.0, 1, &x).iter().all(|&v| v == 0.0));
    assert!(Dropout::try_new(1.5)
        .unwrap_err()
        .to_string()
        .contains("[0, 1]"));
}
