//! Step 4: the morning. A fixed, seeded stream of events is replayed through the re-planner
//! of [`milkrun_dispatch`], starting from the nightly plan: a jam at 05:40 on the road
//! the plan uses most (cleared at 06:20), a cancellation, a courier's breakdown, two doors
//! that stay shut (one retried later, one carried over to tomorrow) and a late new order. Each re-plan is checked
//! by [`verify`] and by comparing the stops done before and after (never moved).

use milkrun_dispatch::io::{EventRecord, TimedRecord};
use milkrun_dispatch::{hms, verify, Dispatch, ReplanOptions, StopState, Strategy, UnservedReason};
use milkrun_engine::{RoadEngine, DEFAULT_MAX_SNAP_M};
use milkrun_station::road::RoadLocations;

/// Speed factor on the jammed road, 05:40-06:20.
pub const JAM_FACTOR: f64 = 0.5;

/// Re-planner settings of the replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorningOptions {
    /// Seed of the event stream.
    pub seed: u64,
    /// Wall-clock budget of one re-plan, milliseconds (a safety net; see `max_evaluations`).
    pub budget_ms: u64,
    /// Cap on local-search evaluations per re-plan, so a re-plan ends the same way on every
    /// machine (deterministic) unless the budget runs out first.
    pub max_evaluations: u64,
}

/// What one event changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplanRow {
    /// Event time, seconds since midnight.
    pub time_s: i64,
    /// Event kind (`traffic`, `cancel`, …).
    pub kind: &'static str,
    /// What happened, in words.
    pub what: String,
    /// Wall time of the re-plan, milliseconds (machine-dependent).
    pub latency_ms: f64,
    /// Stops now on another courier.
    pub stops_moved: usize,
    /// Pending stops before the event.
    pub remaining: usize,
    /// Ids of the couriers whose route changed.
    pub couriers_affected: Vec<u32>,
    /// Stops whose planned arrival moved by more than 5 minutes.
    pub arrivals_shifted: usize,
    /// Largest shift of a planned arrival, seconds.
    pub max_shift_s: i64,
    /// Households that became unserved, with the reason.
    pub unserved: Vec<(u32, String)>,
    /// The re-planner's notes.
    pub notes: Vec<String>,
    /// True when every stop done before the event is still done, by the same courier, in
    /// the same order (checked here, independently of the re-planner).
    pub done_kept: bool,
}

/// The morning's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Morning {
    /// One row per event.
    pub rows: Vec<ReplanRow>,
    /// Deliveries due at the end (not cancelled or carried over).
    pub due: usize,
    /// Delivered within the promised window.
    pub on_time: usize,
    /// Delivered after the window.
    pub late: usize,
    /// Households not delivered today, with the reason.
    pub unserved: Vec<(u32, String)>,
    /// Travel seconds and metres driven by all couriers.
    pub travel_s: i64,
    /// Metres driven.
    pub dist_m: i64,
}

impl Morning {
    /// Share of due deliveries made on time.
    pub fn on_time_rate(&self) -> f64 {
        if self.due == 0 {
            1.0
        } else {
            self.on_time as f64 / self.due as f64
        }
    }
}

/// A small seeded generator (SplitMix64) for picking the households of the stream.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((u128::from(z ^ (z >> 31)) * n.max(1) as u128) >> 64) as usize
    }
}

/// The ways most driven by the plan: the "main road" that jams.
pub fn busiest_ways(ways_driven: &[i64], how_many: usize) -> Vec<i64> {
    let mut w = ways_driven.to_vec();
    w.sort_unstable();
    let mut counts: Vec<(usize, i64)> = Vec::new();
    for chunk in w.chunk_by(|a, b| a == b) {
        counts.push((chunk.len(), chunk[0]));
    }
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    counts.into_iter().take(how_many).map(|c| c.1).collect()
}

fn done_lists(day: &Dispatch) -> Vec<Vec<u32>> {
    day.routes().iter().map(|r| r.done.clone()).collect()
}

/// Replays the morning. `day` holds the nightly plan (set with `set_plan`); `jam_ways` are
/// the ways that jam at 05:40; `points` candidate addresses of the late new order (the day's household addresses).
pub fn replay(
    engine: &RoadEngine,
    locations: &mut RoadLocations,
    day: &mut Dispatch,
    jam_ways: Vec<i64>,
    points: &[(f64, f64)],
    opts: &MorningOptions,
) -> anyhow::Result<Morning> {
    let mut pick = Pick(opts.seed ^ 0x6D6F_726E_696E_6700);
    let options = ReplanOptions {
        budget: std::time::Duration::from_millis(opts.budget_ms),
        strategy: Strategy::Repair,
        seed: opts.seed,
        max_evaluations: Some(opts.max_evaluations),
        ..Default::default()
    };
    let next_id = day.stops().iter().map(|s| s.household).max().unwrap_or(0) + 1;
    let plan: [(i64, &str); 7] = [
        (5 * 3600 + 40 * 60, "jam"),
        (5 * 3600 + 55 * 60, "cancel"),
        (6 * 3600, "breakdown"),
        (6 * 3600 + 10 * 60, "door-retry"),
        (6 * 3600 + 20 * 60, "jam-clears"),
        (6 * 3600 + 25 * 60, "door-tomorrow"),
        (6 * 3600 + 45 * 60, "order"),
    ];
    let mut rows = Vec::new();
    for (t, what) in plan {
        day.advance_to(t);
        let pending_after = |day: &Dispatch, after: i64| -> Vec<u32> {
            let committed: Vec<u32> = day.routes().iter().filter_map(|r| r.committed).collect();
            (0..day.stops().len() as u32)
                .filter(|&s| {
                    day.states()[s as usize] == StopState::Pending
                        && !committed.contains(&s)
                        && day.eta()[s as usize].is_some_and(|e| e > after)
                })
                .collect()
        };
        let done_recently = |day: &Dispatch| -> Vec<u32> {
            (0..day.stops().len() as u32)
                .filter(|&s| {
                    matches!(day.states()[s as usize],
                        StopState::Done { arrival_s, .. } if arrival_s > t - 1800)
                })
                .collect()
        };
        let (record, words) = match what {
            "jam" if !jam_ways.is_empty() => (
                Some(EventRecord::Traffic {
                    factor: JAM_FACTOR,
                    ways: jam_ways.clone(),
                }),
                format!(
                    "jam on the plan's busiest road ({} OSM ways, speed x{JAM_FACTOR})",
                    jam_ways.len()
                ),
            ),
            "jam-clears" if !jam_ways.is_empty() => (
                Some(EventRecord::Traffic {
                    factor: 1.0,
                    ways: jam_ways.clone(),
                }),
                "the jam clears (free flow again)".to_string(),
            ),
            "cancel" => {
                let c = pending_after(day, t + 900);
                let h =
                    (!c.is_empty()).then(|| day.stops()[c[pick.below(c.len())] as usize].household);
                (
                    h.map(|household| EventRecord::Cancel { household }),
                    format!(
                        "household {} cancels",
                        h.map_or("-".into(), |h| h.to_string())
                    ),
                )
            }
            "breakdown" => {
                let active: Vec<usize> = (0..day.couriers().len())
                    .filter(|&k| day.routes()[k].active)
                    .collect();
                let k = (!active.is_empty()).then(|| active[pick.below(active.len())]);
                let id = k.map(|k| day.couriers()[k].id);
                (
                    id.map(|courier| EventRecord::Breakdown { courier }),
                    format!(
                        "courier {}'s trike breaks down",
                        id.map_or("-".into(), |i| i.to_string())
                    ),
                )
            }
            "door-retry" | "door-tomorrow" => {
                let c = done_recently(day);
                let h =
                    (!c.is_empty()).then(|| day.stops()[c[pick.below(c.len())] as usize].household);
                let retry = (what == "door-retry").then_some((t + 1200, t + 3600));
                (
                    h.map(|household| EventRecord::Failed {
                        household,
                        retry_s: retry,
                    }),
                    match retry {
                        Some(w) => format!(
                            "door of household {} stays shut; retry {}-{}",
                            h.map_or("-".into(), |h| h.to_string()),
                            hms(w.0),
                            hms(w.1)
                        ),
                        None => format!(
                            "door of household {} stays shut; carried over to tomorrow",
                            h.map_or("-".into(), |h| h.to_string())
                        ),
                    },
                )
            }
            "order" if !points.is_empty() => {
                let (lat, lon) = points[pick.below(points.len())];
                let start = t + 900;
                (
                    Some(EventRecord::Order {
                        household: next_id,
                        lat,
                        lon,
                        bottles: 2,
                        service_s: 30,
                        window_s: (start, start + 3600),
                    }),
                    format!(
                        "late new order: household {next_id}, 2 bottles, {}-{}",
                        hms(start),
                        hms(start + 3600)
                    ),
                )
            }
            _ => (None, String::new()),
        };
        let Some(record) = record else {
            continue;
        };
        let rec = TimedRecord { time_s: t, record };
        let event = locations.event(engine, day, &rec, DEFAULT_MAX_SNAP_M)?;
        let before_routes = day.routes().to_vec();
        let before_done = done_lists(day);
        let report = day.apply(event, &options)?;
        let problems = verify(day, Some(&before_routes));
        anyhow::ensure!(
            problems.is_empty(),
            "re-plan after `{words}` at {} fails the check: {problems:?}",
            hms(t)
        );
        let after_done = done_lists(day);
        let done_kept = before_done
            .iter()
            .zip(&after_done)
            .all(|(b, a)| a.starts_with(b));
        rows.push(ReplanRow {
            time_s: t,
            kind: report.event.name(),
            what: words,
            latency_ms: report.latency.as_secs_f64() * 1e3,
            stops_moved: report.moved.len(),
            remaining: report.remaining,
            couriers_affected: report
                .couriers_affected
                .iter()
                .map(|&k| day.couriers()[k].id)
                .collect(),
            arrivals_shifted: report.arrivals_shifted,
            max_shift_s: report.max_shift_s,
            unserved: report
                .unserved
                .iter()
                .map(|(s, why)| (day.stops()[*s as usize].household, why.to_string()))
                .collect(),
            notes: report.notes.iter().map(ToString::to_string).collect(),
            done_kept,
        });
    }
    day.finish();
    let (travel_s, dist_m) = day.driven();
    let (mut due, mut on_time, mut late) = (0, 0, 0);
    let mut unserved = Vec::new();
    let mut retried: Vec<u32> = Vec::new();
    for (s, st) in day.states().iter().enumerate() {
        let spec = &day.stops()[s];
        match st {
            StopState::Done { arrival_s, .. } => {
                due += 1;
                if *arrival_s <= spec.window_s.1 {
                    on_time += 1;
                } else {
                    late += 1;
                }
                retried.push(spec.household);
            }
            StopState::Unserved(why) => {
                due += 1;
                unserved.push((spec.household, why.to_string()));
            }
            StopState::Pending => {
                due += 1;
                unserved.push((
                    spec.household,
                    UnservedReason::NoFeasiblePosition.to_string(),
                ));
            }
            StopState::CarriedOver => unserved.push((
                spec.household,
                "delivery failed; carried over to tomorrow".into(),
            )),
            StopState::Failed | StopState::Cancelled => {}
            _ => {}
        }
    }
    // A failed door with no later delivery of the same household is carried over.
    for (s, st) in day.states().iter().enumerate() {
        let h = day.stops()[s].household;
        if *st == StopState::Failed && !retried.contains(&h) {
            let retry_pending = unserved.iter().any(|u| u.0 == h);
            if !retry_pending {
                unserved.push((h, "door stayed shut; carried over to tomorrow".into()));
            }
        }
    }
    unserved.sort_by_key(|u| u.0);
    Ok(Morning {
        rows,
        due,
        on_time,
        late,
        unserved,
        travel_s,
        dist_m,
    })
}
