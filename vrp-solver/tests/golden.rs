//! Golden tests on shipped benchmark instances: fixed seeds and iteration
//! budgets, every solution verified by the independent checker of
//! `milkrun-datasets`, and a stated gap to the best-known solution.
#![allow(clippy::unwrap_used)]

use milkrun_datasets::{bks, checker, DistanceConvention, Instance, OPEN_HORIZON};
use milkrun_vrp::{
    JobKind, JobSpec, Matrix, Objective, PairSpec, Problem, ProblemSpec, Rounding, SolverOptions,
    VehicleTypeSpec,
};

/// Same conventions as `milkrun-service::convert`: ×1000 and
/// round (cost) / ceil (travel time) for exact-Euclidean sets.
fn to_problem(inst: &Instance, objective: Objective) -> Problem {
    let n = inst.len();
    let scale = if inst.convention == DistanceConvention::Exact {
        1000.0
    } else {
        1.0
    };
    let raw: Vec<f64> = (0..n * n).map(|k| inst.distance(k / n, k % n)).collect();
    let distances =
        Matrix::from_f64_scaled("distances", n, &raw, scale, Rounding::Nearest).unwrap();
    let durations = Matrix::from_f64_scaled("durations", n, &raw, scale, Rounding::Up).unwrap();
    let time = |t: f64| {
        if t >= OPEN_HORIZON {
            i64::MAX / 8
        } else {
            (t * scale).round() as i64
        }
    };
    let tw = |i: usize| {
        if inst.has_time_windows {
            (time(inst.nodes[i].ready), time(inst.nodes[i].due))
        } else {
            (0, i64::MAX / 8)
        }
    };
    let jobs = (1..n)
        .map(|i| JobSpec {
            location: i,
            demand: vec![inst.nodes[i].demand.abs()],
            kind: JobKind::Delivery,
            service: time(inst.nodes[i].service),
            time_window: tw(i),
            skills: vec![],
            skip_penalty: None,
        })
        .collect();
    let pairs = (1..n)
        .filter_map(|i| {
            inst.nodes[i].delivery.map(|d| PairSpec {
                pickup: i - 1,
                delivery: d - 1,
            })
        })
        .collect();
    let mut v = VehicleTypeSpec::simple(inst.vehicles.unwrap_or(n), inst.capacity, 0);
    v.shift = tw(0);
    Problem::new(ProblemSpec {
        durations,
        distances,
        jobs,
        pairs,
        vehicle_types: vec![v],
        objective,
    })
    .unwrap()
}

/// Solves `set/file` and returns (checker report, gap % to the BKS in `bks_file`).
fn check(
    set: &str,
    file: &str,
    bks_file: &str,
    objective: Objective,
    iterations: u64,
) -> (checker::CheckReport, f64) {
    let dir = milkrun_datasets::vrp_set_dir(set);
    let inst = milkrun_datasets::load_instance(&dir.join(file)).unwrap();
    let p = to_problem(&inst, objective);
    let sol = milkrun_vrp::solve(
        &p,
        &SolverOptions {
            seed: 1,
            iteration_limit: Some(iterations),
            ..Default::default()
        },
    );
    assert!(sol.unassigned.is_empty());
    let routes: Vec<Vec<usize>> = sol
        .job_routes()
        .into_iter()
        .map(|r| r.into_iter().map(|j| j + 1).collect())
        .collect();
    let report = checker::check(&inst, &routes);
    let entries = bks::read_bks(&dir.join(bks_file)).unwrap();
    let best = bks::find(&entries, &inst.name).unwrap().distance;
    let gap = 100.0 * (report.distance - best) / best;
    (report, gap)
}

/// Solomon C101 (distance objective): feasible and within 0.5% of the BKS
/// 828.94 after 3000 iterations.
#[test]
fn solomon_c101() {
    let (report, gap) = check(
        "solomon",
        "C101.txt",
        "bks_distance.csv",
        Objective::Weighted,
        3000,
    );
    assert!(report.is_feasible(), "{:?}", report.violations);
    assert!(gap < 0.5, "gap {gap}%");
}

/// Solomon R101 (distance objective): feasible, within 3% of the BKS.
#[test]
fn solomon_r101() {
    let (report, gap) = check(
        "solomon",
        "R101.txt",
        "bks_distance.csv",
        Objective::Weighted,
        3000,
    );
    assert!(report.is_feasible(), "{:?}", report.violations);
    assert!(gap < 3.0, "gap {gap}%");
}

/// Li & Lim lc101 (pickup-delivery pairs, hierarchical): feasible under the
/// checker's pairing rule, within 5% of the BKS distance.
#[test]
fn li_lim_lc101() {
    let (report, gap) = check(
        "li_lim_100",
        "lc101.txt",
        "bks.csv",
        Objective::Hierarchical,
        2000,
    );
    assert!(report.is_feasible(), "{:?}", report.violations);
    assert!(gap < 5.0, "gap {gap}%");
}

/// CVRPLIB X-n101-k25 (nint distances, no windows): feasible, within 2% after 10000 iterations.
#[test]
fn x_n101() {
    let (report, gap) = check(
        "x",
        "X-n101-k25.vrp",
        "bks.csv",
        Objective::Weighted,
        10_000,
    );
    assert!(report.is_feasible(), "{:?}", report.violations);
    assert!(gap < 2.0, "gap {gap}%");
}
