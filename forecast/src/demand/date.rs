//! Calendar dates as whole days since 1970-01-01 (proleptic Gregorian), no time zone.
use std::fmt;

/// A calendar date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

impl Date {
    /// The date of a year, month (1-12) and day (1-31); `None` when it does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Days from civil (H. Hinnant's algorithm).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// Parses `YYYY-MM-DD` (surrounding spaces allowed).
    pub fn parse(text: &str) -> Option<Date> {
        let t = text.trim();
        let b = t.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = t[0..4].parse().ok()?;
        let month: u32 = t[5..7].parse().ok()?;
        let day: u32 = t[8..10].parse().ok()?;
        Date::from_ymd(year, month, day)
    }

    /// Year, month (1-12) and day (1-31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// Day of the week, 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        (self.0 + 3).rem_euclid(7) as u32
    }

    /// Day of the year, 0-based (0 = 1 January).
    pub fn day_of_year(self) -> u32 {
        let (y, _, _) = self.ymd();
        let jan1 = Date::from_ymd(y, 1, 1).map_or(self.0, |d| d.0);
        (self.0 - jan1) as u32
    }

    /// The date `days` later (earlier when negative).
    pub fn add_days(self, days: i32) -> Date {
        Date(self.0 + days)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// `n`-th given weekday (0 = Monday) of a month, 1-based `n`; `n = 0` means the last one.
fn nth_weekday(year: i32, month: u32, weekday: u32, n: u32) -> Option<Date> {
    if n == 0 {
        let last = Date::from_ymd(year, month, days_in_month(year, month))?;
        let back = (last.weekday() + 7 - weekday) % 7;
        return Some(last.add_days(-(back as i32)));
    }
    let first = Date::from_ymd(year, month, 1)?;
    let ahead = (weekday + 7 - first.weekday()) % 7;
    Some(first.add_days((ahead + 7 * (n - 1)) as i32))
}

/// Whether a date is a US federal holiday that moves demand (New Year, Memorial Day,
/// Independence Day, Labor Day, Thanksgiving, Christmas), on its calendar day.
/// Used as a calendar feature by the regression model.
pub fn is_us_holiday(date: Date) -> bool {
    let (y, m, d) = date.ymd();
    if (m == 1 && d == 1) || (m == 7 && d == 4) || (m == 12 && d == 25) {
        return true;
    }
    let memorial = nth_weekday(y, 5, 0, 0);
    let labor = nth_weekday(y, 9, 0, 1);
    let thanks = nth_weekday(y, 11, 3, 4);
    [memorial, labor, thanks].contains(&Some(date))
}

/// Whether a date sits in the Christmas to New Year week (24 December to 1 January), when daily
/// demand of commuters and shops departs from its usual weekly pattern.
pub fn is_year_end(date: Date) -> bool {
    let (_, m, d) = date.ymd();
    (m == 12 && d >= 24) || (m == 1 && d == 1)
}
