//! A generated 3,000-stop problem for the time-limit and cancellation tests:
//! random points in a 40 km square (seeded), a depot in the middle,
//! Euclidean integer matrices (metres; travel seconds = metres / 10),
//! two-hour windows over a ten-hour day and capacity 100.

use milkrun_vrp::rng::Rng;
use milkrun_vrp::{JobSpec, Matrix, Objective, Problem, ProblemSpec, VehicleTypeSpec};

/// The generated problem with `stops` jobs, built from `seed`.
pub fn large_problem(stops: usize, seed: u64) -> Problem {
    Problem::new(large_spec(stops, seed)).expect("the generated problem is valid")
}

/// The spec of [`large_problem`] (weighted objective).
pub fn large_spec(stops: usize, seed: u64) -> ProblemSpec {
    let mut rng = Rng::new(seed);
    let side = 40_000usize;
    let mut pts: Vec<(i64, i64)> = vec![(side as i64 / 2, side as i64 / 2)];
    pts.extend((0..stops).map(|_| (rng.below(side) as i64, rng.below(side) as i64)));
    let dist = Matrix::from_fn(pts.len(), |i, j| {
        let (dx, dy) = ((pts[i].0 - pts[j].0) as f64, (pts[i].1 - pts[j].1) as f64);
        (dx * dx + dy * dy).sqrt().round() as i64
    });
    let dur = Matrix::from_fn(pts.len(), |i, j| dist.get(i, j) / 10);
    let day = 10 * 3600;
    let jobs = (1..=stops)
        .map(|l| {
            let start = rng.below(day - 2 * 3600) as i64;
            JobSpec::delivery(l, rng.between(1, 5) as i64, 120).with_window(start, start + 2 * 3600)
        })
        .collect();
    let mut vehicles = VehicleTypeSpec::simple(stops / 5, 100, 0);
    vehicles.shift = (0, day as i64 + 3600);
    ProblemSpec {
        durations: dur,
        distances: dist,
        jobs,
        pairs: vec![],
        vehicle_types: vec![vehicles],
        objective: Objective::Weighted,
    }
}

/// True when every job is in exactly one route or listed unassigned exactly once.
pub fn every_job_accounted_for(p: &Problem, s: &milkrun_vrp::Solution) -> bool {
    let mut seen = vec![0u32; p.num_jobs()];
    for r in &s.routes {
        for st in &r.stops {
            seen[st.job] += 1;
        }
    }
    for u in &s.unassigned {
        seen[u.job] += 1;
    }
    seen.iter().all(|&c| c == 1)
}
