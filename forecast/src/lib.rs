//! # milkrun-forecast
//!
//! Demand forecasting, perishable ordering and customer value.
#![warn(missing_docs)]

pub mod control;
pub mod customers;
pub mod demand;
pub mod ordering;
