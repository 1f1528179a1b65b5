//! The forecast crate's integration tests, one binary: one module per subject (the timed
//! cancellation test, tests/control.rs, stays a binary of its own so it has the cores to itself).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod customers;
mod customers_cdnow;
mod demand_arima;
mod demand_calibrate;
mod demand_frequency;
mod demand_models;
mod demand_panel;
mod demand_parquet;
mod demand_pipeline;
mod demand_pooled;
mod hostile_input;
mod ordering;
