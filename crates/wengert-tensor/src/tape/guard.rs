//! Guards that put the tape back as it was when a backward rule or a
//! `no_grad` body panics and the caller catches the panic: recording is
//! restored and a rule taken out of its node goes back in, so the tape is
//! exactly as usable as before (without them, later gradients would
//! silently come back as `None`).

use super::{Rule, Tape};
use crate::float::Float;

/// Sets the recording flag and restores the previous value on drop.
pub(super) struct RecordingGuard<'t, T: Float> {
    tape: &'t Tape<T>,
    before: bool,
}

impl<'t, T: Float> RecordingGuard<'t, T> {
    pub(super) fn set(tape: &'t Tape<T>, on: bool) -> Self {
        let before = tape.set_recording(on);
        RecordingGuard { tape, before }
    }
}

impl<T: Float> Drop for RecordingGuard<'_, T> {
    fn drop(&mut self) {
        self.tape.set_recording(self.before);
    }
}

/// Holds the rule of node `node` while it runs and puts it back on drop,
/// whether the rule returned or panicked.
pub(super) struct RuleGuard<'t, T: Float> {
    tape: &'t Tape<T>,
    node: usize,
    rule: Option<Rule<T>>,
}

impl<'t, T: Float> RuleGuard<'t, T> {
    pub(super) fn new(tape: &'t Tape<T>, node: usize, rule: Rule<T>) -> Self {
        RuleGuard {
            tape,
            node,
            rule: Some(rule),
        }
    }

    pub(super) fn rule(&self) -> &Rule<T> {
        self.rule.as_ref().expect("the rule is present until drop")
    }
}

impl<T: Float> Drop for RuleGuard<'_, T> {
    fn drop(&mut self) {
        // During an unwind the panicking rule may have been interrupted
        // while it held the node list; `try_borrow_mut` avoids a double
        // panic then (RefCell borrows are released as the unwind passes
        // their guards, so by the time this runs the list is free).
        if let Ok(mut nodes) = self.tape.nodes.try_borrow_mut() {
            nodes[self.node].rule = self.rule.take();
        }
    }
}
