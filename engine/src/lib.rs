//! # milkrun-engine
//!
//! The road network: OpenStreetMap import, snapping, travel-time and distance matrices with
//! customizable contraction hierarchies (CCH), and live traffic.
//!
//! ## Concepts
//! - [`RoadGraph`]: a strongly connected directed graph per [`Profile`] (car, bike/e-trike,
//!   foot) in CSR arrays with integer weights: `travel_ms` (milliseconds) and `dist_dm`
//!   (decimetres). Both are packed into one `u64` *weight key* ([`pack_key`]) compared
//!   lexicographically, so the fastest path (ties: the shortest) is unique in weight and every
//!   matrix entry is reproducible by a plain [`dijkstra_keys`].
//! - [`RoadNetwork`]: the prepared graph, shared and immutable: a metric-independent
//!   nested-dissection order ([`order`]), the CCH structure ([`CchTopology`]), an R-tree for
//!   snapping ([`Snapper`]), the free-flow metric and one metric per time-of-day slot. Put it
//!   in an `Arc` and share it between tenants.
//! - [`TrafficOverlay`]: one tenant's live traffic on a shared network (its updates and its
//!   own re-customized metrics, published atomically behind an `Arc`); with no update it
//!   answers from the network's metrics without copying. [`RoadEngine`] is the same type,
//!   for a network of its own with one overlay (`RoadEngine::prepare(graph)`).
//! - Door to door ([`access`]): every point keeps its snap (road node, distance); matrices
//!   and routes of [`RoadEngine::matrix_with`] / [`RoadEngine::route_with`] add an access leg
//!   between each door and its road position at a speed per profile, unless
//!   [`Access::RoadOnly`] is asked for (the road-only values, as OSRM gives them).
//! - Queries: [`RoadEngine::matrix`] (road only; bucket many-to-many over elimination-tree searches,
//!   parallel with rayon), [`RoadEngine::route`] (one-to-one with shortcut unpacking into a
//!   polyline).
//! - [`RoadEngine::apply_traffic`]: speed factors or closures on edges or ways; a small update
//!   re-customizes only the nodes it can affect (sequential), a large one the whole metric
//!   (parallel over disjoint elimination subtrees); either way the new metrics are published
//!   atomically.
//!
//! ## Modules
//! [`osm`] (PBF import, the only file-format code; [`buildings`] reads building positions
//! from the same bytes), [`store`] (prepared-graph file),
//! [`profile`], [`graph`], [`snap`], [`access`] (door-to-door access legs), [`order`], [`cch`], [`customize`], [`query`],
//! [`maneuvers`] (turn-by-turn hints from a route's geometry),
//! [`network`], [`overlay`], [`traffic`], [`timed`], [`timeofday`], [`turns`], [`engine`], [`dijkstra`] (reference), [`generate`]
//! (synthetic networks),
//! [`svg`] (pictures).
//!
//! - Time-of-day speed profiles ([`timeofday`]): one customized metric per slot of the day;
//!   `*_at(departure_s)` queries use the metric of the departure slot.
//! - Turn restrictions ([`turns`]): `no_*` / `only_*` restrictions through a via node or via
//!   way(s), by state expansion into arrival copies of the via nodes (entered only along the
//!   restriction); the graph stays node-based, so a plain Dijkstra sees the same rules.
//! - Timed live traffic ([`timed`]): an update in force during `[start_s, end_s)` of the
//!   day; pieces of the day with timed updates get their own metric, `*_at` queries use it,
//!   [`RoadEngine::expire_traffic`] drops updates whose interval ended and re-customizes only
//!   the pieces that change.
//!
//! ## Example
//! ```
//! use milkrun_engine::{generate_grid, GridSpec, RoadEngine, NodeId, dijkstra_keys};
//! let (graph, _report) = generate_grid(&GridSpec::city(400, 7)).unwrap();
//! let engine = RoadEngine::prepare(graph);
//! let nodes = [NodeId(0), NodeId(57), NodeId(201)];
//! let m = engine.matrix_nodes(&nodes, &nodes);
//! let reference = dijkstra_keys(engine.graph(), engine.base_keys(), 0);
//! assert_eq!(m.key(0, 2), reference[201]);
//! assert_eq!(m.travel_ms(1, 1), Some(0));
//! ```
#![warn(missing_docs)]

pub mod access;
pub mod buildings;
pub mod cch;
pub mod customize;
pub mod dijkstra;
pub mod engine;
pub mod error;
pub mod generate;
pub mod geo;
pub mod graph;
pub mod maneuvers;
pub mod network;
pub mod order;
pub mod osm;
pub mod overlay;
pub mod pbf_check;
pub mod profile;
pub mod query;
pub mod snap;
pub mod store;
pub mod svg;
pub mod timed;
pub mod timeofday;
pub mod traffic;
pub mod turns;

pub use access::{
    check_access_speed, Access, Door, PointOptions, DEFAULT_ACCESS_MPS, MAX_ACCESS_MPS,
    MIN_ACCESS_MPS,
};
pub use buildings::{
    import_buildings, Building, BuildingKind, BuildingReport, BuildingSkip, OsmRef,
    DEFAULT_MAX_BUILDINGS,
};
pub use cch::CchTopology;
pub use dijkstra::{dijkstra_keys, dijkstra_trips};
pub use engine::{
    ExpiryReport, MetricSnapshot, Route, TimedTrafficReport, TrafficReport, TravelMatrix,
};
pub use error::{DecodeError, EngineError};
pub use generate::{generate_grid, generate_region, GridSpec, RegionSpec};
pub use geo::LatLon;
pub use graph::{
    key_dist_dm, key_travel_ms, pack_key, BuildReport, EdgeId, NodeId, RawEdge, RestrictionCounts,
    RoadGraph, SkipReason, INF_KEY,
};
pub use network::{RoadNetwork, DEFAULT_MAX_MATRIX_CELLS};
pub use osm::{import_pbf, import_pbf_file};
pub use overlay::{PartialMatrix, RoadEngine, TrafficOverlay};
pub use profile::Profile;
pub use snap::{PointSnap, Snap, Snapper, DEFAULT_MAX_SNAP_M};
pub use svg::render_svg;
pub use timed::{TimedTraffic, TimedTrafficId};
pub use timeofday::{SpeedProfile, TimeSlot, DAY_S};
pub use traffic::{EdgeSet, SpeedChange, TrafficFault, TrafficUpdate};
pub use turns::{
    apply_path_restrictions, apply_turn_restrictions, PathRestriction, TurnKind, TurnReport,
    TurnRestriction,
};
