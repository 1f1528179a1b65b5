//! The station pages' live days as the store keeps them ([`milkrun_dairy::store::station_days`]):
//! the day as opened ([`StationDay`]) and each event sent to its engine, as JSON. A thin
//! conversion both ways; what is read back is checked (a stored text that does not parse,
//! or names an unknown failure reason, is an error naming the field, never a panic), and
//! the engine checks the day and its events again when they are replayed.
use milkrun_dairy::dispatcher::StationDay;
use milkrun_dairy::engine::{DayEventKind, DayStop, OpenDay, PlanCourier};
use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
use milkrun_dairy::ids::{CourierId, HouseholdId, StationId};
use milkrun_dairy::outcome::FailureReason;
use serde_json::{json, Value};

/// A stored text that cannot be read back: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored station day: {field}: {reason}")]
pub struct LogError {
    /// The field.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn bad(field: &str, reason: impl Into<String>) -> LogError {
    LogError {
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn int(v: &Value, field: &str) -> Result<i64, LogError> {
    v.get(field)
        .and_then(Value::as_i64)
        .ok_or_else(|| bad(field, "not an integer"))
}

fn num(v: &Value, field: &str) -> Result<f64, LogError> {
    v.get(field)
        .and_then(Value::as_f64)
        .ok_or_else(|| bad(field, "not a number"))
}

fn small(v: &Value, field: &str) -> Result<u32, LogError> {
    u32::try_from(int(v, field)?).map_err(|_| bad(field, "out of range"))
}

fn list<'a>(v: &'a Value, field: &str) -> Result<&'a Vec<Value>, LogError> {
    v.get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| bad(field, "not a list"))
}

fn stop_json(s: &DayStop) -> Value {
    json!({"lat": s.point.lat, "lon": s.point.lon, "start_s": s.window.start_s,
           "end_s": s.window.end_s, "quantity": s.quantity, "service_s": s.service_s})
}

fn stop_from(v: &Value) -> Result<DayStop, LogError> {
    Ok(DayStop {
        point: GeoPoint::new(num(v, "lat")?, num(v, "lon")?)
            .map_err(|e| bad("stops[].lat", e.to_string()))?,
        window: DeliveryWindow::new(int(v, "start_s")?, int(v, "end_s")?)
            .map_err(|e| bad("stops[].start_s", e.to_string()))?,
        quantity: small(v, "quantity")?,
        service_s: int(v, "service_s")?,
    })
}

/// The day as opened, as JSON text.
pub fn opening_json(day: &StationDay) -> String {
    let o = &day.open;
    json!({
        "station": day.station.0,
        "households": day.households.iter().map(|h| h.0).collect::<Vec<_>>(),
        "depot": {"lat": o.depot.lat, "lon": o.depot.lon},
        "stops": o.stops.iter().map(stop_json).collect::<Vec<_>>(),
        "couriers": o.couriers.iter().map(|c| json!({
            "id": c.id.0, "capacity": c.capacity, "shift_start_s": c.shift_start_s,
            "shift_end_s": c.shift_end_s,
        })).collect::<Vec<_>>(),
        "routes": o.routes,
        "max_snap_m": o.max_snap_m,
    })
    .to_string()
}

/// The day as opened, read back and checked ([`OpenDay::check`]).
pub fn opening_from(text: &str) -> Result<StationDay, LogError> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad("opening", e.to_string()))?;
    let households = list(&v, "households")?
        .iter()
        .map(|h| {
            h.as_i64()
                .map(HouseholdId)
                .ok_or_else(|| bad("households[]", "not an id"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let depot = v.get("depot").ok_or_else(|| bad("depot", "missing"))?;
    let stops = list(&v, "stops")?
        .iter()
        .map(stop_from)
        .collect::<Result<Vec<_>, _>>()?;
    let couriers = list(&v, "couriers")?
        .iter()
        .map(|c| {
            Ok(PlanCourier {
                id: CourierId(int(c, "id")?),
                capacity: small(c, "capacity")?,
                shift_start_s: int(c, "shift_start_s")?,
                shift_end_s: int(c, "shift_end_s")?,
            })
        })
        .collect::<Result<Vec<_>, LogError>>()?;
    let routes = list(&v, "routes")?
        .iter()
        .map(|r| {
            r.as_array()
                .ok_or_else(|| bad("routes[]", "not a list"))?
                .iter()
                .map(|s| {
                    s.as_u64()
                        .and_then(|s| u32::try_from(s).ok())
                        .ok_or_else(|| bad("routes[][]", "not a stop index"))
                })
                .collect::<Result<Vec<u32>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    if households.len() != stops.len() {
        return Err(bad("households", "one per stop"));
    }
    let open = OpenDay {
        depot: GeoPoint::new(num(depot, "lat")?, num(depot, "lon")?)
            .map_err(|e| bad("depot", e.to_string()))?,
        stops,
        couriers,
        routes,
        max_snap_m: num(&v, "max_snap_m")?,
    };
    open.check().map_err(|e| bad("opening", e.to_string()))?;
    Ok(StationDay {
        station: StationId(int(&v, "station")?),
        households,
        open,
    })
}

/// One event sent to the day's engine, at `time_s`, as JSON text; a new stop carries its
/// household (`household`).
pub fn event_json(time_s: i64, kind: &DayEventKind, household: Option<HouseholdId>) -> String {
    let body = match kind {
        DayEventKind::Delivered { stop } => json!({"kind": "delivered", "stop": stop}),
        DayEventKind::Failed {
            stop,
            reason,
            retry_s,
        } => json!({"kind": "failed", "stop": stop, "reason": reason.as_str(),
                    "retry_s": retry_s.map(|(a, b)| [a, b])}),
        DayEventKind::Position { courier, at_stop } => {
            json!({"kind": "position", "courier": courier.0, "at_stop": at_stop})
        }
        DayEventKind::Cancel { stop } => json!({"kind": "cancel", "stop": stop}),
        DayEventKind::Breakdown { courier } => json!({"kind": "breakdown", "courier": courier.0}),
        DayEventKind::Delay { courier, delay_s } => {
            json!({"kind": "delay", "courier": courier.0, "delay_s": delay_s})
        }
        DayEventKind::SignedOff { courier } => {
            json!({"kind": "signed_off", "courier": courier.0})
        }
        DayEventKind::TrafficRefresh => json!({"kind": "traffic_refresh"}),
        DayEventKind::Slowdown {
            stops,
            depot,
            percent,
        } => json!({"kind": "slowdown", "stops": stops, "depot": depot, "percent": percent}),
        DayEventKind::AddBottles { stop, bottles } => {
            json!({"kind": "add_bottles", "stop": stop, "bottles": bottles})
        }
        DayEventKind::NewStop { stop, spec } => json!({"kind": "new_stop", "stop": stop,
            "spec": stop_json(spec), "household": household.map(|h| h.0)}),
    };
    json!({"time_s": time_s, "event": body}).to_string()
}

/// One stored event read back: its time, what happened and, for a new stop, its household.
pub fn event_from(text: &str) -> Result<(i64, DayEventKind, Option<HouseholdId>), LogError> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad("event", e.to_string()))?;
    let time_s = int(&v, "time_s")?;
    let e = v.get("event").ok_or_else(|| bad("event", "missing"))?;
    let courier = || int(e, "courier").map(CourierId);
    let kind = e
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("event.kind", "missing"))?;
    let mut household = None;
    let kind = match kind {
        "delivered" => DayEventKind::Delivered {
            stop: small(e, "stop")?,
        },
        "failed" => DayEventKind::Failed {
            stop: small(e, "stop")?,
            reason: FailureReason::parse(
                e.get("reason")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("event.reason", "missing"))?,
            )
            .map_err(|err| bad("event.reason", err.to_string()))?,
            retry_s: match e.get("retry_s").and_then(Value::as_array) {
                None => None,
                Some(r) => match (
                    r.first().and_then(Value::as_i64),
                    r.get(1).and_then(Value::as_i64),
                ) {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => return Err(bad("event.retry_s", "not two times")),
                },
            },
        },
        "position" => DayEventKind::Position {
            courier: courier()?,
            at_stop: match e.get("at_stop") {
                None | Some(Value::Null) => None,
                Some(_) => Some(small(e, "at_stop")?),
            },
        },
        "cancel" => DayEventKind::Cancel {
            stop: small(e, "stop")?,
        },
        "breakdown" => DayEventKind::Breakdown {
            courier: courier()?,
        },
        "delay" => DayEventKind::Delay {
            courier: courier()?,
            delay_s: int(e, "delay_s")?,
        },
        "signed_off" => DayEventKind::SignedOff {
            courier: courier()?,
        },
        "traffic_refresh" => DayEventKind::TrafficRefresh,
        "slowdown" => DayEventKind::Slowdown {
            stops: list(e, "stops")?
                .iter()
                .map(|s| {
                    s.as_u64()
                        .and_then(|s| u32::try_from(s).ok())
                        .ok_or_else(|| bad("event.stops[]", "not a stop index"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            depot: e
                .get("depot")
                .and_then(Value::as_bool)
                .ok_or_else(|| bad("event.depot", "not a boolean"))?,
            percent: small(e, "percent")?,
        },
        "add_bottles" => DayEventKind::AddBottles {
            stop: small(e, "stop")?,
            bottles: small(e, "bottles")?,
        },
        "new_stop" => {
            household = Some(HouseholdId(int(e, "household")?));
            DayEventKind::NewStop {
                stop: small(e, "stop")?,
                spec: stop_from(e.get("spec").ok_or_else(|| bad("event.spec", "missing"))?)?,
            }
        }
        other => {
            return Err(bad(
                "event.kind",
                format!(
                    "unknown kind `{}`",
                    other.chars().take(32).collect::<String>()
                ),
            ))
        }
    };
    Ok((time_s, kind, household))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of event and a day as opened come back as they were; bad texts are
    /// refused naming the field.
    #[test]
    fn days_and_events_round_trip() {
        let spec = DayStop {
            point: GeoPoint::new(52.1, 4.3).expect("point"),
            window: DeliveryWindow::new(21_600, 28_800).expect("window"),
            quantity: 3,
            service_s: 40,
        };
        let day = StationDay {
            station: StationId(2),
            households: vec![HouseholdId(10), HouseholdId(11)],
            open: OpenDay {
                depot: GeoPoint::new(52.0, 4.2).expect("depot"),
                stops: vec![spec, spec],
                couriers: vec![PlanCourier {
                    id: CourierId(7),
                    capacity: 90,
                    shift_start_s: 18_000,
                    shift_end_s: 36_000,
                }],
                routes: vec![vec![1, 0]],
                max_snap_m: 150.0,
            },
        };
        assert_eq!(opening_from(&opening_json(&day)), Ok(day));
        let kinds = [
            DayEventKind::Delivered { stop: 1 },
            DayEventKind::Failed {
                stop: 0,
                reason: FailureReason::NotHome,
                retry_s: Some((30_000, 31_000)),
            },
            DayEventKind::Position {
                courier: CourierId(7),
                at_stop: None,
            },
            DayEventKind::Cancel { stop: 0 },
            DayEventKind::Breakdown {
                courier: CourierId(7),
            },
            DayEventKind::Delay {
                courier: CourierId(7),
                delay_s: 60,
            },
            DayEventKind::SignedOff {
                courier: CourierId(7),
            },
            DayEventKind::TrafficRefresh,
            DayEventKind::Slowdown {
                stops: vec![0, 1],
                depot: true,
                percent: 150,
            },
            DayEventKind::NewStop { stop: 2, spec },
            DayEventKind::AddBottles {
                stop: 1,
                bottles: 3,
            },
        ];
        for kind in kinds {
            let h = matches!(kind, DayEventKind::NewStop { .. }).then_some(HouseholdId(12));
            assert_eq!(
                event_from(&event_json(25_000, &kind, h)),
                Ok((25_000, kind, h))
            );
        }
        for (text, field) in [
            ("nope", "event"),
            (
                r#"{"time_s": 1, "event": {"kind": "teleport"}}"#,
                "event.kind",
            ),
            (
                r#"{"time_s": 1, "event": {"kind": "failed", "stop": 0, "reason": "x"}}"#,
                "event.reason",
            ),
            (
                r#"{"time_s": 1, "event": {"kind": "delivered", "stop": -1}}"#,
                "stop",
            ),
        ] {
            let err = event_from(text).expect_err(text);
            assert_eq!(err.field, field, "{text}: {err}");
        }
        assert_eq!(opening_from("{}").expect_err("empty").field, "households");
    }
}
