//! Snapping stops to the road network with an R-tree of road segments.
//!
//! Choice: a stop is projected onto the nearest usable road segment (the distance reported and
//! checked against the limit is the distance to that projection) and is then routed from the
//! segment's nearer endpoint node. No virtual node is inserted: OSM ways have a node every
//! few tens of metres, so the error is small, and every matrix entry remains an exact
//! node-to-node shortest path that a plain Dijkstra reproduces.

use rstar::primitives::{GeomWithData, Line};
use rstar::RTree;

use crate::geo::{haversine_m, LatLon, LocalProjection};
use crate::graph::{NodeId, RoadGraph};
use crate::EngineError;

/// Default limit on the distance between a stop and its road, metres.
pub const DEFAULT_MAX_SNAP_M: f64 = 500.0;

/// Where a stop joins the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The node the stop is routed from and to.
    pub node: NodeId,
    /// Distance from the stop to the nearest road segment, metres.
    pub snap_m: f64,
    /// Distance from the stop to the chosen node, metres (great-circle): the length of the
    /// access leg between the door and its road position ([`crate::Access`]).
    pub node_m: f64,
}

/// How one point of a partial matrix met the roads
/// ([`crate::TrafficOverlay::matrix_partial`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PointSnap {
    /// Snapped within the limit: routed from and to this snap.
    Snapped(Snap),
    /// Farther than the limit from every usable road: its row and column are unreachable,
    /// the rest of the matrix is computed.
    TooFar {
        /// Distance to the nearest usable road, metres (infinite when there is none).
        distance_m: f64,
    },
}

impl PointSnap {
    /// Distance from the point to its road, metres, whether or not it was within the limit.
    pub fn snap_m(&self) -> f64 {
        match self {
            PointSnap::Snapped(s) => s.snap_m,
            PointSnap::TooFar { distance_m } => *distance_m,
        }
    }

    /// The snap, if the point was within the limit.
    pub fn snapped(&self) -> Option<&Snap> {
        match self {
            PointSnap::Snapped(s) => Some(s),
            PointSnap::TooFar { .. } => None,
        }
    }
}

type Segment = GeomWithData<Line<[f64; 2]>, (u32, u32)>;

/// An R-tree of the road segments of one graph (each undirected pair once).
pub struct Snapper {
    tree: RTree<Segment>,
    proj: LocalProjection,
}

impl std::fmt::Debug for Snapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Snapper({} segments)", self.tree.size())
    }
}

impl Snapper {
    /// Indexes all road segments of `graph`.
    pub fn new(graph: &RoadGraph) -> Snapper {
        let n = graph.num_nodes();
        let lat0 = if n == 0 {
            0.0
        } else {
            graph.lat.iter().sum::<f64>() / n as f64
        };
        let proj = LocalProjection::new(lat0);
        let xy: Vec<[f64; 2]> = (0..n)
            .map(|v| proj.project(graph.coord(NodeId(v as u32))))
            .collect();
        let mut segments = Vec::with_capacity(graph.num_edges());
        for u in 0..n as u32 {
            for e in graph.out_edges(NodeId(u)) {
                let v = graph.head[e];
                if u < v || graph.find_edge(NodeId(v), NodeId(u)).is_none() {
                    segments.push(GeomWithData::new(
                        Line::new(xy[u as usize], xy[v as usize]),
                        (u, v),
                    ));
                }
            }
        }
        Snapper {
            tree: RTree::bulk_load(segments),
            proj,
        }
    }

    /// Snaps stop number `index` at `stop`; an error if no road is within `max_snap_m`
    /// ([`EngineError::TooFarFromRoad`]: a stop farther away is unsnappable, never moved), or if
    /// `max_snap_m` is not a finite, non-negative distance ([`EngineError::BadSnapLimit`]; a
    /// NaN limit would otherwise let every comparison pass).
    pub fn snap(
        &self,
        graph: &RoadGraph,
        index: usize,
        stop: LatLon,
        max_snap_m: f64,
    ) -> Result<Snap, EngineError> {
        check_snap_limit(max_snap_m)?;
        let stop = LatLon::checked(index, stop.lat, stop.lon)?;
        let p = self.proj.project(stop);
        let too_far = |distance_m: f64| EngineError::TooFarFromRoad {
            index,
            lat: stop.lat,
            lon: stop.lon,
            distance_m,
            limit_m: max_snap_m,
        };
        let Some(seg) = self.tree.nearest_neighbor(p) else {
            return Err(too_far(f64::INFINITY));
        };
        let q = seg.geom().nearest_point(&p);
        let snap_m = dist(p, q);
        if snap_m.is_nan() || snap_m > max_snap_m {
            return Err(too_far(snap_m));
        }
        let (u, v) = seg.data;
        let (du, dv) = (
            dist(p, self.proj.project(graph.coord(NodeId(u)))),
            dist(p, self.proj.project(graph.coord(NodeId(v)))),
        );
        let (node, planar_m) = if du <= dv { (u, du) } else { (v, dv) };
        Ok(Snap {
            // A turn-restriction arrival copy stands for its junction.
            node: graph.original_node(NodeId(node)),
            snap_m,
            // At least the great-circle distance, like the edges' lengths, so an access leg
            // plus the road path is never shorter than the straight line between two doors;
            // and at least the planar one, so it is never shorter than `snap_m`.
            node_m: haversine_m(stop, graph.coord(NodeId(node))).max(planar_m),
        })
    }
}

/// `Ok` for a non-negative snap distance in metres; `+inf` means "no limit" (every point
/// snaps to its nearest road, however far). NaN and negative limits are errors.
pub fn check_snap_limit(max_snap_m: f64) -> Result<(), EngineError> {
    if max_snap_m >= 0.0 {
        Ok(())
    } else {
        Err(EngineError::BadSnapLimit {
            field: "max_snap_m",
            value: max_snap_m,
        })
    }
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}
