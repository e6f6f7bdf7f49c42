//! 01: tensors. Construction, shapes, views, broadcasting, reductions and
//! the matrix product, printed as they go.
//!
//! Run: `cargo run --example 01_tensor_basics`

use wengert::prelude::*;

fn main() {
    // Construction from data and a shape; row-major.
    let a = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    println!("a = {a}");

    // A transpose is a view: shape and strides change, the data does not move.
    let at = a.transpose(0, 1);
    println!(
        "a^T = {at}  (shape {:?}, strides {:?}, contiguous: {})",
        at.shape(),
        at.strides(),
        at.is_contiguous()
    );

    // Broadcasting as in NumPy/PyTorch: [2, 3] + [3] -> [2, 3].
    let bias = Tensor::from_vec(vec![10.0, 20.0, 30.0], &[3]);
    println!("a + bias = {}", &a + &bias);

    // Reductions over any set of axes, with or without keepdim.
    println!("column sums = {}", a.sum_axes(&[0], false));
    println!("row means (keepdim) = {}", a.mean_axes(&[1], true));
    println!("argmax per row = {:?}", a.argmax(1));

    // Stable softmax: rows of large values do not overflow.
    let big = Tensor::<f32>::from_vec(vec![1000.0, 1001.0, 1002.0], &[1, 3]);
    println!("softmax([1000, 1001, 1002]) = {}", big.softmax(1));

    // The matrix product reads the transposed view in place.
    println!("a @ a^T = {}", a.matmul(&at));

    // Seeded randomness: the same seed gives the same tensor on any machine.
    let r = Tensor::<f32>::randn(&[2, 2], &mut seeded_rng(42));
    println!("randn(seed 42) = {r}");

    // Shape errors say which op failed and name both shapes.
    match a.try_matmul(&a) {
        Ok(_) => unreachable!("[2, 3] @ [2, 3] cannot work"),
        Err(e) => println!("a @ a fails as it should: {e}"),
    }
}
