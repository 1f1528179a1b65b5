//! Re-route benchmark of `milkrun serve` (issue #20): many couriers on one live day.
//!
//! ```text
//! cargo build --release -p milkrun-service --bin milkrun
//! cargo run --release -p milkrun-bench --bin reroute_load -- --milkrun target/release/milkrun \
//!     [--stops 3000] [--couriers 200] [--rate 50] [--seconds 30] [--door-shut-pct 10] \
//!     [--replan-seconds 20] [--drain-seconds 60] [--speed 10] [--seed 1] [--osm FILE] \
//!     [--plan-seconds 30] [--plan-file FILE]
//! ```
//!
//! It starts the built `milkrun` binary as a separate process (the bench never links
//! `milkrun-service`) with one tenant: an admin key and one courier key per courier, quotas
//! out of the way. Then:
//!
//! 1. **The day.** A seeded morning of `--stops` households and `--couriers` couriers on the
//!    shipped Liechtenstein roads (`milkrun_datasets::scenario::generate` on the bike
//!    network's road points, as `replan` builds it), planned in this process for
//!    `--plan-seconds` by the dispatch crate's nightly planner (VRP solver, then polish;
//!    `--plan-file` keeps it for the next run) or, with `--plan-seconds 0`, a quick sweep plan
//!    (households sorted by bearing from the depot, cut into one run per courier within its
//!    capacity, each run in nearest-neighbour order), opened as ONE live day
//!    (`POST /v1/days:open`; the server snaps, builds the matrix and repairs the plan).
//! 2. **Courier events** for `--seconds`: one client per courier, each with its own
//!    connection and key, walks its own route as the server answers it: a position at the
//!    next door, then delivered, or (`--door-shut-pct`) a door that stays shut with a retry
//!    window later in the morning, which puts a new stop into the re-plan. Events arrive as
//!    a Poisson stream of `--rate` events per second in all (a client waits for its answer
//!    before its next event). Every event carries `expected_plan_version`: the version of the
//!    client's last answer. A stale one is answered 409 ABORTED; the client takes the day's
//!    version from the error's message (`... the day is at N`) and sends the same event
//!    again. 429 (shed, server busy) is sent again too. Latency is measured from the first
//!    send to the answer that applied the event (the courier's wait), per event kind, and per
//!    attempt.
//! 3. **Stateless re-plans** for `--replan-seconds`: the same clients at the same rate call
//!    `POST /v1/days:replan` for their own route as they keep it themselves (a served
//!    prefix with arrival times, the rest planned, sometimes a door that stayed shut moved
//!    to a later window).
//!
//! Every answer is checked (the event applied at a newer version, the delivered or failed
//! stop on the courier's route as done, a committed next stop, the re-planned route keeping
//! the served prefix and every stop once), and at the end the whole day is read back: its
//! version is one more per applied event, every delivered stop is done, no stop is on two
//! routes. The process exits non-zero if any answer is wrong; slowness is only reported.
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use milkrun_bench::serve_client::{key_hash, percentile, Conn, Server};
use milkrun_datasets::scenario::{generate, Household, Scenario, ScenarioSpec};
use milkrun_dispatch::ReplanOptions;
use milkrun_station::road::{road_engine, road_points};
use milkrun_station::scenario::dispatch_from_scenario;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Value};

#[derive(Debug, Parser)]
#[command(name = "reroute_load")]
struct Opts {
    /// The `milkrun` binary to start.
    #[arg(long, default_value = "target/release/milkrun")]
    milkrun: PathBuf,
    /// OSM extract (default: the shipped Liechtenstein extract).
    #[arg(long)]
    osm: Option<PathBuf>,
    /// Stops (households) of the day.
    #[arg(long, default_value_t = 3000)]
    stops: usize,
    /// Couriers of the day (one client each).
    #[arg(long, default_value_t = 200)]
    couriers: usize,
    /// Courier events per second, all couriers together (Poisson arrivals).
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// Length of the event phase, seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Share of door visits where the door stays shut (a failure with a retry window), %.
    #[arg(long, default_value_t = 10.0)]
    door_shut_pct: f64,
    /// After the event phase, how long an event already sent may still be sent again
    /// (conflicts, sheds) before it counts as given up, seconds.
    #[arg(long, default_value_t = 60)]
    drain_seconds: u64,
    /// Length of the stateless re-plan phase, seconds (0: skipped).
    #[arg(long, default_value_t = 20)]
    replan_seconds: u64,
    /// Simulated seconds of the morning per wall-clock second (the events' `time_s`; the
    /// morning starts at 05:00).
    #[arg(long, default_value_t = 10.0)]
    speed: f64,
    /// The nightly plan: this many seconds of the dispatch crate's planner
    /// (`Dispatch::plan_with_solver`: VRP solver, then polish) on the morning's matrix, in
    /// this process. 0: the quick sweep plan alone (the server's repair then places and
    /// orders the stops, and every event's re-plan goes on improving it).
    #[arg(long, default_value_t = 30.0)]
    plan_seconds: f64,
    /// Plan file (one line per courier: household indices in order): read if it exists,
    /// else written with the plan made, so that runs open the same day.
    #[arg(long)]
    plan_file: Option<PathBuf>,
    /// Seed of the morning and of the event streams.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

const ADMIN_KEY: &str = "reroute-admin";
/// The morning's clock starts at 05:00.
const MORNING_S: i64 = 5 * 3600;
/// A request that takes longer than this is counted as unanswered (slow, not wrong).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Sends of one event (conflicts and sheds) before it counts as not applied.
const MAX_ATTEMPTS: u32 = 10_000;

fn courier_label(k: usize) -> String {
    format!("c{k}")
}

fn courier_key(k: usize) -> String {
    format!("reroute-courier-{k}")
}

fn stop_label(h: &Household) -> String {
    format!("h{}", h.id)
}

/// The tenants file: an admin key and one key per courier, quotas out of the way.
fn config(couriers: usize) -> String {
    let mut keys = vec![json!({"sha256": key_hash(ADMIN_KEY), "role": "admin"})];
    for k in 0..couriers {
        keys.push(
            json!({"sha256": key_hash(&courier_key(k)), "role": "courier",
                         "courier_id": courier_label(k)}),
        );
    }
    json!({"tenants": [{"id": "reroute", "api_keys": keys, "quotas": {
        "requests_per_second": 1_000_000.0, "burst": 1_000_000, "concurrent_solves": 100_000,
        "max_stops": 100_000, "max_vehicles": 10_000, "max_matrix_cells": 1_000_000_000u64,
        "max_live_days": 4}}]})
    .to_string()
}

/// The quick initial plan: households by bearing from the depot, cut into one run per
/// courier (at most `ceil(n / couriers)` stops and the courier's capacity), each run in
/// nearest-neighbour order from the depot (straight-line distances).
fn sweep_plan(scen: &Scenario) -> Vec<Vec<usize>> {
    let (dlat, dlon) = (scen.depot.lat, scen.depot.lon);
    let coslat = dlat.to_radians().cos();
    let xy = |h: &Household| ((h.lon - dlon) * coslat, h.lat - dlat);
    let mut order: Vec<usize> = (0..scen.households.len()).collect();
    order.sort_by(|&a, &b| {
        let (xa, ya) = xy(&scen.households[a]);
        let (xb, yb) = xy(&scen.households[b]);
        ya.atan2(xa).total_cmp(&yb.atan2(xb)).then(a.cmp(&b))
    });
    let k = scen.couriers.len().max(1);
    let per = scen.households.len().div_ceil(k);
    let mut runs: Vec<Vec<usize>> = vec![Vec::new(); k];
    let (mut c, mut load) = (0, 0);
    for h in order {
        let b = scen.households[h].bottles();
        let cap = scen.couriers[c].capacity;
        if c + 1 < k && (runs[c].len() >= per || load + b > cap) {
            c += 1;
            load = 0;
        }
        runs[c].push(h);
        load += b;
    }
    for run in &mut runs {
        let mut left = std::mem::take(run);
        let mut at = (0.0, 0.0);
        while !left.is_empty() {
            let (i, _) = left
                .iter()
                .enumerate()
                .map(|(i, &h)| {
                    let (x, y) = xy(&scen.households[h]);
                    (i, (x - at.0).powi(2) + (y - at.1).powi(2))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
                .expect("a run with stops left has a nearest one");
            let h = left.swap_remove(i);
            at = xy(&scen.households[h]);
            run.push(h);
        }
    }
    runs
}

fn day_stop(h: &Household) -> Value {
    json!({"label": stop_label(h), "location": {"latitude": h.lat, "longitude": h.lon},
           "bottles": h.bottles(), "serviceS": h.service_s,
           "windowStartS": h.window_s.0, "windowEndS": h.window_s.1})
}

fn day_courier(scen: &Scenario, k: usize) -> Value {
    let c = &scen.couriers[k];
    json!({"label": courier_label(k), "capacity": c.capacity,
           "shiftStartS": c.shift_start_s, "shiftEndS": c.shift_end_s})
}

fn depot(scen: &Scenario) -> Value {
    json!({"latitude": scen.depot.lat, "longitude": scen.depot.lon})
}

/// A proto3-JSON integer (64-bit ones are strings); 0 when absent.
fn int(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A courier's route as an answer shows it.
#[derive(Debug, Clone, Default)]
struct RouteSeen {
    done: Vec<String>,
    next: Option<String>,
    planned: Vec<String>,
}

fn route_of(day: &Value, label: &str) -> Option<RouteSeen> {
    let r = day["routes"]
        .as_array()?
        .iter()
        .find(|r| r["courierLabel"].as_str() == Some(label))?;
    Some(RouteSeen {
        done: strings(&r["done"]),
        next: r["next"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        planned: strings(&r["planned"]),
    })
}

fn has_status(day: &Value, label: &str, status: &str) -> bool {
    day["stops"].as_array().is_some_and(|a| {
        a.iter()
            .any(|s| s["label"].as_str() == Some(label) && s["status"].as_str() == Some(status))
    })
}

/// The kinds of courier event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Position,
    Delivered,
    DoorShut,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Position, Kind::Delivered, Kind::DoorShut];

    fn name(self) -> &'static str {
        match self {
            Kind::Position => "position at the next door",
            Kind::Delivered => "delivered",
            Kind::DoorShut => "door shut, retry later (new stop)",
        }
    }
}

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    /// Per applied event: its kind, the courier's wait (first send to applied answer, ms),
    /// the latency of the attempt that applied it, and its conflicts.
    applied: Vec<(Kind, f64, f64, u32)>,
    /// Latency of 409 answers, ms.
    conflict_ms: Vec<f64>,
    /// Latency of 429 answers, ms.
    shed_ms: Vec<f64>,
    /// Position events refused as older than the day's clock (sent again with a new time).
    clock_retries: u32,
    /// Events given up after [`MAX_ATTEMPTS`] sends or at the end of the drain.
    given_up: u32,
    /// Requests without an answer within [`ANSWER_TIMEOUT`] (the event is not counted as
    /// applied; the client goes on with a fresh connection).
    no_answer: u32,
    /// Stops delivered (labels) and failed.
    delivered: Vec<String>,
    failed: Vec<String>,
    /// Wrong answers.
    wrong: Vec<String>,
    /// The route had nothing left to do.
    finished: bool,
    /// Stateless re-plans: latency of the answered ones, ms; 429 latencies.
    replan_ms: Vec<f64>,
    replan_shed_ms: Vec<f64>,
}

/// The simulated morning's clock.
#[derive(Debug, Clone, Copy)]
struct Clock {
    start: Instant,
    speed: f64,
}

impl Clock {
    fn now_s(&self) -> i64 {
        MORNING_S + (self.start.elapsed().as_secs_f64() * self.speed) as i64
    }
}

async fn post(
    conn: &mut Conn,
    path: &str,
    key: &str,
    body: &str,
) -> anyhow::Result<(u16, String, f64)> {
    let t = Instant::now();
    let (status, text) = tokio::time::timeout(ANSWER_TIMEOUT, conn.post(path, Some(key), body))
        .await
        .with_context(|| format!("{path}: no answer within {ANSWER_TIMEOUT:?}"))??;
    Ok((status, text, t.elapsed().as_secs_f64() * 1e3))
}

/// The day's version in a 409 ABORTED message (`... the day is at N`).
fn version_in_conflict(text: &str) -> Option<u64> {
    let msg: Value = serde_json::from_str(text).ok()?;
    let m = msg["error"]["message"].as_str()?;
    let (_, tail) = m.rsplit_once("the day is at ")?;
    tail.trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

/// Exponential gap of a Poisson stream of `rate` per second.
fn gap(rng: &mut Pcg64, rate: f64) -> Duration {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    Duration::from_secs_f64(-u.ln() / rate)
}

/// A courier's Poisson clock: its next send time, until the end of its phase, and the
/// generator that draws its gaps (and its other choices).
struct Pace {
    rng: Pcg64,
    rate: f64,
    next_at: Instant,
    until: Instant,
}

impl Pace {
    fn new(seed: u64, rate: f64, until: Instant) -> Pace {
        let mut rng = Pcg64::seed_from_u64(seed);
        let next_at = Instant::now() + gap(&mut rng, rate);
        Pace {
            rng,
            rate,
            next_at,
            until,
        }
    }

    /// Sleeps until the next send and draws the one after; `false` once the next send would
    /// fall at or after the end.
    async fn next(&mut self) -> bool {
        if self.next_at >= self.until {
            return false;
        }
        tokio::time::sleep_until(self.next_at.into()).await;
        self.next_at += gap(&mut self.rng, self.rate);
        true
    }
}

/// What a request came to once it was not shed.
enum Sent {
    /// The first answer that was not a 429: status, body, latency (ms).
    Answer(u16, String, f64),
    /// No answer within [`ANSWER_TIMEOUT`], or the connection failed.
    NoAnswer(anyhow::Error),
    /// Still shed after [`MAX_ATTEMPTS`] sends in all, or `stop` has passed.
    GaveUp,
}

/// Sends `body()` to `path` (a fresh body each send) and sends it again 5 ms after each 429,
/// whose latency goes to `shed_ms`; `attempts` counts the sends (across calls for one event).
async fn send_unshed(
    conn: &mut Conn,
    (path, key): (&str, &str),
    body: impl Fn() -> String,
    shed_ms: &mut Vec<f64>,
    attempts: &mut u32,
    stop: Instant,
) -> Sent {
    loop {
        *attempts += 1;
        if *attempts > MAX_ATTEMPTS || Instant::now() >= stop {
            return Sent::GaveUp;
        }
        match post(conn, path, key, &body()).await {
            Ok((429, _, ms)) => {
                shed_ms.push(ms);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Ok((status, text, ms)) => return Sent::Answer(status, text, ms),
            Err(e) => return Sent::NoAnswer(e),
        }
    }
}

/// One courier: events on its own route until `until`.
#[allow(clippy::too_many_arguments)]
async fn courier_events(
    addr: String,
    day_id: String,
    k: usize,
    mut route: RouteSeen,
    mut version: u64,
    rate: f64,
    door_shut_pct: f64,
    clock: Clock,
    (until, drain_until): (Instant, Instant),
    seed: u64,
) -> anyhow::Result<Tally> {
    let me = courier_label(k);
    let key = courier_key(k);
    let mut pace = Pace::new(seed, rate, until);
    let mut conn = Conn::open(&addr).await?;
    let mut tally = Tally::default();
    let mut at_door = false;
    let mut n = 0u64;
    while pace.next().await {
        let (kind, stop) = match (&route.next, route.planned.first()) {
            (None, None) => {
                tally.finished = true;
                break;
            }
            (None, Some(first)) => (Kind::Position, first.clone()),
            (Some(next), _) if !at_door => (Kind::Position, next.clone()),
            (Some(next), _) => {
                if pace.rng.random_range(0.0..100.0) < door_shut_pct {
                    (Kind::DoorShut, next.clone())
                } else {
                    (Kind::Delivered, next.clone())
                }
            }
        };
        n += 1;
        let event_id = format!("{me}-{n}");
        let first_send = Instant::now();
        let mut conflicts = 0u32;
        let mut attempts = 0u32;
        let answer = loop {
            let event_body = || {
                let now = clock.now_s();
                let what = match kind {
                    Kind::Position => {
                        json!({"position": {"courierLabel": me, "atStopLabel": stop}})
                    }
                    Kind::Delivered => json!({"delivered": {"stopLabel": stop}}),
                    Kind::DoorShut => json!({"failed": {"stopLabel": stop, "reason": "door shut",
                        "retry": {"startS": now + 1800, "endS": now + 5400}}}),
                };
                let mut event = json!({"eventId": event_id, "expectedPlanVersion": version,
                                       "timeS": now});
                if let (Some(e), Some(w)) = (event.as_object_mut(), what.as_object()) {
                    e.extend(w.clone());
                }
                json!({"dayId": day_id, "events": [event]}).to_string()
            };
            let sent = send_unshed(
                &mut conn,
                ("/v1/days:applyEvents", &key),
                event_body,
                &mut tally.shed_ms,
                &mut attempts,
                drain_until,
            )
            .await;
            let (status, text, ms) = match sent {
                Sent::Answer(status, text, ms) => (status, text, ms),
                Sent::GaveUp => {
                    tally.given_up += 1;
                    break None;
                }
                Sent::NoAnswer(_) => {
                    // No answer within ANSWER_TIMEOUT: slow, not wrong; a fresh connection.
                    tally.no_answer += 1;
                    conn = Conn::open(&addr).await?;
                    break None;
                }
            };
            match status {
                200 => break Some((text, ms)),
                409 => {
                    tally.conflict_ms.push(ms);
                    conflicts += 1;
                    match version_in_conflict(&text) {
                        Some(v) if v != version => version = v,
                        _ => {
                            tally
                                .wrong
                                .push(format!("{event_id}: 409 without a newer version: {text}"));
                            break None;
                        }
                    }
                }
                400 if kind == Kind::Position && text.contains("older than the day's clock") => {
                    tally.clock_retries += 1;
                }
                _ => {
                    tally.wrong.push(format!("{event_id}: {status} {text}"));
                    break None;
                }
            }
        };
        let Some((text, attempt_ms)) = answer else {
            if !tally.wrong.is_empty() {
                break;
            }
            continue;
        };
        let waited_ms = first_send.elapsed().as_secs_f64() * 1e3;
        let answer: Value = serde_json::from_str(&text).context("an ApplyEvents answer")?;
        let result = &answer["results"][0];
        let new_version = int(&result["planVersion"]) as u64;
        let day = &answer["day"];
        let seen = route_of(day, &me);
        let mut problems = Vec::new();
        if result["eventId"].as_str() != Some(event_id.as_str()) {
            problems.push("the result names another event".to_string());
        }
        if result["replayed"].as_bool() == Some(true) {
            problems.push("answered as replayed".to_string());
        }
        if new_version <= version {
            problems.push(format!(
                "plan version {new_version} not after the expected {version}"
            ));
        }
        if day["routes"].as_array().map_or(0, Vec::len) != 1 {
            problems.push("a courier's answer shows other routes".to_string());
        }
        match &seen {
            None => problems.push("its own route is missing".to_string()),
            Some(r) => {
                let mut pending: Vec<&String> = r.next.iter().chain(&r.planned).collect();
                let before = pending.len();
                pending.sort();
                pending.dedup();
                if pending.len() != before {
                    problems.push("a stop twice on the route".to_string());
                }
                match kind {
                    Kind::Position => {
                        if r.next.is_none() && !r.planned.is_empty() {
                            problems.push("no next stop after leaving".to_string());
                        }
                    }
                    Kind::Delivered => {
                        if !r.done.contains(&stop) || !has_status(day, &stop, "STOP_STATUS_DONE") {
                            problems.push(format!("{stop} not done after delivered"));
                        }
                    }
                    Kind::DoorShut => {
                        if !r.done.contains(&stop) || !has_status(day, &stop, "STOP_STATUS_FAILED")
                        {
                            problems.push(format!("{stop} not failed after a shut door"));
                        }
                    }
                }
            }
        }
        if !problems.is_empty() {
            tally
                .wrong
                .push(format!("{event_id}: {}: {text}", problems.join("; ")));
            break;
        }
        version = new_version;
        route = seen.unwrap_or_default();
        match kind {
            Kind::Position => at_door = true,
            Kind::Delivered => {
                at_door = false;
                tally.delivered.push(stop);
            }
            Kind::DoorShut => {
                at_door = false;
                tally.failed.push(stop);
            }
        }
        tally.applied.push((kind, waited_ms, attempt_ms, conflicts));
    }
    Ok(tally)
}

/// One courier's stateless re-plan request: its planned stops, a served prefix of random
/// length with arrival times, sometimes a stop whose door stayed shut moved to a later
/// window; and the labels of the served prefix.
fn replan_request(
    scen: &Scenario,
    run: &[usize],
    k: usize,
    rng: &mut Pcg64,
    door_shut_pct: f64,
) -> (String, Vec<String>) {
    let served = rng.random_range(0..=run.len() / 2);
    let arrival = |i: usize| MORNING_S + 240 * i as i64;
    let freeze = arrival(served) + 60;
    let shut = (served < run.len() && rng.random_range(0.0..100.0) < door_shut_pct)
        .then(|| rng.random_range(served..run.len()));
    let stops: Vec<Value> = run
        .iter()
        .enumerate()
        .map(|(i, &h)| {
            let mut s = day_stop(&scen.households[h]);
            if shut == Some(i) {
                s["windowStartS"] = json!(freeze + 1800);
                s["windowEndS"] = json!(freeze + 5400);
            }
            s
        })
        .collect();
    let executed: Vec<Value> = run[..served]
        .iter()
        .enumerate()
        .map(
            |(i, &h)| json!({"stopLabel": stop_label(&scen.households[h]), "arrivalS": arrival(i)}),
        )
        .collect();
    let planned: Vec<String> = run[served..]
        .iter()
        .map(|&h| stop_label(&scen.households[h]))
        .collect();
    let body = json!({"depot": depot(scen), "stops": stops, "couriers": [day_courier(scen, k)],
        "routes": [{"courierLabel": courier_label(k), "executed": executed,
                    "plannedStopLabels": planned}],
        "freezeTimeS": freeze, "travelMode": "TRAVEL_MODE_BIKE"})
    .to_string();
    let served_labels = run[..served]
        .iter()
        .map(|&h| stop_label(&scen.households[h]))
        .collect();
    (body, served_labels)
}

/// One courier: stateless re-plans of its own route until `until`.
#[allow(clippy::too_many_arguments)]
async fn courier_replans(
    addr: String,
    scen: Arc<Scenario>,
    run: Vec<usize>,
    k: usize,
    rate: f64,
    door_shut_pct: f64,
    until: Instant,
    seed: u64,
) -> anyhow::Result<Tally> {
    let me = courier_label(k);
    let key = courier_key(k);
    let mut pace = Pace::new(seed, rate, until);
    let mut conn = Conn::open(&addr).await?;
    let mut tally = Tally::default();
    let labels: HashSet<String> = run
        .iter()
        .map(|&h| stop_label(&scen.households[h]))
        .collect();
    while pace.next().await {
        let (body, served) = replan_request(&scen, &run, k, &mut pace.rng, door_shut_pct);
        let sent = send_unshed(
            &mut conn,
            ("/v1/days:replan", &key),
            || body.clone(),
            &mut tally.replan_shed_ms,
            &mut 0,
            until,
        )
        .await;
        let (text, ms) = match sent {
            Sent::Answer(200, text, ms) => (text, ms),
            Sent::Answer(status, text, _) => {
                tally.wrong.push(format!("replan of {me}: {status} {text}"));
                return Ok(tally);
            }
            Sent::NoAnswer(e) => return Err(e),
            // Shed until the end of the phase.
            Sent::GaveUp => break,
        };
        let answer: Value = serde_json::from_str(&text).context("a Replan answer")?;
        let mut problems = Vec::new();
        match route_of(&answer, &me) {
            None => problems.push("its route is missing".to_string()),
            Some(r) => {
                if r.done != served {
                    problems.push("the served prefix changed".to_string());
                }
                let unserved: Vec<String> = answer["stops"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|s| s["status"].as_str() == Some("STOP_STATUS_UNSERVED"))
                            .filter_map(|s| s["label"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut all: Vec<&String> = r
                    .done
                    .iter()
                    .chain(&r.next)
                    .chain(&r.planned)
                    .chain(&unserved)
                    .collect();
                let n = all.len();
                all.sort();
                all.dedup();
                let same: HashSet<String> = all.iter().map(|s| s.to_string()).collect();
                if n != labels.len() || same != labels {
                    problems.push("not every stop exactly once".to_string());
                }
            }
        }
        if !problems.is_empty() {
            tally
                .wrong
                .push(format!("replan of {me}: {}: {text}", problems.join("; ")));
            break;
        }
        tally.replan_ms.push(ms);
    }
    Ok(tally)
}

/// `p50 p90 p99 max` of latencies, ms.
fn row(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.9),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_string())
}

/// Checks the whole day after the event phase; the problems found. `unanswered` requests
/// (no answer in time) may have been applied by the server after the client gave up.
fn check_day(
    day: &Value,
    applied: usize,
    unanswered: usize,
    delivered: &[String],
    couriers: usize,
) -> Vec<String> {
    let mut problems = Vec::new();
    let version = int(&day["planVersion"]) as usize;
    if !(1 + applied..=1 + applied + unanswered).contains(&version) {
        problems.push(format!(
            "the day is at plan version {version}, 1 + {applied} events applied \
             (+ {unanswered} unanswered)"
        ));
    }
    let routes = day["routes"].as_array().map_or(&[][..], Vec::as_slice);
    if routes.len() != couriers {
        problems.push(format!("{} routes, {couriers} couriers", routes.len()));
    }
    let mut on_route: HashMap<String, usize> = HashMap::new();
    for r in routes {
        for l in strings(&r["planned"])
            .into_iter()
            .chain(r["next"].as_str().map(str::to_string))
        {
            *on_route.entry(l).or_default() += 1;
        }
    }
    if let Some((l, _)) = on_route.iter().find(|(_, &n)| n > 1) {
        problems.push(format!("stop {l} is planned on two routes"));
    }
    let done: usize = day["stops"].as_array().map_or(0, |a| {
        a.iter()
            .filter(|s| s["status"].as_str() == Some("STOP_STATUS_DONE"))
            .count()
    });
    if !(delivered.len()..=delivered.len() + unanswered).contains(&done) {
        problems.push(format!(
            "{done} stops done, {} delivered events applied",
            delivered.len()
        ));
    }
    for l in delivered {
        if !has_status(day, l, "STOP_STATUS_DONE") {
            problems.push(format!("{l} delivered but not done"));
            break;
        }
    }
    problems
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    anyhow::ensure!(opts.couriers > 0 && opts.stops > 0, "stops and couriers");
    anyhow::ensure!(opts.rate > 0.0 && opts.speed >= 0.0, "a positive rate");
    println!("load average at start: {}", loadavg());
    let osm = opts.osm.clone().unwrap_or_else(|| {
        milkrun_datasets::data_dir()
            .join("osm")
            .join("liechtenstein.osm.pbf")
    });
    let engine = road_engine(&osm)?;
    let scen = generate(
        &ScenarioSpec::new(opts.seed, opts.stops, opts.couriers),
        &road_points(&engine),
    )?;
    let runs = match opts.plan_file.as_ref().filter(|p| p.exists()) {
        Some(path) => {
            let text = std::fs::read_to_string(path)?;
            let runs = text
                .lines()
                .map(|l| l.split_whitespace().map(str::parse).collect())
                .collect::<Result<Vec<Vec<usize>>, _>>()
                .with_context(|| format!("{}: household indices", path.display()))?;
            anyhow::ensure!(
                runs.len() == opts.couriers,
                "{}: one line per courier",
                path.display()
            );
            anyhow::ensure!(
                runs.iter().flatten().all(|&h| h < scen.households.len()),
                "{}: a household index out of range",
                path.display()
            );
            println!("plan read from {}", path.display());
            runs
        }
        None if opts.plan_seconds > 0.0 => {
            let t = Instant::now();
            let (mut day, _) = dispatch_from_scenario(&engine, &scen)?;
            let options = ReplanOptions {
                budget: Duration::from_secs_f64(opts.plan_seconds),
                seed: opts.seed,
                ..ReplanOptions::default()
            };
            day.plan_with_solver(&options)?;
            let runs: Vec<Vec<usize>> = day
                .routes()
                .iter()
                .map(|r| r.planned.iter().map(|&s| s as usize).collect())
                .collect();
            println!(
                "nightly plan: {:.1} s (matrix and {} s of planning), {} of {} stops on routes",
                t.elapsed().as_secs_f64(),
                opts.plan_seconds,
                runs.iter().map(Vec::len).sum::<usize>(),
                scen.households.len()
            );
            if let Some(path) = &opts.plan_file {
                let text: String = runs
                    .iter()
                    .map(|r| {
                        let ids: Vec<String> = r.iter().map(usize::to_string).collect();
                        ids.join(" ") + "\n"
                    })
                    .collect();
                std::fs::write(path, text)?;
            }
            runs
        }
        None => sweep_plan(&scen),
    };
    drop(engine);
    let db = std::env::temp_dir().join(format!("milkrun-reroute-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite:{}", db.display());
    let server = Server::start(
        &opts.milkrun,
        "reroute",
        &config(opts.couriers),
        &["--db", &url, "--osm", &osm.display().to_string()],
    )?;
    let addr = server.addr.clone();
    println!(
        "server {} on {addr} (pid {})",
        opts.milkrun.display(),
        server.pid()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let wrong = rt.block_on(run(&opts, scen, runs, &addr))?;
    drop(server);
    let size_mb = |suffix: &str| {
        std::fs::metadata(format!("{}{suffix}", db.display())).map_or(0.0, |m| m.len() as f64 / 1e6)
    };
    println!(
        "database after the run: {:.1} MB, WAL {:.1} MB",
        size_mb(""),
        size_mb("-wal")
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    println!("load average at the end: {}", loadavg());
    if wrong > 0 {
        bail!("{wrong} wrong answers");
    }
    Ok(())
}

async fn run(
    opts: &Opts,
    scen: Scenario,
    runs: Vec<Vec<usize>>,
    addr: &str,
) -> anyhow::Result<usize> {
    // 1. The day.
    let open = json!({"depot": depot(&scen),
        "stops": scen.households.iter().map(day_stop).collect::<Vec<_>>(),
        "couriers": (0..scen.couriers.len()).map(|k| day_courier(&scen, k)).collect::<Vec<_>>(),
        "routes": runs.iter().enumerate().map(|(k, run)| json!({"courierLabel": courier_label(k),
            "stopLabels": run.iter().map(|&h| stop_label(&scen.households[h])).collect::<Vec<_>>()}))
            .collect::<Vec<_>>(),
        "travelMode": "TRAVEL_MODE_BIKE"})
    .to_string();
    let mut admin = Conn::open(addr).await?;
    let (status, text, open_ms) = post(&mut admin, "/v1/days:open", ADMIN_KEY, &open).await?;
    if status != 200 {
        bail!("days:open: {status} {}", &text[..text.len().min(2000)]);
    }
    let day: Value = serde_json::from_str(&text)?;
    let day_id = day["dayId"].as_str().context("dayId")?.to_string();
    let version = int(&day["planVersion"]) as u64;
    let unserved = day["stops"].as_array().map_or(0, |a| {
        a.iter()
            .filter(|s| s["status"].as_str() == Some("STOP_STATUS_UNSERVED"))
            .count()
    });
    println!(
        "day {day_id}: {} stops, {} couriers, request {} KiB, opened in {:.1} s at plan version \
         {version} ({unserved} stops unserved after the server's repair)",
        scen.households.len(),
        scen.couriers.len(),
        open.len() / 1024,
        open_ms / 1e3
    );

    // 2. Courier events.
    let per_courier = opts.rate / scen.couriers.len() as f64;
    let clock = Clock {
        start: Instant::now(),
        speed: opts.speed,
    };
    let until = Instant::now() + Duration::from_secs(opts.seconds);
    let drain_until = until + Duration::from_secs(opts.drain_seconds);
    let mut tasks = Vec::new();
    for k in 0..scen.couriers.len() {
        let route = route_of(&day, &courier_label(k)).unwrap_or_default();
        tasks.push(tokio::spawn(courier_events(
            addr.to_string(),
            day_id.clone(),
            k,
            route,
            version,
            per_courier,
            opts.door_shut_pct,
            clock,
            (until, drain_until),
            opts.seed.wrapping_mul(1_000_003).wrapping_add(k as u64),
        )));
    }
    let mut all = Tally::default();
    let mut finished = 0;
    for t in tasks {
        let t = t.await??;
        all.applied.extend(t.applied);
        all.conflict_ms.extend(t.conflict_ms);
        all.shed_ms.extend(t.shed_ms);
        all.clock_retries += t.clock_retries;
        all.given_up += t.given_up;
        all.no_answer += t.no_answer;
        all.delivered.extend(t.delivered);
        all.failed.extend(t.failed);
        all.wrong.extend(t.wrong);
        finished += usize::from(t.finished);
    }
    let elapsed = clock.start.elapsed().as_secs_f64();
    let drained = elapsed - opts.seconds as f64;
    let applied = all.applied.len();
    let first_try = all.applied.iter().filter(|a| a.3 == 0).count();
    let max_conflicts = all.applied.iter().map(|a| a.3).max().unwrap_or(0);
    println!(
        "\nevents: {} couriers, {:.1}/s offered (Poisson) for {} s: {applied} applied ({:.1}/s), \
         {} delivered, {} doors shut; {} couriers finished their route; events still in \
         flight took {drained:.1} s more",
        scen.couriers.len(),
        opts.rate,
        opts.seconds,
        applied as f64 / elapsed,
        all.delivered.len(),
        all.failed.len(),
        finished
    );
    println!(
        "conflicts: {} answers 409 ABORTED ({:.2} per applied event; {} of {applied} applied at \
         the first send, {:.1} %; at most {max_conflicts} for one event); {} shed (429); {} \
         position events older than the day's clock sent again; {} given up; {} without an \
         answer within {ANSWER_TIMEOUT:?}",
        all.conflict_ms.len(),
        all.conflict_ms.len() as f64 / applied.max(1) as f64,
        first_try,
        100.0 * first_try as f64 / applied.max(1) as f64,
        all.shed_ms.len(),
        all.clock_retries,
        all.given_up,
        all.no_answer
    );
    println!("\n| courier's wait, first send to applied (ms) | n | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    for kind in Kind::ALL {
        let ms = all
            .applied
            .iter()
            .filter(|a| a.0 == kind)
            .map(|a| a.1)
            .collect();
        row(kind.name(), ms);
    }
    row("all events", all.applied.iter().map(|a| a.1).collect());
    row(
        "the applying attempt alone",
        all.applied.iter().map(|a| a.2).collect(),
    );
    row("409 ABORTED answers", all.conflict_ms.clone());
    row("429 shed answers", all.shed_ms.clone());

    let mut wrong = all.wrong.len();
    // The first connection has been idle through the event phase; the server may have
    // closed it.
    let mut admin = Conn::open(addr).await?;
    let (status, text, _) = post(
        &mut admin,
        "/v1/days:get",
        ADMIN_KEY,
        &json!({"dayId": day_id}).to_string(),
    )
    .await?;
    if status != 200 {
        bail!("days:get: {status} {text}");
    }
    let end: Value = serde_json::from_str(&text)?;
    let problems = check_day(
        &end,
        applied,
        all.no_answer as usize,
        &all.delivered,
        scen.couriers.len(),
    );
    for p in &problems {
        println!("WRONG (the day at the end): {p}");
    }
    wrong += problems.len();

    // 3. Stateless re-plans.
    if opts.replan_seconds > 0 {
        let scen = Arc::new(scen);
        let until = Instant::now() + Duration::from_secs(opts.replan_seconds);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (k, run) in runs.iter().enumerate() {
            tasks.push(tokio::spawn(courier_replans(
                addr.to_string(),
                Arc::clone(&scen),
                run.clone(),
                k,
                per_courier,
                opts.door_shut_pct,
                until,
                opts.seed.wrapping_mul(2_000_003).wrapping_add(k as u64),
            )));
        }
        let (mut ms, mut shed) = (Vec::new(), Vec::new());
        for t in tasks {
            let t = t.await??;
            ms.extend(t.replan_ms);
            shed.extend(t.replan_shed_ms);
            for w in &t.wrong {
                println!("WRONG: {w}");
            }
            wrong += t.wrong.len();
        }
        let elapsed = start.elapsed().as_secs_f64();
        println!(
            "\nstateless re-plans (each courier its own route, about {} stops): {:.1}/s offered \
             for {} s, {} answered ({:.1}/s), {} shed (429)",
            runs.iter().map(Vec::len).max().unwrap_or(0),
            opts.rate,
            opts.replan_seconds,
            ms.len(),
            ms.len() as f64 / elapsed,
            shed.len()
        );
        println!("\n| stateless Replan (ms) | n | p50 | p90 | p99 | max |");
        println!("|---|---|---|---|---|---|");
        row("answered", ms);
        row("429 shed answers", shed);
    }
    for w in all.wrong.iter().take(5) {
        println!("WRONG: {w}");
    }
    Ok(wrong)
}
