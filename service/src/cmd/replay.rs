//! `milkrun replay`: replays a morning of events against a delivery scenario on real roads
//! and prints, per event, what the re-planner changed (issue #5).
//!
//! ```text
//! milkrun replay --scenario FILE --events FILE [--osm FILE] [--budget-ms 200] [--baseline]
//!                [--background-ms 0]
//! milkrun replay --generate [--seed 1] [--households 500] [--couriers 4] [--events-n 50]
//!                [--write-scenario FILE] [--write-events FILE]
//! ```
//! The scenario format is [`milkrun_datasets::scenario`]'s, the event format
//! [`milkrun_dispatch::io`]'s. The roads are the shipped Liechtenstein extract unless
//! `--osm` names another, with the bike (e-trike) profile. The initial plan is made in
//! `--plan-seconds`: the VRP solver for half, then polished without disruption costs
//! ([`milkrun_dispatch::Dispatch::plan_with_solver`]). With `--background-ms` the plan is improved between
//! events (as a dispatch system does while the couriers ride), within that CPU budget per
//! event and at most until the next event; its time is reported apart from the answer
//! latency.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use milkrun_calendar::format_hms as hms;
use milkrun_datasets::scenario::{self, ScenarioSpec};
use milkrun_dispatch::io::{generate_events, parse_events, write_events, EventMix, TimedRecord};
use milkrun_dispatch::{verify, Dispatch, ImproveOptions, ReplanOptions, ReplanReport, Strategy};
use milkrun_engine::DEFAULT_MAX_SNAP_M;
use milkrun_station::road::{road_engine, road_points, ways_near};
use milkrun_station::scenario::dispatch_from_scenario;

/// Most events of a generated stream.
pub const MAX_EVENTS: usize = 100_000;

/// Options of `milkrun replay`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Scenario file (see `milkrun_datasets::scenario`).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Event file (see `milkrun_dispatch::io`).
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Generate the scenario and the events from `--seed` instead of reading them.
    #[arg(long)]
    pub generate: bool,
    /// OSM extract (default: the shipped Liechtenstein extract).
    #[arg(long)]
    pub osm: Option<PathBuf>,
    /// Seed of the generated scenario and events.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Households of a generated scenario (1 to 5,000).
    #[arg(long, default_value_t = 500, allow_negative_numbers = true,
          value_parser = super::args::count(1, crate::demo::MAX_HOUSEHOLDS))]
    pub households: usize,
    /// Couriers of a generated scenario (1 to 1,000).
    #[arg(long, default_value_t = 4, allow_negative_numbers = true,
          value_parser = super::args::count(1, crate::demo::MAX_COURIERS))]
    pub couriers: usize,
    /// Events of a generated stream (0 to 100,000).
    #[arg(long, default_value_t = 50, allow_negative_numbers = true,
          value_parser = super::args::count(0, MAX_EVENTS))]
    pub events_n: usize,
    /// Re-plan budget, milliseconds (at most 7 days).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true,
          value_parser = super::args::millis)]
    pub budget_ms: u64,
    /// Time for the initial plan, seconds (more than 0, at most 7 days).
    #[arg(long, default_value = "5", allow_negative_numbers = true,
          value_parser = super::args::positive_seconds)]
    pub plan_seconds: f64,
    /// Re-plan from scratch with the VRP solver instead of repairing.
    #[arg(long)]
    pub baseline: bool,
    /// Background improvement after each answer: CPU budget per event, milliseconds (0:
    /// none; at most the time until the next event and 7 days).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true,
          value_parser = super::args::millis)]
    pub background_ms: u64,
    /// Write the scenario used to this file.
    #[arg(long)]
    pub write_scenario: Option<PathBuf>,
    /// Write the events used to this file.
    #[arg(long)]
    pub write_events: Option<PathBuf>,
}

/// One line describing a re-plan.
pub fn describe(r: &ReplanReport) -> String {
    let mut line = format!(
        "{} {:<9} {:>7.1} ms  moved {:>3} of {:>4}  couriers {:?}  arrivals shifted >5 min {:>3} (max {:>4} s)",
        hms(r.time_s),
        r.event,
        r.latency.as_secs_f64() * 1e3,
        r.moved.len(),
        r.remaining,
        r.couriers_affected,
        r.arrivals_shifted,
        r.max_shift_s
    );
    for (s, why) in &r.unserved {
        line.push_str(&format!("\n    unserved stop {s}: {why}"));
    }
    for n in &r.notes {
        line.push_str(&format!("\n    note: {n}"));
    }
    line
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let osm = opts.osm.clone().unwrap_or_else(|| {
        milkrun_datasets::data_dir()
            .join("osm")
            .join("liechtenstein.osm.pbf")
    });
    let t = Instant::now();
    let engine = road_engine(&osm)?;
    eprintln!(
        "roads: {} nodes prepared in {:.1} s",
        engine.graph().num_nodes(),
        t.elapsed().as_secs_f64()
    );
    let scen = match (&opts.scenario, opts.generate) {
        (Some(path), _) => scenario::load_scenario(path)?,
        (None, true) => scenario::generate(
            &ScenarioSpec::new(opts.seed, opts.households, opts.couriers),
            &road_points(&engine),
        )?,
        (None, false) => anyhow::bail!("give --scenario FILE (and --events FILE), or --generate"),
    };
    if let Some(p) = &opts.write_scenario {
        std::fs::write(p, scenario::write_scenario(&scen))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    let (mut day, mut locs) = dispatch_from_scenario(&engine, &scen)?;
    let plan = ReplanOptions {
        budget: Duration::from_secs_f64(opts.plan_seconds),
        seed: opts.seed,
        ..Default::default()
    };
    let r = day.plan_with_solver(&plan)?;
    println!(
        "plan: {} households, {} couriers, cost {} (travel s + penalties), {} unserved, made in {:.1} s",
        scen.households.len(),
        scen.couriers.len(),
        r.cost,
        r.unserved.len(),
        r.latency.as_secs_f64()
    );
    let events: Vec<TimedRecord> = match &opts.events {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            parse_events(&text, &path.display().to_string())?
        }
        None if opts.generate || opts.scenario.is_some() => {
            let ways = ways_near(&engine, &locs.nodes());
            let near: Vec<(f64, f64)> = scen.households.iter().map(|h| (h.lat, h.lon)).collect();
            generate_events(
                &day,
                &EventMix::morning(opts.seed, opts.events_n),
                &ways,
                &near,
                1_000_000,
            )
        }
        None => Vec::new(),
    };
    if let Some(p) = &opts.write_events {
        std::fs::write(p, write_events(&events))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    let options = ReplanOptions {
        budget: Duration::from_millis(opts.budget_ms),
        strategy: if opts.baseline {
            Strategy::FromScratch
        } else {
            Strategy::Repair
        },
        seed: opts.seed,
        ..Default::default()
    };
    let mut latencies = Vec::new();
    let mut background_ms = Vec::new();
    for (k, rec) in events.iter().enumerate() {
        let event = locs.event(&engine, &mut day, rec, DEFAULT_MAX_SNAP_M)?;
        let before = day.routes().to_vec();
        let report = day.apply(event, &options)?;
        let problems = verify(&day, Some(&before));
        anyhow::ensure!(
            problems.is_empty(),
            "plan after the event at {} fails the check: {problems:?}",
            hms(rec.time_s)
        );
        latencies.push(report.latency.as_secs_f64() * 1e3);
        println!("{}", describe(&report));
        let gap_s = events
            .get(k + 1)
            .map_or(0, |n| (n.time_s - rec.time_s).max(0));
        if opts.background_ms > 0 && gap_s > 0 && !opts.baseline {
            let budget = Duration::from_millis(opts.background_ms)
                .min(Duration::from_secs(u64::try_from(gap_s).unwrap_or(0)));
            let before = day.routes().to_vec();
            let cost = day.plan_cost();
            let unserved = |d: &Dispatch| {
                d.states()
                    .iter()
                    .filter(|s| matches!(s, milkrun_dispatch::StopState::Unserved(_)))
                    .count()
            };
            let left = unserved(&day);
            let report = day.improve(&ImproveOptions {
                budget,
                seed: opts.seed,
                ..Default::default()
            });
            let problems = verify(&day, Some(&before));
            anyhow::ensure!(
                problems.is_empty(),
                "plan after background improvement at {} fails the check: {problems:?}",
                hms(rec.time_s)
            );
            background_ms.push(report.latency.as_secs_f64() * 1e3);
            if report.cost < cost {
                println!(
                    "  background ({:.0} ms): cost {} -> {}, {} stops moved, unserved {} -> {}",
                    report.latency.as_secs_f64() * 1e3,
                    cost,
                    report.cost,
                    report.moved.len(),
                    left,
                    unserved(&day),
                );
            }
        }
    }
    day.finish();
    let (travel_s, dist_m) = day.driven();
    let sum = day.summary();
    println!("outcome: {sum}");
    latencies.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "end of day: travel {:.1} h, {:.1} km, {} unserved; re-plan latency median {:.1} ms, p99 {:.1} ms over {} events",
        travel_s as f64 / 3600.0,
        dist_m as f64 / 1000.0,
        sum.unserved_total(),
        pct(0.5),
        pct(0.99),
        latencies.len()
    );
    if !background_ms.is_empty() {
        println!(
            "background improvement: {} runs, {:.1} s in all (budget {} ms per event)",
            background_ms.len(),
            background_ms.iter().sum::<f64>() / 1e3,
            opts.background_ms
        );
    }
    Ok(())
}
