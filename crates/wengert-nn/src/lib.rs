//! wengert-nn: not written yet; see the workspace README for its plan.
