//! Snapping an OSRM request's coordinates, each within its own radius, and OSRM's waypoint
//! objects.

use milkrun_engine::{EngineError, LatLon, NodeId, TrafficOverlay};
use serde::Serialize;

use super::error::OsrmError;

/// OSRM's waypoint object: where a coordinate joined the road network. No `hint` is given
/// (the key is omitted): hints name OSRM's internal segments and have no meaning here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waypoint {
    /// The street name; always empty (the engine keeps no names).
    pub name: String,
    /// `[lon, lat]` of the road node the coordinate is routed from and to (the engine routes
    /// from the nearer end of the nearest road segment, see `milkrun_engine::snap`).
    pub location: [f64; 2],
    /// Distance from the coordinate to that node, metres.
    pub distance: f64,
}

/// A coordinate on the road network: the node the engine routes from and its waypoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapped {
    /// The road node (the one the engine's `snap_all` gives for this coordinate).
    pub node: NodeId,
    /// Its OSRM waypoint.
    pub waypoint: Waypoint,
}

/// Snaps `points[i]` within `radiuses[i]` metres (`+inf`: no limit) with the overlay's own
/// snapper ([`TrafficOverlay::snap_all`], the call every other face of the engine uses).
/// Errors: a coordinate with no road within its radius is [`OsrmError::NoSegment`] naming
/// it. `radiuses` must be as long as `points` (the parsers guarantee it; a shorter list
/// leaves the remaining points unlimited).
pub fn snap_waypoints(
    overlay: &TrafficOverlay,
    points: &[LatLon],
    radiuses: &[f64],
) -> Result<Vec<Snapped>, OsrmError> {
    let graph = overlay.graph();
    points
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let radius = radiuses.get(i).copied().unwrap_or(f64::INFINITY);
            let snap = overlay
                .snap_all(&[p], radius)
                .map_err(|e| snap_error(e, i, p, radius))?;
            let s = snap.first().copied().ok_or(OsrmError::NoSegment {
                index: i,
                lon: p.lon,
                lat: p.lat,
                distance_m: f64::INFINITY,
                radius_m: radius,
            })?;
            let at = graph.coord(s.node);
            Ok(Snapped {
                node: s.node,
                waypoint: Waypoint {
                    name: String::new(),
                    location: [at.lon, at.lat],
                    distance: s.node_m,
                },
            })
        })
        .collect()
}

fn snap_error(e: EngineError, index: usize, p: LatLon, radius_m: f64) -> OsrmError {
    match e {
        EngineError::TooFarFromRoad { distance_m, .. } => OsrmError::NoSegment {
            index,
            lon: p.lon,
            lat: p.lat,
            distance_m,
            radius_m,
        },
        EngineError::CoordinateOutOfRange { .. } => OsrmError::BadValue {
            field: format!("coordinates[{index}]"),
            reason: "out of range".to_string(),
        },
        EngineError::BadSnapLimit { .. } => OsrmError::BadValue {
            field: format!("radiuses[{index}]"),
            reason: "not a non-negative distance in metres".to_string(),
        },
        other => OsrmError::Engine(other),
    }
}
