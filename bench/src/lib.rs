//! # milkrun-bench
//!
//! Quality benchmarks on the shipped instance sets: solve each instance with
//! a time limit, verify the solution with the independent checker of
//! `milkrun-datasets`, and compare with the best-known solution (BKS) under
//! the set's convention.
//!
//! Sets and conventions:
//! - `solomon`: distance-only BKS (`bks_distance.csv`), weighted (distance) objective.
//! - `homberger_200`, `li_lim`: hierarchical (vehicles, then distance) with `bks.csv`.
//! - `x`: CVRPLIB X, nint distances, distance objective, a fixed spread of
//!   20 instances (every 5th by size, 100 to 1000 customers).
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use milkrun_datasets::{bks, checker, Instance};
use milkrun_station::instance as convert;
use milkrun_vrp::{Cooperation, Objective, Progress, SolverOptions};

pub mod chicago;
pub mod cpu_clock;
pub mod scale;
pub mod serve_client;

/// A benchmark set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// Solomon 100, distance-only BKS.
    Solomon,
    /// Gehring-Homberger 200, hierarchical.
    Homberger200,
    /// CVRPLIB X spread.
    X,
    /// Li & Lim 100 PDPTW, hierarchical.
    LiLim,
    /// Generated Homberger-style C2/RC2 instances with 1,000 customers
    /// (`milkrun_datasets::generate::homberger_gen_1000`), hierarchical; no BKS.
    HombergerGen1000,
}

impl Set {
    /// Parses a set name as given on the command line.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "solomon" => Some(Self::Solomon),
            "homberger_200" | "homberger" => Some(Self::Homberger200),
            "x" => Some(Self::X),
            "li_lim" | "li_lim_100" => Some(Self::LiLim),
            "homberger_gen_1000" => Some(Self::HombergerGen1000),
            _ => None,
        }
    }

    /// Folder name under `datasets/data/vrp`.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Solomon => "solomon",
            Self::Homberger200 => "homberger_200",
            Self::X => "x",
            Self::LiLim => "li_lim_100",
            Self::HombergerGen1000 => "homberger_gen_1000",
        }
    }

    /// BKS file name in the set folder.
    pub fn bks_file(self) -> &'static str {
        match self {
            Self::Solomon => "bks_distance.csv",
            _ => "bks.csv",
        }
    }

    /// Objective used for the set.
    pub fn objective(self) -> Objective {
        match self {
            Self::Solomon | Self::X => Objective::Weighted,
            Self::Homberger200 | Self::LiLim | Self::HombergerGen1000 => Objective::Hierarchical,
        }
    }
}

/// The first broken rule of a checked solution, else "N {what} unassigned" when the solver
/// left some out; `None` for a complete feasible solution.
pub fn first_problem(
    report: &checker::CheckReport,
    solution: &milkrun_vrp::Solution,
    what: &str,
) -> Option<String> {
    report
        .violations
        .first()
        .map(|v| v.to_string())
        .or_else(|| {
            (!solution.unassigned.is_empty())
                .then(|| format!("{} {what} unassigned", solution.unassigned.len()))
        })
}

/// The instance files of a set (for X: the fixed spread of 20).
pub fn set_instances(set: Set) -> anyhow::Result<Vec<PathBuf>> {
    let dir = milkrun_datasets::vrp_set_dir(set.dir());
    let mut files = milkrun_datasets::instance_files(&dir)?;
    if set == Set::X {
        let size = |p: &PathBuf| -> usize {
            let s = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            s.split('-')
                .nth(1)
                .and_then(|t| t.trim_start_matches('n').parse().ok())
                .unwrap_or(0)
        };
        files.sort_by_key(size);
        files = files.into_iter().step_by(5).collect();
    }
    Ok(files)
}

/// Result of one solve.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Instance name.
    pub instance: String,
    /// Seed used.
    pub seed: u64,
    /// Number of customers.
    pub customers: usize,
    /// Vehicles used.
    pub vehicles: usize,
    /// Distance recomputed by the checker.
    pub distance: f64,
    /// Whether the checker found no violation.
    pub feasible: bool,
    /// The checker's first violation, if any.
    pub violation: Option<String>,
    /// BKS vehicles and distance, if known.
    pub bks: Option<(usize, f64)>,
    /// Distance gap to the BKS, percent.
    pub gap: Option<f64>,
    /// Seconds until the best cost first came within 1% of the final cost.
    pub time_to_1pct: f64,
    /// Wall time of the solve.
    pub seconds: f64,
    /// Iterations done (all threads).
    pub iterations: u64,
    /// Move evaluations (all threads), see `milkrun_vrp::SolveStats::moves`.
    pub moves: u64,
}

/// Solves one instance file and checks the result.
/// With `iterations`, the run stops after that many iterations per thread
/// (deterministic) instead of after `seconds`.
pub fn run_instance(
    path: &Path,
    set: Set,
    seconds: f64,
    iterations: Option<u64>,
    seed: u64,
    threads: usize,
    cooperation: Cooperation,
) -> anyhow::Result<RunResult> {
    let inst: Instance = milkrun_datasets::load_instance(path)?;
    let problem = convert::to_problem(&inst, set.objective())?;
    let trace: Arc<Mutex<Vec<(f64, usize, i64)>>> = Arc::new(Mutex::new(Vec::new()));
    let t2 = Arc::clone(&trace);
    let opts = SolverOptions {
        seed,
        time_limit: if iterations.is_some() {
            None
        } else {
            Some(Duration::from_secs_f64(seconds))
        },
        iteration_limit: iterations,
        threads,
        cooperation,
        progress: Some(Arc::new(move |p: Progress| {
            if let Ok(mut t) = t2.lock() {
                t.push((p.elapsed.as_secs_f64(), p.vehicles, p.best_cost));
            }
        })),
        ..Default::default()
    };
    let start = Instant::now();
    let (solution, stats) = milkrun_vrp::solve_with_stats(&problem, &opts);
    let wall = start.elapsed().as_secs_f64();
    let routes = convert::node_routes(&solution);
    let report = checker::check(&inst, &routes);
    let bks_entries =
        bks::read_bks(&milkrun_datasets::vrp_set_dir(set.dir()).join(set.bks_file()))?;
    let bks = bks::find(&bks_entries, &inst.name).map(|b| (b.vehicles, b.distance));
    let gap = bks.map(|(_, d)| 100.0 * (report.distance - d) / d);
    let trace = trace.lock().map(|t| t.clone()).unwrap_or_default();
    let final_cost = trace.last().map(|x| (x.1, x.2));
    let time_to_1pct = match final_cost {
        Some((v, c)) => trace
            .iter()
            .find(|x| x.1 == v && (x.2 as f64) <= c as f64 * 1.01)
            .map_or(wall, |x| x.0),
        None => wall,
    };
    Ok(RunResult {
        instance: inst.name.clone(),
        seed,
        customers: inst.len().saturating_sub(1),
        vehicles: report.vehicles,
        distance: report.distance,
        feasible: report.is_feasible() && solution.unassigned.is_empty(),
        violation: first_problem(&report, &solution, "jobs"),
        bks,
        gap,
        time_to_1pct,
        seconds: wall,
        iterations: stats.iterations,
        moves: stats.moves,
    })
}
