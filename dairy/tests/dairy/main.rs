//! The dairy crate's integration tests, one binary: one module per subject. The store's tests run
//! on SQLite and on PostgreSQL (support/mod.rs); the crash tests re-run this binary as a child
//! and kill it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bottles_outbox;
mod calendar;
mod close;
mod concurrency;
mod crash;
mod exceptions;
mod faces;
mod late_orders;
mod offers;
mod sites;
mod station_days;
mod store;
#[path = "../support/mod.rs"]
mod support;
