//! Rule: every customer exactly once; no depot, no unknown node in a route.

use super::Violation;
use crate::instance::Instance;

/// Pushes `MissingCustomer`, `DuplicateCustomer`, `UnknownNode` and
/// `DepotInRoute` violations.
pub fn check(inst: &Instance, routes: &[Vec<usize>], out: &mut Vec<Violation>) {
    let n = inst.nodes.len();
    let mut first: Vec<Option<(usize, usize)>> = vec![None; n];
    for (route, stops) in routes.iter().enumerate() {
        for (position, &node) in stops.iter().enumerate() {
            if node == 0 {
                out.push(Violation::DepotInRoute { route, position });
                continue;
            }
            match first.get_mut(node) {
                None => out.push(Violation::UnknownNode {
                    route,
                    position,
                    node,
                }),
                Some(Some((first_route, first_position))) => {
                    out.push(Violation::DuplicateCustomer {
                        node,
                        route,
                        position,
                        first_route: *first_route,
                        first_position: *first_position,
                    })
                }
                Some(slot) => *slot = Some((route, position)),
            }
        }
    }
    for (node, seen) in first.iter().enumerate().skip(1) {
        if seen.is_none() {
            out.push(Violation::MissingCustomer { node });
        }
    }
}
