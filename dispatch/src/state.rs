//! A live day as plain data ([`DayState`]): exported by [`Dispatch::export`], restored by
//! [`Dispatch::restore`] after a restart, checked field by field (a tampered state is an
//! error naming the field, never a panic). With the cargo feature `serde` it derives
//! `Serialize` and `Deserialize`.

use crate::dispatch::{check_courier, check_stop, check_weights, Dispatch};
use crate::error::{in_range, ReplanError, MAX_BOTTLES, MAX_COURIERS, MAX_STOPS, MAX_TIME_S};
use crate::model::{
    CourierSpec, MatrixState, Progression, StopOrigin, StopSpec, StopState, TravelTimes, Weights,
    MAX_TRAVEL,
};
use crate::route::CourierRoute;

/// Everything a live day holds, as plain data. The index of a stop in `stops` is its id;
/// the per-stop vectors (`states`, `courier_of`, `eta`, `promise`, `origins`,
/// `neighbours`) have one entry per stop, `routes` one per courier.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DayState {
    /// Travel times, with their time-of-day slots.
    pub times: MatrixState,
    /// Depot location.
    pub depot: u32,
    /// Every stop.
    pub stops: Vec<StopSpec>,
    /// State of every stop.
    pub states: Vec<StopState>,
    /// Courier planned for every stop (the move cost refers to it).
    pub courier_of: Vec<Option<usize>>,
    /// Planned (or actual, when done) arrival of every stop.
    pub eta: Vec<Option<i64>>,
    /// First promise made to every stop.
    pub promise: Vec<Option<i64>>,
    /// Where every stop comes from.
    pub origins: Vec<StopOrigin>,
    /// Nearest stops of every stop (the local search's neighbourhoods, as they were built).
    pub neighbours: Vec<Vec<u32>>,
    /// Failed deliveries so far.
    pub failures: usize,
    /// The couriers.
    pub couriers: Vec<CourierSpec>,
    /// Every courier's route.
    pub routes: Vec<CourierRoute>,
    /// The day's clock.
    pub clock_s: i64,
    /// Weights of the objective.
    pub weights: Weights,
    /// Ruin-and-recreate iterations when answering an event.
    pub answer_ruin_recreate: u64,
    /// How the day moves forward.
    pub progression: Progression,
}

fn field_len(field: &str, expected: usize, found: usize) -> Result<(), ReplanError> {
    if expected == found {
        Ok(())
    } else {
        Err(ReplanError::MatrixSize {
            field: field.to_string(),
            expected,
            found,
        })
    }
}

fn inconsistent(field: String, problem: &'static str) -> ReplanError {
    ReplanError::Inconsistent { field, problem }
}

/// Most bottles a route may have delivered (every stop at its maximum).
const MAX_LOAD_DONE: i64 = MAX_STOPS as i64 * MAX_BOTTLES;
/// Most travel (seconds or metres) a route may have done: every stop and a ride home at the
/// largest matrix cell.
const MAX_DONE_TRAVEL: i64 = (MAX_STOPS as i64 + 1) * MAX_TRAVEL;

impl Dispatch {
    /// The whole day as plain data (a copy of the matrix included).
    pub fn export(&self) -> DayState {
        DayState {
            times: self.times.to_state(),
            depot: self.depot,
            stops: self.stops.clone(),
            states: self.state.clone(),
            courier_of: self.courier_of.clone(),
            eta: self.eta.clone(),
            promise: self.promise.clone(),
            origins: self.origin.clone(),
            neighbours: self.neighbours.clone(),
            failures: self.failures,
            couriers: self.couriers.clone(),
            routes: self.routes.clone(),
            clock_s: self.clock_s,
            weights: self.weights,
            answer_ruin_recreate: self.answer_ruin_recreate,
            progression: self.progression,
        }
    }

    /// A day from its exported state, checked: sizes and bounds as [`Dispatch::new`], every
    /// per-stop vector one entry per stop, every stop on at most one route and on a route
    /// only while pending, every index (location, stop, courier) in range.
    pub fn restore(state: DayState) -> Result<Dispatch, ReplanError> {
        let times = TravelTimes::from_state(state.times)?;
        let n = times.len();
        if state.depot as usize >= n {
            return Err(ReplanError::Location {
                field: "depot".to_string(),
                loc: state.depot as usize,
                size: n,
            });
        }
        let m = state.stops.len();
        let k = state.couriers.len();
        for (field, count, max) in [("stops", m, MAX_STOPS), ("couriers", k, MAX_COURIERS)] {
            if count > max {
                return Err(ReplanError::TooMany {
                    field: field.to_string(),
                    count,
                    max,
                });
            }
        }
        if k == 0 {
            return Err(ReplanError::NoCourier);
        }
        for (i, s) in state.stops.iter().enumerate() {
            check_stop(&format!("stops[{i}]"), s, n)?;
        }
        for (i, c) in state.couriers.iter().enumerate() {
            check_courier(&format!("couriers[{i}]"), c)?;
        }
        field_len("states", m, state.states.len())?;
        field_len("courier_of", m, state.courier_of.len())?;
        field_len("eta", m, state.eta.len())?;
        field_len("promise", m, state.promise.len())?;
        field_len("origins", m, state.origins.len())?;
        field_len("neighbours", m, state.neighbours.len())?;
        field_len("routes", k, state.routes.len())?;
        in_range(|| "clock_s".to_string(), state.clock_s, 0, MAX_TIME_S)?;
        check_weights(&state.weights)?;
        for (i, st) in state.states.iter().enumerate() {
            if let StopState::Done { courier, arrival_s } = st {
                if *courier >= k {
                    return Err(inconsistent(
                        format!("states[{i}].courier"),
                        "names no courier",
                    ));
                }
                in_range(
                    || format!("states[{i}].arrival_s"),
                    *arrival_s,
                    0,
                    MAX_TIME_S,
                )?;
            }
            if let StopState::Unserved(crate::model::UnservedReason::WindowMissed { earliest_s }) =
                st
            {
                in_range(
                    || format!("states[{i}].earliest_s"),
                    *earliest_s,
                    0,
                    i64::MAX / 4,
                )?;
            }
        }
        for (i, c) in state.courier_of.iter().enumerate() {
            if c.is_some_and(|c| c >= k) {
                return Err(inconsistent(format!("courier_of[{i}]"), "names no courier"));
            }
        }
        for (name, v) in [("eta", &state.eta), ("promise", &state.promise)] {
            for (i, t) in v.iter().enumerate() {
                if let Some(t) = t {
                    in_range(|| format!("{name}[{i}]"), *t, 0, i64::MAX / 4)?;
                }
            }
        }
        for (i, nb) in state.neighbours.iter().enumerate() {
            if let Some(j) = nb.iter().position(|&v| v as usize >= m) {
                return Err(inconsistent(
                    format!("neighbours[{i}][{j}]"),
                    "names no stop",
                ));
            }
        }
        let mut on_route = vec![false; m];
        for (r, route) in state.routes.iter().enumerate() {
            if route.anchor_loc as usize >= n {
                return Err(ReplanError::Location {
                    field: format!("routes[{r}].anchor_loc"),
                    loc: route.anchor_loc as usize,
                    size: n,
                });
            }
            in_range(
                || format!("routes[{r}].anchor_s"),
                route.anchor_s,
                0,
                MAX_TIME_S,
            )?;
            in_range(
                || format!("routes[{r}].load_done"),
                route.load_done,
                0,
                MAX_LOAD_DONE,
            )?;
            in_range(
                || format!("routes[{r}].travel_done_s"),
                route.travel_done_s,
                0,
                MAX_DONE_TRAVEL,
            )?;
            in_range(
                || format!("routes[{r}].dist_done_m"),
                route.dist_done_m,
                0,
                MAX_DONE_TRAVEL,
            )?;
            let lists = [
                ("done", route.done.as_slice()),
                ("committed", route.committed.as_slice()),
                ("planned", route.planned.as_slice()),
            ];
            for (name, list) in lists {
                for (j, &s) in list.iter().enumerate() {
                    let field = || format!("routes[{r}].{name}[{j}]");
                    let Some(seen) = on_route.get_mut(s as usize) else {
                        return Err(inconsistent(field(), "names no stop"));
                    };
                    if *seen {
                        return Err(inconsistent(field(), "stop on a route twice"));
                    }
                    *seen = true;
                    let pending = state.states[s as usize] == StopState::Pending;
                    if name != "done" && (!pending || !route.active) {
                        return Err(inconsistent(
                            field(),
                            "stop to visit is not pending or its courier is out of service",
                        ));
                    }
                }
            }
        }
        Ok(Dispatch {
            times,
            depot: state.depot,
            stops: state.stops,
            state: state.states,
            courier_of: state.courier_of,
            eta: state.eta,
            promise: state.promise,
            origin: state.origins,
            failures: state.failures,
            couriers: state.couriers,
            routes: state.routes,
            clock_s: state.clock_s,
            weights: state.weights,
            neighbours: state.neighbours,
            answer_ruin_recreate: state.answer_ruin_recreate,
            progression: state.progression,
        })
    }
}
