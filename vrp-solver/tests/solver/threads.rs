//! Multi-threaded solves: with an iteration limit the routes depend only on
//! the seed and the thread count (the threads meet at iteration counts, not
//! at times), and the move counter of the run statistics is filled in.

use milkrun_vrp::{
    solve_with_stats, Cooperation, JobSpec, Matrix, Objective, Problem, ProblemSpec, Solution,
    SolverOptions, VehicleTypeSpec,
};

/// 40 jobs on a 8 x 5 grid (unit spacing 10), depot at a corner, three
/// vehicles of capacity 15 (one unit of demand per job).
fn grid40() -> Problem {
    let mut pts = vec![(0i64, 0i64)];
    for k in 0..40 {
        pts.push((10 * (k % 8) + 5, 10 * (k / 8) + 5));
    }
    let m = Matrix::from_fn(pts.len(), |i, j| {
        let (dx, dy) = ((pts[i].0 - pts[j].0) as f64, (pts[i].1 - pts[j].1) as f64);
        (dx * dx + dy * dy).sqrt().round() as i64
    });
    Problem::new(ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs: (1..=40).map(|l| JobSpec::delivery(l, 1, 0)).collect(),
        pairs: vec![],
        vehicle_types: vec![VehicleTypeSpec::simple(3, 15, 0)],
        objective: Objective::Weighted,
    })
    .unwrap()
}

fn run(p: &Problem, threads: usize, cooperation: Cooperation) -> (Solution, u64) {
    let (s, stats) = solve_with_stats(
        p,
        &SolverOptions {
            seed: 3,
            iteration_limit: Some(200),
            threads,
            cooperation,
            ..Default::default()
        },
    );
    (s, stats.moves)
}

/// Two cooperating threads under an iteration limit give the same routes on
/// every run, and every job is served.
#[test]
fn two_sharing_threads_are_deterministic() {
    let p = grid40();
    let (a, moves) = run(&p, 2, Cooperation::ShareBest);
    for _ in 0..3 {
        let (b, _) = run(&p, 2, Cooperation::ShareBest);
        assert_eq!(a.job_routes(), b.job_routes());
        assert_eq!(a.cost, b.cost);
    }
    assert!(a.unassigned.is_empty());
    assert!(moves > 0);
}

/// With one thread there is nobody to meet: both cooperation modes give the
/// same routes and the same move count.
#[test]
fn one_thread_ignores_cooperation() {
    let p = grid40();
    let (a, ma) = run(&p, 1, Cooperation::ShareBest);
    let (b, mb) = run(&p, 1, Cooperation::Independent);
    assert_eq!(a.job_routes(), b.job_routes());
    assert_eq!(ma, mb);
}

/// Three threads (an odd group, one of which may finish its budget while
/// others still wait at a meeting) end without dead-lock and agree run to run.
#[test]
fn three_threads_finish_and_agree() {
    let p = grid40();
    let (a, _) = run(&p, 3, Cooperation::ShareBest);
    let (b, _) = run(&p, 3, Cooperation::ShareBest);
    assert_eq!(a.job_routes(), b.job_routes());
    assert!(a.unassigned.is_empty());
}
