//! 02: the tape. Builds a small computation, prints the Wengert list one
//! node per line, writes it as a Graphviz DOT file, runs the backward pass
//! and checks the gradient against finite differences.
//!
//! Run: `cargo run --example 02_tape_and_backward [OUT_DIR]`
//! (the DOT file goes to `OUT_DIR/tape.dot`, default `out/`; render it with
//! `dot -Tpng out/tape.dot -o tape.png` if Graphviz is installed).

use std::path::PathBuf;

use wengert::prelude::*;

fn main() -> std::io::Result<()> {
    let out_dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out".into()));

    // A one-neuron model: y = sigmoid(w . x + b), loss = (y - t)^2.
    let w = Param::new("w", Tensor::<f64>::from_vec(vec![0.5, -0.3], &[2, 1]));
    let b = Param::new("b", Tensor::<f64>::from_vec(vec![0.1], &[1]));
    let tape = Tape::new();
    let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0], &[1, 2]));
    let t = tape.constant(Tensor::from_vec(vec![1.0], &[1, 1]));
    let y = (x.matmul(tape.param(&w)) + tape.param(&b)).sigmoid();
    let loss = (y - t).square().sum();

    println!("The tape after the forward pass ({} nodes):", tape.len());
    print!("{tape}");

    std::fs::create_dir_all(&out_dir)?;
    let dot_path = out_dir.join("tape.dot");
    std::fs::write(&dot_path, tape.to_dot())?;
    println!("\nwrote {}", dot_path.display());

    let grads = loss.backward();
    println!("\nloss = {:.6}", loss.item());
    println!("dloss/dw = {}", grads.get(&w).unwrap());
    println!("dloss/db = {}", grads.get(&b).unwrap());

    // By hand: z = 0.5*1 - 0.3*2 + 0.1 = 0, y = sigmoid(0) = 0.5,
    // dloss/dz = 2 (y - t) y (1 - y) = 2 * (-0.5) * 0.25 = -0.25,
    // so dloss/dw = -0.25 * x = [-0.25, -0.5] and dloss/db = -0.25.
    println!("by hand:   dloss/dw = [-0.25, -0.5], dloss/db = -0.25");

    // The same gradient by central finite differences.
    let check = gradcheck(
        |tape, v| {
            let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0], &[1, 2]));
            let t = tape.constant(Tensor::from_vec(vec![1.0], &[1, 1]));
            ((x.matmul(v[0]) + v[1]).sigmoid() - t).square().sum()
        },
        &[w.value().clone(), b.value().clone()],
        Tolerance::default(),
    );
    println!(
        "gradcheck against finite differences: {}",
        match check {
            Ok(()) => "passed".to_string(),
            Err(e) => format!("FAILED: {e}"),
        }
    );
    Ok(())
}
