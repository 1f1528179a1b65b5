//! # milkrun-dairy
//!
//! The dairy platform: catalogue, subscriptions, the delivery calendar and the day loop, with
//! its store. Work in progress (issue #21).
#![warn(missing_docs)]
