//! The `generalization` example's claim in small (its `--quick` options,
//! `examples/generalization.rs` included here): on every data set the
//! cubic features fit and generalize, `x` alone underfits, and two
//! training examples overfit.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/generalization.rs"]
mod generalization;

use generalization::{final_loss, measure, Fit, Options};

/// Final (train, test) loss of fit `i` of a run.
fn finals(run: &[(&str, Fit)], i: usize) -> (f64, f64) {
    (
        final_loss(&run[i].1.train_loss),
        final_loss(&run[i].1.test_loss),
    )
}

#[test]
fn quick_mode_shows_a_good_fit_underfitting_and_overfitting_on_every_data_set() {
    let runs = measure(Options::quick()).unwrap();
    assert_eq!(runs.len(), 5);
    for (seed, run) in runs.iter().enumerate() {
        let (cubic_train, cubic_test) = finals(run, 0);
        let (linear_train, linear_test) = finals(run, 1);
        let (two_train, two_test) = finals(run, 2);
        let at = format!("data set {}: {run:?}", seed + 1);
        // The right features: the best test loss by far, and no gap.
        assert!(cubic_test * 10.0 < linear_test, "{at}");
        assert!(cubic_test * 10.0 < two_test, "{at}");
        assert!(cubic_test < 2.0 * cubic_train, "{at}");
        // Too simple a model cannot even fit its training data.
        assert!(linear_train > 10.0 * cubic_train, "{at}");
        // Too few examples: the training loss says little of the test loss.
        assert!(two_test > 3.0 * two_train, "{at}");
    }
}

#[test]
fn the_reported_losses_are_those_of_the_learned_line_on_the_whole_sets() {
    let runs = measure(Options {
        data_sets: 1,
        ..Options::quick()
    })
    .unwrap();
    let cubic = &runs[0][0].1;
    let (x, y) = generalization::polynomial_data(generalization::EXAMPLES, 1);
    let (x, y) = (x.to_vec(), y.to_vec());
    let half_mse = |range: std::ops::Range<usize>| {
        let n = range.len() as f64;
        range
            .map(|i| {
                let pred = cubic.bias
                    + (0..3)
                        .map(|p| cubic.weights[p] * x[i].powi(p as i32 + 1))
                        .sum::<f64>();
                0.5 * (pred - y[i]).powi(2)
            })
            .sum::<f64>()
            / n
    };
    let n = generalization::EXAMPLES;
    let (train, test) = (half_mse(0..n), half_mse(n..2 * n));
    assert!(
        (final_loss(&cubic.train_loss) - train).abs() <= 1e-12 * train,
        "{train}"
    );
    assert!(
        (final_loss(&cubic.test_loss) - test).abs() <= 1e-12 * test,
        "{test}"
    );
    assert_eq!(cubic.train_loss.len(), 30);
}

#[test]
fn the_same_options_give_the_same_losses_bitwise() {
    let options = Options {
        data_sets: 2,
        ..Options::quick()
    };
    let (a, b) = (measure(options).unwrap(), measure(options).unwrap());
    let bits = |runs: &[Vec<(&str, Fit)>]| -> Vec<u64> {
        runs.iter()
            .flatten()
            .flat_map(|(_, f)| f.train_loss.iter().chain(&f.test_loss).map(|v| v.to_bits()))
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
}
