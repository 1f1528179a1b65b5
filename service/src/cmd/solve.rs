//! `milkrun solve`: solve a Solomon/Homberger, VRPLIB or Li & Lim instance,
//! write the CVRPLIB `.sol`, and print a summary with the independent
//! checker's verdict to stderr.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use milkrun_datasets::{checker, sol};
use milkrun_vrp::{Objective, Progress, SolverOptions};

use milkrun_station::instance as convert;

/// Most search threads.
pub const MAX_THREADS: usize = 256;

/// Objective choice on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectiveArg {
    /// Fewest vehicles, then distance.
    Hierarchical,
    /// Distance only.
    Distance,
}

/// Options of `milkrun solve`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Instance file (format detected from content).
    pub instance: PathBuf,
    /// Time limit in seconds (more than 0, at most 7 days).
    #[arg(long, default_value = "10", allow_negative_numbers = true,
          value_parser = super::args::positive_seconds)]
    pub seconds: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Search threads (1 to 256).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true,
          value_parser = super::args::count(1, MAX_THREADS))]
    pub threads: usize,
    /// Objective; default: hierarchical for instances with time windows, distance otherwise.
    #[arg(long, value_enum)]
    pub objective: Option<ObjectiveArg>,
    /// Write the `.sol` here instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Print each improvement of the best cost to stderr.
    #[arg(long)]
    pub verbose: bool,
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let inst = milkrun_datasets::load_instance(&opts.instance)?;
    let objective = match opts.objective {
        Some(ObjectiveArg::Hierarchical) => Objective::Hierarchical,
        Some(ObjectiveArg::Distance) => Objective::Weighted,
        None if inst.has_time_windows => Objective::Hierarchical,
        None => Objective::Weighted,
    };
    let problem = convert::to_problem(&inst, objective)?;
    let progress: Option<milkrun_vrp::ProgressFn> = opts.verbose.then(|| {
        let f: milkrun_vrp::ProgressFn = Arc::new(|p: Progress| {
            eprintln!(
                "  {:>8.3}s  vehicles {:>4}  cost {}",
                p.elapsed.as_secs_f64(),
                p.vehicles,
                p.best_cost
            );
        });
        f
    });
    let options = SolverOptions {
        seed: opts.seed,
        time_limit: Some(Duration::from_secs_f64(opts.seconds)),
        threads: opts.threads,
        progress,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let (solution, stats) = milkrun_vrp::solve_with_stats(&problem, &options);
    let elapsed = started.elapsed().as_secs_f64();
    let routes = convert::node_routes(&solution);
    let report = checker::check(&inst, &routes);
    let text = sol::write_sol(&routes, report.distance);
    match &opts.output {
        Some(path) => std::fs::write(path, &text)?,
        None => print!("{text}"),
    }
    eprintln!(
        "instance   {} ({} customers)",
        inst.name,
        inst.len().saturating_sub(1)
    );
    eprintln!(
        "objective  {objective:?}, seed {}, threads {}, {elapsed:.2}s, {} iterations",
        opts.seed,
        opts.threads.max(1),
        stats.iterations
    );
    eprintln!("vehicles   {}", report.vehicles);
    eprintln!(
        "distance   {:.2} (recomputed by the checker)",
        report.distance
    );
    if !solution.unassigned.is_empty() {
        eprintln!("unassigned {}", solution.unassigned.len());
        for u in &solution.unassigned {
            eprintln!("  customer {}: {:?}", u.job + 1, u.reason);
        }
    }
    if report.is_feasible() {
        eprintln!("checker    feasible");
    } else {
        eprintln!("checker    INFEASIBLE:");
        for v in &report.violations {
            eprintln!("  {v}");
        }
        anyhow::bail!("the solution failed the independent checker");
    }
    Ok(())
}
