//! A live day as a server holds it ([`LiveDay`]): a [`Dispatch`] with a plan version, the
//! client event ids already applied (a replayed id answers its first result and changes
//! nothing), the expected-version check of optimistic concurrency, and the events as a log
//! can keep them ([`LoggedEvent`]).
//!
//! The expected-version check has two scopes. The whole day: the event is refused unless
//! the day is still at the version the caller saw (a dispatcher, who sees every route). One
//! courier's route: refused only when that route changed after the version the caller saw
//! (a courier, who sees only its own route), so the couriers of one day do not refuse each
//! other's events: with 200 couriers on a day, a version of the whole day is stale for
//! nearly every courier's next event. A route changes when its stops, their order, its
//! next stop or its service (active) change; arrival times alone do not count (they move
//! with the clock).
//!
//! Persistence contract (what a store needs): an event is logged with the plan version it
//! produced. Re-applying the logged events, in order, to the snapshot they follow gives the
//! same day again when every re-plan was deterministic (the re-plan's work limit was reached
//! before its time budget, see [`crate::ReplanOptions`]). When that is not certain, or when
//! the event added a location to the matrix (a new order's address), [`Applied::snapshot`]
//! says so: the caller then stores a fresh snapshot with the event
//! ([`Dispatch::export_plan`], the matrix kept apart) and restores from it. A traffic event
//! brings a whole new matrix: the caller keeps that matrix apart under a number and logs
//! [`LoggedEvent::Traffic`] with it; [`LiveDay::replay_event`] re-applies it with the matrix
//! read back, so traffic alone needs no snapshot.

use std::collections::HashMap;

use crate::dispatch::Dispatch;
use crate::error::ReplanError;
use crate::event::{Event, EventKind};
use crate::options::ReplanOptions;
use crate::outcome::ReplanReport;
use crate::route::CourierRoute;

/// Longest client event id, bytes.
pub const MAX_EVENT_ID: usize = 128;
/// Most events one live day accepts (the idempotency record is bounded with it).
pub const MAX_EVENTS: usize = 100_000;

/// An event as a log keeps it: the events whose effect is fully described by their fields,
/// and traffic by the number under which the caller keeps its matrix. A new order (its
/// address grows the matrix) is logged as [`LoggedEvent::Snapshotted`] and needs a snapshot
/// stored with it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum LoggedEvent {
    /// [`EventKind::Cancel`].
    Cancel {
        /// Event time.
        time_s: i64,
        /// Household id.
        household: u32,
    },
    /// [`EventKind::AddBottles`].
    AddBottles {
        /// Event time.
        time_s: i64,
        /// Household id.
        household: u32,
        /// Bottles added.
        bottles: i64,
    },
    /// [`EventKind::Failed`], with the courier's reason (kept for the record).
    Failed {
        /// Event time.
        time_s: i64,
        /// Household id.
        household: u32,
        /// Retry window, or none (carried over).
        retry_s: Option<(i64, i64)>,
        /// Why it failed, as reported.
        reason: String,
    },
    /// [`EventKind::Delivered`].
    Delivered {
        /// Event time.
        time_s: i64,
        /// Household id.
        household: u32,
    },
    /// [`EventKind::Position`].
    Position {
        /// Event time.
        time_s: i64,
        /// Courier index.
        courier: usize,
        /// Location index.
        loc: u32,
    },
    /// [`EventKind::SignedOff`].
    SignedOff {
        /// Event time.
        time_s: i64,
        /// Courier index.
        courier: usize,
    },
    /// [`EventKind::Breakdown`].
    Breakdown {
        /// Event time.
        time_s: i64,
        /// Courier index.
        courier: usize,
    },
    /// [`EventKind::Delay`].
    Delay {
        /// Event time.
        time_s: i64,
        /// Courier index.
        courier: usize,
        /// Seconds lost.
        delay_s: i64,
    },
    /// [`EventKind::Traffic`]: the new matrix is kept apart by the caller under number
    /// `matrix` (the event's matrix with the day's slots, as the day holds it after the
    /// event); re-applied by [`LiveDay::replay_event`] with that matrix.
    Traffic {
        /// Event time.
        time_s: i64,
        /// The caller's number of the matrix.
        matrix: u64,
    },
    /// An event whose effect is in the snapshot stored with it (`order`; `traffic` as logged
    /// before traffic had its own record).
    Snapshotted {
        /// Event time.
        time_s: i64,
        /// [`EventKind::name`] of the event.
        kind: String,
    },
}

impl LoggedEvent {
    /// The log record of an event (`reason`: a failure's reason, ignored otherwise). A
    /// traffic event gives [`LoggedEvent::Snapshotted`] here; a caller that keeps matrices
    /// apart logs [`LoggedEvent::Traffic`] with its number instead.
    pub fn of(event: &Event, reason: &str) -> LoggedEvent {
        let time_s = event.time_s;
        match &event.kind {
            EventKind::Cancel { household } => LoggedEvent::Cancel {
                time_s,
                household: *household,
            },
            EventKind::AddBottles { household, bottles } => LoggedEvent::AddBottles {
                time_s,
                household: *household,
                bottles: *bottles,
            },
            EventKind::Failed { household, retry_s } => LoggedEvent::Failed {
                time_s,
                household: *household,
                retry_s: *retry_s,
                reason: reason.to_string(),
            },
            EventKind::Delivered { household } => LoggedEvent::Delivered {
                time_s,
                household: *household,
            },
            EventKind::Position { courier, loc } => LoggedEvent::Position {
                time_s,
                courier: *courier,
                loc: *loc,
            },
            EventKind::SignedOff { courier } => LoggedEvent::SignedOff {
                time_s,
                courier: *courier,
            },
            EventKind::Breakdown { courier } => LoggedEvent::Breakdown {
                time_s,
                courier: *courier,
            },
            EventKind::Delay { courier, delay_s } => LoggedEvent::Delay {
                time_s,
                courier: *courier,
                delay_s: *delay_s,
            },
            other @ (EventKind::Traffic(_) | EventKind::NewOrder(_)) => LoggedEvent::Snapshotted {
                time_s,
                kind: other.name().to_string(),
            },
        }
    }

    /// The event to re-apply, or `None` for [`LoggedEvent::Snapshotted`] (its effect is in
    /// a snapshot, never in a log tail) and [`LoggedEvent::Traffic`] (the caller reads its
    /// matrix back and re-applies it with [`LiveDay::replay_event`]).
    pub fn to_event(&self) -> Option<Event> {
        let (time_s, kind) = match self {
            LoggedEvent::Cancel { time_s, household } => (
                *time_s,
                EventKind::Cancel {
                    household: *household,
                },
            ),
            LoggedEvent::AddBottles {
                time_s,
                household,
                bottles,
            } => (
                *time_s,
                EventKind::AddBottles {
                    household: *household,
                    bottles: *bottles,
                },
            ),
            LoggedEvent::Failed {
                time_s,
                household,
                retry_s,
                ..
            } => (
                *time_s,
                EventKind::Failed {
                    household: *household,
                    retry_s: *retry_s,
                },
            ),
            LoggedEvent::Delivered { time_s, household } => (
                *time_s,
                EventKind::Delivered {
                    household: *household,
                },
            ),
            LoggedEvent::Position {
                time_s,
                courier,
                loc,
            } => (
                *time_s,
                EventKind::Position {
                    courier: *courier,
                    loc: *loc,
                },
            ),
            LoggedEvent::SignedOff { time_s, courier } => {
                (*time_s, EventKind::SignedOff { courier: *courier })
            }
            LoggedEvent::Breakdown { time_s, courier } => {
                (*time_s, EventKind::Breakdown { courier: *courier })
            }
            LoggedEvent::Delay {
                time_s,
                courier,
                delay_s,
            } => (
                *time_s,
                EventKind::Delay {
                    courier: *courier,
                    delay_s: *delay_s,
                },
            ),
            LoggedEvent::Snapshotted { .. } | LoggedEvent::Traffic { .. } => return None,
        };
        Some(Event { time_s, kind })
    }
}

/// Why a live day refused an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The caller expected another plan version (a concurrent change came first).
    #[error("expected plan version {expected}, the day is at {current}")]
    Stale {
        /// What the caller expected.
        expected: u64,
        /// The day's version.
        current: u64,
    },
    /// The event id is empty or longer than [`MAX_EVENT_ID`] bytes.
    #[error("event_id: must be 1 to {MAX_EVENT_ID} bytes")]
    EventId,
    /// The day has taken [`MAX_EVENTS`] events.
    #[error("the day has taken its {MAX_EVENTS} events")]
    Full,
    /// The day refused the event (it is unchanged).
    #[error(transparent)]
    Replan(#[from] ReplanError),
    /// A replayed log does not lead to the version it recorded.
    #[error("log replay: event {event_id} recorded plan version {recorded}, replay gives {found}")]
    Replay {
        /// The event.
        event_id: String,
        /// Version in the log.
        recorded: u64,
        /// Version the replay reached.
        found: u64,
    },
}

/// The answer to one event.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The plan version after the event (for a replayed id: the version it produced then).
    pub plan_version: u64,
    /// True when the id had been applied before (nothing changed now).
    pub replayed: bool,
    /// The re-plan's report (none for a replayed id).
    pub report: Option<ReplanReport>,
    /// True when a log must store a fresh snapshot with this event: the event added a
    /// location to the matrix (a new order), or its re-plan ran into its time budget (a
    /// replay might differ). Traffic alone does not ask for one (see [`LoggedEvent::Traffic`]).
    pub snapshot: bool,
}

/// A live day: the day, its plan version, the version at which each route last changed,
/// and the event ids applied.
#[derive(Debug, Clone)]
pub struct LiveDay {
    day: Dispatch,
    version: u64,
    /// Per courier: the plan version at which its route last changed.
    route_version: Vec<u64>,
    applied: HashMap<String, u64>,
}

/// What a route's courier acts on: whether it is in service, how many stops it has done,
/// its next stop and the stops planned after it.
fn route_shape(r: &CourierRoute) -> (bool, usize, Option<u32>, &[u32]) {
    (r.active, r.done.len(), r.committed, &r.planned)
}

impl LiveDay {
    /// A day just opened: plan version 1, no event.
    pub fn open(day: Dispatch) -> LiveDay {
        LiveDay {
            route_version: vec![1; day.routes().len()],
            day,
            version: 1,
            applied: HashMap::new(),
        }
    }

    /// A day restored from a snapshot at `version`, with every event id applied before
    /// (those the snapshot holds and those of the log tail, which [`LiveDay::replay`] then
    /// re-applies). The snapshot does not say when each route last changed: every route
    /// counts as changed at `version` (a courier who saw an older version is refused once
    /// more, never let through on a route that changed).
    pub fn resume(
        day: Dispatch,
        version: u64,
        applied: impl IntoIterator<Item = (String, u64)>,
    ) -> LiveDay {
        LiveDay {
            route_version: vec![version; day.routes().len()],
            day,
            version,
            applied: applied.into_iter().collect(),
        }
    }

    /// The plan version at which courier `courier`'s route last changed (`None`: no such
    /// courier).
    pub fn route_version(&self, courier: usize) -> Option<u64> {
        self.route_version.get(courier).copied()
    }

    /// The day.
    pub fn day(&self) -> &Dispatch {
        &self.day
    }

    /// The day, to change it outside an event (a new address for a new order, before the
    /// event that adds the stop).
    pub fn day_mut(&mut self) -> &mut Dispatch {
        &mut self.day
    }

    /// The plan version (1 when opened, one more per event applied).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Events applied (distinct ids).
    pub fn events(&self) -> usize {
        self.applied.len()
    }

    /// The version an id produced, if it was applied.
    pub fn applied(&self, event_id: &str) -> Option<u64> {
        self.applied.get(event_id).copied()
    }

    /// Checks an event before anything changes: a replayed id answers its first result;
    /// otherwise the id's shape, the room left and the expected version are checked. With
    /// `courier` (the caller sees that courier's route only) the expected version is stale
    /// only when that route changed after it (or it is newer than the day); without, unless
    /// it is the day's version.
    pub fn admit(
        &self,
        event_id: &str,
        expected_version: u64,
        courier: Option<usize>,
    ) -> Result<Option<Applied>, LiveError> {
        if event_id.is_empty() || event_id.len() > MAX_EVENT_ID {
            return Err(LiveError::EventId);
        }
        if let Some(&v) = self.applied.get(event_id) {
            return Ok(Some(Applied {
                plan_version: v,
                replayed: true,
                report: None,
                snapshot: false,
            }));
        }
        if self.applied.len() >= MAX_EVENTS {
            return Err(LiveError::Full);
        }
        let current = match courier {
            None => expected_version == self.version,
            Some(k) => {
                self.route_version
                    .get(k)
                    .is_some_and(|&changed| changed <= expected_version)
                    && expected_version <= self.version
            }
        };
        if !current {
            return Err(LiveError::Stale {
                expected: expected_version,
                current: self.version,
            });
        }
        Ok(None)
    }

    /// Applies an event under a client id, if [`LiveDay::admit`] lets it through (`courier`:
    /// the scope of the expected version, as there); an error leaves the day as it was.
    pub fn apply(
        &mut self,
        event_id: &str,
        expected_version: u64,
        courier: Option<usize>,
        event: Event,
        options: &ReplanOptions,
    ) -> Result<Applied, LiveError> {
        if let Some(answer) = self.admit(event_id, expected_version, courier)? {
            return Ok(answer);
        }
        let grows_matrix = matches!(event.kind, EventKind::NewOrder(_));
        let before: Vec<CourierRoute> = self.day.routes().to_vec();
        let report = self.day.apply(event, options)?;
        // Within half the budget the work limit, not the clock, ended the search.
        let near_budget = report.latency.saturating_mul(2) >= options.budget;
        let snapshot = grows_matrix || near_budget || report.cancelled;
        self.version += 1;
        let version = self.version;
        for (k, r) in self.day.routes().iter().enumerate() {
            let changed = before
                .get(k)
                .is_none_or(|b| route_shape(b) != route_shape(r));
            match self.route_version.get_mut(k) {
                Some(v) if changed => *v = version,
                Some(_) => {}
                None => self.route_version.push(version),
            }
        }
        self.applied.insert(event_id.to_string(), self.version);
        Ok(Applied {
            plan_version: self.version,
            replayed: false,
            report: Some(report),
            snapshot,
        })
    }

    /// Re-applies a logged event (a log tail after a snapshot) and checks it reaches the
    /// version the log recorded.
    pub fn replay(
        &mut self,
        event_id: &str,
        event: &LoggedEvent,
        recorded_version: u64,
        options: &ReplanOptions,
    ) -> Result<(), LiveError> {
        let Some(e) = event.to_event() else {
            return Err(LiveError::Replay {
                event_id: event_id.to_string(),
                recorded: recorded_version,
                found: self.version,
            });
        };
        self.replay_event(event_id, e, recorded_version, options)
    }

    /// Re-applies an event of a log tail given in full (a [`LoggedEvent::Traffic`] with its
    /// matrix read back) and checks it reaches the version the log recorded.
    pub fn replay_event(
        &mut self,
        event_id: &str,
        e: Event,
        recorded_version: u64,
        options: &ReplanOptions,
    ) -> Result<(), LiveError> {
        self.applied.remove(event_id);
        let expected = self.version;
        self.apply(event_id, expected, None, e, options)?;
        if self.version != recorded_version {
            return Err(LiveError::Replay {
                event_id: event_id.to_string(),
                recorded: recorded_version,
                found: self.version,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::fixtures::{couriers, line_times, morning_stops, row_times};
    use crate::Weights;

    fn day() -> Dispatch {
        let mut d = Dispatch::new(
            row_times(4),
            0,
            morning_stops(4),
            couriers(1, 10),
            Weights::default(),
        )
        .unwrap();
        d.set_plan(&[vec![0, 1, 2]], &ReplanOptions::default())
            .unwrap();
        d
    }

    fn cancel(h: u32) -> Event {
        Event {
            time_s: 18_010,
            kind: EventKind::Cancel { household: h },
        }
    }

    /// A replayed id answers its first version and changes nothing; a stale expected
    /// version is refused; the log record of an event re-applies to the same day.
    #[test]
    fn ids_versions_and_replay() {
        let opts = ReplanOptions::default();
        let mut live = LiveDay::open(day());
        let first = live.apply("e1", 1, None, cancel(3), &opts).unwrap();
        assert_eq!((first.plan_version, first.replayed), (2, false));
        let again = live.apply("e1", 1, None, cancel(3), &opts).unwrap();
        assert_eq!((again.plan_version, again.replayed), (2, true));
        assert_eq!(live.version(), 2);
        assert!(matches!(
            live.apply("e2", 1, None, cancel(2), &opts),
            Err(LiveError::Stale {
                expected: 1,
                current: 2
            })
        ));
        assert!(matches!(
            live.apply("", 2, None, cancel(2), &opts),
            Err(LiveError::EventId)
        ));
        let logged = LoggedEvent::of(&cancel(3), "");
        let mut again = LiveDay::resume(day(), 1, [("e1".to_string(), 2)]);
        again.replay("e1", &logged, 2, &opts).unwrap();
        assert_eq!(again.day(), live.day());
        assert!(again.replay("e9", &logged, 7, &opts).is_err());
    }

    /// Two couriers on two sides of the depot (locations on a line: 2, 1, depot, 3, 4), their
    /// progress reported.
    fn two_sides() -> Dispatch {
        let times = line_times(&[0, -1, -2, 1, 2]);
        let mut d = Dispatch::new(
            times,
            0,
            morning_stops(5),
            couriers(2, 10),
            Weights::default(),
        )
        .unwrap();
        // As a server holds a day: the couriers report where they are.
        d.set_progression(crate::Progression::Reported);
        d.set_plan(&[vec![0, 1], vec![2, 3]], &ReplanOptions::default())
            .unwrap();
        d
    }

    /// A courier's expected version is checked against its own route: another courier's
    /// event does not make it stale, a change of its own route does; the whole-day check
    /// (no courier) still wants the day's version, and a version newer than the day is
    /// stale in both scopes.
    #[test]
    fn a_courier_is_stale_only_when_its_route_changed() {
        let opts = ReplanOptions::default();
        let mut live = LiveDay::open(two_sides());
        let routes_at_1 = live.day().routes().to_vec();
        let delivered = Event {
            time_s: 18_010,
            kind: EventKind::Delivered { household: 1 },
        };
        let first = live.apply("a", 1, Some(0), delivered, &opts).unwrap();
        assert_eq!(first.plan_version, 2);
        assert_eq!(
            route_shape(&live.day().routes()[1]),
            route_shape(&routes_at_1[1]),
            "route 1 did not change (its departure time moved with the clock)"
        );
        assert_eq!(
            (live.route_version(0), live.route_version(1)),
            (Some(2), Some(1))
        );
        // Courier 1 saw version 1; only courier 0's route changed since.
        let position = |courier: usize, loc: u32| Event {
            time_s: 18_020,
            kind: EventKind::Position { courier, loc },
        };
        let second = live.apply("b", 1, Some(1), position(1, 3), &opts).unwrap();
        assert_eq!(second.plan_version, 3);
        assert_eq!(live.route_version(1), Some(3));
        // Courier 0 saw version 1, before its own delivery: stale.
        assert!(matches!(
            live.admit("c", 1, Some(0)),
            Err(LiveError::Stale {
                expected: 1,
                current: 3
            })
        ));
        // At version 2 it saw its route as it stands.
        assert!(live.admit("c", 2, Some(0)).unwrap().is_none());
        // The whole day: only its version.
        assert!(live.admit("c", 2, None).is_err());
        assert!(live.admit("c", 3, None).unwrap().is_none());
        // A version the day has not reached, and an unknown courier.
        assert!(live.admit("c", 4, Some(0)).is_err());
        assert!(live.admit("c", 3, Some(7)).is_err());
    }

    /// A day resumed from routes a caller kept: the executed stop is done at its time, the
    /// next one committed, the stop on no route placed; an arrival after the freeze time or
    /// a stop listed twice is refused with its field.
    #[test]
    fn resume_routes_keeps_the_executed_prefix() {
        let times = row_times(4);
        let stops = morning_stops(4);
        let couriers = couriers(1, 10);
        let opts = ReplanOptions::default();
        let (d, _) = Dispatch::resume_routes(
            times.clone(),
            0,
            stops.clone(),
            couriers.clone(),
            Weights::default(),
            &[vec![(0, 18_100)]],
            &[vec![1]],
            18_500,
            &opts,
        )
        .unwrap();
        let r = &d.routes()[0];
        assert_eq!((r.done.as_slice(), r.committed), (&[0][..], Some(1)));
        assert_eq!(r.planned, vec![2]);
        assert_eq!(
            d.states()[0],
            crate::StopState::Done {
                courier: 0,
                arrival_s: 18_100
            }
        );
        assert!(crate::verify(&d, None).is_empty());
        let late = Dispatch::resume_routes(
            times.clone(),
            0,
            stops.clone(),
            couriers.clone(),
            Weights::default(),
            &[vec![(0, 19_000)]],
            &[vec![1]],
            18_500,
            &opts,
        );
        assert!(
            matches!(late, Err(ReplanError::OutOfRange { field, .. }) if field == "executed[0][0].arrival_s")
        );
        let twice = Dispatch::resume_routes(
            times,
            0,
            stops,
            couriers,
            Weights::default(),
            &[vec![(0, 18_100)]],
            &[vec![0]],
            18_500,
            &opts,
        );
        assert!(
            matches!(twice, Err(ReplanError::PlanStop { field, .. }) if field == "planned[0][0]")
        );
    }
}
