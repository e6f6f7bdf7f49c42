//! The `early_stopping_augmentation` example's claims in small, on the
//! embedded digits (`examples/early_stopping_augmentation/` included
//! here): early stopping keeps the epoch of the lowest validation loss and
//! stops `patience` epochs after it, exactly as the library's
//! `EarlyStopping` does when it really stops a run; the run that uses its
//! whole budget ends with a wider train/validation gap than the epoch kept;
//! augmentation narrows the gap; a run is the same on one thread or two.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/early_stopping_augmentation/main.rs"]
mod early_stopping_augmentation;

use early_stopping_augmentation::{
    digits_parts, run_config, run_with_early_stopping, Augmentation, ConfigRun, Settings,
};

use crate::assert_same_epochs;

/// The quick mode's settings with a shorter budget, which still overfits:
/// on the digits' 500 training images the net reaches 100% training
/// accuracy within 20 epochs while the validation loss turns up.
fn small() -> Settings {
    Settings {
        budget: 40,
        ..Settings::digits()
    }
}

fn run(augmentation: Augmentation) -> ConfigRun {
    let parts = digits_parts(0).unwrap();
    run_config(&parts, augmentation, &small(), false).unwrap()
}

#[test]
fn early_stopping_keeps_the_lowest_validation_loss_and_stops_patience_epochs_later() {
    let settings = small();
    let plain = run(Augmentation::None);
    let val = plain.history.series("val_loss").unwrap();
    assert_eq!(
        val.len(),
        settings.budget,
        "every run trains the whole budget"
    );
    let mut stopped_early = 0;
    for s in &plain.stoppings {
        // What the rule could see: the epochs up to its stop.
        let seen = s.stopped_at.unwrap_or(settings.budget);
        let lowest = val[..seen].iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(val[s.kept - 1], lowest, "{s:?}");
        // The earliest epoch with that loss (strict improvement).
        assert!(val[..s.kept - 1].iter().all(|&v| v > lowest), "{s:?}");
        match (s.patience, s.stopped_at) {
            (Some(p), Some(stopped)) => {
                stopped_early += 1;
                assert_eq!(stopped, s.kept + p, "{s:?}");
                // No earlier epoch had waited p epochs for an improvement.
                for e in p + 1..stopped {
                    let before = val[..e - p].iter().copied().fold(f64::INFINITY, f64::min);
                    assert!(val[e - p..e].iter().any(|&v| v < before), "{s:?} at {e}");
                }
            }
            // The budget ran out first: fewer than p epochs since the kept one.
            (Some(p), None) => assert!(settings.budget - s.kept < p, "{s:?}"),
            (None, stopped) => assert_eq!(stopped, None),
        }
    }
    assert!(stopped_early >= 3, "{:?}", plain.stoppings);
    // A longer patience never stops earlier, and never keeps a worse epoch.
    for w in plain.stoppings.windows(2) {
        let stop = |s: &early_stopping_augmentation::Stopping| s.stopped_at.unwrap_or(usize::MAX);
        assert!(stop(&w[0]) <= stop(&w[1]), "{w:?}");
        assert!(val[w[1].kept - 1] <= val[w[0].kept - 1], "{w:?}");
    }
}

#[test]
fn the_replay_gives_what_the_early_stopping_callback_gives_when_it_really_stops() {
    let parts = digits_parts(0).unwrap();
    let settings = small();
    let plain = run_config(&parts, Augmentation::None, &settings, false).unwrap();
    for &p in &[1, 3, 5] {
        let replayed = plain.stopping(Some(p)).unwrap();
        let (history, kept, loss, accuracy) =
            run_with_early_stopping(&parts, Augmentation::None, &settings, p).unwrap();
        assert_eq!(
            Some(history.epochs.len()),
            replayed.stopped_at,
            "patience {p}"
        );
        assert_eq!(kept, replayed.kept, "patience {p}");
        // The stopped run is the whole-budget run's first epochs, bit for
        // bit, and its restored weights are the replay's snapshot.
        for (a, b) in history.epochs.iter().zip(&plain.history.epochs) {
            assert_eq!(a.val_loss.map(f64::to_bits), b.val_loss.map(f64::to_bits));
            assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
        }
        assert_eq!(accuracy.to_bits(), replayed.test_accuracy.to_bits());
        assert_eq!(loss.to_bits(), replayed.test_loss.to_bits());
    }
}

#[test]
fn the_whole_budget_ends_with_a_wider_gap_than_the_kept_epoch() {
    let plain = run(Augmentation::None);
    let last = plain.epochs();
    // The net has learned its 500 images by heart...
    assert!(
        plain.clean_train[last - 1].1 >= 0.999,
        "{:?}",
        plain.clean_train[last - 1]
    );
    for p in [3, 5] {
        let kept = plain.stopping(Some(p)).unwrap().kept;
        assert!(kept < last, "patience {p} kept {kept}");
        // ...and kept training widens the gap in loss: the training loss
        // keeps falling while the validation loss has turned up.
        assert!(
            plain.loss_gap(last) > plain.loss_gap(kept),
            "patience {p}: gap {} at the end vs {} at epoch {kept}",
            plain.loss_gap(last),
            plain.loss_gap(kept)
        );
        assert!(plain.val_loss(last) > plain.val_loss(kept));
        assert!(plain.clean_train[last - 1].0 < plain.clean_train[kept - 1].0);
    }
}

#[test]
fn augmentation_narrows_the_train_validation_gap() {
    let plain = run(Augmentation::None);
    let last = plain.epochs();
    for augmentation in [Augmentation::Shift, Augmentation::All] {
        let augmented = run(augmentation);
        assert!(
            augmented.loss_gap(last) < plain.loss_gap(last),
            "{augmentation:?}: loss gap {} vs {} without",
            augmented.loss_gap(last),
            plain.loss_gap(last)
        );
        // Measured without augmentation, the training images are harder
        // to fit: the net has not learned them by heart.
        assert!(augmented.clean_train[last - 1].0 > plain.clean_train[last - 1].0);
    }
}

#[test]
fn a_run_is_the_same_on_one_thread_or_two() {
    let settings = Settings {
        budget: 6,
        ..small()
    };
    let parts = digits_parts(0).unwrap();
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run_config(&parts, Augmentation::All, &settings, false).unwrap())
    };
    let (one, two) = (on(1), on(2));
    assert_same_epochs(&one.history, &two.history);
    assert_eq!(one.clean_train, two.clean_train);
    assert_eq!(one.stoppings, two.stoppings);
    assert_eq!(
        one.final_test_accuracy.to_bits(),
        two.final_test_accuracy.to_bits()
    );
    // The seed decides the weights, the batches and the augmentations.
    let other = run_config(&parts, Augmentation::All, &settings.with_seed(1), false).unwrap();
    assert_ne!(
        one.history.epochs[0].train_loss.to_bits(),
        other.history.epochs[0].train_loss.to_bits()
    );
}
