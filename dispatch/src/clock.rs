//! Time of day as text (`HH:MM:SS`), for the event files and for people.
//!
//! It moves to the calendar crate; the library's outcomes carry seconds, never text.

/// Formats seconds since midnight as `HH:MM:SS`.
pub fn hms(s: i64) -> String {
    let sign = if s < 0 { "-" } else { "" };
    let a = s.unsigned_abs();
    format!("{sign}{:02}:{:02}:{:02}", a / 3600, a / 60 % 60, a % 60)
}
