//! Subscriptions: a household's package, its start, what was prepaid (a count of deliveries
//! or a period ending on a date), the quantity per delivery day and the weekday pattern.
use milkrun_calendar::{days_in_month, Date};

use crate::catalogue::{Package, Period};
use crate::error::{invalid, DairyError};
use crate::ids::{HouseholdId, PackageId, SubscriptionId};

/// The most units a subscription may ask for per delivery.
pub const MAX_QUANTITY: u32 = 100;

/// The weekdays a subscription delivers on: bit `w` set for weekday `w` (0 = Monday … 6 =
/// Sunday, as [`Date::weekday`]); at least one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekdayPattern(u8);

impl WeekdayPattern {
    /// Every day of the week.
    pub const DAILY: WeekdayPattern = WeekdayPattern(0x7f);

    /// A pattern from its bits; bit 7 and the empty pattern are refused.
    pub fn from_bits(bits: u8) -> Result<WeekdayPattern, DairyError> {
        if bits == 0 || bits > 0x7f {
            return Err(invalid(
                "subscription.weekdays",
                "needs 1 to 7 weekday bits (bit 0 = Monday)",
            ));
        }
        Ok(WeekdayPattern(bits))
    }

    /// A pattern from weekday numbers (0 = Monday … 6 = Sunday).
    pub fn from_days(days: &[u32]) -> Result<WeekdayPattern, DairyError> {
        let mut bits = 0u8;
        for &d in days {
            if d > 6 {
                return Err(invalid("subscription.weekdays", "weekdays are 0..=6"));
            }
            bits |= 1 << d;
        }
        WeekdayPattern::from_bits(bits)
    }

    /// The bits.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether the pattern delivers on `date`'s weekday.
    pub fn contains(self, date: Date) -> bool {
        self.0 & (1 << date.weekday()) != 0
    }
}

/// What a subscription has paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// This many deliveries; paused, skipped and postponed days do not use them up.
    Prepaid(u32),
    /// Every pattern day up to and including this date.
    Until(Date),
}

impl Term {
    /// The term a package's period gives from `start`: a count of deliveries, or the day
    /// before the same day of month `months` later (clamped to the month's last day).
    pub fn from_period(start: Date, period: Period) -> Result<Term, DairyError> {
        let Some(months) = period.months() else {
            return match period {
                Period::Deliveries(n) => Ok(Term::Prepaid(n)),
                _ => Err(invalid("package.period", "has neither months nor a count")),
            };
        };
        let (y, m, d) = start.ymd();
        let m0 = i64::from(m) - 1 + i64::from(months);
        let year = i32::try_from(i64::from(y) + m0.div_euclid(12))
            .map_err(|_| invalid("subscription.start", "the period leaves the calendar"))?;
        let month = (m0.rem_euclid(12) + 1) as u32;
        let day = d.min(days_in_month(year, month));
        let same_day = Date::try_from_ymd(year, month, day)
            .map_err(|e| invalid("subscription.start", e.to_string()))?;
        let end = same_day
            .checked_add_days(-1)
            .ok_or_else(|| invalid("subscription.start", "the period leaves the calendar"))?;
        Ok(Term::Until(end))
    }
}

/// A household's subscription to a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The subscription's id.
    pub id: SubscriptionId,
    /// The household delivered to.
    pub household: HouseholdId,
    /// The package subscribed to.
    pub package: PackageId,
    /// The first possible delivery day.
    pub start: Date,
    /// What is paid for.
    pub term: Term,
    /// Units per delivery day (1..=[`MAX_QUANTITY`]), before calendar changes.
    pub quantity: u32,
    /// The delivery weekdays.
    pub weekdays: WeekdayPattern,
}

impl Subscription {
    /// A subscription to `package` whose term follows from the package's period.
    pub fn for_package(
        id: SubscriptionId,
        household: HouseholdId,
        package: &Package,
        start: Date,
        quantity: u32,
        weekdays: WeekdayPattern,
    ) -> Result<Subscription, DairyError> {
        let term = Term::from_period(start, package.period)?;
        Subscription::new(id, household, package.id, start, term, quantity, weekdays)
    }

    /// A subscription with an explicit term, checked.
    pub fn new(
        id: SubscriptionId,
        household: HouseholdId,
        package: PackageId,
        start: Date,
        term: Term,
        quantity: u32,
        weekdays: WeekdayPattern,
    ) -> Result<Subscription, DairyError> {
        if !start.is_valid() {
            return Err(invalid("subscription.start", "outside the calendar"));
        }
        check_quantity("subscription.quantity", quantity)?;
        match term {
            Term::Prepaid(0) => return Err(invalid("subscription.term", "prepays no delivery")),
            Term::Prepaid(n) if n > crate::catalogue::MAX_PREPAID_DELIVERIES => {
                return Err(invalid("subscription.term", "prepays too many deliveries"))
            }
            Term::Until(end) if end < start || !end.is_valid() => {
                return Err(invalid("subscription.term", "ends before it starts"))
            }
            _ => {}
        }
        Ok(Subscription {
            id,
            household,
            package,
            start,
            term,
            quantity,
            weekdays,
        })
    }
}

/// Checks a quantity per delivery: 1..=[`MAX_QUANTITY`].
pub(crate) fn check_quantity(field: &'static str, quantity: u32) -> Result<(), DairyError> {
    if quantity == 0 || quantity > MAX_QUANTITY {
        return Err(invalid(field, format!("must be 1..={MAX_QUANTITY}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::EPOCH)
    }

    /// Periods end the day before the same day of month later, clamped at short months and
    /// across year ends.
    #[test]
    fn period_ends() {
        assert_eq!(
            Term::from_period(d("2028-01-31"), Period::Month),
            Ok(Term::Until(d("2028-02-28")))
        );
        assert_eq!(
            Term::from_period(d("2027-11-15"), Period::Quarter),
            Ok(Term::Until(d("2028-02-14")))
        );
        assert_eq!(
            Term::from_period(d("2028-02-29"), Period::Year),
            Ok(Term::Until(d("2029-02-27")))
        );
        assert_eq!(
            Term::from_period(d("2028-03-01"), Period::Deliveries(12)),
            Ok(Term::Prepaid(12))
        );
    }

    /// Weekday patterns read weekday numbers and refuse empty or out-of-range ones.
    #[test]
    fn weekday_patterns() {
        let p = WeekdayPattern::from_days(&[0, 2, 4]);
        assert_eq!(p.clone().map(WeekdayPattern::bits), Ok(0b10101));
        // 2028-02-28 is a Monday.
        assert!(p.is_ok_and(|p| p.contains(d("2028-02-28")) && !p.contains(d("2028-02-29"))));
        assert!(WeekdayPattern::from_days(&[]).is_err());
        assert!(WeekdayPattern::from_days(&[7]).is_err());
        assert!(WeekdayPattern::from_bits(0x80).is_err());
    }

    /// Bad quantities and terms are refused with the field named.
    #[test]
    fn bad_subscriptions() {
        let mk = |term, q| {
            Subscription::new(
                SubscriptionId(1),
                HouseholdId(1),
                PackageId(1),
                d("2028-01-01"),
                term,
                q,
                WeekdayPattern::DAILY,
            )
        };
        assert!(mk(Term::Prepaid(5), 2).is_ok());
        assert!(matches!(
            mk(Term::Prepaid(5), 0),
            Err(DairyError::Invalid {
                field: "subscription.quantity",
                ..
            })
        ));
        assert!(matches!(
            mk(Term::Until(d("2027-12-31")), 1),
            Err(DairyError::Invalid {
                field: "subscription.term",
                ..
            })
        ));
        assert!(mk(Term::Prepaid(0), 1).is_err());
    }
}
