//! The `weight_decay` example's claims in small (its `--quick` epochs,
//! `examples/weight_decay.rs` included here): with 20 examples for 200
//! weights, decay keeps the weights small and the test loss low; the
//! penalty, coupled and decoupled forms are one SGD update but not one
//! Adam update; L1 zeroes more weights the larger its lambda.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/weight_decay.rs"]
mod weight_decay;

use std::sync::OnceLock;

use weight_decay::{max_difference, measure, Measured, Run};

/// The quick run, measured once for the three tests.
fn quick() -> &'static Measured {
    static MEASURED: OnceLock<Measured> = OnceLock::new();
    MEASURED.get_or_init(|| measure(30).unwrap())
}

#[test]
fn quick_mode_shows_what_weight_decay_does() {
    let m = quick();
    let at = |lambda: f64| &m.sweep.iter().find(|(l, _)| *l == lambda).unwrap().1;
    let (free, decayed) = (at(0.0), at(3.0));
    // Without decay the 200 weights fit the 20 examples exactly and the
    // test loss is large; lambda 3 cuts both by orders of magnitude.
    assert!(free.train() < 1e-6, "{}", free.train());
    assert!(
        decayed.norm() * 100.0 < free.norm(),
        "{} vs {}",
        decayed.norm(),
        free.norm()
    );
    assert!(
        decayed.test() * 1000.0 < free.test(),
        "{} vs {}",
        decayed.test(),
        free.test()
    );
    // More decay, smaller weights, over the whole sweep; less overfitting
    // (a lower test loss) up to lambda 3.
    let norms: Vec<f64> = m.sweep.iter().map(|(_, r)| r.norm()).collect();
    assert!(norms.windows(2).all(|w| w[1] < w[0]), "{norms:?}");
    let tests: Vec<f64> = m
        .sweep
        .iter()
        .take_while(|(l, _)| *l <= 3.0)
        .map(|(_, r)| r.test())
        .collect();
    assert!(tests.windows(2).all(|w| w[1] < w[0]), "{tests:?}");
    // The same across data sets: every draw, not only the first.
    for (lambda, runs) in &m.spread {
        for r in runs {
            assert!(
                (*lambda == 0.0 && r.test() > 10.0) || (*lambda == 3.0 && r.test() < 0.1),
                "lambda {lambda}: test loss {}",
                r.test()
            );
        }
    }
}

#[test]
fn the_three_forms_of_decay_are_one_sgd_update_and_two_adam_updates() {
    let m = quick();
    let [penalty, coupled, decoupled] = &m.sgd_forms;
    assert!(max_difference(penalty, coupled) <= 1e-12);
    assert!(max_difference(penalty, decoupled) <= 1e-12);
    assert!(penalty.norm() < 1.0, "the decay acted: {}", penalty.norm());
    // Adam divides the coupled term by its running scale, so L2 barely
    // shrinks the weights; AdamW shrinks them as SGD's decay does.
    let [adam_l2, adamw] = &m.adam_forms;
    assert!(
        adamw.norm() * 10.0 < adam_l2.norm(),
        "{} vs {}",
        adamw.norm(),
        adam_l2.norm()
    );
    assert!(adamw.test() < adam_l2.test());
}

#[test]
fn l1_zeroes_more_weights_as_lambda_grows() {
    let m = quick();
    let zeroed: Vec<usize> =
        m.l1.iter()
            .map(|(_, r): &(f64, Run)| r.near_zero(weight_decay::NEAR_ZERO))
            .collect();
    assert!(zeroed.windows(2).all(|w| w[1] >= w[0]), "{zeroed:?}");
    assert!(
        zeroed[zeroed.len() - 1] > weight_decay::INPUTS / 2,
        "{zeroed:?}"
    );
    assert!(zeroed[0] < 5, "{zeroed:?}");
}
