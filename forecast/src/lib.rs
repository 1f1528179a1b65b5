//! # milkrun-forecast
//!
//! Demand forecasting, perishable ordering and customer value.
#![warn(missing_docs)]
