//! The station dispatcher's live day: one station's stops of the day (the night's plan with
//! the couriers' reports, [`crate::round`]) opened on the engine's live day
//! ([`crate::engine::live_day`]), the reports the engine has not seen yet turned into its
//! events, a jam or a breakdown reported by the dispatcher as the engine's
//! [`DayEventKind::Slowdown`] and [`DayEventKind::Breakdown`], and the engine's re-plan
//! turned back into the night's stops ([`Replanned`], written by
//! [`crate::store::Store::write_replan`]) and into what moved ([`Moved`]). Pure: the service
//! holds the day and calls the engine, the same [`crate::engine::Engine`] the sim's morning
//! rides on.
use std::collections::HashMap;

use crate::engine::live_day::{
    DayEventKind, DayStop, DayView, OpenDay, StopStatus as DayStopStatus, MAX_SLOWDOWN_PERCENT,
};
use crate::engine::{PlanCourier, MAX_STOP_QUANTITY};
use crate::error::{invalid, DairyError};
use crate::household::{DeliveryWindow, GeoPoint};
use crate::ids::{CourierId, HouseholdId, StationId};
use crate::outcome::Outcome;
use crate::round::{RoundStop, StopStatus};

/// The longest a reported jam may last, minutes (a day).
pub const MAX_JAM_MINUTES: i64 = 24 * 60;
/// The largest radius of a jam's area, metres.
pub const MAX_JAM_RADIUS_M: f64 = 20_000.0;

/// Where a station stands and how its live day runs (stored by
/// [`crate::store::Store::set_station_site`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StationSite {
    /// The station's point: every route starts and ends there.
    pub point: GeoPoint,
    /// Service time at a door, seconds.
    pub service_s: i64,
    /// Largest distance from a household to its road, metres.
    pub max_snap_m: f64,
    /// The couriers riding from the station, with their capacity and shift.
    pub couriers: Vec<PlanCourier>,
}

/// A jam the dispatcher reports: a circle on the map, how much slower its roads are, and
/// for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jam {
    /// The area's centre.
    pub centre: GeoPoint,
    /// The area's radius, metres (above 0, at most [`MAX_JAM_RADIUS_M`]).
    pub radius_m: f64,
    /// A leg touching the area takes this many percent of its time (100 to
    /// [`MAX_SLOWDOWN_PERCENT`]).
    pub percent: u32,
    /// How long it holds, minutes (1 to [`MAX_JAM_MINUTES`]).
    pub minutes: i64,
}

impl Jam {
    /// A checked jam, naming the first bad field.
    pub fn new(
        centre: (f64, f64),
        radius_m: f64,
        percent: u32,
        minutes: i64,
    ) -> Result<Jam, DairyError> {
        let centre = GeoPoint::new(centre.0, centre.1).map_err(|_| {
            invalid(
                "jam.centre",
                "needs a latitude in -90..=90 and a longitude in -180..=180",
            )
        })?;
        if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= MAX_JAM_RADIUS_M) {
            return Err(invalid(
                "jam.radius_m",
                format!("must be a number above 0 and at most {MAX_JAM_RADIUS_M}"),
            ));
        }
        if !(100..=MAX_SLOWDOWN_PERCENT).contains(&percent) {
            return Err(invalid(
                "jam.percent",
                format!("must be 100 to {MAX_SLOWDOWN_PERCENT}"),
            ));
        }
        if !(1..=MAX_JAM_MINUTES).contains(&minutes) {
            return Err(invalid(
                "jam.minutes",
                format!("must be 1 to {MAX_JAM_MINUTES}"),
            ));
        }
        Ok(Jam {
            centre,
            radius_m,
            percent,
            minutes,
        })
    }

    /// Whether `p` is inside the area.
    pub fn covers(&self, p: GeoPoint) -> bool {
        metres(self.centre, p) <= self.radius_m
    }
}

/// Great-circle distance between two points, metres.
pub fn metres(a: GeoPoint, b: GeoPoint) -> f64 {
    let r = 6_371_000.0_f64;
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().clamp(0.0, 1.0).asin()
}

/// Initial bearing from `a` to `b`, degrees clockwise from north (0..360).
pub fn bearing(a: GeoPoint, b: GeoPoint) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

/// A station's day as the engine's live day sees it: stop `i` of [`StationDay::open`] is
/// household `households[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StationDay {
    /// The station.
    pub station: StationId,
    /// Per stop of the open day, its household.
    pub households: Vec<HouseholdId>,
    /// The day to open on the engine.
    pub open: OpenDay,
}

/// What the re-plan made of one household's stop: its courier, place in the route and
/// planned arrival, or none with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replanned {
    /// The household.
    pub household: HouseholdId,
    /// Courier, place (from 0) and planned arrival; `None`: no courier.
    pub route: Option<(CourierId, u32, Option<i64>)>,
    /// Why it has no courier.
    pub note: Option<String>,
}

/// A stop the re-plan moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The household.
    pub household: HouseholdId,
    /// Its courier before.
    pub from: Option<CourierId>,
    /// Its courier now; `None`: unassigned.
    pub to: Option<CourierId>,
}

/// A report of the couriers the engine has not seen: (household, time, event).
pub type Report = (HouseholdId, i64, DayEventKind);

impl StationDay {
    /// The day of `station` from its stops on the board (`board`, any station's: the
    /// station's are taken) and its site: each stop at its door with its window and bottles,
    /// each site courier's route in the plan's order. A stop whose courier does not ride
    /// from the station is placed by the re-planner.
    pub fn new(
        station: StationId,
        site: &StationSite,
        board: &[RoundStop],
    ) -> Result<StationDay, DairyError> {
        let mine: Vec<&RoundStop> = board.iter().filter(|s| s.station == station).collect();
        let mut stops = Vec::with_capacity(mine.len());
        let mut households = Vec::with_capacity(mine.len());
        for s in &mine {
            let bottles: u64 = s.orders.iter().map(|o| u64::from(o.quantity)).sum();
            let quantity = u32::try_from(bottles.clamp(1, u64::from(MAX_STOP_QUANTITY)))
                .map_err(|_| invalid("stops[].quantity", "too many bottles"))?;
            stops.push(DayStop {
                point: s.point,
                window: DeliveryWindow::new(s.window_s.0, s.window_s.1)?,
                quantity,
                service_s: site.service_s,
            });
            households.push(s.household);
        }
        let mut routes: Vec<Vec<(u32, u32)>> = vec![Vec::new(); site.couriers.len()];
        for (i, s) in mine.iter().enumerate() {
            let Some(k) = s
                .courier
                .and_then(|c| site.couriers.iter().position(|x| x.id == c))
            else {
                continue;
            };
            routes[k].push((s.seq.unwrap_or(u32::MAX), i as u32));
        }
        let routes = routes
            .into_iter()
            .map(|mut r| {
                r.sort_unstable();
                r.into_iter().map(|(_, i)| i).collect()
            })
            .collect();
        let open = OpenDay {
            depot: site.point,
            stops,
            couriers: site.couriers.clone(),
            routes,
            max_snap_m: site.max_snap_m,
        };
        open.check()?;
        Ok(StationDay {
            station,
            households,
            open,
        })
    }

    /// The stop of a household.
    pub fn stop_of(&self, household: HouseholdId) -> Option<u32> {
        self.households
            .iter()
            .position(|h| *h == household)
            .map(|i| i as u32)
    }

    /// The couriers' reports on the board that `seen` does not hold yet, as the engine's
    /// events, in the order they were made: a delivery, a failure (its remedy is the
    /// store's, so no same-day retry is asked of the engine), a cancellation.
    pub fn reports(&self, board: &[RoundStop], seen: &dyn Fn(HouseholdId) -> bool) -> Vec<Report> {
        let mut out: Vec<Report> = board
            .iter()
            .filter(|s| s.station == self.station && !seen(s.household))
            .filter_map(|s| {
                let stop = self.stop_of(s.household)?;
                let at = s.done_s()?;
                let kind = match s.status {
                    StopStatus::Pending => return None,
                    StopStatus::Delivered | StopStatus::MadeUp => DayEventKind::Delivered { stop },
                    StopStatus::Failed => DayEventKind::Failed {
                        stop,
                        reason: s.orders.iter().find_map(|o| match &o.outcome {
                            Some(Outcome::Failed { reason, .. }) => Some(*reason),
                            _ => None,
                        })?,
                        retry_s: None,
                    },
                    StopStatus::Cancelled => DayEventKind::Cancel { stop },
                };
                Some((s.household, at, kind))
            })
            .collect();
        out.sort_by_key(|(h, at, _)| (*at, *h));
        out
    }

    /// The engine's event of a late order's new stop (the day's next index) at `stop`'s
    /// door, with its window and bottles; the household is added to the day, which takes
    /// the stop once the engine applied it ([`OpenDay::add_new_stops`]).
    pub fn new_stop(
        &mut self,
        stop: &RoundStop,
        service_s: i64,
    ) -> Result<DayEventKind, DairyError> {
        let bottles: u64 = stop.orders.iter().map(|o| u64::from(o.quantity)).sum();
        let quantity = u32::try_from(bottles.clamp(1, u64::from(MAX_STOP_QUANTITY)))
            .map_err(|_| invalid("new_stop.quantity", "too many bottles"))?;
        let spec = DayStop {
            point: stop.point,
            window: DeliveryWindow::new(stop.window_s.0, stop.window_s.1)?,
            quantity,
            service_s,
        };
        let index = u32::try_from(self.open.stops.len())
            .map_err(|_| invalid("new_stop.stop", "the day is full"))?;
        self.households.push(stop.household);
        Ok(DayEventKind::NewStop { stop: index, spec })
    }

    /// The engine's event of a jam: the stops inside its area, and whether the station is.
    pub fn slowdown(&self, jam: &Jam) -> DayEventKind {
        let stops = self
            .open
            .stops
            .iter()
            .enumerate()
            .filter(|(_, s)| jam.covers(s.point))
            .map(|(i, _)| i as u32)
            .collect();
        DayEventKind::Slowdown {
            stops,
            depot: jam.covers(self.open.depot),
            percent: jam.percent,
        }
    }

    /// Per stop, its courier in `view` (a route's done, next or planned stops).
    fn couriers_of(&self, view: &DayView) -> Vec<Option<CourierId>> {
        let mut of = vec![None; self.households.len()];
        for r in &view.routes {
            for &s in r.done.iter().chain(&r.next).chain(&r.planned) {
                if let Some(c) = of.get_mut(s as usize) {
                    *c = Some(r.courier);
                }
            }
        }
        of
    }

    /// Per stop, where it stands in `view` (its last entry: a retry comes after the first).
    fn statuses(&self, view: &DayView) -> Vec<Option<(DayStopStatus, Option<i64>)>> {
        let mut st = vec![None; self.households.len()];
        for s in &view.stops {
            if let Some(x) = st.get_mut(s.stop as usize) {
                *x = Some((s.status, s.eta_s));
            }
        }
        st
    }

    /// The engine's reason why stop `i` cannot be served, if it gave one.
    fn reason(view: &DayView, i: usize) -> Option<&str> {
        view.stops
            .iter()
            .rev()
            .find(|s| s.stop as usize == i)
            .and_then(|s| s.reason.as_deref())
    }

    /// The night's stops after a re-plan: every stop on a route with its courier, place
    /// and arrival; a stop the engine cannot serve today without a courier, with `note`.
    /// Stops the engine closed off route (cancelled, carried over) are left as they are.
    pub fn replanned(&self, view: &DayView, note: &str) -> Vec<Replanned> {
        let statuses = self.statuses(view);
        let mut out = Vec::new();
        let mut routed = vec![false; self.households.len()];
        for r in &view.routes {
            for (place, &s) in r.done.iter().chain(&r.next).chain(&r.planned).enumerate() {
                let (Some(h), Some(slot)) =
                    (self.households.get(s as usize), routed.get_mut(s as usize))
                else {
                    continue;
                };
                if std::mem::replace(slot, true) {
                    continue;
                }
                let eta = statuses
                    .get(s as usize)
                    .copied()
                    .flatten()
                    .and_then(|x| x.1);
                out.push(Replanned {
                    household: *h,
                    route: Some((r.courier, place as u32, eta)),
                    note: None,
                });
            }
        }
        for (i, h) in self.households.iter().enumerate() {
            let unserved = matches!(
                statuses.get(i).copied().flatten(),
                Some((DayStopStatus::Unserved, _))
            );
            if unserved && !routed[i] {
                let note = match Self::reason(view, i) {
                    Some(why) => format!("{note} ({why})"),
                    None => note.to_string(),
                };
                out.push(Replanned {
                    household: *h,
                    route: None,
                    note: Some(note),
                });
            }
        }
        out
    }

    /// The pending stops whose courier changed from `before` to `after` (to none when the
    /// engine cannot serve them now).
    pub fn moved(&self, before: &DayView, after: &DayView) -> Vec<Moved> {
        let (was, is) = (self.couriers_of(before), self.couriers_of(after));
        let statuses = self.statuses(after);
        let mut out = Vec::new();
        for (i, h) in self.households.iter().enumerate() {
            let pending = matches!(
                statuses.get(i).copied().flatten(),
                Some((DayStopStatus::Pending | DayStopStatus::Unserved, _))
            );
            if pending && was[i] != is[i] {
                out.push(Moved {
                    household: *h,
                    from: was[i],
                    to: is[i],
                });
            }
        }
        out
    }

    /// Where each courier of the live day is heading: (courier, household), for the
    /// couriers still in service with a stop ahead.
    pub fn heading(&self, view: &DayView) -> Vec<(CourierId, HouseholdId)> {
        view.routes
            .iter()
            .filter(|r| r.active)
            .filter_map(|r| {
                let s = r.heading_to()?;
                Some((r.courier, *self.households.get(s as usize)?))
            })
            .collect()
    }
}

/// Each courier's last known position from the couriers' reports: the door of the stop it
/// reported last on the board (delivered or failed), with the time (courier, household, door,
/// seconds).
pub fn last_positions(board: &[RoundStop]) -> Vec<(CourierId, HouseholdId, GeoPoint, i64)> {
    let mut last: HashMap<CourierId, (i64, HouseholdId, GeoPoint)> = HashMap::new();
    for s in board {
        for o in &s.orders {
            let (courier, at) = match &o.outcome {
                Some(Outcome::Delivered { courier, at })
                | Some(Outcome::Failed { courier, at, .. }) => (*courier, at.second_of_day),
                _ => continue,
            };
            let e = last.entry(courier).or_insert((at, s.household, s.point));
            if (at, s.household) > (e.0, e.1) {
                *e = (at, s.household, s.point);
            }
        }
    }
    let mut out: Vec<_> = last
        .into_iter()
        .map(|(c, (at, h, p))| (c, h, p, at))
        .collect();
    out.sort_by_key(|x| x.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::live_day::{DayRoute, DayStopView};
    use crate::ids::CustomerId;

    fn stop(h: i64, courier: Option<i64>, seq: u32, lat: f64) -> RoundStop {
        RoundStop {
            household: HouseholdId(h),
            customer: CustomerId(h),
            station: StationId(1),
            courier: courier.map(CourierId),
            seq: Some(seq),
            arrival_s: Some(6 * 3600),
            promise_s: None,
            window_s: (5 * 3600, 8 * 3600),
            address: format!("{h} Main St"),
            point: GeoPoint::new(lat, 9.5).expect("a point"),
            orders: vec![],
            status: StopStatus::Pending,
            replan_note: None,
        }
    }

    /// A station's day keeps the plan's order per courier; a jam's area takes the stops
    /// inside it; a re-plan is read back as courier and place per household, the unserved
    /// with their note, and what moved.
    #[test]
    fn a_station_day_round_trip() -> Result<(), DairyError> {
        let site = StationSite {
            point: GeoPoint::new(47.0, 9.5)?,
            service_s: 40,
            max_snap_m: 500.0,
            couriers: vec![
                PlanCourier {
                    id: CourierId(7),
                    capacity: 100,
                    shift_start_s: 5 * 3600,
                    shift_end_s: 10 * 3600,
                },
                PlanCourier {
                    id: CourierId(8),
                    capacity: 100,
                    shift_start_s: 5 * 3600,
                    shift_end_s: 10 * 3600,
                },
            ],
        };
        let board = vec![
            stop(10, Some(7), 1, 47.01),
            stop(11, Some(7), 0, 47.02),
            stop(12, Some(8), 0, 47.03),
        ];
        let day = StationDay::new(StationId(1), &site, &board)?;
        assert_eq!(day.open.routes, vec![vec![1, 0], vec![2]]);
        let jam = Jam::new((47.02, 9.5), 1_500.0, 200, 30)?;
        assert_eq!(
            day.slowdown(&jam),
            DayEventKind::Slowdown {
                stops: vec![0, 1, 2],
                depot: false,
                percent: 200
            }
        );
        assert!(Jam::new((47.0, 9.5), 0.0, 200, 30).is_err());
        assert!(matches!(
            Jam::new((47.0, 9.5), 10.0, 50, 30),
            Err(DairyError::Invalid {
                field: "jam.percent",
                ..
            })
        ));
        let route = |c, active, planned: Vec<u32>| DayRoute {
            courier: CourierId(c),
            active,
            done: vec![],
            next: None,
            planned,
        };
        let view = |routes, unserved: bool| DayView {
            plan_version: 1,
            open: true,
            clock_s: 0,
            routes,
            stops: (0..3)
                .map(|s| DayStopView {
                    stop: s,
                    status: if unserved && s == 2 {
                        DayStopStatus::Unserved
                    } else {
                        DayStopStatus::Pending
                    },
                    courier: None,
                    eta_s: Some(6 * 3600 + i64::from(s)),
                    promised_s: None,
                    quantity: 1,
                    reason: (unserved && s == 2).then(|| "no courier has time".to_string()),
                })
                .collect(),
        };
        let before = view(
            vec![route(7, true, vec![1, 0]), route(8, true, vec![2])],
            false,
        );
        let after = view(
            vec![route(7, true, vec![1, 0]), route(8, false, vec![])],
            true,
        );
        let rows = day.replanned(&after, "courier 8 broke down");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].route, Some((CourierId(7), 0, Some(6 * 3600 + 1))));
        assert_eq!(rows[2].household, HouseholdId(12));
        assert_eq!(
            rows[2].note.as_deref(),
            Some("courier 8 broke down (no courier has time)")
        );
        assert_eq!(
            day.moved(&before, &after),
            vec![Moved {
                household: HouseholdId(12),
                from: Some(CourierId(8)),
                to: None
            }]
        );
        assert_eq!(day.heading(&after), vec![(CourierId(7), HouseholdId(11))]);
        // A late order's household is the day's next stop.
        let mut later = day.clone();
        let kind = later.new_stop(&stop(13, None, 0, 47.04), 40)?;
        assert!(matches!(kind, DayEventKind::NewStop { stop: 3, spec } if spec.service_s == 40));
        assert_eq!(later.stop_of(HouseholdId(13)), Some(3));
        assert!(metres(site.point, GeoPoint::new(47.01, 9.5)?) > 1_100.0);
        assert!((bearing(site.point, GeoPoint::new(47.01, 9.5)?) - 0.0).abs() < 1e-6);
        Ok(())
    }
}
