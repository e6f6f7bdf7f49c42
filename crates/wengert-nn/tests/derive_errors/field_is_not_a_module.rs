use wengert_nn::{Linear, Module};

// A setting left without `#[module(skip)]` is read as a child module.
#[derive(Module)]
struct Net {
    fc: Linear<f32>,
    width: usize,
}

fn main() {}
