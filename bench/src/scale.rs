//! Scale and speed measurements of issue #3: the dense-city long-route run
//! (feasibility, peak memory, move evaluations per second) and the
//! time-to-target run (how soon the solver first reaches a given distance,
//! e.g. a peer's final distance).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use milkrun_datasets::{checker, generate, Instance};
use milkrun_station::instance as convert;
use milkrun_vrp::{Objective, Progress, SolverOptions};

/// Peak resident memory of this process so far (`VmHWM` of
/// `/proc/self/status`), in MiB; `None` where that file does not exist.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Result of one dense-city solve.
#[derive(Debug, Clone)]
pub struct DenseResult {
    /// Instance name (seed, stops, couriers).
    pub instance: String,
    /// Stops (households).
    pub stops: usize,
    /// Couriers available.
    pub couriers: usize,
    /// Routes used.
    pub routes: usize,
    /// Most stops on one route.
    pub longest_route: usize,
    /// Total travel (seconds of e-trike travel; distance = travel time).
    pub distance: f64,
    /// Whether the checker found no violation and nothing is unassigned.
    pub feasible: bool,
    /// First violation or the unassigned count.
    pub violation: Option<String>,
    /// Wall time of the solve (model building excluded).
    pub seconds: f64,
    /// Seconds to build the solver model (matrices) from the instance.
    pub build_seconds: f64,
    /// Iterations (all threads).
    pub iterations: u64,
    /// Move evaluations (all threads).
    pub moves: u64,
}

/// Generates the dense city of `seed` with `stops` households and
/// `couriers` couriers, solves it with the distance objective for
/// `seconds`, and checks the result.
pub fn run_dense(
    seed: u64,
    stops: usize,
    couriers: usize,
    seconds: f64,
    threads: usize,
) -> anyhow::Result<DenseResult> {
    let inst: Instance = generate::dense_city(seed, stops, couriers);
    let t0 = Instant::now();
    let problem = convert::to_problem(&inst, Objective::Weighted)?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let opts = SolverOptions {
        seed,
        time_limit: Some(Duration::from_secs_f64(seconds)),
        threads,
        ..Default::default()
    };
    let start = Instant::now();
    let (solution, stats) = milkrun_vrp::solve_with_stats(&problem, &opts);
    let wall = start.elapsed().as_secs_f64();
    let routes = convert::node_routes(&solution);
    let report = checker::check(&inst, &routes);
    Ok(DenseResult {
        instance: inst.name.clone(),
        stops,
        couriers,
        routes: report.vehicles,
        longest_route: routes.iter().map(Vec::len).max().unwrap_or(0),
        distance: report.distance,
        feasible: report.is_feasible() && solution.unassigned.is_empty(),
        violation: crate::first_problem(&report, &solution, "stops"),
        seconds: wall,
        build_seconds,
        iterations: stats.iterations,
        moves: stats.moves,
    })
}

/// Result of one time-to-target run.
#[derive(Debug, Clone)]
pub struct TargetResult {
    /// Instance name.
    pub instance: String,
    /// The target distance (checker convention).
    pub target: f64,
    /// Seconds from the call of the solver (model building excluded) until
    /// the best solution first reached the target; `None` if it never did
    /// within the limit (or the checker did not confirm it).
    pub seconds_to_target: Option<f64>,
    /// Checker distance of the solution returned (the run stops at the
    /// target, so this is the first solution at or below it when reached).
    pub distance: f64,
    /// Vehicles of that solution.
    pub vehicles: usize,
    /// Whether that solution passed the checker.
    pub feasible: bool,
}

/// Absolute slack on the target: peers print distances with four decimals.
pub const TARGET_TOLERANCE: f64 = 1e-3;

/// Solves `path` (distance objective) until its best distance is at most
/// `target` (+ [`TARGET_TOLERANCE`]) or `max_seconds` pass.
///
/// The progress callback sees the solver's integer cost; for the exact
/// (Euclidean) sets that is the sum of `round(1000·d)` per edge, within half
/// a unit per edge of 1000 × the checker's distance. The run is stopped as
/// soon as that cost is at or under the target, and the returned solution is
/// then checked: the time only counts if the checker's distance confirms it.
pub fn run_to_target(
    path: &Path,
    target: f64,
    max_seconds: f64,
    seed: u64,
    threads: usize,
) -> anyhow::Result<TargetResult> {
    let inst: Instance = milkrun_datasets::load_instance(path)?;
    let problem = convert::to_problem(&inst, Objective::Weighted)?;
    let scale = convert::scale_of(&inst);
    let cancel = Arc::new(AtomicBool::new(false));
    let hit: Arc<Mutex<Option<f64>>> = Arc::new(Mutex::new(None));
    let start = Instant::now();
    let (c2, h2) = (Arc::clone(&cancel), Arc::clone(&hit));
    let goal = (target + TARGET_TOLERANCE) * scale;
    let opts = SolverOptions {
        seed,
        time_limit: Some(Duration::from_secs_f64(max_seconds)),
        threads,
        cancel: Some(Arc::clone(&cancel)),
        progress: Some(Arc::new(move |p: Progress| {
            if p.best_cost as f64 <= goal {
                if let Ok(mut h) = h2.lock() {
                    if h.is_none() {
                        *h = Some(start.elapsed().as_secs_f64());
                    }
                }
                c2.store(true, Ordering::Relaxed);
            }
        })),
        ..Default::default()
    };
    let (solution, _stats) = milkrun_vrp::solve_with_stats(&problem, &opts);
    let routes = convert::node_routes(&solution);
    let report = checker::check(&inst, &routes);
    let feasible = report.is_feasible() && solution.unassigned.is_empty();
    let reached = hit.lock().map(|h| *h).unwrap_or(None);
    let confirmed = feasible && report.distance <= target + TARGET_TOLERANCE;
    Ok(TargetResult {
        instance: inst.name.clone(),
        target,
        seconds_to_target: reached.filter(|_| confirmed),
        distance: report.distance,
        vehicles: report.vehicles,
        feasible,
    })
}

/// Reads targets from a CSV with a header naming at least `instance` and
/// `distance` (extra columns, e.g. a peer's `seconds`, are returned too as
/// the third value when a `seconds` column exists).
pub fn read_targets(path: &Path) -> anyhow::Result<Vec<(String, f64, Option<f64>)>> {
    let mut rdr = csv::Reader::from_path(path)?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let ci = col("instance").ok_or_else(|| anyhow::anyhow!("no `instance` column"))?;
    let cd = col("distance").ok_or_else(|| anyhow::anyhow!("no `distance` column"))?;
    let cs = col("seconds");
    let mut out = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let name = rec.get(ci).unwrap_or_default().trim().to_string();
        let d: f64 = rec
            .get(cd)
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("line {}: distance: {e}", line + 2))?;
        let s = cs
            .and_then(|c| rec.get(c))
            .and_then(|v| v.trim().parse().ok());
        out.push((name, d, s));
    }
    Ok(out)
}
