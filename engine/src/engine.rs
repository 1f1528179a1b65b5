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
use crate::timed::{day_pieces, PieceKey, TimedEntry, TimedTraffic, TimedTrafficId};
use crate::timeofday::{SpeedProfile, DAY_S};
use crate::traffic::{apply_updates, edge_changes, TrafficUpdate};
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
    /// Timed updates in force, in application order (see [`crate::timed`]).
    timed: Vec<Arc<TimedEntry>>,
    /// Pieces of the day with a timed update in force, in time order, with their metrics.
    periods: Vec<Period>,
    /// Id of the next timed update.
    next_timed: u64,
    /// Version of the newest snapshot.
    version: u64,
}

/// A piece of the day with timed updates in force and its metric.
#[derive(Debug, Clone)]
struct Period {
    start_s: u32,
    end_s: u32,
    key: PieceKey,
    snap: Arc<MetricSnapshot>,
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
    /// Metrics re-customized: 1 plus the number of time-of-day slots plus the number of
    /// metrics of pieces of the day with timed updates in force.
    pub metrics: usize,
    /// Version of the new snapshot.
    pub version: u64,
}

/// What a timed traffic update did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedTrafficReport {
    /// The update's id (for [`RoadEngine::remove_timed_traffic`]).
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
            timed: Vec::new(),
            periods: Vec::new(),
            next_timed: 0,
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

    fn state(&self) -> Arc<LiveState> {
        Arc::clone(&self.live.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The current metric snapshot outside every time-of-day slot (free flow with live
    /// traffic).
    pub fn snapshot(&self) -> Arc<MetricSnapshot> {
        Arc::clone(&self.state().base)
    }

    /// The current metric snapshot in force at `time_s` (seconds since midnight, modulo a
    /// day): the metric of the piece of the day with timed updates in force containing it
    /// (see [`crate::timed`]), else the metric of the profile slot containing it, else
    /// [`RoadEngine::snapshot`].
    pub fn snapshot_at(&self, time_s: u32) -> Arc<MetricSnapshot> {
        let state = self.state();
        let t = time_s % DAY_S;
        if let Some(p) = state.periods.iter().find(|p| p.start_s <= t && t < p.end_s) {
            return Arc::clone(&p.snap);
        }
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
        let version = state.version + 1;
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
            .collect::<Vec<_>>();
        let (periods, customized) =
            self.build_periods(&base, &state.profile, &slots, &state.timed, &[], version);
        let metrics = 1 + state.slots.len() + customized;
        let next = Arc::new(LiveState {
            base,
            profile: state.profile.clone(),
            profile_keys: state.profile_keys.clone(),
            slots,
            timed: state.timed.clone(),
            periods,
            next_timed: state.next_timed,
            version,
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
        let version = state.version;
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
        let (periods, _) =
            self.build_periods(&state.base, &profile, &slots, &state.timed, &[], version);
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(LiveState {
            base: Arc::clone(&state.base),
            profile,
            profile_keys,
            slots,
            timed: state.timed.clone(),
            periods,
            next_timed: state.next_timed,
            version,
        });
        Ok(count)
    }

    /// Applies traffic updates in force only during `[timed.start_s, timed.end_s)` (seconds
    /// since midnight, the clock of the speed profile): queries with a departure time in the
    /// interval (`*_at`, [`RoadEngine::snapshot_at`]) see them, others do not; queries without
    /// a departure time never do. Only the pieces of the day whose slot and updates in force
    /// change get a new metric (partially re-customized from the slot's metric when few edges
    /// differ); the new state is published atomically. Overlapping timed updates compose as
    /// described in [`crate::timed`] (the latest applied wins on a shared edge).
    ///
    /// Errors ([`EngineError::BadUpdate`], naming the field): an empty or out-of-day
    /// interval, no update, a speed factor not in (0, 10] (NaN, negative, zero), an unknown
    /// edge or way. Nothing is applied on error.
    pub fn apply_timed_traffic(
        &self,
        timed: &TimedTraffic,
    ) -> Result<TimedTrafficReport, EngineError> {
        timed.validate()?;
        let changes = edge_changes(&self.graph, &self.base_keys, &timed.updates)?;
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let state = self.state();
        let id = TimedTrafficId(state.next_timed);
        let version = state.version + 1;
        let edges_touched = changes.len();
        let mut entries = state.timed.clone();
        entries.push(Arc::new(TimedEntry {
            id,
            start_s: timed.start_s,
            end_s: timed.end_s,
            changes,
        }));
        let (periods, customized) = self.build_periods(
            &state.base,
            &state.profile,
            &state.slots,
            &entries,
            &state.periods,
            version,
        );
        let report = TimedTrafficReport {
            id,
            edges_touched,
            periods: periods.len(),
            customized,
            version,
        };
        self.publish_timed(&state, entries, periods, state.next_timed + 1, version);
        Ok(report)
    }

    /// Drops the timed updates whose interval has ended by `now_s` (`end_s <= now_s`;
    /// seconds since midnight of the same day, so `now_s >= 86_400` drops them all) and
    /// re-customizes only the pieces of the day that change; pieces left without a timed
    /// update use their slot's metric again, so the times before the update come back
    /// exactly. Published atomically.
    pub fn expire_traffic(&self, now_s: u32) -> ExpiryReport {
        self.drop_timed(|t| t.end_s <= now_s)
    }

    /// Drops the given timed updates now, whatever their interval (unknown ids are ignored);
    /// as [`RoadEngine::expire_traffic`] otherwise.
    pub fn remove_timed_traffic(&self, ids: &[TimedTrafficId]) -> ExpiryReport {
        self.drop_timed(|t| ids.contains(&t.id))
    }

    /// The timed updates in force: id and interval `(start_s, end_s)`, in application order.
    pub fn timed_traffic(&self) -> Vec<(TimedTrafficId, u32, u32)> {
        self.state()
            .timed
            .iter()
            .map(|t| (t.id, t.start_s, t.end_s))
            .collect()
    }

    fn drop_timed(&self, gone: impl Fn(&TimedEntry) -> bool) -> ExpiryReport {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let state = self.state();
        let removed: Vec<TimedTrafficId> = state
            .timed
            .iter()
            .filter(|t| gone(t))
            .map(|t| t.id)
            .collect();
        if removed.is_empty() {
            return ExpiryReport {
                removed,
                periods: state.periods.len(),
                customized: 0,
                version: state.version,
            };
        }
        let entries: Vec<Arc<TimedEntry>> =
            state.timed.iter().filter(|t| !gone(t)).cloned().collect();
        let version = state.version + 1;
        let (periods, customized) = self.build_periods(
            &state.base,
            &state.profile,
            &state.slots,
            &entries,
            &state.periods,
            version,
        );
        let report = ExpiryReport {
            removed,
            periods: periods.len(),
            customized,
            version,
        };
        self.publish_timed(&state, entries, periods, state.next_timed, version);
        report
    }

    /// Publishes `state` with new timed updates and periods (base and slots unchanged).
    fn publish_timed(
        &self,
        state: &LiveState,
        timed: Vec<Arc<TimedEntry>>,
        periods: Vec<Period>,
        next_timed: u64,
        version: u64,
    ) {
        let next = Arc::new(LiveState {
            base: Arc::clone(&state.base),
            profile: state.profile.clone(),
            profile_keys: state.profile_keys.clone(),
            slots: state.slots.clone(),
            timed,
            periods,
            next_timed,
            version,
        });
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = next;
    }

    /// The pieces of the day with timed updates in force and their metrics: a piece whose
    /// slot and updates in force equal those of a piece in `reuse` (still valid: same base
    /// and slot metrics) or of an earlier piece keeps that metric; any other is customized
    /// from its slot's metric (or the base metric) with the timed changes on top. Returns
    /// the pieces and the number of metrics customized.
    fn build_periods(
        &self,
        base: &Arc<MetricSnapshot>,
        profile: &SpeedProfile,
        slots: &[Arc<MetricSnapshot>],
        timed: &[Arc<TimedEntry>],
        reuse: &[Period],
        version: u64,
    ) -> (Vec<Period>, usize) {
        let mut out: Vec<Period> = Vec::new();
        let mut customized = 0;
        for (start_s, end_s, key) in day_pieces(profile, timed) {
            let known = out
                .iter()
                .chain(reuse)
                .find(|p| p.key == key)
                .map(|p| Arc::clone(&p.snap));
            let snap = match known {
                Some(snap) => snap,
                None => {
                    let source = key.slot.and_then(|i| slots.get(i)).unwrap_or(base);
                    let mut keys = source.keys.clone();
                    let mut touched: Vec<usize> = Vec::new();
                    for entry in timed.iter().filter(|t| key.active.contains(&t.id)) {
                        for &(e, k) in &entry.changes {
                            keys[e as usize] = k;
                            touched.push(e as usize);
                        }
                    }
                    touched.sort_unstable();
                    touched.dedup();
                    touched.retain(|&e| keys[e] != source.keys[e]);
                    customized += 1;
                    self.recustomize(source, keys, &touched, version).0
                }
            };
            out.push(Period {
                start_s,
                end_s,
                key,
                snap,
            });
        }
        (out, customized)
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
