use wengert_nn::{Linear, Module};

#[derive(Module)]
struct Pair(Linear<f32>, Linear<f32>);

fn main() {}
