//! The solver: options, the entry point [`solve`], and the search parts
//! (route caches, ruin, recreate, annealing), one per module.

pub(crate) mod recreate;
pub(crate) mod route;
pub(crate) mod ruin;
pub(crate) mod search;
pub(crate) mod state;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::problem::Problem;
use crate::solution::Solution;

/// A progress report: the best cost found so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Time since the search started.
    pub elapsed: Duration,
    /// Iterations done by the reporting thread.
    pub iterations: u64,
    /// Best internal cost (includes the per-vehicle weight in hierarchical mode).
    pub best_cost: i64,
    /// Vehicles used by the best solution.
    pub vehicles: usize,
}

/// Callback receiving [`Progress`] reports whenever the best cost improves.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// How long and how the solver runs.
#[derive(Clone, Default)]
pub struct SolverOptions {
    /// Seed of the random number generator.
    pub seed: u64,
    /// Stop after this wall-clock time.
    pub time_limit: Option<Duration>,
    /// Stop after this many iterations (per thread). With an iteration limit
    /// and no time limit, results are deterministic for a seed and thread count.
    pub iteration_limit: Option<u64>,
    /// Stop as soon as this flag becomes true.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Number of independent search threads (0 or 1: one).
    pub threads: usize,
    /// Called when the best solution improves.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for SolverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolverOptions")
            .field("seed", &self.seed)
            .field("time_limit", &self.time_limit)
            .field("iteration_limit", &self.iteration_limit)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// The stopping rules of a run.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub time: Option<Duration>,
    pub iterations: Option<u64>,
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Statistics of a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolveStats {
    /// Iterations over all threads.
    pub iterations: u64,
}

/// Solves `problem`. Without any limit the search stops after 10 000
/// iterations per thread.
pub fn solve(problem: &Problem, options: &SolverOptions) -> Solution {
    solve_with_stats(problem, options).0
}

/// Like [`solve`], also returning run statistics.
pub fn solve_with_stats(problem: &Problem, options: &SolverOptions) -> (Solution, SolveStats) {
    let limits = Limits {
        time: options.time_limit,
        iterations: options.iteration_limit.or(
            if options.time_limit.is_none() && options.cancel.is_none() {
                Some(10_000)
            } else {
                None
            },
        ),
        cancel: options.cancel.clone(),
    };
    let ctx = search::Context::new(problem);
    let threads = options.threads.max(1);
    let best_seen = Mutex::new(i64::MAX);
    let report = |pr: Progress| {
        if let Some(cb) = &options.progress {
            let mut b = best_seen.lock().unwrap_or_else(|e| e.into_inner());
            if pr.best_cost < *b {
                *b = pr.best_cost;
                cb(pr);
            }
        }
    };
    let run = |t: usize| {
        let seed = options
            .seed
            .wrapping_add((t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut s = search::Search::new(&ctx, search::SearchParams::default(), seed, &limits);
        let mut rep = |pr: Progress| report(pr);
        let (routes, cost) = s.run(&mut rep);
        (routes, cost, s.iterations)
    };
    let results: Vec<_> = if threads == 1 {
        vec![run(0)]
    } else {
        std::thread::scope(|sc| {
            let handles: Vec<_> = (0..threads).map(|t| sc.spawn(move || run(t))).collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        })
    };
    let iterations = results.iter().map(|r| r.2).sum();
    let best = results
        .into_iter()
        .min_by_key(|r| r.1)
        .map(|r| r.0)
        .unwrap_or_default();
    // The search only builds feasible routes, so scheduling cannot fail; fall
    // back to "everything unassigned" rather than panic if it ever did.
    let solution = Solution::from_routes(problem, &best)
        .or_else(|| Solution::from_routes(problem, &[]))
        .unwrap_or(Solution {
            routes: vec![],
            unassigned: vec![],
            cost: 0,
            distance: 0,
            duration: 0,
        });
    (solution, SolveStats { iterations })
}
