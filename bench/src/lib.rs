//! # milkrun-bench
//!
//! Quality benchmarks on real instances.
#![warn(missing_docs)]
