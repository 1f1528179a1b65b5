//! # milkrun-calendar
//!
//! Civil dates and times of day for every milkrun crate, written once.
//!
//! - [`Date`]: a calendar day (proleptic Gregorian, no time zone) stored as whole days since
//!   1970-01-01. Construction from year-month-day and parsing accept the years
//!   [`MIN_YEAR`]`..=`[`MAX_YEAR`] (1..=9999, the years ISO `YYYY-MM-DD` can write); date
//!   arithmetic on user input goes through [`Date::checked_add_days`], which stays in that range.
//! - [`time`]: seconds since midnight printed and parsed as `HH:MM:SS` ([`format_hms`],
//!   [`parse_hms`]), with hours past 24 for the next day and a sign for times before midnight.
//!
//! The crate is pure: no I/O, no clock, no workspace dependencies.
//!
//! ```
//! use milkrun_calendar::{format_hms, parse_hms, Date};
//!
//! let d = Date::parse_iso("2024-02-28")?;
//! assert_eq!(d.checked_add_days(1).map(|d| d.to_string()), Some("2024-02-29".into()));
//! assert_eq!(d.weekday(), 2); // a Wednesday (0 = Monday)
//! assert_eq!(parse_hms("07:30"), Some(27_000));
//! assert_eq!(format_hms(27_015), "07:30:15");
//! # Ok::<(), milkrun_calendar::DateError>(())
//! ```
#![warn(missing_docs)]

mod date;
pub mod time;

pub use date::{days_in_month, is_leap_year, Date, DateError, MAX_YEAR, MIN_YEAR};
pub use time::{format_hms, parse_hms, parse_time_of_day};
