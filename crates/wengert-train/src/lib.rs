//! wengert-train: not written yet; see the workspace README for its plan.
