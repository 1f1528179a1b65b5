//! The data of a delivery day: a growable travel-time matrix, stops, couriers, weights.

use crate::error::{ReplanError, MAX_LOCATIONS};

/// Largest travel time (seconds) or distance (metres) of a matrix cell: values above are
/// an error in [`TravelTimes::new`] and clamped elsewhere.
pub const MAX_TRAVEL: i64 = 1_000_000_000;

/// Travel time used for an unreachable pair, seconds (about 116 days: never feasible).
pub const UNREACHABLE_S: i64 = 10_000_000;

/// A dense, growable travel-time (seconds) and distance (metres) matrix between locations,
/// row-major with a stride so a new location (a new order's address) is added without
/// copying the whole matrix most of the time.
///
/// Time of day: with [`SpeedSlot`]s ([`TravelTimes::with_slots`]) a leg's travel time
/// depends on when it starts ([`TravelTimes::travel_at`]); without, it is the base matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct TravelTimes {
    n: usize,
    stride: usize,
    travel_s: Vec<i64>,
    dist_m: Vec<i64>,
    slots: Vec<SpeedSlot>,
}

/// A [`TravelTimes`] as plain data: `n` locations, row-major `n × n` travel seconds and
/// metres, and the time-of-day slots (explicit slot matrices `n × n` too).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MatrixState {
    /// Number of locations.
    pub n: usize,
    /// Travel seconds, row-major.
    pub travel_s: Vec<i64>,
    /// Metres, row-major.
    pub dist_m: Vec<i64>,
    /// Time-of-day slots.
    pub slots: Vec<SpeedSlot>,
}

/// A time-of-day slot (e.g. the morning rush): a leg departing in `start_s..end_s` takes
/// the slot's travel time. The travel time is the one of the slot the leg departs in (a
/// step function of the departure time, as the road engine's profiles are).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SpeedSlot {
    /// Start of the slot, seconds since midnight.
    pub start_s: i64,
    /// End of the slot (exclusive).
    pub end_s: i64,
    /// The slot's travel times.
    pub times: SlotTimes,
}

/// The travel times of a [`SpeedSlot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SlotTimes {
    /// Scaled from the base: `base[i][j] * (pct[i] + pct[j]) / 200`, one factor per
    /// location in percent (100: unchanged). A traffic update (a new base) and a new address
    /// need no per-slot matrix.
    Factors(Vec<u32>),
    /// An explicit row-major `n × n` matrix of seconds (e.g. the road engine's metric of
    /// the slot, `milkrun_station::road::RoadLocations::matrix`). A location added later
    /// (a new order) gets its legs scaled like its nearest location's legs.
    Matrix(Vec<i64>),
}
impl TravelTimes {
    /// Builds an `n × n` matrix from a function of (from, to) returning `(seconds, metres)`.
    pub fn from_fn(n: usize, f: impl Fn(usize, usize) -> (i64, i64)) -> TravelTimes {
        let mut travel_s = Vec::with_capacity(n * n);
        let mut dist_m = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                let (t, d) = f(i, j);
                travel_s.push(t.clamp(0, MAX_TRAVEL));
                dist_m.push(d.clamp(0, MAX_TRAVEL));
            }
        }
        TravelTimes {
            n,
            stride: n,
            travel_s,
            dist_m,
            slots: Vec::new(),
        }
    }

    /// Wraps row-major `n × n` vectors; errors on a wrong size or a negative value.
    pub fn new(n: usize, travel_s: Vec<i64>, dist_m: Vec<i64>) -> Result<TravelTimes, ReplanError> {
        if n > MAX_LOCATIONS {
            return Err(ReplanError::TooMany {
                field: "times".to_string(),
                count: n,
                max: MAX_LOCATIONS,
            });
        }
        for (name, v) in [("travel_s", &travel_s), ("dist_m", &dist_m)] {
            if v.len() != n * n {
                return Err(ReplanError::MatrixSize {
                    field: format!("times.{name}"),
                    expected: n * n,
                    found: v.len(),
                });
            }
        }
        for (name, v) in [("travel_s", &travel_s), ("dist_m", &dist_m)] {
            if let Some(k) = v.iter().position(|&x| x < 0) {
                let (from, to) = (k / n.max(1), k % n.max(1));
                return Err(ReplanError::NegativeTravel {
                    field: format!("times.{name}[{from}][{to}]"),
                    from,
                    to,
                });
            }
            if let Some(k) = v.iter().position(|&x| x > MAX_TRAVEL) {
                return Err(ReplanError::OutOfRange {
                    field: format!("times.{name}[{}][{}]", k / n.max(1), k % n.max(1)),
                    value: v[k],
                    min: 0,
                    max: MAX_TRAVEL,
                });
            }
        }
        Ok(TravelTimes {
            n,
            stride: n,
            travel_s,
            dist_m,
            slots: Vec::new(),
        })
    }

    /// Adds time-of-day slots; errors if a slot has not one factor per location, a
    /// factor of 0, an end before its start, or overlaps the next (slots in time order).
    pub fn with_slots(mut self, slots: Vec<SpeedSlot>) -> Result<TravelTimes, ReplanError> {
        self.set_slots(slots)?;
        Ok(self)
    }

    /// Like [`TravelTimes::with_slots`], in place (unchanged on error).
    pub fn set_slots(&mut self, slots: Vec<SpeedSlot>) -> Result<(), ReplanError> {
        let mut slots = slots;
        for (k, sl) in slots.iter().enumerate() {
            let (expected, found) = match &sl.times {
                SlotTimes::Factors(f) => (self.n, f.len()),
                SlotTimes::Matrix(m) => (self.n * self.n, m.len()),
            };
            if expected != found {
                return Err(ReplanError::MatrixSize {
                    field: format!("slots[{k}].times"),
                    expected,
                    found,
                });
            }
            let overlaps = slots.get(k + 1).is_some_and(|nx| nx.start_s < sl.end_s);
            let bad = match &sl.times {
                SlotTimes::Factors(f) => f.iter().any(|&p| p == 0 || p > 10_000),
                SlotTimes::Matrix(m) => m.iter().any(|&v| !(0..=MAX_TRAVEL).contains(&v)),
            };
            if sl.end_s < sl.start_s || overlaps || bad {
                return Err(ReplanError::Slot {
                    field: format!("slots[{k}]"),
                });
            }
        }
        // Explicit matrices take the base's stride.
        if self.stride != self.n {
            for sl in &mut slots {
                if let SlotTimes::Matrix(m) = &mut sl.times {
                    let mut w = vec![0; self.stride * self.stride];
                    for i in 0..self.n {
                        w[i * self.stride..i * self.stride + self.n]
                            .copy_from_slice(&m[i * self.n..(i + 1) * self.n]);
                    }
                    *m = w;
                }
            }
        }
        self.slots = slots;
        Ok(())
    }

    /// The time-of-day slots (empty: travel times do not depend on the time of day).
    pub fn slots(&self) -> &[SpeedSlot] {
        &self.slots
    }

    /// Takes the slots of `other` (a traffic update gives a new base matrix; the time-of-day
    /// profile stays), if this matrix has none and the sizes agree.
    pub fn keep_slots_of(&mut self, other: &TravelTimes) {
        if self.slots.is_empty() && other.n == self.n {
            self.slots.clone_from(&other.slots);
        }
    }

    /// Travel time from `i` to `j` departing at `depart_s`, seconds: the base time scaled
    /// by the slot `depart_s` falls in (the base time outside every slot).
    #[inline]
    pub fn travel_at(&self, i: u32, j: u32, depart_s: i64) -> i64 {
        let base = self.travel(i, j);
        if self.slots.is_empty() || base >= UNREACHABLE_S {
            return base;
        }
        match self
            .slots
            .iter()
            .find(|sl| sl.start_s <= depart_s && depart_s < sl.end_s)
        {
            Some(sl) => match &sl.times {
                SlotTimes::Factors(pct) => {
                    let f = i64::from(pct[i as usize]) + i64::from(pct[j as usize]);
                    (base * f + 100) / 200
                }
                SlotTimes::Matrix(m) => m[i as usize * self.stride + j as usize],
            },
            None => base,
        }
    }

    /// The largest travel time from `i` to `j` over departures in `from_s..to_s` (every slot
    /// that overlaps, and the base time): a safe static bound for a solver without time of
    /// day.
    pub fn travel_max(&self, i: u32, j: u32, from_s: i64, to_s: i64) -> i64 {
        let mut t = self.travel(i, j);
        for sl in &self.slots {
            if sl.start_s < to_s && from_s < sl.end_s {
                t = t.max(self.travel_at(i, j, sl.start_s));
            }
        }
        t
    }

    /// The matrix as plain row-major `n × n` data (stride removed), for
    /// the exported state of a day (`DayState`).
    pub fn to_state(&self) -> MatrixState {
        let (n, st) = (self.n, self.stride);
        let compact = |v: &[i64]| {
            let mut out = Vec::with_capacity(n * n);
            for i in 0..n {
                out.extend_from_slice(&v[i * st..i * st + n]);
            }
            out
        };
        MatrixState {
            n,
            travel_s: compact(&self.travel_s),
            dist_m: compact(&self.dist_m),
            slots: self
                .slots
                .iter()
                .map(|sl| SpeedSlot {
                    start_s: sl.start_s,
                    end_s: sl.end_s,
                    times: match &sl.times {
                        SlotTimes::Factors(f) => SlotTimes::Factors(f.clone()),
                        SlotTimes::Matrix(m) => SlotTimes::Matrix(compact(m)),
                    },
                })
                .collect(),
        }
    }

    /// The matrix of a [`MatrixState`], checked like [`TravelTimes::new`] and
    /// [`TravelTimes::with_slots`].
    pub fn from_state(state: MatrixState) -> Result<TravelTimes, ReplanError> {
        TravelTimes::new(state.n, state.travel_s, state.dist_m)?.with_slots(state.slots)
    }

    /// Number of locations.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there is no location.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The base travel times from `i` to every location (`row(i)[j] = travel(i, j)`).
    #[inline]
    pub(crate) fn row(&self, i: u32) -> &[i64] {
        let start = i as usize * self.stride;
        &self.travel_s[start..start + self.n]
    }

    /// Travel time from `i` to `j`, seconds.
    #[inline]
    pub fn travel(&self, i: u32, j: u32) -> i64 {
        self.travel_s[i as usize * self.stride + j as usize]
    }

    /// Distance from `i` to `j`, metres.
    #[inline]
    pub fn dist(&self, i: u32, j: u32) -> i64 {
        self.dist_m[i as usize * self.stride + j as usize]
    }

    /// Adds a location. `from_new` holds `(seconds, metres)` from the new location to each
    /// existing one, `to_new` from each existing one to it. Returns its index.
    pub fn push_location(
        &mut self,
        from_new: &[(i64, i64)],
        to_new: &[(i64, i64)],
    ) -> Result<u32, ReplanError> {
        let n = self.n;
        if from_new.len() != n || to_new.len() != n {
            let (field, found) = if from_new.len() != n {
                ("from_new", from_new.len())
            } else {
                ("to_new", to_new.len())
            };
            return Err(ReplanError::MatrixSize {
                field: field.to_string(),
                expected: n,
                found,
            });
        }
        if n + 1 > MAX_LOCATIONS {
            return Err(ReplanError::TooMany {
                field: "times".to_string(),
                count: n + 1,
                max: MAX_LOCATIONS,
            });
        }
        if n + 1 > self.stride {
            let stride = (n + 1).max(n + n / 8 + 16);
            let old = self.stride;
            let grow = |v: &[i64]| {
                let mut w = vec![0; stride * stride];
                for i in 0..n {
                    w[i * stride..i * stride + n].copy_from_slice(&v[i * old..i * old + n]);
                }
                w
            };
            self.travel_s = grow(&self.travel_s);
            self.dist_m = grow(&self.dist_m);
            for sl in &mut self.slots {
                if let SlotTimes::Matrix(m) = &mut sl.times {
                    *m = grow(m);
                }
            }
            self.stride = stride;
        }
        let s = self.stride;
        for j in 0..n {
            self.travel_s[n * s + j] = from_new[j].0.clamp(0, MAX_TRAVEL);
            self.dist_m[n * s + j] = from_new[j].1.clamp(0, MAX_TRAVEL);
            self.travel_s[j * s + n] = to_new[j].0.clamp(0, MAX_TRAVEL);
            self.dist_m[j * s + n] = to_new[j].1.clamp(0, MAX_TRAVEL);
        }
        self.travel_s[n * s + n] = 0;
        self.dist_m[n * s + n] = 0;
        // The new address takes the time of day of its nearest location.
        let nearest = (0..n).min_by_key(|&j| from_new[j].0 + to_new[j].0);
        let base = &self.travel_s;
        for sl in &mut self.slots {
            match &mut sl.times {
                SlotTimes::Factors(pct) => pct.push(nearest.map_or(100, |j| pct[j])),
                SlotTimes::Matrix(m) => {
                    // Legs from/to the new address scaled like the nearest location's legs.
                    let scale = |slot: i64, b: i64, v: i64| {
                        if b > 0 && b < UNREACHABLE_S && slot < UNREACHABLE_S {
                            v.saturating_mul(slot) / b
                        } else {
                            v
                        }
                    };
                    for j in 0..n {
                        let (out, inn) = (base[n * s + j], base[j * s + n]);
                        let (so, si) = match nearest {
                            Some(p) => (
                                scale(m[p * s + j], base[p * s + j], out),
                                scale(m[j * s + p], base[j * s + p], inn),
                            ),
                            None => (out, inn),
                        };
                        m[n * s + j] = so;
                        m[j * s + n] = si;
                    }
                    m[n * s + n] = 0;
                }
            }
        }
        self.n += 1;
        Ok(n as u32)
    }
}

/// One delivery to make (a household's order, or a retry of a failed one).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StopSpec {
    /// The household's external id (several stops may share it: a retry).
    pub household: u32,
    /// Location (row of the [`TravelTimes`]).
    pub loc: u32,
    /// Bottles delivered.
    pub bottles: i64,
    /// Service time at the door, seconds.
    pub service_s: i64,
    /// Window for the start of service, seconds since midnight.
    pub window_s: (i64, i64),
}

/// One courier of the fleet.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CourierSpec {
    /// External id.
    pub id: u32,
    /// Bottles the trike carries (for the whole morning: no reloading).
    pub capacity: i64,
    /// Earliest departure from the depot, seconds since midnight.
    pub shift_start_s: i64,
    /// Latest return to the depot.
    pub shift_end_s: i64,
}

/// The weights of the re-planning objective, in cost units of one second of travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Weights {
    /// Cost of a stop moved to another courier than in the plan before the event.
    pub move_cost: i64,
    /// A promised arrival may shift this much (either way) at no cost, seconds.
    pub promise_tolerance_s: i64,
    /// Cost per second of promised-arrival shift beyond the tolerance.
    pub promise_per_s: i64,
    /// Seconds of shift beyond the tolerance charged at most per stop: a household whose
    /// promise is broken costs at most `promise_per_s * promise_cap_s`, however late. Without
    /// a cap a route running late makes every insertion on it cost a second per household
    /// after it (250 households: more than leaving a stop unserved), and the re-plan leaves
    /// stops unserved to protect promises already broken.
    pub promise_cap_s: i64,
    /// Cost of a stop left unserved today.
    pub unserved_penalty: i64,
}

impl Default for Weights {
    /// 1 minute of travel per moved stop, 15 minutes of free promise shift then 1 per
    /// second up to 2 minutes per household, 1 hour of travel per unserved stop.
    ///
    /// The move cost was 10 minutes until session 4: on the 3,000-stop benchmark (seed 1,
    /// events 25-75) it held the plan at 15-55% more projected cost than with no disruption
    /// cost at all (a swap had to save 10 minutes of riding, while neighbouring routes
    /// overlap by seconds). With 1 minute, 0.2-0.3% of the remaining stops change courier
    /// per event (answer and background improvement together, seeds 1-3, target < 5%), and
    /// a swap that saves nothing is still never made.
    fn default() -> Self {
        Weights {
            move_cost: 60,
            promise_tolerance_s: 900,
            promise_per_s: 1,
            promise_cap_s: 120,
            unserved_penalty: 3600,
        }
    }
}

/// Why a stop cannot be served today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum UnservedReason {
    /// No courier is left in service.
    NoActiveCourier,
    /// Even driving straight there, no courier arrives before the window ends.
    WindowMissed {
        /// Earliest arrival of any courier, seconds since midnight.
        earliest_s: i64,
    },
    /// Every courier that could reach it in time carries too few bottles.
    NoCapacity,
    /// Reachable in time alone, but every route would make another stop or the return late.
    NoFeasiblePosition,
    /// Left out by the from-scratch baseline (skip penalty cheaper than serving it).
    NotWorthServing,
}

impl std::fmt::Display for UnservedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoActiveCourier => write!(f, "no courier left in service"),
            Self::WindowMissed { earliest_s } => {
                write!(
                    f,
                    "window missed: earliest possible arrival {}",
                    crate::clock::hms(*earliest_s)
                )
            }
            Self::NoCapacity => write!(f, "no courier that can reach it in time has bottles left"),
            Self::NoFeasiblePosition => write!(
                f,
                "no route can take it without making another stop or the return late"
            ),
            Self::NotWorthServing => {
                write!(f, "left out by the solver (penalty cheaper than serving)")
            }
        }
    }
}

/// Where a stop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum StopState {
    /// To be delivered (on a route or waiting for one).
    Pending,
    /// Delivered by `courier`, service started at `start_s`.
    Done {
        /// Courier index.
        courier: usize,
        /// Arrival time.
        arrival_s: i64,
    },
    /// Visited but nobody could take the bottles (a retry stop may follow).
    Failed,
    /// Cancelled by the household before the courier set off to it.
    Cancelled,
    /// Carried over to tomorrow.
    CarriedOver,
    /// Cannot be served today.
    Unserved(UnservedReason),
}

/// How the day moves forward as the clock advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Progression {
    /// The couriers ride the plan: when the clock passes a planned departure the stop is
    /// committed, when it passes the end of a service the stop is done (replays, benches).
    #[default]
    Simulated,
    /// Only the couriers' reports (`Delivered`, `Failed`, `Position`, `SignedOff`) move them;
    /// the clock moves on, a stop is done when it is reported delivered.
    Reported,
}

/// Where a stop comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum StopOrigin {
    /// In the plan of the morning.
    Planned,
    /// A new order during the morning.
    NewOrder,
    /// A retry of a failed delivery, in the window the household asked for.
    Retry,
}

/// How the day ended for every stop, counted (see [`crate::Dispatch::summary`]).
/// Failed deliveries (retried or carried over) and cancellations are counted apart from
/// stops left unserved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaySummary {
    /// Deliveries of the morning's plan delivered at the first attempt.
    pub delivered: usize,
    /// New orders delivered.
    pub delivered_new: usize,
    /// Retries delivered (after a failed first attempt).
    pub delivered_retry: usize,
    /// Deliveries that failed at the door (the visit happened; a retry may follow).
    pub failed: usize,
    /// Failed deliveries carried over to tomorrow because the household asked for it.
    pub carried_over: usize,
    /// Retries that could not be fitted into the morning (carried over to tomorrow), by reason.
    pub retry_unserved: Vec<(UnservedReason, usize)>,
    /// Stops cancelled by the household.
    pub cancelled: usize,
    /// Planned deliveries and new orders that could not be served, by reason.
    pub unserved: Vec<(UnservedReason, usize)>,
    /// Stops still pending (the day is not over).
    pub pending: usize,
}

impl DaySummary {
    /// Total stops left unserved (retries not included).
    pub fn unserved_total(&self) -> usize {
        self.unserved.iter().map(|u| u.1).sum()
    }
    /// Total retries that could not be fitted.
    pub fn retry_unserved_total(&self) -> usize {
        self.retry_unserved.iter().map(|u| u.1).sum()
    }
}

/// One line: delivered, failed, cancelled and unserved counts, with the reasons counted.
impl std::fmt::Display for DaySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reasons = |v: &[(UnservedReason, usize)]| {
            v.iter()
                .map(|(r, n)| match r {
                    UnservedReason::WindowMissed { .. } => format!("{n} window missed"),
                    other => format!("{n} {other}"),
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        write!(
            f,
            "delivered {} planned + {} new orders + {} retries; failed at the door {} (carried to \
             tomorrow on request {}, retry not possible today {} [{}]); cancelled {}; unserved {} [{}]",
            self.delivered,
            self.delivered_new,
            self.delivered_retry,
            self.failed,
            self.carried_over,
            self.retry_unserved_total(),
            reasons(&self.retry_unserved),
            self.cancelled,
            self.unserved_total(),
            reasons(&self.unserved),
        )
    }
}

/// A short label of the kind of a reason (the earliest arrival dropped): for counting.
pub fn reason_kind(r: UnservedReason) -> UnservedReason {
    match r {
        UnservedReason::WindowMissed { .. } => UnservedReason::WindowMissed { earliest_s: 0 },
        other => other,
    }
}
