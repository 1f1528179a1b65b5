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
