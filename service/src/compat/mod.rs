//! Drop-in faces for OSRM and VROOM clients (issue #20, section 4): pure conversions between
//! their JSON and the engine and solver, with no HTTP in them. The server's handlers parse
//! the request parts, call these functions on a worker thread, and map the typed errors to
//! HTTP statuses and the formats' codes.
//!
//! - [`osrm`]: the table and route services (`/osrm/table/v1/...`, `/osrm/route/v1/...`).
//! - [`vroom`]: a VROOM problem (`POST /vroom`) solved by `milkrun-vrp`.
//! - [`polyline`], [`simplify`]: geometry helpers of the OSRM route answer.

pub mod osrm;
pub mod polyline;
pub mod simplify;
pub mod vroom;
