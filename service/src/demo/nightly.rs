//! Step 2: the nightly plan: [`Dispatch::plan_with_solver`], the dispatch crate's one
//! nightly plan (the VRP solver for half of the budget, then polished without disruption
//! costs; the same that `milkrun replay` and the bench's `replan` binary make). Every route
//! is measured with the dispatch crate's route simulator
//! ([`milkrun_dispatch::plan_stats`]) and the plan is verified by the independent checker
//! of [`milkrun_datasets::checker`] on an instance with an explicit travel-time matrix
//! ([`milkrun_station::instance::check_routes`]).

use std::time::Duration;

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
