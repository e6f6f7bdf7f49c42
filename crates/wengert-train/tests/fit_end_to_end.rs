//! The trainer on real data and the model kinds the text uses: an MLP
//! classifier on the embedded digits, a regression on airfoil (in f64), a
//! small CNN and an LSTM with a head, each learning what it should.

use wengert_data::{
    embedded, random_split, DataLoader, Dataset, InMemoryDataset, LoaderConfig, SplitFractions,
    Subset,
};
use wengert_nn::conv::{Conv2dConfig, Flatten, MaxPool2d};
use wengert_nn::recurrent::{Lstm, RnnConfig};
use wengert_nn::{Dropout, Linear, Module, ReLU, Result as NnResult, Sequential};
use wengert_optim::{AdamConfig, SgdConfig};
use wengert_tensor::{seeded_rng, Tape, Tensor, Var};
use wengert_train::{Accuracy, CrossEntropyLoss, Mae, MseLoss, Trainer};

type Loader = DataLoader<f32, Subset<InMemoryDataset<f32>>>;

fn digits_loaders() -> (Loader, Loader) {
    let digits = embedded::digits().unwrap();
    let split = random_split(digits.len(), SplitFractions::new(0.8, 0.2, 0.0), 3);
    let (train, val, _) = split.subsets(&digits);
    (
        DataLoader::new(train, LoaderConfig::new(64).seed(5)),
        DataLoader::new(val, LoaderConfig::new(512)),
    )
}

#[test]
fn an_mlp_with_dropout_learns_the_digits() {
    let (train, val) = digits_loaders();
    let mut rng = seeded_rng(0);
    let model = Sequential::new()
        .with(Linear::new(64, 64, &mut rng))
        .with(ReLU)
        .with(Dropout::new(0.2))
        .with(Linear::new(64, 10, &mut rng));
    let mut trainer = Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
        .epochs(8)
        .metric(Accuracy::new())
        .quiet();
    let history = trainer.fit(&train, Some(&val)).unwrap();
    assert_eq!(history.epochs.len(), 8);
    let last = history.epochs.last().unwrap();
    assert!(last.val_metrics["accuracy"] > 0.95, "{last:?}");
    assert!(last.train_loss < history.epochs[0].train_loss);
    assert_eq!(last.steps, 8 * train.len());
    assert_eq!(history.steps.len(), 8 * train.len());
    // evaluate agrees with the last record's validation columns.
    let eval = trainer.evaluate(&val).unwrap();
    assert_eq!(eval.loss, last.val_loss.unwrap());
    assert_eq!(eval.examples, val.dataset().len());
    // predict gives one row of logits per example.
    assert_eq!(
        trainer.predict(&val).unwrap().shape(),
        [val.dataset().len(), 10]
    );
}

#[test]
fn validate_every_n_steps_records_validation_at_those_steps() {
    let (train, val) = digits_loaders();
    let steps_per_epoch = train.len();
    let every = 4;
    let mut rng = seeded_rng(1);
    let model = Sequential::new()
        .with(Linear::new(64, 32, &mut rng))
        .with(ReLU)
        .with(Linear::new(32, 10, &mut rng));
    let mut trainer = Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
        .epochs(2)
        .metric(Accuracy::new())
        .validate_every(every)
        .quiet();
    let history = trainer.fit(&train, Some(&val)).unwrap();
    assert_eq!(history.steps.len(), 2 * steps_per_epoch);
    for record in &history.steps {
        let due = record.step % every == 0;
        assert_eq!(record.val_loss.is_some(), due, "step {}", record.step);
        assert_eq!(
            record.val_metrics.contains_key("accuracy"),
            due,
            "step {}",
            record.step
        );
    }
    // Validation moves as the model learns: the first and last differ.
    let validated: Vec<f64> = history.steps.iter().filter_map(|r| r.val_loss).collect();
    assert!(validated.len() >= 2);
    assert!(validated.last() < validated.first(), "{validated:?}");
    // The epoch's validation is the final model's, as without the option.
    let eval = trainer.evaluate(&val).unwrap();
    assert_eq!(history.epochs[1].val_loss, Some(eval.loss));
}

#[test]
fn a_regression_in_f64_fits_airfoil_better_than_the_mean() {
    let airfoil = embedded::airfoil().unwrap().cast::<f64>();
    let features = airfoil.features().clone();
    let targets = airfoil.target_values().unwrap().clone();
    // Standardize features and targets on the whole set (a test, not a study).
    let standardize = |t: &Tensor<f64>| {
        let mean = t.mean_axes(&[0], true);
        let centred = t.sub(&mean);
        let sd = centred.mul(&centred).mean_axes(&[0], true).sqrt();
        t.sub(&mean).div(&sd)
    };
    let data = InMemoryDataset::regression(standardize(&features), standardize(&targets));
    let loader = DataLoader::new(data, LoaderConfig::new(64).seed(2));
    let mut rng = seeded_rng(1);
    let model = Sequential::<f64>::new()
        .with(Linear::new(5, 32, &mut rng))
        .with(ReLU)
        .with(Linear::new(32, 1, &mut rng));
    let mut trainer = Trainer::new(model, AdamConfig::new(1e-2).build(), MseLoss)
        .epochs(15)
        .metric(Mae::new())
        .quiet();
    let history = trainer.fit_without_validation(&loader).unwrap();
    let last = history.epochs.last().unwrap();
    // Standardized targets: predicting the mean gives MSE 1.
    assert!(last.train_loss < 0.5, "train MSE {}", last.train_loss);
    assert!(last.train_metrics["mae"] < 0.6, "{last:?}");
}

#[test]
fn a_small_cnn_learns_the_digits_as_8x8_images() {
    let digits = embedded::digits().unwrap().with_feature_shape(&[1, 8, 8]);
    let loader = DataLoader::new(digits, LoaderConfig::new(64).seed(1));
    let mut rng = seeded_rng(2);
    let model = Sequential::new()
        .with(
            Conv2dConfig::new(1, 8, 3)
                .with_padding(1)
                .build(&mut rng)
                .unwrap(),
        )
        .with(ReLU)
        .with(MaxPool2d::new(2))
        .with(Flatten)
        .with(Linear::new(8 * 4 * 4, 10, &mut rng));
    let mut trainer = Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
        .epochs(3)
        .metric(Accuracy::new())
        .quiet();
    let history = trainer.fit_without_validation(&loader).unwrap();
    let acc = history.epochs.last().unwrap().train_metrics["accuracy"];
    assert!(acc > 0.9, "train accuracy {acc}");
}

/// An LSTM over the rows of a digit (8 steps of 8 pixels), its last hidden
/// state through a linear head.
#[derive(wengert_nn::Module)]
struct RowReader {
    lstm: Lstm<f32>,
    head: Linear<f32>,
}

impl Module<f32> for RowReader {
    fn forward<'t>(&self, tape: &'t Tape<f32>, x: Var<'t, f32>) -> NnResult<Var<'t, f32>> {
        // [N, 64] -> [8 steps, N, 8 pixels]
        let n = x.shape()[0];
        let seq = x.reshape(&[n, 8, 8]).permute(&[1, 0, 2]);
        let (_, state) = self.lstm.forward_with_state(tape, seq, None)?;
        self.head.forward(tape, state.h.reshape(&[n, 32]))
    }
}

#[test]
fn an_lstm_with_a_head_reads_digits_row_by_row() {
    let (train, _) = digits_loaders();
    let mut rng = seeded_rng(4);
    let model = RowReader {
        lstm: Lstm::new(RnnConfig::new(8, 32), &mut rng),
        head: Linear::new(32, 10, &mut rng),
    };
    let mut trainer = Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
        .epochs(4)
        .metric(Accuracy::new())
        .clip_grad_norm(1.0)
        .quiet();
    let history = trainer.fit_without_validation(&train).unwrap();
    let acc = history.epochs.last().unwrap().train_metrics["accuracy"];
    assert!(acc > 0.8, "train accuracy {acc}");
}

#[test]
fn a_bad_setting_is_refused_before_training() {
    let (train, _) = digits_loaders();
    let model = Linear::<f32>::new(64, 10, &mut seeded_rng(0));
    let mut trainer = Trainer::new(model, SgdConfig::new(0.1).build(), CrossEntropyLoss)
        .accumulate(0)
        .quiet();
    let err = trainer
        .fit_without_validation(&train)
        .unwrap_err()
        .to_string();
    assert!(err.contains("accumulate"), "{err}");
    assert_eq!(trainer.position().step, 0);
}

#[test]
fn validating_every_zero_steps_is_refused_before_training() {
    let (train, val) = digits_loaders();
    let model = Linear::<f32>::new(64, 10, &mut seeded_rng(0));
    let mut trainer = Trainer::new(model, SgdConfig::new(0.1).build(), CrossEntropyLoss)
        .validate_every(0)
        .quiet();
    let err = trainer.fit(&train, Some(&val)).unwrap_err().to_string();
    assert!(err.contains("validate_every"), "{err}");
    assert_eq!(trainer.position().step, 0);
}
