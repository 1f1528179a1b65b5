//! `milkrun-bench`: runs a benchmark set, verifies every solution with the
//! independent checker and reports gaps to the best-known solutions.
//!
//! ```text
//! milkrun-bench --set solomon|homberger_200|homberger_gen_1000|x|li_lim (--seconds N | --x-rule n/10)
//!               [--seeds 1,2] [--threads T] [--cooperation share|independent]
//!               [--instances a,b] [--out results.csv] [--targets peer.csv]
//! milkrun-bench --set dense [--stops 3000] [--couriers 12] [--seconds 60]
//! ```
//!
//! With `--targets FILE` (columns `instance,distance[,seconds]`) each run
//! stops as soon as its distance reaches the instance's target and the time
//! to reach it is reported (`--seconds` is then the cap). At the end the
//! peak memory of the process (`VmHWM`) is printed.
use std::io::Write;

use clap::Parser;
use milkrun_bench::scale::{peak_memory_mib, read_targets, run_dense, run_to_target};
use milkrun_bench::{run_instance, set_instances, RunResult, Set};
use milkrun_vrp::Cooperation;

/// Quality benchmark of the milkrun solver.
#[derive(Debug, Parser)]
#[command(name = "milkrun-bench")]
struct Cli {
    /// Instance set: solomon, homberger_200, homberger_gen_1000, x, li_lim, or dense (the
    /// generated dense city).
    #[arg(long)]
    set: String,
    /// Dense city: number of stops (households).
    #[arg(long, default_value_t = 3000)]
    stops: usize,
    /// Dense city: number of couriers.
    #[arg(long, default_value_t = 12)]
    couriers: usize,
    /// How threads cooperate: share (meet and share the best) or independent.
    #[arg(long, default_value = "share")]
    cooperation: String,
    /// Time-to-target mode: CSV with `instance,distance[,seconds]` per instance.
    #[arg(long)]
    targets: Option<std::path::PathBuf>,
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
    let cooperation = match cli.cooperation.as_str() {
        "share" => Cooperation::ShareBest,
        "independent" => Cooperation::Independent,
        other => anyhow::bail!("--cooperation must be share or independent, not {other:?}"),
    };
    let seeds: Vec<u64> = cli
        .seeds
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    if cli.set == "dense" {
        dense(&cli, &seeds)?;
    } else if cli.targets.is_some() {
        to_target(&cli, &seeds)?;
    } else {
        quality(&cli, &seeds, cooperation)?;
    }
    if let Some(mib) = peak_memory_mib() {
        println!("peak memory (VmHWM) {mib:.1} MiB");
    }
    Ok(())
}

/// `--set dense`: the long-route run.
fn dense(cli: &Cli, seeds: &[u64]) -> anyhow::Result<()> {
    for &seed in seeds {
        let r = run_dense(seed, cli.stops, cli.couriers, cli.seconds, cli.threads)?;
        println!(
            "{}: {} stops, {} couriers -> {} routes (longest {} stops), travel {:.0} s, {}",
            r.instance,
            r.stops,
            r.couriers,
            r.routes,
            r.longest_route,
            r.distance,
            if r.feasible {
                "feasible (checker)".to_string()
            } else {
                format!("INFEASIBLE: {}", r.violation.clone().unwrap_or_default())
            }
        );
        println!(
            "  model build {:.2} s, solve {:.2} s, {} iterations ({:.0}/s), {} move evaluations ({:.0}/s)",
            r.build_seconds,
            r.seconds,
            r.iterations,
            r.iterations as f64 / r.seconds.max(1e-9),
            r.moves,
            r.moves as f64 / r.seconds.max(1e-9)
        );
    }
    Ok(())
}

/// `--targets FILE`: time to reach each instance's target distance.
fn to_target(cli: &Cli, seeds: &[u64]) -> anyhow::Result<()> {
    let set = Set::parse(&cli.set).ok_or_else(|| anyhow::anyhow!("unknown set {:?}", cli.set))?;
    let targets = read_targets(cli.targets.as_deref().unwrap_or(std::path::Path::new("")))?;
    let files = filter(set_instances(set)?, cli.instances.as_deref());
    let mut csv = match &cli.out {
        Some(p) => {
            let mut f = std::fs::File::create(p)?;
            writeln!(
                f,
                "instance,seed,target,peer_seconds,seconds_to_target,distance,vehicles,feasible"
            )?;
            Some(f)
        }
        None => None,
    };
    println!(
        "{:<10} {:>4} {:>11} {:>8} {:>9} {:>11}  verdict",
        "instance", "seed", "target", "peer(s)", "ours(s)", "distance"
    );
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for f in &files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let Some((_, target, peer_s)) = targets.iter().find(|t| t.0.to_lowercase() == stem) else {
            continue;
        };
        for &seed in seeds {
            let r = run_to_target(f, *target, cli.seconds, seed, cli.threads)?;
            println!(
                "{:<10} {:>4} {:>11.4} {:>8.2} {:>9} {:>11.4}  {}",
                r.instance,
                seed,
                r.target,
                peer_s.unwrap_or(f64::NAN),
                r.seconds_to_target
                    .map_or(format!(">{:.0}", cli.seconds), |t| format!("{t:.3}")),
                r.distance,
                if r.feasible { "feasible" } else { "INFEASIBLE" }
            );
            if let Some(f) = csv.as_mut() {
                writeln!(
                    f,
                    "{},{},{:.4},{},{},{:.4},{},{}",
                    r.instance,
                    seed,
                    r.target,
                    peer_s.map_or(String::new(), |v| format!("{v:.3}")),
                    r.seconds_to_target
                        .map_or(String::new(), |v| format!("{v:.3}")),
                    r.distance,
                    r.vehicles,
                    r.feasible
                )?;
            }
            ours.push(r.seconds_to_target.unwrap_or(f64::INFINITY));
            if let Some(p) = peer_s {
                peer.push(*p);
            }
        }
    }
    let median = |v: &mut Vec<f64>| -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    };
    let reached = ours.iter().filter(|t| t.is_finite()).count();
    let runs = ours.len();
    println!(
        "runs {}  reached target {}  median time to target {:.3} s (unreached count as infinite)  peer median run time {:.3} s",
        runs,
        reached,
        median(&mut ours),
        median(&mut peer)
    );
    Ok(())
}

/// Keeps the files whose stem is in the comma-separated `list` (all if none).
fn filter(mut files: Vec<std::path::PathBuf>, list: Option<&str>) -> Vec<std::path::PathBuf> {
    if let Some(list) = list {
        let wanted: Vec<String> = list.split(',').map(|s| s.trim().to_lowercase()).collect();
        files.retain(|f| {
            let stem = f
                .file_stem()
                .map(|s| s.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            wanted.contains(&stem)
        });
    }
    files
}

/// The quality benchmark: gaps to BKS.
fn quality(cli: &Cli, seeds: &[u64], cooperation: Cooperation) -> anyhow::Result<()> {
    let set = Set::parse(&cli.set).ok_or_else(|| anyhow::anyhow!("unknown set {:?}", cli.set))?;
    let rule_div: Option<f64> = match &cli.x_rule {
        Some(r) => Some(
            r.strip_prefix("n/")
                .and_then(|k| k.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("--x-rule must look like n/10"))?,
        ),
        None => None,
    };
    let files = filter(set_instances(set)?, cli.instances.as_deref());
    let mut csv = match &cli.out {
        Some(p) => {
            let mut f = std::fs::File::create(p)?;
            writeln!(f, "instance,seed,customers,vehicles,distance,feasible,bks_vehicles,bks_distance,gap_pct,time_to_1pct_s,seconds,iterations,moves")?;
            Some(f)
        }
        None => None,
    };
    println!(
        "{:<14} {:>4} {:>4} {:>12} {:>4} {:>12} {:>8} {:>8} {:>9} {:>9}  verdict",
        "instance",
        "seed",
        "veh",
        "distance",
        "bks",
        "bks_dist",
        "gap%",
        "t1%(s)",
        "iters",
        "moves/s"
    );
    let mut results: Vec<RunResult> = Vec::new();
    for f in &files {
        for &seed in seeds {
            let n = milkrun_datasets::load_instance(f)?.len().saturating_sub(1);
            let secs = rule_div.map_or(cli.seconds, |k| n as f64 / k);
            let r = run_instance(f, set, secs, cli.iterations, seed, cli.threads, cooperation)?;
            println!(
                "{:<14} {:>4} {:>4} {:>12.2} {:>4} {:>12.2} {:>8.3} {:>8.2} {:>9} {:>9.0}  {}",
                r.instance,
                r.seed,
                r.vehicles,
                r.distance,
                r.bks.map_or(0, |b| b.0),
                r.bks.map_or(f64::NAN, |b| b.1),
                r.gap.unwrap_or(f64::NAN),
                r.time_to_1pct,
                r.iterations,
                r.moves as f64 / r.seconds.max(1e-9),
                if r.feasible {
                    "feasible".to_string()
                } else {
                    format!("INFEASIBLE: {}", r.violation.clone().unwrap_or_default())
                }
            );
            if let Some(f) = csv.as_mut() {
                writeln!(
                    f,
                    "{},{},{},{},{:.4},{},{},{},{:.4},{:.3},{:.3},{},{}",
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
                    r.iterations,
                    r.moves
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
    let (moves, secs) = results
        .iter()
        .fold((0u64, 0.0), |(m, s), r| (m + r.moves, s + r.seconds));
    if secs > 0.0 {
        println!(
            "moves evaluated {}  in {:.1} s  ({:.0}/s over all runs)",
            moves,
            secs,
            moves as f64 / secs
        );
    }
    Ok(())
}
