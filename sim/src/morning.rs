//! One station's simulated morning, pure. milkrun's couriers ride the night's routes
//! ([`Dispatch::set_plan`]) as the dispatch crate's simulation moves them on its matrix;
//! every door that stays shut is reported when the courier has been there and answered by
//! the live re-planner ([`Dispatch::apply`]: a same-day retry where the tenant's exception
//! policy gives one, carried over otherwise); a **jam** is a traffic event (the legs into or
//! out of the jammed area take [`JAM_FACTOR`] times as long, then the jam clears) and a
//! **breakdown** takes a courier with stops left out of service: both re-planned live.
//! The baseline's morning is in [`crate::baseline`]; both see the same doors and incidents.
use std::time::Duration;

use milkrun_dairy::exception::{ExceptionPolicy, Remedy};
use milkrun_dairy::outcome::FailureReason;
use milkrun_dispatch::{
    CourierSpec, Dispatch, Event, EventKind, ReplanError, ReplanOptions, StopOrigin, StopSpec,
    StopState, Strategy, TravelTimes, Weights,
};

/// A jam makes the legs touching its area take this many times as long.
pub const JAM_FACTOR: i64 = 2;
/// Seconds between two looks at the morning (doors reported shut are answered then).
const TICK_S: i64 = 60;
/// A same-day retry's window opens this long after the failed visit…
const RETRY_FROM_S: i64 = 20 * 60;
/// …and closes this long after it.
const RETRY_UNTIL_S: i64 = 80 * 60;
/// Move evaluations a live re-plan may spend (a work limit, so the same seed gives the same
/// morning).
const REPLAN_EVALUATIONS: u64 = 4_000;

/// A jam: the locations (of the station's matrix) inside the jammed area, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Jam {
    /// Per location of the station's matrix: inside the jammed area.
    pub inside: Vec<bool>,
    /// When the roads jam, seconds since midnight.
    pub start_s: i64,
    /// When they clear.
    pub end_s: i64,
}

impl Jam {
    /// Whether the leg `a → b` (station matrix locations) is slowed.
    pub fn slows(&self, a: u32, b: u32) -> bool {
        let at = |l: u32| self.inside.get(l as usize).copied().unwrap_or(false);
        at(a) || at(b)
    }
}

/// What happens at one door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// Someone takes the bottles.
    Open,
    /// Nobody opens.
    Shut,
    /// The customer refuses the delivery.
    Refused,
}

impl Door {
    /// The failure reason of a door that did not take the bottles.
    pub fn reason(self) -> Option<FailureReason> {
        match self {
            Door::Open => None,
            Door::Shut => Some(FailureReason::NotHome),
            Door::Refused => Some(FailureReason::Refused),
        }
    }
}

/// One stop of the morning (one household with an order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MorningStop {
    /// Location in the station's matrix.
    pub loc: u32,
    /// Bottles.
    pub bottles: u32,
    /// The household's delivery window, seconds since midnight.
    pub window_s: (i64, i64),
    /// What happens at the door.
    pub door: Door,
}

/// A station's morning to ride.
#[derive(Debug, Clone)]
pub struct Morning<'a> {
    /// The station's matrix (location 0 the station).
    pub times: &'a TravelTimes,
    /// The day's stops.
    pub stops: &'a [MorningStop],
    /// The couriers.
    pub couriers: &'a [CourierSpec],
    /// Service at a door, seconds.
    pub service_s: i64,
    /// The jam, if today has one.
    pub jam: Option<&'a Jam>,
    /// When a courier breaks down today, if one does; the courier is chosen among those
    /// with stops left by `breakdown_pick`.
    pub breakdown_s: Option<i64>,
    /// A seeded number choosing the broken-down courier.
    pub breakdown_pick: u64,
    /// The tenant's exception policy (decides which failures are retried the same day).
    pub policy: ExceptionPolicy,
    /// Seed of the re-planner.
    pub seed: u64,
}

/// How a stop's morning ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopEnd {
    /// Delivered by courier index `courier` at `at_s`.
    Delivered {
        /// Courier index.
        courier: usize,
        /// Arrival, seconds since midnight.
        at_s: i64,
    },
    /// Visited at `at_s`, the door did not take the bottles; `retry` is the same-day retry's
    /// end when the policy gave one.
    Failed {
        /// Courier index.
        courier: usize,
        /// Arrival.
        at_s: i64,
        /// Why.
        reason: FailureReason,
        /// The retry's window and how it ended.
        retry: Option<((i64, i64), RetryEnd)>,
    },
    /// No courier could reach it (e.g. after a breakdown).
    Unserved,
}

/// How a same-day retry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryEnd {
    /// Delivered.
    Delivered {
        /// Courier index.
        courier: usize,
        /// Arrival.
        at_s: i64,
    },
    /// Not served.
    Unserved,
}

/// An incident of the morning and what the re-plan did, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MorningIncident {
    /// `jam` or `breakdown`.
    pub kind: &'static str,
    /// In words.
    pub detail: String,
}

/// What a morning produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Ridden {
    /// One end per stop of the input.
    pub ends: Vec<StopEnd>,
    /// Per courier: metres ridden.
    pub ridden_m: Vec<i64>,
    /// Per courier: seconds from leaving the station to coming back (or breaking down).
    pub courier_s: Vec<i64>,
    /// Per courier: locations visited, in order (station first and last).
    pub paths: Vec<Vec<u32>>,
    /// The incidents.
    pub incidents: Vec<MorningIncident>,
    /// The courier index that broke down.
    pub broken: Option<usize>,
}

/// A failed visit: courier index, arrival, reason, and the retry's window and stop.
type FailedVisit = (usize, i64, FailureReason, Option<((i64, i64), u32)>);

/// The day's matrix (location 0 the station, `i + 1` stop `i`) from the station's, with the
/// legs touching `jam`'s area slowed when `jammed`.
pub fn day_times(times: &TravelTimes, stops: &[MorningStop], jam: Option<&Jam>) -> TravelTimes {
    let loc = |i: usize| if i == 0 { 0 } else { stops[i - 1].loc };
    TravelTimes::from_fn(stops.len() + 1, |i, j| {
        let (a, b) = (loc(i), loc(j));
        let t = times.travel(a, b);
        let slow = jam.is_some_and(|jam| jam.slows(a, b)) && t > 0;
        (if slow { t * JAM_FACTOR } else { t }, times.dist(a, b))
    })
}

fn options(seed: u64) -> ReplanOptions {
    ReplanOptions {
        budget: Duration::from_secs(30),
        strategy: Strategy::Repair,
        seed,
        max_evaluations: Some(REPLAN_EVALUATIONS),
        iteration_limit: Some(100),
        polish_iterations: Some(20),
        ..ReplanOptions::default()
    }
}

/// The morning's stops as the dispatch crate's stops: stop `i` is household `i` at matrix
/// location `i + 1` (0 is the station).
pub fn stop_specs(m: &Morning<'_>) -> Vec<StopSpec> {
    m.stops
        .iter()
        .enumerate()
        .map(|(i, s)| StopSpec {
            household: i as u32,
            loc: i as u32 + 1,
            bottles: i64::from(s.bottles),
            service_s: m.service_s,
            window_s: s.window_s,
        })
        .collect()
}

/// Rides `m` with milkrun: the night's `routes` (stop indices per courier), the live
/// re-planner answering the shut doors, the jam and the breakdown.
pub fn ride(m: &Morning<'_>, routes: &[Vec<u32>]) -> Result<Ridden, ReplanError> {
    let n = m.stops.len();
    let base = day_times(m.times, m.stops, None);
    let specs = stop_specs(m);
    let opts = options(m.seed);
    let mut day = Dispatch::new(
        base.clone(),
        0,
        specs,
        m.couriers.to_vec(),
        Weights::default(),
    )?;
    day.set_plan(routes, &opts)?;
    let mut events: Vec<(i64, u8)> = Vec::new();
    if let Some(j) = m.jam {
        events.push((j.start_s, 0));
        events.push((j.end_s, 1));
    }
    if let Some(t) = m.breakdown_s {
        events.push((t, 2));
    }
    events.sort_unstable();
    let mut next_event = 0;
    let mut handled = vec![false; n];
    // Per original stop: (courier, arrival) of the failed visit, and its retry stop.
    let mut failed: Vec<Option<FailedVisit>> = vec![None; n];
    let mut incidents = Vec::new();
    let mut broken = None;
    let mut broken_at = 0;
    let end_s = m.couriers.iter().map(|c| c.shift_end_s).max().unwrap_or(0) + 3 * 3600;
    let mut t = day.clock_s();
    while t < end_s {
        let next = events
            .get(next_event)
            .map_or(t + TICK_S, |e| e.0.min(t + TICK_S));
        t = next.max(t);
        day.advance_to(t);
        // Doors that did not take the bottles, reported once the courier has been there.
        for s in 0..n {
            if handled[s] {
                continue;
            }
            let StopState::Done { courier, arrival_s } = day.states()[s] else {
                continue;
            };
            handled[s] = true;
            let Some(reason) = m.stops[s].door.reason() else {
                continue;
            };
            let retry = (m.policy.decide(reason, arrival_s) == Remedy::SameDayRetry)
                .then(|| (arrival_s + RETRY_FROM_S, arrival_s + RETRY_UNTIL_S));
            let before = day.stops().len();
            day.apply(
                Event {
                    time_s: t,
                    kind: EventKind::Failed {
                        household: s as u32,
                        retry_s: retry,
                    },
                },
                &opts,
            )?;
            let retry_stop = (day.stops().len() > before).then_some(before as u32);
            failed[s] = Some((courier, arrival_s, reason, retry.zip(retry_stop)));
        }
        while let Some(&(et, kind)) = events.get(next_event) {
            if et > t {
                break;
            }
            next_event += 1;
            match kind {
                0 | 1 => {
                    let Some(jam) = m.jam else { continue };
                    let times = if kind == 0 {
                        day_times(m.times, m.stops, Some(jam))
                    } else {
                        base.clone()
                    };
                    let report = day.apply(
                        Event {
                            time_s: t,
                            kind: EventKind::Traffic(Box::new(times)),
                        },
                        &opts,
                    )?;
                    if kind == 0 {
                        incidents.push(MorningIncident {
                            kind: "jam",
                            detail: format!(
                                "{}: roads of part of the area jam ({}× the riding time) until {}; \
                                 the live re-planner re-sequenced the affected routes: {} stops \
                                 change courier, {} arrivals shift (at most {} min), {} left \
                                 unserved",
                                milkrun_calendar::format_hms(t),
                                JAM_FACTOR,
                                milkrun_calendar::format_hms(jam.end_s),
                                report.moved.len(),
                                report.arrivals_shifted,
                                report.max_shift_s / 60,
                                report.unserved.len()
                            ),
                        });
                    }
                }
                _ => {
                    let with_stops: Vec<usize> = day
                        .routes()
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.active && r.pending().next().is_some())
                        .map(|(k, _)| k)
                        .collect();
                    if with_stops.is_empty() {
                        continue;
                    }
                    let k = with_stops[(m.breakdown_pick % with_stops.len() as u64) as usize];
                    let left = day.routes()[k].pending().count();
                    let report = day.apply(
                        Event {
                            time_s: t,
                            kind: EventKind::Breakdown { courier: k },
                        },
                        &opts,
                    )?;
                    broken = Some(k);
                    broken_at = t;
                    incidents.push(MorningIncident {
                        kind: "breakdown",
                        detail: format!(
                            "{}: courier {}'s trike breaks down with {} stops left; the live \
                             re-planner moved {} stops onto other couriers, {} left unserved \
                             (cancelled)",
                            milkrun_calendar::format_hms(t),
                            m.couriers[k].id,
                            left,
                            report.moved.len(),
                            report.unserved.len()
                        ),
                    });
                }
            }
        }
        let busy = day
            .routes()
            .iter()
            .any(|r| r.active && (r.committed.is_some() || !r.planned.is_empty()));
        if !busy
            && next_event >= events.len()
            && (0..n).all(|s| handled[s] || !matches!(day.states()[s], StopState::Done { .. }))
        {
            break;
        }
    }
    day.advance_to(end_s);
    let times = day.times().clone();
    let mut courier_s = Vec::with_capacity(m.couriers.len());
    let mut paths = Vec::with_capacity(m.couriers.len());
    for (k, r) in day.routes().iter().enumerate() {
        let locs: Vec<u32> = r
            .done
            .iter()
            .map(|&s| day.stops()[s as usize].loc)
            .collect();
        let Some(&first) = r.done.first() else {
            courier_s.push(0);
            paths.push(Vec::new());
            continue;
        };
        let first_arrival = match day.states()[first as usize] {
            StopState::Done { arrival_s, .. } => arrival_s,
            _ => failed
                .get(first as usize)
                .and_then(|f| f.map(|f| f.1))
                .unwrap_or(r.anchor_s),
        };
        let left = first_arrival - base.travel(0, day.stops()[first as usize].loc);
        // Home from the last door: its arrival, waiting for its window, service, the ride.
        let arrival_of = |s: u32| match day.states()[s as usize] {
            StopState::Done { arrival_s, .. } => Some(arrival_s),
            _ => failed.get(s as usize).and_then(|f| f.map(|f| f.1)),
        };
        let back = match (broken == Some(k), r.done.last()) {
            (true, _) => broken_at,
            (false, Some(&last)) => {
                let spec = &day.stops()[last as usize];
                let arrival = arrival_of(last).unwrap_or(first_arrival);
                arrival.max(spec.window_s.0) + spec.service_s + times.travel(spec.loc, 0)
            }
            (false, None) => left,
        };
        courier_s.push((back - left).max(0));
        let mut p = vec![0];
        p.extend(locs);
        if broken != Some(k) {
            p.push(0);
        }
        paths.push(p);
    }
    day.finish();
    let ridden_m = day.routes().iter().map(|r| r.dist_done_m).collect();
    let origins = day.origins().to_vec();
    let ends = (0..n)
        .map(|s| match (day.states()[s], failed[s]) {
            (_, Some((courier, at_s, reason, retry))) => StopEnd::Failed {
                courier,
                at_s,
                reason,
                retry: retry.map(|(w, r)| {
                    let end = match day.states().get(r as usize) {
                        Some(StopState::Done { courier, arrival_s })
                            if origins.get(r as usize) == Some(&StopOrigin::Retry) =>
                        {
                            RetryEnd::Delivered {
                                courier: *courier,
                                at_s: *arrival_s,
                            }
                        }
                        _ => RetryEnd::Unserved,
                    };
                    (w, end)
                }),
            },
            (StopState::Done { courier, arrival_s }, None) => StopEnd::Delivered {
                courier,
                at_s: arrival_s,
            },
            _ => StopEnd::Unserved,
        })
        .collect();
    Ok(Ridden {
        ends,
        ridden_m,
        courier_s,
        paths,
        incidents,
        broken,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> TravelTimes {
        TravelTimes::from_fn(n, |i, j| {
            let d = (i as i64 - j as i64).abs();
            (d * 120, d * 400)
        })
    }

    fn courier(id: u32) -> CourierSpec {
        CourierSpec {
            id,
            capacity: 100,
            shift_start_s: 5 * 3600,
            shift_end_s: 11 * 3600,
        }
    }

    /// Six doors on a line, two couriers. The second door stays shut at 05:04 (before the
    /// 07:00 retry limit): a same-day retry is planned and delivered; a breakdown at 05:05
    /// takes a courier with stops left, whose remaining stops the other courier takes over;
    /// every stop ends once.
    #[test]
    fn shut_door_retried_and_breakdown_replanned() -> Result<(), Box<dyn std::error::Error>> {
        let times = line(7);
        let stops: Vec<MorningStop> = (1..=6)
            .map(|l| MorningStop {
                loc: l,
                bottles: 1,
                window_s: (5 * 3600, 10 * 3600),
                door: if l == 2 { Door::Shut } else { Door::Open },
            })
            .collect();
        let couriers = [courier(1), courier(2)];
        let m = Morning {
            times: &times,
            stops: &stops,
            couriers: &couriers,
            service_s: 30,
            jam: None,
            breakdown_s: Some(5 * 3600 + 300),
            breakdown_pick: 0,
            policy: crate::company::policy()?,
            seed: 1,
        };
        let r = ride(&m, &[vec![0, 1, 2], vec![3, 4, 5]])?;
        assert_eq!(r.ends.len(), 6);
        match r.ends[1] {
            StopEnd::Failed {
                reason: FailureReason::NotHome,
                retry: Some((_, RetryEnd::Delivered { at_s, .. })),
                ..
            } => assert!(at_s > 5 * 3600 + 1200),
            other => panic!("{other:?}"),
        }
        assert!(r.broken.is_some());
        let delivered = r
            .ends
            .iter()
            .filter(|e| matches!(e, StopEnd::Delivered { .. }))
            .count();
        assert_eq!(delivered, 5, "{:?}", r.ends);
        assert_eq!(r.incidents.len(), 1);
        assert_eq!(r, ride(&m, &[vec![0, 1, 2], vec![3, 4, 5]])?);
        Ok(())
    }
}
