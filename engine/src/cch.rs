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
    /// Ranks grouped by elimination-tree height (leaves first), for parallel customization.
    pub(crate) levels: Vec<Vec<u32>>,
    /// Input edges of each arc: `arc_edges[arc_edge_first[a]..arc_edge_first[a+1]]`.
    pub(crate) arc_edge_first: Vec<u32>,
    /// Input edge ids grouped by arc.
    pub(crate) arc_edges: Vec<u32>,
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
        let mut height = vec![0u32; n];
        for x in 0..n {
            let p = parent[x];
            if p != NONE {
                height[p as usize] = height[p as usize].max(height[x] + 1);
            }
        }
        let max_h = height.iter().copied().max().unwrap_or(0) as usize;
        let mut levels = vec![Vec::new(); if n == 0 { 0 } else { max_h + 1 }];
        for x in 0..n {
            levels[height[x] as usize].push(x as u32);
        }
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
            node_of: order.to_vec(),
            up_first,
            up_head,
            down_first,
            down_tail,
            down_arc,
            parent,
            edge_arc,
            levels,
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
        self.levels.len()
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
