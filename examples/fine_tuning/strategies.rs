//! The text's four ways to use a pretrained network on a new task, each a
//! training run of the same MLP on the target task's training part,
//! tested once on its test set at the end.

use std::path::Path;
use std::time::Instant;

use wengert::data::InMemoryDataset;
use wengert::optim::ParamGroup;
use wengert::prelude::*;

use super::data::Part;
use super::network::NetSpec;
use super::Outcome;

/// How a run uses the pretrained network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// A new softmax head on the frozen pretrained body: only the head
    /// trains.
    HeadOnly,
    /// The first `k` hidden layers frozen, the rest of the body and a new
    /// head trained at the full rate (`k = 0`: everything trains at one
    /// rate; `k = depth` is [`Strategy::HeadOnly`]).
    FreezeFirst(usize),
    /// Everything trains from the pretrained weights, the body at a lower
    /// rate than the new head (a parameter group).
    FineTuneAll,
    /// The same network from a fresh init; the pretrained weights are not
    /// used.
    Scratch,
}

impl Strategy {
    /// The four of the table (`k` for the frozen one).
    pub fn four(k: usize) -> [Strategy; 4] {
        [
            Strategy::HeadOnly,
            Strategy::FreezeFirst(k),
            Strategy::FineTuneAll,
            Strategy::Scratch,
        ]
    }

    /// The column header.
    pub fn name(self) -> String {
        match self {
            Strategy::HeadOnly => "new head only".into(),
            Strategy::FreezeFirst(k) => format!("freeze first {k}"),
            Strategy::FineTuneAll => "fine-tune all".into(),
            Strategy::Scratch => "from scratch".into(),
        }
    }

    /// Whether the run starts from the pretrained weights.
    pub fn uses_pretrained(self) -> bool {
        self != Strategy::Scratch
    }

    /// The hidden layers it freezes, of a body of `depth`.
    pub fn frozen_layers(self, depth: usize) -> usize {
        match self {
            Strategy::HeadOnly => depth,
            Strategy::FreezeFirst(k) => k.min(depth),
            Strategy::FineTuneAll | Strategy::Scratch => 0,
        }
    }
}

/// How every target run trains: Adam, cross-entropy, a fixed budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainSettings {
    /// Adam's rate for what is new or trained at the full rate.
    pub lr: f64,
    /// The pretrained body's rate in [`Strategy::FineTuneAll`], as a
    /// multiple of `lr`.
    pub pretrained_lr_scale: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Epochs over the target's training part.
    pub epochs: usize,
    /// Seed of the new head (or the whole fresh net) and the batches.
    pub seed: u64,
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct StrategyRun {
    /// The strategy.
    pub strategy: Strategy,
    /// Training loss and accuracy per epoch (running means).
    pub history: History,
    /// Accuracy on the target's test set after the last epoch.
    pub test_accuracy: f64,
    /// Scalars that trained, of all.
    pub trainable: (usize, usize),
    /// Wall time of the training.
    pub seconds: f64,
}

/// The network a strategy starts from, frozen as it says: the pretrained
/// body from `weights` (a new head) or a fresh net.
pub fn starting_network(
    strategy: Strategy,
    spec: &NetSpec,
    weights: &Path,
    classes: usize,
    seed: u64,
) -> Outcome<Sequential<f32>> {
    let mut model = if strategy.uses_pretrained() {
        spec.pretrained(weights, classes, seed)?.0
    } else {
        spec.build(classes, seed)
    };
    model.freeze_first(NetSpec::layers_to_freeze(
        strategy.frozen_layers(spec.depth()),
    ))?;
    Ok(model)
}

/// The optimizer of a strategy: Adam at `lr`, with the body (every layer
/// below the head) at `lr * pretrained_lr_scale` for
/// [`Strategy::FineTuneAll`].
pub fn optimizer(
    strategy: Strategy,
    spec: &NetSpec,
    settings: &TrainSettings,
) -> Box<dyn Optimizer<f32>> {
    let mut config = AdamConfig::new(settings.lr);
    if strategy == Strategy::FineTuneAll {
        let head = format!("{}.", spec.head_index());
        config = config.group(
            ParamGroup::by_name("pretrained body", move |name| !name.starts_with(&head))
                .lr_scale(settings.pretrained_lr_scale),
        );
    }
    Box::new(config.build())
}

/// Trains `strategy`'s network on `train` and tests it once on `test`; the
/// trained network comes back too (the facade test checks what froze).
pub fn run_strategy(
    strategy: Strategy,
    spec: &NetSpec,
    weights: &Path,
    train: &Part,
    test: &InMemoryDataset<f32>,
    classes: usize,
    settings: &TrainSettings,
) -> Outcome<(StrategyRun, Sequential<f32>)> {
    let model = starting_network(strategy, spec, weights, classes, settings.seed)?;
    let trainable = (model.num_trainable_params(), model.num_params());
    let batches = DataLoader::new(
        train.clone(),
        LoaderConfig::new(settings.batch).seed(settings.seed),
    );
    let test = DataLoader::new(test.clone(), LoaderConfig::new(1024).shuffle(false));
    let mut trainer = Trainer::new(model, optimizer(strategy, spec, settings), CrossEntropyLoss)
        .epochs(settings.epochs)
        .seed(settings.seed)
        .metric(Accuracy::new())
        .quiet();
    let started = Instant::now();
    let history = trainer.fit_without_validation(&batches)?;
    let seconds = started.elapsed().as_secs_f64();
    let test_accuracy = trainer.evaluate(&test)?.metrics["accuracy"];
    Ok((
        StrategyRun {
            strategy,
            history,
            test_accuracy,
            trainable,
            seconds,
        },
        trainer.into_model(),
    ))
}
