//! The per-thread seed stream that [`Tape::new`](super::Tape::new) draws
//! from: one generator per thread, started from a fixed seed, advanced once
//! per tape. See "Random draws" on [`Tape`](super::Tape) for why.

use std::cell::RefCell;

use rand::{RngCore, SeedableRng};

use crate::WengertRng;

/// The seed every thread's stream starts from until [`manual_seed`].
const DEFAULT_SEED: u64 = 0;

thread_local! {
    static STREAM: RefCell<WengertRng> = RefCell::new(WengertRng::seed_from_u64(DEFAULT_SEED));
}

/// Restarts the current thread's seed stream from `seed`, so the tapes made
/// by [`Tape::new`](super::Tape::new) from here on draw a sequence that
/// depends on `seed` only (PyTorch: `torch.manual_seed`, per thread).
pub fn manual_seed(seed: u64) {
    STREAM.with(|s| *s.borrow_mut() = WengertRng::seed_from_u64(seed));
}

/// The next seed of the current thread's stream.
pub(super) fn next_seed() -> u64 {
    STREAM.with(|s| s.borrow_mut().next_u64())
}
