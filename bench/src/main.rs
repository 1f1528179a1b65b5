//! `milkrun-bench`: runs a benchmark set, verifies every solution with the
//! independent checker and reports gaps to the best-known solutions.
//!
//! ```text
//! milkrun-bench --set solomon|homberger_200|x|li_lim (--seconds N | --x-rule n/10)
//!               [--seeds 1,2] [--threads T] [--instances a,b] [--out results.csv]
//! ```
use std::io::Write;

use clap::Parser;
use milkrun_bench::{run_instance, set_instances, RunResult, Set};

/// Quality benchmark of the milkrun solver.
#[derive(Debug, Parser)]
#[command(name = "milkrun-bench")]
struct Cli {
    /// Instance set: solomon, homberger_200, x, li_lim.
    #[arg(long)]
    set: String,
    /// Time limit per instance, seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Time rule `n/K`: K-th of a second per customer (overrides --seconds).
    #[arg(long)]
    x_rule: Option<String>,
    /// Stop each solve after this many iterations per thread instead of a time limit.
    #[arg(long)]
    iterations: Option<u64>,
    /// Comma-separated seeds.
    #[arg(long, default_value = "1")]
    seeds: String,
    /// Threads per solve.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Only these instances (comma-separated names).
    #[arg(long)]
    instances: Option<String>,
    /// Write per-run rows to this CSV file.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let set = Set::parse(&cli.set).ok_or_else(|| anyhow::anyhow!("unknown set {:?}", cli.set))?;
    let seeds: Vec<u64> = cli
        .seeds
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let rule_div: Option<f64> = match &cli.x_rule {
        Some(r) => Some(
            r.strip_prefix("n/")
                .and_then(|k| k.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("--x-rule must look like n/10"))?,
        ),
        None => None,
    };
    let mut files = set_instances(set)?;
    if let Some(list) = &cli.instances {
        let wanted: Vec<String> = list.split(',').map(|s| s.trim().to_lowercase()).collect();
        files.retain(|f| {
            let stem = f
                .file_stem()
                .map(|s| s.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            wanted.contains(&stem)
        });
    }
    let mut csv = match &cli.out {
        Some(p) => {
            let mut f = std::fs::File::create(p)?;
            writeln!(f, "instance,seed,customers,vehicles,distance,feasible,bks_vehicles,bks_distance,gap_pct,time_to_1pct_s,seconds,iterations")?;
            Some(f)
        }
        None => None,
    };
    println!(
        "{:<14} {:>4} {:>4} {:>12} {:>4} {:>12} {:>8} {:>8} {:>9}  verdict",
        "instance", "seed", "veh", "distance", "bks", "bks_dist", "gap%", "t1%(s)", "iters"
    );
    let mut results: Vec<RunResult> = Vec::new();
    for f in &files {
        for &seed in &seeds {
            let n = milkrun_datasets::load_instance(f)?.len().saturating_sub(1);
            let secs = rule_div.map_or(cli.seconds, |k| n as f64 / k);
            let r = run_instance(f, set, secs, cli.iterations, seed, cli.threads)?;
            println!(
                "{:<14} {:>4} {:>4} {:>12.2} {:>4} {:>12.2} {:>8.3} {:>8.2} {:>9}  {}",
                r.instance,
                r.seed,
                r.vehicles,
                r.distance,
                r.bks.map_or(0, |b| b.0),
                r.bks.map_or(f64::NAN, |b| b.1),
                r.gap.unwrap_or(f64::NAN),
                r.time_to_1pct,
                r.iterations,
                if r.feasible {
                    "feasible".to_string()
                } else {
                    format!("INFEASIBLE: {}", r.violation.clone().unwrap_or_default())
                }
            );
            if let Some(f) = csv.as_mut() {
                writeln!(
                    f,
                    "{},{},{},{},{:.4},{},{},{},{:.4},{:.3},{:.3},{}",
                    r.instance,
                    r.seed,
                    r.customers,
                    r.vehicles,
                    r.distance,
                    r.feasible,
                    r.bks.map_or(0, |b| b.0),
                    r.bks.map_or(f64::NAN, |b| b.1),
                    r.gap.unwrap_or(f64::NAN),
                    r.time_to_1pct,
                    r.seconds,
                    r.iterations
                )?;
            }
            results.push(r);
        }
    }
    let gaps: Vec<f64> = results.iter().filter_map(|r| r.gap).collect();
    if !gaps.is_empty() {
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let worst = gaps.iter().cloned().fold(f64::MIN, f64::max);
        let mut sorted = gaps.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let median = sorted[sorted.len() / 2];
        let infeasible = results.iter().filter(|r| !r.feasible).count();
        let veh_excess: i64 = results
            .iter()
            .filter_map(|r| r.bks.map(|b| r.vehicles as i64 - b.0 as i64))
            .filter(|d| *d > 0)
            .sum();
        println!(
            "runs {}  mean gap {:.3}%  median {:.3}%  worst {:.3}%  infeasible {}  vehicles above BKS (sum) {}",
            results.len(),
            mean,
            median,
            worst,
            infeasible,
            veh_excess
        );
    }
    Ok(())
}
