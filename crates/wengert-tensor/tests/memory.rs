//! A training loop on one reused tape does not grow: after a few warm-up
//! steps, the bytes held live stay the same from step to step for 1,000
//! steps. Counted with a global allocator that tracks live bytes (this test
//! file is its own program, so the counter sees only this test's work).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use wengert_tensor::{seeded_rng, Param, Tape, Tensor};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to the system allocator with the caller's
// own arguments, so all of GlobalAlloc's contracts are the system
// allocator's; the counter only records sizes and never touches memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded contract (see the impl's comment).
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

#[test]
fn live_memory_stays_flat_over_1000_training_steps() {
    let mut rng = seeded_rng(11);
    let mut w1 = Param::new(
        "w1",
        Tensor::<f32>::randn(&[20, 32], &mut rng).mul_scalar(0.2),
    );
    let mut w2 = Param::new(
        "w2",
        Tensor::<f32>::randn(&[32, 4], &mut rng).mul_scalar(0.2),
    );
    let x = Tensor::<f32>::randn(&[16, 20], &mut rng);
    let labels: Vec<usize> = (0..16).map(|i| i % 4).collect();
    let mut tape = Tape::training(0);
    // Kernels ask rayon's global pool how many threads it has, which
    // starts its workers; each allocates its own state when it first runs,
    // which on a busy machine can be hundreds of steps later. Run something
    // on every worker first, so what is counted below is the loop's alone.
    rayon::broadcast(|_| ());
    // Allocated up front, so the record itself does not grow during the loop.
    let mut live_after = Vec::with_capacity(1000);
    for _ in 0..1000 {
        tape.reset();
        let grads = {
            let h = tape.constant(x.clone()).matmul(tape.param(&w1)).relu();
            let loss = h.matmul(tape.param(&w2)).cross_entropy_with_logits(&labels);
            loss.backward()
        };
        for p in [&mut w1, &mut w2] {
            let g = grads.get(p).unwrap().clone();
            for (v, d) in p.value_mut().data_mut().iter_mut().zip(g.values().iter()) {
                *v -= 0.05 * d;
            }
        }
        drop(grads);
        live_after.push(LIVE.load(Ordering::Relaxed));
    }
    // After warm-up (the tape's node buffer reaching its size) the live
    // bytes may move once or twice by a few bytes (lazily initialised
    // runtime state), but a step must not leave anything behind: a leak of
    // even one small tensor per step would add tens of kilobytes here.
    let settled = &live_after[10..];
    let (lo, hi) = (settled.iter().min().unwrap(), settled.iter().max().unwrap());
    assert!(
        hi - lo < 1024,
        "live bytes drift between {lo} and {hi} over 990 steps"
    );
    let last = &live_after[500..];
    assert!(
        last.iter().all(|&b| b == last[0]),
        "live bytes still change in the last 500 steps"
    );
    println!("live bytes after each step: {lo}..={hi} over 990 steps, constant over the last 500");
}
