//! # milkrun-datasets
//!
//! The data milkrun ships and the code that reads it: benchmark instances
//! (Solomon, Gehring-Homberger, CVRPLIB X, Li & Lim), their best-known
//! solutions, and an independent solution checker used by every test and
//! benchmark that judges a solution.
#![warn(missing_docs)]

pub mod instance;

pub use instance::{DistanceConvention, Format, Instance, Node};
