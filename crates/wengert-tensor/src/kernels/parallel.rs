//! Parallel work that never waits for a thread that did not come.
//!
//! A kernel hands [`run_parts`] a number of independent parts. The calling
//! thread claims parts one by one from a shared counter and runs them
//! itself; idle rayon workers are invited to claim parts too, but nobody
//! waits for an invitation to be taken. If every worker is busy or
//! descheduled (a loaded machine), the caller simply does all the parts, at
//! the cost of running serially, and returns: the only wait left is for a
//! part some other thread has already started.
//!
//! This is what rayon's `par_iter` does not do when called from a thread
//! outside its pool (a program's main thread): it injects the whole job into
//! the pool and blocks the caller until a worker has been woken and has
//! finished it, and a woken worker on a busy machine can wait milliseconds
//! for a core. matrixmultiply's own threads (its `threading` feature) are
//! worse: they always hand half of a product to a fixed thread and wait for
//! it by yielding, which on a loaded machine gives the core to a competitor
//! each time.
//!
//! Which thread runs a part never changes what the part computes, so a
//! kernel whose parts write disjoint outputs in a fixed order gives bitwise
//! the same result on any number of threads.

use std::any::Any;
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::float::Float;

/// A part to run, with its lifetime erased so that it can be shared with
/// rayon workers (see the safety argument in [`run_parts`]).
type Task = &'static (dyn Fn(usize) + Sync);

/// What the caller and its helpers share for one [`run_parts`] call.
struct Shared {
    /// Number of parts.
    parts: usize,
    /// The next part to claim; a claim at or past `parts` finds no work.
    next: AtomicUsize,
    /// The work, cleared by the caller before it returns.
    task: Mutex<Option<Task>>,
    /// Number of parts that have finished (run or panicked).
    finished: AtomicUsize,
    /// Lock and condition for a caller that sleeps until `finished == parts`.
    sleep: Mutex<()>,
    wake: Condvar,
    /// The first panic of a part, re-raised on the calling thread.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

impl Shared {
    /// Claims and runs parts until none are left.
    fn claim_and_run(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.parts {
                return;
            }
            // A claim below `parts` means the caller is still inside
            // `run_parts` (it waits for this part), so the task is set.
            let task = self
                .task
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .expect("the task outlives every claimed part");
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| task(i))) {
                let mut first = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
                first.get_or_insert(payload);
            }
            self.finish_one();
        }
    }

    /// Counts one part as finished and wakes the caller after the last.
    fn finish_one(&self) {
        if self.finished.fetch_add(1, Ordering::AcqRel) + 1 == self.parts {
            let _guard = self.sleep.lock().unwrap_or_else(PoisonError::into_inner);
            self.wake.notify_all();
        }
    }

    /// Blocks until every part has finished: first a short spin (a helper
    /// finishing its last part on a quiet machine is microseconds away),
    /// then asleep on the condition variable.
    fn wait_all(&self) {
        for _ in 0..SPINS_BEFORE_SLEEP {
            if self.finished.load(Ordering::Acquire) == self.parts {
                return;
            }
            std::hint::spin_loop();
        }
        let mut guard = self.sleep.lock().unwrap_or_else(PoisonError::into_inner);
        while self.finished.load(Ordering::Acquire) < self.parts {
            guard = self
                .wake
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// How long a caller spins on the finished count before it sleeps.
const SPINS_BEFORE_SLEEP: usize = 1 << 12;

/// Threads that may work on one call: rayon's pool size for the current
/// context (the global pool, or the pool whose `install` we are in).
///
/// The calling thread counts as one of them, so a pool of 2 on 2 cores
/// never puts 3 threads on the cores.
pub fn threads() -> usize {
    rayon::current_num_threads().max(1)
}

/// Runs `part(i)` for every `i` in `0..parts`, on the calling thread and on
/// up to [`threads`]` - 1` idle rayon workers, and returns when all have
/// run. Parts may run in any order and concurrently, so each must touch
/// only its own output. A panic in a part is re-raised here after every
/// started part has finished.
///
/// With one thread, or one part, everything runs on the caller with no
/// hand-off at all.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use wengert_tensor::kernels::parallel::run_parts;
///
/// let sums: Vec<AtomicUsize> = (0..8).map(|_| AtomicUsize::new(0)).collect();
/// run_parts(8, |i| {
///     sums[i].store((0..=i).sum(), Ordering::Relaxed);
/// });
/// assert_eq!(sums[7].load(Ordering::Relaxed), 28);
/// ```
pub fn run_parts(parts: usize, part: impl Fn(usize) + Sync) {
    let helpers = threads().min(parts).saturating_sub(1);
    if helpers == 0 {
        (0..parts).for_each(part);
        return;
    }
    let part: &(dyn Fn(usize) + Sync) = &part;
    // SAFETY: only the lifetime changes (same fat-pointer layout). The
    // 'static reference is used only inside `claim_and_run`, copied out of
    // `task` for one claimed part `i < parts` and dropped when that part
    // returns. This function does not return (nor unwind: parts run under
    // `catch_unwind`) before `wait_all` has seen all `parts` parts finish,
    // and it clears `task` before returning; a helper that starts later
    // claims an index `>= parts` and never reads `task`. So the reference
    // is never used after `part` is dropped. Exercised by the tests below
    // (parts on helpers, a helper arriving after the caller finished, and
    // a panicking part).
    let task: Task = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Task>(part) };
    let shared = Arc::new(Shared {
        parts,
        next: AtomicUsize::new(0),
        task: Mutex::new(Some(task)),
        finished: AtomicUsize::new(0),
        sleep: Mutex::new(()),
        wake: Condvar::new(),
        panic: Mutex::new(None),
    });
    for _ in 0..helpers {
        let shared = Arc::clone(&shared);
        rayon::spawn(move || shared.claim_and_run());
    }
    shared.claim_and_run();
    shared.wait_all();
    *shared.task.lock().unwrap_or_else(PoisonError::into_inner) = None;
    let payload = shared
        .panic
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(payload) = payload {
        resume_unwind(payload);
    }
}

/// Splits `out` into chunks of `chunk` elements (the last may be shorter)
/// and runs `f(index, chunk)` for each through [`run_parts`].
///
/// ```
/// use wengert_tensor::kernels::parallel::for_each_chunk_mut;
///
/// let mut out = vec![0usize; 10];
/// for_each_chunk_mut(&mut out, 4, |c, chunk| chunk.fill(c));
/// assert_eq!(out, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
/// ```
pub fn for_each_chunk_mut<T: Send>(
    out: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let chunks: Vec<Mutex<Option<&mut [T]>>> = out
        .chunks_mut(chunk.max(1))
        .map(|c| Mutex::new(Some(c)))
        .collect();
    run_parts(chunks.len(), |i| {
        let c = chunks[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("each chunk is claimed once");
        f(i, c);
    });
}

/// A new `n`-element buffer (from the pool, see [`crate::buffer`]) that
/// starts as zeros and is written by `f(index, chunk)` for each chunk of
/// `chunk` elements (the last may be shorter), through [`run_parts`]: the
/// parallel form of `let mut v = buffer::zeroed(n); for_each_chunk_mut(&mut
/// v, chunk, f)`.
///
/// Each chunk is zeroed by the thread that runs its part, just before the
/// part writes it, so the zeros are written into cache and split between
/// the threads: a serial zero-fill of a small CNN's outputs before their
/// parallel kernels wrote them was a tenth of its training step's
/// instructions, and a second pass over memory.
///
/// ```
/// use wengert_tensor::kernels::parallel::zeroed_in_chunks;
///
/// let v: Vec<f32> = zeroed_in_chunks(10, 4, |c, chunk| chunk[0] = c as f32 + 1.0);
/// assert_eq!(v, [1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0, 0.0]);
/// ```
pub fn zeroed_in_chunks<T: Float>(
    n: usize,
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) -> Vec<T> {
    let mut out = crate::buffer::take::<T>(n);
    for_each_chunk_mut(&mut out.spare_capacity_mut()[..n], chunk, |i, slots| {
        slots.fill(MaybeUninit::new(T::zero()));
        // SAFETY: every slot of `slots` was just written (the fill above),
        // and `MaybeUninit<T>` has the size, alignment and layout of `T`,
        // so the same memory read as `[T]` is an initialized slice; it is
        // borrowed exclusively here, as `slots` was.
        let chunk = unsafe { &mut *(slots as *mut [MaybeUninit<T>] as *mut [T]) };
        f(i, chunk);
    });
    // SAFETY: `for_each_chunk_mut` returned, so every chunk's part ran (a
    // panicking part is re-raised before this line, leaving `out` empty),
    // and the chunks cover the first `n` slots, each of which its part
    // initialized (zeros, then `f`'s writes); `n` is within the capacity
    // `take` reserved.
    unsafe { out.set_len(n) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::atomic::AtomicBool;
    use std::thread::ThreadId;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a test pool")
    }

    #[test]
    fn every_part_runs_exactly_once_on_one_and_two_threads() {
        for threads in [1, 2, 3] {
            let runs: Vec<AtomicUsize> = (0..97).map(|_| AtomicUsize::new(0)).collect();
            pool(threads).install(|| {
                run_parts(runs.len(), |i| {
                    runs[i].fetch_add(1, Ordering::Relaxed);
                })
            });
            assert!(
                runs.iter().all(|r| r.load(Ordering::Relaxed) == 1),
                "{threads} threads"
            );
        }
    }

    #[test]
    fn zeroed_in_chunks_gives_zeros_where_parts_do_not_write_even_in_recycled_memory() {
        // f64 pool, a size far from every other test's: 1,900,017 elements.
        let n = 1_900_017;
        drop(crate::Tensor::<f64>::full(&[n], f64::NAN));
        for threads in [1, 2] {
            let v: Vec<f64> = pool(threads).install(|| {
                zeroed_in_chunks(n, 1 << 16, |c, chunk| {
                    // Every other chunk writes its first element only.
                    if c % 2 == 0 {
                        chunk[0] = c as f64 + 1.0;
                    }
                })
            });
            assert_eq!(v.len(), n);
            for (i, &x) in v.iter().enumerate() {
                let (c, at) = (i >> 16, i & 0xffff);
                let want = if c % 2 == 0 && at == 0 {
                    c as f64 + 1.0
                } else {
                    0.0
                };
                assert!(x == want, "{threads} threads, element {i}: {x}");
            }
        }
    }

    #[test]
    fn a_panicking_part_of_zeroed_in_chunks_is_re_raised() {
        let caught = std::panic::catch_unwind(|| {
            pool(2).install(|| {
                zeroed_in_chunks::<f32>(1 << 18, 1 << 12, |c, _| assert!(c != 7, "part 7"))
            })
        });
        assert!(caught.is_err());
    }

    #[test]
    fn one_thread_runs_every_part_on_the_caller() {
        let ids = Mutex::new(HashSet::<ThreadId>::new());
        let caller = pool(1).install(|| {
            run_parts(16, |_| {
                ids.lock().unwrap().insert(std::thread::current().id());
            });
            std::thread::current().id()
        });
        assert_eq!(ids.into_inner().unwrap(), HashSet::from([caller]));
    }

    #[test]
    fn the_caller_finishes_alone_when_no_worker_is_free() {
        // The pool's other worker is held busy until the call has returned,
        // so every part runs on the caller, and the call returns without
        // waiting for the invitation that worker never took (it would
        // deadlock otherwise).
        let release = AtomicBool::new(false);
        let started = AtomicBool::new(false);
        let ids = Mutex::new(HashSet::<ThreadId>::new());
        let caller = pool(2).install(|| {
            rayon::scope(|s| {
                s.spawn(|_| {
                    started.store(true, Ordering::Release);
                    while !release.load(Ordering::Acquire) {
                        std::thread::yield_now();
                    }
                });
                // This thread spins here, so the other worker took the blocker.
                while !started.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                run_parts(8, |_| {
                    ids.lock().unwrap().insert(std::thread::current().id());
                });
                release.store(true, Ordering::Release);
                std::thread::current().id()
            })
        });
        assert_eq!(ids.into_inner().unwrap(), HashSet::from([caller]));
    }

    #[test]
    fn helpers_take_parts_when_they_are_free() {
        // Long enough parts that an idle worker joins in at least once in a
        // number of tries; which parts it takes is up to the scheduler.
        let pool = pool(2);
        let joined = (0..50).any(|_| {
            let ids = Mutex::new(HashSet::<ThreadId>::new());
            pool.install(|| {
                run_parts(64, |_| {
                    ids.lock().unwrap().insert(std::thread::current().id());
                    std::thread::sleep(std::time::Duration::from_micros(200));
                })
            });
            ids.into_inner().unwrap().len() > 1
        });
        assert!(joined, "no worker ever took a part");
    }

    #[test]
    fn a_panicking_part_reaches_the_caller_after_the_others_finished() {
        let pool = pool(2);
        let finished = AtomicUsize::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            pool.install(|| {
                run_parts(32, |i| {
                    if i == 5 {
                        panic!("part 5 fails");
                    }
                    std::thread::sleep(std::time::Duration::from_micros(50));
                    finished.fetch_add(1, Ordering::Relaxed);
                })
            })
        }));
        let payload = result.expect_err("the panic is re-raised");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"part 5 fails"));
        assert_eq!(finished.load(Ordering::Relaxed), 31);
    }

    #[test]
    fn chunks_cover_the_output_in_order() {
        for threads in [1, 2] {
            let mut out = vec![0usize; 1000];
            pool(threads).install(|| {
                for_each_chunk_mut(&mut out, 64, |c, chunk| {
                    for (j, o) in chunk.iter_mut().enumerate() {
                        *o = c * 64 + j;
                    }
                })
            });
            assert_eq!(out, (0..1000).collect::<Vec<_>>(), "{threads} threads");
        }
    }
}
