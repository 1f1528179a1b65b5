//! Metric-independent node order by recursive geometric nested dissection.
//!
//! A node set is split into connected components first; a connected set is cut by a straight
//! line (four directions: east, north and both diagonals; every cut position between 25% and
//! 75% of the sorted coordinates is scored by a sweep). The crossing edges' endpoints on the
//! side with fewer of them form the separator, which is ordered after both halves (ordered recursively). The order depends
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
    let mut cross = vec![0u32; n];
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
        let (a, sep, b) = best_cut(
            &set, &xy, &first, &adj, &stamp, member, &mut side, &mut cross,
        );
        tasks.push(Task::Emit(sep));
        tasks.push(Task::Dissect(b));
        tasks.push(Task::Dissect(a));
    }
    order
}

/// The best straight-line cut of a connected set: (side A without separator, separator,
/// side B without separator). For each direction the nodes are sorted by their projection
/// and swept from one side to the other; the boundary sizes are kept up to date per move, so
/// every cut position between 25% and 75% is scored in `O(n + m)`.
#[allow(clippy::too_many_arguments)]
fn best_cut(
    set: &[u32],
    xy: &[[f64; 2]],
    first: &[u32],
    adj: &[u32],
    stamp: &[u32],
    member: u32,
    side: &mut [u8],
    cross: &mut [u32],
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    use std::f64::consts::FRAC_1_SQRT_2;
    const DIRS: [[f64; 2]; 4] = [
        [1.0, 0.0],
        [0.0, 1.0],
        [FRAC_1_SQRT_2, FRAC_1_SQRT_2],
        [FRAC_1_SQRT_2, -FRAC_1_SQRT_2],
    ];
    let len = set.len();
    let lo = (len / 4).max(1);
    let hi = (len - len / 4).min(len - 1).max(lo);
    let mut best: Option<(f64, usize, usize, bool)> = None; // (score, dir, cut, separator on A side)
    let mut keyed: Vec<(f64, u32)> = Vec::with_capacity(len);
    let sort_dir = |keyed: &mut Vec<(f64, u32)>, dir: [f64; 2]| {
        keyed.clear();
        keyed.extend(
            set.iter()
                .map(|&v| (xy[v as usize][0] * dir[0] + xy[v as usize][1] * dir[1], v)),
        );
        keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    };
    for (d, dir) in DIRS.iter().enumerate() {
        sort_dir(&mut keyed, *dir);
        for &(_, v) in &keyed {
            side[v as usize] = 1;
            cross[v as usize] = 0;
        }
        let (mut bound_a, mut bound_b) = (0usize, 0usize);
        for (i, &(_, v)) in keyed.iter().enumerate().take(hi) {
            let vi = v as usize;
            if cross[vi] > 0 {
                bound_b -= 1;
            }
            side[vi] = 0;
            cross[vi] = 0;
            for &w in &adj[first[vi] as usize..first[vi + 1] as usize] {
                let wi = w as usize;
                if stamp[wi] != member {
                    continue;
                }
                if side[wi] == 0 {
                    cross[wi] -= 1;
                    if cross[wi] == 0 {
                        bound_a -= 1;
                    }
                } else {
                    cross[vi] += 1;
                    cross[wi] += 1;
                    if cross[wi] == 1 {
                        bound_b += 1;
                    }
                }
            }
            if cross[vi] > 0 {
                bound_a += 1;
            }
            let cut = i + 1;
            if cut < lo {
                continue;
            }
            let sep = bound_a.min(bound_b);
            let small = cut.min(len - cut) as f64;
            // Separator size weighted by imbalance: a 25/75 cut must be half the size to win.
            let score = sep as f64 * (len as f64 / 2.0) / small;
            if best.is_none_or(|b| score < b.0) {
                best = Some((score, d, cut, bound_a <= bound_b));
            }
        }
    }
    let Some((_, d, cut, sep_on_a)) = best else {
        return (set.to_vec(), Vec::new(), Vec::new());
    };
    sort_dir(&mut keyed, DIRS[d]);
    for (i, &(_, v)) in keyed.iter().enumerate() {
        side[v as usize] = u8::from(i >= cut);
    }
    let sep_side = if sep_on_a { 0 } else { 1 };
    let (mut a, mut sep, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for &(_, v) in &keyed {
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
