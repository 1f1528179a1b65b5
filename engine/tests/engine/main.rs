//! The road engine's integration tests, one binary: one module per subject.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod buildings;
mod doors;
mod hostile_input;
mod maneuvers;
mod osm_restrictions;
mod roads;
mod tenants;
mod timed_traffic;
