//! Figures of a planned route, measured with the route simulator of [`crate::route`]
//! (the schedule the re-planner and [`crate::verify()`] use): per courier the stops in
//! order, their planned arrivals, bottles, travel, distance, the return to the depot and
//! the stops reached after their window closed.
//!
//! [`route_stats`] measures any stop sequence (e.g. a habit baseline that never looked at
//! windows, from the `habit` module); [`plan_stats`] measures every route of a [`Dispatch`] as it
//! stands (e.g. the nightly plan before anyone left).

use crate::dispatch::Dispatch;
use crate::model::{CourierSpec, StopSpec, StopState, TravelTimes};
use crate::route::{schedule, CourierRoute};

/// One courier's planned route, measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteStats {
    /// Stops in order (stop indices).
    pub stops: Vec<u32>,
    /// Planned arrival at each stop, seconds since midnight.
    pub arrivals_s: Vec<i64>,
    /// Bottles carried.
    pub bottles: i64,
    /// Travel seconds, anchor to depot, each leg priced at its departure.
    pub travel_s: i64,
    /// Metres, anchor to depot.
    pub dist_m: i64,
    /// Back at the depot, seconds since midnight (the anchor time for an empty route).
    pub back_s: i64,
    /// Stops reached after their window closed.
    pub late: usize,
}

/// Measures `route`'s pending stops (committed, then planned) with [`schedule`]: departure
/// from the anchor as the route simulator times it (a courier still at the depot leaves as
/// late as its first window allows), service as early as the window allows, and the ride
/// home. Stops whose index is outside `stops` or whose location is outside `times` are
/// left out (a [`Dispatch`] never holds such stops).
pub fn measure(
    route: &CourierRoute,
    stops: &[StopSpec],
    times: &TravelTimes,
    depot: u32,
) -> RouteStats {
    let n = times.len();
    let valid = |s: &u32| {
        stops
            .get(*s as usize)
            .is_some_and(|sp| (sp.loc as usize) < n)
    };
    let mut route = route.clone();
    route.committed = route.committed.filter(valid);
    route.planned.retain(valid);
    if (route.anchor_loc as usize) >= n || (depot as usize) >= n {
        return RouteStats {
            back_s: route.anchor_s,
            ..RouteStats::default()
        };
    }
    let (visits, back_s) = schedule(&route, stops, times, depot);
    let mut out = RouteStats {
        back_s,
        ..RouteStats::default()
    };
    let mut loc = route.anchor_loc;
    let mut depart = route.anchor_s;
    for (k, v) in visits.iter().enumerate() {
        let spec = &stops[v.stop as usize];
        // The first leg departs when the schedule makes it depart: arrival minus its travel.
        let leg = if k == 0 {
            v.arrival_s - crate::route::departure(&route, Some(spec), times)
        } else {
            times.travel_at(loc, spec.loc, depart)
        };
        out.travel_s = out.travel_s.saturating_add(leg);
        out.dist_m = out.dist_m.saturating_add(times.dist(loc, spec.loc));
        out.bottles = out.bottles.saturating_add(spec.bottles);
        if v.start_s > spec.window_s.1 {
            out.late += 1;
        }
        out.stops.push(v.stop);
        out.arrivals_s.push(v.arrival_s);
        loc = spec.loc;
        depart = v.departure_s;
    }
    if !visits.is_empty() || route.departed {
        out.travel_s = out
            .travel_s
            .saturating_add(times.travel_at(loc, depot, depart));
        out.dist_m = out.dist_m.saturating_add(times.dist(loc, depot));
    }
    out
}

/// Measures a stop sequence ridden by `courier` from the depot at the start of its shift
/// (see [`measure`]).
pub fn route_stats(
    times: &TravelTimes,
    depot: u32,
    stops: &[StopSpec],
    courier: &CourierSpec,
    seq: &[u32],
) -> RouteStats {
    let route = CourierRoute::at_depot(depot, courier, seq.to_vec());
    measure(&route, stops, times, depot)
}

/// Measures every courier's route of `day` as it stands (pending stops only: before the
/// morning starts, the whole plan). One entry per courier; a courier out of service
/// measures as an empty route.
pub fn plan_stats(day: &Dispatch) -> Vec<RouteStats> {
    day.routes()
        .iter()
        .map(|r| {
            if r.active {
                measure(r, day.stops(), day.times(), day.depot())
            } else {
                RouteStats {
                    back_s: r.anchor_s,
                    ..RouteStats::default()
                }
            }
        })
        .collect()
}

/// Deliveries made after their window closed (a committed stop reached late after a jam;
/// the re-planner keeps every other window): stops [`StopState::Done`] whose arrival is
/// after the window's end.
pub fn late_deliveries(day: &Dispatch) -> usize {
    day.states()
        .iter()
        .zip(day.stops())
        .filter(|(st, sp)| matches!(st, StopState::Done { arrival_s, .. } if *arrival_s > sp.window_s.1))
        .count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{ReplanOptions, Weights};

    fn line(n: usize) -> TravelTimes {
        TravelTimes::from_fn(n, |i, j| {
            let d = (i as i64 - j as i64).abs();
            (d * 60, d * 250)
        })
    }

    fn stop(loc: u32, window_s: (i64, i64)) -> StopSpec {
        StopSpec {
            household: loc,
            loc,
            bottles: 2,
            service_s: 30,
            window_s,
        }
    }

    const COURIER: CourierSpec = CourierSpec {
        id: 7,
        capacity: 10,
        shift_start_s: 1_000,
        shift_end_s: 100_000,
    };

    /// Depot 0 and stops on a line 60 s apart; the courier leaves at its shift start (the
    /// first window is open), rides 1-2-3 and home (3 legs of 60 s out, 180 s back).
    /// The second window closes before the courier can arrive: one stop late.
    #[test]
    fn a_route_on_a_line() {
        let times = line(4);
        let stops = vec![
            stop(1, (0, 5_000)),
            stop(2, (0, 1_000)),
            stop(3, (0, 5_000)),
        ];
        let r = route_stats(&times, 0, &stops, &COURIER, &[0, 1, 2]);
        assert_eq!(r.stops, vec![0, 1, 2]);
        assert_eq!(r.arrivals_s, vec![1_060, 1_150, 1_240]);
        assert_eq!(r.travel_s, 6 * 60);
        assert_eq!(r.dist_m, 6 * 250);
        assert_eq!(r.bottles, 6);
        assert_eq!(r.back_s, 1_240 + 30 + 180);
        assert_eq!(r.late, 1);
    }

    /// An empty route rides nowhere; an unknown stop is left out, not indexed.
    #[test]
    fn empty_and_unknown_stops() {
        let times = line(3);
        let stops = vec![stop(1, (0, 5_000))];
        let empty = route_stats(&times, 0, &stops, &COURIER, &[]);
        assert_eq!((empty.travel_s, empty.dist_m, empty.back_s), (0, 0, 1_000));
        let r = route_stats(&times, 0, &stops, &COURIER, &[4, 0]);
        assert_eq!(r.stops, vec![0]);
        assert_eq!(r.travel_s, 120);
    }

    /// The figures of a day's plan are those of its routes: travel adds up to the plan's
    /// cost when nothing is unserved.
    #[test]
    fn plan_stats_add_up_to_the_plan_cost() {
        let times = line(4);
        let stops = vec![
            stop(1, (0, 50_000)),
            stop(2, (0, 50_000)),
            stop(3, (0, 50_000)),
        ];
        let mut day = Dispatch::new(
            times,
            0,
            stops,
            vec![COURIER, CourierSpec { id: 8, ..COURIER }],
            Weights::default(),
        )
        .unwrap();
        day.set_plan(&[vec![0, 1], vec![2]], &ReplanOptions::default())
            .unwrap();
        let s = plan_stats(&day);
        assert_eq!(s.len(), 2);
        let travel: i64 = s.iter().map(|r| r.travel_s).sum();
        assert_eq!(travel, day.plan_cost());
        assert_eq!(s.iter().map(|r| r.stops.len()).sum::<usize>(), 3);
        day.finish();
        assert_eq!(late_deliveries(&day), 0);
    }
}
