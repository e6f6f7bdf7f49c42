//! 03: softmax (multinomial logistic) regression on the 8x8 digits embedded
//! in the repository, trained with plain gradient descent written directly
//! against the tape: bind the parameters, build the loss, `backward()`, and
//! update `w -= lr * dw` by hand. No optimizer, no trainer: every step of
//! training is on this page.
//!
//! Run: `cargo run --release --example 03_logistic_regression`

use wengert::data::{embedded, stratified_split, SplitFractions};
use wengert::prelude::*;

/// Fraction of rows whose largest logit is the true class.
fn accuracy(logits: &Tensor<f32>, labels: &[usize]) -> f64 {
    let predicted = logits.argmax(1);
    let hits = predicted.iter().zip(labels).filter(|(p, t)| p == t).count();
    hits as f64 / labels.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1,797 images of 64 pixels in [0, 1], classes 0..9; a stratified
    // 80/20 split keeps every digit's share in both parts.
    let digits = embedded::digits()?;
    let labels = digits
        .labels()
        .expect("digits are a classification set")
        .to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.8, 0.0, 0.2), 0);
    let pick = |rows: &[usize]| {
        let x = digits.features().index_select(0, rows);
        let y: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
        (x, y)
    };
    let (x_train, y_train) = pick(&split.train);
    let (x_test, y_test) = pick(&split.test);
    println!(
        "digits: {} training and {} test images of {} pixels, 10 classes",
        y_train.len(),
        y_test.len(),
        x_train.shape()[1]
    );

    // The model: logits = x W + b, with W [64, 10] and b [10].
    let mut w = Param::new("weight", Tensor::<f32>::zeros(&[64, 10]));
    let mut b = Param::new("bias", Tensor::<f32>::zeros(&[10]));
    let lr = 0.5f32;
    let epochs = 300;

    let mut tape = Tape::new();
    for epoch in 1..=epochs {
        tape.reset();
        let (loss, grads) = {
            let x = tape.constant(x_train.clone());
            let logits = x.matmul(tape.param(&w)) + tape.param(&b);
            let loss = logits.cross_entropy_with_logits(&y_train);
            (loss.item(), loss.backward())
        };
        // Gradient descent, by hand: p <- p - lr * dL/dp.
        for p in [&mut w, &mut b] {
            let g = grads
                .get(p)
                .expect("both parameters get a gradient")
                .clone();
            for (v, d) in p.value_mut().data_mut().iter_mut().zip(g.values().iter()) {
                *v -= lr * d;
            }
        }
        if epoch == 1 || epoch % 25 == 0 {
            println!("epoch {epoch:>3}  training loss {loss:.4}");
        }
    }

    let logits = |x: &Tensor<f32>| x.matmul(w.value()).add(b.value());
    let train_acc = accuracy(&logits(&x_train), &y_train);
    let test_acc = accuracy(&logits(&x_test), &y_test);
    println!("\n| split | accuracy |\n| --- | --- |");
    println!("| train | {:.2}% |", 100.0 * train_acc);
    println!("| test  | {:.2}% |", 100.0 * test_acc);
    Ok(())
}
