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
    /// Wall-clock budget it was made in (a safety cap when `limits` bind).
    pub budget: Duration,
    /// Work limits `(solver iterations, polish ruin-and-recreate iterations)` of the
    /// deterministic mode; `None`: limited by `budget` alone.
    pub limits: Option<(u64, u64)>,
    /// Ruin-and-recreate iterations the polish ran.
    pub polish_iterations: u64,
}

/// Solver iterations per second of `--seconds` in the deterministic (default) mode, for the
/// solver's half of the nightly plan (calibrated on the default scenario, 1,500 households
/// and 9 couriers, release build, one core of the development machine).
pub const SOLVER_ITERATIONS_PER_SECOND: u64 = 2_000;

/// Polish (ruin-and-recreate) iterations per second of `--seconds` in the deterministic
/// mode, for the polishing half (calibrated as above: 39,759 iterations in the 15 s polish
/// of a `--time-limited --seconds 30` run, release build, quiet machine).
pub const POLISH_ITERATIONS_PER_SECOND: u64 = 2_500;

/// The work limits of the deterministic nightly plan for `seconds` of `--seconds`: half to
/// the solver, half to the polish, as the time-limited plan splits its budget.
pub fn deterministic_limits(seconds: f64) -> (u64, u64) {
    let half = (seconds / 2.0).max(0.0);
    // `seconds` is bounded by the caller (at most 7 days), so the products fit in u64.
    (
        (half * SOLVER_ITERATIONS_PER_SECOND as f64).ceil() as u64,
        (half * POLISH_ITERATIONS_PER_SECOND as f64).ceil() as u64,
    )
}

/// Plans the morning of `stops` and `couriers` on `times` (location `depot` is the
/// station) within `budget` of wall-clock time, seeded by `seed`; with `limits` (solver
/// iterations, polish iterations) the plan is reproducible as long as the budget is not
/// reached first.
pub fn plan_nightly(
    times: TravelTimes,
    depot: u32,
    stops: Vec<StopSpec>,
    couriers: Vec<CourierSpec>,
    seed: u64,
    budget: Duration,
    limits: Option<(u64, u64)>,
) -> anyhow::Result<NightlyPlan> {
    let mut day = Dispatch::new(times, depot, stops, couriers, Weights::default())?;
    let report = day.plan_with_solver(&ReplanOptions {
        budget,
        seed,
        iteration_limit: limits.map(|l| l.0),
        polish_iterations: limits.map(|l| l.1),
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
        limits,
        polish_iterations: report.ruin_recreate.0,
    })
}
