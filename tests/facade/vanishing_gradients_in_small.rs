//! The `vanishing_gradients` example's claims in small (its `--quick`
//! setting on the embedded digits, `examples/vanishing_gradients.rs`
//! included here): the tape's gradient of the text's scalar chain is
//! `w^30`; in a deep sigmoid net with the default init the first layer's
//! gradient is orders of magnitude below the last layer's, while ReLU with
//! Kaiming init, batch norm or residual blocks keep them within a small
//! factor; the deep sigmoid net does not train in the budget where ReLU
//! with batch norm does; clipping keeps a too-large learning rate's loss
//! finite where the unclipped run's is not.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/vanishing_gradients.rs"]
mod vanishing_gradients;

use vanishing_gradients::{
    clip_runs, digits, first_batch_grad_norms, scalar_chain, train, Activation, Architecture,
    Config, InitScheme, Setting, Trained, CHAIN_LAYERS, CHANCE_LEVEL, TRAINS,
};

/// Seeds of the weights the gradient claims must hold for.
const SEEDS: [u64; 3] = [0, 1, 2];

fn relu_with(architecture: Architecture) -> Config {
    Config {
        activation: Activation::ReLU,
        init: InitScheme::Default,
        architecture,
    }
}

#[test]
fn the_tape_multiplies_thirty_weights_into_w_to_the_thirty() {
    for w in [0.2, 5.0] {
        let (tape, closed) = scalar_chain(w, CHAIN_LAYERS);
        assert!(
            ((tape - closed) / closed).abs() <= 1e-12,
            "w = {w}: tape {tape:e}, closed form {closed:e}"
        );
    }
    // The text's orders of magnitude.
    let (vanishing, _) = scalar_chain(0.2, CHAIN_LAYERS);
    let (exploding, _) = scalar_chain(5.0, CHAIN_LAYERS);
    assert!((1e-22..1e-20).contains(&vanishing), "{vanishing:e}");
    assert!((1e20..1e21).contains(&exploding), "{exploding:e}");
}

#[test]
fn sigmoid_gradients_vanish_towards_the_input_and_the_remedies_keep_them() {
    let setting = Setting::quick();
    let data = digits(setting.batch).unwrap();
    let ratio = |config: Config, depth: usize, seed: u64| {
        let model = config
            .build(depth, data.inputs, setting.width, 10, seed)
            .unwrap();
        let norms = first_batch_grad_norms(&model, &data.train).unwrap();
        assert_eq!(norms.len(), depth, "one norm per Linear");
        norms[0] / norms[depth - 1]
    };
    for depth in [10, 20] {
        for seed in SEEDS {
            let sigmoid = ratio(
                Config::plain(Activation::Sigmoid, InitScheme::Default),
                depth,
                seed,
            );
            assert!(
                sigmoid <= 1e-2,
                "sigmoid + default, depth {depth}, seed {seed}: first / last = {sigmoid:e}"
            );
            for config in [
                Config::plain(Activation::ReLU, InitScheme::Kaiming),
                relu_with(Architecture::Residual),
            ] {
                let kept = ratio(config, depth, seed);
                assert!(
                    (0.1..=10.0).contains(&kept),
                    "{}, depth {depth}, seed {seed}: first / last = {kept:e}",
                    config.name()
                );
            }
            // Batch norm keeps them from vanishing; at init they rather grow
            // towards the input (the example's tables show it), so only the
            // lower bound is its claim.
            let batch_norm = ratio(relu_with(Architecture::BatchNorm), depth, seed);
            assert!(
                batch_norm >= 0.1,
                "ReLU + batch norm, depth {depth}, seed {seed}: first / last = {batch_norm:e}"
            );
        }
    }
}

#[test]
fn a_deep_sigmoid_net_does_not_train_where_relu_with_batch_norm_does() {
    let setting = Setting::quick();
    let data = digits(setting.batch).unwrap();
    let depth = 10;
    let accuracy = |config: Config| {
        let model = config
            .build(depth, data.inputs, setting.width, 10, 0)
            .unwrap();
        let (outcome, _, _) = train(model, &data, setting.lr, setting.epochs, None).unwrap();
        outcome.accuracy()
    };
    let sigmoid = accuracy(Config::plain(Activation::Sigmoid, InitScheme::Default));
    let batch_norm = accuracy(relu_with(Architecture::BatchNorm));
    assert!(sigmoid < CHANCE_LEVEL, "sigmoid + default: {sigmoid}");
    assert!(batch_norm >= TRAINS, "ReLU + batch norm: {batch_norm}");
}

#[test]
fn clipping_keeps_the_exploding_configurations_loss_finite() {
    let setting = Setting::quick();
    let data = digits(setting.batch).unwrap();
    let runs = clip_runs(&setting, &data).unwrap();
    // Without clipping the NaN guard stops the run, naming what went bad.
    match &runs.unclipped_outcome {
        Trained::Diverged(why) => assert!(why.contains("not finite"), "{why}"),
        finished => panic!("the unclipped run was meant to diverge: {finished:?}"),
    }
    // With clipping every step's loss is finite, falls from its exploded
    // start, and the net learns (well above chance, 0.1).
    assert!(matches!(runs.clipped_outcome, Trained::Finished { .. }));
    assert!(runs.clipped.iter().all(|r| r.loss.is_finite()));
    let (first, last) = (&runs.clipped[0], &runs.clipped[runs.clipped.len() - 1]);
    assert!(
        last.loss * 10.0 < first.loss,
        "{} -> {}",
        first.loss,
        last.loss
    );
    assert!(
        runs.clipped_outcome.accuracy() >= CHANCE_LEVEL,
        "{:?}",
        runs.clipped_outcome
    );
}
