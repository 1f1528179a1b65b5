//! Time of day as text (`HH:MM:SS`), written and read by the event files of `io`.
//!
//! Private to the event-file format of `io`: the crate's outcomes carry seconds, never
//! text, and people's text comes from `milkrun_calendar::format_hms` (the same rule). It
//! is not shared from there because `milkrun-dispatch` depends on `milkrun-vrp` only.

use crate::error::MAX_TIME_S;

/// Formats seconds since midnight as `HH:MM:SS`.
pub fn hms(s: i64) -> String {
    let sign = if s < 0 { "-" } else { "" };
    let a = s.unsigned_abs();
    format!("{sign}{:02}:{:02}:{:02}", a / 3600, a / 60 % 60, a % 60)
}

/// Parses `HH:MM` or `HH:MM:SS` into seconds since midnight; hours beyond a week are
/// refused (no overflow on a long run of digits).
pub fn parse_time(tok: &str) -> Option<i64> {
    let p: Vec<&str> = tok.trim().split(':').collect();
    if !(2..=3).contains(&p.len()) {
        return None;
    }
    let mut v = [0i64; 3];
    for (k, x) in p.iter().enumerate() {
        v[k] = x.parse().ok().filter(|&n: &i64| n >= 0)?;
    }
    (v[0] <= MAX_TIME_S / 3600 && v[1] < 60 && v[2] < 60).then(|| v[0] * 3600 + v[1] * 60 + v[2])
}
