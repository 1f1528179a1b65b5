//! A live day as plain data ([`DayState`]): exported by [`Dispatch::export`], restored by
//! [`Dispatch::restore`] after a restart, checked field by field (a tampered state is an
//! error naming the field, never a panic). With the cargo feature `serde` it derives
//! `Serialize` and `Deserialize`. A store may keep the matrix apart: [`Dispatch::export_plan`]
//! gives the rest ([`PlanState`]), [`Dispatch::restore_with`] puts them together again, and
//! [`MatrixState::to_bytes`] / [`MatrixState::from_bytes`] are a compact binary form of the
//! matrix.

use crate::dispatch::{check_courier, check_stop, check_weights, Dispatch};
use crate::error::{
    in_range, ReplanError, MAX_BOTTLES, MAX_COURIERS, MAX_LOCATIONS, MAX_STOPS, MAX_TIME_S,
};
use crate::model::{
    CourierSpec, MatrixState, Progression, SlotTimes, SpeedSlot, StopOrigin, StopSpec, StopState,
    TravelTimes, Weights, MAX_TRAVEL,
};
use crate::route::CourierRoute;

/// Everything a live day holds, as plain data: its travel matrix and the rest
/// ([`PlanState`]). In JSON the fields of `plan` sit next to `times` (flattened), so a state
/// exported before the split reads the same.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DayState {
    /// Travel times, with their time-of-day slots.
    pub times: MatrixState,
    /// Everything else.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub plan: PlanState,
}

/// A live day apart from its travel matrix, as plain data ([`Dispatch::export_plan`]): what
/// changes with every event, small next to the matrix (a store keeps the matrix apart, once
/// per change, and restores with [`Dispatch::restore_with`]). The index of a stop in `stops`
/// is its id; the per-stop vectors (`states`, `courier_of`, `eta`, `promise`, `origins`,
/// `neighbours`) have one entry per stop, `routes` one per courier.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PlanState {
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
            plan: self.export_plan(),
        }
    }

    /// The day without its matrix (no copy of the matrix is made); restore it with the
    /// matrix kept apart by [`Dispatch::restore_with`].
    pub fn export_plan(&self) -> PlanState {
        PlanState {
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
        Dispatch::restore_with(TravelTimes::from_state(state.times)?, state.plan)
    }

    /// A day from its state without the matrix ([`Dispatch::export_plan`]) and the matrix
    /// kept apart, checked as [`Dispatch::restore`] checks (every location index against
    /// `times`).
    pub fn restore_with(times: TravelTimes, state: PlanState) -> Result<Dispatch, ReplanError> {
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

/// First bytes of [`MatrixState::to_bytes`]: the format and its version.
const MATRIX_MAGIC: &[u8; 4] = b"MRM1";

fn truncated(field: &str) -> ReplanError {
    inconsistent(field.to_string(), "the matrix bytes end early")
}

/// Reads the little-endian encoding of [`MatrixState::to_bytes`], every length checked
/// against the bytes left before anything is allocated.
struct MatrixReader<'a> {
    bytes: &'a [u8],
}

impl MatrixReader<'_> {
    fn take(&mut self, len: usize, field: &str) -> Result<&[u8], ReplanError> {
        if self.bytes.len() < len {
            return Err(truncated(field));
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    fn u32(&mut self, field: &str) -> Result<u32, ReplanError> {
        let b = self.take(4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self, field: &str) -> Result<i64, ReplanError> {
        let b = self.take(8, field)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }

    /// A length-prefixed list of `u32` cells.
    fn cells(&mut self, field: &str) -> Result<Vec<u32>, ReplanError> {
        let len = self.u32(field)? as usize;
        let body = self.take(len.checked_mul(4).ok_or_else(|| truncated(field))?, field)?;
        Ok(body
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

/// Appends a length-prefixed list of cells, each in `0..=MAX_TRAVEL` (so a `u32`).
fn put_cells(out: &mut Vec<u8>, field: &str, cells: &[i64]) -> Result<(), ReplanError> {
    let len = u32::try_from(cells.len()).map_err(|_| ReplanError::TooMany {
        field: field.to_string(),
        count: cells.len(),
        max: u32::MAX as usize,
    })?;
    out.extend_from_slice(&len.to_le_bytes());
    for (i, &v) in cells.iter().enumerate() {
        in_range(|| format!("{field}[{i}]"), v, 0, MAX_TRAVEL)?;
        out.extend_from_slice(&(v as u32).to_le_bytes());
    }
    Ok(())
}

impl MatrixState {
    /// The matrix as compact bytes for a store: little-endian, `MRM1`, the number of
    /// locations (`u32`), the travel seconds and the metres (each a `u32` count and that many
    /// `u32` cells, row-major), the number of slots (`u32`) and per slot its start and end
    /// (`i64`), a kind byte (0: factors, 1: a matrix) and its values (a `u32` count and that
    /// many `u32`). Four bytes a cell where JSON takes five to eleven. A cell outside
    /// `0..=MAX_TRAVEL` or more locations than [`MAX_LOCATIONS`] is an error naming it
    /// (nothing is clamped).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ReplanError> {
        if self.n > MAX_LOCATIONS {
            return Err(ReplanError::TooMany {
                field: "times".to_string(),
                count: self.n,
                max: MAX_LOCATIONS,
            });
        }
        let cells = self.travel_s.len() + self.dist_m.len();
        let mut out = Vec::with_capacity(16 + 4 * cells);
        out.extend_from_slice(MATRIX_MAGIC);
        out.extend_from_slice(&(self.n as u32).to_le_bytes());
        put_cells(&mut out, "times.travel_s", &self.travel_s)?;
        put_cells(&mut out, "times.dist_m", &self.dist_m)?;
        let count = u32::try_from(self.slots.len()).map_err(|_| ReplanError::TooMany {
            field: "times.slots".to_string(),
            count: self.slots.len(),
            max: u32::MAX as usize,
        })?;
        out.extend_from_slice(&count.to_le_bytes());
        for (k, slot) in self.slots.iter().enumerate() {
            out.extend_from_slice(&slot.start_s.to_le_bytes());
            out.extend_from_slice(&slot.end_s.to_le_bytes());
            let field = format!("times.slots[{k}].times");
            match &slot.times {
                SlotTimes::Factors(f) => {
                    out.push(0);
                    let wide: Vec<i64> = f.iter().map(|&v| i64::from(v)).collect();
                    put_cells(&mut out, &field, &wide)?;
                }
                SlotTimes::Matrix(m) => {
                    out.push(1);
                    put_cells(&mut out, &field, m)?;
                }
            }
        }
        Ok(out)
    }

    /// A matrix from [`MatrixState::to_bytes`]. Bytes that are not that encoding (another
    /// start, a length longer than the bytes left, bytes after the end, an unknown slot
    /// kind, more locations than [`MAX_LOCATIONS`]) are an error naming the part, and nothing
    /// larger than the input is allocated; the sizes and values are then checked by
    /// [`TravelTimes::from_state`].
    pub fn from_bytes(bytes: &[u8]) -> Result<MatrixState, ReplanError> {
        let mut r = MatrixReader { bytes };
        if r.take(4, "times")? != MATRIX_MAGIC {
            return Err(inconsistent(
                "times".to_string(),
                "the bytes are not a matrix encoding (MRM1)",
            ));
        }
        let n = r.u32("times.n")? as usize;
        if n > MAX_LOCATIONS {
            return Err(ReplanError::TooMany {
                field: "times".to_string(),
                count: n,
                max: MAX_LOCATIONS,
            });
        }
        let wide = |v: Vec<u32>| v.into_iter().map(i64::from).collect::<Vec<i64>>();
        let travel_s = wide(r.cells("times.travel_s")?);
        let dist_m = wide(r.cells("times.dist_m")?);
        let count = r.u32("times.slots")? as usize;
        // A slot takes at least 21 bytes: a count larger than the bytes left is refused
        // before the list is allocated.
        if count > r.bytes.len() / 21 {
            return Err(truncated("times.slots"));
        }
        let mut slots = Vec::with_capacity(count);
        for k in 0..count {
            let field = format!("times.slots[{k}]");
            let start_s = r.i64(&field)?;
            let end_s = r.i64(&field)?;
            let kind = r.take(1, &field)?[0];
            let values = r.cells(&format!("{field}.times"))?;
            let times = match kind {
                0 => SlotTimes::Factors(values),
                1 => SlotTimes::Matrix(wide(values)),
                _ => return Err(inconsistent(field, "unknown slot kind")),
            };
            slots.push(SpeedSlot {
                start_s,
                end_s,
                times,
            });
        }
        if !r.bytes.is_empty() {
            return Err(inconsistent(
                "times".to_string(),
                "bytes after the end of the matrix",
            ));
        }
        Ok(MatrixState {
            n,
            travel_s,
            dist_m,
            slots,
        })
    }
}
