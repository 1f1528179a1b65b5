//! Customizable contraction hierarchy: the metric-independent structure.
//!
//! Nodes are renamed by rank (their position in the nested-dissection order). Contracting the
//! nodes in rank order, each node's higher neighbours become a clique; the resulting chordal
//! supergraph is stored as undirected *arcs* `(low, high)` in an upward CSR (`up_first`,
//! `up_head`, heads ascending). The elimination tree (`parent[x]` = lowest higher neighbour)
//! drives the queries: every upward search from `x` visits exactly the ancestors of `x`.
//! Each arc carries two weights in a [`crate::customize::Metric`]: low→high and high→low.

use crate::graph::RoadGraph;

/// "No node / no arc".
pub(crate) const NONE: u32 = u32::MAX;

/// The CCH structure of one graph and order.
#[derive(Debug, Clone)]
pub struct CchTopology {
    /// `rank[node]`.
    pub(crate) rank: Vec<u32>,
    /// `node_of[rank]`.
    pub(crate) node_of: Vec<u32>,
    /// Upward arcs of rank `x`: `up_first[x]..up_first[x+1]`.
    pub(crate) up_first: Vec<u32>,
    /// Higher endpoint (rank) of each arc.
    pub(crate) up_head: Vec<u32>,
    /// Downward adjacency of rank `x`: `down_first[x]..down_first[x+1]`.
    pub(crate) down_first: Vec<u32>,
    /// Lower endpoint (rank) of each downward entry.
    pub(crate) down_tail: Vec<u32>,
    /// Arc id of each downward entry.
    pub(crate) down_arc: Vec<u32>,
    /// Elimination-tree parent (rank), [`NONE`] for roots.
    pub(crate) parent: Vec<u32>,
    /// Per input edge: its arc id; the high bit is set when the edge runs high→low.
    pub(crate) edge_arc: Vec<u32>,
    /// Height of the elimination tree (ranks on its longest root path).
    pub(crate) height: usize,
    /// Input edges of each arc: `arc_edges[arc_edge_first[a]..arc_edge_first[a+1]]`.
    pub(crate) arc_edge_first: Vec<u32>,
    /// Input edge ids grouped by arc.
    pub(crate) arc_edges: Vec<u32>,
    /// Lowest rank of the elimination subtree of each rank: the subtree of `x` is exactly
    /// the ranks `subtree_first[x]..=x` (ranks are a postorder of the tree).
    pub(crate) subtree_first: Vec<u32>,
}

/// Postorder of a forest given by parent pointers (`parent[x] > x` or [`NONE`]): position of
/// each node. Children and roots are visited in increasing order, so a forest already in
/// postorder maps to itself.
fn postorder(parent: &[u32]) -> Vec<u32> {
    let n = parent.len();
    let child_first = crate::graph::csr_offsets(n, parent.iter().copied().filter(|&p| p != NONE));
    let mut fill = child_first.clone();
    let mut child = vec![0u32; child_first[n] as usize];
    for (x, &p) in parent.iter().enumerate() {
        if p != NONE {
            child[fill[p as usize] as usize] = x as u32;
            fill[p as usize] += 1;
        }
    }
    let mut post = vec![0u32; n];
    let mut next = 0u32;
    // Stack of (node, index of the next child to visit).
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for root in (0..n as u32).filter(|&x| parent[x as usize] == NONE) {
        stack.push((root, child_first[root as usize]));
        while let Some(top) = stack.last_mut() {
            let (x, k) = *top;
            if k < child_first[x as usize + 1] {
                top.1 += 1;
                let c = child[k as usize];
                stack.push((c, child_first[c as usize]));
            } else {
                post[x as usize] = next;
                next += 1;
                stack.pop();
            }
        }
    }
    post
}

/// Marks an input edge that runs from the higher to the lower rank.
pub(crate) const DOWN_BIT: u32 = 1 << 31;

impl CchTopology {
    /// Contracts `graph` along `order` (`order[rank] = node`, a permutation).
    pub fn build(graph: &RoadGraph, order: &[u32]) -> CchTopology {
        let n = graph.num_nodes();
        let mut rank = vec![0u32; n];
        for (r, &v) in order.iter().enumerate() {
            rank[v as usize] = r as u32;
        }
        let (first, adj) = crate::order::undirected(graph);
        let mut up: Vec<Vec<u32>> = vec![Vec::new(); n];
        for v in 0..n {
            let rv = rank[v];
            for &w in &adj[first[v] as usize..first[v + 1] as usize] {
                let rw = rank[w as usize];
                if rw > rv {
                    up[rv as usize].push(rw);
                }
            }
        }
        let mut parent = vec![NONE; n];
        for x in 0..n {
            let mut list = std::mem::take(&mut up[x]);
            list.sort_unstable();
            list.dedup();
            if let Some((&p, rest)) = list.split_first() {
                parent[x] = p;
                up[p as usize].extend_from_slice(rest);
            }
            up[x] = list;
        }
        // Renumber by a postorder of the elimination tree, so that every subtree is one
        // contiguous rank range (and its arcs one contiguous arc range): customization then
        // splits independent subtrees over threads with plain slices. A postorder is a
        // topological order of the tree, so the chordal supergraph stays the same (every
        // higher neighbour is an ancestor, hence still higher). Nested-dissection orders are
        // nearly postorders already; only the small leaf sets move.
        let post = postorder(&parent);
        let (rank, order, up, parent) = if post.iter().enumerate().all(|(i, &p)| p as usize == i) {
            (rank, order.to_vec(), up, parent)
        } else {
            let mut new_up: Vec<Vec<u32>> = vec![Vec::new(); n];
            let mut new_parent = vec![NONE; n];
            let mut new_order = vec![0u32; n];
            for (x, list) in up.into_iter().enumerate() {
                let nx = post[x] as usize;
                let mut l: Vec<u32> = list.into_iter().map(|y| post[y as usize]).collect();
                l.sort_unstable();
                new_up[nx] = l;
                new_parent[nx] = if parent[x] == NONE {
                    NONE
                } else {
                    post[parent[x] as usize]
                };
                new_order[nx] = order[x];
            }
            let mut new_rank = vec![0u32; n];
            for (r, &v) in new_order.iter().enumerate() {
                new_rank[v as usize] = r as u32;
            }
            (new_rank, new_order, new_up, new_parent)
        };
        let mut subtree_first: Vec<u32> = (0..n as u32).collect();
        for x in 0..n {
            let p = parent[x];
            if p != NONE {
                subtree_first[p as usize] = subtree_first[p as usize].min(subtree_first[x]);
            }
        }
        let up_first = crate::graph::csr_offsets(
            n,
            up.iter()
                .enumerate()
                .flat_map(|(x, l)| std::iter::repeat_n(x as u32, l.len())),
        );
        let up_head: Vec<u32> = up.into_iter().flatten().collect();
        // Downward adjacency, sorted by lower endpoint because arcs are visited in rank order.
        let mut down_count = vec![0u32; n + 1];
        for &h in &up_head {
            down_count[h as usize + 1] += 1;
        }
        for x in 0..n {
            down_count[x + 1] += down_count[x];
        }
        let down_first = down_count.clone();
        let mut fill = down_count;
        let mut down_tail = vec![0u32; up_head.len()];
        let mut down_arc = vec![0u32; up_head.len()];
        for x in 0..n {
            for a in up_first[x]..up_first[x + 1] {
                let h = up_head[a as usize] as usize;
                let slot = fill[h] as usize;
                fill[h] += 1;
                down_tail[slot] = x as u32;
                down_arc[slot] = a;
            }
        }
        let tails = graph.tails();
        let edge_arc: Vec<u32> = tails
            .iter()
            .zip(&graph.head)
            .map(|(&t, &h)| {
                let (rt, rh) = (rank[t as usize], rank[h as usize]);
                let (lo, hi, bit) = if rt < rh {
                    (rt, rh, 0)
                } else {
                    (rh, rt, DOWN_BIT)
                };
                let range = up_first[lo as usize] as usize..up_first[lo as usize + 1] as usize;
                let pos = up_head[range.clone()]
                    .binary_search(&hi)
                    .map_or(NONE, |p| (range.start + p) as u32);
                pos | bit
            })
            .collect();
        let mut depth = vec![1u32; n];
        for x in 0..n {
            let p = parent[x];
            if p != NONE {
                depth[p as usize] = depth[p as usize].max(depth[x] + 1);
            }
        }
        let height = depth.iter().copied().max().unwrap_or(0) as usize;
        let arcs = up_head.len();
        let mut arc_edge_first = vec![0u32; arcs + 1];
        for &code in &edge_arc {
            let a = (code & !DOWN_BIT) as usize;
            if a < arcs {
                arc_edge_first[a + 1] += 1;
            }
        }
        for a in 0..arcs {
            arc_edge_first[a + 1] += arc_edge_first[a];
        }
        let mut fill = arc_edge_first.clone();
        let mut arc_edges = vec![0u32; arc_edge_first[arcs] as usize];
        for (e, &code) in edge_arc.iter().enumerate() {
            let a = (code & !DOWN_BIT) as usize;
            if a < arcs {
                arc_edges[fill[a] as usize] = e as u32;
                fill[a] += 1;
            }
        }
        CchTopology {
            arc_edge_first,
            arc_edges,
            rank,
            node_of: order,
            subtree_first,
            up_first,
            up_head,
            down_first,
            down_tail,
            down_arc,
            parent,
            edge_arc,
            height,
        }
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.rank.len()
    }

    /// Number of arcs (undirected edges of the chordal supergraph).
    pub fn num_arcs(&self) -> usize {
        self.up_head.len()
    }

    /// Height of the elimination tree (the most ancestors any upward search visits).
    pub fn tree_height(&self) -> usize {
        self.height
    }

    /// Number of lower triangles (arc pairs `(z, x)`, `(z, y)` with `z < x < y`): the work of
    /// one customization.
    pub fn num_triangles(&self) -> u64 {
        self.up_first
            .windows(2)
            .map(|w| {
                let d = u64::from(w[1] - w[0]);
                d * d.saturating_sub(1) / 2
            })
            .sum()
    }

    /// Upward arc range of rank `x`.
    #[inline]
    pub(crate) fn up_arcs(&self, x: u32) -> std::ops::Range<usize> {
        self.up_first[x as usize] as usize..self.up_first[x as usize + 1] as usize
    }

    /// Lower endpoint (rank) of an arc.
    pub(crate) fn arc_tail(&self, arc: usize) -> u32 {
        (self.up_first.partition_point(|&f| f as usize <= arc) - 1) as u32
    }

    /// Arc id between ranks `lo < hi`, if present.
    pub(crate) fn find_arc(&self, lo: u32, hi: u32) -> Option<usize> {
        let range = self.up_arcs(lo);
        self.up_head[range.clone()]
            .binary_search(&hi)
            .ok()
            .map(|p| range.start + p)
    }
}
