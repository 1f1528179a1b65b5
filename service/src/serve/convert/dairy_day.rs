//! The dairy layer's live day ([`milkrun_dairy::engine::live_day`]) as Dispatch API
//! messages, for the remote engine ([`crate::serve::client::GrpcEngine`]): an [`OpenDay`]
//! as an `OpenDayRequest` (stop `i` labelled `"i"`, a courier by its id), a [`DayEvent`] as
//! a `DayEvent` (a late order's stop `i` as a `NewStop` labelled `"i"`), and a `Day` back as
//! a [`DayView`], every label parsed back and checked (against the day with the stops its
//! events added).
use milkrun_dairy::engine::live_day::MAX_DAY_TIME_S;
use milkrun_dairy::engine::{
    AppliedEvents, DayEvent, DayEventKind, DayRoute, DayStop, DayStopView, DayView, EventResult,
    OpenDay, StopStatus,
};
use milkrun_dairy::household::GeoPoint;
use milkrun_dairy::ids::CourierId;
use milkrun_dairy::DairyError;

use crate::serve::proto::v1 as pb;

fn lat_lng(p: GeoPoint) -> pb::LatLng {
    pb::LatLng {
        latitude: p.lat,
        longitude: p.lon,
    }
}

fn stop_label(s: u32) -> String {
    s.to_string()
}

fn courier_label(c: CourierId) -> String {
    c.0.to_string()
}

fn bad(field: &'static str, what: impl Into<String>) -> DairyError {
    DairyError::Invalid {
        field,
        reason: what.into(),
    }
}

fn stop_of(label: &str, day: &OpenDay) -> Result<u32, DairyError> {
    label
        .parse::<u32>()
        .ok()
        .filter(|&s| (s as usize) < day.stops.len() && stop_label(s) == label)
        .ok_or_else(|| {
            bad(
                "answer.stop_label",
                format!("{label:?} is no stop of the day"),
            )
        })
}

fn courier_of(label: &str, day: &OpenDay) -> Result<CourierId, DairyError> {
    label
        .parse::<i64>()
        .ok()
        .map(CourierId)
        .filter(|&c| day.courier_index(c).is_some() && courier_label(c) == label)
        .ok_or_else(|| {
            bad(
                "answer.courier_label",
                format!("{label:?} is no courier of the day"),
            )
        })
}

/// Stop `i` as the Dispatch API's stop, labelled `"i"`.
fn day_stop(i: u32, s: &DayStop) -> pb::DayStop {
    pb::DayStop {
        label: stop_label(i),
        location: Some(lat_lng(s.point)),
        bottles: i64::from(s.quantity),
        service_s: s.service_s,
        window_start_s: s.window.start_s,
        window_end_s: s.window.end_s,
    }
}

/// The `OpenDay` request of a day (on the bike network).
pub fn open_request(day: &OpenDay) -> pb::OpenDayRequest {
    pb::OpenDayRequest {
        depot: Some(lat_lng(day.depot)),
        stops: (0u32..)
            .zip(&day.stops)
            .map(|(i, s)| day_stop(i, s))
            .collect(),
        couriers: day
            .couriers
            .iter()
            .map(|c| pb::DayCourier {
                label: courier_label(c.id),
                capacity: i64::from(c.capacity),
                shift_start_s: c.shift_start_s,
                shift_end_s: c.shift_end_s,
            })
            .collect(),
        routes: day
            .couriers
            .iter()
            .zip(&day.routes)
            .map(|(c, r)| pb::PlannedRoute {
                courier_label: courier_label(c.id),
                stop_labels: r.iter().map(|&s| stop_label(s)).collect(),
            })
            .collect(),
        travel_mode: pb::TravelMode::Bike as i32,
        max_snap_m: day.max_snap_m,
    }
}

/// An event as the Dispatch API takes it.
pub fn event(e: &DayEvent) -> pb::DayEvent {
    use pb::day_event::Kind;
    let kind = match &e.kind {
        DayEventKind::Delivered { stop } => Kind::Delivered(pb::Delivered {
            stop_label: stop_label(*stop),
        }),
        DayEventKind::Failed {
            stop,
            reason,
            retry_s,
        } => Kind::Failed(pb::Failed {
            stop_label: stop_label(*stop),
            reason: reason.as_str().to_string(),
            retry: retry_s.map(|(start_s, end_s)| pb::RetryWindow { start_s, end_s }),
        }),
        DayEventKind::Position { courier, at_stop } => Kind::Position(pb::Position {
            courier_label: courier_label(*courier),
            at_stop_label: at_stop.map(stop_label).unwrap_or_default(),
        }),
        DayEventKind::Cancel { stop } => Kind::Cancel(pb::Cancel {
            stop_label: stop_label(*stop),
        }),
        DayEventKind::Breakdown { courier } => Kind::Breakdown(pb::Breakdown {
            courier_label: courier_label(*courier),
        }),
        DayEventKind::Delay { courier, delay_s } => Kind::Delay(pb::Delay {
            courier_label: courier_label(*courier),
            delay_s: *delay_s,
        }),
        DayEventKind::SignedOff { courier } => Kind::SignedOff(pb::SignedOff {
            courier_label: courier_label(*courier),
        }),
        DayEventKind::TrafficRefresh => Kind::Traffic(pb::TrafficRefresh {}),
        DayEventKind::Slowdown {
            stops,
            depot,
            percent,
        } => Kind::Slowdown(pb::Slowdown {
            stop_labels: stops.iter().map(|&s| stop_label(s)).collect(),
            depot: *depot,
            percent: *percent,
        }),
        DayEventKind::AddBottles { stop, bottles } => Kind::AddBottles(pb::AddBottles {
            stop_label: stop_label(*stop),
            bottles: i64::from(*bottles),
        }),
        DayEventKind::NewStop { stop, spec } => Kind::NewStop(pb::NewStop {
            stop: Some(day_stop(*stop, spec)),
        }),
    };
    pb::DayEvent {
        event_id: e.event_id.clone(),
        expected_plan_version: e.expected_version,
        time_s: e.time_s,
        kind: Some(kind),
    }
}

fn status(s: i32) -> Result<StopStatus, DairyError> {
    Ok(match pb::StopStatus::try_from(s) {
        Ok(pb::StopStatus::Pending) => StopStatus::Pending,
        Ok(pb::StopStatus::Done) => StopStatus::Done,
        Ok(pb::StopStatus::Failed) => StopStatus::Failed,
        Ok(pb::StopStatus::Cancelled) => StopStatus::Cancelled,
        Ok(pb::StopStatus::CarriedOver) => StopStatus::CarriedOver,
        Ok(pb::StopStatus::Unserved) => StopStatus::Unserved,
        _ => return Err(bad("answer.stops[].status", format!("unknown status {s}"))),
    })
}

/// A `Day` as the dairy layer's view, checked against the day it was opened from.
pub fn view(d: &pb::Day, day: &OpenDay) -> Result<DayView, DairyError> {
    let labels = |v: &[String]| -> Result<Vec<u32>, DairyError> {
        v.iter().map(|l| stop_of(l, day)).collect()
    };
    let routes = d
        .routes
        .iter()
        .map(|r| {
            Ok(DayRoute {
                courier: courier_of(&r.courier_label, day)?,
                active: r.active,
                done: labels(&r.done)?,
                next: match r.next.as_str() {
                    "" => None,
                    l => Some(stop_of(l, day)?),
                },
                planned: labels(&r.planned)?,
            })
        })
        .collect::<Result<Vec<_>, DairyError>>()?;
    let stops = d
        .stops
        .iter()
        .map(|s| {
            Ok(DayStopView {
                stop: stop_of(&s.label, day)?,
                status: status(s.status)?,
                courier: match s.courier_label.as_str() {
                    "" => None,
                    l => Some(courier_of(l, day)?),
                },
                eta_s: s.eta_s,
                promised_s: s.promised_s,
                quantity: u32::try_from(s.bottles)
                    .map_err(|_| bad("answer.stops[].bottles", "out of range"))?,
                reason: (!s.unserved_reason.is_empty()).then(|| s.unserved_reason.clone()),
            })
        })
        .collect::<Result<Vec<_>, DairyError>>()?;
    let v = DayView {
        plan_version: d.plan_version,
        open: d.open,
        clock_s: d.clock_s,
        routes,
        stops,
    };
    v.check(day)?;
    Ok(v)
}

/// An `ApplyEvents` answer for `sent` events, checked.
pub fn applied(
    r: &pb::ApplyEventsResponse,
    day: &OpenDay,
    sent: usize,
) -> Result<AppliedEvents, DairyError> {
    if r.results.len() != sent {
        return Err(bad(
            "answer.results",
            format!("{} results for {sent} events", r.results.len()),
        ));
    }
    let results = r
        .results
        .iter()
        .map(|e| {
            if !(0..=2 * MAX_DAY_TIME_S).contains(&e.max_shift_s) {
                return Err(bad("answer.results[].max_shift_s", "out of range"));
            }
            Ok(EventResult {
                plan_version: e.plan_version,
                replayed: e.replayed,
                arrivals_shifted: e.arrivals_shifted,
                max_shift_s: e.max_shift_s,
                moved: e
                    .moved_stops
                    .iter()
                    .map(|l| stop_of(l, day))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, DairyError>>()?;
    let d = r.day.as_ref().ok_or_else(|| bad("answer.day", "missing"))?;
    Ok(AppliedEvents {
        results,
        day: view(d, day)?,
    })
}
