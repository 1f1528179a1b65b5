//! Live traffic of one tenant on a shared [`RoadNetwork`].
//!
//! A [`TrafficOverlay`] holds an `Arc` of the network it sits on and its own traffic state:
//! untimed updates, timed updates ([`crate::timed`]) and the metrics re-customized for them.
//! Creating one is cheap: with no update it answers every query with the network's own
//! free-flow and time-of-day metrics (shared `Arc`s, nothing copied or customized). Updates
//! re-customize only this overlay's metrics, so tenants on one network never see each
//! other's traffic. An overlay is `Send + Sync`: readers take an `Arc` of one published
//! state, writers are serialized and publish a new state atomically.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::access::{door_matrix, Access, Door, Ends, PointOptions};
use crate::cch::CchTopology;
use crate::customize::{customize, customize_partial};
use crate::engine::{
    ExpiryReport, MetricSnapshot, Route, TimedTrafficReport, TrafficReport, TravelMatrix,
};
use crate::geo::LatLon;
use crate::graph::{NodeId, RoadGraph, INF_KEY};
use crate::network::RoadNetwork;
use crate::snap::{PointSnap, Snap};
use crate::timed::{day_pieces, PieceKey, TimedEntry, TimedTraffic, TimedTrafficId};
use crate::timeofday::{SpeedProfile, DAY_S};
use crate::traffic::{apply_updates, edge_changes, TrafficUpdate};
use crate::EngineError;

/// Updates changing at most 1/this of the edges are re-customized partially (sequentially);
/// larger ones fully (in parallel).
const PARTIAL_MAX_SHARE: usize = 1000;

/// One side of [`TrafficOverlay::matrix_with`]: `points` with their snaps.
fn snapped_ends<'a>(
    points: &'a [LatLon],
    snaps: &[PointSnap],
    access: Access,
) -> Result<Ends<'a>, EngineError> {
    let legs = snaps
        .iter()
        .enumerate()
        .map(|(i, p)| match p.snapped() {
            Some(s) => access.leg_key(i, s),
            None => Ok(INF_KEY),
        })
        .collect::<Result<Vec<u64>, EngineError>>()?;
    Ok(Ends {
        points,
        legs,
        access_m: snaps
            .iter()
            .map(|p| p.snapped().map_or(0.0, |s| s.node_m))
            .collect(),
        on_road: (0..snaps.len())
            .filter(|&i| snaps[i].snapped().is_some())
            .collect(),
    })
}

/// One side of [`TrafficOverlay::matrix_doors`]: every door is on the road.
fn door_ends<'a>(
    points: &'a [LatLon],
    doors: &[Door],
    access: Access,
) -> Result<Ends<'a>, EngineError> {
    Ok(Ends {
        points,
        legs: doors
            .iter()
            .enumerate()
            .map(|(i, d)| access.leg_key_m(i, d.access_m))
            .collect::<Result<Vec<u64>, EngineError>>()?,
        access_m: doors.iter().map(|d| d.access_m).collect(),
        on_road: (0..doors.len()).collect(),
    })
}

/// Everything readers of one overlay see, published as one.
#[derive(Debug)]
struct LiveState {
    /// The network underneath (its profile gives the slots).
    network: Arc<RoadNetwork>,
    /// Free flow plus this overlay's live traffic (the network's own snapshot while there is
    /// none).
    base: Arc<MetricSnapshot>,
    /// The metric of each profile slot with live traffic on top (the network's slot
    /// snapshots while there is none).
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

/// One tenant's live traffic on a shared [`RoadNetwork`]; queries (`matrix`, `route`,
/// `*_at`) see the network's metrics with this overlay's traffic on top, never another
/// overlay's. [`crate::RoadEngine`] is this type: a network with one overlay.
#[derive(Debug)]
pub struct TrafficOverlay {
    /// The network the overlay was created on (same graph as every published state's).
    root: Arc<RoadNetwork>,
    live: RwLock<Arc<LiveState>>,
    writer: Mutex<()>,
}

impl TrafficOverlay {
    /// An overlay with no traffic on a shared network (cheap: no metric is copied or
    /// customized).
    pub fn new(network: Arc<RoadNetwork>) -> TrafficOverlay {
        let live = LiveState {
            base: network.snapshot(),
            slots: network.slot_snapshots().to_vec(),
            network: Arc::clone(&network),
            timed: Vec::new(),
            periods: Vec::new(),
            next_timed: 0,
            version: 0,
        };
        TrafficOverlay {
            root: network,
            live: RwLock::new(Arc::new(live)),
            writer: Mutex::new(()),
        }
    }

    /// Prepares a graph into a network of its own with one overlay (nested-dissection order,
    /// contraction, free-flow customization).
    pub fn prepare(graph: RoadGraph) -> TrafficOverlay {
        TrafficOverlay::new(Arc::new(RoadNetwork::prepare(graph)))
    }

    /// As [`TrafficOverlay::prepare`] with a given node order (`order[rank] = node`).
    pub fn with_order(graph: RoadGraph, order: Vec<u32>) -> TrafficOverlay {
        TrafficOverlay::new(Arc::new(RoadNetwork::with_order(graph, order)))
    }

    /// Loads a prepared graph file's bytes into a network of its own with one overlay.
    pub fn from_bytes(bytes: &[u8]) -> Result<TrafficOverlay, EngineError> {
        Ok(TrafficOverlay::new(Arc::new(RoadNetwork::from_bytes(
            bytes,
        )?)))
    }

    /// Reads a prepared graph file into a network of its own with one overlay.
    pub fn load(path: &Path) -> Result<TrafficOverlay, EngineError> {
        Ok(TrafficOverlay::new(Arc::new(RoadNetwork::load(path)?)))
    }

    /// The prepared graph file of the network (graph and order; see [`crate::store`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.root.to_bytes()
    }

    /// Writes the prepared graph file of the network.
    pub fn save(&self, path: &Path) -> Result<(), EngineError> {
        self.root.save(path)
    }

    /// The network in force underneath: the one the overlay was created on, or the one with
    /// the profile last set by [`TrafficOverlay::set_speed_profile`].
    pub fn network(&self) -> Arc<RoadNetwork> {
        Arc::clone(&self.state().network)
    }

    /// The road graph.
    pub fn graph(&self) -> &RoadGraph {
        self.root.graph()
    }

    /// The CCH structure.
    pub fn topology(&self) -> &CchTopology {
        self.root.topology()
    }

    /// Free-flow weight keys of all edges.
    pub fn base_keys(&self) -> &[u64] {
        self.root.base_keys()
    }

    fn state(&self) -> Arc<LiveState> {
        Arc::clone(&self.live.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn publish(&self, next: LiveState) {
        *self.live.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
    }

    /// The current metric snapshot outside every time-of-day slot (free flow with this
    /// overlay's live traffic).
    pub fn snapshot(&self) -> Arc<MetricSnapshot> {
        Arc::clone(&self.state().base)
    }

    /// The current metric snapshot in force at `time_s` (seconds since midnight, modulo a
    /// day): the metric of the piece of the day with timed updates in force containing it
    /// (see [`crate::timed`]), else the metric of the profile slot containing it, else
    /// [`TrafficOverlay::snapshot`].
    pub fn snapshot_at(&self, time_s: u32) -> Arc<MetricSnapshot> {
        let state = self.state();
        let t = time_s % DAY_S;
        if let Some(p) = state.periods.iter().find(|p| p.start_s <= t && t < p.end_s) {
            return Arc::clone(&p.snap);
        }
        match state
            .network
            .speed_profile()
            .slot_at(time_s)
            .and_then(|i| state.slots.get(i))
        {
            Some(s) => Arc::clone(s),
            None => Arc::clone(&state.base),
        }
    }

    /// The time-of-day speed profile in force (empty by default).
    pub fn speed_profile(&self) -> SpeedProfile {
        self.state().network.speed_profile().clone()
    }

    /// Snaps every stop; the first stop out of range or too far from a road is the error
    /// (see [`RoadNetwork::snap_all`]).
    pub fn snap_all(&self, stops: &[LatLon], max_snap_m: f64) -> Result<Vec<Snap>, EngineError> {
        self.root.snap_all(stops, max_snap_m)
    }

    /// Travel-time and distance matrix between stops (snapped with `max_snap_m`).
    ///
    /// Errors: a bad snap limit or stop, or more cells than the network's limit
    /// ([`EngineError::MatrixTooLarge`], checked before anything is allocated).
    pub fn matrix(
        &self,
        from: &[LatLon],
        to: &[LatLon],
        max_snap_m: f64,
    ) -> Result<TravelMatrix, EngineError> {
        let snap = self.snapshot();
        self.matrix_points_on(&snap, from, to, max_snap_m)
    }

    /// Travel-time and distance matrix between stops for trips departing at `departure_s`
    /// (seconds since midnight): the metric in force at the departure time times the whole
    /// trip (see [`crate::timeofday`]). Errors as [`TrafficOverlay::matrix`].
    pub fn matrix_at(
        &self,
        from: &[LatLon],
        to: &[LatLon],
        max_snap_m: f64,
        departure_s: u32,
    ) -> Result<TravelMatrix, EngineError> {
        let snap = self.snapshot_at(departure_s);
        self.matrix_points_on(&snap, from, to, max_snap_m)
    }

    /// A road-only travel-time and distance matrix that survives points far from the
    /// roads: each point is snapped on its own, a point farther than `max_snap_m` from every
    /// usable road is [`PointSnap::TooFar`] (with its distance) and its row and column are
    /// unreachable ([`crate::INF_KEY`]), and every other cell is computed. The points' snaps
    /// are returned beside the matrix. Errors: a bad limit, a coordinate out of range, or
    /// more cells than the network's limit (checked before anything is allocated). This is
    /// [`TrafficOverlay::matrix_with`] with [`Access::RoadOnly`].
    pub fn matrix_partial(
        &self,
        from: &[LatLon],
        to: &[LatLon],
        max_snap_m: f64,
    ) -> Result<PartialMatrix, EngineError> {
        self.matrix_with(
            from,
            to,
            &PointOptions {
                max_snap_m,
                access: Access::RoadOnly,
                strict: false,
                departure_s: None,
            },
        )
    }

    /// A matrix between points with the options given: door to door (an access leg between
    /// each door and its road position, see [`crate::access`]) or road only; a point
    /// farther than `opts.max_snap_m` from every usable road fails the request in strict
    /// mode, and is otherwise [`PointSnap::TooFar`] with an unreachable row and column. The
    /// same door as origin and destination (equal coordinates) is 0; two different doors
    /// on the same road position get their two access legs. Every point's snap (road node,
    /// snap and access distances) is returned beside the matrix.
    ///
    /// Errors: a bad limit or access speed (naming the field), a coordinate out of range, a
    /// point too far in strict mode, more cells than the network's limit (checked before
    /// anything is allocated), or an access leg too long to add
    /// ([`EngineError::AccessTooLong`]).
    pub fn matrix_with(
        &self,
        from: &[LatLon],
        to: &[LatLon],
        opts: &PointOptions,
    ) -> Result<PartialMatrix, EngineError> {
        crate::snap::check_snap_limit(opts.max_snap_m)?;
        opts.access.check()?;
        self.root.check_matrix_size(from.len(), to.len())?;
        let snap_points = |points: &[LatLon]| -> Result<Vec<PointSnap>, EngineError> {
            if opts.strict {
                Ok(self
                    .root
                    .snap_all(points, opts.max_snap_m)?
                    .into_iter()
                    .map(PointSnap::Snapped)
                    .collect())
            } else {
                self.root.snap_each(points, opts.max_snap_m)
            }
        };
        let from_snaps = snap_points(from)?;
        let to_snaps = snap_points(to)?;
        let (f, t) = (
            snapped_ends(from, &from_snaps, opts.access)?,
            snapped_ends(to, &to_snaps, opts.access)?,
        );
        let nodes = |snaps: &[PointSnap]| -> Vec<NodeId> {
            snaps
                .iter()
                .filter_map(|p| p.snapped().map(|s| s.node))
                .collect()
        };
        let snapshot = match opts.departure_s {
            Some(time_s) => self.snapshot_at(time_s),
            None => self.snapshot(),
        };
        let inner = self
            .root
            .matrix_on(&snapshot, &nodes(&from_snaps), &nodes(&to_snaps));
        let matrix = door_matrix(&inner, &f, &t, opts.access.is_door_to_door())?;
        Ok(PartialMatrix {
            matrix,
            from: from_snaps,
            to: to_snaps,
        })
    }

    /// The matrix between doors already snapped ([`Door`]), as
    /// [`TrafficOverlay::matrix_with`] gives it on their points with `access` and
    /// `departure_s` (the same door at both ends is 0 door to door; two different doors on
    /// one road position get their access legs). For a caller that keeps its points'
    /// snaps and asks again after a traffic update or with a new point (the doors' nodes
    /// come from this network's snaps, like [`TrafficOverlay::matrix_nodes`]'s). Errors: a
    /// bad access speed, more cells than the network's limit (checked before anything is
    /// allocated), or an access leg too long ([`EngineError::AccessTooLong`]).
    pub fn matrix_doors(
        &self,
        from: &[Door],
        to: &[Door],
        access: Access,
        departure_s: Option<u32>,
    ) -> Result<TravelMatrix, EngineError> {
        access.check()?;
        self.root.check_matrix_size(from.len(), to.len())?;
        let points = |doors: &[Door]| doors.iter().map(|d| d.point).collect::<Vec<_>>();
        let (fp, tp) = (points(from), points(to));
        let (f, t) = (door_ends(&fp, from, access)?, door_ends(&tp, to, access)?);
        let snapshot = match departure_s {
            Some(time_s) => self.snapshot_at(time_s),
            None => self.snapshot(),
        };
        let nodes = |doors: &[Door]| doors.iter().map(|d| d.node).collect::<Vec<_>>();
        let inner = self.root.matrix_on(&snapshot, &nodes(from), &nodes(to));
        door_matrix(&inner, &f, &t, access.is_door_to_door())
    }

    /// The fastest trip between two points with the options given (`Ok(None)` if the roads
    /// do not connect them). Door to door, the route's time and length include both access
    /// legs and its polyline starts at the first door and ends at the second (the nodes are
    /// the road nodes only); the same door twice is a route of 0. A point too far from the
    /// roads is always an error (`opts.strict` is not consulted). Errors as
    /// [`TrafficOverlay::matrix_with`].
    pub fn route_with(
        &self,
        from: LatLon,
        to: LatLon,
        opts: &PointOptions,
    ) -> Result<Option<Route>, EngineError> {
        opts.access.check()?;
        let snaps = self.snap_all(&[from, to], opts.max_snap_m)?;
        let snapshot = match opts.departure_s {
            Some(time_s) => self.snapshot_at(time_s),
            None => self.snapshot(),
        };
        if opts.access.is_door_to_door() && from == to {
            return Ok(Some(Route {
                travel_ms: 0,
                dist_dm: 0,
                nodes: vec![snaps[0].node],
                polyline: vec![from],
            }));
        }
        let Some(road) = self.route_on(&snapshot, snaps[0].node, snaps[1].node) else {
            return Ok(None);
        };
        if !opts.access.is_door_to_door() {
            return Ok(Some(road));
        }
        let key = crate::access::add_legs(
            crate::graph::pack_key(road.travel_ms, road.dist_dm),
            opts.access.leg_key(0, &snaps[0])?,
            opts.access.leg_key(1, &snaps[1])?,
        )
        .ok_or(EngineError::AccessTooLong {
            index: 0,
            distance_m: snaps[0].node_m,
        })?;
        let mut polyline = Vec::with_capacity(road.polyline.len() + 2);
        polyline.push(from);
        polyline.extend(road.polyline);
        polyline.push(to);
        Ok(Some(Route {
            travel_ms: crate::graph::key_travel_ms(key).unwrap_or(u32::MAX),
            dist_dm: crate::graph::key_dist_dm(key).unwrap_or(u32::MAX),
            nodes: road.nodes,
            polyline,
        }))
    }

    fn matrix_points_on(
        &self,
        snap: &MetricSnapshot,
        from: &[LatLon],
        to: &[LatLon],
        max_snap_m: f64,
    ) -> Result<TravelMatrix, EngineError> {
        crate::snap::check_snap_limit(max_snap_m)?;
        self.root.check_matrix_size(from.len(), to.len())?;
        let s = self.root.snap_nodes(from, max_snap_m)?;
        let t = self.root.snap_nodes(to, max_snap_m)?;
        Ok(self.root.matrix_on(snap, &s, &t))
    }

    /// Travel-time and distance matrix between nodes, on the current snapshot (outside every
    /// time-of-day slot). Does not check the cell limit: see
    /// [`TrafficOverlay::try_matrix_nodes`].
    pub fn matrix_nodes(&self, from: &[NodeId], to: &[NodeId]) -> TravelMatrix {
        self.matrix_on(&self.snapshot(), from, to)
    }

    /// As [`TrafficOverlay::matrix_nodes`], after checking the cell limit
    /// ([`EngineError::MatrixTooLarge`]).
    pub fn try_matrix_nodes(
        &self,
        from: &[NodeId],
        to: &[NodeId],
    ) -> Result<TravelMatrix, EngineError> {
        self.root.check_matrix_size(from.len(), to.len())?;
        Ok(self.matrix_nodes(from, to))
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
        self.root.matrix_on(snap, from, to)
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
        self.root.route_on(snap, from, to)
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

    /// The fastest route between two stops departing at `departure_s` (`Ok(None)` if
    /// unreachable).
    pub fn route_at(
        &self,
        from: LatLon,
        to: LatLon,
        max_snap_m: f64,
        departure_s: u32,
    ) -> Result<Option<Route>, EngineError> {
        let snaps = self.snap_all(&[from, to], max_snap_m)?;
        Ok(self.route_nodes_at(snaps[0].node, snaps[1].node, departure_s))
    }

    /// Applies traffic updates on top of this overlay's current state, re-customizes (the
    /// metric outside the time-of-day slots and each slot's metric), and publishes the new
    /// metrics atomically (readers see the old or the new state, never a mix). Other overlays
    /// on the same network are not affected.
    ///
    /// Errors: [`EngineError::BadTraffic`] naming the update's field (`updates[3].change`);
    /// nothing is applied on error.
    pub fn apply_traffic(&self, updates: &[TrafficUpdate]) -> Result<TrafficReport, EngineError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let state = self.state();
        let current = &state.base;
        let mut keys = current.keys.clone();
        let edges_touched = apply_updates(self.graph(), self.base_keys(), &mut keys, updates)
            .map_err(EngineError::BadTraffic)?;
        let changed: Vec<usize> = (0..keys.len())
            .filter(|&e| keys[e] != current.keys[e])
            .collect();
        let version = state.version + 1;
        let (base, partial) = self.recustomize(current, keys, &changed, version);
        let slots = state
            .network
            .slot_snapshots()
            .iter()
            .zip(&state.slots)
            .map(|(profile, old)| {
                let effective = self.overlay(&profile.keys, &base.keys);
                let slot_changed: Vec<usize> = changed
                    .iter()
                    .copied()
                    .filter(|&e| effective[e] != old.keys[e])
                    .collect();
                self.recustomize(old, effective, &slot_changed, version).0
            })
            .collect::<Vec<_>>();
        let (periods, customized) = self.build_periods(
            &base,
            state.network.speed_profile(),
            &slots,
            &state.timed,
            &[],
            version,
        );
        let metrics = 1 + state.slots.len() + customized;
        self.publish(LiveState {
            network: Arc::clone(&state.network),
            base,
            slots,
            timed: state.timed.clone(),
            periods,
            next_timed: state.next_timed,
            version,
        });
        Ok(TrafficReport {
            edges_touched,
            edges_changed: changed.len(),
            partial,
            metrics,
            version,
        })
    }

    /// Sets the time-of-day speed profile of this overlay (an empty profile removes it): the
    /// overlay moves onto [`RoadNetwork::with_speed_profile`] of its network (sharing the
    /// graph, CCH and snapper; other overlays keep theirs), each slot's metric gets this
    /// overlay's live traffic on top, and the new state is published atomically. Returns the
    /// number of slot metrics.
    ///
    /// Errors: [`EngineError::BadProfile`] naming the slot and field.
    pub fn set_speed_profile(&self, profile: SpeedProfile) -> Result<usize, EngineError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let state = self.state();
        let network = Arc::new(state.network.with_speed_profile(profile)?);
        let version = state.version;
        let live_free = Arc::ptr_eq(&state.base, &state.network.snapshot());
        let slots: Vec<Arc<MetricSnapshot>> = network
            .slot_snapshots()
            .iter()
            .map(|p| {
                if live_free {
                    return Arc::clone(p);
                }
                let keys = self.overlay(&p.keys, &state.base.keys);
                let metric = customize(self.topology(), &keys);
                Arc::new(MetricSnapshot {
                    keys,
                    metric,
                    version,
                })
            })
            .collect();
        let count = slots.len();
        let (periods, _) = self.build_periods(
            &state.base,
            network.speed_profile(),
            &slots,
            &state.timed,
            &[],
            version,
        );
        self.publish(LiveState {
            network,
            base: Arc::clone(&state.base),
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
    /// interval (`*_at`, [`TrafficOverlay::snapshot_at`]) see them, others do not; queries
    /// without a departure time never do. Only the pieces of the day whose slot and updates in
    /// force change get a new metric (partially re-customized from the slot's metric when few
    /// edges differ); the new state is published atomically. Overlapping timed updates
    /// compose as described in [`crate::timed`] (the latest applied wins on a shared edge).
    ///
    /// Errors ([`EngineError::BadUpdate`], naming the field): an empty or out-of-day
    /// interval, no update, a speed factor not in (0, 10] (NaN, negative, zero), an unknown
    /// edge or way. Nothing is applied on error.
    pub fn apply_timed_traffic(
        &self,
        timed: &TimedTraffic,
    ) -> Result<TimedTrafficReport, EngineError> {
        timed.validate()?;
        let changes = edge_changes(self.graph(), self.base_keys(), &timed.updates)?;
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
            state.network.speed_profile(),
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
    /// as [`TrafficOverlay::expire_traffic`] otherwise.
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
            state.network.speed_profile(),
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
        self.publish(LiveState {
            network: Arc::clone(&state.network),
            base: Arc::clone(&state.base),
            slots: state.slots.clone(),
            timed,
            periods,
            next_timed,
            version,
        });
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
            .zip(self.base_keys())
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
        let partial = changed.len() <= self.graph().num_edges() / PARTIAL_MAX_SHARE;
        let metric = if partial {
            customize_partial(self.topology(), &old.metric, &keys, changed)
        } else {
            customize(self.topology(), &keys)
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
}

/// A road network of its own with one traffic overlay: what single-tenant callers use.
/// Several tenants on one network share an `Arc<`[`RoadNetwork`]`>` and each create a
/// [`TrafficOverlay`] on it instead.
pub type RoadEngine = TrafficOverlay;
/// A matrix in which points too far from the roads are unreachable instead of failing the
/// whole request ([`TrafficOverlay::matrix_partial`]).
#[derive(Debug, Clone)]
pub struct PartialMatrix {
    /// The full matrix, `from.len()` × `to.len()`; a row or column of a point too far from
    /// the roads is unreachable.
    pub matrix: TravelMatrix,
    /// How each origin met the roads.
    pub from: Vec<PointSnap>,
    /// How each destination met the roads.
    pub to: Vec<PointSnap>,
}
