//! Rule: service starts by each due date; every route is back by the horizon.
//!
//! A vehicle leaves the depot at the depot's ready time; travel time equals
//! the distance under the convention checked; arriving before a ready time
//! means waiting; service then takes the node's service time. Arrival after
//! `due + TOLERANCE` is late. Unknown nodes are skipped (coverage reports them).

use super::distance::edge_distance;
use super::{Violation, TOLERANCE};
use crate::instance::{DistanceConvention, Instance};

/// Pushes the first `LateArrival` of each route and any `LateReturnToDepot`.
pub fn check(
    inst: &Instance,
    routes: &[Vec<usize>],
    convention: DistanceConvention,
    out: &mut Vec<Violation>,
) {
    let Some(depot) = inst.nodes.first() else {
        return;
    };
    for (route, stops) in routes.iter().enumerate() {
        if stops.is_empty() {
            continue;
        }
        let mut time = depot.ready;
        let mut prev = 0;
        let mut late_reported = false;
        for (position, &node) in stops.iter().enumerate() {
            let (Some(n), Some(d)) = (
                inst.nodes.get(node),
                edge_distance(inst, convention, prev, node),
            ) else {
                continue;
            };
            let arrival = time + d;
            if arrival > n.due + TOLERANCE && !late_reported {
                out.push(Violation::LateArrival {
                    route,
                    position,
                    node,
                    arrival,
                    due: n.due,
                });
                late_reported = true;
            }
            time = arrival.max(n.ready) + n.service;
            prev = node;
        }
        let back = time + edge_distance(inst, convention, prev, 0).unwrap_or(0.0);
        if back > depot.due + TOLERANCE {
            out.push(Violation::LateReturnToDepot {
                route,
                arrival: back,
                due: depot.due,
            });
        }
    }
}
