//! The tenant's cut-off: a change to a day's delivery is accepted only before a time on a day
//! at or before it (e.g. 20:00 the day before).
use milkrun_calendar::{format_hms, Date};

use crate::error::{invalid, DairyError};

/// A point in time in the tenant's local calendar: a date and seconds since its midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment {
    /// The day.
    pub date: Date,
    /// Seconds since that day's midnight, 0..86,400.
    pub second_of_day: i64,
}

impl Moment {
    /// A checked moment.
    pub fn new(date: Date, second_of_day: i64) -> Result<Moment, DairyError> {
        if !(0..86_400).contains(&second_of_day) {
            return Err(invalid("now.second_of_day", "must be 0..86400"));
        }
        Ok(Moment {
            date,
            second_of_day,
        })
    }
}

/// Changes to day `D` close at `at_s` seconds after midnight of day `D - days_before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutOff {
    /// Days before the delivery day (0..=7).
    pub days_before: u32,
    /// Seconds since midnight on that day (0..86,400).
    pub at_s: i64,
}

impl CutOff {
    /// A checked cut-off.
    pub fn new(days_before: u32, at_s: i64) -> Result<CutOff, DairyError> {
        if days_before > 7 {
            return Err(invalid("cutoff.days_before", "must be 0..=7"));
        }
        if !(0..86_400).contains(&at_s) {
            return Err(invalid("cutoff.at_s", "must be 0..86400"));
        }
        Ok(CutOff { days_before, at_s })
    }

    /// The moment changes to `date` close (a change at that moment is already late).
    pub fn deadline(self, date: Date) -> Moment {
        Moment {
            date: date.add_days(-(self.days_before as i32)),
            second_of_day: self.at_s,
        }
    }

    /// The first day a change made at `now` can still touch.
    pub fn first_open_date(self, now: Moment) -> Date {
        let later = i32::from(now.second_of_day >= self.at_s);
        now.date.add_days(self.days_before as i32 + later)
    }

    /// `Ok` when a change to `date` made at `now` is in time; otherwise the error says when
    /// the cut-off was and from which date a change made now applies.
    pub fn check(self, now: Moment, date: Date) -> Result<(), DairyError> {
        let deadline = self.deadline(date);
        if now < deadline {
            return Ok(());
        }
        Err(DairyError::LateChange {
            date,
            deadline_date: deadline.date,
            deadline_hms: format_hms(deadline.second_of_day),
            applies_from: self.first_open_date(now),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// With a cut-off at 20:00 the day before, 19:59:59 is in time, 20:00:00 is late, and the
    /// error says the change would apply from the day after.
    #[test]
    fn just_before_and_just_after() -> TestResult {
        let cut = CutOff::new(1, 20 * 3600)?;
        let day = Date::parse_iso("2028-03-01")?;
        let eve = Date::parse_iso("2028-02-29")?;
        assert_eq!(cut.check(Moment::new(eve, 20 * 3600 - 1)?, day), Ok(()));
        let late = cut.check(Moment::new(eve, 20 * 3600)?, day);
        assert_eq!(
            late,
            Err(DairyError::LateChange {
                date: day,
                deadline_date: eve,
                deadline_hms: "20:00:00".into(),
                applies_from: Date::parse_iso("2028-03-02")?,
            })
        );
        let msg = late.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("applies from 2028-03-02"), "{msg}");
        Ok(())
    }

    /// A same-day cut-off (days_before 0) closes at its hour on the day itself.
    #[test]
    fn same_day_cutoff() -> TestResult {
        let cut = CutOff::new(0, 6 * 3600)?;
        let day = Date::parse_iso("2028-12-31")?;
        assert!(cut.check(Moment::new(day, 5 * 3600)?, day).is_ok());
        assert!(cut.check(Moment::new(day, 6 * 3600)?, day).is_err());
        assert_eq!(
            cut.first_open_date(Moment::new(day, 6 * 3600)?),
            Date::parse_iso("2029-01-01")?
        );
        assert!(CutOff::new(8, 0).is_err() && CutOff::new(1, 86_400).is_err());
        Ok(())
    }

    proptest::proptest! {
        /// A change to a day is in time exactly when the day is on or after the first open
        /// day, for any cut-off and any moment.
        #[test]
        fn check_agrees_with_first_open_date(days_before in 0u32..=7, at_s in 0i64..86_400,
                                             now_day in 0i32..60, now_s in 0i64..86_400,
                                             offset in -3i32..12) {
            let cut = CutOff::new(days_before, at_s).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let base = Date::from_ymd(2028, 2, 1).unwrap_or(Date::EPOCH);
            let now = Moment { date: base.add_days(now_day), second_of_day: now_s };
            let day = now.date.add_days(offset);
            proptest::prop_assert_eq!(cut.check(now, day).is_ok(), day >= cut.first_open_date(now));
        }
    }
}
