//! Rule: a pickup and its delivery are on the same route, pickup first.

use super::Violation;
use crate::instance::Instance;

/// Pushes `PairSplit` and `PickupAfterDelivery` violations for every pair
/// whose two nodes are both visited (a missing one is a coverage violation).
pub fn check(inst: &Instance, routes: &[Vec<usize>], out: &mut Vec<Violation>) {
    if inst.nodes.iter().all(|n| n.pickup.is_none()) {
        return;
    }
    let mut at: Vec<Option<(usize, usize)>> = vec![None; inst.nodes.len()];
    for (route, stops) in routes.iter().enumerate() {
        for (position, &node) in stops.iter().enumerate() {
            if let Some(slot @ None) = at.get_mut(node) {
                *slot = Some((route, position));
            }
        }
    }
    for (delivery, node) in inst.nodes.iter().enumerate() {
        let Some(pickup) = node.pickup else { continue };
        let (Some(Some((pr, pp))), Some(Some((dr, dp)))) = (at.get(pickup), at.get(delivery))
        else {
            continue;
        };
        if pr != dr {
            out.push(Violation::PairSplit {
                pickup,
                pickup_route: *pr,
                delivery,
                delivery_route: *dr,
            });
        } else if pp > dp {
            out.push(Violation::PickupAfterDelivery {
                route: *pr,
                pickup,
                pickup_position: *pp,
                delivery,
                delivery_position: *dp,
            });
        }
    }
}
