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
    for level in &topo.levels {
        if level.len() < PAR_MIN_LEVEL {
            for &x in level {
                node_triangles(topo, &m, x, &mut scratch);
                scratch.write_back(topo, x, &mut m);
            }
        } else {
            let results: Vec<(u32, Scratch)> = level
                .par_iter()
                .map(|&x| {
                    let mut s = Scratch::default();
                    node_triangles(topo, &m, x, &mut s);
                    (x, s)
                })
                .collect();
            for (x, s) in results {
                s.write_back(topo, x, &mut m);
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

/// Relaxes the upward arcs of `x` over all its lower triangles (reads only arcs of lower nodes).
fn node_triangles(topo: &CchTopology, m: &Metric, x: u32, s: &mut Scratch) {
    let xr = topo.up_arcs(x);
    let base = xr.start;
    s.up.clear();
    s.up.extend_from_slice(&m.up_w[xr.clone()]);
    s.down.clear();
    s.down.extend_from_slice(&m.down_w[xr.clone()]);
    s.up_mid.clear();
    s.up_mid.extend_from_slice(&m.up_mid[xr.clone()]);
    s.down_mid.clear();
    s.down_mid.extend_from_slice(&m.down_mid[xr.clone()]);
    let heads = &topo.up_head[xr.clone()];
    for k in topo.down_first[x as usize] as usize..topo.down_first[x as usize + 1] as usize {
        let z = topo.down_tail[k];
        let a_zx = topo.down_arc[k] as usize;
        let (z_to_x, x_to_z) = (m.up_w[a_zx], m.down_w[a_zx]);
        if z_to_x == INF_KEY && x_to_z == INF_KEY {
            continue;
        }
        let mut p = 0usize;
        for a_zy in a_zx + 1..topo.up_first[z as usize + 1] as usize {
            let y = topo.up_head[a_zy];
            while p < heads.len() && heads[p] != y {
                p += 1;
            }
            if p == heads.len() {
                // Broken chordality would mean a bug in contraction; skip rather than panic.
                break;
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
    debug_assert!(base + s.up.len() == xr.end);
}
