//! The order in which a whole-sequence node runs its steps, shared by the
//! fused LSTM and GRU sequences: forward from `t = 0`, or from `T - 1` down
//! to 0 for the reverse direction of a bidirectional layer. Every buffer of
//! those nodes is laid out by time index, whichever the direction.

/// `steps` time steps, run forward or in `reverse`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StepOrder {
    pub(crate) steps: usize,
    pub(crate) reverse: bool,
}

impl StepOrder {
    /// The step that runs before time `t`, whose state step `t` reads
    /// (`None`: the initial state).
    pub(crate) fn prev(self, t: usize) -> Option<usize> {
        if self.reverse {
            (t + 1 < self.steps).then_some(t + 1)
        } else {
            t.checked_sub(1)
        }
    }

    /// The time indices in the order the steps run (`.rev()` for BPTT).
    pub(crate) fn run(self) -> Box<dyn DoubleEndedIterator<Item = usize>> {
        if self.reverse {
            Box::new((0..self.steps).rev())
        } else {
            Box::new(0..self.steps)
        }
    }

    /// The time index of the step that runs first (it reads the initial state).
    pub(crate) fn first(self) -> usize {
        if self.reverse {
            self.steps - 1
        } else {
            0
        }
    }

    /// The time index of the step that runs last (its state is the final one).
    pub(crate) fn last(self) -> usize {
        if self.reverse {
            0
        } else {
            self.steps - 1
        }
    }
}

/// The slice of step `read` (none: the initial state) and that of step
/// `write` in a buffer of `len`-wide steps, at once: a step reads the state
/// of the step before it and writes its own into the same buffer.
///
/// # Panics
/// When `read == write` (a step never reads its own state).
pub(crate) fn read_and_write<T>(
    buf: &mut [T],
    read: Option<usize>,
    write: usize,
    len: usize,
) -> (Option<&[T]>, &mut [T]) {
    match read {
        None => (None, &mut buf[write * len..(write + 1) * len]),
        Some(r) if r < write => {
            let (head, tail) = buf.split_at_mut(write * len);
            (Some(&head[r * len..(r + 1) * len]), &mut tail[..len])
        }
        Some(r) => {
            assert!(r > write, "a step reads another step's state");
            let (head, tail) = buf.split_at_mut(r * len);
            (
                Some(&tail[..len]),
                &mut head[write * len..(write + 1) * len],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_order_reads_the_later_step_and_ends_at_time_zero() {
        let fwd = StepOrder {
            steps: 3,
            reverse: false,
        };
        let rev = StepOrder {
            steps: 3,
            reverse: true,
        };
        assert_eq!(fwd.run().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(rev.run().collect::<Vec<_>>(), [2, 1, 0]);
        assert_eq!((fwd.prev(0), fwd.prev(2)), (None, Some(1)));
        assert_eq!((rev.prev(2), rev.prev(0)), (None, Some(1)));
        assert_eq!(
            (fwd.first(), fwd.last(), rev.first(), rev.last()),
            (0, 2, 2, 0)
        );
    }

    #[test]
    fn read_and_write_hands_out_the_two_steps_either_way_round() {
        let mut buf: Vec<usize> = (0..6).collect();
        let (read, write) = read_and_write(&mut buf, Some(0), 2, 2);
        assert_eq!(read, Some(&[0, 1][..]));
        write.copy_from_slice(&[9, 9]);
        let (read, write) = read_and_write(&mut buf, Some(2), 1, 2);
        assert_eq!(read, Some(&[9, 9][..]));
        assert_eq!(write, &[2, 3]);
        let (read, write) = read_and_write(&mut buf, None, 0, 2);
        assert_eq!((read, &*write), (None, &[0, 1][..]));
    }
}
