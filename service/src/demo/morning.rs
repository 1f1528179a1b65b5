//! Step 4: the morning. The scripted, seeded events of [`milkrun_station::demo`] (a jam at
//! 05:40 on the roads the plan uses most, cleared at 06:20; a cancellation; a breakdown of a
//! courier with stops left; two doors that stay shut, one retried later, one carried over
//! to tomorrow; a late new order) are replayed through the re-planner of
//! [`milkrun_dispatch`], starting from the nightly plan. Each re-plan is checked by
//! [`verify`] and by comparing the stops done before and after (never moved). The day's
//! outcome is [`Dispatch::summary`]'s accounting.

use milkrun_calendar::format_hms as hms;
use milkrun_dispatch::io::EventRecord;
use milkrun_dispatch::plan_stats::late_deliveries;
use milkrun_dispatch::{verify, DaySummary, Dispatch, ReplanOptions, Strategy};
use milkrun_engine::{RoadEngine, DEFAULT_MAX_SNAP_M};
use milkrun_station::demo::{next_household, record, Pick, Script, MORNING};
use milkrun_station::road::RoadLocations;

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
    /// How the day ended ([`Dispatch::summary`]).
    pub summary: DaySummary,
    /// Deliveries made after their window closed.
    pub late: usize,
    /// Travel seconds driven by all couriers.
    pub travel_s: i64,
    /// Metres driven.
    pub dist_m: i64,
}

impl Morning {
    /// Deliveries made (planned, new orders, retries).
    pub fn delivered(&self) -> usize {
        let s = &self.summary;
        s.delivered + s.delivered_new + s.delivered_retry
    }
    /// Deliveries due at the end: made, or left unserved today (not cancelled, not carried
    /// over to tomorrow on the household's request).
    pub fn due(&self) -> usize {
        let s = &self.summary;
        self.delivered() + s.unserved_total() + s.retry_unserved_total() + s.pending
    }
    /// Delivered within the promised window.
    pub fn on_time(&self) -> usize {
        self.delivered().saturating_sub(self.late)
    }
    /// Share of due deliveries made on time.
    pub fn on_time_rate(&self) -> f64 {
        match self.due() {
            0 => 1.0,
            due => self.on_time() as f64 / due as f64,
        }
    }
}

fn done_lists(day: &Dispatch) -> Vec<Vec<u32>> {
    day.routes().iter().map(|r| r.done.clone()).collect()
}

/// The event in words (presentation), with the day as it stands before the event.
fn words(day: &Dispatch, rec: &EventRecord) -> String {
    match rec {
        EventRecord::Traffic { factor, ways } if (*factor - 1.0).abs() < 1e-12 => format!(
            "the jam clears on {} OSM ways (free flow again)",
            ways.len()
        ),
        EventRecord::Traffic { factor, ways } => format!(
            "jam on the plan's busiest road ({} OSM ways, speed x{factor})",
            ways.len()
        ),
        EventRecord::Cancel { household } => format!("household {household} cancels"),
        EventRecord::Breakdown { courier } => {
            let left = day
                .couriers()
                .iter()
                .position(|c| c.id == *courier)
                .and_then(|k| day.routes().get(k))
                .map_or(0, |r| r.pending().count());
            format!("courier {courier}'s trike breaks down; its {left} stops left are re-planned")
        }
        EventRecord::Failed {
            household,
            retry_s: Some(w),
        } => format!(
            "door of household {household} stays shut; retry {}-{}",
            hms(w.0),
            hms(w.1)
        ),
        EventRecord::Failed { household, .. } => {
            format!("door of household {household} stays shut; carried over to tomorrow")
        }
        EventRecord::Order {
            household,
            bottles,
            window_s,
            ..
        } => format!(
            "late new order: household {household}, {bottles} bottles, {}-{}",
            hms(window_s.0),
            hms(window_s.1)
        ),
        EventRecord::Delay { courier, delay_s } => {
            format!("courier {courier} loses {delay_s} s")
        }
        EventRecord::Delivered { household } => format!("household {household} reported delivered"),
        EventRecord::Position { courier, loc } => {
            format!("courier {courier} reports its position (location {loc})")
        }
        EventRecord::SignedOff { courier } => format!("courier {courier} signs off"),
    }
}

/// Replays the morning. `day` holds the nightly plan; `jam_ways` are the ways that jam at
/// 05:40; `points` candidate addresses of the late new order (the day's household
/// addresses).
pub fn replay(
    engine: &RoadEngine,
    locations: &mut RoadLocations,
    day: &mut Dispatch,
    jam_ways: &[i64],
    points: &[(f64, f64)],
    opts: &MorningOptions,
) -> anyhow::Result<Morning> {
    let mut pick = Pick::new(opts.seed);
    let options = ReplanOptions {
        budget: std::time::Duration::from_millis(opts.budget_ms),
        strategy: Strategy::Repair,
        seed: opts.seed,
        max_evaluations: Some(opts.max_evaluations),
        ..Default::default()
    };
    let script = Script {
        jam_ways,
        order_points: points,
        new_household: next_household(day)
            .ok_or_else(|| anyhow::anyhow!("no household id left for the late order"))?,
    };
    let mut rows = Vec::new();
    for (t, step) in MORNING {
        day.advance_to(t);
        let Some(rec) = record(day, step, t, &mut pick, &script) else {
            continue;
        };
        let what = words(day, &rec);
        let rec = milkrun_dispatch::io::TimedRecord {
            time_s: t,
            record: rec,
        };
        let event = locations.event(engine, day, &rec, DEFAULT_MAX_SNAP_M)?;
        let before_routes = day.routes().to_vec();
        let before_done = done_lists(day);
        let report = day.apply(event, &options)?;
        let problems = verify(day, Some(&before_routes));
        anyhow::ensure!(
            problems.is_empty(),
            "re-plan after `{what}` at {} fails the check: {problems:?}",
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
            what,
            latency_ms: report.latency.as_secs_f64() * 1e3,
            stops_moved: report.moved.len(),
            remaining: report.remaining,
            couriers_affected: report
                .couriers_affected
                .iter()
                .filter_map(|&k| day.couriers().get(k).map(|c| c.id))
                .collect(),
            arrivals_shifted: report.arrivals_shifted,
            max_shift_s: report.max_shift_s,
            unserved: report
                .unserved
                .iter()
                .filter_map(|(s, why)| {
                    Some((day.stops().get(*s as usize)?.household, why.to_string()))
                })
                .collect(),
            notes: report.notes.iter().map(ToString::to_string).collect(),
            done_kept,
        });
    }
    day.finish();
    let (travel_s, dist_m) = day.driven();
    Ok(Morning {
        rows,
        summary: day.summary(),
        late: late_deliveries(day),
        travel_s,
        dist_m,
    })
}
