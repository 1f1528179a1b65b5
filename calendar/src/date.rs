//! Calendar dates as whole days since 1970-01-01 (proleptic Gregorian), no time zone.
use std::fmt;

/// The first year [`Date::from_ymd`] and the parsers accept.
pub const MIN_YEAR: i32 = 1;
/// The last year [`Date::from_ymd`] and the parsers accept.
pub const MAX_YEAR: i32 = 9999;

/// A calendar day, stored as the number of days since 1970-01-01 (negative before).
///
/// The valid range is [`Date::MIN`] (0001-01-01) to [`Date::MAX`] (9999-12-31): the
/// constructors from a year, month and day, the parsers and [`Date::checked_add_days`] only
/// produce dates in it. The day count is public for callers that need a sentinel or raw
/// arithmetic; every method is still correct (and never panics) for any `i32`, so a date
/// outside the range prints with a year of more than four digits or a sign, and
/// [`Date::is_valid`] tells it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

/// Why a text or a year-month-day is not a date in the valid range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text does not have the expected shape.
    #[error("`{text}` is not a date: expected {expected}")]
    Format {
        /// The text, trimmed.
        text: String,
        /// The accepted shapes, e.g. `YYYY-MM-DD`.
        expected: &'static str,
    },
    /// The year lies outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    #[error("year {year} is outside {MIN_YEAR}..={MAX_YEAR}")]
    Year {
        /// The year given.
        year: i32,
    },
    /// The month lies outside 1..=12.
    #[error("month {month} is outside 1..=12")]
    Month {
        /// The month given.
        month: u32,
    },
    /// The day does not exist in that month.
    #[error("day {day} does not exist in {year:04}-{month:02}")]
    Day {
        /// The year given.
        year: i32,
        /// The month given.
        month: u32,
        /// The day given.
        day: u32,
    },
}

impl Date {
    /// 0001-01-01, the first date in the valid range.
    pub const MIN: Date = Date(-719_162);
    /// 9999-12-31, the last date in the valid range.
    pub const MAX: Date = Date(2_932_896);
    /// 1970-01-01.
    pub const EPOCH: Date = Date(0);

    /// The date of a year, month (1..=12) and day (1..=days in that month), with an error
    /// naming the part that is wrong.
    pub fn try_from_ymd(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::Year { year });
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month { month });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day { year, month, day });
        }
        // The year range keeps the day count far inside i32.
        Ok(Date(days_from_civil(year, month, day) as i32))
    }

    /// The date of a year, month and day; `None` when it does not exist or the year lies
    /// outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        Date::try_from_ymd(year, month, day).ok()
    }

    /// The date `days` days after 1970-01-01 (before when negative). Any `i32` is accepted;
    /// see [`Date::is_valid`].
    pub fn from_days_since_epoch(days: i32) -> Date {
        Date(days)
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// Whether the date lies in [`Date::MIN`]..=[`Date::MAX`].
    pub fn is_valid(self) -> bool {
        (Date::MIN..=Date::MAX).contains(&self)
    }

    /// Whole days from `earlier` to `self` (negative when `self` is before `earlier`).
    pub fn days_since(self, earlier: Date) -> i64 {
        i64::from(self.0) - i64::from(earlier.0)
    }

    /// The date `days` later (earlier when negative), or `None` when it would leave
    /// [`Date::MIN`]..=[`Date::MAX`].
    pub fn checked_add_days(self, days: i64) -> Option<Date> {
        let d = i64::from(self.0).checked_add(days)?;
        let d = Date(i32::try_from(d).ok()?);
        d.is_valid().then_some(d)
    }

    /// The date `days` later (earlier when negative), saturating at the ends of `i32` day
    /// counts. For dates computed from other valid dates with small offsets (calendar
    /// features); use [`Date::checked_add_days`] for offsets that come from input.
    pub fn add_days(self, days: i32) -> Date {
        Date(self.0.saturating_add(days))
    }

    /// Parses `YYYY-MM-DD` (surrounding spaces allowed); `None` when it is not a date in the
    /// valid range. [`Date::parse_iso`] says why.
    pub fn parse(text: &str) -> Option<Date> {
        Date::parse_iso(text).ok()
    }

    /// Parses the ISO 8601 extended form `YYYY-MM-DD` (four-digit year, two-digit month and
    /// day, surrounding spaces allowed), with an error saying what is wrong.
    pub fn parse_iso(text: &str) -> Result<Date, DateError> {
        const EXPECTED: &str = "YYYY-MM-DD";
        let t = text.trim();
        let b = t.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(format_error(t, EXPECTED));
        }
        ymd_digits(t, [(0, 4), (5, 7), (8, 10)]).ok_or_else(|| format_error(t, EXPECTED))?
    }

    /// Parses `YYYY-MM-DD` or the ISO 8601 basic form `YYYYMMDD` (surrounding spaces allowed).
    pub fn parse_iso_or_basic(text: &str) -> Result<Date, DateError> {
        const EXPECTED: &str = "YYYY-MM-DD or YYYYMMDD";
        let t = text.trim();
        if t.len() == 8 {
            return ymd_digits(t, [(0, 4), (4, 6), (6, 8)])
                .ok_or_else(|| format_error(t, EXPECTED))?;
        }
        Date::parse_iso(t).map_err(|e| match e {
            DateError::Format { text, .. } => DateError::Format {
                text,
                expected: EXPECTED,
            },
            other => other,
        })
    }

    /// Year, month (1..=12) and day of month. Exact for every `i32` day count.
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(i64::from(self.0));
        // |days| < 2^31 keeps the year within ±5.9 million.
        (y as i32, m, d)
    }

    /// Day of the week, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    pub fn weekday(self) -> u32 {
        (i64::from(self.0) + 3).rem_euclid(7) as u32
    }

    /// Day of the year, 0-based (0 = 1 January).
    pub fn day_of_year(self) -> u32 {
        let (y, _, _) = self.ymd();
        let jan1 = days_from_civil(y, 1, 1);
        (i64::from(self.0) - jan1) as u32
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`; years outside 0..=9999 print with more digits or a sign.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;

    /// Same as [`Date::parse_iso`].
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse_iso(s)
    }
}

fn format_error(text: &str, expected: &'static str) -> DateError {
    // Keep the message short when the text is long.
    let text: String = text.chars().take(40).collect();
    DateError::Format { text, expected }
}

/// Reads year, month and day from ASCII-digit byte ranges of `t`; `None` on any non-digit.
fn ymd_digits(t: &str, at: [(usize, usize); 3]) -> Option<Result<Date, DateError>> {
    let mut v = [0u32; 3];
    for (k, &(a, b)) in at.iter().enumerate() {
        let part = t.get(a..b)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        v[k] = part.parse().ok()?;
    }
    // At most four digits: the year fits in i32.
    Some(Date::try_from_ymd(v[0] as i32, v[1], v[2]))
}

/// Whether `year` has 29 February (proleptic Gregorian).
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month (1..=12) of a year; 0 for a month outside 1..=12.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`), in i64 so that no
/// `i32` year overflows.
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count (H. Hinnant's `civil_from_days`), in i64.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The epoch, the range ends and their constants agree.
    #[test]
    fn epoch_and_range_ends() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(Date::EPOCH));
        assert_eq!(Date::from_ymd(1, 1, 1), Some(Date::MIN));
        assert_eq!(Date::from_ymd(9999, 12, 31), Some(Date::MAX));
        assert_eq!(Date::MIN.to_string(), "0001-01-01");
        assert_eq!(Date::MAX.to_string(), "9999-12-31");
        assert_eq!(Date::EPOCH.weekday(), 3);
        assert_eq!(
            Date::try_from_ymd(0, 12, 31),
            Err(DateError::Year { year: 0 })
        );
        assert_eq!(
            Date::try_from_ymd(10_000, 1, 1),
            Err(DateError::Year { year: 10_000 })
        );
        assert_eq!(Date::MAX.checked_add_days(1), None);
        assert_eq!(Date::MIN.checked_add_days(-1), None);
        assert_eq!(Date::MIN.checked_add_days(i64::MAX), None);
        assert_eq!(Date::EPOCH.checked_add_days(i64::MIN), None);
        assert_eq!(
            Date::MIN.checked_add_days(Date::MAX.days_since(Date::MIN)),
            Some(Date::MAX)
        );
    }

    /// Leap years: every fourth, not centuries, but every fourth century.
    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(1600));
        assert!(!is_leap_year(1900) && !is_leap_year(2023) && !is_leap_year(2100));
        assert!(Date::parse("2000-02-29").is_some());
        assert!(Date::parse("2024-02-29").is_some());
        assert_eq!(
            Date::parse_iso("1900-02-29"),
            Err(DateError::Day {
                year: 1900,
                month: 2,
                day: 29
            })
        );
        let feb28 = Date::from_ymd(2024, 2, 28);
        assert_eq!(
            feb28.and_then(|d| d.checked_add_days(2)),
            Date::from_ymd(2024, 3, 1)
        );
        assert_eq!(
            Date::from_ymd(2024, 12, 31).map(Date::day_of_year),
            Some(365)
        );
        assert_eq!(
            Date::from_ymd(2023, 12, 31).map(Date::day_of_year),
            Some(364)
        );
    }

    /// Malformed or impossible strings are refused with the reason.
    #[test]
    fn bad_strings() {
        for bad in [
            "",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "+024-01-01",
            "2024-01-0a",
            "2024-01-01T00",
            "２０２４-01-01",
            "20240101",
        ] {
            assert!(
                matches!(Date::parse_iso(bad), Err(DateError::Format { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            Date::parse_iso("2024-13-01"),
            Err(DateError::Month { month: 13 })
        );
        assert_eq!(
            Date::parse_iso("0000-01-01"),
            Err(DateError::Year { year: 0 })
        );
        assert!(Date::parse_iso(" 2024-01-01 ").is_ok());
        let long = "x".repeat(10_000);
        let msg = Date::parse_iso(&long).map_err(|e| e.to_string());
        assert!(msg.is_err_and(|m| m.len() < 120));
    }

    /// The basic form `YYYYMMDD` is read by the lenient parser only.
    #[test]
    fn basic_form() {
        assert_eq!(
            Date::parse_iso_or_basic("19970101").map(|d| d.to_string()),
            Ok("1997-01-01".into())
        );
        assert_eq!(
            Date::parse_iso_or_basic("1997-01-01"),
            Date::parse_iso("1997-01-01")
        );
        assert!(matches!(
            Date::parse_iso_or_basic("1997011"),
            Err(DateError::Format {
                expected: "YYYY-MM-DD or YYYYMMDD",
                ..
            })
        ));
        assert_eq!(
            Date::parse_iso_or_basic("19970230"),
            Err(DateError::Day {
                year: 1997,
                month: 2,
                day: 30
            })
        );
    }

    /// Every method is total on the whole i32 day range, beyond the valid range.
    #[test]
    fn total_beyond_the_range() {
        for d in [Date(i32::MIN), Date(i32::MAX), Date(i32::MIN + 1)] {
            let (_, m, day) = d.ymd();
            assert!((1..=12).contains(&m) && (1..=31).contains(&day));
            assert!(d.weekday() < 7 && d.day_of_year() < 366);
            assert!(!d.is_valid());
            assert!(!d.to_string().is_empty());
        }
        assert_eq!(Date(i32::MAX).add_days(1), Date(i32::MAX));
        assert_eq!(Date(i32::MIN).add_days(-1), Date(i32::MIN));
        assert_eq!(
            Date(i32::MAX).days_since(Date(i32::MIN)),
            i64::from(u32::MAX)
        );
    }

    /// Consecutive days step through the calendar one day and one weekday at a time.
    #[test]
    fn consecutive_days() {
        let mut prev = Date::MIN;
        let mut d = Date::MIN.checked_add_days(1);
        while let Some(cur) = d {
            let (py, pm, pd) = prev.ymd();
            let (y, m, dd) = cur.ymd();
            let next_day = (y, m, dd) == (py, pm, pd + 1);
            let next_month = dd == 1 && pd == days_in_month(py, pm) && (y, m) == (py, pm + 1);
            let next_year = (y, m, dd) == (py + 1, 1, 1) && (pm, pd) == (12, 31);
            assert!(next_day || next_month || next_year, "{prev} -> {cur}");
            assert_eq!(cur.weekday(), (prev.weekday() + 1) % 7);
            prev = cur;
            d = cur.checked_add_days(1);
        }
        assert_eq!(prev, Date::MAX);
    }
}
