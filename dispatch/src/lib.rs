//! Live re-planning of delivery routes under way (issue #5).
//!
//! At 05:40 a courier has delivered 60 of 250 bottles; a road jams, a household cancels, a
//! door stays shut, a new order arrives, a trike breaks down. [`Dispatch`] holds the morning:
//! per courier where it is and since when (its *anchor*), the stops done, the stop it is
//! heading to (*committed*, never moved) and the stops planned after it, and per stop its
//! state, courier, planned arrival and first promise. [`Dispatch::apply`] advances the clock
//! to an [`Event`], applies it and re-plans within a time budget (default 200 ms):
//!
//! 1. **Repair** (`repair`): late routes give up stops (the one cutting lateness most)
//!    until on time; new, retried, removed and orphaned stops (a breakdown) are placed by
//!    regret-2 insertion, each position checked in O(1) with cached
//!    [`milkrun_vrp::segment::DurationSegment`]s.
//!    Stops that fit nowhere get one more chance by insertion with ejection (`eject`: the
//!    stop takes the place of a nearby stop, which moves to its cheapest feasible place;
//!    a quarter of the budget at most).
//! 2. **Local search** (`search`): relocate / or-opt of strings of 1-3 stops next to one of
//!    their 12 nearest stops, and where none pays, 2-opt\* of two routes' tails or a swap of
//!    two stops next to a nearest stop on another route (`exchange`); seeded by the stops
//!    near the change, screened in O(1) and priced exactly before it is applied. It stops
//!    when no move pays or the budget is spent, so the answer is ready any time (anytime).
//!
//! 3. **Background improvement** ([`Dispatch::improve`], optional, between events): every
//!    stop left unserved whose window is open is tried again, then ruin and recreate
//!    (strings of stops of the 1-3 routes passing nearest to a centre taken out and put
//!    back with nearby unserved stops by regret insertion; kept only if the objective falls)
//!    and the local search, within a CPU budget. Answering an event, stops left unserved
//!    are retried only next to the change (or on a route that lost a stop), so the answer
//!    stays cheap.
//!
//! The plan of the morning ([`Dispatch::plan_with_solver`], made at night, before anyone
//! leaves): the VRP solver for half of its budget, then polished for the other half the way
//! background improvement works, without disruption costs (nothing is promised yet); the
//! promises are its arrivals.
//!
//! The objective ([`Weights`]): travel seconds, plus a cost per stop moved to another
//! courier, plus a cost per second a promised arrival shifts beyond a tolerance, plus a
//! penalty per unserved stop; windows, capacity and the return by the end of the shift are
//! hard. Stops that cannot be served get an [`UnservedReason`].
//!
//! A server holds the day: every long call takes a cancel flag (answered within 50 ms) and a
//! progress callback ([`ReplanOptions`], [`ImproveOptions`]); with a budget that is not
//! reached, work limits make every call deterministic; [`Dispatch::apply`] is atomic (an
//! error leaves the day untouched); [`Dispatch::export`] and [`Dispatch::restore`] carry the
//! day across a restart ([`DayState`], `serde` behind the cargo feature of that name;
//! [`Dispatch::export_plan`] and [`Dispatch::restore_with`] leave the matrix to be kept apart,
//! [`MatrixState::to_bytes`] is its compact form); with
//! [`Progression::Reported`] only the couriers' reports ([`EventKind::Delivered`],
//! [`EventKind::Position`], [`EventKind::SignedOff`], [`EventKind::Failed`]) move them.
//! [`LiveDay`] is the day as a server keeps it: a plan version moved by each event, client
//! event ids applied once (a replayed id answers its first result), the expected-version
//! check, and each event as a log keeps it ([`LoggedEvent`]) for a restart.
//! [`Dispatch::resume_routes`] builds a day from routes a caller kept itself (the executed
//! prefix of each route and a freeze time), for a stateless re-plan.
//!
//! The baseline [`Strategy::FromScratch`] re-solves every stop not under way with
//! [`milkrun_vrp::solve`] under the same budget. [`verify()`] checks a plan independently.
//! The crate `milkrun-station` connects the road engine (matrices, traffic, new addresses) to
//! a [`Dispatch`]; [`io`] reads and
//! writes event files and generates a seeded event stream.
//!
//! Simplifications, stated: a trike is loaded once (capacity counts every bottle of the
//! morning); a courier with nothing left waits where it is and rides home at the end; a
//! cancellation or failure reported while the courier is already on the way to that door
//! is too late to change the committed visit; between traffic events travel times follow
//! the matrix's time-of-day slots ([`SpeedSlot`]) and are otherwise static.
//!
//! ## Example
//! ```
//! use milkrun_dispatch::{CourierSpec, Dispatch, Event, EventKind, ReplanOptions, StopSpec, TravelTimes, Weights};
//! // Depot 0 and three households on a line, 60 s apart.
//! let times = TravelTimes::from_fn(4, |i, j| ((i as i64 - j as i64).abs() * 60, (i as i64 - j as i64).abs() * 250));
//! let stops = (1..4)
//!     .map(|l| StopSpec { household: l, loc: l, bottles: 1, service_s: 30, window_s: (18_000, 27_000) })
//!     .collect();
//! let couriers = vec![CourierSpec { id: 1, capacity: 10, shift_start_s: 15_300, shift_end_s: 32_400 }];
//! let mut day = Dispatch::new(times, 0, stops, couriers, Weights::default()).unwrap();
//! day.set_plan(&[vec![0, 1, 2]], &ReplanOptions::default()).unwrap();
//! let report = day.apply(Event { time_s: 18_010, kind: EventKind::Cancel { household: 3 } }, &ReplanOptions::default()).unwrap();
//! assert_eq!(day.routes()[0].committed, Some(0));
//! assert_eq!(day.routes()[0].planned, vec![1]);
//! assert!(report.moved.is_empty());
//! assert!(milkrun_dispatch::verify(&day, None).is_empty());
//! ```

pub(crate) mod baseline;
pub(crate) mod cache;
pub(crate) mod clock;
pub mod dispatch;
pub(crate) mod eject;
pub mod error;
pub mod event;
pub(crate) mod exchange;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod habit;
pub mod io;
pub(crate) mod limit;
pub mod live;
pub(crate) mod lns;
pub mod model;
pub(crate) mod objective;
pub mod options;
pub mod outcome;
pub mod plan_stats;
pub mod problem;
pub(crate) mod repair;
pub mod route;
pub(crate) mod search;
pub mod state;
pub mod verify;
pub(crate) mod view;

pub use dispatch::Dispatch;
pub use error::ReplanError;
pub use event::{Event, EventKind};
pub use live::{Applied, LiveDay, LiveError, LoggedEvent};
pub use model::{
    CourierSpec, DaySummary, MatrixState, Progression, SlotTimes, SpeedSlot, StopOrigin, StopSpec,
    StopState, TravelTimes, UnservedReason, Weights, UNREACHABLE_S,
};
pub use options::{ImproveOptions, Phase, Progress, ProgressFn, ReplanOptions, Strategy};
pub use outcome::{EventType, Move, Note, ReplanReport};
pub use problem::{to_problem, VehicleStart};
pub use route::{CourierRoute, Visit};
pub use state::{DayState, PlanState};
pub use verify::verify;
