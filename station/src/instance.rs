//! Converts a loaded benchmark [`Instance`] into a solver [`Problem`].
//!
//! Conventions (shared with the peers' runners so figures compare):
//! - Solomon, Homberger, Li & Lim (exact Euclidean distances): every time and
//!   distance is scaled by [`EXACT_SCALE`] = 1000. Travel cost is
//!   `round(1000·d)`, travel duration is `ceil(1000·d)`, instance times are
//!   integers so `×1000` is exact. Integer feasibility then implies exact
//!   feasibility.
//! - CVRPLIB (nearest-integer distances) and explicit matrices: unscaled;
//!   an explicit matrix is both travel time and distance.
//! - Node `i` of the instance is job `i - 1`; node 0 is the depot.
//!
//! The other way, [`check_routes`] turns a day's stops and routes into an instance with an
//! explicit travel-time matrix for the independent checker.

use crate::StationError;
use milkrun_datasets::checker;
use milkrun_datasets::{DistanceConvention, Format, Instance, Node, OPEN_HORIZON};
use milkrun_dispatch::{CourierSpec, StopSpec, TravelTimes, UNREACHABLE_S};
use milkrun_vrp::{
    JobKind, JobSpec, Matrix, Objective, PairSpec, Problem, ProblemSpec, Rounding, VehicleTypeSpec,
};

/// Scale of times and distances for the exact-Euclidean sets.
pub const EXACT_SCALE: f64 = 1000.0;

/// The integer scale used for `inst`: 1000 for exact-distance sets, 10 for
/// DIMACS (one decimal), 1 otherwise.
pub fn scale_of(inst: &Instance) -> f64 {
    match inst.convention {
        DistanceConvention::Exact => EXACT_SCALE,
        DistanceConvention::Dimacs => 10.0,
        DistanceConvention::Nint | DistanceConvention::Explicit => 1.0,
    }
}

/// Most locations (depot included) of an instance turned into a solver problem: the dense
/// matrices grow with the square (5,001 locations: 25 million cells per matrix, about 200 MB
/// each), so a larger instance is refused before anything is allocated. The largest shipped
/// instances have 1,001.
pub const MAX_LOCATIONS: usize = 5_001;

/// Builds the solver problem of `inst` with the given objective; more than
/// [`MAX_LOCATIONS`] locations is an error before any matrix is allocated.
pub fn to_problem(inst: &Instance, objective: Objective) -> Result<Problem, StationError> {
    let n = inst.len();
    if n > MAX_LOCATIONS {
        return Err(StationError::TooLarge {
            field: "instance.nodes",
            size: n,
            max: MAX_LOCATIONS,
        });
    }
    let scale = scale_of(inst);
    let mut raw = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            raw.push(inst.distance(i, j));
        }
    }
    let distances = Matrix::from_f64_scaled("distances", n, &raw, scale, Rounding::Nearest)?;
    let durations = Matrix::from_f64_scaled("durations", n, &raw, scale, Rounding::Up)?;
    let time = |t: f64| -> i64 {
        if t >= OPEN_HORIZON {
            i64::MAX / 8
        } else {
            (t * scale).round() as i64
        }
    };
    let depot = &inst.nodes[0];
    let (shift_start, shift_end) = if inst.has_time_windows {
        (time(depot.ready), time(depot.due))
    } else {
        (0, i64::MAX / 8)
    };
    let mut jobs = Vec::with_capacity(n.saturating_sub(1));
    let mut pairs = Vec::new();
    for (i, node) in inst.nodes.iter().enumerate().skip(1) {
        let tw = if inst.has_time_windows {
            (time(node.ready), time(node.due))
        } else {
            (0, i64::MAX / 8)
        };
        jobs.push(JobSpec {
            location: i,
            demand: vec![node.demand.abs()],
            kind: JobKind::Delivery,
            service: time(node.service),
            time_windows: vec![tw],
            skills: Vec::new(),
            skip_penalty: None,
            lateness: None,
        });
        if let Some(d) = node.delivery {
            if inst.format == Format::LiLim || node.demand >= 0 {
                pairs.push(PairSpec {
                    pickup: i - 1,
                    delivery: d.saturating_sub(1),
                });
            }
        }
    }
    let vehicle = VehicleTypeSpec {
        count: inst.vehicles.unwrap_or(n.max(1)),
        capacity: vec![inst.capacity],
        start: 0,
        end: Some(0),
        shift: (shift_start, shift_end),
        max_duration: None,
        max_distance: None,
        fixed_cost: 0,
        cost_per_distance: 1,
        cost_per_time: 0,
        skills: Vec::new(),
        reload: None,
    };
    Ok(Problem::new(ProblemSpec {
        durations,
        distances,
        jobs,
        pairs,
        vehicle_types: vec![vehicle],
        objective,
    })?)
}

/// Instance node routes (customer node indices, depot omitted) of a solution.
pub fn node_routes(solution: &milkrun_vrp::Solution) -> Vec<Vec<usize>> {
    solution
        .job_routes()
        .into_iter()
        .map(|r| r.into_iter().map(|j| j + 1).collect())
        .collect()
}

/// What the independent checker said about a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Travel seconds recomputed by the checker (its "distance" is the explicit matrix).
    pub travel_s: f64,
    /// Broken rules, other than the households listed as unassigned being missing.
    pub violations: Vec<String>,
}

/// Verifies a day's routes (`rounds`, stop indices per courier) with the independent
/// checker of [`milkrun_datasets::checker`]: an instance whose node `i + 1` is stop
/// `i`, with an explicit matrix of travel seconds (travel time = distance, as the checker
/// assumes), the depot open over the shift, one capacity for all couriers (the smallest),
/// and the courier count as the vehicle limit. Households listed in `unassigned` may be
/// missing; any other violation is reported.
pub fn check_routes(
    times: &TravelTimes,
    depot: u32,
    stops: &[StopSpec],
    couriers: &[CourierSpec],
    rounds: &[Vec<u32>],
    unassigned: &[u32],
) -> CheckOutcome {
    let locs: Vec<u32> = std::iter::once(depot)
        .chain(stops.iter().map(|s| s.loc))
        .collect();
    let n = locs.len();
    let mut matrix = Vec::with_capacity(n * n);
    let size = times.len();
    for &a in &locs {
        for &b in &locs {
            let t = if (a as usize) < size && (b as usize) < size {
                times.travel(a, b)
            } else {
                UNREACHABLE_S
            };
            matrix.push(t as f64);
        }
    }
    let start = couriers.iter().map(|c| c.shift_start_s).min().unwrap_or(0) as f64;
    let end = couriers.iter().map(|c| c.shift_end_s).max().unwrap_or(0) as f64;
    let mut nodes = vec![Node {
        file_id: 0,
        x: 0.0,
        y: 0.0,
        demand: 0,
        ready: start,
        due: end,
        service: 0.0,
        pickup: None,
        delivery: None,
    }];
    nodes.extend(stops.iter().enumerate().map(|(i, s)| Node {
        file_id: i as i64 + 1,
        x: 0.0,
        y: 0.0,
        demand: s.bottles,
        ready: s.window_s.0 as f64,
        due: s.window_s.1 as f64,
        service: s.service_s as f64,
        pickup: None,
        delivery: None,
    }));
    let inst = Instance {
        name: "milkrun-demo".to_string(),
        format: Format::Vrplib,
        convention: DistanceConvention::Explicit,
        vehicles: Some(couriers.len()),
        capacity: couriers.iter().map(|c| c.capacity).min().unwrap_or(0),
        nodes,
        matrix: Some(matrix),
        has_time_windows: true,
    };
    let routes: Vec<Vec<usize>> = rounds
        .iter()
        .map(|r| r.iter().map(|&s| s as usize + 1).collect())
        .collect();
    let report = checker::check(&inst, &routes);
    let violations = report
        .violations
        .iter()
        .filter(|v| {
            !matches!(v, checker::Violation::MissingCustomer { node }
                if (*node as u32).checked_sub(1).is_some_and(|s| unassigned.contains(&s)))
        })
        .map(ToString::to_string)
        .collect();
    CheckOutcome {
        travel_s: report.distance,
        violations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Depot 0 and two stops on a line, 60 s apart: a route through both passes with the
    /// checker's travel (240 s); a stop left out is a violation unless it is listed
    /// unassigned.
    #[test]
    fn check_routes_on_a_line() {
        let times = TravelTimes::from_fn(3, |i, j| ((i as i64 - j as i64).abs() * 60, 0));
        let stops: Vec<StopSpec> = (1..3)
            .map(|l| StopSpec {
                household: l,
                loc: l,
                bottles: 1,
                service_s: 30,
                window_s: (0, 10_000),
            })
            .collect();
        let couriers = vec![CourierSpec {
            id: 1,
            capacity: 5,
            shift_start_s: 0,
            shift_end_s: 20_000,
        }];
        let ok = check_routes(&times, 0, &stops, &couriers, &[vec![0, 1]], &[]);
        assert!(ok.violations.is_empty(), "{:?}", ok.violations);
        assert_eq!(ok.travel_s, 240.0);
        let missing = check_routes(&times, 0, &stops, &couriers, &[vec![0]], &[]);
        assert_eq!(missing.violations.len(), 1, "{:?}", missing.violations);
        let listed = check_routes(&times, 0, &stops, &couriers, &[vec![0]], &[1]);
        assert!(listed.violations.is_empty(), "{:?}", listed.violations);
    }
}
