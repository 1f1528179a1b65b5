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
use crate::timeofday::SpeedProfile;
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
    /// Number of traffic updates and profile changes applied before this snapshot (0 = free
    /// flow).
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// Everything readers see, published as one: the metric outside every profile slot (free
/// flow with live traffic) and one metric per slot of the speed profile.
#[derive(Debug)]
struct LiveState {
    /// Free flow plus live traffic.
    base: Arc<MetricSnapshot>,
    /// The time-of-day profile in force.
    profile: SpeedProfile,
    /// Edge keys of each slot from the profile alone (free flow plus the slot's changes).
    profile_keys: Vec<Vec<u64>>,
    /// The customized metric of each slot (profile keys, live traffic on top).
    slots: Vec<Arc<MetricSnapshot>>,
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
    /// Whether only the affected part was re-customized (few changed edges) rather than all
    /// (for the metric outside the profile's slots).
    pub partial: bool,
    /// Metrics re-customized: 1 plus the number of time-of-day slots.
    pub metrics: usize,
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
    live: RwLock<Arc<LiveState>>,
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
        let live = RwLock::new(Arc::new(LiveState {
            base: Arc::new(MetricSnapshot {
                keys: base_keys.clone(),
                metric,
                version: 0,
            }),
            profile: SpeedProfile::default(),
            profile_keys: Vec::new(),
            slots: Vec::new(),
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

    fn state(&self) -> Arc<LiveState> {
        Arc::clone(&self.live.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The current metric snapshot outside every time-of-day slot (free flow with live
    /// traffic).
    pub fn snapshot(&self) -> Arc<MetricSnapshot> {
        Arc::clone(&self.state().base)
    }

    /// The current metric snapshot in force at `time_s` (seconds since midnight, modulo a
    /// day): the metric of the profile slot containing it, else [`RoadEngine::snapshot`].
    pub fn snapshot_at(&self, time_s: u32) -> Arc<MetricSnapshot> {
        let state = self.state();
        match state.profile.slot_at(time_s) {
            Some(i) => Arc::clone(&state.slots[i]),
            None => Arc::clone(&state.base),
        }
    }

    /// The time-of-day speed profile in force (empty by default).
    pub fn speed_profile(&self) -> SpeedProfile {
        self.state().profile.clone()
    }

    /// Snaps every stop; the first stop out of range or too far from a road is the error.
    pub fn snap_all(&self, stops: &[LatLon], max_snap_m: f64) -> Result<Vec<Snap>, EngineError> {
        stops
            .iter()
            .enumerate()
            .map(|(i, &p)| self.snapper.snap(&self.graph, i, p, max_snap_m))
            .collect()
    }

    /// The road node each point snaps to (within `max_snap_m`).
    fn snap_nodes(&self, points: &[LatLon], max_snap_m: f64) -> Result<Vec<NodeId>, EngineError> {
        Ok(self
            .snap_all(points, max_snap_m)?
            .iter()
            .map(|s| s.node)
            .collect())
    }

    /// Travel-time and distance matrix between stops (snapped with `max_snap_m`).
    pub fn matrix(
        &self,
        from: &[LatLon],
        to: &[LatLon],
        max_snap_m: f64,
    ) -> Result<TravelMatrix, EngineError> {
        let s = self.snap_nodes(from, max_snap_m)?;
        let t = self.snap_nodes(to, max_snap_m)?;
        Ok(self.matrix_nodes(&s, &t))
    }

    /// Travel-time and distance matrix between stops for trips departing at `departure_s`
    /// (seconds since midnight): the metric of the speed-profile slot containing the
    /// departure time times the whole trip (see [`crate::timeofday`]).
    pub fn matrix_at(
        &self,
        from: &[LatLon],
        to: &[LatLon],
        max_snap_m: f64,
        departure_s: u32,
    ) -> Result<TravelMatrix, EngineError> {
        let snap = self.snapshot_at(departure_s);
        let s = self.snap_nodes(from, max_snap_m)?;
        let t = self.snap_nodes(to, max_snap_m)?;
        Ok(self.matrix_on(&snap, &s, &t))
    }

    /// Travel-time and distance matrix between nodes, on the current snapshot (outside every
    /// time-of-day slot).
    pub fn matrix_nodes(&self, from: &[NodeId], to: &[NodeId]) -> TravelMatrix {
        self.matrix_on(&self.snapshot(), from, to)
    }

    /// Travel-time and distance matrix between nodes for trips departing at `departure_s`
    /// (seconds since midnight), on the metric in force then.
    pub fn matrix_nodes_at(
        &self,
        from: &[NodeId],
        to: &[NodeId],
        departure_s: u32,
    ) -> TravelMatrix {
        self.matrix_on(&self.snapshot_at(departure_s), from, to)
    }

    /// Travel-time and distance matrix between nodes, on a given snapshot.
    pub fn matrix_on(&self, snap: &MetricSnapshot, from: &[NodeId], to: &[NodeId]) -> TravelMatrix {
        // Trips start at the road node and end at it or any turn-restriction arrival copy.
        let rank = |v: NodeId| self.topo.rank[v.0 as usize];
        let s: Vec<u32> = from
            .iter()
            .map(|&v| rank(self.graph.original_node(v)))
            .collect();
        let t: Vec<(u32, u32)> = if self.graph.num_turn_copies() == 0 {
            to.iter()
                .enumerate()
                .map(|(j, &v)| (rank(v), j as u32))
                .collect()
        } else {
            to.iter()
                .enumerate()
                .flat_map(|(j, &v)| {
                    self.graph
                        .arrival_nodes(v)
                        .into_iter()
                        .map(move |a| (rank(a), j as u32))
                })
                .collect()
        };
        TravelMatrix {
            rows: s.len(),
            cols: to.len(),
            keys: many_to_many(&self.topo, &snap.metric, &s, &t, to.len()),
        }
    }

    /// The fastest route between two nodes (`None` if unreachable), outside every
    /// time-of-day slot.
    pub fn route_nodes(&self, from: NodeId, to: NodeId) -> Option<Route> {
        self.route_on(&self.snapshot(), from, to)
    }

    /// The fastest route between two nodes departing at `departure_s` (seconds since
    /// midnight), on the metric in force then.
    pub fn route_nodes_at(&self, from: NodeId, to: NodeId, departure_s: u32) -> Option<Route> {
        self.route_on(&self.snapshot_at(departure_s), from, to)
    }

    /// The fastest route between two nodes on a given snapshot (`None` if unreachable).
    pub fn route_on(&self, snap: &MetricSnapshot, from: NodeId, to: NodeId) -> Option<Route> {
        let n = self.topo.num_nodes();
        let (mut f, mut b) = (SearchSpace::new(n), SearchSpace::new(n));
        let source = self.topo.rank[self.graph.original_node(from).0 as usize];
        // The best arrival: the road node or one of its turn-restriction arrival copies.
        let (key, nodes) = self
            .graph
            .arrival_nodes(to)
            .into_iter()
            .filter_map(|t| {
                one_to_one(
                    &self.topo,
                    &snap.metric,
                    &snap.keys,
                    &mut f,
                    &mut b,
                    source,
                    self.topo.rank[t.0 as usize],
                )
            })
            .min_by_key(|(key, _)| *key)?;
        let nodes: Vec<NodeId> = nodes
            .into_iter()
            .map(|v| self.graph.original_node(NodeId(v)))
            .collect();
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

    /// Applies traffic updates on top of the current state, re-customizes (the metric
    /// outside the time-of-day slots and each slot's metric), and publishes the new metrics
    /// atomically (readers see the old or the new state, never a mix).
    pub fn apply_traffic(&self, updates: &[TrafficUpdate]) -> Result<TrafficReport, EngineError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let state = self.state();
        let current = &state.base;
        let mut keys = current.keys.clone();
        let edges_touched = apply_updates(&self.graph, &self.base_keys, &mut keys, updates)?;
        let changed: Vec<usize> = (0..keys.len())
            .filter(|&e| keys[e] != current.keys[e])
            .collect();
        let version = current.version + 1;
        let (base, partial) = self.recustomize(current, keys, &changed, version);
        let slots = state
            .profile_keys
            .iter()
            .zip(&state.slots)
            .map(|(profile, old)| {
                let effective = self.overlay(profile, &base.keys);
                let slot_changed: Vec<usize> = changed
                    .iter()
                    .copied()
                    .filter(|&e| effective[e] != old.keys[e])
                    .collect();
                self.recustomize(old, effective, &slot_changed, version).0
            })
            .collect();
        let metrics = 1 + state.slots.len();
        let next = Arc::new(LiveState {
            base,
            profile: state.profile.clone(),
            profile_keys: state.profile_keys.clone(),
            slots,
        });
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(TrafficReport {
            edges_touched,
            edges_changed: changed.len(),
            partial,
            metrics,
            version,
        })
    }

    /// Sets the time-of-day speed profile (an empty profile removes it): one metric per slot
    /// is customized (the slot's changes on free flow, live traffic on top) and the new state
    /// is published atomically. Returns the number of slot metrics.
    pub fn set_speed_profile(&self, profile: SpeedProfile) -> Result<usize, EngineError> {
        profile.validate()?;
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let state = self.state();
        let version = state.base.version;
        let mut profile_keys = Vec::with_capacity(profile.slots.len());
        for (i, slot) in profile.slots.iter().enumerate() {
            let mut keys = self.base_keys.clone();
            apply_updates(&self.graph, &self.base_keys, &mut keys, &slot.updates)
                .map_err(|e| EngineError::BadProfile(format!("slot {i}: {e}")))?;
            profile_keys.push(keys);
        }
        let slots: Vec<Arc<MetricSnapshot>> = profile_keys
            .iter()
            .map(|p| {
                let keys = self.overlay(p, &state.base.keys);
                let metric = customize(&self.topo, &keys);
                Arc::new(MetricSnapshot {
                    keys,
                    metric,
                    version,
                })
            })
            .collect();
        let count = slots.len();
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(LiveState {
            base: Arc::clone(&state.base),
            profile,
            profile_keys,
            slots,
        });
        Ok(count)
    }

    /// Effective keys of a slot: the profile's key, except where live traffic changed an
    /// edge away from free flow (the live key wins).
    fn overlay(&self, profile: &[u64], live: &[u64]) -> Vec<u64> {
        profile
            .iter()
            .zip(live)
            .zip(&self.base_keys)
            .map(|((&p, &l), &b)| if l != b { l } else { p })
            .collect()
    }

    /// A new snapshot for `keys` from `old` (customized for `old.keys`), partially when few
    /// edges changed; also says whether it was partial.
    fn recustomize(
        &self,
        old: &MetricSnapshot,
        keys: Vec<u64>,
        changed: &[usize],
        version: u64,
    ) -> (Arc<MetricSnapshot>, bool) {
        let partial = changed.len() <= self.graph.num_edges() / PARTIAL_MAX_SHARE;
        let metric = if partial {
            customize_partial(&self.topo, &old.metric, &keys, changed)
        } else {
            customize(&self.topo, &keys)
        };
        (
            Arc::new(MetricSnapshot {
                keys,
                metric,
                version,
            }),
            partial,
        )
    }

    /// Free-flow weight keys of all edges.
    pub fn base_keys(&self) -> &[u64] {
        &self.base_keys
    }
}
