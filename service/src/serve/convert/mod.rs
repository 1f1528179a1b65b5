//! Conversions between the protobuf messages and the library types. Each checks its input
//! once and names the bad field; no algorithm lives here.
pub mod dairy_day;
pub mod day;
pub mod geo;
pub mod model;
pub mod plan;
pub mod plan_day;
pub mod traffic;
