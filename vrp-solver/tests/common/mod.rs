//! Tiny fixtures shared by the known-answer test files: locations on a line, a problem spec
//! over them, a short seeded solve and the unassigned reasons of a solution.
#![allow(dead_code, clippy::unwrap_used)]

pub mod large;

use milkrun_vrp::{
    solve, JobSpec, Matrix, Objective, Problem, ProblemSpec, Solution, SolverOptions,
    UnassignedReason, VehicleTypeSpec,
};

/// Locations on a line at the given positions; travel time = distance.
pub fn line(pos: &[i64]) -> Matrix<i64> {
    Matrix::from_fn(pos.len(), |i, j| (pos[i] - pos[j]).abs())
}

/// A weighted-objective problem on [`line`] without pairs.
pub fn spec(pos: &[i64], jobs: Vec<JobSpec>, vehicles: Vec<VehicleTypeSpec>) -> ProblemSpec {
    ProblemSpec {
        durations: line(pos),
        distances: line(pos),
        jobs,
        pairs: vec![],
        vehicle_types: vehicles,
        objective: Objective::Weighted,
    }
}

/// Solves `spec` with `seed` and 300 iterations.
pub fn run_seeded(spec: ProblemSpec, seed: u64) -> Solution {
    let p = Problem::new(spec).unwrap();
    solve(
        &p,
        &SolverOptions {
            seed,
            iteration_limit: Some(300),
            ..Default::default()
        },
    )
}

/// `(job, reason)` of every unassigned job.
pub fn reasons(s: &Solution) -> Vec<(usize, UnassignedReason)> {
    s.unassigned.iter().map(|u| (u.job, u.reason)).collect()
}
