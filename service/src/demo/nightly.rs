//! Step 2: the nightly plan: [`Dispatch::plan_with_solver`], the dispatch crate's one
//! nightly plan (the VRP solver for half of the budget, then polished without disruption
//! costs; the same that `milkrun replay` and the bench's `replan` binary make). Every route
//! is measured with the dispatch crate's route simulator
//! ([`milkrun_dispatch::plan_stats`]) and the plan is verified by the independent checker
//! of [`milkrun_datasets::checker`] on an instance with an explicit travel-time matrix.

use std::time::Duration;

use milkrun_datasets::checker;
use milkrun_datasets::{DistanceConvention, Format, Instance, Node};
use milkrun_dispatch::plan_stats::{plan_stats, RouteStats};
use milkrun_dispatch::{
    verify, CourierSpec, Dispatch, ReplanOptions, StopSpec, StopState, TravelTimes, Weights,
};

/// The nightly plan.
pub struct NightlyPlan {
    /// The morning, planned: every courier at the depot with its route, promises made.
    pub day: Dispatch,
    /// One measured route per courier.
    pub rounds: Vec<RouteStats>,
    /// Stops left out of the plan, with the reason.
    pub unassigned: Vec<(u32, String)>,
    /// The plan's objective (travel seconds plus the penalty per stop left out).
    pub cost: i64,
    /// Wall-clock budget it was made in.
    pub budget: Duration,
}

/// Plans the morning of `stops` and `couriers` on `times` (location `depot` is the
/// station) within `budget` of wall-clock time, seeded by `seed`.
pub fn plan_nightly(
    times: TravelTimes,
    depot: u32,
    stops: Vec<StopSpec>,
    couriers: Vec<CourierSpec>,
    seed: u64,
    budget: Duration,
) -> anyhow::Result<NightlyPlan> {
    let mut day = Dispatch::new(times, depot, stops, couriers, Weights::default())?;
    let report = day.plan_with_solver(&ReplanOptions {
        budget,
        seed,
        ..ReplanOptions::default()
    })?;
    let problems = verify(&day, None);
    anyhow::ensure!(
        problems.is_empty(),
        "the nightly plan fails the re-planner's check: {problems:?}"
    );
    let unassigned = day
        .states()
        .iter()
        .enumerate()
        .filter_map(|(s, st)| match st {
            StopState::Unserved(why) => Some((u32::try_from(s).ok()?, why.to_string())),
            _ => None,
        })
        .collect();
    Ok(NightlyPlan {
        rounds: plan_stats(&day),
        day,
        unassigned,
        cost: report.cost,
        budget,
    })
}

/// What the independent checker said about a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Travel seconds recomputed by the checker (its "distance" is the explicit matrix).
    pub travel_s: f64,
    /// Broken rules, other than the households listed as unassigned being missing.
    pub violations: Vec<String>,
}

/// Verifies `rounds` with the independent checker: an instance whose node `i + 1` is stop
/// `i`, with an explicit matrix of travel seconds (travel time = distance, as the checker
/// assumes), the depot open over the shift, one capacity for all couriers (the smallest),
/// and the courier count as the vehicle limit. Households listed in `unassigned` may be
/// missing; any other violation is reported.
pub fn check_rounds(
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
    for &a in &locs {
        for &b in &locs {
            matrix.push(times.travel(a, b) as f64);
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
