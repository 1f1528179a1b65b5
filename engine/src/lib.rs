//! # milkrun-engine
//!
//! The road network: OpenStreetMap import, snapping, travel-time matrices and live traffic.
#![warn(missing_docs)]
