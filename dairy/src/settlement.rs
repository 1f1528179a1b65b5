//! Courier settlement at close, pure: pay per drop (a delivered stop) and per bottle from the
//! tenant's rate table.
use std::collections::{BTreeMap, BTreeSet};

use crate::error::{invalid, DairyError};
use crate::ids::{CourierId, HouseholdId};
use crate::money::Cents;

/// The tenant's rates: pay = drops × `per_drop` + bottles × `per_bottle` (either may be 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateTable {
    /// Pay per drop: one delivered household per courier and day.
    pub per_drop: Cents,
    /// Pay per bottle delivered.
    pub per_bottle: Cents,
}

impl RateTable {
    /// Checked rates (not negative).
    pub fn new(per_drop: Cents, per_bottle: Cents) -> Result<RateTable, DairyError> {
        if per_drop.0 < 0 {
            return Err(invalid("rates.per_drop", "must not be negative"));
        }
        if per_bottle.0 < 0 {
            return Err(invalid("rates.per_bottle", "must not be negative"));
        }
        Ok(RateTable {
            per_drop,
            per_bottle,
        })
    }
}

/// One delivered order, as settlement sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveredLine {
    /// The courier who signed it off.
    pub courier: CourierId,
    /// The household.
    pub household: HouseholdId,
    /// Bottles (units) delivered.
    pub bottles: u32,
}

/// A courier's pay for a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CourierPay {
    /// The courier.
    pub courier: CourierId,
    /// Distinct households delivered.
    pub drops: u32,
    /// Bottles delivered.
    pub bottles: u32,
    /// The pay.
    pub pay: Cents,
}

/// Each courier's pay for one day's delivered lines, in courier order. Several lines at one
/// household are one drop.
pub fn settle(rates: RateTable, lines: &[DeliveredLine]) -> Result<Vec<CourierPay>, DairyError> {
    let mut per: BTreeMap<CourierId, (BTreeSet<HouseholdId>, u32)> = BTreeMap::new();
    for l in lines {
        let e = per.entry(l.courier).or_default();
        e.0.insert(l.household);
        e.1 = e.1.checked_add(l.bottles).ok_or(DairyError::Overflow {
            what: "bottles per courier",
        })?;
    }
    per.into_iter()
        .map(|(courier, (households, bottles))| {
            let drops = u32::try_from(households.len()).map_err(|_| DairyError::Overflow {
                what: "drops per courier",
            })?;
            let pay = rates
                .per_drop
                .checked_mul(drops, "pay per drop")?
                .checked_add(
                    rates.per_bottle.checked_mul(bottles, "pay per bottle")?,
                    "pay",
                )?;
            Ok(CourierPay {
                courier,
                drops,
                bottles,
                pay,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-checked day: courier 1 delivers 2 + 1 bottles at household 1 and 3 at
    /// household 2 (2 drops, 6 bottles: 2 × 1.20 + 6 × 0.15 = 3.30); courier 2 delivers 1
    /// bottle at household 3 (1.20 + 0.15 = 1.35).
    #[test]
    fn hand_checked_day() -> Result<(), DairyError> {
        let rates = RateTable::new(Cents(120), Cents(15))?;
        let line = |c, h, b| DeliveredLine {
            courier: CourierId(c),
            household: HouseholdId(h),
            bottles: b,
        };
        let pay = settle(
            rates,
            &[line(1, 1, 2), line(2, 3, 1), line(1, 2, 3), line(1, 1, 1)],
        )?;
        assert_eq!(
            pay,
            [
                CourierPay {
                    courier: CourierId(1),
                    drops: 2,
                    bottles: 6,
                    pay: Cents(330)
                },
                CourierPay {
                    courier: CourierId(2),
                    drops: 1,
                    bottles: 1,
                    pay: Cents(135)
                },
            ]
        );
        assert!(RateTable::new(Cents(-1), Cents(0)).is_err());
        let huge = RateTable::new(Cents(i64::MAX), Cents(0))?;
        assert!(settle(huge, &[line(1, 1, 1), line(1, 2, 1)]).is_err());
        Ok(())
    }
}
