//! # milkrun-vrp
//!
//! Vehicle routing with time windows: a pure library, data in and data out.
//!
//! ## Concepts
//! - [`Problem`]: locations given by dense integer duration and distance
//!   [`Matrix`]es (asymmetric allowed), [`JobSpec`]s (multi-dimensional
//!   demand, service time, one or more hard time windows, optional
//!   [`SoftLateness`], skills, optional with a skip penalty), pickup-delivery
//!   [`PairSpec`]s, and [`VehicleTypeSpec`]s with a count (capacity, start and
//!   end or open end, shift window, maximum duration and distance, fixed /
//!   distance / time costs, skills, optional reloads as a [`ReloadSpec`]). Built by
//!   [`Problem::new`], which validates everything and names the bad field in
//!   a [`ProblemError`].
//! - [`Objective`]: a weighted cost, or hierarchical (fewest vehicles first).
//! - [`solve`] with [`SolverOptions`] (seed, time and iteration limits,
//!   cancellation flag, threads, progress callback) returns a [`Solution`]:
//!   routes with per-stop arrival, wait, start, departure and load, totals,
//!   and every unassigned job with an [`UnassignedReason`]. The time limit
//!   and the cancel flag are looked at inside every step, the first
//!   construction included (jobs it did not reach are reported
//!   [`UnassignedReason::StoppedEarly`]); [`Progress`] reports carry the
//!   best solution's routes ([`BestRoutes`]).
//!
//! ## Search
//! Routes cache prefix and suffix [`segment`]s (duration/time warp and load,
//! Vidal et al. 2013), so inserting a job anywhere is checked in O(1). Several
//! windows per job, soft lateness and reloads break that; for problems using
//! them ([`Problem::segments_exact`] is false) candidate routes are evaluated
//! by an exact forward simulation instead, in O(route length). The
//! metaheuristic is SISR (Christiaens & Vanden Berghe 2020): string
//! removals around a random job, greedy insertion with blinks, and simulated
//! annealing; in hierarchical mode a fleet-minimisation phase first removes
//! routes and re-places their jobs guided by absence counters, then (for
//! plain delivery problems) eliminates routes with an ejection pool and
//! penalty counters (Nagata & Bräysy 2009). Several
//! threads run independent searches with derived seeds; the best result wins.
//!
//! The cost of a move does not grow with route length: an insertion reads
//! only the two matrix rows of the inserted job (a transposed copy serves
//! travel *into* it when the matrix is asymmetric) and the route's own
//! arrays; applying it splices the caches, refreshing segments from cached
//! per-edge travel without matrix reads. The recreate step can be made
//! granular (ask only the routes of a job's nearest jobs); it is off by
//! default, as it did not improve the X benchmark.
//!
//! ## Modules
//! [`matrix`], [`problem`], [`error`], [`segment`], [`solution`], [`rng`],
//! and `solver` (route caches, state with undo, ruin, recreate, search).
//!
//! ## Example
//! ```
//! use milkrun_vrp::{solve, JobSpec, Matrix, Objective, Problem, ProblemSpec, SolverOptions, VehicleTypeSpec};
//! // Depot 0 and three customers on a line.
//! let pos = [0i64, 10, 20, 30];
//! let m = Matrix::from_fn(4, |i, j| (pos[i] - pos[j]).abs());
//! let problem = Problem::new(ProblemSpec {
//!     durations: m.clone(),
//!     distances: m,
//!     jobs: (1..4).map(|l| JobSpec::delivery(l, 1, 0)).collect(),
//!     pairs: vec![],
//!     vehicle_types: vec![VehicleTypeSpec::simple(2, 10, 0)],
//!     objective: Objective::Weighted,
//! })
//! .unwrap();
//! let options = SolverOptions { seed: 1, iteration_limit: Some(200), ..Default::default() };
//! let solution = solve(&problem, &options);
//! assert_eq!(solution.distance, 60);
//! assert!(solution.unassigned.is_empty());
//! ```
#![warn(missing_docs)]

pub mod error;
pub mod matrix;
pub mod problem;
pub mod rng;
pub(crate) mod schedule;
pub mod segment;
pub mod solution;
pub(crate) mod solver;
pub mod units;

/// Entry points for the criterion benchmarks (not a stable API).
#[doc(hidden)]
pub use solver::bench_support;

pub use error::{FieldPath, PairIssue, ProblemError, WindowIssue};
pub use matrix::{Matrix, Rounding};
pub use problem::{
    Job, JobKind, JobSpec, Load, Objective, PairSpec, Problem, ProblemSpec, Reload, ReloadSpec,
    SoftLateness, TimeWindow, VehicleType, VehicleTypeSpec, MAX_DIMS, MAX_SKILLS, TIME_HORIZON,
};
pub use solution::{ReloadStop, Route, Solution, Stop, StopKind, Unassigned, UnassignedReason};
pub use solver::{
    solve, solve_with_stats, BestRoutes, Cooperation, Progress, ProgressFn, RouteView, SolveStats,
    SolverOptions,
};
