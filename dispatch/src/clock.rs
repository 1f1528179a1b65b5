//! Time of day as text (`HH:MM:SS`), for the event files and for people.
//!
//! Private to the event-file format of `io`: the crate's outcomes carry seconds, never
//! text, and people's text comes from `milkrun_calendar::format_hms` (the same rule). It
//! is not shared from there because `milkrun-dispatch` depends on `milkrun-vrp` only.

/// Formats seconds since midnight as `HH:MM:SS`.
pub fn hms(s: i64) -> String {
    let sign = if s < 0 { "-" } else { "" };
    let a = s.unsigned_abs();
    format!("{sign}{:02}:{:02}:{:02}", a / 3600, a / 60 % 60, a % 60)
}
