//! The station crate's integration tests, one binary: one module per subject.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod buildings;
mod doors;
mod instance;
mod road;
