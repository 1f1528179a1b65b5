//! Queries on a customized CCH: elimination-tree searches, one-to-one paths with unpacking,
//! and many-to-many matrices with buckets.
//!
//! An upward search from rank `s` walks the ancestors of `s` in the elimination tree in
//! increasing rank; when a node is reached all its lower neighbours on the path are done, so
//! its distance is final and its upward arcs are relaxed once. No priority queue is needed.
//! A many-to-many matrix runs one backward search per target, storing `(target, distance)`
//! in a bucket at every reached ancestor, then one forward search per source that scans the
//! buckets of its ancestors. Both phases run in parallel with rayon.

use rayon::prelude::*;

use crate::cch::{CchTopology, DOWN_BIT, NONE};
use crate::customize::Metric;
use crate::graph::INF_KEY;

/// Per-thread search state: a distance and predecessor per rank, reset after each search.
pub(crate) struct SearchSpace {
    dist: Vec<u64>,
    pred: Vec<u32>,
}

impl SearchSpace {
    pub(crate) fn new(n: usize) -> SearchSpace {
        SearchSpace {
            dist: vec![INF_KEY; n],
            pred: vec![NONE; n],
        }
    }

    /// Upward search from `s`: calls `visit(rank, dist)` for every reached ancestor, in
    /// increasing rank. `forward` uses low→high weights, otherwise high→low (a backward search).
    fn run(
        &mut self,
        topo: &CchTopology,
        m: &Metric,
        s: u32,
        forward: bool,
        visit: impl FnMut(u32, u64),
    ) {
        self.run_with(topo, m, s, forward, false, visit);
    }

    /// As [`SearchSpace::run`]; with `stall`, a node is skipped (neither visited nor relaxed)
    /// when a higher neighbour already reached proves its label is not a shortest distance:
    /// `dist(w) + weight(w→v) < dist(v)` (forward; mirrored backward). Nodes of the optimal
    /// up-down path carry exact distances and are never skipped, so matrices stay exact.
    fn run_with(
        &mut self,
        topo: &CchTopology,
        m: &Metric,
        s: u32,
        forward: bool,
        stall: bool,
        mut visit: impl FnMut(u32, u64),
    ) {
        let (w, w_rev) = if forward {
            (&m.up_w, &m.down_w)
        } else {
            (&m.down_w, &m.up_w)
        };
        self.dist[s as usize] = 0;
        let mut v = s;
        while v != NONE {
            let d = self.dist[v as usize];
            if d != INF_KEY {
                let arcs = topo.up_arcs(v);
                let stalled = stall
                    && topo.up_head[arcs.clone()]
                        .iter()
                        .zip(&w_rev[arcs.clone()])
                        .any(|(&h, &back)| self.dist[h as usize].saturating_add(back) < d);
                if !stalled {
                    visit(v, d);
                    for a in arcs {
                        let h = topo.up_head[a] as usize;
                        let nd = d.saturating_add(w[a]);
                        if nd < self.dist[h] {
                            self.dist[h] = nd;
                            self.pred[h] = v;
                        }
                    }
                }
            }
            v = topo.parent[v as usize];
        }
    }

    /// Resets the ancestors of `s`.
    fn reset(&mut self, topo: &CchTopology, s: u32) {
        let mut v = s;
        while v != NONE {
            self.dist[v as usize] = INF_KEY;
            self.pred[v as usize] = NONE;
            v = topo.parent[v as usize];
        }
    }
}

/// Shortest path between two ranks (`keys`: the edge keys `m` was customized for): its weight key and its node sequence (original node ids,
/// from source to target), or `None` when the target is unreachable.
pub(crate) fn one_to_one(
    topo: &CchTopology,
    m: &Metric,
    keys: &[u64],
    fwd: &mut SearchSpace,
    bwd: &mut SearchSpace,
    s: u32,
    t: u32,
) -> Option<(u64, Vec<u32>)> {
    fwd.run(topo, m, s, true, |_, _| {});
    let mut best = (INF_KEY, NONE);
    bwd.run(topo, m, t, false, |v, d| {
        let total = fwd.dist[v as usize].saturating_add(d);
        if total < best.0 {
            best = (total, v);
        }
    });
    let result = (best.0 != INF_KEY).then(|| {
        let meet = best.1;
        // Up part: meet back to s, reversed.
        let mut up_chain = vec![meet];
        let mut v = meet;
        while fwd.pred[v as usize] != NONE {
            v = fwd.pred[v as usize];
            up_chain.push(v);
        }
        up_chain.reverse();
        let mut down_chain = Vec::new();
        let mut v = meet;
        while bwd.pred[v as usize] != NONE {
            v = bwd.pred[v as usize];
            down_chain.push(v);
        }
        let mut ranks = vec![s];
        let hops: Vec<(u32, u32)> = up_chain
            .windows(2)
            .map(|w| (w[0], w[1]))
            .chain(
                std::iter::once(meet)
                    .chain(down_chain.iter().copied())
                    .collect::<Vec<_>>()
                    .windows(2)
                    .map(|w| (w[0], w[1])),
            )
            .collect();
        for (from, to) in hops {
            unpack(topo, m, keys, from, to, &mut ranks);
        }
        (
            best.0,
            ranks
                .into_iter()
                .map(|r| topo.node_of[r as usize])
                .collect(),
        )
    });
    fwd.reset(topo, s);
    bwd.reset(topo, t);
    result
}

/// Appends the ranks of the road path of the arc traversal `from → to` (excluding `from`).
fn unpack(topo: &CchTopology, m: &Metric, keys: &[u64], from: u32, to: u32, out: &mut Vec<u32>) {
    let mut stack = vec![(from, to)];
    while let Some((a, b)) = stack.pop() {
        match middle(topo, m, keys, a, b) {
            None => out.push(b),
            Some(mid) => {
                stack.push((mid, b));
                stack.push((a, mid));
            }
        }
    }
}

/// The middle rank `z` of a shortcut traversal `a → b` (`a → z → b` through a lower
/// triangle giving exactly its weight), or `None` when a road edge gives its weight.
fn middle(topo: &CchTopology, m: &Metric, keys: &[u64], a: u32, b: u32) -> Option<u32> {
    let up = a < b;
    let (lo, hi) = if up { (a, b) } else { (b, a) };
    let arc = topo.find_arc(lo, hi)?;
    let w = if up { m.up_w[arc] } else { m.down_w[arc] };
    let edges = topo.arc_edge_first[arc] as usize..topo.arc_edge_first[arc + 1] as usize;
    let by_edge = topo.arc_edges[edges]
        .iter()
        .any(|&e| ((topo.edge_arc[e as usize] & DOWN_BIT == 0) == up) && keys[e as usize] == w);
    if by_edge {
        return None;
    }
    let lower = topo.down_first[lo as usize] as usize..topo.down_first[lo as usize + 1] as usize;
    for k in lower {
        let z = topo.down_tail[k];
        let a_zlo = topo.down_arc[k] as usize;
        let Some(a_zhi) = topo.find_arc(z, hi) else {
            continue;
        };
        // up: lo → z → hi; down: hi → z → lo.
        let via = if up {
            m.down_w[a_zlo].saturating_add(m.up_w[a_zhi])
        } else {
            m.down_w[a_zhi].saturating_add(m.up_w[a_zlo])
        };
        if via == w {
            return Some(z);
        }
    }
    None
}

/// Many-to-many weight keys, row-major `sources.len() × cols` (ranks in, keys out). Each
/// target is a `(rank, column)` pair; several ranks may share a column (a node and its
/// turn-restriction arrival copies), the entry being the best of them.
pub(crate) fn many_to_many(
    topo: &CchTopology,
    m: &Metric,
    sources: &[u32],
    targets: &[(u32, u32)],
    cols: usize,
) -> Vec<u64> {
    let n = topo.num_nodes();
    // Backward searches: (ancestor rank, target column, distance ancestor→target).
    let entries: Vec<Vec<(u32, u64)>> = targets
        .par_iter()
        .map_init(
            || SearchSpace::new(n),
            |space, &(t, _)| {
                let mut found = Vec::new();
                space.run_with(topo, m, t, false, true, |v, d| found.push((v, d)));
                space.reset(topo, t);
                found
            },
        )
        .collect();
    // Buckets by ancestor rank (counting sort).
    let mut first = vec![0u32; n + 1];
    for list in &entries {
        for &(v, _) in list {
            first[v as usize + 1] += 1;
        }
    }
    for v in 0..n {
        first[v + 1] += first[v];
    }
    let total = first[n] as usize;
    let mut fill = first.clone();
    let mut bucket_col = vec![0u32; total];
    let mut bucket_key = vec![0u64; total];
    for (&(_, col), list) in targets.iter().zip(&entries) {
        for &(v, d) in list {
            let slot = fill[v as usize] as usize;
            fill[v as usize] += 1;
            bucket_col[slot] = col;
            bucket_key[slot] = d;
        }
    }
    drop(entries);
    let mut out = vec![INF_KEY; sources.len() * cols];
    if cols == 0 {
        return out;
    }
    out.par_chunks_mut(cols)
        .zip(sources.par_iter())
        .for_each_init(
            || SearchSpace::new(n),
            |space, (row, &s)| {
                space.run_with(topo, m, s, true, true, |v, d| {
                    let r = first[v as usize] as usize..first[v as usize + 1] as usize;
                    for (&col, &b) in bucket_col[r.clone()].iter().zip(&bucket_key[r]) {
                        let total = d.saturating_add(b);
                        let cell = &mut row[col as usize];
                        if total < *cell {
                            *cell = total;
                        }
                    }
                });
                space.reset(topo, s);
            },
        );
    out
}
