//! Criterion micro-benchmark of the solver's hot call: evaluating the
//! cheapest insertion of a job into a route (what recreate asks every route
//! about every removed job). Instance: Solomon C101 (100 customers, tight
//! windows), shipped in `datasets/data/vrp/solomon/`. Routes come from a
//! short seeded solve (set-up, not measured); the measured call evaluates
//! inserting a job removed from the longest route back into it, and a job
//! of another route into it.
//!
//! Run: `cargo bench -p milkrun-vrp --bench insertion`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use milkrun_datasets::Instance;
use milkrun_vrp::bench_support::InsertionRoute;
use milkrun_vrp::{
    solve, JobSpec, Matrix, Objective, Problem, ProblemSpec, Rounding, SolverOptions,
    VehicleTypeSpec,
};

/// Times and distances are scaled by this before rounding to integers.
const SCALE: f64 = 1000.0;

/// The solver's problem for a Solomon instance: exact Euclidean distances
/// (= travel times) scaled by [`SCALE`], windows, service times, the fleet.
fn to_problem(inst: &Instance) -> Problem {
    let n = inst.nodes.len();
    let raw: Vec<f64> = (0..n * n).map(|k| inst.distance(k / n, k % n)).collect();
    let m = Matrix::from_f64_scaled("distances", n, &raw, SCALE, Rounding::Nearest).unwrap();
    let t = |x: f64| (x * SCALE).round() as i64;
    let jobs = inst.nodes[1..]
        .iter()
        .enumerate()
        .map(|(k, node)| {
            JobSpec::delivery(k + 1, node.demand, t(node.service))
                .with_window(t(node.ready), t(node.due))
        })
        .collect();
    let mut vehicles = VehicleTypeSpec::simple(inst.vehicles.unwrap_or(n), inst.capacity, 0);
    vehicles.shift = (t(inst.nodes[0].ready), t(inst.nodes[0].due));
    Problem::new(ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs,
        pairs: vec![],
        vehicle_types: vec![vehicles],
        objective: Objective::Weighted,
    })
    .unwrap()
}

fn insertion(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/data/vrp/solomon/C101.txt");
    let inst = milkrun_datasets::load_instance(&path).unwrap();
    let p = to_problem(&inst);
    let s = solve(
        &p,
        &SolverOptions {
            seed: 0,
            iteration_limit: Some(300),
            ..Default::default()
        },
    );
    let mut routes = s.job_routes();
    routes.sort_by_key(|r| std::cmp::Reverse(r.len()));
    let (longest, other) = (&routes[0], &routes[1]);
    // The longest route without its middle job, and that job.
    let mid = longest.len() / 2;
    let mut without = longest.clone();
    let own = without.remove(mid);
    let route = InsertionRoute::new(&p, 0, &without).unwrap();
    let foreign = other[other.len() / 2];
    // The removed job fits back where it was: the benchmark times a real,
    // feasible evaluation.
    assert!(route.best_insertion(&p, own).is_some());

    let mut g = c.benchmark_group("insertion_c101");
    g.bench_function("own_job_into_longest_route", |b| {
        b.iter(|| route.best_insertion(&p, black_box(own)))
    });
    g.bench_function("foreign_job_into_longest_route", |b| {
        b.iter(|| route.best_insertion(&p, black_box(foreign)))
    });
    g.finish();
}

criterion_group!(benches, insertion);
criterion_main!(benches);
