//! The datasets crate's integration tests, one binary: one module per subject.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod checker;
mod generate;
mod hostile;
mod malformed;
mod scenario;
mod shipped;
mod sol_roundtrip;
