//! Turn restrictions (OSM relations `type=restriction` with `no_*` / `only_*`) through a via
//! *node* or a via *way* (one or several ways, e.g. the short connector between the two
//! carriageways of a dual carriageway), applied by state expansion: the graph stays a plain
//! node-based graph that a plain Dijkstra searches, with a few extra *arrival copies*.
//!
//! A restriction is a node path `from → via[0] → … → via[k] → to` ([`PathRestriction`]; a
//! via-node restriction has `k = 0`, [`TurnRestriction`]). Every proper prefix of at least two
//! nodes, `from → via[0] → … → via[i]`, becomes one copy of `via[i]` (same coordinates)
//! meaning "at `via[i]`, having come along the restriction so far". The copies act as the
//! states of a string-matching automaton (Aho-Corasick style): leaving a node (original or
//! copy, with history `h`) along an edge `x → y`, the head is the copy whose history is the
//! longest suffix of `h + y` that is a prefix of some restriction, or the original `y` if there
//! is none. An edge is left out of a copy when
//! - `no_*`: `h + y` ends with the whole path of a `no_*` restriction, or
//! - `only_*`: `h` ends with a proper prefix (≥ 2 nodes) of an `only_*` restriction and `y` is
//!   not that restriction's next node (after arriving from `from`, the trip must go on along the
//!   via nodes and leave onto `to`; several `only_*` on the same prefix allow each of theirs).
//!
//! Original nodes keep all their out-edges (a trip that did not come along a restriction turns
//! freely), so a path can turn exactly as the restrictions allow, and overlapping restrictions
//! compose (the history kept is always the longest matching one). A trip *starts* at the
//! original node (no arrival edge, so any departure) and *ends* at it or any of its copies (see
//! [`RoadGraph::arrival_nodes`]); the engine's matrices and routes, and
//! [`crate::dijkstra_trips`], use these rules. A restriction whose consecutive nodes are not
//! all joined by an edge (outside the kept component, against a one-way) is skipped.

use std::collections::{HashMap, HashSet};

use crate::graph::{NodeId, RoadGraph};

/// Whether a restriction forbids one turn or mandates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TurnKind {
    /// `no_*`: the turn `from → via → to` is forbidden.
    No,
    /// `only_*`: after arriving `from → via`, the only allowed continuation is `via → to`.
    Only,
}

/// One turn restriction on graph nodes: the turn `from → via → to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnRestriction {
    /// Node before the junction (the arrival edge is `from → via`).
    pub from: NodeId,
    /// The junction.
    pub via: NodeId,
    /// Node after the junction (the departure edge is `via → to`).
    pub to: NodeId,
    /// Forbidden or mandatory.
    pub kind: TurnKind,
}

/// A turn restriction along a path of graph nodes `from → via[0] → … → via[k] → to`: with one
/// via node it is a [`TurnRestriction`]; with several, the via nodes are the nodes of the via
/// way(s) in travel order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRestriction {
    /// Node before the first via node (on the `from` way).
    pub from: NodeId,
    /// The via nodes in travel order (at least one; consecutive ones joined by an edge).
    pub via: Vec<NodeId>,
    /// Node after the last via node (on the `to` way).
    pub to: NodeId,
    /// `no_*`: the whole path is forbidden; `only_*`: after `from → via[0]` the trip must
    /// follow the via nodes and leave onto `to`.
    pub kind: TurnKind,
}

impl From<TurnRestriction> for PathRestriction {
    fn from(r: TurnRestriction) -> PathRestriction {
        PathRestriction {
            from: r.from,
            via: vec![r.via],
            to: r.to,
            kind: r.kind,
        }
    }
}

impl PathRestriction {
    /// The whole node path, `from` first.
    fn nodes(&self) -> Vec<u32> {
        std::iter::once(self.from)
            .chain(self.via.iter().copied())
            .chain(std::iter::once(self.to))
            .map(|v| v.0)
            .collect()
    }

    /// Whether the restriction can be applied to `graph`: at least one via node, every node
    /// in the graph and every consecutive pair joined by an edge.
    pub fn fits(&self, graph: &RoadGraph) -> bool {
        let path = self.nodes();
        !self.via.is_empty()
            && path.iter().all(|&v| (v as usize) < graph.num_nodes())
            && path
                .windows(2)
                .all(|w| graph.find_edge(NodeId(w[0]), NodeId(w[1])).is_some())
    }
}

/// What applying turn restrictions did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TurnReport {
    /// Restrictions given.
    pub given: usize,
    /// Restrictions applied (every edge of the path exists in the graph).
    pub applied: usize,
    /// Restrictions skipped (an edge of the path is not in the graph, e.g. outside the kept
    /// component, or against a one-way).
    pub skipped: usize,
    /// Arrival copies added (one per distinct restriction prefix: for via-node restrictions,
    /// one per restricted incoming edge).
    pub copies: usize,
}

/// Expands `graph` so that via-node `restrictions` hold (see the module docs); the same as
/// [`apply_path_restrictions`] on the one-via-node paths.
pub fn apply_turn_restrictions(
    graph: &RoadGraph,
    restrictions: &[TurnRestriction],
) -> (RoadGraph, TurnReport) {
    let paths: Vec<PathRestriction> = restrictions.iter().map(|&r| r.into()).collect();
    apply_path_restrictions(graph, &paths)
}

/// Expands `graph` so that `restrictions` (via node or via way) hold (see the module docs).
/// Edge ids change; way ids, travel times and lengths are kept; nodes keep their ids and
/// copies are appended after them.
pub fn apply_path_restrictions(
    graph: &RoadGraph,
    restrictions: &[PathRestriction],
) -> (RoadGraph, TurnReport) {
    let n = graph.num_nodes();
    let mut report = TurnReport {
        given: restrictions.len(),
        ..TurnReport::default()
    };
    let mut paths: Vec<(Vec<u32>, TurnKind)> = Vec::new();
    for r in restrictions {
        if r.fits(graph) {
            report.applied += 1;
            paths.push((r.nodes(), r.kind));
        } else {
            report.skipped += 1;
        }
    }
    paths.sort_unstable();
    paths.dedup();
    // States: every proper prefix of ≥ 2 nodes, numbered after the graph's nodes.
    let mut state_of: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut histories: Vec<Vec<u32>> = Vec::new();
    let mut forbidden: HashSet<Vec<u32>> = HashSet::new();
    let mut mandated: HashMap<Vec<u32>, Vec<u32>> = HashMap::new();
    for (p, kind) in &paths {
        for len in 2..p.len() {
            let prefix = p[..len].to_vec();
            if !state_of.contains_key(&prefix) {
                state_of.insert(prefix.clone(), (n + histories.len()) as u32);
                histories.push(prefix.clone());
            }
            if *kind == TurnKind::Only {
                let next = mandated.entry(prefix).or_default();
                if !next.contains(&p[len]) {
                    next.push(p[len]);
                }
            }
        }
        if *kind == TurnKind::No {
            forbidden.insert(p.clone());
        }
    }
    report.copies = histories.len();
    // Head of the edge x → y left with history `h` (ending at x): the longest suffix of
    // `h + y` that is a state, else y itself.
    let target = |ext: &[u32]| -> u32 {
        (0..ext.len() - 1)
            .find_map(|start| state_of.get(&ext[start..]).copied())
            .unwrap_or(ext[ext.len() - 1])
    };
    let mut edges: Vec<(u32, u32, u32)> =
        Vec::with_capacity(graph.num_edges() + histories.len() * 4);
    let tails = graph.tails();
    let mut ext = Vec::new();
    for (e, &x) in tails.iter().enumerate() {
        ext.clear();
        ext.extend([x, graph.head[e]]);
        edges.push((x, target(&ext), e as u32));
    }
    for (i, h) in histories.iter().enumerate() {
        let copy = (n + i) as u32;
        let x = h[h.len() - 1];
        // Continuations mandated by `only_*` restrictions matched by a suffix of h.
        let must: Vec<u32> = (0..h.len() - 1)
            .filter_map(|start| mandated.get(&h[start..]))
            .flatten()
            .copied()
            .collect();
        for out in graph.out_edges(NodeId(x)) {
            let y = graph.head[out];
            if !must.is_empty() && !must.contains(&y) {
                continue;
            }
            ext.clear();
            ext.extend_from_slice(h);
            ext.push(y);
            if (0..ext.len().saturating_sub(2)).any(|start| forbidden.contains(&ext[start..])) {
                continue;
            }
            edges.push((copy, target(&ext), out as u32));
        }
    }
    edges.sort_unstable();
    let total = n + histories.len();
    let first_out = crate::graph::csr_offsets(total, edges.iter().map(|e| e.0));
    let pick = |f: &dyn Fn(usize) -> u32| edges.iter().map(|e| f(e.2 as usize)).collect();
    let mut lat = graph.lat.clone();
    let mut lon = graph.lon.clone();
    let mut copy_of = graph.copy_of.clone();
    for h in &histories {
        let x = h[h.len() - 1] as usize;
        lat.push(graph.lat[x]);
        lon.push(graph.lon[x]);
        copy_of.push(graph.original_node(NodeId(x as u32)).0);
    }
    let expanded = RoadGraph {
        profile: graph.profile,
        lat,
        lon,
        first_out,
        head: edges.iter().map(|e| e.1).collect(),
        travel_ms: pick(&|e| graph.travel_ms[e]),
        dist_dm: pick(&|e| graph.dist_dm[e]),
        way_idx: pick(&|e| graph.way_idx[e]),
        way_ids: graph.way_ids.clone(),
        copy_of,
    };
    (expanded, report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dijkstra::dijkstra_keys;
    use crate::geo::LatLon;
    use crate::graph::RawEdge;
    use crate::Profile;

    /// A plus-shaped junction: centre 0, arms 1 (west), 2 (north), 3 (east), 4 (south), all
    /// two-way, 10 s per arm, plus a slow ring road 1-2-3-4-1 (100 s per side).
    fn plus() -> RoadGraph {
        let coords: Vec<LatLon> = [
            (0.0, 0.0),
            (0.0, -0.01),
            (0.01, 0.0),
            (0.0, 0.01),
            (-0.01, 0.0),
        ]
        .iter()
        .map(|&(lat, lon)| LatLon { lat, lon })
        .collect();
        let mut edges = Vec::new();
        let mut two_way = |a: u32, b: u32, ms: u32| {
            for (from, to) in [(a, b), (b, a)] {
                edges.push(RawEdge {
                    from,
                    to,
                    travel_ms: ms,
                    dist_dm: ms / 100,
                    way: 0,
                });
            }
        };
        for arm in 1..=4 {
            two_way(0, arm, 10_000);
        }
        for (a, b) in [(1, 2), (2, 3), (3, 4), (4, 1)] {
            two_way(a, b, 100_000);
        }
        RoadGraph::build(Profile::Car, &coords, edges, vec![1]).0
    }

    /// Travel time from `s` to node `t` arriving at `t` or any of its copies.
    fn time(g: &RoadGraph, s: u32, t: u32) -> u32 {
        let d = dijkstra_keys(g, &g.base_keys(), s);
        let best = g
            .arrival_nodes(NodeId(t))
            .into_iter()
            .map(|a| d[a.0 as usize])
            .min()
            .unwrap();
        crate::graph::key_travel_ms(best).unwrap()
    }

    /// No left turn west→north at the centre: the trip 1 → 2 (20 s through the junction)
    /// becomes 40 s (on through the centre to another arm, U-turn at its end, back through
    /// the centre and left: the U-turn is legal, the slow ring is 100 s); other turns stay
    /// 20 s, trips to and from the centre are unchanged. An only_straight_on west→east
    /// leaves 1 → 3 at 20 s and makes 1 → 4 a 40 s detour.
    #[test]
    fn no_and_only_turns() {
        let g = plus();
        let find = |lat: f64, lon: f64| {
            (0..g.num_nodes() as u32)
                .find(|&v| {
                    let c = g.coord(NodeId(v));
                    (c.lat - lat).abs() < 1e-9 && (c.lon - lon).abs() < 1e-9
                })
                .unwrap()
        };
        let node = [
            find(0.0, 0.0),
            find(0.0, -0.01),
            find(0.01, 0.0),
            find(0.0, 0.01),
            find(-0.01, 0.0),
        ];
        assert_eq!(time(&g, node[1], node[2]), 20_000);
        let r = TurnRestriction {
            from: NodeId(node[1]),
            via: NodeId(node[0]),
            to: NodeId(node[2]),
            kind: TurnKind::No,
        };
        let (h, report) = apply_turn_restrictions(&g, &[r]);
        assert_eq!((report.applied, report.copies, report.skipped), (1, 1, 0));
        assert_eq!(h.num_nodes(), 6);
        assert_eq!(h.num_original_nodes(), 5);
        assert_eq!(time(&h, node[1], node[2]), 40_000);
        assert_eq!(time(&h, node[1], node[3]), 20_000);
        assert_eq!(time(&h, node[1], node[0]), 10_000);
        assert_eq!(time(&h, node[0], node[2]), 10_000);
        assert_eq!(time(&h, node[4], node[2]), 20_000);
        let only = TurnRestriction {
            to: NodeId(node[3]),
            kind: TurnKind::Only,
            ..r
        };
        let (h, _) = apply_turn_restrictions(&g, &[only]);
        assert_eq!(time(&h, node[1], node[3]), 20_000);
        assert_eq!(time(&h, node[1], node[4]), 40_000);
        // No edge 1 → 3 (opposite arms are joined only through the centre).
        let missing = TurnRestriction {
            from: NodeId(node[1]),
            via: NodeId(node[3]),
            to: NodeId(node[2]),
            kind: TurnKind::No,
        };
        let (_, report) = apply_turn_restrictions(&g, &[missing]);
        assert_eq!((report.applied, report.skipped), (0, 1));
        // The engine's matrices and routes follow the same rules.
        let (h, _) = apply_turn_restrictions(&g, &[r]);
        let engine = crate::RoadEngine::prepare(h);
        let ids: Vec<NodeId> = node.iter().map(|&v| NodeId(v)).collect();
        let m = engine.matrix_nodes(&ids, &ids);
        assert_eq!(m.travel_ms(1, 2), Some(40_000));
        assert_eq!(m.travel_ms(1, 3), Some(20_000));
        assert_eq!(m.travel_ms(1, 0), Some(10_000));
        assert_eq!(m.travel_ms(0, 0), Some(0));
        let route = engine.route_nodes(ids[1], ids[0]).unwrap();
        assert_eq!(route.nodes, vec![ids[1], ids[0]]);
        let around = engine.route_nodes(ids[1], ids[2]).unwrap();
        assert_eq!(around.travel_ms, 40_000);
        assert_eq!(around.nodes.len(), 5, "{:?}", around.nodes);
        assert_eq!(around.nodes[..2], [ids[1], ids[0]]);
        assert_eq!(around.nodes[3..], [ids[0], ids[2]]);
    }

    /// Dual carriageway with a median connector, node ids fixed (all nodes kept in order):
    /// south carriageway eastbound `W(0) → S(1) → E(2)`, north carriageway westbound
    /// `E'(3) → N(4) → W'(5)`, 10 s per piece; the connector `S ↔ N` 15 s each way; turning
    /// loops `E → E'` and `W' → W` 10 s; a side road `N ↔ X(6)` 10 s each way.
    fn dual_carriageway() -> RoadGraph {
        let coords: Vec<LatLon> = [
            (0.0, -0.01),
            (0.0, 0.0),
            (0.0, 0.01),
            (0.001, 0.01),
            (0.001, 0.0),
            (0.001, -0.01),
            (0.01, 0.0),
        ]
        .iter()
        .map(|&(lat, lon)| LatLon { lat, lon })
        .collect();
        let one_way = |from: u32, to: u32, s: u32| RawEdge {
            from,
            to,
            travel_ms: s * 1000,
            dist_dm: s * 100,
            way: 0,
        };
        let edges = vec![
            one_way(0, 1, 10),
            one_way(1, 2, 10),
            one_way(3, 4, 10),
            one_way(4, 5, 10),
            one_way(1, 4, 15),
            one_way(4, 1, 15),
            one_way(2, 3, 10),
            one_way(5, 0, 10),
            one_way(4, 6, 10),
            one_way(6, 4, 10),
        ];
        let (g, _) = RoadGraph::build(Profile::Car, &coords, edges, vec![1]);
        assert_eq!(g.num_nodes(), 7);
        g
    }

    /// Trip times (seconds) from road node `s` to every road node of `g`.
    fn times_from(g: &RoadGraph, s: u32) -> Vec<u32> {
        crate::dijkstra_trips(g, &g.base_keys(), s)
            .iter()
            .map(|&k| crate::graph::key_travel_ms(k).map_or(u32::MAX, |ms| ms / 1000))
            .collect()
    }

    /// A `no_u_turn` through the median connector (from the south carriageway `W → S`, via the
    /// connector way `S → N`, to the north carriageway `N → W'`): the U-turn `W → W'` goes from
    /// 35 s (through the connector) to 50 s (round the east loop; turning round at the end of
    /// the side road would be 55 s, crossing the connector three times 65 s), while a trip
    /// starting at `S` (not arriving from `W`) still uses the connector (25 s), and `W → X`
    /// (left off the connector onto the side road) stays 35 s. Matrices and routes of the engine follow,
    /// and equal the plain Dijkstra on the same expanded graph.
    #[test]
    fn via_way_no_u_turn() {
        let g = dual_carriageway();
        assert_eq!(times_from(&g, 0)[5], 35);
        let r = PathRestriction {
            from: NodeId(0),
            via: vec![NodeId(1), NodeId(4)],
            to: NodeId(5),
            kind: TurnKind::No,
        };
        let (h, report) = apply_path_restrictions(&g, std::slice::from_ref(&r));
        assert_eq!((report.applied, report.skipped, report.copies), (1, 0, 2));
        let t = times_from(&h, 0);
        assert_eq!(t[5], 50);
        assert_eq!(t[6], 35);
        assert_eq!(t[2], 20);
        assert_eq!(times_from(&h, 1)[5], 25);
        assert_eq!(times_from(&h, 6)[5], 20);
        let engine = crate::RoadEngine::prepare(h);
        let ids: Vec<NodeId> = (0..7).map(NodeId).collect();
        let m = engine.matrix_nodes(&ids, &ids);
        for s in 0..7 {
            let reference = crate::dijkstra_trips(engine.graph(), engine.base_keys(), s);
            for (t, &key) in reference.iter().enumerate() {
                assert_eq!(m.key(s as usize, t), key, "{s} -> {t}");
            }
        }
        let route = engine.route_nodes(NodeId(0), NodeId(5)).unwrap();
        assert_eq!(route.travel_ms, 50_000);
        assert_eq!(
            route.nodes,
            [0, 1, 2, 3, 4, 5].map(NodeId).to_vec(),
            "round the east loop"
        );
    }

    /// An `only_left_turn` from `W → S` via the connector onto the side road `N → X`: after
    /// arriving from `W` the trip must cross to `N` and leave to `X`, so `W → E` goes from
    /// 20 s to 70 s (up the side road, back, across the connector again, east) and `W → W'`
    /// from 35 s to 55 s; `W → X` stays 35 s and a trip starting at `S` is free (`S → E` 10 s).
    #[test]
    fn via_way_only_turn() {
        let g = dual_carriageway();
        let r = PathRestriction {
            from: NodeId(0),
            via: vec![NodeId(1), NodeId(4)],
            to: NodeId(6),
            kind: TurnKind::Only,
        };
        let before = times_from(&g, 0);
        assert_eq!((before[2], before[5], before[6]), (20, 35, 35));
        let (h, report) = apply_path_restrictions(&g, &[r]);
        assert_eq!(report.applied, 1);
        let t = times_from(&h, 0);
        assert_eq!((t[2], t[5], t[6]), (70, 55, 35));
        assert_eq!(times_from(&h, 1)[2], 10);
        let engine = crate::RoadEngine::prepare(h);
        let m = engine.matrix_nodes(&[NodeId(0)], &[NodeId(2), NodeId(5), NodeId(6)]);
        assert_eq!(
            (m.travel_ms(0, 0), m.travel_ms(0, 1), m.travel_ms(0, 2)),
            (Some(70_000), Some(55_000), Some(35_000))
        );
    }

    /// A path whose pieces are not all edges (the connector is entered against a one-way
    /// `E → N` that does not exist) is skipped and counted; overlapping restrictions compose
    /// (a via-node `no_left_turn` `S → N → X` plus the via-way `no_u_turn` leaves both `W → W'`
    /// and `W → X` at 50 s: round the east loop, then along the north carriageway; from `S`,
    /// `S → X` is 40 s).
    #[test]
    fn via_way_skipped_and_overlapping() {
        let g = dual_carriageway();
        let bad = PathRestriction {
            from: NodeId(2),
            via: vec![NodeId(4)],
            to: NodeId(5),
            kind: TurnKind::No,
        };
        let (_, report) = apply_path_restrictions(&g, &[bad]);
        assert_eq!((report.applied, report.skipped, report.copies), (0, 1, 0));
        let u_turn = PathRestriction {
            from: NodeId(0),
            via: vec![NodeId(1), NodeId(4)],
            to: NodeId(5),
            kind: TurnKind::No,
        };
        let left = PathRestriction {
            from: NodeId(1),
            via: vec![NodeId(4)],
            to: NodeId(6),
            kind: TurnKind::No,
        };
        let (h, report) = apply_path_restrictions(&g, &[u_turn, left]);
        assert_eq!(report.applied, 2);
        let t = times_from(&h, 0);
        assert_eq!((t[5], t[6]), (50, 50));
        assert_eq!(times_from(&h, 1)[6], 40);
    }
}
