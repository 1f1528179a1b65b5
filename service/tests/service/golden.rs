//! Golden tests on shipped benchmark instances, through the same conversion
//! the `milkrun solve` command uses: fixed seeds and iteration budgets, every
//! solution verified by the independent checker of `milkrun-datasets`, and a
//! stated gap to the best-known solution.

use milkrun_datasets::{bks, checker};
use milkrun_station::instance::{node_routes, to_problem};
use milkrun_vrp::{Objective, SolverOptions};

/// Solves `set/file` and returns (checker report, gap % to the BKS in `bks_file`).
fn check(
    set: &str,
    file: &str,
    bks_file: &str,
    objective: Objective,
    iterations: u64,
) -> (checker::CheckReport, f64) {
    check_seed(set, file, bks_file, objective, iterations, 1)
}

/// [`check`] with a given seed.
fn check_seed(
    set: &str,
    file: &str,
    bks_file: &str,
    objective: Objective,
    iterations: u64,
    seed: u64,
) -> (checker::CheckReport, f64) {
    let dir = milkrun_datasets::vrp_set_dir(set);
    let inst = milkrun_datasets::load_instance(&dir.join(file)).unwrap();
    let p = to_problem(&inst, objective).unwrap();
    let sol = milkrun_vrp::solve(
        &p,
        &SolverOptions {
            seed,
            iteration_limit: Some(iterations),
            ..Default::default()
        },
    );
    assert!(sol.unassigned.is_empty());
    let routes = node_routes(&sol);
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

/// CVRPLIB X-n101-k25 (nint distances, no windows), 10000 iterations: over
/// seeds 1-4 every solution is feasible and within 4% of the BKS, and the mean
/// gap is under 2.5%. (At this short budget the gap of a single seed spreads
/// from about 1.2% to 3.3%, so one seed alone makes a brittle test.)
#[test]
fn x_n101() {
    let mut gaps = Vec::new();
    for seed in 1..=4 {
        let (report, gap) = check_seed(
            "x",
            "X-n101-k25.vrp",
            "bks.csv",
            Objective::Weighted,
            10_000,
            seed,
        );
        assert!(report.is_feasible(), "seed {seed}: {:?}", report.violations);
        assert!(gap < 4.0, "seed {seed}: gap {gap}%");
        gaps.push(gap);
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!(mean < 2.5, "mean gap {mean}% ({gaps:?})");
}
