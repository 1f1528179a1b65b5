//! Turn restrictions at a via node (OSM relations `type=restriction` with `no_*` / `only_*`
//! and a via *node*), applied by a local node split that keeps the graph node-based.
//!
//! For every restricted incoming edge `u → v` the junction `v` gets an *arrival copy* `v'`
//! (same coordinates): the edge `u → v` is redirected to `u → v'`, and `v'` has the edges of
//! `v` that the restrictions allow after arriving from `u` (`no_*`: all but the forbidden
//! ones; `only_*`: just the mandated one). Every other arrival still enters `v`, which keeps
//! all its out-edges, so a path can turn at `v` exactly as the restrictions allow, and a
//! plain Dijkstra on the expanded graph sees the same rules. A trip *starts* at the original
//! node `v` (no arrival edge, so any departure) and *ends* at `v` or any of its copies (see
//! [`RoadGraph::arrival_nodes`]); the engine's matrices and routes use these rules.
//! Restrictions with a via *way* are not applied (counted as skipped).

use crate::graph::{NodeId, RoadGraph};

/// Whether a restriction forbids one turn or mandates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What applying turn restrictions did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TurnReport {
    /// Restrictions given.
    pub given: usize,
    /// Restrictions applied (both edges exist in the graph).
    pub applied: usize,
    /// Restrictions skipped (an edge of the turn is not in the graph, e.g. outside the kept
    /// component, or against a one-way).
    pub skipped: usize,
    /// Arrival copies added (one per restricted incoming edge).
    pub copies: usize,
}

/// Expands `graph` so that `restrictions` hold (see the module docs). Edge ids change;
/// way ids, travel times and lengths are kept; original nodes keep their ids and copies are
/// appended after them.
pub fn apply_turn_restrictions(
    graph: &RoadGraph,
    restrictions: &[TurnRestriction],
) -> (RoadGraph, TurnReport) {
    let n = graph.num_nodes();
    let mut report = TurnReport {
        given: restrictions.len(),
        ..TurnReport::default()
    };
    // (incoming edge id, restriction) for every applicable restriction.
    let mut by_edge: Vec<(u32, NodeId, TurnKind)> = Vec::new();
    for r in restrictions {
        let ok = (r.from.0 as usize) < n && (r.via.0 as usize) < n && (r.to.0 as usize) < n;
        let arrive = ok.then(|| graph.find_edge(r.from, r.via)).flatten();
        let depart = ok.then(|| graph.find_edge(r.via, r.to)).flatten();
        match (arrive, depart) {
            (Some(a), Some(_)) => {
                report.applied += 1;
                by_edge.push((a.0, r.to, r.kind));
            }
            _ => report.skipped += 1,
        }
    }
    by_edge.sort_unstable_by_key(|&(e, to, kind)| (e, to.0, kind == TurnKind::No));
    let tails = graph.tails();
    // New edge list: (from, to, edge id in the old graph for its attributes).
    let mut edges: Vec<(u32, u32, u32)> = Vec::with_capacity(graph.num_edges() + by_edge.len());
    let mut copy_of: Vec<u32> = graph.copy_of.clone();
    // First every restricted incoming edge gets its copy, so that a copy's out-edge into
    // another restricted junction enters that junction's copy too.
    let mut redirected = vec![u32::MAX; graph.num_edges()];
    let mut groups: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < by_edge.len() {
        let e = by_edge[i].0;
        let mut j = i;
        while j < by_edge.len() && by_edge[j].0 == e {
            j += 1;
        }
        let v = graph.head[e as usize];
        let copy = (n + copy_of.len() - graph.copy_of.len()) as u32;
        copy_of.push(graph.original_node(NodeId(v)).0);
        report.copies += 1;
        redirected[e as usize] = copy;
        groups.push((copy, i..j));
        i = j;
    }
    let enter = |e: usize| {
        if redirected[e] == u32::MAX {
            graph.head[e]
        } else {
            redirected[e]
        }
    };
    for (copy, range) in groups {
        let group = &by_edge[range];
        let v = graph.head[group[0].0 as usize];
        let only: Vec<u32> = group
            .iter()
            .filter(|g| g.2 == TurnKind::Only)
            .map(|g| g.1 .0)
            .collect();
        for out in graph.out_edges(NodeId(v)) {
            let w = graph.head[out];
            let allowed = if only.is_empty() {
                !group.iter().any(|g| g.1 .0 == w)
            } else {
                only.contains(&w)
            };
            if allowed {
                edges.push((copy, enter(out), out as u32));
            }
        }
    }
    for (e, &t) in tails.iter().enumerate() {
        edges.push((t, enter(e), e as u32));
    }
    edges.sort_unstable();
    let total = n + report.copies;
    let first_out = crate::graph::csr_offsets(total, edges.iter().map(|e| e.0));
    let pick = |f: &dyn Fn(usize) -> u32| edges.iter().map(|e| f(e.2 as usize)).collect();
    let mut lat = graph.lat.clone();
    let mut lon = graph.lon.clone();
    for &orig in &copy_of[graph.copy_of.len()..] {
        lat.push(graph.lat[orig as usize]);
        lon.push(graph.lon[orig as usize]);
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
}
