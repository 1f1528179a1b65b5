//! The independent solution checker.
//!
//! [`check`] recomputes a solution's total distance under the instance's
//! [`DistanceConvention`] (or another one with [`check_with`]) and checks
//! every rule, one rule per file:
//!
//! * [`coverage`]: every customer exactly once, no depot and no unknown node
//!   inside a route;
//! * [`capacity`]: the load along each route never exceeds the capacity
//!   (start empty, pickups and plain demands add, Li & Lim deliveries
//!   subtract; for plain CVRP/VRPTW this is the sum of the demands);
//! * [`time_windows`]: leave the depot at its ready time, travel time =
//!   distance, wait when early, a service start after a due date is late,
//!   and every route must be back by the depot's due date (the horizon);
//!   lateness up to [`TOLERANCE`] is accepted (double-precision sums);
//! * [`pairing`]: a Li & Lim pickup and its delivery are on the same route,
//!   pickup first;
//! * [`fleet`]: no more non-empty routes than the instance's vehicle limit.
//!
//! Empty routes are ignored (they use no vehicle and cost nothing). This
//! module depends on nothing in the workspace but the [`Instance`] type, so
//! a solver bug cannot hide here.

pub mod capacity;
pub mod coverage;
pub mod distance;
pub mod fleet;
pub mod pairing;
pub mod time_windows;

use std::fmt;

use crate::instance::{DistanceConvention, Instance};

pub use distance::edge_distance;

/// Lateness accepted on time windows and the horizon, in time units
/// (the peers' evaluator uses the same 1e-6 for Solomon's exact distances).
pub const TOLERANCE: f64 = 1e-6;

/// One broken rule and where. Routes and positions are 0-based indices into
/// the `routes` slice given to the checker; nodes are node indices.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// A customer appears in no route.
    MissingCustomer {
        /// The customer's node index.
        node: usize,
    },
    /// A customer appears a second time.
    DuplicateCustomer {
        /// The customer's node index.
        node: usize,
        /// Route of the second visit.
        route: usize,
        /// Position of the second visit.
        position: usize,
        /// Route of the first visit.
        first_route: usize,
        /// Position of the first visit.
        first_position: usize,
    },
    /// A route lists a node index the instance does not have.
    UnknownNode {
        /// Route index.
        route: usize,
        /// Position in the route.
        position: usize,
        /// The unknown index.
        node: usize,
    },
    /// A route lists the depot (node 0), which must be left out.
    DepotInRoute {
        /// Route index.
        route: usize,
        /// Position in the route.
        position: usize,
    },
    /// The load after a stop exceeds the vehicle capacity (first such stop of the route).
    CapacityExceeded {
        /// Route index.
        route: usize,
        /// Position of the stop.
        position: usize,
        /// The stop's node.
        node: usize,
        /// Load on board after the stop.
        load: i64,
        /// Vehicle capacity.
        capacity: i64,
    },
    /// Service would start after the node's due date (first such stop of the route).
    LateArrival {
        /// Route index.
        route: usize,
        /// Position of the stop.
        position: usize,
        /// The stop's node.
        node: usize,
        /// Arrival time.
        arrival: f64,
        /// The node's due date.
        due: f64,
    },
    /// The vehicle is back at the depot after its due date (the horizon).
    LateReturnToDepot {
        /// Route index.
        route: usize,
        /// Arrival time at the depot.
        arrival: f64,
        /// The depot's due date.
        due: f64,
    },
    /// A Li & Lim delivery comes before its pickup on the same route.
    PickupAfterDelivery {
        /// Route index.
        route: usize,
        /// The pickup node.
        pickup: usize,
        /// The pickup's position.
        pickup_position: usize,
        /// The delivery node.
        delivery: usize,
        /// The delivery's position.
        delivery_position: usize,
    },
    /// A Li & Lim pickup and its delivery are on different routes.
    PairSplit {
        /// The pickup node.
        pickup: usize,
        /// The pickup's route.
        pickup_route: usize,
        /// The delivery node.
        delivery: usize,
        /// The delivery's route.
        delivery_route: usize,
    },
    /// More non-empty routes than the instance allows.
    TooManyVehicles {
        /// Non-empty routes in the solution.
        used: usize,
        /// The instance's limit.
        limit: usize,
    },
}

impl Violation {
    /// The name of the broken rule (the variant name), e.g. `"LateArrival"`.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::MissingCustomer { .. } => "MissingCustomer",
            Self::DuplicateCustomer { .. } => "DuplicateCustomer",
            Self::UnknownNode { .. } => "UnknownNode",
            Self::DepotInRoute { .. } => "DepotInRoute",
            Self::CapacityExceeded { .. } => "CapacityExceeded",
            Self::LateArrival { .. } => "LateArrival",
            Self::LateReturnToDepot { .. } => "LateReturnToDepot",
            Self::PickupAfterDelivery { .. } => "PickupAfterDelivery",
            Self::PairSplit { .. } => "PairSplit",
            Self::TooManyVehicles { .. } => "TooManyVehicles",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCustomer { node } => write!(f, "customer {node} is in no route"),
            Self::DuplicateCustomer { node, route, position, first_route, first_position } => write!(
                f,
                "customer {node} visited again in route {route} at position {position} \
                 (first in route {first_route} at position {first_position})"
            ),
            Self::UnknownNode { route, position, node } => {
                write!(f, "route {route} position {position}: node {node} does not exist")
            }
            Self::DepotInRoute { route, position } => {
                write!(f, "route {route} position {position}: the depot must not be listed")
            }
            Self::CapacityExceeded { route, position, node, load, capacity } => write!(
                f,
                "route {route} position {position} (node {node}): load {load} exceeds capacity {capacity}"
            ),
            Self::LateArrival { route, position, node, arrival, due } => write!(
                f,
                "route {route} position {position} (node {node}): arrives at {arrival}, after due date {due}"
            ),
            Self::LateReturnToDepot { route, arrival, due } => {
                write!(f, "route {route}: back at the depot at {arrival}, after the horizon {due}")
            }
            Self::PickupAfterDelivery { route, pickup, pickup_position, delivery, delivery_position } => write!(
                f,
                "route {route}: delivery {delivery} (position {delivery_position}) comes before \
                 its pickup {pickup} (position {pickup_position})"
            ),
            Self::PairSplit { pickup, pickup_route, delivery, delivery_route } => write!(
                f,
                "pickup {pickup} is on route {pickup_route} but its delivery {delivery} on route {delivery_route}"
            ),
            Self::TooManyVehicles { used, limit } => {
                write!(f, "{used} routes used, the instance allows {limit}")
            }
        }
    }
}

/// What the checker found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// Total distance of all routes, depot to depot, under the convention checked.
    pub distance: f64,
    /// Number of non-empty routes.
    pub vehicles: usize,
    /// Every broken rule; empty when the solution is feasible.
    pub violations: Vec<Violation>,
}

impl CheckReport {
    /// True when no rule is broken.
    pub fn is_feasible(&self) -> bool {
        self.violations.is_empty()
    }

    /// True when some violation breaks the named rule (see [`Violation::rule`]).
    pub fn breaks(&self, rule: &str) -> bool {
        self.violations.iter().any(|v| v.rule() == rule)
    }
}

/// Checks `routes` against `inst` under the instance's own convention.
pub fn check(inst: &Instance, routes: &[Vec<usize>]) -> CheckReport {
    check_with(inst, routes, inst.convention)
}

/// Checks `routes` against `inst`, computing distances and travel times
/// under `convention` (e.g. a Solomon instance under
/// [`DistanceConvention::Dimacs`]). [`DistanceConvention::Explicit`] uses
/// the instance's matrix (plain Euclidean if it has none).
pub fn check_with(
    inst: &Instance,
    routes: &[Vec<usize>],
    convention: DistanceConvention,
) -> CheckReport {
    let mut violations = Vec::new();
    coverage::check(inst, routes, &mut violations);
    capacity::check(inst, routes, &mut violations);
    if inst.has_time_windows {
        time_windows::check(inst, routes, convention, &mut violations);
    }
    pairing::check(inst, routes, &mut violations);
    fleet::check(inst, routes, &mut violations);
    CheckReport {
        distance: distance::total(inst, routes, convention),
        vehicles: fleet::used(routes),
        violations,
    }
}
