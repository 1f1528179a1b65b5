//! Calendar features of dates (holidays); the [`Date`] type itself is `milkrun_calendar::Date`.
use milkrun_calendar::days_in_month;
pub use milkrun_calendar::Date;

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
