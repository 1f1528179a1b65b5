//! How long and how a re-plan, an improvement or the nightly plan runs: a time budget,
//! work limits (deterministic when the budget is not reached), a cancellation flag and a
//! progress callback, in the shape of [`milkrun_vrp::SolverOptions`].

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// How a re-plan is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// Warm start: repair the current plan, then a bounded local search near the change.
    Repair,
    /// Baseline: re-solve every remaining stop from scratch with the VRP solver.
    FromScratch,
}

/// The phase a long call is in, for [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// The VRP solver (from-scratch re-solve, nightly plan); `cost` is the solver's best.
    Solver,
    /// Repair and regret insertion done.
    Repair,
    /// Insertion with ejection done.
    Eject,
    /// Local search done.
    LocalSearch,
    /// Ruin and recreate done.
    RuinRecreate,
    /// The call is about to return; `cost` is the plan's objective.
    Done,
}

/// A progress report of a long call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Where the call is.
    pub phase: Phase,
    /// Objective of the routes being re-planned (travel, disruption and unserved costs),
    /// or the solver's best cost in [`Phase::Solver`].
    pub cost: i64,
    /// Time since the call started.
    pub elapsed: Duration,
}

/// A progress callback (called from the calling thread, between steps).
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Options of a re-plan ([`crate::Dispatch::apply`], [`crate::Dispatch::set_plan`],
/// [`crate::Dispatch::plan_with_solver`]).
///
/// Determinism: with a budget that is not reached, a re-plan depends only on the day and
/// the options (no wall-clock decision is taken before the budget runs out); the VRP
/// solver additionally needs `iteration_limit`, and the nightly polish `polish_iterations`.
#[derive(Clone)]
pub struct ReplanOptions {
    /// Time budget of the whole re-plan (the answer is ready when it runs out).
    pub budget: Duration,
    /// Repair or from scratch.
    pub strategy: Strategy,
    /// Seed (the from-scratch solver, the polish of the nightly plan).
    pub seed: u64,
    /// Cap on move evaluations of the local search (`None`: only the budget).
    pub max_evaluations: Option<u64>,
    /// Cap on the VRP solver's iterations (from scratch, nightly plan; `None`: only the
    /// budget).
    pub iteration_limit: Option<u64>,
    /// Cap on ruin-and-recreate iterations of the nightly plan's polish
    /// ([`crate::Dispatch::plan_with_solver`]; `None`: only the budget).
    pub polish_iterations: Option<u64>,
    /// Set to stop as soon as possible (answered within 50 ms): the plan as it stands is
    /// kept, stops not yet placed are left unserved (and retried later).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called at the end of every phase.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ReplanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplanOptions")
            .field("budget", &self.budget)
            .field("strategy", &self.strategy)
            .field("seed", &self.seed)
            .field("max_evaluations", &self.max_evaluations)
            .field("iteration_limit", &self.iteration_limit)
            .field("polish_iterations", &self.polish_iterations)
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for ReplanOptions {
    /// 200 ms, repair, seed 0, no work limit, no cancel flag, no progress callback.
    fn default() -> Self {
        ReplanOptions {
            budget: Duration::from_millis(200),
            strategy: Strategy::Repair,
            seed: 0,
            max_evaluations: None,
            iteration_limit: None,
            polish_iterations: None,
            cancel: None,
            progress: None,
        }
    }
}

/// Options of background improvement between events ([`crate::Dispatch::improve`]).
#[derive(Clone)]
pub struct ImproveOptions {
    /// CPU time the improvement may take (wall clock of the call).
    pub budget: Duration,
    /// Seed of the ruin-and-recreate choices.
    pub seed: u64,
    /// Cap on ruin-and-recreate iterations (`None`: only the budget). With a cap and a
    /// budget that is not reached the result is deterministic.
    pub max_iterations: Option<u64>,
    /// Set to stop as soon as possible (answered within 50 ms).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called at the end of every phase.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ImproveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImproveOptions")
            .field("budget", &self.budget)
            .field("seed", &self.seed)
            .field("max_iterations", &self.max_iterations)
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for ImproveOptions {
    /// 1 s, seed 0, no iteration cap.
    fn default() -> Self {
        ImproveOptions {
            budget: Duration::from_secs(1),
            seed: 0,
            max_iterations: None,
            cancel: None,
            progress: None,
        }
    }
}
