//! # milkrun-service
//!
//! Wiring between the library crates and the outside world: converting file
//! formats into solver problems, and the `milkrun` command line. [`week`] renders the
//! simulated week of `milkrun demo`; [`demo`] is the one morning of `milkrun morning`;
//! [`app`] is the pages of `milkrun serve` under `/app/`.
//! [`night_queue`] is the nightly batch across machines (`milkrun worker`, `milkrun
//! night-submit`: station-day jobs on NATS JetStream).
#![warn(missing_docs)]

pub mod app;
pub mod cmd;
pub mod compat;
pub mod demo;
pub mod night_queue;
pub mod serve;
pub mod week;
