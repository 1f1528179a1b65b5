//! `replan`: live re-planning benchmark (issue #5).
//!
//! ```text
//! cargo run --release -p milkrun-bench --bin replan -- [--households 3000] [--couriers 12]
//!     [--events 200] [--stop-after 0] [--seed 1] [--budget-ms 200] [--plan-seconds 60]
//!     [--plan-polish-pct 50] [--osm FILE] [--long-every 25] [--long-at 0,25]
//!     [--long-seconds 10,30,60] [--rush-pct 130] [--rush-source scaled|engine]
//!     [--plan-file FILE] [--background-ms 0] [--answer-lns 0] [--reference-polish-pct 50]
//!     [--background-iterations 0] [--move-cost 60] [--promise-per-s 1]
//!     [--catch-up-seconds 0] [--judged] [--wall-cap-factor 20]
//! ```
//! On the Liechtenstein extract (bike profile): a generated scenario, an initial plan by the
//! VRP solver in `--plan-seconds` (the last `--plan-polish-pct` of it polishing the solver's
//! plan, as the reference re-solves are made), and a seeded stream of events (traffic, cancellations, new
//! orders, failures, delays, one breakdown) replayed twice from the same plan: by the
//! warm-start re-planner (repair + bounded local search) and by the from-scratch baseline
//! (the VRP solver on every remaining stop), both with the same budget. Every plan is checked
//! by [`milkrun_dispatch::verify`] (times recomputed along every route, windows,
//! capacity, returns, done and committed stops untouched). Reports latency median and p99,
//! the share of remaining stops that change courier per event, the end-of-day cost
//! (travel seconds + 3600 per unserved stop) of both, how every stop ended (delivered,
//! failed and retried or carried to tomorrow, cancelled, unserved with reasons), and every
//! `--long-every` events the gap between the warm-start plan and from-scratch solves of the
//! same state with `--long-seconds` each. With `--rush-pct` the travel times depend on the
//! time of day (a morning-rush slot built by scaling the matrix). With `--judged` (the
//! judged runs of issue #25, `bench/replan_judged.sh`) the nightly plan and the reference
//! re-solves get their seconds as CPU time of the solving thread
//! ([`milkrun_bench::cpu_clock`]), so that their result does not depend on the machine's
//! load, and background improvement's work budget is not cut short by the time to the next
//! event.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use milkrun_bench::cpu_clock::{with_cpu_budget, CpuUse};
use milkrun_datasets::scenario::{generate, ScenarioSpec};
use milkrun_dispatch::io::{generate_events, EventMix, EventRecord};
use milkrun_dispatch::{
    verify, Dispatch, Event, ImproveOptions, ReplanOptions, SlotTimes, SpeedSlot, StopState,
    Strategy, TravelTimes, Weights,
};
use milkrun_engine::DEFAULT_MAX_SNAP_M;
use milkrun_station::road::{road_engine, road_points, ways_near};
use milkrun_station::scenario::dispatch_from_scenario;

/// Re-planning benchmark.
#[derive(Debug, Parser)]
#[command(name = "replan")]
struct Cli {
    /// OSM extract.
    #[arg(long)]
    osm: Option<PathBuf>,
    /// Households (stops).
    #[arg(long, default_value_t = 3000)]
    households: usize,
    /// Couriers.
    #[arg(long, default_value_t = 12)]
    couriers: usize,
    /// Events in the stream.
    #[arg(long, default_value_t = 200)]
    events: usize,
    /// Replay only the first this many events of the stream (the stream itself is the one
    /// of `--events`; 0: all), for short diagnostic runs on the same states.
    #[arg(long, default_value_t = 0)]
    stop_after: usize,
    /// Seed of scenario, events and solver.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Re-plan budget, milliseconds (both strategies).
    #[arg(long, default_value_t = 200)]
    budget_ms: u64,
    /// Time for the initial (nightly) plan, seconds: the same budget as one reference
    /// re-solve (`--long-seconds`), made the same way (VRP solver, then polish).
    #[arg(long, default_value_t = 60.0)]
    plan_seconds: f64,
    /// Share of `--plan-seconds` given to polishing the VRP solver's nightly plan, percent
    /// (0: the VRP solver alone).
    #[arg(long, default_value_t = 50)]
    plan_polish_pct: u32,
    /// Skip the from-scratch baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Every this many events, compare the warm-start plan with from-scratch solves of the
    /// same state, one per `--long-seconds` value (0: never).
    #[arg(long, default_value_t = 25)]
    long_every: usize,
    /// Also compare after these events (comma-separated; 0: the initial plan, before the
    /// first event).
    #[arg(long, value_delimiter = ',')]
    long_at: Vec<usize>,
    /// Time limits of the reference from-scratch solves, seconds (comma-separated: 10,30,60
    /// shows how the reference converges).
    #[arg(long, value_delimiter = ',', default_values_t = vec![60.0])]
    long_seconds: Vec<f64>,
    /// Morning rush 06:30-08:00: travel times in the town core (the third of the locations
    /// nearest the depot) in percent of free flow, outside it a third of the increase
    /// (0 or 100: no time of day).
    #[arg(long, default_value_t = 130)]
    rush_pct: u32,
    /// Plan file (one line per courier: its stop ids in order): read if it exists, else the
    /// solver's initial plan is written there (so later runs replay the same plan and events).
    #[arg(long)]
    plan_file: Option<PathBuf>,
    /// Background improvement between events: CPU budget per event, milliseconds (0: none).
    /// It runs after the answer to each event (its time is not in the answer latency), at
    /// most the simulated time until the next event, and is reported apart.
    #[arg(long, default_value_t = 0)]
    background_ms: u64,
    /// Background improvement as a work budget instead: this many ruin-and-recreate
    /// iterations per event (0: `--background-ms` alone). With it `--background-ms` is only
    /// a safety cap (wall clock, at most until the next event), reported when reached: the
    /// improvement depends on the day and the seed, not on the machine's load, so runs of
    /// the same seed differ only where the 200 ms answer or the cap is reached.
    #[arg(long, default_value_t = 0)]
    background_iterations: u64,
    /// Cost of a stop moved to another courier in the warm-start objective, in seconds of
    /// travel (the default weight: 60).
    #[arg(long, default_value_t = 60)]
    move_cost: i64,
    /// Cost per second a promised arrival shifts beyond the tolerance, in the warm-start
    /// objective (the default weight: 1).
    #[arg(long, default_value_t = 1)]
    promise_per_s: i64,
    /// Ruin-and-recreate iterations in the answer to each event, after repair and local
    /// search (0: none).
    #[arg(long, default_value_t = 0)]
    answer_lns: u64,
    /// Share of each reference solve (`--long-seconds`) given to polishing the VRP solver's
    /// plan, percent: stops it left out inserted with the time-dependent schedule, then
    /// ruin and recreate and the local search, without disruption costs (0: the VRP solver
    /// alone for the whole time).
    #[arg(long, default_value_t = 50)]
    reference_polish_pct: u32,
    /// Diagnostic: at each comparison also give the warm-start plan this many seconds of
    /// background improvement (with its disruption costs) and print the result (0: none;
    /// the run itself is not changed).
    #[arg(long, default_value_t = 0.0)]
    catch_up_seconds: f64,
    /// Where the rush comes from: `scaled` (the matrix scaled per location) or `engine`
    /// (the road engine's speed profile on the ways of the town core, one matrix per slot).
    #[arg(long, value_enum, default_value_t = RushSource::Scaled)]
    rush_source: RushSource,
    /// Judged mode: `--plan-seconds` (when the nightly plan is made here) and
    /// `--long-seconds` are CPU seconds of the solving thread (each part, VRP solver and
    /// polish, has its own share), not wall clock, with `--wall-cap-factor` times as much
    /// wall clock as a cap; and background improvement's wall-clock cap is `--background-ms`
    /// alone, not also the time to the next event, so that with `--background-iterations`
    /// the work budget is the limit that binds. Linux only (`/proc/thread-self`).
    #[arg(long)]
    judged: bool,
    /// With `--judged`: wall-clock cap of a CPU-budgeted solve, as a multiple of its CPU
    /// budget (reached only when the solve gets less than 1/this of a core).
    #[arg(long, default_value_t = 20.0)]
    wall_cap_factor: f64,
}

/// Runs `f` (given a wall-clock budget and a cancel flag) for `secs` seconds: with
/// `judged`, CPU seconds of this thread with `cap_factor` times as much wall clock as a cap,
/// else `secs` of wall clock and no flag. Returns what the solve used (`None` without
/// `judged`).
fn budgeted<R>(
    judged: bool,
    cap_factor: f64,
    secs: f64,
    f: impl FnOnce(Duration, Option<std::sync::Arc<std::sync::atomic::AtomicBool>>) -> R,
) -> anyhow::Result<(R, Option<CpuUse>)> {
    let secs = secs.max(0.0);
    if !judged {
        return Ok((f(Duration::from_secs_f64(secs), None), None));
    }
    let cap = Duration::from_secs_f64(secs * cap_factor.max(1.0));
    let (r, used) = with_cpu_budget(Duration::from_secs_f64(secs), |cancel| f(cap, Some(cancel)))
        .context("--judged: reading this thread's CPU time from /proc")?;
    Ok((r, Some(used)))
}

/// "12.3 CPU s" (with "(budget reached)" or "(wall cap reached)") or "-".
fn used_text(u: Option<CpuUse>, budget_s: f64) -> String {
    match u {
        None => "-".to_string(),
        Some(u) if u.reached => format!("{:.2} CPU s", u.seconds),
        Some(u) if u.seconds < budget_s * 0.99 => {
            format!("{:.2} CPU s, WALL CAP REACHED", u.seconds)
        }
        Some(u) => format!("{:.2} CPU s", u.seconds),
    }
}

/// Source of the time-of-day slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RushSource {
    /// Per-location factors on the base matrix.
    Scaled,
    /// The road engine's speed profile.
    Engine,
}

/// The morning rush as a time-of-day slot: the third of the locations nearest the depot
/// (the town core) at `pct`%, the others at a third of the increase.
fn rush_slot(times: &TravelTimes, depot: u32, pct: u32) -> SpeedSlot {
    let n = times.len();
    let mut by_dist: Vec<(i64, usize)> =
        (0..n).map(|j| (times.travel(depot, j as u32), j)).collect();
    by_dist.sort_unstable();
    let mut factor_pct = vec![100 + (pct.saturating_sub(100)) / 3; n];
    for &(_, j) in by_dist.iter().take(n / 3) {
        factor_pct[j] = pct;
    }
    SpeedSlot {
        start_s: 6 * 3600 + 1800,
        end_s: 8 * 3600,
        times: SlotTimes::Factors(factor_pct),
    }
}

/// CPU seconds this process has used (user + system, all threads), from `/proc/self/stat`
/// at 100 ticks per second; `None` where that file cannot be read (not Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, in parentheses): utime and
    // stime are fields 14 and 15 of the line, 12th and 13th after the name.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut f = rest.split_whitespace().skip(11);
    let utime: u64 = f.next()?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

fn pct(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(((s.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

struct Run {
    name: &'static str,
    day: Dispatch,
    options: ReplanOptions,
    latency_ms: Vec<f64>,
    moved_share: Vec<f64>,
    moved_total: usize,
    shifted_total: usize,
    infeasible: usize,
    worst: std::collections::BTreeMap<&'static str, f64>,
    /// Stops reported unserved by the re-plan after each kind of event.
    unserved_after: std::collections::BTreeMap<&'static str, usize>,
    /// Background improvement: CPU budget per event (zero: none).
    background: Duration,
    /// Wall time of every background improvement, ms.
    background_ms: Vec<f64>,
    /// Share of remaining stops moved to another courier by each background improvement.
    background_moved_share: Vec<f64>,
    /// Stops moved by background improvement, in all.
    background_moved_total: usize,
    /// Cost gained by background improvement, in all.
    background_gain: i64,
    /// Ruin-and-recreate iterations of background improvement, and those kept.
    background_lns: (u64, u64),
    /// Ruin-and-recreate iterations per background improvement (`None`: the budget alone).
    background_iterations: Option<u64>,
    /// Background improvements stopped by the wall-clock cap before their iterations.
    background_capped: usize,
    /// The wall-clock cap is the budget alone, not also the time to the next event.
    background_ignores_gap: bool,
    /// Answers that used their whole budget (the 200 ms answer is wall clock).
    answers_at_budget: usize,
}

impl Run {
    fn new(name: &'static str, day: Dispatch, options: ReplanOptions, background: Duration) -> Run {
        Run {
            name,
            day,
            options,
            latency_ms: Vec::new(),
            moved_share: Vec::new(),
            moved_total: 0,
            shifted_total: 0,
            infeasible: 0,
            worst: Default::default(),
            unserved_after: Default::default(),
            background,
            background_ms: Vec::new(),
            background_moved_share: Vec::new(),
            background_moved_total: 0,
            background_gain: 0,
            background_lns: (0, 0),
            background_iterations: None,
            background_capped: 0,
            background_ignores_gap: false,
            answers_at_budget: 0,
        }
    }

    /// Background improvement until the next event (`gap_s` of simulated time away), at
    /// most the run's budget.
    fn background(&mut self, gap_s: i64) {
        if self.background.is_zero() || gap_s <= 0 {
            return;
        }
        let budget = if self.background_ignores_gap {
            self.background
        } else {
            self.background
                .min(Duration::from_secs(u64::try_from(gap_s).unwrap_or(0)))
        };
        let before = self.day.routes().to_vec();
        let cost = self.day.plan_cost();
        let r = self.day.improve(&ImproveOptions {
            budget,
            seed: self.options.seed,
            max_iterations: self.background_iterations,
            ..Default::default()
        });
        if self
            .background_iterations
            .is_some_and(|n| r.ruin_recreate.0 < n)
        {
            self.background_capped += 1;
        }
        self.background_gain += cost - r.cost;
        self.background_lns.0 += r.ruin_recreate.0;
        self.background_lns.1 += r.ruin_recreate.1;
        self.background_ms.push(r.latency.as_secs_f64() * 1e3);
        if r.remaining > 0 {
            self.background_moved_share
                .push(r.moved.len() as f64 / r.remaining as f64);
        }
        self.background_moved_total += r.moved.len();
        let problems = verify(&self.day, Some(&before));
        if !problems.is_empty() {
            self.infeasible += 1;
            eprintln!(
                "{}: plan after background improvement fails the check: {:?}",
                self.name,
                &problems[..problems.len().min(3)]
            );
        }
    }

    fn apply(&mut self, e: &Event) -> anyhow::Result<()> {
        let before = self.day.routes().to_vec();
        let r = self.day.apply(e.clone(), &self.options)?;
        let ms = r.latency.as_secs_f64() * 1e3;
        let worst = self.worst.entry(r.event.name()).or_insert(0.0);
        *worst = worst.max(ms);
        if !r.unserved.is_empty() {
            *self.unserved_after.entry(r.event.name()).or_insert(0) += r.unserved.len();
        }
        let problems = verify(&self.day, Some(&before));
        if !problems.is_empty() {
            self.infeasible += 1;
            eprintln!(
                "{}: plan after {} fails the check: {:?}",
                self.name,
                e.time_s,
                &problems[..problems.len().min(3)]
            );
        }
        self.latency_ms.push(r.latency.as_secs_f64() * 1e3);
        if r.latency >= self.options.budget {
            self.answers_at_budget += 1;
        }
        if r.remaining > 0 {
            self.moved_share
                .push(r.moved.len() as f64 / r.remaining as f64);
        }
        self.moved_total += r.moved.len();
        self.shifted_total += r.arrivals_shifted;
        Ok(())
    }

    fn summary(&mut self) -> String {
        self.day.finish();
        let (travel_s, dist_m) = self.day.driven();
        let st = self.day.states();
        let count = |f: &dyn Fn(&StopState) -> bool| st.iter().filter(|s| f(s)).count();
        let unserved = count(&|s| matches!(s, StopState::Unserved(_)));
        let done = count(&|s| matches!(s, StopState::Done { .. }));
        let cost = travel_s + unserved as i64 * self.day.weights().unserved_penalty;
        let sum = self.day.summary();
        let outcome = format!("{:<12} day: {sum}", self.name);
        let mean_share =
            self.moved_share.iter().sum::<f64>() / self.moved_share.len().max(1) as f64;
        let background = if self.background_ms.is_empty() {
            String::new()
        } else {
            let share = self.background_moved_share.iter().sum::<f64>()
                / self.background_moved_share.len().max(1) as f64;
            format!(
                "\n{:<12} background improvement (budget {} ms per event{}): {} runs, wall median {:.0} ms, total {:.1} s; moved/run {:.2}% of remaining (total {}); answer + background moved/event {:.2}%; cost gained {}; ruin and recreate {} iterations, {} kept{}",
                self.name,
                self.background.as_millis(),
                if self.background_ignores_gap {
                    ""
                } else {
                    ", at most until the next event"
                },
                self.background_ms.len(),
                pct(&self.background_ms, 0.5),
                self.background_ms.iter().sum::<f64>() / 1e3,
                share * 100.0,
                self.background_moved_total,
                (mean_share + share) * 100.0,
                self.background_gain,
                self.background_lns.0,
                self.background_lns.1,
                match self.background_iterations {
                    Some(n) => format!(
                        "; work budget {n} iterations per event, {} runs stopped by the {} ms cap{} first",
                        self.background_capped,
                        self.background.as_millis(),
                        if self.background_ignores_gap {
                            ""
                        } else {
                            " or the next event"
                        }
                    ),
                    None => String::new(),
                },
            )
        };
        format!(
            "{outcome}{background}\n{:<12} latency median {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms, {} answers used their whole {} ms | moved/event {:>5.2}% of remaining (total {:>5}) | arrivals shifted >5 min {:>6} | plans failing check {} | end of day: delivered {} unserved {} travel {:.2} h {:.1} km cost {}",
            self.name,
            pct(&self.latency_ms, 0.5),
            pct(&self.latency_ms, 0.99),
            pct(&self.latency_ms, 1.0),
            self.answers_at_budget,
            self.options.budget.as_millis(),
            mean_share * 100.0,
            self.moved_total,
            self.shifted_total,
            self.infeasible,
            done,
            unserved,
            travel_s as f64 / 3600.0,
            dist_m as f64 / 1000.0,
            cost
        )
    }
}

/// The projected end-of-day cost (driven + planned + 3600 per unserved stop, no disruption
/// terms) of the warm-start plan `ours` after `event` events (at `time_s`) against
/// from-scratch solves of the same state (done and committed stops fixed), one per
/// `--long-seconds`; prints one line and returns `(index of the time limit, gap %)`.
fn compare(
    ours: &Dispatch,
    cli: &Cli,
    event: usize,
    time_s: i64,
) -> anyhow::Result<Vec<(usize, f64)>> {
    let unserved_of = |d: &Dispatch| {
        d.states()
            .iter()
            .filter(|s| matches!(s, StopState::Unserved(_)))
            .count()
    };
    let ours_cost = ours.plan_cost();
    let mut gaps = Vec::new();
    if cli.catch_up_seconds > 0.0 {
        let mut more = ours.clone();
        let r = more.improve(&ImproveOptions {
            budget: Duration::from_secs_f64(cli.catch_up_seconds),
            seed: cli.seed,
            max_iterations: None,
            ..Default::default()
        });
        println!(
            "after event {event}: warm-start plan + {:.0} s more background: cost {} ({} unserved)",
            cli.catch_up_seconds,
            r.cost,
            unserved_of(&more)
        );
    }
    let mut line = format!(
        "after event {event} ({}): warm-start projected end-of-day cost {ours_cost} ({} unserved)",
        milkrun_calendar::format_hms(time_s),
        unserved_of(ours),
    );
    for (k, &secs) in cli.long_seconds.iter().enumerate() {
        // The reference owes nothing to our plan: no disruption cost, every stop not
        // under way re-solved by the VRP solver, then polished.
        let cpu0 = cpu_seconds();
        let mut long = ours.clone();
        long.set_weights(Weights {
            move_cost: 0,
            promise_per_s: 0,
            ..ours.weights()
        })
        .expect("a valid day's weights with two of them zeroed are valid");
        let polish = secs * f64::from(cli.reference_polish_pct.min(100)) / 100.0;
        let wall = Instant::now();
        let (r, vrp_used) = budgeted(
            cli.judged,
            cli.wall_cap_factor,
            secs - polish,
            |budget, cancel| {
                long.reoptimize(&ReplanOptions {
                    budget,
                    strategy: Strategy::FromScratch,
                    seed: cli.seed,
                    max_evaluations: None,
                    cancel,
                    ..Default::default()
                })
            },
        )?;
        let (vrp_cost, vrp_unserved) = (r.cost, unserved_of(&long));
        let (cost, polish_used) = if polish > 0.0 {
            let (p, used) = budgeted(cli.judged, cli.wall_cap_factor, polish, |budget, cancel| {
                long.improve(&ImproveOptions {
                    budget,
                    seed: cli.seed,
                    max_iterations: None,
                    cancel,
                    ..Default::default()
                })
            })?;
            (p.cost, used)
        } else {
            (r.cost, None)
        };
        let wall_s = wall.elapsed().as_secs_f64();
        // Without `--judged` the reference's budget is wall clock: on a loaded machine it
        // gets less CPU.
        let cpu = match (cpu0, cpu_seconds()) {
            (Some(a), Some(b)) => format!("{:.1} s", b - a),
            _ => "n/a".to_string(),
        };
        let judged = if cli.judged {
            format!(
                ", CPU budgets: VRP {}, polish {}, wall {wall_s:.1} s",
                used_text(vrp_used, secs - polish),
                used_text(polish_used, polish)
            )
        } else {
            String::new()
        };
        let ok = verify(&long, Some(ours.routes())).is_empty();
        let gap = (ours_cost - cost) as f64 / cost.max(1) as f64 * 100.0;
        line += &format!(
            " | {secs:.0} s from scratch (VRP {:.0} s: {vrp_cost}, {vrp_unserved} unserved; polished {:.0} s) {cost} (ours {gap:+.2}%, {} unserved, check {}, reference CPU {cpu}{judged})",
            secs - polish,
            polish,
            unserved_of(&long),
            if ok { "ok" } else { "FAILED" }
        );
        gaps.push((k, gap));
    }
    println!("{line}");
    Ok(gaps)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let osm = cli.osm.clone().unwrap_or_else(|| {
        milkrun_datasets::data_dir()
            .join("osm")
            .join("liechtenstein.osm.pbf")
    });
    let t = Instant::now();
    let engine = road_engine(&osm)?;
    println!(
        "roads: {} nodes (bike), import + prepare {:.1} s",
        engine.graph().num_nodes(),
        t.elapsed().as_secs_f64()
    );
    let pts = road_points(&engine);
    let scen = generate(
        &ScenarioSpec::new(cli.seed, cli.households, cli.couriers),
        &pts,
    )?;
    let t = Instant::now();
    let (mut day, mut locs) = dispatch_from_scenario(&engine, &scen)?;
    if cli.rush_pct > 0 && cli.rush_pct != 100 && cli.rush_source == RushSource::Scaled {
        let slot = rush_slot(day.times(), day.depot(), cli.rush_pct);
        day.set_slots(vec![slot])?;
        println!(
            "time of day: rush 06:30-08:00, town core {}% of free-flow travel time, elsewhere {}%",
            cli.rush_pct,
            100 + cli.rush_pct.saturating_sub(100) / 3
        );
    } else if cli.rush_pct > 0 && cli.rush_pct != 100 {
        // The town core: the ways next to the third of the locations nearest the depot.
        let mut by_dist: Vec<(i64, usize)> = (0..day.times().len())
            .map(|j| (day.times().travel(day.depot(), j as u32), j))
            .collect();
        by_dist.sort_unstable();
        let core: Vec<_> = by_dist[..by_dist.len() / 3]
            .iter()
            .map(|&(_, j)| locs.doors[j].node)
            .collect();
        let core_ways = ways_near(&engine, &core);
        engine.set_speed_profile(milkrun_engine::SpeedProfile {
            slots: vec![milkrun_engine::TimeSlot {
                start_s: 6 * 3600 + 1800,
                end_s: 8 * 3600,
                updates: vec![milkrun_engine::TrafficUpdate {
                    edges: milkrun_engine::EdgeSet::Ways(core_ways.clone()),
                    change: milkrun_engine::SpeedChange::Factor(100.0 / f64::from(cli.rush_pct)),
                }],
            }],
        })?;
        let slots = locs.matrix(&engine)?.slots().to_vec();
        day.set_slots(slots)?;
        println!(
            "time of day: road engine profile, rush 06:30-08:00 on {} ways of the town core at {}% of free-flow travel time (one matrix per slot)",
            core_ways.len(),
            cli.rush_pct
        );
    }
    println!(
        "scenario: {} households, {} couriers x {} bottles, {} bottles; snap + {}x{} matrix {:.2} s",
        scen.households.len(),
        scen.couriers.len(),
        scen.couriers[0].capacity,
        scen.total_bottles(),
        day.times().len(),
        day.times().len(),
        t.elapsed().as_secs_f64()
    );
    let plan = ReplanOptions {
        budget: Duration::from_secs_f64(cli.plan_seconds),
        seed: cli.seed,
        ..Default::default()
    };
    // The solver's plan depends on how much CPU it got in its time limit: a plan file makes
    // runs comparable (same plan, same events).
    let cached = cli.plan_file.as_ref().filter(|p| p.exists());
    let (r, how) = match cached {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let routes = text
                .lines()
                .enumerate()
                .map(|(k, l)| {
                    l.split_whitespace()
                        .map(|t| t.parse::<u32>())
                        .collect::<Result<Vec<u32>, _>>()
                        .with_context(|| format!("{}:{}: stop ids", path.display(), k + 1))
                })
                .collect::<anyhow::Result<Vec<Vec<u32>>>>()?;
            (
                day.set_plan(&routes, &plan)?,
                format!("read from {}", path.display()),
            )
        }
        None if cli.judged => {
            // The nightly plan as the reference re-solves are made, each part with its CPU
            // budget; then set as a plan read from the file is (promises, stops the plan
            // left out retried), so that this run and the runs that read the file start
            // from the same day.
            let fresh = day.clone();
            let polish_s = cli.plan_seconds * f64::from(cli.plan_polish_pct.min(100)) / 100.0;
            let empty = vec![Vec::new(); day.routes().len()];
            let (solved, vrp_used) = budgeted(
                true,
                cli.wall_cap_factor,
                cli.plan_seconds - polish_s,
                |budget, cancel| {
                    day.set_plan(
                        &empty,
                        &ReplanOptions {
                            budget,
                            strategy: Strategy::FromScratch,
                            cancel,
                            ..plan.clone()
                        },
                    )
                },
            )?;
            solved?;
            let mut polish_used = None;
            if polish_s > 0.0 {
                let weights = day.weights();
                day.set_weights(Weights {
                    move_cost: 0,
                    promise_per_s: 0,
                    ..weights
                })?;
                polish_used = budgeted(true, cli.wall_cap_factor, polish_s, |budget, cancel| {
                    day.improve(&ImproveOptions {
                        budget,
                        seed: cli.seed,
                        max_iterations: None,
                        cancel,
                        ..Default::default()
                    })
                })?
                .1;
                day.set_weights(weights)?;
            }
            let routes: Vec<Vec<u32>> = day.routes().iter().map(|r| r.planned.clone()).collect();
            if let Some(path) = &cli.plan_file {
                let text: String = routes
                    .iter()
                    .map(|r| {
                        let ids: Vec<String> = r.iter().map(|s| s.to_string()).collect();
                        ids.join(" ") + "\n"
                    })
                    .collect();
                std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            day = fresh;
            (
                day.set_plan(&routes, &plan)?,
                format!(
                    "VRP solver + polish, {:.1} CPU s ({}% polish; used: VRP {}, polish {})",
                    cli.plan_seconds,
                    cli.plan_polish_pct,
                    used_text(vrp_used, cli.plan_seconds - polish_s),
                    used_text(polish_used, polish_s)
                ),
            )
        }
        None => {
            let r = day.plan_with_solver_polished(&plan, cli.plan_polish_pct)?;
            if let Some(path) = &cli.plan_file {
                let text: String = day
                    .routes()
                    .iter()
                    .map(|r| {
                        let ids: Vec<String> = r.planned.iter().map(|s| s.to_string()).collect();
                        ids.join(" ") + "\n"
                    })
                    .collect();
                std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            (
                r,
                format!(
                    "VRP solver + polish, {:.1} s limit ({}% polish)",
                    cli.plan_seconds, cli.plan_polish_pct
                ),
            )
        }
    };
    println!(
        "initial plan: {how}: cost {} (travel s + 3600/unserved), {} unserved, check {}",
        r.cost,
        r.unserved.len(),
        if verify(&day, None).is_empty() {
            "ok"
        } else {
            "FAILED"
        }
    );
    let ways = ways_near(&engine, &locs.nodes());
    // New orders come from the served area: next to existing households.
    let near: Vec<(f64, f64)> = scen.households.iter().map(|h| (h.lat, h.lon)).collect();
    let events = generate_events(
        &day,
        &EventMix::morning(cli.seed, cli.events),
        &ways,
        &near,
        1_000_000,
    );
    let mut kinds = std::collections::BTreeMap::new();
    for e in &events {
        let k = e.record.kind();
        *kinds.entry(k).or_insert(0) += 1;
    }
    println!("events: {} {:?}", events.len(), kinds);
    let budget = Duration::from_millis(cli.budget_ms);
    let mut ours = Run::new(
        if cli.background_ms > 0 {
            "warm+bg"
        } else {
            "warm-start"
        },
        day.clone(),
        ReplanOptions {
            budget,
            strategy: Strategy::Repair,
            seed: cli.seed,
            max_evaluations: None,
            ..Default::default()
        },
        Duration::from_millis(cli.background_ms),
    );
    let mut base = (!cli.no_baseline).then(|| {
        Run::new(
            "from-scratch",
            day.clone(),
            ReplanOptions {
                budget,
                strategy: Strategy::FromScratch,
                seed: cli.seed,
                max_evaluations: None,
                ..Default::default()
            },
            Duration::ZERO,
        )
    });
    if cli.background_iterations > 0 {
        ours.background_iterations = Some(cli.background_iterations);
    }
    ours.background_ignores_gap = cli.judged;
    ours.day.set_answer_ruin_recreate(cli.answer_lns);
    ours.day.set_weights(Weights {
        move_cost: cli.move_cost,
        promise_per_s: cli.promise_per_s,
        ..ours.day.weights()
    })?;
    if cli.answer_lns > 0 {
        println!(
            "answer: up to {} ruin-and-recreate iterations per event after repair and local search",
            cli.answer_lns
        );
    }
    drop(day);
    let mut matrix_ms = Vec::new();
    let mut done_events = 0usize;
    let mut long_gaps: Vec<(usize, f64)> = Vec::new();
    if cli.long_at.contains(&0) {
        let clock = ours.day.clock_s();
        long_gaps.extend(compare(&ours.day, &cli, 0, clock)?);
    }
    let replayed = match cli.stop_after {
        0 => events.len(),
        n => n.min(events.len()),
    };
    for (ev, rec) in events.iter().take(replayed).enumerate() {
        // One conversion of file events for the whole workspace (station's): a traffic
        // record is applied to the engine and becomes the new matrix (timed here), a new
        // order's address is added to both days.
        let t = Instant::now();
        let e = {
            let mut days: Vec<&mut Dispatch> = std::iter::once(&mut ours.day)
                .chain(base.as_mut().map(|b| &mut b.day))
                .collect();
            locs.event_for_all(&engine, &mut days, rec, DEFAULT_MAX_SNAP_M)?
        };
        if matches!(rec.record, EventRecord::Traffic { .. }) {
            matrix_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ours.apply(&e)?;
        if let Some(b) = base.as_mut() {
            b.apply(&e)?;
        }
        // Background improvement until the next event (the last one: until 08:30).
        let next_s = events.get(ev + 1).map_or(8 * 3600 + 1800, |n| n.time_s);
        ours.background(next_s - rec.time_s);
        done_events += 1;
        if (cli.long_every > 0 && done_events.is_multiple_of(cli.long_every))
            || cli.long_at.contains(&done_events)
        {
            long_gaps.extend(compare(&ours.day, &cli, done_events, rec.time_s)?);
        }
    }
    for (k, &secs) in cli.long_seconds.iter().enumerate() {
        let g: Vec<f64> = long_gaps.iter().filter(|x| x.0 == k).map(|x| x.1).collect();
        if !g.is_empty() {
            println!(
                "warm start vs {secs:.0} s from-scratch re-solve of the same state: mean gap {:+.2}%, median {:+.2}%, worst {:+.2}% over {} sampled states (every {} events, also at {:?}); within 2% at {} of {}",
                g.iter().sum::<f64>() / g.len() as f64,
                pct(&g, 0.5),
                pct(&g, 1.0),
                g.len(),
                cli.long_every,
                cli.long_at,
                g.iter().filter(|&&x| x <= 2.0).count(),
                g.len()
            );
        }
    }
    println!(
        "traffic: {} updates, re-customize + {}x{} matrix median {:.0} ms (not in the re-plan latency)",
        matrix_ms.len(),
        locs.len(),
        locs.len(),
        pct(&matrix_ms, 0.5)
    );
    println!("{}", ours.summary());
    println!(
        "warm-start worst latency per event kind (ms): {:?}; stops made unserved by event kind: {:?}",
        ours.worst, ours.unserved_after
    );
    if let Some(b) = base.as_mut() {
        println!("{}", b.summary());
        println!(
            "from-scratch worst latency per event kind (ms): {:?}; stops made unserved by event kind: {:?}",
            b.worst, b.unserved_after
        );
    }
    Ok(())
}
