use wengert_nn::{Linear, Module};

#[derive(Module)]
struct Net {
    #[module(bufer)]
    fc: Linear<f32>,
}

fn main() {}
