//! The OSRM face: `GET /osrm/table/v1/{profile}/{coordinates}` and
//! `GET /osrm/route/v1/{profile}/{coordinates}` answered with OSRM's JSON, so an OSRM client
//! switches by changing its base URL.
//!
//! A handler does, on a worker thread:
//! 1. [`parse_profile`] on the URL's profile (`driving`, `cycling`, `walking`, ...), and picks
//!    the tenant's [`milkrun_engine::TrafficOverlay`] of that profile;
//! 2. [`table()`] or [`route()`] with the coordinates path segment and the raw query string
//!    (after `?`, empty when there is none), or the two steps [`TableRequest::parse`] (for a
//!    quota check on [`TableRequest::cells`]) and [`answer_table`];
//! 3. answers the response struct as JSON with status 200, or an error's
//!    [`OsrmError::body`] with [`OsrmError::http_status`].
//!
//! Modules: [`profile`], [`coords`] (the path segment), [`query`] (the query string),
//! [`waypoint`] (snapping), [`table`](mod@table), [`route`](mod@route), [`error`].

pub mod coords;
pub mod error;
pub mod profile;
pub mod query;
pub mod route;
pub mod table;
pub mod waypoint;

pub use error::{ErrorBody, OsrmCode, OsrmError};
pub use profile::parse_profile;
pub use route::{answer_route, route, RouteRequest, RouteResponse, MAX_ROUTE_COORDINATES};
pub use table::{answer_table, table, TableRequest, TableResponse, MAX_TABLE_COORDINATES};
pub use waypoint::Waypoint;
