//! The iterator over one epoch's batches, built on the caller's thread or
//! ahead on a worker thread through a bounded channel.
//!
//! The worker builds batches in order and blocks when `prefetch` of them
//! wait unread, so memory stays bounded. Dropping the iterator early closes
//! the channel; the worker notices at its next send and stops.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use wengert_tensor::Float;

use crate::loader::batch::Batch;

/// Builds batch number `k` from its indices.
pub(crate) type MakeBatch<T> = Arc<dyn Fn(usize, &[usize]) -> Batch<T> + Send + Sync>;

enum Source<T: Float> {
    /// Build each batch when asked.
    Inline {
        make: MakeBatch<T>,
        chunks: Vec<(usize, Vec<usize>)>,
    },
    /// Receive batches from a worker.
    Worker {
        receiver: Option<Receiver<Batch<T>>>,
        handle: Option<JoinHandle<()>>,
    },
}

/// The batches of one epoch, in order; see [`DataLoader::epoch`](crate::DataLoader::epoch).
pub struct Batches<T: Float> {
    source: Source<T>,
    next: usize,
    total: usize,
}

impl<T: Float> Batches<T> {
    /// `chunks` are the batches to build, each with its number in the
    /// epoch (what seeds its batch transform).
    pub(crate) fn new(
        chunks: Vec<(usize, Vec<usize>)>,
        make: MakeBatch<T>,
        prefetch: usize,
    ) -> Self {
        let total = chunks.len();
        let source = if prefetch == 0 || total == 0 {
            Source::Inline { make, chunks }
        } else {
            let (sender, receiver) = sync_channel(prefetch);
            let handle = std::thread::Builder::new()
                .name("wengert-data-prefetch".into())
                .spawn(move || {
                    for (k, indices) in &chunks {
                        if sender.send(make(*k, indices)).is_err() {
                            return; // the iterator was dropped
                        }
                    }
                })
                .expect("spawning the prefetch thread");
            Source::Worker {
                receiver: Some(receiver),
                handle: Some(handle),
            }
        };
        Batches {
            source,
            next: 0,
            total,
        }
    }
}

impl<T: Float> Iterator for Batches<T> {
    type Item = Batch<T>;

    fn next(&mut self) -> Option<Batch<T>> {
        if self.next >= self.total {
            return None;
        }
        let batch = match &mut self.source {
            Source::Inline { make, chunks } => {
                let (k, indices) = &chunks[self.next];
                make(*k, indices)
            }
            Source::Worker { receiver, handle } => {
                match receiver.as_ref().expect("receiver lives until drop").recv() {
                    Ok(batch) => batch,
                    Err(_) => {
                        // The worker stopped early: it panicked. Surface its panic here.
                        if let Some(Err(payload)) = handle.take().map(JoinHandle::join) {
                            std::panic::resume_unwind(payload);
                        }
                        panic!(
                            "DataLoader: the prefetch thread stopped after {} of {} batches",
                            self.next, self.total
                        );
                    }
                }
            }
        };
        self.next += 1;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.total - self.next;
        (left, Some(left))
    }
}

impl<T: Float> ExactSizeIterator for Batches<T> {}

impl<T: Float> Drop for Batches<T> {
    fn drop(&mut self) {
        if let Source::Worker { receiver, handle } = &mut self.source {
            // Closing the channel first makes a worker blocked on send return.
            drop(receiver.take());
            if let Some(handle) = handle.take() {
                // A worker panic after the consumer stopped reading is not
                // re-raised here: panicking in drop could abort.
                let _ = handle.join();
            }
        }
    }
}
