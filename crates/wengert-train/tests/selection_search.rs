//! Hyperparameter spaces and the search: the grid's order, random search's
//! seed, configurations through JSON, and the best configuration retrained.

mod selection_common;

use selection_common::{digits, trainer};
use wengert_train::selection::{
    Config, CrossValidation, Grid, RandomSearch, RunInfo, Score, Sweep, SweepReport,
    ValidationPlan, Value,
};

#[test]
fn grid_enumerates_the_full_product_with_the_last_axis_fastest() {
    let lrs = [0.1, 0.01];
    let widths = [8usize, 16, 32];
    let optimizers = ["adam", "sgd"];
    let configs = Grid::new()
        .axis("lr", lrs)
        .axis("width", widths)
        .axis("optimizer", optimizers)
        .configs()
        .unwrap();
    let mut expected = Vec::new();
    for lr in lrs {
        for width in widths {
            for optimizer in optimizers {
                expected.push(
                    Config::new()
                        .with("lr", lr)
                        .with("width", width)
                        .with("optimizer", optimizer),
                );
            }
        }
    }
    assert_eq!(configs.len(), 12);
    assert_eq!(configs, expected);
    assert_eq!(configs[1].to_string(), "lr=0.1, width=8, optimizer=sgd");
}

#[test]
fn grid_with_an_empty_axis_is_an_error_naming_it() {
    let err = Grid::new()
        .axis("lr", [0.1])
        .axis("width", Vec::<usize>::new())
        .configs()
        .unwrap_err();
    assert!(err.to_string().contains("`width` has no value"), "{err}");
}

fn random(seed: u64) -> Vec<Config> {
    RandomSearch::new(20, seed)
        .log_uniform("lr", 1e-4, 1e-1)
        .choice("width", [16usize, 32, 64])
        .uniform("dropout", 0.0, 0.5)
        .int_uniform("layers", 1, 3)
        .configs()
        .unwrap()
}

#[test]
fn random_search_is_reproducible_from_its_seed_and_differs_for_another() {
    let a = random(7);
    assert_eq!(a, random(7));
    let b = random(8);
    assert_ne!(a, b);
    for config in a.iter().chain(&b) {
        let lr = config.f64("lr").unwrap();
        assert!((1e-4..1e-1).contains(&lr), "{config}");
        assert!(
            [16, 32, 64].contains(&config.usize("width").unwrap()),
            "{config}"
        );
        assert!(
            (0.0..0.5).contains(&config.f64("dropout").unwrap()),
            "{config}"
        );
        assert!(
            (1..=3).contains(&config.usize("layers").unwrap()),
            "{config}"
        );
    }
    // Log-uniform: about as many draws below 1e-2.5 as above it.
    let low = a
        .iter()
        .filter(|c| c.f64("lr").unwrap() < 10f64.powf(-2.5))
        .count();
    assert!(
        (3..=17).contains(&low),
        "{low} of 20 below the log midpoint"
    );
}

#[test]
fn configurations_read_back_from_json_bit_for_bit() {
    for config in random(3) {
        let json = serde_json::to_string(&config).unwrap();
        let back: Config = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config, "{json}");
        let (Some(Value::Float(a)), Some(Value::Float(b))) = (back.get("lr"), config.get("lr"))
        else {
            panic!("lr is a float in {json}");
        };
        assert_eq!(a.to_bits(), b.to_bits());
    }
    let err = serde_json::from_str::<Config>(r#"{"lr":0.1,"lr":0.2}"#).unwrap_err();
    assert!(err.to_string().contains("`lr` appears twice"), "{err}");
}

#[test]
fn the_best_configuration_is_chosen_by_mean_and_retrains_on_all_data() {
    let data = digits(360);
    let configs = Grid::new()
        .axis("lr", [0.0003, 0.03])
        .axis("width", [16usize])
        .configs()
        .unwrap();
    let cv = CrossValidation::new(
        ValidationPlan::stratified_kfold(3, 2),
        Score::best("val_accuracy", true),
    );
    let sweep = Sweep::new(configs, cv).unwrap();
    let factory = |config: &Config, run: &RunInfo| trainer(config, run, 4);
    let report = sweep.run(&data, factory).unwrap();

    let best_mean = report
        .results
        .iter()
        .map(|r| r.cv.mean)
        .fold(f64::NEG_INFINITY, f64::max);
    let best = report.best().unwrap();
    assert_eq!(best.cv.mean, best_mean);
    assert_eq!(
        best.index, 1,
        "lr 0.03 learns far more in 4 epochs than 0.0003"
    );

    let retrained = sweep.retrain(best, &data, factory).unwrap();
    let epochs: usize = best.cv.folds.iter().map(|f| f.epoch).sum();
    let expected = ((epochs as f64 / 3.0).round() as usize).max(1);
    assert_eq!(retrained.epochs, expected);
    assert_eq!(retrained.history.epochs.len(), expected);
    assert!(retrained
        .history
        .epochs
        .iter()
        .all(|e| e.val_loss.is_none()));
    assert_eq!(retrained.history.epochs[0].steps, 360usize.div_ceil(32));

    let json = report.to_json().unwrap();
    let back: SweepReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);

    let markdown = report.to_markdown(None);
    let first_row = markdown.find("| 1 | lr=0.03, width=16 |").expect(&markdown);
    let second_row = markdown
        .find("| 2 | lr=0.0003, width=16 |")
        .expect(&markdown);
    assert!(first_row < second_row, "{markdown}");
    assert!(markdown.contains("Chosen: lr=0.03, width=16"), "{markdown}");
    assert!(markdown.contains("Test set: not evaluated."), "{markdown}");
}
