//! Live traffic with a validity interval: a speed factor or closure in force from `start_s`
//! to `end_s` (seconds since midnight, the clock of the time-of-day profiles,
//! [`crate::timeofday`]).
//!
//! The engine splits the day at every slot and interval boundary; each piece where at least
//! one timed update is in force (a *period*) gets its own customized metric, shared by all
//! pieces with the same slot and the same updates in force. A query with a departure time
//! (`*_at`) uses the period's metric; outside every period, the slot's metric or the metric
//! outside the slots as before. Queries without a departure time do not see timed updates.
//!
//! Composition, per edge at time `t`: the most recently applied timed update in force at `t`
//! that touches the edge wins (its change is relative to free flow, as every change: a
//! `Reset` means free flow during its interval); else untimed live traffic where it changed
//! the edge; else the time-of-day slot's change; else free flow.
//!
//! [`crate::RoadEngine::expire_traffic`] drops the timed updates whose interval ended before
//! the clock; periods whose slot and updates in force are unchanged keep their metric, the
//! others are re-customized (partially, from the slot's metric, when few edges differ), and
//! pieces left with no timed update fall back to the slot's metric unchanged, so expiry
//! restores the earlier times exactly.

use std::sync::Arc;

use crate::timeofday::{SpeedProfile, DAY_S};
use crate::traffic::TrafficUpdate;
use crate::EngineError;

/// Identifier of a timed traffic update in one engine (given in application order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimedTrafficId(pub u64);

/// Traffic updates in force during `[start_s, end_s)`, seconds since midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedTraffic {
    /// Start, seconds since midnight (inclusive).
    pub start_s: u32,
    /// End, seconds since midnight (exclusive); `start_s < end_s <= 86_400`.
    pub end_s: u32,
    /// The changes, applied in order (a later one wins on an edge both touch).
    pub updates: Vec<TrafficUpdate>,
}

impl TimedTraffic {
    /// Checks the interval and that there is at least one update (the updates themselves are
    /// checked against the graph when applied).
    pub fn validate(&self) -> Result<(), EngineError> {
        let bad = |field: &'static str, reason: String| EngineError::BadUpdate {
            update: 0,
            field,
            reason,
        };
        if self.end_s <= self.start_s {
            return Err(bad(
                "end_s",
                format!(
                    "end_s {} is not after start_s {} (an interval is [start_s, end_s) within one day)",
                    self.end_s, self.start_s
                ),
            ));
        }
        if self.end_s > DAY_S {
            return Err(bad(
                "end_s",
                format!("end_s {} is after the end of the day ({DAY_S})", self.end_s),
            ));
        }
        if self.updates.is_empty() {
            return Err(bad("updates", "no update given".into()));
        }
        Ok(())
    }
}

/// A timed update in force, resolved to edge keys.
#[derive(Debug)]
pub(crate) struct TimedEntry {
    /// Its id.
    pub id: TimedTrafficId,
    /// Start, seconds since midnight.
    pub start_s: u32,
    /// End, seconds since midnight (exclusive).
    pub end_s: u32,
    /// New key of every edge touched, in update order.
    pub changes: Vec<(u32, u64)>,
}

/// A piece of the day with timed updates in force: the slot of the profile (if any) and
/// the ids of the updates in force, in application order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PieceKey {
    /// Index of the profile slot, `None` outside every slot.
    pub slot: Option<usize>,
    /// Timed updates in force, in application order.
    pub active: Vec<TimedTrafficId>,
}

/// Splits the day at every slot and timed-interval boundary and returns the maximal pieces
/// `(start_s, end_s, key)` with at least one timed update in force, in time order (adjacent
/// pieces with equal keys merged).
pub(crate) fn day_pieces(
    profile: &SpeedProfile,
    timed: &[Arc<TimedEntry>],
) -> Vec<(u32, u32, PieceKey)> {
    let mut cuts: Vec<u32> = vec![0, DAY_S];
    for s in &profile.slots {
        cuts.extend([s.start_s, s.end_s]);
    }
    for t in timed {
        cuts.extend([t.start_s, t.end_s]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces: Vec<(u32, u32, PieceKey)> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let active: Vec<TimedTrafficId> = timed
            .iter()
            .filter(|t| t.start_s <= a && a < t.end_s)
            .map(|t| t.id)
            .collect();
        if active.is_empty() {
            continue;
        }
        let key = PieceKey {
            slot: profile.slot_at(a),
            active,
        };
        match pieces.last_mut() {
            Some(last) if last.1 == a && last.2 == key => last.1 = b,
            _ => pieces.push((a, b, key)),
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeofday::TimeSlot;

    fn entry(id: u64, start_s: u32, end_s: u32) -> Arc<TimedEntry> {
        Arc::new(TimedEntry {
            id: TimedTrafficId(id),
            start_s,
            end_s,
            changes: Vec::new(),
        })
    }

    /// Two overlapping intervals across a slot boundary give one piece per distinct
    /// (slot, updates in force), in time order; time with no timed update is no piece.
    #[test]
    fn pieces_split_at_every_boundary() {
        let profile = SpeedProfile {
            slots: vec![TimeSlot {
                start_s: 100,
                end_s: 200,
                updates: Vec::new(),
            }],
        };
        let timed = [entry(1, 50, 150), entry(2, 120, 300)];
        let id = TimedTrafficId;
        let got = day_pieces(&profile, &timed);
        let want = vec![
            (50, 100, None, vec![id(1)]),
            (100, 120, Some(0), vec![id(1)]),
            (120, 150, Some(0), vec![id(1), id(2)]),
            (150, 200, Some(0), vec![id(2)]),
            (200, 300, None, vec![id(2)]),
        ];
        let got: Vec<_> = got
            .into_iter()
            .map(|(a, b, k)| (a, b, k.slot, k.active))
            .collect();
        assert_eq!(got, want);
        assert!(day_pieces(&SpeedProfile::default(), &[]).is_empty());
    }

    /// An empty or out-of-day interval and an empty update list name their field.
    #[test]
    fn bad_intervals_name_the_field() {
        let t = |start_s, end_s, n| TimedTraffic {
            start_s,
            end_s,
            updates: vec![
                TrafficUpdate {
                    edges: crate::EdgeSet::Ways(vec![1]),
                    change: crate::SpeedChange::Closed,
                };
                n
            ],
        };
        let field = |r: Result<(), EngineError>| match r {
            Err(EngineError::BadUpdate { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(t(100, 100, 1).validate()), "end_s");
        assert_eq!(field(t(200, 100, 1).validate()), "end_s");
        assert_eq!(field(t(0, DAY_S + 1, 1).validate()), "end_s");
        assert_eq!(field(t(0, 100, 0).validate()), "updates");
        assert!(t(0, DAY_S, 1).validate().is_ok());
    }
}
