//! # milkrun-vrp
//!
//! Vehicle routing with time windows. Pure library: data in, data out.
#![warn(missing_docs)]
