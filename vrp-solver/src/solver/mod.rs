//! The solver: options, the entry point [`solve`], and the search parts
//! (route caches, ruin, recreate, annealing), one per module.

#[doc(hidden)]
pub mod bench_support;
pub(crate) mod context;
pub(crate) mod eject;
pub(crate) mod ls;
pub(crate) mod neighbours;
pub(crate) mod parallel;
pub(crate) mod recreate;
pub(crate) mod route;
pub(crate) mod ruin;
pub(crate) mod search;
pub(crate) mod seeds;
pub(crate) mod state;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::problem::Problem;
use crate::solution::Solution;

/// A progress report: the best solution found so far, with its routes.
///
/// The routes are shared with the search, not copied: the search makes one
/// [`BestRoutes`] per new best solution and every report of it holds an
/// [`Arc`] to the same one. Reports come only when the best improves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Time since the search started.
    pub elapsed: Duration,
    /// Iterations done by the reporting thread.
    pub iterations: u64,
    /// Best internal cost (includes the per-vehicle weight in hierarchical mode).
    pub best_cost: i64,
    /// Vehicles used by the best solution.
    pub vehicles: usize,
    /// Routes of the best solution (non-empty routes only).
    pub routes: Arc<BestRoutes>,
    /// Jobs the best solution leaves unassigned.
    pub unassigned: usize,
}

/// The routes of a solution found by the search, as vehicle type and job
/// sequence per route (see [`Progress::routes`]). The full schedule is built
/// only for the returned [`Solution`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BestRoutes {
    /// (vehicle type, jobs in visiting order) per non-empty route.
    pub(crate) routes: Vec<(usize, Vec<usize>)>,
}

impl BestRoutes {
    /// Number of routes (vehicles used).
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when no route is used.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The routes in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RouteView<'_>> + '_ {
        self.routes.iter().map(|(vt, jobs)| RouteView {
            vehicle_type: *vt,
            jobs,
        })
    }

    /// Job sequence of every route, comparable with [`Solution::job_routes`].
    pub fn job_routes(&self) -> Vec<Vec<usize>> {
        self.routes.iter().map(|r| r.1.clone()).collect()
    }
}

/// One route of [`BestRoutes`]: its vehicle type and job sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteView<'a> {
    /// Vehicle type index.
    pub vehicle_type: usize,
    /// Jobs in visiting order.
    pub jobs: &'a [usize],
}

/// Callback receiving [`Progress`] reports whenever the best cost improves.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// How long and how the solver runs.
#[derive(Clone, Default)]
pub struct SolverOptions {
    /// Seed of the random number generator.
    pub seed: u64,
    /// Stop after this wall-clock time, counted from the call (set-up
    /// included). Looked at inside every step, the first construction and
    /// local search included; jobs the construction did not reach in time
    /// are reported unassigned with [`crate::UnassignedReason::StoppedEarly`].
    pub time_limit: Option<Duration>,
    /// Stop after this many iterations (per thread). With an iteration limit
    /// and no time limit, results are deterministic for a seed and thread count.
    pub iteration_limit: Option<u64>,
    /// Stop as soon as this flag becomes true: the solve returns its best
    /// solution so far within milliseconds, from any phase (see `time_limit`
    /// for jobs not yet tried).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Number of search threads (0 or 1: one).
    pub threads: usize,
    /// How several threads work together (ignored with one thread).
    pub cooperation: Cooperation,
    /// Called when the best solution improves.
    pub progress: Option<ProgressFn>,
}

/// How the threads of a multi-threaded solve work together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cooperation {
    /// The threads meet 40 times per run (every 1/40 of the iteration or
    /// time limit); a thread whose best is worse than the best of all goes
    /// on from that solution. Deterministic for a seed and thread count
    /// under an iteration limit.
    #[default]
    ShareBest,
    /// Fully independent searches; the best result wins.
    Independent,
}

impl std::fmt::Debug for SolverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SolverOptions")
            .field("seed", &self.seed)
            .field("time_limit", &self.time_limit)
            .field("iteration_limit", &self.iteration_limit)
            .field("threads", &self.threads)
            .field("cooperation", &self.cooperation)
            .finish_non_exhaustive()
    }
}

/// The wall-clock deadline and the cancel flag of a solve, looked at inside
/// every long step (construction, local search, recreate, the threads'
/// meeting point) so that a solve answers both within milliseconds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Budget {
    /// When the time limit runs out (counted from the call of [`solve`]).
    pub deadline: Option<Instant>,
    /// The caller's cancel flag.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Budget {
    /// A budget that never runs out.
    #[cfg(test)]
    pub fn unlimited() -> Self {
        Self::default()
    }

    /// True once the deadline has passed or the cancel flag is set.
    #[inline]
    pub fn expired(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// The stopping rules of a run.
#[derive(Debug)]
pub(crate) struct Limits {
    pub time: Option<Duration>,
    pub iterations: Option<u64>,
    /// The deadline and cancel flag, for checks inside long steps.
    pub budget: Budget,
    /// This thread's place in the group of cooperating threads, if any.
    pub exchange: Option<parallel::Member>,
}

/// Statistics of a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolveStats {
    /// Iterations over all threads.
    pub iterations: u64,
    /// Move evaluations over all threads: insertion positions considered by
    /// recreate in the routes it asks (a pickup-delivery pair counts once
    /// per pickup position) plus the moves the local search evaluates.
    pub moves: u64,
}

thread_local! {
    /// Move evaluations of the search running on this thread.
    static MOVES: Cell<u64> = const { Cell::new(0) };
}

/// Adds `n` move evaluations to the calling thread's counter (read into
/// [`SolveStats::moves`] when the thread's search ends).
#[inline]
pub(crate) fn count_moves(n: u64) {
    MOVES.with(|m| m.set(m.get().wrapping_add(n)));
}

/// Solves `problem`. Without any limit the search stops after 10 000
/// iterations per thread.
pub fn solve(problem: &Problem, options: &SolverOptions) -> Solution {
    solve_with_stats(problem, options).0
}

/// Like [`solve`], also returning run statistics.
pub fn solve_with_stats(problem: &Problem, options: &SolverOptions) -> (Solution, SolveStats) {
    let called = Instant::now();
    let budget = Budget {
        deadline: options.time_limit.and_then(|t| called.checked_add(t)),
        cancel: options.cancel.clone(),
    };
    let ctx = context::Context::new(problem);
    let limits = Limits {
        // The time limit counts from the call: the set-up above is part of it.
        time: options
            .time_limit
            .map(|t| t.saturating_sub(called.elapsed())),
        iterations: options.iteration_limit.or(
            if options.time_limit.is_none() && options.cancel.is_none() {
                Some(10_000)
            } else {
                None
            },
        ),
        budget: budget.clone(),
        exchange: None,
    };
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
    let exchange = (threads > 1 && options.cooperation == Cooperation::ShareBest).then(|| {
        let period = match limits.iterations {
            Some(n) => parallel::Period::Iterations((n / parallel::MEETINGS).max(1)),
            None => parallel::Period::Time(
                limits.time.unwrap_or(Duration::from_secs(10)) / parallel::MEETINGS as u32,
            ),
        };
        Arc::new(parallel::Exchange::new(threads, period))
    });
    let run = |t: usize| {
        let seed = options
            .seed
            .wrapping_add((t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut own = Limits {
            time: limits.time,
            iterations: limits.iterations,
            budget: limits.budget.clone(),
            exchange: exchange
                .as_ref()
                .map(|x| parallel::Member::new(Arc::clone(x), t)),
        };
        MOVES.with(|m| m.set(0));
        // A hierarchical real-road problem: its weighted twin first, for a share of the
        // budget; the hierarchical search goes on from the twin's best with the rest.
        let twin_started = Instant::now();
        let twin = seeds::weighted_twin(ctx.p).and_then(|q| {
            let qctx = context::Context::new(&q);
            let share = Limits {
                time: own.time.map(|t| t.mul_f64(seeds::TWIN_SHARE)),
                iterations: own
                    .iterations
                    .map(|i| (i as f64 * seeds::TWIN_SHARE).ceil() as u64),
                budget: own.budget.clone(),
                exchange: None,
            };
            let qparams = seeds::params_for(&q, context::SearchParams::default());
            let mut s = search::Search::new(&qctx, qparams, seed, &share);
            // The twin's bests are solutions of the hierarchical problem too: reported at
            // their hierarchical cost (the twin drops only the per-vehicle weight), so a
            // caller streaming progress hears from the first half of the budget as well.
            let (routes, _) = s.run(&mut |mut pr: Progress| {
                let fleet = i64::try_from(pr.vehicles)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(crate::problem::VEHICLE_WEIGHT);
                pr.best_cost = pr.best_cost.saturating_add(fleet);
                report(pr)
            });
            s.untried.is_empty().then_some((routes, s.iterations))
        });
        let twin_iterations = twin.as_ref().map_or(0, |t| t.1);
        let rest = Limits {
            time: own.time.map(|t| t.saturating_sub(twin_started.elapsed())),
            iterations: own
                .iterations
                .map(|i| i.saturating_sub(twin_iterations).max(1)),
            budget: own.budget.clone(),
            exchange: own.exchange.take(),
        };
        let mut own = rest;
        let params = seeds::params_for(ctx.p, context::SearchParams::default());
        // Independent runs, each annealing over its share of what is left (a single search
        // thread without a twin: [`seeds::restarts`]); the best is kept.
        let runs = if twin.is_none() && own.exchange.is_none() {
            seeds::restarts(ctx.p, own.time)
        } else {
            1
        };
        let mut twin = twin;
        let runs_started = Instant::now();
        let mut iterations = 0u64;
        let (mut found, mut cost) = (Default::default(), i64::MAX);
        let mut rep = |pr: Progress| report(pr);
        for r in 0..runs {
            let left = (runs - r) as u64;
            let part = Limits {
                time: own
                    .time
                    .map(|t| t.saturating_sub(runs_started.elapsed()) / left as u32),
                iterations: own
                    .iterations
                    .map(|i| (i.saturating_sub(iterations) / left).max(1)),
                budget: own.budget.clone(),
                exchange: own.exchange.take(),
            };
            let run_seed = seed.wrapping_add((r as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let mut s = search::Search::new(&ctx, params, run_seed, &part);
            if let Some((routes, _)) = twin.take() {
                s.start_from(routes);
            }
            let (routes, run_cost) = s.run(&mut rep);
            if let Some(m) = &part.exchange {
                m.leave();
            }
            iterations += s.iterations;
            let untried = std::mem::take(&mut s.untried);
            // Cut short (construction unfinished, deadline or cancel): no further run.
            let stop = !untried.is_empty() || own.budget.expired();
            // A later run cut short in its construction is no candidate (its jobs not tried
            // are not in its cost).
            if r == 0 || (untried.is_empty() && run_cost < cost) {
                (found, cost) = ((routes, untried), run_cost);
            }
            if stop {
                break;
            }
        }
        (
            found,
            cost,
            iterations + twin_iterations,
            MOVES.with(|m| m.get()),
        )
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
    let moves = results.iter().map(|r| r.3).sum();
    let (best, untried) = results
        .into_iter()
        .min_by_key(|r| r.1)
        .map(|r| r.0)
        .unwrap_or_default();
    // A route that breaks a constraint (possible only for problems whose
    // segments are not exact) is dropped and its jobs reported unassigned.
    let solution = Solution::from_search(problem, &best.routes, &untried);
    (solution, SolveStats { iterations, moves })
}
