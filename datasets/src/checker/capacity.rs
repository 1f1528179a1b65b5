//! Rule: the load on board never exceeds the capacity.
//!
//! A route starts empty at the depot; each stop adds its demand (a Li & Lim
//! delivery has a negative demand and unloads). For instances without
//! pickups and deliveries this checks the route's total demand, reported at
//! the first stop where the running sum exceeds the capacity.

use super::Violation;
use crate::instance::Instance;

/// Pushes the first `CapacityExceeded` of each route.
pub fn check(inst: &Instance, routes: &[Vec<usize>], out: &mut Vec<Violation>) {
    for (route, stops) in routes.iter().enumerate() {
        let mut load: i64 = 0;
        for (position, &node) in stops.iter().enumerate() {
            let demand = inst.nodes.get(node).map_or(0, |n| n.demand);
            load = load.saturating_add(demand);
            if load > inst.capacity {
                out.push(Violation::CapacityExceeded {
                    route,
                    position,
                    node,
                    load,
                    capacity: inst.capacity,
                });
                break;
            }
        }
    }
}
