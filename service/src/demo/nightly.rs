//! Step 2: the nightly plan. Solves the morning with [`milkrun_vrp::solve`] on the road
//! matrix (travel seconds as cost), measures every route the same way as the baseline
//! ([`measure_round`]), and verifies the plan with the independent checker of
//! [`milkrun_datasets::checker`] on an instance with an explicit travel-time matrix.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use milkrun_datasets::checker;
use milkrun_datasets::{DistanceConvention, Format, Instance, Node};
use milkrun_dispatch::{CourierSpec, StopSpec, TravelTimes};
use milkrun_vrp::{
    solve_with_stats, JobKind, JobSpec, Matrix, Objective, Problem, ProblemSpec, Progress,
    SolverOptions, UnassignedReason, VehicleTypeSpec,
};

/// Solver iterations counted as one second of `--seconds` in the deterministic (default) mode,
/// calibrated on the default scenario (1,500 households, 9 couriers) with a release build on
/// one core of the development machine (about 59,000 iterations in 30 s with 2 shared cores).
pub const ITERATIONS_PER_SECOND: u64 = 2_000;

/// How long the nightly solve runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SolveBudget {
    /// A fixed iteration count: the same plan for a seed on every machine.
    Iterations(u64),
    /// Wall-clock seconds: better use of a fast machine, not reproducible.
    Seconds(f64),
}

/// One courier's round as measured on the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundStats {
    /// Stops (households) in order, as stop indices.
    pub stops: Vec<u32>,
    /// Arrival at each stop, seconds since midnight.
    pub arrivals_s: Vec<i64>,
    /// Bottles carried.
    pub bottles: i64,
    /// Travel seconds, depot to depot.
    pub travel_s: i64,
    /// Metres, depot to depot.
    pub dist_m: i64,
    /// Back at the depot, seconds since midnight.
    pub back_s: i64,
    /// Stops reached after their window closed.
    pub late: usize,
}

/// Drives `stops` in order from the depot (location `depot`) leaving at `leave_s`, waiting
/// for a window to open, and back. A stop is on time when the courier arrives by its
/// window's end (the checker's rule).
pub fn measure_round(
    times: &TravelTimes,
    depot: u32,
    specs: &[StopSpec],
    stops: &[u32],
    leave_s: i64,
) -> RoundStats {
    let mut t = leave_s;
    let mut prev = depot;
    let (mut travel_s, mut dist_m, mut bottles, mut late) = (0, 0, 0, 0);
    let mut arrivals_s = Vec::with_capacity(stops.len());
    for &s in stops {
        let spec = &specs[s as usize];
        travel_s += times.travel(prev, spec.loc);
        dist_m += times.dist(prev, spec.loc);
        let arrival = t + times.travel(prev, spec.loc);
        if arrival > spec.window_s.1 {
            late += 1;
        }
        arrivals_s.push(arrival);
        bottles += spec.bottles;
        t = arrival.max(spec.window_s.0) + spec.service_s;
        prev = spec.loc;
    }
    if !stops.is_empty() {
        travel_s += times.travel(prev, depot);
        dist_m += times.dist(prev, depot);
        t += times.travel(prev, depot);
    }
    RoundStats {
        stops: stops.to_vec(),
        arrivals_s,
        bottles,
        travel_s,
        dist_m,
        back_s: if stops.is_empty() { leave_s } else { t },
        late,
    }
}

/// The nightly plan.
#[derive(Debug, Clone, PartialEq)]
pub struct NightlyPlan {
    /// One round per courier (stop indices in order).
    pub rounds: Vec<RoundStats>,
    /// Stops the solver could not place, with the solver's reason.
    pub unassigned: Vec<(u32, String)>,
    /// Solver iterations run.
    pub iterations: u64,
}

fn reason_text(r: UnassignedReason) -> String {
    format!("solver: {r:?}")
}

/// Solves the morning (all couriers leave at their shift start and are back by its end).
pub fn solve_nightly(
    times: &TravelTimes,
    depot: u32,
    stops: &[StopSpec],
    couriers: &[CourierSpec],
    seed: u64,
    budget: SolveBudget,
    progress: bool,
) -> anyhow::Result<NightlyPlan> {
    // Locations of the problem = the matrix's locations.
    let n = times.len();
    let m = Matrix::from_fn(n, |i, j| times.travel(i as u32, j as u32));
    let jobs = stops
        .iter()
        .map(|s| JobSpec {
            location: s.loc as usize,
            demand: vec![s.bottles],
            kind: JobKind::Delivery,
            service: s.service_s,
            time_windows: vec![s.window_s],
            skills: Vec::new(),
            skip_penalty: None,
            lateness: None,
        })
        .collect();
    let vehicle_types = couriers
        .iter()
        .map(|c| VehicleTypeSpec {
            count: 1,
            capacity: vec![c.capacity],
            start: depot as usize,
            end: Some(depot as usize),
            shift: (c.shift_start_s, c.shift_end_s),
            max_duration: None,
            max_distance: None,
            fixed_cost: 0,
            cost_per_distance: 1,
            cost_per_time: 0,
            skills: Vec::new(),
            reload: None,
        })
        .collect();
    let problem = Problem::new(ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs,
        pairs: Vec::new(),
        vehicle_types,
        objective: Objective::Weighted,
    })?;
    let (time_limit, iteration_limit) = match budget {
        SolveBudget::Iterations(i) => (None, Some(i.max(1))),
        SolveBudget::Seconds(s) => (Some(std::time::Duration::from_secs_f64(s.max(0.01))), None),
    };
    let started = Instant::now();
    let shown = Arc::new(AtomicUsize::new(usize::MAX));
    let bar = progress.then(|| -> milkrun_vrp::ProgressFn {
        Arc::new(move |p: Progress| {
            let frac = match budget {
                SolveBudget::Iterations(i) => p.iterations as f64 / i.max(1) as f64,
                SolveBudget::Seconds(s) => p.elapsed.as_secs_f64() / s.max(0.01),
            }
            .clamp(0.0, 1.0);
            let done = (frac * 30.0).round() as usize;
            // Redraw only when the bar grows (improvements come in bursts).
            if shown.swap(done, Ordering::Relaxed) == done {
                return;
            }
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r  nightly solve [{}{}] {:>3.0}%  best {:>7.1} travel-h  {} couriers  {:>5.1} s",
                "#".repeat(done),
                ".".repeat(30 - done),
                frac * 100.0,
                p.best_cost as f64 / 3600.0,
                p.vehicles,
                p.elapsed.as_secs_f64()
            );
            let _ = err.flush();
        })
    });
    let options = SolverOptions {
        seed,
        time_limit,
        iteration_limit,
        cancel: None,
        threads: 1,
        progress: bar,
        ..Default::default()
    };
    let (solution, stats) = solve_with_stats(&problem, &options);
    if progress {
        eprintln!(
            "\r  nightly solve [{}] 100%  {} iterations in {:.1} s{}",
            "#".repeat(30),
            stats.iterations,
            started.elapsed().as_secs_f64(),
            " ".repeat(30)
        );
    }
    let mut per_courier: Vec<Vec<u32>> = vec![Vec::new(); couriers.len()];
    for r in &solution.routes {
        per_courier[r.vehicle_type] = r.stops.iter().map(|s| s.job as u32).collect();
    }
    let rounds = per_courier
        .iter()
        .zip(couriers)
        .map(|(stops_k, c)| measure_round(times, depot, stops, stops_k, c.shift_start_s))
        .collect();
    Ok(NightlyPlan {
        rounds,
        unassigned: solution
            .unassigned
            .iter()
            .map(|u| (u.job as u32, reason_text(u.reason)))
            .collect(),
        iterations: stats.iterations,
    })
}

/// What the independent checker said about a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Travel seconds recomputed by the checker (its "distance" is the explicit matrix).
    pub travel_s: f64,
    /// Broken rules, other than the households listed as unassigned being missing.
    pub violations: Vec<String>,
}

/// Verifies `rounds` with the independent checker: an instance whose node `i + 1` is stop
/// `i`, with an explicit matrix of travel seconds (travel time = distance, as the checker
/// assumes), the depot open over the shift, one capacity for all couriers (the smallest),
/// and the courier count as the vehicle limit. Households listed in `unassigned` may be
/// missing; any other violation is reported.
pub fn check_rounds(
    times: &TravelTimes,
    depot: u32,
    stops: &[StopSpec],
    couriers: &[CourierSpec],
    rounds: &[Vec<u32>],
    unassigned: &[u32],
) -> CheckOutcome {
    let locs: Vec<u32> = std::iter::once(depot)
        .chain(stops.iter().map(|s| s.loc))
        .collect();
    let n = locs.len();
    let mut matrix = Vec::with_capacity(n * n);
    for &a in &locs {
        for &b in &locs {
            matrix.push(times.travel(a, b) as f64);
        }
    }
    let start = couriers.iter().map(|c| c.shift_start_s).min().unwrap_or(0) as f64;
    let end = couriers.iter().map(|c| c.shift_end_s).max().unwrap_or(0) as f64;
    let mut nodes = vec![Node {
        file_id: 0,
        x: 0.0,
        y: 0.0,
        demand: 0,
        ready: start,
        due: end,
        service: 0.0,
        pickup: None,
        delivery: None,
    }];
    nodes.extend(stops.iter().enumerate().map(|(i, s)| Node {
        file_id: i as i64 + 1,
        x: 0.0,
        y: 0.0,
        demand: s.bottles,
        ready: s.window_s.0 as f64,
        due: s.window_s.1 as f64,
        service: s.service_s as f64,
        pickup: None,
        delivery: None,
    }));
    let inst = Instance {
        name: "milkrun-demo".to_string(),
        format: Format::Vrplib,
        convention: DistanceConvention::Explicit,
        vehicles: Some(couriers.len()),
        capacity: couriers.iter().map(|c| c.capacity).min().unwrap_or(0),
        nodes,
        matrix: Some(matrix),
        has_time_windows: true,
    };
    let routes: Vec<Vec<usize>> = rounds
        .iter()
        .map(|r| r.iter().map(|&s| s as usize + 1).collect())
        .collect();
    let report = checker::check(&inst, &routes);
    let violations = report
        .violations
        .iter()
        .filter(|v| {
            !matches!(v, checker::Violation::MissingCustomer { node }
                if (*node as u32).checked_sub(1).is_some_and(|s| unassigned.contains(&s)))
        })
        .map(ToString::to_string)
        .collect();
    CheckOutcome {
        travel_s: report.distance,
        violations,
    }
}
