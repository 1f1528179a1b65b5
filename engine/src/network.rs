//! The shared, immutable part of the road engine: a prepared graph (CCH topology, snapper,
//! free-flow and time-of-day metrics) that any number of tenants query through their own
//! [`crate::TrafficOverlay`].
//!
//! A [`RoadNetwork`] never changes after it is built; put it in an `Arc` and hand it to every
//! tenant. Live traffic is not here: it belongs to an overlay, so one tenant's jam never changes
//! another tenant's matrices.

use std::path::Path;
use std::sync::Arc;

use crate::cch::CchTopology;
use crate::customize::customize;
use crate::engine::{MetricSnapshot, Route, TravelMatrix};
use crate::geo::LatLon;
use crate::graph::{key_dist_dm, key_travel_ms, NodeId, RoadGraph};
use crate::order::nested_dissection_order;
use crate::query::{many_to_many, one_to_one, SearchSpace};
use crate::snap::{PointSnap, Snap, Snapper};
use crate::timeofday::SpeedProfile;
use crate::traffic::apply_updates;
use crate::EngineError;

/// Default limit on the cells (rows × columns) of one many-to-many matrix: 25 million, i.e.
/// 5,000 × 5,000 points. A cell is one `u64` weight key (8 bytes), so the result is at most
/// 200 MB, and the bucket search keeps about as much again; the CLI and a service stay within
/// a bounded, predictable memory. A 12,000-point matrix (144 million cells, over 1 GB) is
/// refused before anything is allocated; raise the limit with
/// [`RoadNetwork::with_max_matrix_cells`] where the memory is there.
pub const DEFAULT_MAX_MATRIX_CELLS: usize = 25_000_000;

/// The parts of a prepared network that every speed profile shares.
#[derive(Debug)]
struct Prepared {
    graph: RoadGraph,
    order: Vec<u32>,
    topo: CchTopology,
    snapper: Snapper,
    base_keys: Vec<u64>,
}

/// A prepared road network: graph, CCH structure, snapping index, the free-flow metric and
/// one metric per slot of its time-of-day speed profile. Immutable once built; cloning is
/// cheap (the graph, CCH and metrics are shared behind `Arc`s).
#[derive(Debug, Clone)]
pub struct RoadNetwork {
    prepared: Arc<Prepared>,
    base: Arc<MetricSnapshot>,
    profile: SpeedProfile,
    /// The customized metric of each profile slot (free flow plus the slot's changes).
    slots: Vec<Arc<MetricSnapshot>>,
    max_matrix_cells: usize,
}

impl RoadNetwork {
    /// Prepares a graph: nested-dissection order, contraction, free-flow customization.
    pub fn prepare(graph: RoadGraph) -> RoadNetwork {
        let order = nested_dissection_order(&graph);
        RoadNetwork::with_order(graph, order)
    }

    /// Prepares a graph with a given node order (`order[rank] = node`, a permutation).
    pub fn with_order(graph: RoadGraph, order: Vec<u32>) -> RoadNetwork {
        let topo = CchTopology::build(&graph, &order);
        let base_keys = graph.base_keys();
        let metric = customize(&topo, &base_keys);
        let snapper = Snapper::new(&graph);
        let base = Arc::new(MetricSnapshot {
            keys: base_keys.clone(),
            metric,
            version: 0,
        });
        RoadNetwork {
            prepared: Arc::new(Prepared {
                graph,
                order,
                topo,
                snapper,
                base_keys,
            }),
            base,
            profile: SpeedProfile::default(),
            slots: Vec::new(),
            max_matrix_cells: DEFAULT_MAX_MATRIX_CELLS,
        }
    }

    /// Loads a prepared graph file's bytes (contraction and customization are redone, the
    /// costly ordering is not).
    pub fn from_bytes(bytes: &[u8]) -> Result<RoadNetwork, EngineError> {
        let (graph, order) = crate::store::from_bytes(bytes)?;
        Ok(RoadNetwork::with_order(graph, order))
    }

    /// Reads a prepared graph file.
    pub fn load(path: &Path) -> Result<RoadNetwork, EngineError> {
        let bytes = std::fs::read(path).map_err(|source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        RoadNetwork::from_bytes(&bytes)
    }

    /// The prepared graph file (graph and order; see [`crate::store`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::store::to_bytes(&self.prepared.graph, &self.prepared.order)
    }

    /// Writes the prepared graph file.
    pub fn save(&self, path: &Path) -> Result<(), EngineError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| EngineError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// This network with a time-of-day speed profile (an empty profile removes it): one
    /// metric per slot is customized (the slot's changes on free flow). The graph, CCH and
    /// snapper are shared with `self`, which is unchanged.
    ///
    /// Errors: [`EngineError::BadProfile`] naming the slot (and the update's field).
    pub fn with_speed_profile(&self, profile: SpeedProfile) -> Result<RoadNetwork, EngineError> {
        profile.validate()?;
        let p = &self.prepared;
        let mut slots = Vec::with_capacity(profile.slots.len());
        for (i, slot) in profile.slots.iter().enumerate() {
            let mut keys = p.base_keys.clone();
            apply_updates(&p.graph, &p.base_keys, &mut keys, &slot.updates).map_err(|fault| {
                EngineError::BadProfile {
                    path: format!("slots[{i}].{}", fault.path()),
                    reason: "invalid update".into(),
                    source: Some(fault),
                }
            })?;
            let metric = customize(&p.topo, &keys);
            slots.push(Arc::new(MetricSnapshot {
                keys,
                metric,
                version: 0,
            }));
        }
        Ok(RoadNetwork {
            prepared: Arc::clone(&self.prepared),
            base: Arc::clone(&self.base),
            profile,
            slots,
            max_matrix_cells: self.max_matrix_cells,
        })
    }

    /// This network with another limit on the cells of one many-to-many matrix (see
    /// [`DEFAULT_MAX_MATRIX_CELLS`]); shares everything else with `self`.
    pub fn with_max_matrix_cells(&self, max_cells: usize) -> RoadNetwork {
        RoadNetwork {
            max_matrix_cells: max_cells,
            ..self.clone()
        }
    }

    /// The limit on the cells of one many-to-many matrix.
    pub fn max_matrix_cells(&self) -> usize {
        self.max_matrix_cells
    }

    /// Whether `other` shares this network's prepared graph (the same `prepare` call).
    pub fn same_graph(&self, other: &RoadNetwork) -> bool {
        Arc::ptr_eq(&self.prepared, &other.prepared)
    }

    /// The road graph.
    pub fn graph(&self) -> &RoadGraph {
        &self.prepared.graph
    }

    /// The CCH structure.
    pub fn topology(&self) -> &CchTopology {
        &self.prepared.topo
    }

    /// Free-flow weight keys of all edges.
    pub fn base_keys(&self) -> &[u64] {
        &self.prepared.base_keys
    }

    /// The free-flow metric (no traffic, outside every profile slot).
    pub fn snapshot(&self) -> Arc<MetricSnapshot> {
        Arc::clone(&self.base)
    }

    /// The metric of each profile slot, in the profile's slot order.
    pub fn slot_snapshots(&self) -> &[Arc<MetricSnapshot>] {
        &self.slots
    }

    /// The metric in force at `time_s` (seconds since midnight, modulo a day) without any
    /// live traffic: the profile slot's, else free flow.
    pub fn snapshot_at(&self, time_s: u32) -> Arc<MetricSnapshot> {
        match self.profile.slot_at(time_s).and_then(|i| self.slots.get(i)) {
            Some(s) => Arc::clone(s),
            None => self.snapshot(),
        }
    }

    /// The time-of-day speed profile.
    pub fn speed_profile(&self) -> &SpeedProfile {
        &self.profile
    }

    /// Snaps every stop; the first stop out of range or too far from a road is the error.
    /// `max_snap_m` must be a finite, non-negative number of metres
    /// ([`EngineError::BadSnapLimit`] otherwise).
    pub fn snap_all(&self, stops: &[LatLon], max_snap_m: f64) -> Result<Vec<Snap>, EngineError> {
        crate::snap::check_snap_limit(max_snap_m)?;
        stops
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                self.prepared
                    .snapper
                    .snap(&self.prepared.graph, i, p, max_snap_m)
            })
            .collect()
    }

    /// Snaps every stop, keeping going past a stop too far from the roads: that one is
    /// [`PointSnap::TooFar`] with its distance. Errors: a bad limit
    /// ([`EngineError::BadSnapLimit`]) or a coordinate out of range, which is bad input rather
    /// than a place.
    pub fn snap_each(
        &self,
        stops: &[LatLon],
        max_snap_m: f64,
    ) -> Result<Vec<PointSnap>, EngineError> {
        crate::snap::check_snap_limit(max_snap_m)?;
        stops
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                match self
                    .prepared
                    .snapper
                    .snap(&self.prepared.graph, i, p, max_snap_m)
                {
                    Ok(s) => Ok(PointSnap::Snapped(s)),
                    Err(EngineError::TooFarFromRoad { distance_m, .. }) => {
                        Ok(PointSnap::TooFar { distance_m })
                    }
                    Err(e) => Err(e),
                }
            })
            .collect()
    }

    /// The road node each point snaps to (within `max_snap_m`).
    pub(crate) fn snap_nodes(
        &self,
        points: &[LatLon],
        max_snap_m: f64,
    ) -> Result<Vec<NodeId>, EngineError> {
        Ok(self
            .snap_all(points, max_snap_m)?
            .iter()
            .map(|s| s.node)
            .collect())
    }

    /// Checks a `rows × cols` matrix against the cell limit, before anything is allocated.
    pub fn check_matrix_size(&self, rows: usize, cols: usize) -> Result<(), EngineError> {
        match rows.checked_mul(cols) {
            Some(cells) if cells <= self.max_matrix_cells => Ok(()),
            _ => Err(EngineError::MatrixTooLarge {
                rows,
                cols,
                max_cells: self.max_matrix_cells,
            }),
        }
    }

    /// Travel-time and distance matrix between nodes on a given metric snapshot. Does not
    /// check the cell limit (see [`RoadNetwork::check_matrix_size`]).
    pub fn matrix_on(&self, snap: &MetricSnapshot, from: &[NodeId], to: &[NodeId]) -> TravelMatrix {
        let graph = &self.prepared.graph;
        let topo = &self.prepared.topo;
        // Trips start at the road node and end at it or any turn-restriction arrival copy.
        let rank = |v: NodeId| topo.rank[v.0 as usize];
        let s: Vec<u32> = from.iter().map(|&v| rank(graph.original_node(v))).collect();
        let t: Vec<(u32, u32)> = if graph.num_turn_copies() == 0 {
            to.iter()
                .enumerate()
                .map(|(j, &v)| (rank(v), j as u32))
                .collect()
        } else {
            to.iter()
                .enumerate()
                .flat_map(|(j, &v)| {
                    graph
                        .arrival_nodes(v)
                        .into_iter()
                        .map(move |a| (rank(a), j as u32))
                })
                .collect()
        };
        TravelMatrix {
            rows: s.len(),
            cols: to.len(),
            keys: many_to_many(topo, &snap.metric, &s, &t, to.len()),
            door_to_door: false,
        }
    }

    /// The fastest route between two nodes on a given snapshot (`None` if unreachable).
    pub fn route_on(&self, snap: &MetricSnapshot, from: NodeId, to: NodeId) -> Option<Route> {
        let graph = &self.prepared.graph;
        let topo = &self.prepared.topo;
        let n = topo.num_nodes();
        let (mut f, mut b) = (SearchSpace::new(n), SearchSpace::new(n));
        let source = topo.rank[graph.original_node(from).0 as usize];
        // The best arrival: the road node or one of its turn-restriction arrival copies.
        let (key, nodes) = graph
            .arrival_nodes(to)
            .into_iter()
            .filter_map(|t| {
                one_to_one(
                    topo,
                    &snap.metric,
                    &snap.keys,
                    &mut f,
                    &mut b,
                    source,
                    topo.rank[t.0 as usize],
                )
            })
            .min_by_key(|(key, _)| *key)?;
        let nodes: Vec<NodeId> = nodes
            .into_iter()
            .map(|v| graph.original_node(NodeId(v)))
            .collect();
        let polyline = nodes.iter().map(|&v| graph.coord(v)).collect();
        Some(Route {
            travel_ms: key_travel_ms(key)?,
            dist_dm: key_dist_dm(key)?,
            nodes,
            polyline,
        })
    }
}
