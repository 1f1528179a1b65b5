//! The road engine: a prepared graph with its CCH, snapping, queries and live traffic.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::cch::CchTopology;
use crate::customize::{customize, customize_partial, Metric};

/// Updates changing at most 1/this of the edges are re-customized partially (sequentially);
/// larger ones fully (in parallel).
const PARTIAL_MAX_SHARE: usize = 1000;
use crate::geo::LatLon;
use crate::graph::{key_dist_dm, key_travel_ms, NodeId, RoadGraph};
use crate::order::nested_dissection_order;
use crate::query::{many_to_many, one_to_one, SearchSpace};
use crate::snap::{Snap, Snapper};
use crate::traffic::{apply_updates, TrafficUpdate};
use crate::EngineError;

/// A customized metric together with the edge keys it was customized for. Readers take an
/// `Arc` of one snapshot, so a matrix never mixes weights of two traffic states.
#[derive(Debug)]
pub struct MetricSnapshot {
    keys: Vec<u64>,
    metric: Metric,
    version: u64,
}

impl MetricSnapshot {
    /// Current weight key of every graph edge ([`crate::INF_KEY`] = closed).
    pub fn edge_keys(&self) -> &[u64] {
        &self.keys
    }
    /// Number of traffic updates applied before this snapshot (0 = free flow).
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// A travel-time and distance matrix, row-major (`rows` sources × `cols` targets).
#[derive(Debug, Clone, PartialEq)]
pub struct TravelMatrix {
    rows: usize,
    cols: usize,
    keys: Vec<u64>,
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
    /// Length of the fastest path in whole metres (`None` if unreachable).
    pub fn meters(&self, i: usize, j: usize) -> Option<u32> {
        self.dist_dm(i, j)
            .map(|dm| dm / 10 + u32::from(dm % 10 >= 5))
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
    /// Whether only the affected part was re-customized (few changed edges) rather than all.
    pub partial: bool,
    /// Version of the new snapshot.
    pub version: u64,
}

/// A road graph prepared for queries: node order, CCH structure, snapping index and the
/// live (customized) metric.
#[derive(Debug)]
pub struct RoadEngine {
    graph: RoadGraph,
    order: Vec<u32>,
    topo: CchTopology,
    snapper: Snapper,
    base_keys: Vec<u64>,
    live: RwLock<Arc<MetricSnapshot>>,
    writer: Mutex<()>,
}

impl RoadEngine {
    /// Prepares a graph: nested-dissection order, contraction, free-flow customization.
    pub fn prepare(graph: RoadGraph) -> RoadEngine {
        let order = nested_dissection_order(&graph);
        RoadEngine::with_order(graph, order)
    }

    /// Prepares a graph with a given node order (`order[rank] = node`, a permutation).
    pub fn with_order(graph: RoadGraph, order: Vec<u32>) -> RoadEngine {
        let topo = CchTopology::build(&graph, &order);
        let base_keys = graph.base_keys();
        let metric = customize(&topo, &base_keys);
        let snapper = Snapper::new(&graph);
        let live = RwLock::new(Arc::new(MetricSnapshot {
            keys: base_keys.clone(),
            metric,
            version: 0,
        }));
        RoadEngine {
            graph,
            order,
            topo,
            snapper,
            base_keys,
            live,
            writer: Mutex::new(()),
        }
    }

    /// The prepared graph file (graph and order; see [`crate::store`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::store::to_bytes(&self.graph, &self.order)
    }

    /// Loads a prepared graph file's bytes (contraction and customization are redone, the
    /// costly ordering is not).
    pub fn from_bytes(bytes: &[u8]) -> Result<RoadEngine, EngineError> {
        let (graph, order) = crate::store::from_bytes(bytes)?;
        Ok(RoadEngine::with_order(graph, order))
    }

    /// Writes the prepared graph file.
    pub fn save(&self, path: &Path) -> Result<(), EngineError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a prepared graph file.
    pub fn load(path: &Path) -> Result<RoadEngine, EngineError> {
        let bytes = std::fs::read(path).map_err(|source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        RoadEngine::from_bytes(&bytes)
    }

    /// The road graph.
    pub fn graph(&self) -> &RoadGraph {
        &self.graph
    }

    /// The CCH structure.
    pub fn topology(&self) -> &CchTopology {
        &self.topo
    }

    /// The current metric snapshot.
    pub fn snapshot(&self) -> Arc<MetricSnapshot> {
        Arc::clone(&self.live.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Snaps every stop; the first stop out of range or too far from a road is the error.
    pub fn snap_all(&self, stops: &[LatLon], max_snap_m: f64) -> Result<Vec<Snap>, EngineError> {
        stops
            .iter()
            .enumerate()
            .map(|(i, &p)| self.snapper.snap(&self.graph, i, p, max_snap_m))
            .collect()
    }

    /// Travel-time and distance matrix between stops (snapped with `max_snap_m`).
    pub fn matrix(
        &self,
        from: &[LatLon],
        to: &[LatLon],
        max_snap_m: f64,
    ) -> Result<TravelMatrix, EngineError> {
        let s: Vec<NodeId> = self
            .snap_all(from, max_snap_m)?
            .iter()
            .map(|s| s.node)
            .collect();
        let t: Vec<NodeId> = self
            .snap_all(to, max_snap_m)?
            .iter()
            .map(|s| s.node)
            .collect();
        Ok(self.matrix_nodes(&s, &t))
    }

    /// Travel-time and distance matrix between nodes, on the current snapshot.
    pub fn matrix_nodes(&self, from: &[NodeId], to: &[NodeId]) -> TravelMatrix {
        self.matrix_on(&self.snapshot(), from, to)
    }

    /// Travel-time and distance matrix between nodes, on a given snapshot.
    pub fn matrix_on(&self, snap: &MetricSnapshot, from: &[NodeId], to: &[NodeId]) -> TravelMatrix {
        let rank = |v: &NodeId| self.topo.rank[v.0 as usize];
        let s: Vec<u32> = from.iter().map(rank).collect();
        let t: Vec<u32> = to.iter().map(rank).collect();
        TravelMatrix {
            rows: s.len(),
            cols: t.len(),
            keys: many_to_many(&self.topo, &snap.metric, &s, &t),
        }
    }

    /// The fastest route between two nodes (`None` if unreachable).
    pub fn route_nodes(&self, from: NodeId, to: NodeId) -> Option<Route> {
        let snap = self.snapshot();
        let n = self.topo.num_nodes();
        let (mut f, mut b) = (SearchSpace::new(n), SearchSpace::new(n));
        let (key, nodes) = one_to_one(
            &self.topo,
            &snap.metric,
            &mut f,
            &mut b,
            self.topo.rank[from.0 as usize],
            self.topo.rank[to.0 as usize],
        )?;
        let nodes: Vec<NodeId> = nodes.into_iter().map(NodeId).collect();
        let polyline = nodes.iter().map(|&v| self.graph.coord(v)).collect();
        Some(Route {
            travel_ms: key_travel_ms(key)?,
            dist_dm: key_dist_dm(key)?,
            nodes,
            polyline,
        })
    }

    /// The fastest route between two stops (`Ok(None)` if unreachable).
    pub fn route(
        &self,
        from: LatLon,
        to: LatLon,
        max_snap_m: f64,
    ) -> Result<Option<Route>, EngineError> {
        let snaps = self.snap_all(&[from, to], max_snap_m)?;
        Ok(self.route_nodes(snaps[0].node, snaps[1].node))
    }

    /// Applies traffic updates on top of the current state, re-customizes, and publishes the
    /// new metric atomically (readers see the old or the new snapshot, never a mix).
    pub fn apply_traffic(&self, updates: &[TrafficUpdate]) -> Result<TrafficReport, EngineError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.snapshot();
        let mut keys = current.keys.clone();
        let edges_touched = apply_updates(&self.graph, &self.base_keys, &mut keys, updates)?;
        let changed: Vec<usize> = (0..keys.len())
            .filter(|&e| keys[e] != current.keys[e])
            .collect();
        let partial = changed.len() <= self.graph.num_edges() / PARTIAL_MAX_SHARE;
        let metric = if partial {
            customize_partial(&self.topo, &current.metric, &keys, &changed)
        } else {
            customize(&self.topo, &keys)
        };
        let version = current.version + 1;
        let next = Arc::new(MetricSnapshot {
            keys,
            metric,
            version,
        });
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(TrafficReport {
            edges_touched,
            edges_changed: changed.len(),
            partial,
            version,
        })
    }

    /// Free-flow weight keys of all edges.
    pub fn base_keys(&self) -> &[u64] {
        &self.base_keys
    }
}
