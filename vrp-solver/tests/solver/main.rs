//! The solver's integration tests, one binary: one module per subject (the timed deadline
//! tests, tests/deadline.rs, stay a binary of their own so they have the cores to themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod features;
mod model_features;
mod progress;
mod threads;
