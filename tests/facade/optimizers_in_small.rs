//! The `optimizers` example's claims in small (`examples/optimizers.rs`
//! included here, its `--quick` MLP part on the digits): the data are the
//! book's to the digit, every optimizer of the text ends near the
//! least-squares floor on the airfoil rows, momentum 0.9 at lr 0.02 is the
//! one that overshoots, and each optimizer trains the MLP.

#[allow(dead_code)] // the example's `main` and printing helpers
#[path = "../../examples/optimizers.rs"]
mod optimizers;

use wengert::data::{embedded, stratified_split, Dataset, SplitFractions};

#[test]
fn the_airfoil_rows_have_the_books_least_squares_floor() {
    let (x, y) = optimizers::airfoil().unwrap();
    assert_eq!(x.shape(), &[1500, 5]);
    // The book prints 0.241688: z-scored columns (population std) over all
    // 1,503 rows, then the first 1,500.
    let floor = optimizers::least_squares_floor(&x, &y);
    assert_eq!(format!("{floor:.6}"), "0.241688");
}

#[test]
fn every_optimizer_of_the_text_ends_near_the_floor_and_momentum_0_9_overshoots() {
    let (x, y) = optimizers::airfoil().unwrap();
    let floor = optimizers::least_squares_floor(&x, &y);
    let mut finals = Vec::new();
    for setting in optimizers::settings() {
        let (curve, _) = optimizers::airfoil_run(&setting, &x, &y).unwrap();
        let (first, last) = (curve[0].1, curve[curve.len() - 1].1);
        assert!(
            last >= floor - 1e-12,
            "{}: {last} below the floor",
            setting.name
        );
        assert!(last < first, "{}: {first} -> {last}", setting.name);
        // Every 100 examples (every step of full-batch GD), as the book.
        let every = if setting.batch > 100 {
            setting.batch
        } else {
            100
        };
        assert_eq!(
            curve.len(),
            setting.epochs * 1500 / every,
            "{}",
            setting.name
        );
        finals.push((setting.name, last));
    }
    for &(name, last) in &finals {
        if name != "momentum (lr 0.02, 0.9)" {
            assert!(last < floor + 0.01, "{name}: {last}");
        }
    }
    let worst = finals.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert_eq!(worst.0, "momentum (lr 0.02, 0.9)", "{finals:?}");
}

#[test]
fn each_optimizer_trains_the_mlp_on_the_digits() {
    let digits = embedded::digits().unwrap();
    let labels = digits.labels().unwrap().to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.8, 0.0, 0.2), 0);
    let (train, _, test) = split.subsets(&digits);
    assert!(test.len() > 300);
    let runs = optimizers::mlp_runs(train, test, 64, 3).unwrap();
    assert_eq!(runs.len(), 6);
    for (name, accuracy, _) in runs {
        assert!(accuracy > 0.7, "{name}: {accuracy}");
    }
}
