//! wengert-optim: not written yet; see the workspace README for its plan.
