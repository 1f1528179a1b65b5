//! Solves shipped benchmark instances and checks them with the independent
//! checker of `milkrun-datasets` (a dev-dependency).
//!
//! ```text
//! cargo run --release -p milkrun-vrp --example solve_set -- SET ITERATIONS|Ns NAME...
//! ```
//! `SET` is `solomon`, `homberger_200`, `x` or `li_lim_100`; the budget is an
//! iteration count or seconds with an `s` suffix. The conversion mirrors
//! `milkrun-service`'s `convert` module (times and distances ×1000 for the
//! exact-Euclidean sets).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use milkrun_datasets::{bks, checker, DistanceConvention, Instance, OPEN_HORIZON};
use milkrun_vrp::{
    JobKind, JobSpec, Matrix, Objective, PairSpec, Problem, ProblemSpec, Rounding, SolverOptions,
    VehicleTypeSpec,
};

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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let set = args[1].clone();
    let budget = args[2].clone();
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let dir = milkrun_datasets::vrp_set_dir(&set);
    let (bks_file, objective) = match set.as_str() {
        "solomon" => ("bks_distance.csv", Objective::Weighted),
        "x" => ("bks.csv", Objective::Weighted),
        _ => ("bks.csv", Objective::Hierarchical),
    };
    let bks = bks::read_bks(&dir.join(bks_file)).unwrap();
    let mut names: Vec<String> = args[3..].to_vec();
    if names.is_empty() {
        names = milkrun_datasets::instance_files(&dir)
            .unwrap()
            .iter()
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
    }
    let mut gaps = vec![];
    for name in names {
        let ext = if set == "x" { "vrp" } else { "txt" };
        let inst = milkrun_datasets::load_instance(&dir.join(format!("{name}.{ext}"))).unwrap();
        let problem = to_problem(&inst, objective);
        let mut opts = SolverOptions {
            seed,
            ..Default::default()
        };
        if let Some(s) = budget.strip_suffix('s') {
            opts.time_limit = Some(Duration::from_secs_f64(s.parse().unwrap()));
        } else {
            opts.iteration_limit = Some(budget.parse().unwrap());
        }
        let t = std::time::Instant::now();
        let (sol, stats) = milkrun_vrp::solve_with_stats(&problem, &opts);
        let routes: Vec<Vec<usize>> = sol
            .job_routes()
            .into_iter()
            .map(|r| r.into_iter().map(|j| j + 1).collect())
            .collect();
        let rep = checker::check(&inst, &routes);
        let b = bks::find(&bks, &inst.name)
            .map(|b| (b.vehicles, b.distance))
            .unwrap_or((0, f64::NAN));
        let gap = 100.0 * (rep.distance - b.1) / b.1;
        gaps.push(gap);
        println!(
            "{:<14} veh {:>3} (bks {:>3}) dist {:>11.2} (bks {:>11.2}) gap {:>7.3}% {} unassigned {} iters {} {:.1}s",
            inst.name,
            rep.vehicles,
            b.0,
            rep.distance,
            b.1,
            gap,
            if rep.is_feasible() { "ok" } else { "INFEASIBLE" },
            sol.unassigned.len(),
            stats.iterations,
            t.elapsed().as_secs_f64()
        );
    }
    println!(
        "mean gap {:.3}% over {}",
        gaps.iter().sum::<f64>() / gaps.len() as f64,
        gaps.len()
    );
}
