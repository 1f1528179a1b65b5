//! The road engine's value types: matrices, routes, metric snapshots, traffic reports.
//!
//! They are shared by the immutable network (`network`) and the per-tenant traffic overlays
//! (`overlay`, where `RoadEngine` is defined); this module imports neither, so the three
//! form no import circle.

use crate::customize::Metric;
use crate::geo::LatLon;
use crate::graph::{key_dist_dm, key_travel_ms, NodeId};
use crate::timed::TimedTrafficId;

/// A customized metric together with the edge keys it was customized for. Readers take an
/// `Arc` of one snapshot, so a matrix never mixes weights of two traffic states.
#[derive(Debug)]
pub struct MetricSnapshot {
    pub(crate) keys: Vec<u64>,
    pub(crate) metric: Metric,
    pub(crate) version: u64,
}

impl MetricSnapshot {
    /// Current weight key of every graph edge ([`crate::INF_KEY`] = closed).
    pub fn edge_keys(&self) -> &[u64] {
        &self.keys
    }
    /// Number of traffic updates and profile changes applied before this snapshot (0 = free
    /// flow).
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// A travel-time and distance matrix, row-major (`rows` sources × `cols` targets).
#[derive(Debug, Clone, PartialEq)]
pub struct TravelMatrix {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) keys: Vec<u64>,
    /// Door to door ([`crate::Access::DoorToDoor`]): whole metres and seconds round up.
    pub(crate) door_to_door: bool,
}

impl TravelMatrix {
    /// Number of sources.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of targets.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Weight key of an entry ([`crate::INF_KEY`] if unreachable).
    pub fn key(&self, i: usize, j: usize) -> u64 {
        self.keys[i * self.cols + j]
    }
    /// Travel time in milliseconds (`None` if unreachable).
    pub fn travel_ms(&self, i: usize, j: usize) -> Option<u32> {
        key_travel_ms(self.key(i, j))
    }
    /// Length of the fastest path in decimetres (`None` if unreachable).
    pub fn dist_dm(&self, i: usize, j: usize) -> Option<u32> {
        key_dist_dm(self.key(i, j))
    }
    /// Travel time in seconds (`None` if unreachable).
    pub fn seconds(&self, i: usize, j: usize) -> Option<f64> {
        self.travel_ms(i, j).map(|ms| f64::from(ms) / 1000.0)
    }
    /// Length of the fastest path in whole metres (`None` if unreachable): rounded to the
    /// nearest metre on a road-only matrix, up on a door-to-door one (never shorter than the
    /// straight line between the doors).
    pub fn meters(&self, i: usize, j: usize) -> Option<u32> {
        let up = if self.door_to_door { 9 } else { 5 };
        self.dist_dm(i, j)
            .map(|dm| dm / 10 + u32::from(dm % 10 >= 10 - up))
    }
    /// Travel time in whole seconds (`None` if unreachable): rounded to the nearest second
    /// on a road-only matrix, up on a door-to-door one.
    pub fn whole_seconds(&self, i: usize, j: usize) -> Option<u32> {
        let up = if self.door_to_door { 999 } else { 500 };
        self.travel_ms(i, j)
            .map(|ms| ms / 1000 + u32::from(ms % 1000 >= 1000 - up))
    }
    /// Whether the entries are door to door (access legs included).
    pub fn is_door_to_door(&self) -> bool {
        self.door_to_door
    }
}

/// A route between two nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Travel time, milliseconds.
    pub travel_ms: u32,
    /// Length, decimetres.
    pub dist_dm: u32,
    /// The road nodes passed, source first.
    pub nodes: Vec<NodeId>,
    /// The route's geometry (one point per node).
    pub polyline: Vec<LatLon>,
}

/// What a traffic update did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrafficReport {
    /// Directed edges whose weight was set.
    pub edges_touched: usize,
    /// Directed edges whose weight differs from before the update.
    pub edges_changed: usize,
    /// Whether only the affected part was re-customized (few changed edges) rather than all
    /// (for the metric outside the profile's slots).
    pub partial: bool,
    /// Metrics re-customized: 1 plus the number of time-of-day slots plus the number of
    /// metrics of pieces of the day with timed updates in force.
    pub metrics: usize,
    /// Version of the new snapshot.
    pub version: u64,
}

/// What a timed traffic update did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedTrafficReport {
    /// The update's id (for `TrafficOverlay::remove_timed_traffic`).
    pub id: TimedTrafficId,
    /// Directed edges whose weight it sets (during its interval).
    pub edges_touched: usize,
    /// Pieces of the day now with a timed update in force.
    pub periods: usize,
    /// Metrics customized by this call (pieces whose slot and updates in force did not
    /// change keep their metric).
    pub customized: usize,
    /// Version of the new snapshots.
    pub version: u64,
}

/// What expiring or removing timed traffic updates did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiryReport {
    /// The updates dropped.
    pub removed: Vec<TimedTrafficId>,
    /// Pieces of the day still with a timed update in force.
    pub periods: usize,
    /// Metrics customized by this call (0 when nothing was dropped, or when every piece
    /// left falls back to a metric it shares with another piece or with its slot).
    pub customized: usize,
    /// Version of the state after the call (unchanged when nothing was dropped).
    pub version: u64,
}
