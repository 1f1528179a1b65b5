//! Returnable bottles, pure: bottles issued (delivered) versus collected, per household and
//! per courier.
use std::collections::BTreeMap;

use milkrun_calendar::Date;

use crate::dedupe::DedupeKey;
use crate::error::{invalid, DairyError};
use crate::ids::{CourierId, HouseholdId};

/// The most bottles one return event may carry.
pub const MAX_BOTTLES_PER_RETURN: u32 = 1_000;

/// Empty bottles a courier collected at a door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BottleReturn {
    /// The event's key: a replay with the same key records nothing.
    pub key: DedupeKey,
    /// The household.
    pub household: HouseholdId,
    /// The courier.
    pub courier: CourierId,
    /// The day.
    pub date: Date,
    /// Bottles collected (1..=[`MAX_BOTTLES_PER_RETURN`]).
    pub bottles: u32,
}

impl BottleReturn {
    /// A checked return event.
    pub fn new(
        key: DedupeKey,
        household: HouseholdId,
        courier: CourierId,
        date: Date,
        bottles: u32,
    ) -> Result<BottleReturn, DairyError> {
        if bottles == 0 || bottles > MAX_BOTTLES_PER_RETURN {
            return Err(invalid(
                "bottle_return.bottles",
                format!("must be 1..={MAX_BOTTLES_PER_RETURN}"),
            ));
        }
        Ok(BottleReturn {
            key,
            household,
            courier,
            date,
            bottles,
        })
    }
}

/// Bottles issued and collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BottleBalance {
    /// Bottles delivered full.
    pub issued: u64,
    /// Bottles collected empty.
    pub collected: u64,
}

impl BottleBalance {
    /// Bottles still out (negative when more came back than went out in the period).
    pub fn outstanding(self) -> i128 {
        i128::from(self.issued) - i128::from(self.collected)
    }
}

/// Balances per household and per courier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BottleReport {
    /// Per household.
    pub per_household: BTreeMap<HouseholdId, BottleBalance>,
    /// Per courier.
    pub per_courier: BTreeMap<CourierId, BottleBalance>,
}

/// One movement of bottles: who, where, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BottleMove {
    /// The household.
    pub household: HouseholdId,
    /// The courier.
    pub courier: CourierId,
    /// Bottles.
    pub bottles: u32,
}

/// The report of bottles `issued` (delivered lines) and `collected` (returns).
pub fn bottle_report(issued: &[BottleMove], collected: &[BottleMove]) -> BottleReport {
    let mut r = BottleReport::default();
    for (moves, is_issue) in [(issued, true), (collected, false)] {
        for m in moves {
            for b in [
                r.per_household.entry(m.household).or_default(),
                r.per_courier.entry(m.courier).or_default(),
            ] {
                let slot = if is_issue {
                    &mut b.issued
                } else {
                    &mut b.collected
                };
                // u32 additions into a u64 cannot overflow for fewer than 2^32 moves.
                *slot = slot.saturating_add(u64::from(m.bottles));
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issued and collected bottles add up per household and per courier.
    #[test]
    fn balances_per_household_and_courier() {
        let mv = |h, c, b| BottleMove {
            household: HouseholdId(h),
            courier: CourierId(c),
            bottles: b,
        };
        let r = bottle_report(
            &[mv(1, 1, 2), mv(2, 1, 1), mv(1, 2, 1)],
            &[mv(1, 1, 2), mv(2, 2, 1)],
        );
        assert_eq!(
            r.per_household[&HouseholdId(1)],
            BottleBalance {
                issued: 3,
                collected: 2
            }
        );
        assert_eq!(r.per_household[&HouseholdId(2)].outstanding(), 0);
        assert_eq!(
            r.per_courier[&CourierId(1)],
            BottleBalance {
                issued: 3,
                collected: 2
            }
        );
        assert_eq!(
            r.per_courier[&CourierId(2)],
            BottleBalance {
                issued: 1,
                collected: 1
            }
        );
    }
}
