pub mod elementwise;
pub mod gemm;
pub mod mlp_sgd;
pub mod reduce;
pub mod tape;
