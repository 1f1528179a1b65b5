//! The routable road graph: compact CSR arrays with integer weights.

use crate::geo::LatLon;
use crate::Profile;

/// Index of a node of a [`RoadGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// Index of a directed edge of a [`RoadGraph`] (its position in the CSR arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeId(pub u32);

/// "No path" as a weight key.
pub const INF_KEY: u64 = u64::MAX;

/// Packs a travel time and a distance into one weight key, compared lexicographically:
/// the fastest path, and among equally fast paths the shortest, is the unique minimum.
/// Sums of keys stay exact while the summed distance stays below 2^32 dm (429,000 km).
#[inline]
pub fn pack_key(travel_ms: u32, dist_dm: u32) -> u64 {
    (u64::from(travel_ms) << 32) | u64::from(dist_dm)
}

/// Travel time in milliseconds of a key (`None` for [`INF_KEY`]).
#[inline]
pub fn key_travel_ms(key: u64) -> Option<u32> {
    (key != INF_KEY).then_some((key >> 32) as u32)
}

/// Distance in decimetres of a key (`None` for [`INF_KEY`]).
#[inline]
pub fn key_dist_dm(key: u64) -> Option<u32> {
    (key != INF_KEY).then_some((key & 0xFFFF_FFFF) as u32)
}

/// One directed edge given to [`RoadGraph::build`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEdge {
    /// Tail node index.
    pub from: u32,
    /// Head node index.
    pub to: u32,
    /// Travel time, milliseconds.
    pub travel_ms: u32,
    /// Length, decimetres.
    pub dist_dm: u32,
    /// Index of the way in the way-id table.
    pub way: u32,
}

/// What the import or build dropped to keep the graph strongly connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuildReport {
    /// Nodes given (on usable ways).
    pub nodes_in: usize,
    /// Directed edges given (after removing self-loops and parallel duplicates).
    pub edges_in: usize,
    /// Strongly connected components found.
    pub components: usize,
    /// Nodes kept (the largest strongly connected component).
    pub nodes_kept: usize,
    /// Directed edges kept.
    pub edges_kept: usize,
    /// Turn restrictions (via a node or via ways) found in the data for this profile.
    pub restrictions_found: usize,
    /// Turn restrictions applied to the graph (see [`crate::turns`]); for the others and
    /// why, see `via_node` and `via_way`.
    pub restrictions_applied: usize,
    /// Via-node restrictions: found, applied, skipped by reason.
    pub via_node: RestrictionCounts,
    /// Via-way restrictions (one or several via ways): found, applied, skipped by reason.
    pub via_way: RestrictionCounts,
}

impl BuildReport {
    /// Nodes dropped (outside the largest strongly connected component).
    pub fn nodes_dropped(&self) -> usize {
        self.nodes_in - self.nodes_kept
    }
    /// Edges dropped.
    pub fn edges_dropped(&self) -> usize {
        self.edges_in - self.edges_kept
    }
}

/// A strongly connected directed road graph for one profile, in CSR form.
///
/// Edge `e` of node `v` lies in `first_out[v]..first_out[v+1]`; its head is `head[e]`, its
/// travel time `travel_ms[e]` (milliseconds), its length `dist_dm[e]` (decimetres) and its way
/// `way_ids[way_idx[e]]` (the OSM way id, or a synthetic id for generated networks).
#[derive(Debug, Clone, PartialEq)]
pub struct RoadGraph {
    pub(crate) profile: Profile,
    pub(crate) lat: Vec<f64>,
    pub(crate) lon: Vec<f64>,
    pub(crate) first_out: Vec<u32>,
    pub(crate) head: Vec<u32>,
    pub(crate) travel_ms: Vec<u32>,
    pub(crate) dist_dm: Vec<u32>,
    pub(crate) way_idx: Vec<u32>,
    pub(crate) way_ids: Vec<i64>,
    /// Original node of each turn-restriction arrival copy (copies are the nodes from
    /// `num_nodes() - copy_of.len()` on; see [`crate::turns`]); empty without restrictions.
    pub(crate) copy_of: Vec<u32>,
}

impl RoadGraph {
    /// Builds the graph from node coordinates and directed edges: drops self-loops, keeps the
    /// fastest of parallel edges, keeps only the largest strongly connected component, and
    /// renumbers nodes densely. Edges must reference nodes `< coords.len()` and ways
    /// `< way_ids.len()`; out-of-range edges are dropped.
    pub fn build(
        profile: Profile,
        coords: &[LatLon],
        edges: Vec<RawEdge>,
        way_ids: Vec<i64>,
    ) -> (RoadGraph, BuildReport) {
        let (graph, report, _) = RoadGraph::build_mapped(profile, coords, edges, way_ids);
        (graph, report)
    }

    /// As [`RoadGraph::build`], also returning the new id of every given node (`u32::MAX`
    /// for dropped nodes).
    pub(crate) fn build_mapped(
        profile: Profile,
        coords: &[LatLon],
        mut edges: Vec<RawEdge>,
        way_ids: Vec<i64>,
    ) -> (RoadGraph, BuildReport, Vec<u32>) {
        let n = coords.len();
        edges.retain(|e| {
            e.from != e.to
                && (e.from as usize) < n
                && (e.to as usize) < n
                && (e.way as usize) < way_ids.len()
        });
        edges.sort_unstable_by_key(|e| (e.from, e.to, pack_key(e.travel_ms, e.dist_dm)));
        edges.dedup_by_key(|e| (e.from, e.to));
        let mut used = vec![false; n];
        for e in &edges {
            used[e.from as usize] = true;
            used[e.to as usize] = true;
        }
        let nodes_in = used.iter().filter(|&&u| u).count();
        let edges_in = edges.len();
        let first_out = csr_offsets(n, edges.iter().map(|e| e.from));
        let head: Vec<u32> = edges.iter().map(|e| e.to).collect();
        let (comp, components, largest) = strongly_connected(&first_out, &head);
        // Isolated nodes form singleton components; they are never "kept" unless the whole
        // graph is one node.
        let keep: Vec<bool> = (0..n).map(|v| used[v] && comp[v] == largest).collect();
        let mut new_id = vec![u32::MAX; n];
        let mut lat = Vec::new();
        let mut lon = Vec::new();
        for v in 0..n {
            if keep[v] {
                new_id[v] = lat.len() as u32;
                lat.push(coords[v].lat);
                lon.push(coords[v].lon);
            }
        }
        let kept: Vec<RawEdge> = edges
            .into_iter()
            .filter(|e| keep[e.from as usize] && keep[e.to as usize])
            .map(|e| RawEdge {
                from: new_id[e.from as usize],
                to: new_id[e.to as usize],
                ..e
            })
            .collect();
        let graph = RoadGraph::from_sorted(profile, lat, lon, &kept, way_ids);
        let report = BuildReport {
            nodes_in,
            edges_in,
            components,
            nodes_kept: graph.num_nodes(),
            edges_kept: graph.num_edges(),
            restrictions_found: 0,
            restrictions_applied: 0,
            via_node: RestrictionCounts::default(),
            via_way: RestrictionCounts::default(),
        };
        (graph, report, new_id)
    }

    /// CSR from edges sorted by tail.
    fn from_sorted(
        profile: Profile,
        lat: Vec<f64>,
        lon: Vec<f64>,
        edges: &[RawEdge],
        way_ids: Vec<i64>,
    ) -> RoadGraph {
        RoadGraph {
            profile,
            first_out: csr_offsets(lat.len(), edges.iter().map(|e| e.from)),
            lat,
            lon,
            head: edges.iter().map(|e| e.to).collect(),
            travel_ms: edges.iter().map(|e| e.travel_ms).collect(),
            dist_dm: edges.iter().map(|e| e.dist_dm).collect(),
            way_idx: edges.iter().map(|e| e.way).collect(),
            way_ids,
            copy_of: Vec::new(),
        }
    }

    /// The profile the graph was built for.
    pub fn profile(&self) -> Profile {
        self.profile
    }
    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.lat.len()
    }
    /// Number of directed edges.
    pub fn num_edges(&self) -> usize {
        self.head.len()
    }
    /// Position of a node.
    pub fn coord(&self, v: NodeId) -> LatLon {
        LatLon {
            lat: self.lat[v.0 as usize],
            lon: self.lon[v.0 as usize],
        }
    }
    /// Outgoing edge range of a node.
    pub fn out_edges(&self, v: NodeId) -> std::ops::Range<usize> {
        self.first_out[v.0 as usize] as usize..self.first_out[v.0 as usize + 1] as usize
    }
    /// Head node of an edge.
    pub fn head(&self, e: EdgeId) -> NodeId {
        NodeId(self.head[e.0 as usize])
    }
    /// Tail node of every edge (computed, `O(m)`).
    pub fn tails(&self) -> Vec<u32> {
        let mut tails = Vec::with_capacity(self.num_edges());
        for v in 0..self.num_nodes() {
            let n = (self.first_out[v + 1] - self.first_out[v]) as usize;
            tails.extend(std::iter::repeat_n(v as u32, n));
        }
        tails
    }
    /// Travel time of an edge, milliseconds.
    pub fn travel_ms(&self, e: EdgeId) -> u32 {
        self.travel_ms[e.0 as usize]
    }
    /// Length of an edge, decimetres.
    pub fn dist_dm(&self, e: EdgeId) -> u32 {
        self.dist_dm[e.0 as usize]
    }
    /// OSM (or synthetic) way id of an edge.
    pub fn way_id(&self, e: EdgeId) -> i64 {
        self.way_ids[self.way_idx[e.0 as usize] as usize]
    }
    /// The free-flow weight keys of all edges ([`pack_key`] of time and distance).
    pub fn base_keys(&self) -> Vec<u64> {
        self.travel_ms
            .iter()
            .zip(&self.dist_dm)
            .map(|(&t, &d)| pack_key(t, d))
            .collect()
    }
    /// Number of road nodes without the turn-restriction arrival copies (node ids below this
    /// are real junctions and way points).
    pub fn num_original_nodes(&self) -> usize {
        self.num_nodes() - self.copy_of.len()
    }
    /// The road node of `v`: itself, or the junction an arrival copy stands for.
    pub fn original_node(&self, v: NodeId) -> NodeId {
        let first_copy = self.num_original_nodes();
        match (v.0 as usize).checked_sub(first_copy) {
            Some(i) if i < self.copy_of.len() => NodeId(self.copy_of[i]),
            _ => v,
        }
    }
    /// Nodes where a trip to `v` may end: `v`'s road node and its arrival copies.
    pub fn arrival_nodes(&self, v: NodeId) -> Vec<NodeId> {
        let o = self.original_node(v);
        let first_copy = self.num_original_nodes();
        std::iter::once(o)
            .chain(
                self.copy_of
                    .iter()
                    .enumerate()
                    .filter(|&(_, &c)| c == o.0)
                    .map(|(i, _)| NodeId((first_copy + i) as u32)),
            )
            .collect()
    }
    /// Number of turn-restriction arrival copies.
    pub fn num_turn_copies(&self) -> usize {
        self.copy_of.len()
    }
    /// The edge from `u` to `v`, if any.
    pub fn find_edge(&self, u: NodeId, v: NodeId) -> Option<EdgeId> {
        self.out_edges(u)
            .find(|&e| self.head[e] == v.0)
            .map(|e| EdgeId(e as u32))
    }
}

/// CSR offsets from a sorted sequence of tails.
pub(crate) fn csr_offsets(n: usize, tails: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut first = vec![0u32; n + 1];
    for t in tails {
        first[t as usize + 1] += 1;
    }
    for v in 0..n {
        first[v + 1] += first[v];
    }
    first
}

/// Strongly connected components (iterative Tarjan): component of each node, the number of
/// components and the id of the largest.
pub(crate) fn strongly_connected(first_out: &[u32], head: &[u32]) -> (Vec<u32>, usize, u32) {
    let n = first_out.len().saturating_sub(1);
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut call: Vec<(u32, u32)> = Vec::new();
    let mut counter = 0u32;
    let mut sizes: Vec<usize> = Vec::new();
    for s in 0..n {
        if index[s] != UNSEEN {
            continue;
        }
        index[s] = counter;
        low[s] = counter;
        counter += 1;
        stack.push(s as u32);
        on_stack[s] = true;
        call.push((s as u32, first_out[s]));
        while let Some(&(v, e)) = call.last() {
            let vi = v as usize;
            if e < first_out[vi + 1] {
                if let Some(top) = call.last_mut() {
                    top.1 += 1;
                }
                let w = head[e as usize] as usize;
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    call.push((w as u32, first_out[w]));
                } else if on_stack[w] {
                    low[vi] = low[vi].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(p, _)) = call.last() {
                    low[p as usize] = low[p as usize].min(low[vi]);
                }
                if low[vi] == index[vi] {
                    let id = sizes.len() as u32;
                    let mut size = 0;
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp[w as usize] = id;
                        size += 1;
                        if w == v {
                            break;
                        }
                    }
                    sizes.push(size);
                }
            }
        }
    }
    let largest = sizes
        .iter()
        .enumerate()
        .max_by_key(|&(i, &s)| (s, std::cmp::Reverse(i)))
        .map_or(0, |(i, _)| i as u32);
    (comp, sizes.len(), largest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn edge(from: u32, to: u32) -> RawEdge {
        RawEdge {
            from,
            to,
            travel_ms: 1000,
            dist_dm: 100,
            way: 0,
        }
    }

    /// A 3-cycle plus a one-way spur: the spur's node is dropped, the cycle kept.
    #[test]
    fn keeps_largest_scc() {
        let coords: Vec<LatLon> = (0..4)
            .map(|i| LatLon {
                lat: 47.0,
                lon: 9.0 + f64::from(i) * 0.001,
            })
            .collect();
        let edges = vec![
            edge(0, 1),
            edge(1, 2),
            edge(2, 0),
            edge(2, 3),
            edge(2, 3),
            edge(1, 1),
        ];
        let (g, report) = RoadGraph::build(Profile::Car, &coords, edges, vec![7]);
        assert_eq!(g.num_nodes(), 3);
        assert_eq!(g.num_edges(), 3);
        assert_eq!(report.nodes_in, 4);
        assert_eq!(report.edges_in, 4);
        assert_eq!(report.components, 2);
        assert_eq!(report.nodes_dropped(), 1);
        assert_eq!(g.way_id(EdgeId(0)), 7);
    }

    /// Keys order by time first, then distance.
    #[test]
    fn key_packing() {
        assert!(pack_key(10, 5) < pack_key(11, 0));
        assert!(pack_key(10, 5) < pack_key(10, 6));
        assert_eq!(key_travel_ms(pack_key(10, 5) + pack_key(1, 2)), Some(11));
        assert_eq!(key_dist_dm(pack_key(10, 5) + pack_key(1, 2)), Some(7));
        assert_eq!(key_travel_ms(INF_KEY), None);
    }
}

/// Counts of one kind of turn restriction (via node or via way) in an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestrictionCounts {
    /// `no_*` / `only_*` relations found for the profile.
    pub found: usize,
    /// Applied to the graph.
    pub applied: usize,
    /// Skipped: [`SkipReason::Members`].
    pub bad_members: usize,
    /// Skipped: [`SkipReason::Outside`].
    pub outside: usize,
    /// Skipped: [`SkipReason::NotConnected`].
    pub not_connected: usize,
    /// Skipped: [`SkipReason::NotInGraph`].
    pub not_in_graph: usize,
}

impl std::fmt::Display for RestrictionCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} found, {} applied, {} skipped ({} bad members, {} outside the extract or profile, {} not connected, {} not in the graph)",
            self.found,
            self.applied,
            self.skipped(),
            self.bad_members,
            self.outside,
            self.not_connected,
            self.not_in_graph
        )
    }
}

impl RestrictionCounts {
    /// Restrictions skipped, all reasons together.
    pub fn skipped(&self) -> usize {
        self.bad_members + self.outside + self.not_connected + self.not_in_graph
    }

    /// Counts one skipped restriction.
    pub fn skip(&mut self, reason: SkipReason) {
        match reason {
            SkipReason::Members => self.bad_members += 1,
            SkipReason::Outside => self.outside += 1,
            SkipReason::NotConnected => self.not_connected += 1,
            SkipReason::NotInGraph => self.not_in_graph += 1,
        }
    }
}

/// Why an OSM restriction relation was not applied (counted per reason in
/// [`RestrictionCounts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The members are not one `from` way, one `to` way and a via node or via way(s) (e.g. a
    /// missing `to`, several `from` ways, a relation as via, a mix of via node and ways).
    Members,
    /// A member way or node is not in the extract or not usable by the profile.
    Outside,
    /// The via ways do not form one chain from the end of the `from` way to the end of the
    /// `to` way (or the via node does not end both ways).
    NotConnected,
    /// An edge of the turn is not in the graph (outside the kept component, or against a
    /// one-way).
    NotInGraph,
}
