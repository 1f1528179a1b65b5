//! Live traffic: speed factors and closures on sets of edges or ways.

use crate::graph::{key_dist_dm, key_travel_ms, pack_key, EdgeId, RoadGraph, INF_KEY};
use crate::EngineError;

/// Which edges an update touches.
#[derive(Debug, Clone, PartialEq)]
pub enum EdgeSet {
    /// Directed edges by id.
    Edges(Vec<EdgeId>),
    /// Every edge of these ways (OSM way ids, or synthetic ids of a generated network).
    Ways(Vec<i64>),
    /// Every edge whose free-flow speed is in `[min_kmh, max_kmh)` (e.g. arterials: at least
    /// 45 km/h), a road-class proxy for time-of-day profiles.
    FreeFlowSpeed {
        /// Lowest speed included, km/h.
        min_kmh: f64,
        /// Speed above the range, km/h.
        max_kmh: f64,
    },
}

/// What happens to the touched edges, relative to free flow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpeedChange {
    /// Travel at `factor` × the free-flow speed (0.5 = twice as slow); must be in (0, 10].
    Factor(f64),
    /// The edges are closed.
    Closed,
    /// Back to free flow.
    Reset,
}

/// One traffic update: a change applied to a set of edges.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficUpdate {
    /// The edges touched.
    pub edges: EdgeSet,
    /// The change.
    pub change: SpeedChange,
}

/// What is wrong with one update of a list: the source of [`EngineError::BadTraffic`] and
/// [`EngineError::BadProfile`]; its path reads `updates[3].change`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{}`: {reason}", self.path())]
#[non_exhaustive]
pub struct TrafficFault {
    /// Index of the update in the list.
    pub update: usize,
    /// The field at fault (`change`, `edges`).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl TrafficFault {
    /// The field path, e.g. `updates[3].change`.
    pub fn path(&self) -> String {
        format!("updates[{}].{}", self.update, self.field)
    }
}

impl From<TrafficFault> for EngineError {
    fn from(f: TrafficFault) -> EngineError {
        EngineError::BadUpdate {
            update: f.update,
            field: f.field,
            reason: f.reason,
        }
    }
}

/// Applies updates to a copy of the current keys; returns the number of edges touched, or
/// the first bad update (nothing is applied then).
pub(crate) fn apply_updates(
    graph: &RoadGraph,
    base: &[u64],
    keys: &mut [u64],
    updates: &[TrafficUpdate],
) -> Result<usize, TrafficFault> {
    let changes = edge_changes(graph, base, updates)?;
    for &(e, key) in &changes {
        keys[e as usize] = key;
    }
    Ok(changes.len())
}

/// The new key of every edge the updates touch, in update order (a later update on the same
/// edge comes later, so applying the list in order lets it win), or the first bad update.
pub(crate) fn edge_changes(
    graph: &RoadGraph,
    base: &[u64],
    updates: &[TrafficUpdate],
) -> Result<Vec<(u32, u64)>, TrafficFault> {
    let mut changes = Vec::new();
    for (i, u) in updates.iter().enumerate() {
        let fault = |field: &'static str, reason: String| TrafficFault {
            update: i,
            field,
            reason,
        };
        if let SpeedChange::Factor(f) = u.change {
            if !(f.is_finite() && f > 0.0 && f <= 10.0) {
                return Err(fault("change", format!("speed factor {f} not in (0, 10]")));
            }
        }
        let edges: Vec<usize> = match &u.edges {
            EdgeSet::Edges(list) => {
                if let Some(bad) = list.iter().find(|e| e.0 as usize >= graph.num_edges()) {
                    return Err(fault("edges", format!("edge {} does not exist", bad.0)));
                }
                list.iter().map(|e| e.0 as usize).collect()
            }
            EdgeSet::Ways(ways) => {
                let mut wanted: Vec<i64> = ways.clone();
                wanted.sort_unstable();
                let mut mask = vec![false; graph.way_ids.len()];
                let mut found = 0usize;
                for (k, id) in graph.way_ids.iter().enumerate() {
                    if wanted.binary_search(id).is_ok() {
                        mask[k] = true;
                        found += 1;
                    }
                }
                wanted.dedup();
                if found < wanted.len() {
                    let missing = wanted
                        .iter()
                        .find(|w| !graph.way_ids.contains(w))
                        .copied()
                        .unwrap_or_default();
                    return Err(fault("edges", format!("way {missing} is not in the graph")));
                }
                graph
                    .way_idx
                    .iter()
                    .enumerate()
                    .filter(|(_, &w)| mask[w as usize])
                    .map(|(e, _)| e)
                    .collect()
            }
            &EdgeSet::FreeFlowSpeed { min_kmh, max_kmh } => {
                if !(min_kmh.is_finite() && max_kmh.is_finite() && min_kmh < max_kmh) {
                    return Err(fault(
                        "edges",
                        format!("speed range [{min_kmh}, {max_kmh}) km/h is empty"),
                    ));
                }
                (0..graph.num_edges())
                    .filter(|&e| {
                        let kmh = f64::from(graph.dist_dm[e]) * 360.0
                            / f64::from(graph.travel_ms[e].max(1));
                        min_kmh <= kmh && kmh < max_kmh
                    })
                    .collect()
            }
        };
        changes.extend(
            edges
                .into_iter()
                .map(|e| (e as u32, changed_key(base[e], u.change))),
        );
    }
    Ok(changes)
}

/// The key of an edge with free-flow key `base` after `change`.
fn changed_key(base: u64, change: SpeedChange) -> u64 {
    match change {
        SpeedChange::Reset => base,
        SpeedChange::Closed => INF_KEY,
        SpeedChange::Factor(f) => match (key_travel_ms(base), key_dist_dm(base)) {
            (Some(ms), Some(dm)) => {
                let slowed = (f64::from(ms) / f).round().min(f64::from(u32::MAX / 4));
                pack_key(slowed as u32, dm)
            }
            _ => base,
        },
    }
}
