//! The service's integration tests, one binary: one module per subject (the CLI, the demos, the
//! server end to end, its replicas failing over, its pages in a real browser (the station
//! dispatcher's controls in their own module), a client that is not ours through reflection,
//! the OSRM and VROOM faces).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app_browser;
mod app_faces;
mod app_station;
mod compat_osrm;
mod compat_vroom;
mod dairy_remote;
mod demo;
mod deploy;
mod failover;
mod golden;
mod job_queues;
mod night_queue;
mod regression;
mod serve;
mod serve_python;
#[path = "../serve_support/mod.rs"]
mod serve_support;
