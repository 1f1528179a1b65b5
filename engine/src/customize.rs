//! Customization: weights of every CCH arc from the edge weights of one metric.
//!
//! Basic customization by lower triangles: arcs are finished node by node in rank order; for a
//! node `x` and each lower neighbour `z`, every arc `(z, y)` with `y > x` closes the triangle
//! `z, x, y`, so `x→y ≤ x→z + z→y` and `y→x ≤ y→z + z→x`. Only weights are stored (16
//! bytes per arc); a route unpacks a shortcut by finding the triangle that gives its weight
//! (see [`crate::query`]).
//! Disjoint elimination subtrees share no arcs, so they are customized in parallel with rayon.

use crate::cch::{CchTopology, DOWN_BIT};
use crate::graph::INF_KEY;

/// Arc weights of one customized metric (weight keys, see [`crate::graph::pack_key`]).
#[derive(Debug, Clone)]
pub struct Metric {
    /// Weight low→high of each arc.
    pub(crate) up_w: Vec<u64>,
    /// Weight high→low of each arc.
    pub(crate) down_w: Vec<u64>,
}

/// Forests of at most this many ranks are customized on the calling thread.
const SEQ_RANKS: usize = 2048;

/// Customizes the CCH for the given edge keys (one per graph edge; [`INF_KEY`] = closed).
///
/// Independent elimination subtrees are customized in parallel (rayon `join`): the subtree
/// of a rank is a contiguous rank range (see [`CchTopology`]), so its arcs are one
/// contiguous slice of the weight arrays. Each rank writes only its own upward arcs and reads
/// only arcs of its descendants, which are finished before it.
pub fn customize(topo: &CchTopology, edge_keys: &[u64]) -> Metric {
    let arcs = topo.num_arcs();
    let mut m = Metric {
        up_w: vec![INF_KEY; arcs],
        down_w: vec![INF_KEY; arcs],
    };
    let mut view = ArcsMut {
        base: 0,
        up_w: &mut m.up_w,
        down_w: &mut m.down_w,
    };
    forest(topo, edge_keys, 0, topo.num_nodes(), &mut view);
    m
}

/// Re-customizes only what a change of some edge keys can affect, starting from the metric
/// `old` (customized for the previous keys): the ranks whose arcs carry a changed edge are
/// recomputed from their input edges and lower triangles, in rank order; when a rank's arc
/// weights change, every rank above it that shares a triangle (its upper neighbours) is
/// recomputed too. Sequential; meant for updates touching few edges.
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
    let mut lowest = n;
    for &e in changed_edges {
        let a = (topo.edge_arc[e] & !DOWN_BIT) as usize;
        if a < arcs {
            let x = topo.arc_tail(a) as usize;
            dirty[x] = true;
            lowest = lowest.min(x);
        }
    }
    let mut view = ArcsMut {
        base: 0,
        up_w: &mut m.up_w,
        down_w: &mut m.down_w,
    };
    for x in lowest..n {
        if !dirty[x] {
            continue;
        }
        let x = x as u32;
        node(topo, edge_keys, x, &mut view);
        let range = topo.up_arcs(x);
        let changed = view.up_w[range.clone()] != old.up_w[range.clone()]
            || view.down_w[range.clone()] != old.down_w[range.clone()];
        if changed {
            for &y in &topo.up_head[range] {
                dirty[y as usize] = true;
            }
        }
    }
    m
}

/// Mutable weights of the arcs of a rank range: arc `a` is at index `a - base`.
struct ArcsMut<'a> {
    base: usize,
    up_w: &'a mut [u64],
    down_w: &'a mut [u64],
}

impl ArcsMut<'_> {
    /// Splits at arc `arc` (absolute id) into the arcs below and from it.
    fn split_at(&mut self, arc: usize) -> (ArcsMut<'_>, ArcsMut<'_>) {
        let k = arc - self.base;
        let (uw0, uw1) = self.up_w.split_at_mut(k);
        let (dw0, dw1) = self.down_w.split_at_mut(k);
        (
            ArcsMut {
                base: self.base,
                up_w: uw0,
                down_w: dw0,
            },
            ArcsMut {
                base: arc,
                up_w: uw1,
                down_w: dw1,
            },
        )
    }
}

/// Customizes the ranks `lo..hi`, a union of whole elimination subtrees; `arcs` holds (at
/// least) their arcs.
fn forest(topo: &CchTopology, keys: &[u64], lo: usize, hi: usize, arcs: &mut ArcsMut<'_>) {
    if hi <= lo {
        return;
    }
    if hi - lo <= SEQ_RANKS {
        for x in lo..hi {
            node(topo, keys, x as u32, arcs);
        }
        return;
    }
    let first = |x: usize| topo.subtree_first[x] as usize;
    if first(hi - 1) == lo {
        // One tree: walk down its chain of single-child ranks, customize the forest below
        // the chain, then the chain from the bottom up.
        let mut top = hi - 1;
        while top > lo && first(top - 1) == lo {
            top -= 1;
        }
        forest(topo, keys, lo, top, arcs);
        for x in top..hi {
            node(topo, keys, x as u32, arcs);
        }
        return;
    }
    // Several trees: split at the tree boundary nearest the middle by arc count.
    let target = (topo.up_first[lo] as usize + topo.up_first[hi] as usize) / 2;
    let mut best = hi;
    let mut b = hi;
    while b > lo {
        b = first(b - 1);
        if b > lo
            && (best == hi
                || (topo.up_first[b] as usize).abs_diff(target)
                    < (topo.up_first[best] as usize).abs_diff(target))
        {
            best = b;
        }
    }
    let mid = best;
    let (mut left, mut right) = arcs.split_at(topo.up_first[mid] as usize);
    rayon::join(
        || forest(topo, keys, lo, mid, &mut left),
        || forest(topo, keys, mid, hi, &mut right),
    );
}

/// Customizes the upward arcs of rank `x`: their input edges, then every lower triangle.
/// `arcs` must hold the arcs of `x` and of all its descendants (which must be finished).
fn node(topo: &CchTopology, keys: &[u64], x: u32, arcs: &mut ArcsMut<'_>) {
    let range = topo.up_arcs(x);
    if range.is_empty() {
        return;
    }
    let base = arcs.base;
    let (below, mine) = arcs.split_at(range.start);
    let len = range.len();
    let (up, down) = (&mut mine.up_w[..len], &mut mine.down_w[..len]);
    for (i, a) in range.clone().enumerate() {
        let (mut u, mut d) = (INF_KEY, INF_KEY);
        let edges = topo.arc_edge_first[a] as usize..topo.arc_edge_first[a + 1] as usize;
        for &e in &topo.arc_edges[edges] {
            let key = keys[e as usize];
            if topo.edge_arc[e as usize] & DOWN_BIT == 0 {
                u = u.min(key);
            } else {
                d = d.min(key);
            }
        }
        up[i] = u;
        down[i] = d;
    }
    let heads = &topo.up_head[range];
    let lower = topo.down_first[x as usize] as usize..topo.down_first[x as usize + 1] as usize;
    for k in lower {
        let z = topo.down_tail[k];
        let a_zx = topo.down_arc[k] as usize;
        let (z_to_x, x_to_z) = (below.up_w[a_zx - base], below.down_w[a_zx - base]);
        if z_to_x == INF_KEY && x_to_z == INF_KEY {
            continue;
        }
        let end = topo.up_first[z as usize + 1] as usize;
        let (z_heads, z_up, z_down) = (
            &topo.up_head[a_zx + 1..end],
            &below.up_w[a_zx + 1 - base..end - base],
            &below.down_w[a_zx + 1 - base..end - base],
        );
        // The upper neighbours of z above x are upper neighbours of x (chordality); both
        // lists are sorted, so one merge pass finds each third arc.
        let mut p = 0;
        for ((&y, &zy_up), &zy_down) in z_heads.iter().zip(z_up).zip(z_down) {
            while p < len && heads[p] < y {
                p += 1;
            }
            if p == len {
                // Broken chordality would mean a bug in contraction; skip rather than panic.
                debug_assert!(false, "arc ({z}, {y}) without arc ({x}, {y})");
                break;
            }
            debug_assert_eq!(heads[p], y, "arc ({z}, {y}) without arc ({x}, {y})");
            up[p] = up[p].min(x_to_z.saturating_add(zy_up));
            down[p] = down[p].min(zy_down.saturating_add(z_to_x));
            p += 1;
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
