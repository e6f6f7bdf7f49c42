//! Fine-tuning through the trainer, on the embedded digits: pretrained
//! weights loaded around a new head, the first layers frozen (and left
//! bitwise alone by Adam's weight decay of either kind), a lower learning
//! rate for the pretrained layers applied exactly, and gradual unfreezing
//! that keeps each layer fixed until its epoch, resumes bitwise, and gives
//! a newly unfrozen layer fresh Adam state.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use wengert_data::{embedded, DataLoader, InMemoryDataset, LoaderConfig, Subset};
use wengert_nn::{
    save_weights, state_dict, Linear, Module, Pretrained, ReLU, Sequential, StateDict, StateValue,
};
use wengert_optim::{Adam, AdamConfig, AdamWConfig, Optimizer, ParamGroup, SgdConfig, WeightDecay};
use wengert_tensor::{seeded_rng, Float, Param, Tape, Tensor};
use wengert_train::{
    Callback, CallbackContext, Checkpoint, CrossEntropyLoss, EpochRecord, GradualUnfreeze, Loss,
    Result, Trainer,
};

/// A scratch directory unique to the test, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!(
        "wengert-train-fine-tuning-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// Layers `0` Linear(64 -> 32), `2` Linear(32 -> 16), `4` the head
/// Linear(16 -> classes), with ReLUs between.
fn mlp(seed: u64, classes: usize) -> Sequential<f32> {
    let mut rng = seeded_rng(seed);
    Sequential::new()
        .with(Linear::new(64, 32, &mut rng))
        .with(ReLU)
        .with(Linear::new(32, 16, &mut rng))
        .with(ReLU)
        .with(Linear::new(16, classes, &mut rng))
}

fn digits_loader() -> DataLoader<f32, InMemoryDataset<f32>> {
    DataLoader::new(embedded::digits().unwrap(), LoaderConfig::new(128).seed(3))
}

/// The new task: even or odd digit.
fn parity_loader() -> DataLoader<f32, InMemoryDataset<f32>> {
    let digits = embedded::digits().unwrap();
    let labels = digits.labels().unwrap().iter().map(|l| l % 2).collect();
    let parity = InMemoryDataset::classification(digits.features().clone(), labels, 2);
    DataLoader::new(parity, LoaderConfig::new(128).seed(5))
}

/// Each parameter of layer `layer` (`0.weight`, `0.bias`) as bits.
fn layer_bits(state: &StateDict<f32>, layer: &str) -> Vec<(String, Vec<u32>)> {
    let prefix = format!("{layer}.");
    state
        .iter()
        .filter(|(name, _)| name.starts_with(&prefix))
        .map(|(name, v)| match v {
            StateValue::Float(t) => (
                name.clone(),
                t.to_vec().iter().map(|x| x.to_bits()).collect(),
            ),
            StateValue::Int(c) => (name.clone(), vec![*c as u32]),
        })
        .collect()
}

fn all_bits(state: &StateDict<f32>) -> Vec<(String, Vec<u32>)> {
    layer_bits(state, "0")
        .into_iter()
        .chain(layer_bits(state, "2"))
        .chain(layer_bits(state, "4"))
        .collect()
}

/// Keeps the weights after every epoch.
struct Snapshots(Arc<Mutex<BTreeMap<usize, StateDict<f32>>>>);

impl Callback<f32> for Snapshots {
    fn name(&self) -> String {
        "snapshots".into()
    }
    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, f32>,
        record: &EpochRecord,
    ) -> Result<()> {
        let state = state_dict(&*ctx.model);
        self.0.lock().unwrap().insert(record.epoch, state);
        Ok(())
    }
}

/// Builds a fresh optimizer for one fine-tuning run.
type MakeAdam = fn() -> Adam<f32>;

#[test]
fn frozen_pretrained_layers_stay_bitwise_fixed_under_adam_with_either_kind_of_weight_decay() {
    let dir = scratch("frozen");
    let path = dir.0.join("digits.safetensors");
    let mut pretrain = Trainer::new(mlp(1, 10), AdamConfig::new(1e-2).build(), CrossEntropyLoss)
        .epochs(2)
        .quiet();
    pretrain.fit_without_validation(&digits_loader()).unwrap();
    save_weights(pretrain.model(), &path).unwrap();
    let pretrained = state_dict(pretrain.model());

    // AdamW is Adam with decoupled decay: both build an `Adam`.
    let optimizers: [(&str, MakeAdam); 2] = [
        ("Adam, coupled L2", || {
            AdamConfig::new(1e-2)
                .weight_decay(WeightDecay::L2(0.1))
                .build()
        }),
        ("AdamW, decoupled", || {
            AdamWConfig::new(1e-2).weight_decay(0.1).build()
        }),
    ];
    for (what, optimizer) in optimizers {
        let mut model = mlp(2, 2);
        let head_init = layer_bits(&state_dict(&model), "4");
        let report = Pretrained::from_file(&path)
            .unwrap()
            .skip("4")
            .load_into(&mut model)
            .unwrap();
        assert_eq!(
            report.loaded_names(),
            ["0.bias", "0.weight", "2.bias", "2.weight"]
        );
        assert_eq!(report.missing, ["4.bias", "4.weight"]);
        assert_eq!(layer_bits(&state_dict(&model), "4"), head_init, "{what}");
        assert_eq!(model.get(4).unwrap().params()[0].1.shape(), &[2, 16]);
        model.freeze_first(2).unwrap();

        let mut trainer = Trainer::new(model, optimizer(), CrossEntropyLoss)
            .epochs(3)
            .quiet();
        trainer.fit_without_validation(&parity_loader()).unwrap();
        let after = state_dict(trainer.model());
        assert_eq!(
            layer_bits(&after, "0"),
            layer_bits(&pretrained, "0"),
            "{what}: the frozen layer is the pretrained one, bitwise"
        );
        for (name, bits) in layer_bits(&after, "2") {
            let before = layer_bits(&pretrained, "2")
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap()
                .1;
            assert_ne!(bits, before, "{what}: `{name}` trained");
        }
        for (name, bits) in layer_bits(&after, "4") {
            let before = head_init.iter().find(|(n, _)| *n == name).unwrap();
            assert_ne!(bits, before.1, "{what}: `{name}` trained");
        }
        assert!(trainer.model().get(0).unwrap().params()[0].1.is_frozen());
    }
}

#[test]
fn each_group_steps_by_its_own_learning_rate_times_the_gradient_exactly() {
    let digits = embedded::digits().unwrap();
    let first: Vec<usize> = (0..64).collect();
    let loader = DataLoader::new(
        Subset::new(digits, first),
        LoaderConfig::new(64).shuffle(false),
    );
    let (base_lr, body_scale) = (0.5, 0.1);
    let sgd = SgdConfig::new(base_lr)
        .group(
            ParamGroup::by_name("pretrained body", |n| !n.starts_with("4.")).lr_scale(body_scale),
        )
        .build::<f32>();
    let mut trainer = Trainer::new(mlp(3, 10), sgd, CrossEntropyLoss).quiet();
    let before: Vec<(String, Tensor<f32>)> = trainer
        .model()
        .params()
        .into_iter()
        .map(|(n, p)| (n, p.value().clone()))
        .collect();

    // The gradient of the one batch, on a twin of the model (same seed,
    // same values, its own parameters).
    let twin = mlp(3, 10);
    let batch = loader.epoch(0).next().unwrap();
    let tape = Tape::training(0);
    let output = twin.forward(&tape, tape.constant(batch.features)).unwrap();
    let grads = CrossEntropyLoss
        .loss(output, &batch.targets)
        .unwrap()
        .backward();

    trainer.fit_without_validation(&loader).unwrap();
    assert_eq!(trainer.history().steps.len(), 1);
    assert_eq!(trainer.optimizer().group_lr(1), base_lr * body_scale);

    let after = trainer.model().params();
    for ((name, old), (twin_name, twin_param)) in before.iter().zip(twin.params()) {
        assert_eq!(*name, twin_name);
        let lr = if name.starts_with("4.") {
            base_lr
        } else {
            base_lr * body_scale
        };
        let lr = f32::from_f64(lr);
        let g = grads.get(twin_param).unwrap().to_vec();
        let expected: Vec<u32> = old
            .to_vec()
            .iter()
            .zip(&g)
            .map(|(x, g)| (x - lr * g).to_bits())
            .collect();
        let new = after.iter().find(|(n, _)| n == name).unwrap().1;
        let got: Vec<u32> = new.value().to_vec().iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, expected, "`{name}` moved by -{lr} * its gradient");
        assert_ne!(
            got,
            old.to_vec().iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}

fn gradual_run(
    epochs: usize,
    checkpoints: &std::path::Path,
) -> Trainer<f32, Sequential<f32>, Adam<f32>> {
    Trainer::new(mlp(4, 10), AdamConfig::new(5e-3).build(), CrossEntropyLoss)
        .epochs(epochs)
        .callback(GradualUnfreeze::top_down(["2", "0"]))
        .callback(Checkpoint::new(checkpoints))
        .quiet()
}

#[test]
fn gradual_unfreezing_keeps_each_layer_bitwise_fixed_until_its_epoch_and_reports_it() {
    let dir = scratch("gradual");
    let snapshots = Arc::new(Mutex::new(BTreeMap::new()));
    let mut trainer =
        gradual_run(3, &dir.0.join("run")).callback(Snapshots(Arc::clone(&snapshots)));
    let init = state_dict(trainer.model());
    trainer.fit_without_validation(&digits_loader()).unwrap();

    let snapshots = snapshots.lock().unwrap();
    let (e1, e2, e3) = (&snapshots[&1], &snapshots[&2], &snapshots[&3]);
    assert_ne!(
        layer_bits(e1, "4"),
        layer_bits(&init, "4"),
        "the head trains from epoch 1"
    );
    assert_eq!(
        layer_bits(e1, "2"),
        layer_bits(&init, "2"),
        "`2` is fixed in epoch 1"
    );
    assert_ne!(
        layer_bits(e2, "2"),
        layer_bits(e1, "2"),
        "`2` trains in epoch 2"
    );
    assert_eq!(
        layer_bits(e2, "0"),
        layer_bits(&init, "0"),
        "`0` is fixed in epochs 1 and 2"
    );
    assert_ne!(
        layer_bits(e3, "0"),
        layer_bits(e2, "0"),
        "`0` trains in epoch 3"
    );
    assert_eq!(
        trainer.model().num_trainable_params(),
        trainer.model().num_params()
    );

    let unfreezings: Vec<&String> = trainer
        .warnings()
        .iter()
        .filter(|w| w.contains("gradual unfreeze"))
        .collect();
    assert_eq!(
        unfreezings,
        [
            "epoch 1: gradual unfreeze: `2` (2 parameters) trains from epoch 2 on; 698 of 2778 \
             scalars are trainable",
            "epoch 2: gradual unfreeze: `0` (2 parameters) trains from epoch 3 on; 2778 of 2778 \
             scalars are trainable",
        ]
    );
}

#[test]
fn a_gradually_unfrozen_run_resumed_after_an_epoch_ends_bitwise_as_the_uninterrupted_one() {
    let dir = scratch("gradual-resume");
    let data = digits_loader();
    let mut straight = gradual_run(3, &dir.0.join("straight"));
    straight.fit_without_validation(&data).unwrap();

    let mut first = gradual_run(1, &dir.0.join("split"));
    first.fit_without_validation(&data).unwrap();
    drop(first);
    let mut second = gradual_run(3, &dir.0.join("split"));
    second.resume(dir.0.join("split").join("last")).unwrap();
    assert_eq!(second.position().epoch, 1);
    second.fit_without_validation(&data).unwrap();

    assert_eq!(
        all_bits(&state_dict(second.model())),
        all_bits(&state_dict(straight.model()))
    );
}

#[test]
fn gradual_unfreezing_refuses_a_name_the_model_does_not_have_and_epoch_zero() {
    let data = digits_loader();
    let unknown = GradualUnfreeze::new().at_epoch(2, "3");
    let mut trainer = Trainer::new(mlp(4, 10), AdamConfig::new(5e-3).build(), CrossEntropyLoss)
        .callback(unknown)
        .quiet();
    let err = trainer
        .fit_without_validation(&data)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "GradualUnfreeze: no parameter or layer named `3`; the parameters are: 0.weight, \
             0.bias, 2.weight"
        ),
        "{err}"
    );
    assert_eq!(trainer.history().steps.len(), 0);

    let zero = GradualUnfreeze::new().at_epoch(0, "0");
    let mut trainer = Trainer::new(mlp(4, 10), AdamConfig::new(5e-3).build(), CrossEntropyLoss)
        .callback(zero)
        .quiet();
    let err = trainer
        .fit_without_validation(&data)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "GradualUnfreeze: `0` is set to unfreeze at epoch 0; epochs count from 1"
    );
}

#[test]
fn a_layer_unfrozen_late_gets_the_first_adam_step_of_fresh_state() {
    let mut rng = seeded_rng(6);
    let mut model = Sequential::<f32>::new()
        .with(Linear::new(3, 4, &mut rng))
        .with(Linear::new(4, 2, &mut rng));
    let config = || AdamConfig::new(1e-2).weight_decay(WeightDecay::L2(0.1));
    let mut adam = config().build::<f32>();
    let gradients = |model: &Sequential<f32>, seed: u64| {
        let tape = Tape::training(0);
        let x = Tensor::randn(&[5, 3], &mut seeded_rng(seed));
        model
            .forward(&tape, tape.constant(x))
            .unwrap()
            .square()
            .mean()
            .backward()
    };
    model.get_mut(0).unwrap().freeze();
    for step in 0..3 {
        let grads = gradients(&model, step);
        adam.step(&mut model, &grads);
    }
    model.get_mut(0).unwrap().unfreeze();
    let grads = gradients(&model, 10);
    // The same layer, stepped once by a fresh Adam with the same gradient
    // (clones keep the ids the gradients are keyed by).
    let mut fresh_layer: Vec<Param<f32>> = model
        .get(0)
        .unwrap()
        .params()
        .into_iter()
        .map(|(_, p)| p.clone())
        .collect();
    config().build::<f32>().step_part(&mut fresh_layer, &grads);
    adam.step(&mut model, &grads);

    let layer = model.get(0).unwrap().params();
    for ((name, p), fresh) in layer.iter().zip(&fresh_layer) {
        let bits = |t: &Tensor<f32>| t.to_vec().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(p.value()), bits(fresh.value()), "`{name}`");
    }
    assert_eq!(adam.param_step(layer[0].1.id()), 1);
    assert_eq!(adam.step_count(), 4);
}
