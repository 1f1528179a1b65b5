//! Distances under each convention, and the total distance of a solution.

use crate::instance::{DistanceConvention, Instance};

/// Distance (= travel time) from node `i` to node `j` under `convention`;
/// `None` when either index is out of range.
///
/// * `Exact`: Euclidean in double precision;
/// * `Nint`: Euclidean rounded to the nearest integer (TSPLIB `EUC_2D`: `floor(d + 0.5)`);
/// * `Dimacs`: `floor(10 d) / 10` (one decimal, truncated);
/// * `Explicit`: the instance's matrix entry `i * n + j` (Euclidean when it has no matrix).
pub fn edge_distance(
    inst: &Instance,
    convention: DistanceConvention,
    i: usize,
    j: usize,
) -> Option<f64> {
    let (a, b) = (inst.nodes.get(i)?, inst.nodes.get(j)?);
    if convention == DistanceConvention::Explicit {
        if let Some(m) = &inst.matrix {
            return m
                .get(i.checked_mul(inst.nodes.len())?.checked_add(j)?)
                .copied();
        }
    }
    let (dx, dy) = (a.x - b.x, a.y - b.y);
    let d = (dx * dx + dy * dy).sqrt();
    Some(match convention {
        DistanceConvention::Exact | DistanceConvention::Explicit => d,
        DistanceConvention::Nint => (d + 0.5).floor(),
        DistanceConvention::Dimacs => (d * 10.0).floor() / 10.0,
    })
}

/// The stops of a route with the depot added at both ends.
pub(crate) fn closed(route: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let stops = std::iter::once(0)
        .chain(route.iter().copied())
        .chain(std::iter::once(0));
    stops.clone().zip(stops.skip(1))
}

/// Total distance of the non-empty routes, depot to depot, summed edge by
/// edge in route order into one running total (the order the peers'
/// evaluator uses, so double-precision totals agree to the last bit).
/// Edges touching an unknown node count 0 (the coverage rule reports the node).
pub fn total(inst: &Instance, routes: &[Vec<usize>], convention: DistanceConvention) -> f64 {
    let mut sum = 0.0;
    for route in routes.iter().filter(|r| !r.is_empty()) {
        for (i, j) in closed(route) {
            sum += edge_distance(inst, convention, i, j).unwrap_or(0.0);
        }
    }
    sum
}
