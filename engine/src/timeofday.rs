//! Time-of-day speed profiles: slots of the day with their own speed changes (e.g. 06:00 to
//! 09:00, arterials at 60% of free-flow speed).
//!
//! The engine keeps one customized metric per slot (see
//! [`crate::RoadEngine::set_speed_profile`]); a query with a departure time uses the metric of
//! the slot containing that time, or the free-flow metric outside every slot. A whole trip is
//! timed with the metric of its departure slot (no interpolation across a slot boundary), which
//! is exact for trips inside one slot and an approximation for trips crossing a boundary.
//! Live traffic ([`crate::RoadEngine::apply_traffic`]) overrides the profile on the edges it
//! changed, in every slot: a measured jam replaces the predicted slowdown.

use crate::traffic::TrafficUpdate;
use crate::EngineError;

/// Seconds in a day; times of day are taken modulo this.
pub const DAY_S: u32 = 86_400;

/// One slot of a [`SpeedProfile`].
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSlot {
    /// Start, seconds since midnight (inclusive).
    pub start_s: u32,
    /// End, seconds since midnight (exclusive); `start_s < end_s <= 86_400`.
    pub end_s: u32,
    /// Changes in force during the slot, relative to free flow.
    pub updates: Vec<TrafficUpdate>,
}

/// Slots of the day with their speed changes; slots must not overlap.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpeedProfile {
    /// The slots, in any order.
    pub slots: Vec<TimeSlot>,
}

impl SpeedProfile {
    /// Checks that every slot lies within one day and that no two overlap.
    pub fn validate(&self) -> Result<(), EngineError> {
        for (i, s) in self.slots.iter().enumerate() {
            if s.start_s >= s.end_s || s.end_s > DAY_S {
                let field = if s.start_s >= s.end_s {
                    "start_s"
                } else {
                    "end_s"
                };
                return Err(EngineError::BadProfile {
                    path: format!("slots[{i}].{field}"),
                    reason: format!(
                        "[{}, {}) s is not a non-empty interval within one day",
                        s.start_s, s.end_s
                    ),
                    source: None,
                });
            }
        }
        let mut sorted: Vec<(u32, u32, usize)> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.start_s, s.end_s, i))
            .collect();
        sorted.sort_unstable();
        for w in sorted.windows(2) {
            if w[1].0 < w[0].1 {
                return Err(EngineError::BadProfile {
                    path: format!("slots[{}].start_s", w[1].2),
                    reason: format!("slots {} and {} overlap", w[0].2, w[1].2),
                    source: None,
                });
            }
        }
        Ok(())
    }

    /// Index of the slot containing `time_s` (seconds since midnight, taken modulo a day),
    /// `None` outside every slot.
    pub fn slot_at(&self, time_s: u32) -> Option<usize> {
        let t = time_s % DAY_S;
        self.slots
            .iter()
            .position(|s| s.start_s <= t && t < s.end_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(start_s: u32, end_s: u32) -> TimeSlot {
        TimeSlot {
            start_s,
            end_s,
            updates: Vec::new(),
        }
    }

    /// Slot lookup is by half-open interval and wraps at midnight; overlapping or empty
    /// slots are rejected with the slot index.
    #[test]
    fn slots_validate_and_lookup() {
        let p = SpeedProfile {
            slots: vec![slot(6 * 3600, 9 * 3600), slot(16 * 3600, 19 * 3600)],
        };
        assert!(p.validate().is_ok());
        assert_eq!(p.slot_at(6 * 3600), Some(0));
        assert_eq!(p.slot_at(9 * 3600), None);
        assert_eq!(p.slot_at(17 * 3600 + DAY_S), Some(1));
        let overlap = SpeedProfile {
            slots: vec![slot(0, 100), slot(50, 200)],
        };
        assert!(
            matches!(overlap.validate(), Err(EngineError::BadProfile { reason, .. }) if reason.contains("overlap"))
        );
        let empty = SpeedProfile {
            slots: vec![slot(100, 100)],
        };
        assert!(empty.validate().is_err());
    }
}
