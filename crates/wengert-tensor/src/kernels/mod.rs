//! Raw compute on tensors, with no tape: the loops that ops call.
//!
//! Threading is decided here, per call, from the size of the work and the
//! number of threads of the current rayon pool (the calling thread counts as
//! one): with one thread everything runs on the caller, with no hand-off.
//! Element-wise work is split into fixed chunks and run on rayon above
//! [`PARALLEL_THRESHOLD`] elements; below it, thread hand-off costs more than
//! the work. Matrix products and softmax split into parts run by
//! [`parallel::run_parts`], where the caller works too and never waits for a
//! worker that did not come; matrixmultiply's own threads are not used (its
//! `threading` feature is off), so products never put more threads on the
//! cores than the pool has. Reductions combine fixed-size chunks in a fixed
//! order, so their results are bitwise identical whatever the number of
//! threads.

pub mod elementwise;
pub mod fast_math;
pub mod matmul;
pub mod parallel;
pub mod reduce;
pub mod softmax;
pub(crate) mod strided;

/// Element count above which element-wise kernels go parallel.
///
/// Chosen by measurement (`bench_report threshold`, 2 cores): handing an
/// f32 add to rayon costs 10-15 µs of wake-up, which a serial add only
/// spends at about 64k elements; the two break even near 128k elements
/// (parallel 1.3x faster at 131,072, 1.7x at 4M). Compute-heavier ops (exp,
/// tanh) would pay earlier, memory-bound ones later; one threshold keeps the
/// kernels simple.
pub const PARALLEL_THRESHOLD: usize = 1 << 17;

/// Chunk length for parallel element-wise work and for reductions. Fixed,
/// never derived from the thread count: that is what makes reductions
/// deterministic.
pub const CHUNK: usize = 1 << 13;
