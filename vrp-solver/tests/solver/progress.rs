//! Progress reports carry the best solution's routes: under an iteration
//! limit (deterministic) the last report shows exactly the routes returned.

use crate::common;

use std::sync::{Arc, Mutex};

use common::large::{large_problem, large_spec};
use milkrun_vrp::{solve, Objective, Problem, Progress, SolverOptions};

/// Solves `p` with one thread and `iterations`, returning the solution and
/// every progress report in order.
fn solve_recording(p: &Problem, iterations: u64) -> (milkrun_vrp::Solution, Vec<Progress>) {
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let options = SolverOptions {
        seed: 5,
        iteration_limit: Some(iterations),
        progress: Some(Arc::new(move |pr: Progress| sink.lock().unwrap().push(pr))),
        ..Default::default()
    };
    let s = solve(p, &options);
    let reports = seen.lock().unwrap().clone();
    (s, reports)
}

/// Weighted objective, 120 stops with windows: the last report's routes
/// (vehicle type and job sequence), vehicle count, unassigned count and
/// cost are those of the returned solution, and costs only go down.
#[test]
fn last_progress_report_shows_the_returned_routes() {
    let p = large_problem(120, 21);
    let (s, reports) = solve_recording(&p, 400);
    let last = reports.last().unwrap();
    assert_eq!(last.routes.job_routes(), s.job_routes());
    let types: Vec<usize> = last.routes.iter().map(|r| r.vehicle_type).collect();
    let expected: Vec<usize> = s.routes.iter().map(|r| r.vehicle_type).collect();
    assert_eq!(types, expected);
    assert_eq!(last.vehicles, s.vehicles());
    assert_eq!(last.unassigned, s.unassigned.len());
    assert_eq!(last.best_cost, s.cost);
    assert!(reports.windows(2).all(|w| w[1].best_cost < w[0].best_cost));
}

/// Hierarchical objective (fleet minimisation reports each route removed):
/// the last report still shows the returned routes.
#[test]
fn last_progress_report_shows_the_returned_routes_hierarchical() {
    let mut spec = large_spec(120, 22);
    spec.objective = Objective::Hierarchical;
    let p = Problem::new(spec).unwrap();
    let (s, reports) = solve_recording(&p, 400);
    let last = reports.last().unwrap();
    assert_eq!(last.routes.job_routes(), s.job_routes());
    assert_eq!(last.routes.len(), s.vehicles());
}
