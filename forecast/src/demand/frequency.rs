//! Regular calendar frequencies (hourly to yearly), the points of a series' calendar
//! ([`Stamp`]), stepping along it and inferring the frequency from the dates (issue #24).
//!
//! Steps: hourly, daily and weekly series step a fixed number of hours or days. Monthly,
//! quarterly and yearly series step 1, 3 or 12 calendar months and keep an **anchor day**:
//! the day of the month of every value is the anchor clamped to the month's length, so a
//! series on the 31st goes 2024-01-31, 2024-02-29, 2024-03-31, 2024-04-30.
//!
//! Timestamps: hourly data need a time of day. The CSV date cell is `YYYY-MM-DD` optionally
//! followed by `T` or a space and `HH`, `HH:MM` or `HH:MM:SS`; minutes and seconds must be
//! zero (whole hours). Hourly output dates are written `YYYY-MM-DDTHH:00`; all other
//! frequencies write `YYYY-MM-DD`.
//!
//! Inference ([`infer`]) from a series' sorted, distinct stamps (a date without a time is
//! midnight):
//! 1. one value: daily;
//! 2. smallest step under a day: hourly;
//! 3. smallest step exactly one day: daily;
//! 4. smallest step exactly one week: weekly;
//! 5. every date on one anchored month grid (see [`anchor_day`]), at one time of day: monthly
//!    when the smallest step is one month, yearly when every step is a multiple of 12
//!    months, quarterly when every step is a multiple of 3 months;
//! 6. every step a whole number of weeks: weekly (with gaps).
//!
//! Anything else is an error naming the series; the caller may then give the frequency.
//! Rule 5 comes before 6 because quarters can be whole weeks apart (2024-01-01, 2024-04-01
//! and 2024-07-01 are 13 weeks apart each).
use super::date::Date;
use milkrun_calendar::days_in_month;

/// The most values a season may hold ([`crate::demand::ForecastConfig::validate`] refuses a
/// longer `season_length`): a year of daily values, a week of hourly ones, with room to spare.
pub const MAX_SEASON_LENGTH: usize = 1_000;

/// The step between consecutive values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// One value per hour (timestamps with a whole hour).
    Hourly,
    /// One value per day.
    Daily,
    /// One value per week (dates 7 days apart).
    Weekly,
    /// One value per calendar month, on an anchor day.
    Monthly,
    /// One value per three calendar months, on an anchor day.
    Quarterly,
    /// One value per year, on an anchor month and day.
    Yearly,
}

/// How a frequency steps along the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A fixed number of hours.
    Hours(u32),
    /// A fixed number of days.
    Days(u32),
    /// A number of calendar months, on the anchor day.
    Months(u32),
}

impl Frequency {
    /// Every frequency, shortest step first.
    pub const ALL: [Frequency; 6] = [
        Frequency::Hourly,
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Yearly,
    ];

    /// Parses a frequency name (`hourly`, `daily`, `weekly`, `monthly`, `quarterly`, `yearly`;
    /// also `h`, `d`, `w`, `m`, `q`, `y`), case-insensitively.
    pub fn parse(name: &str) -> Option<Frequency> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "hourly" | "h" | "hour" => Frequency::Hourly,
            "daily" | "d" | "day" => Frequency::Daily,
            "weekly" | "w" | "week" => Frequency::Weekly,
            "monthly" | "m" | "month" => Frequency::Monthly,
            "quarterly" | "q" | "quarter" => Frequency::Quarterly,
            "yearly" | "y" | "year" | "annual" => Frequency::Yearly,
            _ => return None,
        })
    }

    /// The lower-case name [`Frequency::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Frequency::Hourly => "hourly",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }

    /// The calendar step.
    pub fn step(self) -> Step {
        match self {
            Frequency::Hourly => Step::Hours(1),
            Frequency::Daily => Step::Days(1),
            Frequency::Weekly => Step::Days(7),
            Frequency::Monthly => Step::Months(1),
            Frequency::Quarterly => Step::Months(3),
            Frequency::Yearly => Step::Months(12),
        }
    }

    /// The default season length: 24 hourly (daily pattern), 7 daily (weekly pattern), 52
    /// weekly, 12 monthly, 4 quarterly (yearly pattern), 1 yearly (none).
    pub fn default_season(self) -> usize {
        match self {
            Frequency::Hourly => 24,
            Frequency::Daily => 7,
            Frequency::Weekly => 52,
            Frequency::Monthly => 12,
            Frequency::Quarterly => 4,
            Frequency::Yearly => 1,
        }
    }

    /// The second season of the frequency where it has one: 168 for hourly data (the weekly
    /// pattern). The MSTL candidate of the automatic choice takes it beside the default season
    /// ([`crate::demand::models::mstl`]).
    pub fn second_season(self) -> Option<usize> {
        (self == Frequency::Hourly).then_some(168)
    }

    /// An absolute period number of a stamp on this frequency's calendar (hours, days or
    /// weeks since 1970-01-01, months or quarters since year 0, or the year), used to place
    /// series of one frequency on a common axis. Weeks start on the epoch's weekday, so two
    /// weekly series a few days apart may share a number.
    pub fn period_number(self, s: Stamp) -> i64 {
        let days = i64::from(s.date.0);
        match self {
            Frequency::Hourly => days * 24 + i64::from(s.hour.unwrap_or(0)),
            Frequency::Daily => days,
            Frequency::Weekly => days.div_euclid(7),
            Frequency::Monthly => month_index(s.date),
            Frequency::Quarterly => month_index(s.date).div_euclid(3),
            Frequency::Yearly => i64::from(s.date.ymd().0),
        }
    }
}

impl std::fmt::Display for Frequency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A point of a series' calendar: a civil date and, for hourly data, the hour of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// The civil date.
    pub date: Date,
    /// Hour of the day, 0..=23; `None` for a date without a time (midnight).
    pub hour: Option<u8>,
}

impl Stamp {
    /// A date without a time of day.
    pub fn day(date: Date) -> Stamp {
        Stamp { date, hour: None }
    }

    /// Hours since 1970-01-01 00:00 (a date alone is midnight).
    pub fn hours(self) -> i64 {
        i64::from(self.date.0) * 24 + i64::from(self.hour.unwrap_or(0))
    }

    /// Parses `YYYY-MM-DD` optionally followed by `T` or a space and `HH`, `HH:MM` or
    /// `HH:MM:SS` with zero minutes and seconds. The error says what is wrong.
    pub fn parse(text: &str) -> Result<Stamp, StampError> {
        let t = text.trim();
        let (day, time) = match t.find(['T', ' ']) {
            Some(k) => (&t[..k], Some(t[k + 1..].trim())),
            None => (t, None),
        };
        let date = Date::parse_iso(day).map_err(StampError::Date)?;
        let Some(time) = time else {
            return Ok(Stamp::day(date));
        };
        let mut parts = time.split(':');
        let mut field = |name: &'static str, max: u8, required: bool| -> Result<u8, StampError> {
            match parts.next() {
                None if !required => Ok(0),
                None => Err(StampError::Time(format!("no {name}"))),
                Some(p) => {
                    let v: u8 = p
                        .parse()
                        .ok()
                        .filter(|v| *v <= max && p.len() == 2)
                        .ok_or_else(|| StampError::Time(format!("bad {name} `{p}`")))?;
                    Ok(v)
                }
            }
        };
        let hour = field("hour", 23, true)?;
        let minute = field("minute", 59, false)?;
        let second = field("second", 59, false)?;
        if parts.next().is_some() {
            return Err(StampError::Time(
                "more than hours, minutes and seconds".into(),
            ));
        }
        if minute != 0 || second != 0 {
            return Err(StampError::Time(
                "not a whole hour (minutes and seconds must be 00)".into(),
            ));
        }
        Ok(Stamp {
            date,
            hour: Some(hour),
        })
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.hour {
            Some(h) => write!(f, "{}T{h:02}:00", self.date),
            None => write!(f, "{}", self.date),
        }
    }
}

/// Why a date cell is not a [`Stamp`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StampError {
    /// The date part is not a calendar date.
    #[error("{0}")]
    Date(milkrun_calendar::DateError),
    /// The time part is not a whole hour.
    #[error("time of day: {0}")]
    Time(String),
}

/// Months since January of year 0 (`year * 12 + month - 1`).
pub fn month_index(d: Date) -> i64 {
    let (y, m, _) = d.ymd();
    i64::from(y) * 12 + i64::from(m) - 1
}

/// The date in month `index` (see [`month_index`]) on day `anchor` clamped to the month's
/// length; `None` outside years 1..=9999.
pub fn month_date(index: i64, anchor: u32) -> Option<Date> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    Date::from_ymd(
        year,
        month,
        anchor.clamp(1, 31).min(days_in_month(year, month)),
    )
}

/// A series' calendar: its frequency, first stamp and anchor day (month steps only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// The frequency.
    pub freq: Frequency,
    /// Stamp of the first value (with an hour exactly when the frequency is hourly).
    pub start: Stamp,
    /// Day of the month (1..=31) of the month-step frequencies, clamped per month.
    pub anchor: u8,
}

impl Grid {
    /// The grid starting at `start`, anchored on its day of the month (a series built from
    /// rows is anchored on the largest day of its dates instead, see [`infer`]). The hour is
    /// kept for hourly data (midnight if absent) and dropped otherwise.
    pub fn new(freq: Frequency, start: Stamp) -> Grid {
        let anchor = u8::try_from(start.date.ymd().2).unwrap_or(1);
        Grid::anchored(freq, start, anchor)
    }

    /// [`Grid::new`] with a given anchor day (clamped to 1..=31).
    pub fn anchored(freq: Frequency, start: Stamp, anchor: u8) -> Grid {
        let hour = (freq == Frequency::Hourly).then_some(start.hour.unwrap_or(0));
        Grid {
            freq,
            start: Stamp {
                date: start.date,
                hour,
            },
            anchor: anchor.clamp(1, 31),
        }
    }

    /// Stamp of step `i` (0 = start); `None` past 9999-12-31.
    pub fn stamp_at(&self, i: usize) -> Option<Stamp> {
        let i = i64::try_from(i).ok()?;
        match self.freq.step() {
            Step::Hours(k) => {
                let h = self
                    .start
                    .hours()
                    .checked_add(i.checked_mul(i64::from(k))?)?;
                let date = Date::EPOCH.checked_add_days(h.div_euclid(24))?;
                Some(Stamp {
                    date,
                    hour: Some(u8::try_from(h.rem_euclid(24)).ok()?),
                })
            }
            Step::Days(k) => Some(Stamp::day(
                self.start
                    .date
                    .checked_add_days(i.checked_mul(i64::from(k))?)?,
            )),
            Step::Months(k) => {
                let idx = month_index(self.start.date).checked_add(i.checked_mul(i64::from(k))?)?;
                Some(Stamp::day(month_date(idx, u32::from(self.anchor))?))
            }
        }
    }

    /// Number of steps from stamp `a` to stamp `b` (negative when `b` is earlier), or `None`
    /// when `b` is not on the grid through `a`: another time of day, a day between two steps,
    /// or (month steps) not the anchor day.
    pub fn steps_between(&self, a: Stamp, b: Stamp) -> Option<i64> {
        let same_time = a.hour.unwrap_or(0) == b.hour.unwrap_or(0);
        match self.freq.step() {
            Step::Hours(k) => {
                let d = b.hours() - a.hours();
                (d % i64::from(k) == 0).then_some(d / i64::from(k))
            }
            Step::Days(k) => {
                let d = b.date.days_since(a.date);
                (same_time && d % i64::from(k) == 0).then_some(d / i64::from(k))
            }
            Step::Months(k) => {
                let on_anchor = |d: Date| {
                    let (y, m, day) = d.ymd();
                    day == u32::from(self.anchor).min(days_in_month(y, m))
                };
                let d = month_index(b.date) - month_index(a.date);
                (same_time && on_anchor(a.date) && on_anchor(b.date) && d % i64::from(k) == 0)
                    .then_some(d / i64::from(k))
            }
        }
    }
}

/// The anchor day of a month-step series with sorted dates: the largest day of the month
/// among them (a series on the 31st also holds the 30th, 29th or 28th), unless the first date
/// is not on that anchor's grid, then the first date's day (so that the error points at the
/// later date off the grid).
pub fn anchor_day(stamps: &[Stamp]) -> u8 {
    let day = |s: &Stamp| u8::try_from(s.date.ymd().2).unwrap_or(1);
    let Some(first) = stamps.first() else {
        return 1;
    };
    let max = stamps.iter().map(day).max().unwrap_or(1);
    let (y, m, d) = first.date.ymd();
    if d == u32::from(max).min(days_in_month(y, m)) {
        max
    } else {
        day(first)
    }
}

/// Why [`infer`] found no frequency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFrequency(pub String);

/// Infers the frequency and the anchor day of sorted, distinct stamps by the rule of the
/// module doc. The error says what was seen.
pub fn infer(stamps: &[Stamp]) -> Result<(Frequency, u8), NoFrequency> {
    let anchor = anchor_day(stamps);
    let diffs: Vec<i64> = stamps
        .windows(2)
        .map(|w| w[1].hours() - w[0].hours())
        .collect();
    let Some(&min) = diffs.iter().min() else {
        return Ok((Frequency::Daily, anchor));
    };
    if min < 24 {
        return Ok((Frequency::Hourly, anchor));
    }
    if min == 24 {
        return Ok((Frequency::Daily, anchor));
    }
    let weeks = diffs.iter().all(|d| d % (7 * 24) == 0);
    if min == 7 * 24 && weeks {
        return Ok((Frequency::Weekly, anchor));
    }
    let grid = Grid::anchored(Frequency::Monthly, stamps[0], anchor);
    let months: Option<Vec<i64>> = stamps
        .windows(2)
        .map(|w| grid.steps_between(w[0], w[1]))
        .collect();
    let seen = || format!("smallest step is {} hours ({} days)", min, min / 24);
    let Some(months) = months.filter(|m| m.iter().all(|k| *k > 0)) else {
        if weeks {
            return Ok((Frequency::Weekly, anchor));
        }
        return Err(NoFrequency(format!(
            "{}; the dates are neither a whole number of days nor of months on day {anchor} apart",
            seen()
        )));
    };
    let min_m = months.iter().copied().min().unwrap_or(1);
    let freq = if min_m == 1 {
        Frequency::Monthly
    } else if months.iter().all(|m| m % 12 == 0) {
        Frequency::Yearly
    } else if months.iter().all(|m| m % 3 == 0) {
        Frequency::Quarterly
    } else if weeks {
        Frequency::Weekly
    } else {
        return Err(NoFrequency(format!(
            "smallest step is {min_m} months, not 1, 3 or 12"
        )));
    };
    Ok((freq, anchor))
}
