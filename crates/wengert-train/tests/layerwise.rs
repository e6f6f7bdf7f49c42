//! Greedy layer-wise pretraining on the embedded digits: each layer's
//! autoencoder learns (its reconstruction loss falls), the stacked network
//! holds exactly the encoders pretrained layer by layer, fine-tuning it
//! then lowers the classification loss, and the same seed gives the same
//! network bitwise.

use wengert_data::loader::collate;
use wengert_data::{embedded, DataLoader, Dataset, InMemoryDataset, LoaderConfig};
use wengert_nn::{Linear, Module, Sequential};
use wengert_optim::AdamConfig;
use wengert_tensor::{seeded_rng, Tape, Tensor};
use wengert_train::{
    CrossEntropyLoss, HiddenActivation, LayerwiseConfig, LayerwiseReport, Trainer,
};

fn config() -> LayerwiseConfig {
    LayerwiseConfig::new(vec![32, 16])
        .activation(HiddenActivation::Tanh)
        .epochs_per_layer(4)
        .lr(1e-2)
        .batch_size(64)
        .seed(7)
}

fn head() -> Linear<f32> {
    Linear::new(16, 10, &mut seeded_rng(11))
}

fn pretrained() -> (Sequential<f32>, LayerwiseReport) {
    let digits = embedded::digits().unwrap();
    config().pretrain(&digits, head()).unwrap()
}

fn bits(t: &Tensor<f32>) -> Vec<u32> {
    t.to_vec().into_iter().map(f32::to_bits).collect()
}

fn param_bits(model: &dyn Module<f32>) -> Vec<(String, Vec<u32>)> {
    model
        .params()
        .into_iter()
        .map(|(name, p)| (name, bits(p.value())))
        .collect()
}

#[test]
fn each_layer_reconstruction_loss_decreases_over_its_pretraining() {
    let (_, report) = pretrained();
    assert_eq!(report.layers.len(), 2);
    let sizes: Vec<(usize, usize, usize)> = report
        .layers
        .iter()
        .map(|l| (l.input_width, l.width, l.network_index))
        .collect();
    assert_eq!(sizes, [(64, 32, 0), (32, 16, 2)]);
    for l in &report.layers {
        assert_eq!(l.epoch_losses.len(), 4, "layer {}", l.layer);
        assert!(l.last_epoch_loss() < l.first_epoch_loss(), "{l:?}");
        assert!(l.final_loss < l.initial_loss, "{l:?}");
    }
    // The printed table has a header and one line per layer.
    assert_eq!(report.to_string().lines().count(), 3);
}

#[test]
fn the_stacked_network_holds_exactly_the_pretrained_encoders() {
    let (network, _) = pretrained();
    let names = network.param_names();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    );
    assert_eq!(network.num_trainable_params(), network.num_params());
    let by_name = param_bits(&network);
    let layer_bits = |encoder: &Linear<f32>| {
        vec![
            bits(encoder.weight().value()),
            bits(encoder.bias().unwrap().value()),
        ]
    };
    let stacked = |index: usize| -> Vec<Vec<u32>> {
        by_name
            .iter()
            .filter(|(n, _)| n.starts_with(&format!("{index}.")))
            .map(|(_, b)| b.clone())
            .collect()
    };

    // Layer 0, pretrained alone on the raw pixels.
    let digits = embedded::digits().unwrap();
    let all: Vec<usize> = (0..digits.len()).collect();
    let pixels = collate(&digits, &all, None, 0, 0).features;
    let (first, _) = config().pretrain_layer(&pixels, 0).unwrap();
    assert_eq!(stacked(0), layer_bits(&first));

    // Layer 1, pretrained alone on what the stacked layer 0 computes.
    let tape = Tape::inference();
    let x = tape.constant(pixels);
    let h = network.get(0).unwrap().forward(&tape, x).unwrap();
    let h = network.get(1).unwrap().forward(&tape, h).unwrap().value();
    let (second, _) = config().pretrain_layer(&h, 1).unwrap();
    assert_eq!(stacked(2), layer_bits(&second));

    // The head is the one given, untouched.
    assert_eq!(stacked(4), layer_bits(&head()));
}

#[test]
fn fine_tuning_the_stacked_network_lowers_its_loss() {
    let (network, _) = pretrained();
    let digits = embedded::digits().unwrap();
    let loader = DataLoader::new(digits.clone(), LoaderConfig::new(64).seed(3));
    let whole = DataLoader::new(digits, LoaderConfig::new(2048).shuffle(false));
    let before_bits = param_bits(&network);
    let mut trainer = Trainer::new(network, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
        .epochs(3)
        .seed(5)
        .quiet();
    let before = trainer.evaluate(&whole).unwrap().loss;
    let history = trainer.fit_without_validation(&loader).unwrap();
    let after = trainer.evaluate(&whole).unwrap().loss;
    assert!(after < before, "fine-tuning: {before} -> {after}");
    assert!(history.epochs[2].train_loss < history.epochs[0].train_loss);
    // Every layer moved, the pretrained ones included (nothing is frozen).
    let after_bits = param_bits(trainer.model());
    for ((name, b), (_, a)) in before_bits.iter().zip(&after_bits) {
        assert_ne!(a, b, "{name} did not change");
    }
}

#[test]
fn the_same_seed_gives_the_same_network_and_report_bitwise() {
    let (a, report_a) = pretrained();
    let (b, report_b) = pretrained();
    assert_eq!(report_a, report_b);
    assert_eq!(param_bits(&a), param_bits(&b));
    let digits = embedded::digits().unwrap();
    let (c, _) = config().seed(8).pretrain(&digits, head()).unwrap();
    assert_ne!(
        param_bits(&a)[0],
        param_bits(&c)[0],
        "the seed changed nothing"
    );
}

#[test]
fn bad_settings_and_inputs_are_refused_with_the_values() {
    let digits = embedded::digits().unwrap();
    let err = LayerwiseConfig::new(vec![])
        .pretrain(&digits, head())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("at least one hidden width"), "{err}");
    let err = config()
        .lr(-1.0)
        .pretrain(&digits, head())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("got -1"), "{err}");
    let images = digits.with_feature_shape(&[1, 8, 8]);
    let err = config()
        .pretrain(&images, head())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("[1, 8, 8]"), "{err}");
    // A head that does not take the last hidden width (16).
    let small = InMemoryDataset::classification(Tensor::<f32>::ones(&[4, 64]), vec![0; 4], 1);
    let wrong_head = Linear::new(32, 10, &mut seeded_rng(0));
    let err = config()
        .epochs_per_layer(1)
        .pretrain(&small, wrong_head)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("32") && err.contains("16"), "{err}");
    let err = config()
        .pretrain_layer(&Tensor::<f32>::zeros(&[4, 64]), 2)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("layer 2") && err.contains("2 hidden layers"),
        "{err}"
    );
}
