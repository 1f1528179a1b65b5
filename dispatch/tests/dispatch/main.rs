//! The dispatch crate's integration tests, one binary: one module per subject (the timed
//! service-level tests, tests/serve.rs, stay a binary of their own so they have the cores to
//! themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bottles;
#[path = "../common/mod.rs"]
mod common;
mod input;
mod module_graph;
mod replan;
mod replan_improve;
mod replan_timeofday;
mod reports;
mod restart;
