//! The live day as the dairy layer sees it: a morning opened from the night's plan, the
//! couriers' and the dispatcher's events applied one by one (each re-planning the day and
//! moving it to the next plan version), the day read back, and closed. Plain types, checked
//! like the plan's: the layer names stops by their index in [`OpenDay::stops`] and couriers
//! by their [`CourierId`]; both implementations map them to what their engine knows
//! (`milkrun_dispatch` indices in process, labels over the service's Dispatch API).
use crate::error::{invalid, DairyError};
use crate::household::{DeliveryWindow, GeoPoint};
use crate::ids::CourierId;
use crate::outcome::FailureReason;

use super::{check_couriers, check_sizes, check_stop, PlanCourier};

/// The most events one [`super::Engine::apply_events`] call takes.
pub const MAX_EVENTS_PER_CALL: usize = 100;
/// The longest event id or day id, bytes.
pub const MAX_ID_BYTES: usize = 128;
/// The latest time of a live day, seconds since midnight (a night shift ends the next day).
pub const MAX_DAY_TIME_S: i64 = 2 * 86_400;
/// The slowest a [`DayEventKind::Slowdown`] makes a leg: this many percent of its time.
pub const MAX_SLOWDOWN_PERCENT: u32 = 1_000;
/// The longest reason an unserved stop is given, bytes.
pub const MAX_REASON_BYTES: usize = 200;

/// One door of the live day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayStop {
    /// Where.
    pub point: GeoPoint,
    /// When service may start.
    pub window: DeliveryWindow,
    /// Bottles (1..=[`MAX_STOP_QUANTITY`](super::MAX_STOP_QUANTITY)).
    pub quantity: u32,
    /// Service time at the door, seconds (0..=[`MAX_SERVICE_S`](super::MAX_SERVICE_S)).
    pub service_s: i64,
}

/// A day to open: its stops, its couriers and the night's routes.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDay {
    /// The station every courier leaves from and returns to.
    pub depot: GeoPoint,
    /// The doors; events name them by index.
    pub stops: Vec<DayStop>,
    /// The couriers.
    pub couriers: Vec<PlanCourier>,
    /// Per courier of [`OpenDay::couriers`], in that order: its stops (indices), in order.
    /// Stops on no route are placed by the re-planner.
    pub routes: Vec<Vec<u32>>,
    /// Largest distance from a point to its road, metres.
    pub max_snap_m: f64,
}

impl OpenDay {
    /// Checks every field, naming the first bad one.
    pub fn check(&self) -> Result<(), DairyError> {
        check_sizes(self.stops.len(), self.couriers.len(), self.max_snap_m)?;
        for (i, s) in self.stops.iter().enumerate() {
            check_stop(i, s.quantity, s.service_s)?;
        }
        check_couriers(&self.couriers)?;
        if self.routes.len() != self.couriers.len() {
            return Err(invalid("routes", "needs one route per courier"));
        }
        let mut planned = vec![false; self.stops.len()];
        for (k, r) in self.routes.iter().enumerate() {
            for &s in r {
                match planned.get_mut(s as usize) {
                    Some(p) if !*p => *p = true,
                    _ => {
                        return Err(invalid(
                            "routes[]",
                            format!("routes[{k}]: stop {s} is unknown or planned twice"),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// The index of a courier.
    pub fn courier_index(&self, id: CourierId) -> Option<usize> {
        self.couriers.iter().position(|c| c.id == id)
    }

    /// Appends the stops that `events` (applied, or answered as replayed) added to the day:
    /// each [`DayEventKind::NewStop`] whose index is the next one. The caller keeps its
    /// day this way, so that later events and views may name the new stops. A batch refused
    /// part-way keeps the events before the refused one applied: send them again under
    /// the same ids (answered as replays, changing nothing) and add their stops then.
    pub fn add_new_stops(&mut self, events: &[DayEvent]) {
        for e in events {
            if let DayEventKind::NewStop { stop, spec } = &e.kind {
                if *stop as usize == self.stops.len() {
                    self.stops.push(*spec);
                }
            }
        }
    }
}

/// An open live day's id, as its engine gave it (1 to [`MAX_ID_BYTES`] printable ASCII bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DayId(String);

impl DayId {
    /// A checked id.
    pub fn new(id: impl Into<String>) -> Result<DayId, DairyError> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_ID_BYTES || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "day_id",
                format!("must be 1 to {MAX_ID_BYTES} printable ASCII bytes"),
            ));
        }
        Ok(DayId(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum DayEventKind {
    /// A courier delivered the stop at the event's time.
    Delivered {
        /// The stop.
        stop: u32,
    },
    /// A courier was at the stop's door and nobody took the bottles.
    Failed {
        /// The stop.
        stop: u32,
        /// Why.
        reason: FailureReason,
        /// A retry later this morning (start, end, seconds); `None`: carried over.
        retry_s: Option<(i64, i64)>,
    },
    /// A courier reports where it is: at a stop's door, or at the station (`None`).
    Position {
        /// The courier.
        courier: CourierId,
        /// The stop whose door it is at.
        at_stop: Option<u32>,
    },
    /// The household cancels today's delivery.
    Cancel {
        /// The stop.
        stop: u32,
    },
    /// A courier's trike breaks down: its remaining stops go to others.
    Breakdown {
        /// The courier.
        courier: CourierId,
    },
    /// A courier loses time.
    Delay {
        /// The courier.
        courier: CourierId,
        /// Seconds lost (0..=86,400).
        delay_s: i64,
    },
    /// A courier ends its service: its remaining stops go to others.
    SignedOff {
        /// The courier.
        courier: CourierId,
    },
    /// The day's travel times are read again from the roads (a jam cleared, traffic
    /// applied to the roads).
    TrafficRefresh,
    /// A jam reported in an area: the legs into or out of the listed places take
    /// `percent` percent of their current time, until the next traffic event.
    Slowdown {
        /// The stops inside the area.
        stops: Vec<u32>,
        /// Whether the station is inside it.
        depot: bool,
        /// Travel time of a slowed leg, percent of its current time
        /// (100..=[`MAX_SLOWDOWN_PERCENT`]).
        percent: u32,
    },
    /// A late order for a household already in the day: its stop still to serve takes
    /// `bottles` more. It stays on its route where the trike carries the new load, else it
    /// is re-planned (another courier, or [`StopStatus::Unserved`] with the reason). Refused
    /// (the day unchanged) for a stop delivered or closed, a total over
    /// [`MAX_STOP_QUANTITY`](super::MAX_STOP_QUANTITY), or a courier on its way to the door
    /// whose trike would be over its capacity.
    AddBottles {
        /// The stop.
        stop: u32,
        /// Bottles added (1..=[`MAX_STOP_QUANTITY`](super::MAX_STOP_QUANTITY)).
        bottles: u32,
    },
    /// A late order (the dispatcher's): a new door is added to the day, snapped to the
    /// roads, its travel times added to the day's matrix, and the day re-planned around it.
    /// Where no courier can serve it in its window it is [`StopStatus::Unserved`] with a
    /// reason ([`DayStopView::reason`]).
    NewStop {
        /// Its index: the day's next one (the open request's stops, then the new stops in
        /// the order added). The index of a stop already in the day is refused, unless the
        /// event is a replay (same event id) of the one that added it.
        stop: u32,
        /// The door.
        spec: DayStop,
    },
}

/// One event of the day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayEvent {
    /// The caller's id (1 to [`MAX_ID_BYTES`] bytes), unique in the day: a replayed id is
    /// not applied twice.
    pub event_id: String,
    /// The plan version the caller saw; the event is refused unless the day is still at it.
    pub expected_version: u64,
    /// When it happened, seconds since midnight (0..=[`MAX_DAY_TIME_S`]).
    pub time_s: i64,
    /// What happened.
    pub kind: DayEventKind,
}

impl DayEvent {
    /// Checks the event against its day, naming the first bad field.
    pub fn check(&self, day: &OpenDay) -> Result<(), DairyError> {
        self.check_at(day, day.stops.len())
    }

    /// Checks the event against its day holding `stops` stops (the open request's and those
    /// added by the events before it in its batch).
    fn check_at(&self, day: &OpenDay, n_stops: usize) -> Result<(), DairyError> {
        if self.event_id.is_empty() || self.event_id.len() > MAX_ID_BYTES {
            return Err(invalid(
                "event_id",
                format!("must be 1 to {MAX_ID_BYTES} bytes"),
            ));
        }
        if !(0..=MAX_DAY_TIME_S).contains(&self.time_s) {
            return Err(invalid("time_s", format!("must be 0 to {MAX_DAY_TIME_S}")));
        }
        let stop = |s: u32| {
            if (s as usize) < n_stops {
                Ok(())
            } else {
                Err(invalid("stop", format!("no stop {s} in the day")))
            }
        };
        let courier = |c: CourierId| match day.courier_index(c) {
            Some(_) => Ok(()),
            None => Err(invalid("courier", format!("no courier {c} in the day"))),
        };
        match &self.kind {
            DayEventKind::Delivered { stop: s } | DayEventKind::Cancel { stop: s } => stop(*s),
            DayEventKind::Failed {
                stop: s, retry_s, ..
            } => {
                stop(*s)?;
                match retry_s {
                    Some((a, b)) if !(0 <= *a && a <= b && *b <= MAX_DAY_TIME_S) => Err(invalid(
                        "failed.retry_s",
                        format!("needs 0 <= start <= end <= {MAX_DAY_TIME_S}"),
                    )),
                    _ => Ok(()),
                }
            }
            DayEventKind::Position {
                courier: c,
                at_stop,
            } => {
                courier(*c)?;
                at_stop.map_or(Ok(()), stop)
            }
            DayEventKind::Breakdown { courier: c } | DayEventKind::SignedOff { courier: c } => {
                courier(*c)
            }
            DayEventKind::Delay {
                courier: c,
                delay_s,
            } => {
                courier(*c)?;
                if !(0..=86_400).contains(delay_s) {
                    return Err(invalid("delay.delay_s", "must be 0 to 86400"));
                }
                Ok(())
            }
            DayEventKind::TrafficRefresh => Ok(()),
            DayEventKind::Slowdown {
                stops,
                depot: _,
                percent,
            } => {
                if stops.len() > day.stops.len() {
                    return Err(invalid("slowdown.stops", "more stops than the day holds"));
                }
                stops.iter().try_for_each(|&s| stop(s))?;
                if !(100..=MAX_SLOWDOWN_PERCENT).contains(percent) {
                    return Err(invalid(
                        "slowdown.percent",
                        format!("must be 100 to {MAX_SLOWDOWN_PERCENT}"),
                    ));
                }
                Ok(())
            }
            DayEventKind::AddBottles { stop: s, bottles } => {
                stop(*s)?;
                if !(1..=super::MAX_STOP_QUANTITY).contains(bottles) {
                    return Err(invalid(
                        "add_bottles.bottles",
                        format!("must be 1 to {}", super::MAX_STOP_QUANTITY),
                    ));
                }
                Ok(())
            }
            DayEventKind::NewStop { stop: s, spec } => check_new_stop(day, n_stops, *s, spec),
        }
    }
}

/// A new stop's index and door, against a day holding `stops` stops.
fn check_new_stop(day: &OpenDay, stops: usize, s: u32, spec: &DayStop) -> Result<(), DairyError> {
    let p = spec.point;
    if !(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat)) {
        return Err(invalid(
            "new_stop.point.lat",
            "must be a number in -90..=90",
        ));
    }
    if !(p.lon.is_finite() && (-180.0..=180.0).contains(&p.lon)) {
        return Err(invalid(
            "new_stop.point.lon",
            "must be a number in -180..=180",
        ));
    }
    let w = spec.window;
    if !(0..86_400).contains(&w.start_s) || w.end_s <= w.start_s || w.end_s > 86_400 {
        return Err(invalid(
            "new_stop.window",
            "needs 0 <= start_s < end_s <= 86400",
        ));
    }
    if !(1..=super::MAX_STOP_QUANTITY).contains(&spec.quantity) {
        return Err(invalid(
            "new_stop.quantity",
            format!("must be 1 to {}", super::MAX_STOP_QUANTITY),
        ));
    }
    if !(0..=super::MAX_SERVICE_S).contains(&spec.service_s) {
        return Err(invalid(
            "new_stop.service_s",
            format!("must be 0 to {}", super::MAX_SERVICE_S),
        ));
    }
    let i = s as usize;
    if i == stops {
        if stops >= super::MAX_PLAN_STOPS {
            return Err(invalid(
                "new_stop.stop",
                format!("the day holds {} stops already", super::MAX_PLAN_STOPS),
            ));
        }
        return Ok(());
    }
    // The stop that an earlier event added, sent again: only its replay is answered (the
    // engine refuses it under a new event id).
    if day.stops.get(i) == Some(spec) {
        return Ok(());
    }
    if i < stops {
        Err(invalid(
            "new_stop.stop",
            format!("stop {s} is already in the day"),
        ))
    } else {
        Err(invalid(
            "new_stop.stop",
            format!("must be {stops}, the day's next stop"),
        ))
    }
}

/// Checks a batch of events: 1 to [`MAX_EVENTS_PER_CALL`], each against its day.
pub fn check_events(day: &OpenDay, events: &[DayEvent]) -> Result<(), DairyError> {
    if events.is_empty() || events.len() > MAX_EVENTS_PER_CALL {
        return Err(invalid(
            "events",
            format!("1 to {MAX_EVENTS_PER_CALL} events per call"),
        ));
    }
    let mut stops = day.stops.len();
    for e in events {
        e.check_at(day, stops)?;
        if matches!(e.kind, DayEventKind::NewStop { stop, .. } if stop as usize == stops) {
            stops += 1;
        }
    }
    Ok(())
}

/// Where a stop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopStatus {
    /// To be delivered.
    Pending,
    /// Delivered.
    Done,
    /// Visited, nobody took the bottles (a retry stop of the same index may follow).
    Failed,
    /// Cancelled by the household.
    Cancelled,
    /// Carried over to tomorrow.
    CarriedOver,
    /// Cannot be served today.
    Unserved,
}

/// One stop of the day (a retried delivery is a second stop of the same index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStopView {
    /// The stop's index in [`OpenDay::stops`].
    pub stop: u32,
    /// Where it stands.
    pub status: StopStatus,
    /// The courier it is planned for or was served by.
    pub courier: Option<CourierId>,
    /// Planned arrival (the actual one once done), seconds.
    pub eta_s: Option<i64>,
    /// The first arrival promised to the household, seconds.
    pub promised_s: Option<i64>,
    /// Bottles it takes (the opening's, with those a late order added).
    pub quantity: u32,
    /// Why it cannot be served (for [`StopStatus::Unserved`]), in words (at most
    /// [`MAX_REASON_BYTES`] bytes).
    pub reason: Option<String>,
}

/// One courier's route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRoute {
    /// The courier.
    pub courier: CourierId,
    /// False once out of service (breakdown, signed off).
    pub active: bool,
    /// Stops delivered or attempted, in order.
    pub done: Vec<u32>,
    /// The stop it is heading to (never moved by a re-plan).
    pub next: Option<u32>,
    /// The stops planned after it, in order.
    pub planned: Vec<u32>,
}

impl DayRoute {
    /// The stop the courier goes to next: [`DayRoute::next`], else the first planned.
    pub fn heading_to(&self) -> Option<u32> {
        self.next.or_else(|| self.planned.first().copied())
    }
}

/// The day as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayView {
    /// The plan version: 1 when opened, one more per event applied.
    pub plan_version: u64,
    /// False once closed.
    pub open: bool,
    /// The day's clock, seconds since midnight.
    pub clock_s: i64,
    /// One route per courier, in [`OpenDay::couriers`] order.
    pub routes: Vec<DayRoute>,
    /// Every stop (retries after the stops of the open request).
    pub stops: Vec<DayStopView>,
}

impl DayView {
    /// Checks a view against its day (a remote engine is not trusted): one route per courier
    /// in order, stop indices of the day, at most one retry per failed stop.
    pub fn check(&self, day: &OpenDay) -> Result<(), DairyError> {
        if self.routes.len() != day.couriers.len()
            || self
                .routes
                .iter()
                .zip(&day.couriers)
                .any(|(r, c)| r.courier != c.id)
        {
            return Err(invalid(
                "day.routes",
                "not one route per courier in request order",
            ));
        }
        let n = day.stops.len();
        if self.stops.len() > 2 * n {
            return Err(invalid("day.stops", "more stops than the day can hold"));
        }
        let known = |s: u32| (s as usize) < n;
        let bad_route = self.routes.iter().any(|r| {
            r.done.len() + r.planned.len() > 2 * n
                || !r
                    .done
                    .iter()
                    .chain(&r.next)
                    .chain(&r.planned)
                    .all(|&s| known(s))
        });
        let bad_stop = self.stops.iter().any(|s| {
            !known(s.stop)
                || s.courier.is_some_and(|c| day.courier_index(c).is_none())
                || s.eta_s
                    .into_iter()
                    .chain(s.promised_s)
                    .any(|t| !(0..=2 * MAX_DAY_TIME_S).contains(&t))
                || s.reason
                    .as_ref()
                    .is_some_and(|r| r.len() > MAX_REASON_BYTES)
        });
        if bad_route || bad_stop {
            return Err(invalid("day", "names a stop or courier not in the day"));
        }
        if let Some(s) = self
            .stops
            .iter()
            .find(|s| !(1..=super::MAX_STOP_QUANTITY).contains(&s.quantity))
        {
            return Err(invalid(
                "day.stops[].quantity",
                format!(
                    "stop {}: {} bottles, not 1 to {} (an engine that does not send them?)",
                    s.stop,
                    s.quantity,
                    super::MAX_STOP_QUANTITY
                ),
            ));
        }
        Ok(())
    }

    /// The route of a courier.
    pub fn route(&self, courier: CourierId) -> Option<&DayRoute> {
        self.routes.iter().find(|r| r.courier == courier)
    }
}

/// What one event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventResult {
    /// The plan version after it (for a replayed id: the version it produced then).
    pub plan_version: u64,
    /// True when the id had been applied before: nothing changed now.
    pub replayed: bool,
    /// Stops that moved to another courier.
    pub moved: Vec<u32>,
    /// Pending arrivals the event's re-plan moved by more than 5 minutes (0 for a replay).
    pub arrivals_shifted: u32,
    /// The largest arrival shift of the event's re-plan, seconds (0 for a replay).
    pub max_shift_s: i64,
}

/// The answer to a batch of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedEvents {
    /// One result per event, in order.
    pub results: Vec<EventResult>,
    /// The day after them.
    pub day: DayView,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Result<OpenDay, DairyError> {
        let stop = DayStop {
            point: GeoPoint::new(47.15, 9.52)?,
            window: DeliveryWindow::new(18_000, 25_200)?,
            quantity: 2,
            service_s: 30,
        };
        Ok(OpenDay {
            depot: GeoPoint::new(47.14, 9.52)?,
            stops: vec![stop, stop],
            couriers: vec![PlanCourier {
                id: CourierId(7),
                capacity: 10,
                shift_start_s: 16_200,
                shift_end_s: 32_400,
            }],
            routes: vec![vec![1, 0]],
            max_snap_m: 500.0,
        })
    }

    /// An open request, its events and a view are checked field by field: a stop planned
    /// twice, an unknown stop or courier, a bad slowdown, a view naming a stranger.
    #[test]
    fn days_events_and_views_are_checked() -> Result<(), DairyError> {
        let d = day()?;
        d.check()?;
        let mut twice = d.clone();
        twice.routes = vec![vec![0, 0]];
        assert!(twice.check().is_err());
        let event = |kind| DayEvent {
            event_id: "e1".into(),
            expected_version: 1,
            time_s: 18_000,
            kind,
        };
        check_events(&d, &[event(DayEventKind::Delivered { stop: 1 })])?;
        let unknown = event(DayEventKind::Delivered { stop: 2 });
        assert!(matches!(
            unknown.check(&d),
            Err(DairyError::Invalid { field: "stop", .. })
        ));
        let stranger = event(DayEventKind::Breakdown {
            courier: CourierId(8),
        });
        assert!(stranger.check(&d).is_err());
        let slow = event(DayEventKind::Slowdown {
            stops: vec![0],
            depot: true,
            percent: 50,
        });
        assert!(slow.check(&d).is_err());
        assert!(check_events(&d, &[]).is_err());
        let view = DayView {
            plan_version: 1,
            open: true,
            clock_s: 0,
            routes: vec![DayRoute {
                courier: CourierId(7),
                active: true,
                done: vec![],
                next: None,
                planned: vec![1, 0],
            }],
            stops: vec![],
        };
        view.check(&d)?;
        assert_eq!(view.routes[0].heading_to(), Some(1));
        let mut bad = view.clone();
        bad.routes[0].planned.push(5);
        assert!(bad.check(&d).is_err());
        // A stop's bottles: 1 or more (an engine that sends none is refused by name).
        let stop = DayStopView {
            stop: 1,
            status: StopStatus::Pending,
            courier: None,
            eta_s: None,
            promised_s: None,
            quantity: 2,
            reason: None,
        };
        let mut with = view.clone();
        with.stops.push(stop.clone());
        with.check(&d)?;
        with.stops[0].quantity = 0;
        assert!(matches!(
            with.check(&d),
            Err(DairyError::Invalid {
                field: "day.stops[].quantity",
                ..
            })
        ));
        assert!(DayId::new("").is_err());
        assert!(DayId::new("day 1").is_err());
        Ok(())
    }

    /// A late order's stop is checked field by field, names the day's next index, may be
    /// named by the events after it in its batch, and joins the caller's day once applied;
    /// a stop already in the day is refused unless it is the same stop sent again (a
    /// replay, which the engine answers without change).
    #[test]
    fn new_stops_are_checked() -> Result<(), DairyError> {
        let d = day()?;
        let spec = DayStop {
            point: GeoPoint::new(47.16, 9.51)?,
            window: DeliveryWindow::new(19_000, 26_000)?,
            quantity: 3,
            service_s: 45,
        };
        let event = |id: &str, kind| DayEvent {
            event_id: id.into(),
            expected_version: 1,
            time_s: 18_000,
            kind,
        };
        let new = |stop, spec| event("n", DayEventKind::NewStop { stop, spec });
        let field = |e: &DayEvent| match e.check(&d) {
            Err(DairyError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        new(2, spec).check(&d)?;
        let mut bad = spec;
        bad.point.lat = f64::NAN;
        assert_eq!(field(&new(2, bad)), "new_stop.point.lat");
        let mut bad = spec;
        bad.point.lon = 181.0;
        assert_eq!(field(&new(2, bad)), "new_stop.point.lon");
        let mut bad = spec;
        bad.window = DeliveryWindow {
            start_s: 26_000,
            end_s: 19_000,
        };
        assert_eq!(field(&new(2, bad)), "new_stop.window");
        let mut bad = spec;
        bad.quantity = u32::MAX;
        assert_eq!(field(&new(2, bad)), "new_stop.quantity");
        let mut bad = spec;
        bad.service_s = -1;
        assert_eq!(field(&new(2, bad)), "new_stop.service_s");
        // Stop 0 is another door; stop 3 would leave a gap.
        assert_eq!(field(&new(0, spec)), "new_stop.stop");
        assert_eq!(field(&new(3, spec)), "new_stop.stop");
        // The new stop may be named after it in its batch, not before, and not added twice.
        let delivered = event("d", DayEventKind::Delivered { stop: 2 });
        check_events(&d, &[new(2, spec), delivered.clone()])?;
        assert!(check_events(&d, &[delivered.clone(), new(2, spec)]).is_err());
        assert!(check_events(&d, &[new(2, spec), new(2, spec)]).is_err());
        // Once applied it joins the caller's day; sent again it is the same stop (a replay).
        let mut after = d.clone();
        after.add_new_stops(&[new(2, spec)]);
        assert_eq!(after.stops.len(), 3);
        assert_eq!(after.stops[2], spec);
        new(2, spec).check(&after)?;
        let mut other = spec;
        other.quantity = 4;
        assert!(new(2, other).check(&after).is_err());
        after.add_new_stops(&[new(2, spec)]);
        assert_eq!(after.stops.len(), 3, "a replay adds nothing");
        delivered.check(&after)?;
        Ok(())
    }
}
