//! One courier's route: where it is, what it has done, the stop it is heading to
//! (committed), the stops planned after it; and its forward schedule.

use crate::model::{CourierSpec, StopSpec, TravelTimes};

/// A courier's route under way.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CourierRoute {
    /// False once the courier is out of service (breakdown).
    pub active: bool,
    /// True once the courier has left the depot.
    pub departed: bool,
    /// Location of the last place reached (depot or last stop done).
    pub anchor_loc: u32,
    /// Departed: time it left the anchor. Not departed: earliest departure from the depot.
    pub anchor_s: i64,
    /// Stops delivered (or attempted), in order.
    pub done: Vec<u32>,
    /// The stop the courier is heading to or serving; never moved by a re-plan.
    pub committed: Option<u32>,
    /// The stops planned after the committed one.
    pub planned: Vec<u32>,
    /// Bottles of the stops done and committed are counted against capacity with the
    /// planned ones: the trike is loaded once at the depot.
    pub load_done: i64,
    /// Travel time driven so far, seconds.
    pub travel_done_s: i64,
    /// Distance driven so far, metres.
    pub dist_done_m: i64,
}

impl CourierRoute {
    /// A courier waiting at the depot with planned stops.
    pub fn at_depot(depot: u32, courier: &CourierSpec, planned: Vec<u32>) -> CourierRoute {
        CourierRoute {
            active: true,
            departed: false,
            anchor_loc: depot,
            anchor_s: courier.shift_start_s,
            done: Vec::new(),
            committed: None,
            planned,
            load_done: 0,
            travel_done_s: 0,
            dist_done_m: 0,
        }
    }

    /// Committed stop (if any) followed by the planned ones.
    pub fn pending(&self) -> impl Iterator<Item = u32> + '_ {
        self.committed
            .iter()
            .copied()
            .chain(self.planned.iter().copied())
    }
}

/// The planned times of one visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    /// Stop index.
    pub stop: u32,
    /// Arrival.
    pub arrival_s: i64,
    /// Start of service (after waiting for the window).
    pub start_s: i64,
    /// Departure.
    pub departure_s: i64,
}

/// Departure from the anchor: a courier at the depot leaves as late as it can without
/// arriving at its first stop later than that stop's window opens (the leg's time taken
/// at that latest departure; see [`latest_departure`]).
pub fn departure(route: &CourierRoute, first: Option<&StopSpec>, times: &TravelTimes) -> i64 {
    match (route.departed, first) {
        (false, Some(s)) => route.anchor_s.max(latest_departure(
            times,
            route.anchor_loc,
            s.loc,
            s.window_s.0,
        )),
        _ => route.anchor_s,
    }
}

/// The latest departure from `from` to reach `to` by `arrive_s`: the time at which the
/// leg, priced at that departure, arrives by `arrive_s` (with time-of-day slots the first
/// guess `arrive_s - base time` is corrected once for the slot it falls in, and again if
/// the correction moves it to a slower slot).
pub fn latest_departure(times: &TravelTimes, from: u32, to: u32, arrive_s: i64) -> i64 {
    let mut dep = arrive_s - times.travel(from, to);
    for _ in 0..3 {
        let t = times.travel_at(from, to, dep);
        if dep + t <= arrive_s {
            // Leaving later may still fit if the leg is faster there; keep it simple.
            if dep + t == arrive_s {
                break;
            }
            let later = arrive_s - t;
            if later + times.travel_at(from, to, later) <= arrive_s {
                dep = later;
            }
            break;
        }
        dep = arrive_s - t;
    }
    dep
}

/// Forward schedule of the pending stops (committed, then planned) and the return time to
/// `depot`. Service starts as early as the window allows.
pub fn schedule(
    route: &CourierRoute,
    stops: &[StopSpec],
    times: &TravelTimes,
    depot: u32,
) -> (Vec<Visit>, i64) {
    schedule_seq(route, route.pending(), stops, times, depot)
}

/// Like [`schedule`] for an explicit pending sequence.
pub fn schedule_seq(
    route: &CourierRoute,
    seq: impl Iterator<Item = u32>,
    stops: &[StopSpec],
    times: &TravelTimes,
    depot: u32,
) -> (Vec<Visit>, i64) {
    let mut out = Vec::new();
    let mut loc = route.anchor_loc;
    let mut t = route.anchor_s;
    let mut first = true;
    for s in seq {
        let spec = &stops[s as usize];
        if first {
            t = departure(route, Some(spec), times);
            first = false;
        }
        let arrival_s = t + times.travel_at(loc, spec.loc, t);
        let start_s = arrival_s.max(spec.window_s.0);
        let departure_s = start_s + spec.service_s;
        out.push(Visit {
            stop: s,
            arrival_s,
            start_s,
            departure_s,
        });
        loc = spec.loc;
        t = departure_s;
    }
    let back = if loc == depot && out.is_empty() && !route.departed {
        t
    } else {
        t + times.travel_at(loc, depot, t)
    };
    (out, back)
}

/// Travel time still to ride on a route: its pending stops and the return to `depot`, each
/// leg priced at its departure in the forward schedule.
pub fn pending_travel(
    route: &CourierRoute,
    stops: &[StopSpec],
    times: &TravelTimes,
    depot: u32,
) -> i64 {
    let (visits, back) = schedule(route, stops, times, depot);
    let Some(first) = visits.first() else {
        return if route.departed {
            times.travel_at(route.anchor_loc, depot, route.anchor_s)
        } else {
            0
        };
    };
    let start = departure(route, stops.get(first.stop as usize), times);
    let busy: i64 = visits.iter().map(|v| v.departure_s - v.arrival_s).sum();
    back - start - busy
}
