//! Plain Dijkstra on the road graph: the reference every fast query is checked against.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::graph::{RoadGraph, INF_KEY};

/// Weight keys from `source` to every node, over the given per-edge keys ([`INF_KEY`] = closed).
pub fn dijkstra_keys(graph: &RoadGraph, edge_keys: &[u64], source: u32) -> Vec<u64> {
    let n = graph.num_nodes();
    let mut dist = vec![INF_KEY; n];
    let mut heap = BinaryHeap::new();
    if (source as usize) < n {
        dist[source as usize] = 0;
        heap.push(Reverse((0u64, source)));
    }
    while let Some(Reverse((d, v))) = heap.pop() {
        if d > dist[v as usize] {
            continue;
        }
        let range = graph.first_out[v as usize] as usize..graph.first_out[v as usize + 1] as usize;
        for (&w, &h) in edge_keys[range.clone()].iter().zip(&graph.head[range]) {
            if w == INF_KEY {
                continue;
            }
            let h = h as usize;
            let nd = d.saturating_add(w);
            if nd < dist[h] {
                dist[h] = nd;
                heap.push(Reverse((nd, h as u32)));
            }
        }
    }
    dist
}

/// Weight keys of trips from road node `source` to every road node (see [`crate::turns`]):
/// Dijkstra from the road node, each destination taking its best arrival (the node itself
/// or one of its turn-restriction arrival copies). Indexed by road node
/// (`0..graph.num_original_nodes()`); equal to [`dijkstra_keys`] without restrictions.
pub fn dijkstra_trips(graph: &RoadGraph, edge_keys: &[u64], source: u32) -> Vec<u64> {
    let source = graph.original_node(crate::NodeId(source)).0;
    let mut dist = dijkstra_keys(graph, edge_keys, source);
    let first_copy = graph.num_original_nodes();
    for (i, &orig) in graph.copy_of.iter().enumerate() {
        let d = dist[first_copy + i];
        let o = &mut dist[orig as usize];
        *o = (*o).min(d);
    }
    dist.truncate(first_copy);
    dist
}
