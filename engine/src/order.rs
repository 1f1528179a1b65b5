//! Metric-independent node order by recursive geometric nested dissection.
//!
//! A node set is split into connected components first; a connected set is cut by a straight
//! line (four directions: east, north and both diagonals; cut positions 35%..65% of the sorted
//! coordinates). The crossing edges' endpoints on the side with fewer of them form the
//! separator, which is ordered after both halves (ordered recursively). The order depends
//! only on coordinates and topology, never on travel times, so it survives any traffic update.

use crate::geo::{LatLon, LocalProjection};
use crate::graph::RoadGraph;

/// Sets at most this large are emitted as they are.
const LEAF: usize = 8;

/// Undirected simple adjacency (CSR) of a graph, without self-loops.
pub(crate) fn undirected(graph: &RoadGraph) -> (Vec<u32>, Vec<u32>) {
    let n = graph.num_nodes();
    let tails = graph.tails();
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(2 * graph.num_edges());
    for (e, &t) in tails.iter().enumerate() {
        let h = graph.head[e];
        if t != h {
            pairs.push((t, h));
            pairs.push((h, t));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let first = crate::graph::csr_offsets(n, pairs.iter().map(|p| p.0));
    (first, pairs.into_iter().map(|p| p.1).collect())
}

enum Task {
    Dissect(Vec<u32>),
    Emit(Vec<u32>),
}

/// Computes a nested-dissection order: `order[rank] = node`, separators last.
pub fn nested_dissection_order(graph: &RoadGraph) -> Vec<u32> {
    let n = graph.num_nodes();
    let (first, adj) = undirected(graph);
    let lat0 = if n == 0 {
        0.0
    } else {
        graph.lat.iter().sum::<f64>() / n as f64
    };
    let proj = LocalProjection::new(lat0);
    let xy: Vec<[f64; 2]> = (0..n)
        .map(|v| {
            proj.project(LatLon {
                lat: graph.lat[v],
                lon: graph.lon[v],
            })
        })
        .collect();
    let mut order = Vec::with_capacity(n);
    // stamp[v] == current task id marks membership of v in the set being processed.
    let mut stamp = vec![u32::MAX; n];
    let mut side = vec![0u8; n];
    let mut task_id = 0u32;
    let mut tasks = vec![Task::Dissect((0..n as u32).collect())];
    let mut queue: Vec<u32> = Vec::new();
    while let Some(task) = tasks.pop() {
        let set = match task {
            Task::Emit(sep) => {
                order.extend_from_slice(&sep);
                continue;
            }
            Task::Dissect(set) => set,
        };
        if set.len() <= LEAF {
            order.extend_from_slice(&set);
            continue;
        }
        task_id += 1;
        for &v in &set {
            stamp[v as usize] = task_id;
        }
        // Connected components inside the set (BFS); each is dissected on its own.
        let comp_id = task_id;
        task_id += 1;
        let mut components: Vec<Vec<u32>> = Vec::new();
        for &s in &set {
            if stamp[s as usize] != comp_id {
                continue;
            }
            stamp[s as usize] = task_id;
            queue.clear();
            queue.push(s);
            let mut i = 0;
            while i < queue.len() {
                let v = queue[i] as usize;
                i += 1;
                for &w in &adj[first[v] as usize..first[v + 1] as usize] {
                    if stamp[w as usize] == comp_id {
                        stamp[w as usize] = task_id;
                        queue.push(w);
                    }
                }
            }
            components.push(queue.clone());
        }
        if components.len() > 1 {
            tasks.extend(components.into_iter().map(Task::Dissect));
            continue;
        }
        let member = task_id;
        let (a, sep, b) = best_cut(&set, &xy, &first, &adj, &stamp, member, &mut side);
        tasks.push(Task::Emit(sep));
        tasks.push(Task::Dissect(b));
        tasks.push(Task::Dissect(a));
    }
    order
}

/// The best straight-line cut of a connected set: (side A without separator, separator,
/// side B without separator).
fn best_cut(
    set: &[u32],
    xy: &[[f64; 2]],
    first: &[u32],
    adj: &[u32],
    stamp: &[u32],
    member: u32,
    side: &mut [u8],
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    const DIRS: [[f64; 2]; 4] = [
        [1.0, 0.0],
        [0.0, 1.0],
        [
            std::f64::consts::FRAC_1_SQRT_2,
            std::f64::consts::FRAC_1_SQRT_2,
        ],
        [
            std::f64::consts::FRAC_1_SQRT_2,
            -std::f64::consts::FRAC_1_SQRT_2,
        ],
    ];
    const CUTS: [f64; 5] = [0.5, 0.42, 0.58, 0.35, 0.65];
    let len = set.len();
    let mut best: Option<(f64, Vec<u32>, usize, bool)> = None; // (score, sorted, cut, sep on A side)
    let mut sorted: Vec<u32> = set.to_vec();
    for dir in DIRS {
        let key = |v: u32| xy[v as usize][0] * dir[0] + xy[v as usize][1] * dir[1];
        sorted.sort_unstable_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
        for cut_frac in CUTS {
            let cut = ((len as f64 * cut_frac) as usize).clamp(1, len - 1);
            for (i, &v) in sorted.iter().enumerate() {
                side[v as usize] = u8::from(i >= cut);
            }
            let (mut bound_a, mut bound_b) = (0usize, 0usize);
            for &v in &sorted {
                let s = side[v as usize];
                let crosses = adj[first[v as usize] as usize..first[v as usize + 1] as usize]
                    .iter()
                    .any(|&w| stamp[w as usize] == member && side[w as usize] != s);
                if crosses {
                    if s == 0 {
                        bound_a += 1;
                    } else {
                        bound_b += 1;
                    }
                }
            }
            let sep = bound_a.min(bound_b);
            let small = cut.min(len - cut) as f64;
            // Separator size weighted by imbalance: a 35/65 cut must be clearly smaller to win.
            let score = sep as f64 * (len as f64 / 2.0) / small;
            if best.as_ref().is_none_or(|b| score < b.0) {
                best = Some((score, sorted.clone(), cut, bound_a <= bound_b));
            }
        }
    }
    let Some((_, sorted, cut, sep_on_a)) = best else {
        return (set.to_vec(), Vec::new(), Vec::new());
    };
    for (i, &v) in sorted.iter().enumerate() {
        side[v as usize] = u8::from(i >= cut);
    }
    let sep_side = if sep_on_a { 0 } else { 1 };
    let (mut a, mut sep, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for &v in &sorted {
        let s = side[v as usize];
        let crosses = s == sep_side
            && adj[first[v as usize] as usize..first[v as usize + 1] as usize]
                .iter()
                .any(|&w| stamp[w as usize] == member && side[w as usize] != s);
        if crosses {
            sep.push(v);
        } else if s == 0 {
            a.push(v);
        } else {
            b.push(v);
        }
    }
    (a, sep, b)
}
