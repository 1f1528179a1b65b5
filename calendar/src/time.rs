//! Times of day as whole seconds since midnight, printed and parsed as `HH:MM:SS`.
//!
//! A time of day in milkrun is an `i64` of seconds since the midnight that starts the service
//! day. Values of 24 h or more are later days (`25:00:00` is 1 am the next day) and negative
//! values are before midnight: both are printed with hours past 23 or a leading `-`, never
//! wrapped around the clock.

/// Prints seconds since midnight as `HH:MM:SS`.
///
/// Hours are not wrapped: 90,000 s prints as `25:00:00`. A negative value prints with a
/// leading minus sign on its absolute value (`-00:00:30` for -30). Every `i64` is accepted,
/// `i64::MIN` included.
pub fn format_hms(s: i64) -> String {
    let sign = if s < 0 { "-" } else { "" };
    let a = s.unsigned_abs();
    format!("{sign}{:02}:{:02}:{:02}", a / 3600, a / 60 % 60, a % 60)
}

/// Parses `HH:MM` or `HH:MM:SS` into seconds since midnight.
///
/// Hours have one to three digits and may exceed 23 (times on the next days, up to
/// `999:59:59`); minutes and seconds are below 60. Surrounding spaces are allowed. Signs,
/// empty parts, other characters and other shapes give `None`: negative times are printed by
/// [`format_hms`] but are not accepted as input.
pub fn parse_hms(text: &str) -> Option<i64> {
    let mut parts = [0i64; 3];
    let mut n = 0;
    for p in text.trim().split(':') {
        if n == 3 || p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts[n] = p.parse().ok()?;
        n += 1;
    }
    if n < 2 || parts[1] >= 60 || parts[2] >= 60 {
        return None;
    }
    Some(parts[0] * 3600 + parts[1] * 60 + parts[2])
}

/// Parses a clock time within one day, `HH:MM` or `HH:MM:SS` with two digits in each part
/// (`00:00` to `23:59:59`), into seconds since midnight: the strict form a person types for
/// "now" or "at". Anything else gives `None`.
pub fn parse_time_of_day(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.split(':').any(|p| p.len() != 2) {
        return None;
    }
    parse_hms(text).filter(|s| *s < 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain times, hours past a day and the two separators' shapes.
    #[test]
    fn parses_hours_minutes_and_seconds() {
        assert_eq!(parse_hms("05:30"), Some(19_800));
        assert_eq!(parse_hms(" 07:30:15 "), Some(27_015));
        assert_eq!(parse_hms("25:00"), Some(90_000));
        assert_eq!(parse_hms("999:59:59"), Some(999 * 3600 + 59 * 60 + 59));
    }

    /// Strings that are not a time are refused, not read as something else.
    #[test]
    fn refuses_bad_strings() {
        for bad in [
            "",
            "730",
            "7:61",
            "07:30:60",
            "1000:00",
            "-01:00",
            "+01:00",
            "07::00",
            "07:30:15:00",
            "a:00",
            "07:3O",
            "07 :30",
            "٠٧:٣٠",
        ] {
            assert_eq!(parse_hms(bad), None, "{bad:?}");
        }
    }

    /// Negative values and values past 24 h print without wrapping; the extremes do not
    /// overflow.
    #[test]
    fn formats_signs_and_long_days() {
        assert_eq!(format_hms(0), "00:00:00");
        assert_eq!(format_hms(27_015), "07:30:15");
        assert_eq!(format_hms(90_000), "25:00:00");
        assert_eq!(format_hms(-30), "-00:00:30");
        assert_eq!(format_hms(-3_661), "-01:01:01");
        assert!(format_hms(i64::MIN).starts_with('-'));
        assert!(format_hms(i64::MAX).ends_with(":07"));
    }

    /// Every non-negative time below 1000 h prints to a string that parses back to it.
    #[test]
    fn round_trip() {
        for s in (0..1000 * 3600).step_by(997) {
            assert_eq!(parse_hms(&format_hms(s)), Some(s));
        }
    }

    /// A clock time within one day: two digits a part, 00:00 to 23:59:59.
    #[test]
    fn time_of_day_is_strict() {
        assert_eq!(parse_time_of_day("05:00"), Some(18_000));
        assert_eq!(parse_time_of_day(" 23:59:59 "), Some(86_399));
        for bad in [
            "5:00", "24:00", "05:60", "abc", "05:00:0", "005:00", "", "05",
        ] {
            assert_eq!(parse_time_of_day(bad), None, "{bad}");
        }
    }
}
