//! Customization: weights of every CCH arc from the edge weights of one metric.
//!
//! Basic customization by lower triangles: arcs are finished node by node in rank order; for a
//! node `x` and each lower neighbour `z`, every arc `(z, y)` with `y > x` closes the triangle
//! `z, x, y`, so `x→y ≤ x→z + z→y` and `y→x ≤ y→z + z→x`. The node `z` that gave the
//! minimum is kept per arc and direction so shortcuts unpack back to road edges.
//! Nodes of the same elimination-tree height share no arcs, so each height is customized in
//! parallel with rayon.

use rayon::prelude::*;

use crate::cch::{CchTopology, DOWN_BIT, NONE};
use crate::graph::INF_KEY;

/// Arc weights of one customized metric (weight keys, see [`crate::graph::pack_key`]).
#[derive(Debug, Clone)]
pub struct Metric {
    /// Weight low→high of each arc.
    pub(crate) up_w: Vec<u64>,
    /// Weight high→low of each arc.
    pub(crate) down_w: Vec<u64>,
    /// Middle node (rank) of the triangle giving `up_w`, [`NONE`] if it is a road edge.
    pub(crate) up_mid: Vec<u32>,
    /// Middle node (rank) of the triangle giving `down_w`, [`NONE`] if it is a road edge.
    pub(crate) down_mid: Vec<u32>,
}

/// Levels with fewer nodes than this are done on the calling thread.
const PAR_MIN_LEVEL: usize = 64;

/// Customizes the CCH for the given edge keys (one per graph edge; [`INF_KEY`] = closed).
pub fn customize(topo: &CchTopology, edge_keys: &[u64]) -> Metric {
    let arcs = topo.num_arcs();
    let mut m = Metric {
        up_w: vec![INF_KEY; arcs],
        down_w: vec![INF_KEY; arcs],
        up_mid: vec![NONE; arcs],
        down_mid: vec![NONE; arcs],
    };
    for (&code, &key) in topo.edge_arc.iter().zip(edge_keys) {
        let arc = (code & !DOWN_BIT) as usize;
        if arc >= arcs {
            continue;
        }
        let slot = if code & DOWN_BIT == 0 {
            &mut m.up_w[arc]
        } else {
            &mut m.down_w[arc]
        };
        *slot = (*slot).min(key);
    }
    let mut scratch = Scratch::default();
    let n = topo.num_nodes();
    let mut pos = vec![0u32; n];
    for level in &topo.levels {
        if level.len() < PAR_MIN_LEVEL {
            for &x in level {
                node_triangles(topo, &m, x, &mut scratch, &mut pos);
                scratch.write_back(topo, x, &mut m);
            }
        } else {
            let results: Vec<(u32, Scratch)> = level
                .par_iter()
                .map_init(
                    || vec![0u32; n],
                    |pos, &x| {
                        let mut s = Scratch::default();
                        node_triangles(topo, &m, x, &mut s, pos);
                        (x, s)
                    },
                )
                .collect();
            for (x, s) in results {
                s.write_back(topo, x, &mut m);
            }
        }
    }
    m
}

/// Re-customizes only what a change of some edge keys can affect, starting from the metric
/// `old` (customized for the previous keys): the nodes whose arcs carry a changed edge are
/// recomputed from their input edges and lower triangles, in elimination-tree order; when a
/// node's arc weights change, every node above it that shares a triangle (its upper
/// neighbours) is recomputed too. Sequential; meant for updates touching few edges.
pub fn customize_partial(
    topo: &CchTopology,
    old: &Metric,
    edge_keys: &[u64],
    changed_edges: &[usize],
) -> Metric {
    let n = topo.num_nodes();
    let arcs = topo.num_arcs();
    let mut m = old.clone();
    let mut dirty = vec![false; n];
    for &e in changed_edges {
        let a = (topo.edge_arc[e] & !DOWN_BIT) as usize;
        if a < arcs {
            dirty[topo.arc_tail(a) as usize] = true;
        }
    }
    let mut scratch = Scratch::default();
    let mut pos = vec![0u32; n];
    for level in &topo.levels {
        for &x in level {
            if !dirty[x as usize] {
                continue;
            }
            let range = topo.up_arcs(x);
            for a in range.clone() {
                let (mut up, mut down) = (INF_KEY, INF_KEY);
                for &e in &topo.arc_edges
                    [topo.arc_edge_first[a] as usize..topo.arc_edge_first[a + 1] as usize]
                {
                    let key = edge_keys[e as usize];
                    if topo.edge_arc[e as usize] & DOWN_BIT == 0 {
                        up = up.min(key);
                    } else {
                        down = down.min(key);
                    }
                }
                m.up_w[a] = up;
                m.down_w[a] = down;
                m.up_mid[a] = NONE;
                m.down_mid[a] = NONE;
            }
            node_triangles(topo, &m, x, &mut scratch, &mut pos);
            let changed = scratch.up[..] != old.up_w[range.clone()]
                || scratch.down[..] != old.down_w[range.clone()];
            scratch.write_back(topo, x, &mut m);
            if changed {
                for &y in &topo.up_head[range] {
                    dirty[y as usize] = true;
                }
            }
        }
    }
    m
}

/// New weights of one node's upward arcs.
#[derive(Default)]
struct Scratch {
    up: Vec<u64>,
    down: Vec<u64>,
    up_mid: Vec<u32>,
    down_mid: Vec<u32>,
}

impl Scratch {
    fn write_back(&self, topo: &CchTopology, x: u32, m: &mut Metric) {
        let r = topo.up_arcs(x);
        m.up_w[r.clone()].copy_from_slice(&self.up);
        m.down_w[r.clone()].copy_from_slice(&self.down);
        m.up_mid[r.clone()].copy_from_slice(&self.up_mid);
        m.down_mid[r].copy_from_slice(&self.down_mid);
    }
}

/// Above this many triangle candidates (lower × upper degree) a node is split over threads.
const PAR_NODE_WORK: usize = 50_000;

/// Relaxes the upward arcs of `x` over all its lower triangles (reads only arcs of lower nodes).
///
/// `pos` is scratch of one entry per node: `pos[y]` is set to the position of the arc `(x, y)`
/// among the arcs of `x`, so each triangle finds its third arc in O(1).
fn node_triangles(topo: &CchTopology, m: &Metric, x: u32, s: &mut Scratch, pos: &mut [u32]) {
    let lower = topo.down_first[x as usize] as usize..topo.down_first[x as usize + 1] as usize;
    let heads = &topo.up_head[topo.up_arcs(x)];
    for (i, &y) in heads.iter().enumerate() {
        pos[y as usize] = i as u32;
    }
    let pos: &[u32] = pos;
    let work = lower.len() * heads.len();
    s.init(topo, m, x);
    if work < PAR_NODE_WORK || lower.len() < 16 {
        relax_range(topo, m, x, lower, s, pos);
        return;
    }
    // Big separator node: split its lower neighbours over threads, then take the minimum.
    let pieces = 8;
    let step = lower.len().div_ceil(pieces);
    let partial: Vec<Scratch> = (0..pieces)
        .into_par_iter()
        .map(|i| {
            let mut p = Scratch::default();
            p.init(topo, m, x);
            let from = lower.start + i * step;
            relax_range(
                topo,
                m,
                x,
                from.min(lower.end)..(from + step).min(lower.end),
                &mut p,
                pos,
            );
            p
        })
        .collect();
    for p in &partial {
        for i in 0..s.up.len() {
            if p.up[i] < s.up[i] {
                s.up[i] = p.up[i];
                s.up_mid[i] = p.up_mid[i];
            }
            if p.down[i] < s.down[i] {
                s.down[i] = p.down[i];
                s.down_mid[i] = p.down_mid[i];
            }
        }
    }
}

impl Scratch {
    /// Starts from the current weights of the arcs of `x`.
    fn init(&mut self, topo: &CchTopology, m: &Metric, x: u32) {
        let xr = topo.up_arcs(x);
        self.up.clear();
        self.up.extend_from_slice(&m.up_w[xr.clone()]);
        self.down.clear();
        self.down.extend_from_slice(&m.down_w[xr.clone()]);
        self.up_mid.clear();
        self.up_mid.extend_from_slice(&m.up_mid[xr.clone()]);
        self.down_mid.clear();
        self.down_mid.extend_from_slice(&m.down_mid[xr]);
    }
}

/// Relaxes the arcs of `x` over the triangles of the lower neighbours in `lower` (positions
/// in the downward adjacency).
fn relax_range(
    topo: &CchTopology,
    m: &Metric,
    x: u32,
    lower: std::ops::Range<usize>,
    s: &mut Scratch,
    pos: &[u32],
) {
    let heads = &topo.up_head[topo.up_arcs(x)];
    for k in lower {
        let z = topo.down_tail[k];
        let a_zx = topo.down_arc[k] as usize;
        let (z_to_x, x_to_z) = (m.up_w[a_zx], m.down_w[a_zx]);
        if z_to_x == INF_KEY && x_to_z == INF_KEY {
            continue;
        }
        for a_zy in a_zx + 1..topo.up_first[z as usize + 1] as usize {
            let y = topo.up_head[a_zy];
            let p = pos[y as usize] as usize;
            if heads.get(p) != Some(&y) {
                // Broken chordality would mean a bug in contraction; skip rather than panic.
                continue;
            }
            let via_up = x_to_z.saturating_add(m.up_w[a_zy]);
            if via_up < s.up[p] {
                s.up[p] = via_up;
                s.up_mid[p] = z;
            }
            let via_down = m.down_w[a_zy].saturating_add(z_to_x);
            if via_down < s.down[p] {
                s.down[p] = via_down;
                s.down_mid[p] = z;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::generate::{generate_grid, GridSpec};
    use crate::order::nested_dissection_order;

    /// Partial re-customization after changing a few edges gives exactly the weights of a
    /// full customization, for slowdowns, closures and resets in sequence.
    #[test]
    fn partial_equals_full() {
        let (graph, _) = generate_grid(&GridSpec::city(1600, 21)).unwrap();
        let topo = CchTopology::build(&graph, &nested_dissection_order(&graph));
        let base = graph.base_keys();
        let mut keys = base.clone();
        let mut metric = customize(&topo, &keys);
        let m = keys.len();
        for round in 0..6usize {
            let changed: Vec<usize> = (0..5).map(|i| (round * 7919 + i * 104_729) % m).collect();
            for &e in &changed {
                keys[e] = match round % 3 {
                    0 => base[e].saturating_mul(3) / 2,
                    1 => INF_KEY,
                    _ => base[e],
                };
            }
            metric = customize_partial(&topo, &metric, &keys, &changed);
            let full = customize(&topo, &keys);
            assert_eq!(metric.up_w, full.up_w, "round {round}");
            assert_eq!(metric.down_w, full.down_w, "round {round}");
        }
    }
}
