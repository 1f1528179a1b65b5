//! Validated parsers of the command line's numbers, shared by every subcommand, so hostile
//! input (`--seconds 1e20`, `inf`, `NaN`, `-1`, `--couriers 1000000000`) is refused before
//! any work with an error that names the option (clap prefixes the message with the option)
//! instead of a panic, a silent 0 or a run that never ends.
//!
//! Documented maxima: durations at most [`MAX_SECONDS`] (7 days); counts as each option
//! states.

/// Longest duration any option takes, seconds (7 days).
pub const MAX_SECONDS: f64 = 7.0 * 86_400.0;

/// Longest duration any option takes, milliseconds (7 days).
pub const MAX_MILLIS: u64 = 7 * 86_400 * 1_000;

fn seconds(s: &str, zero_ok: bool) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !v.is_finite() {
        return Err(format!("`{s}` is not a finite number of seconds"));
    }
    if v < 0.0 || (!zero_ok && v == 0.0) {
        let least = if zero_ok { "0 or more" } else { "more than 0" };
        return Err(format!("must be {least} seconds (got {s})"));
    }
    if v > MAX_SECONDS {
        return Err(format!(
            "must be at most {MAX_SECONDS} seconds (7 days) (got {s})"
        ));
    }
    Ok(v)
}

/// A duration in seconds: finite, more than 0, at most [`MAX_SECONDS`]. Safe to pass to
/// [`std::time::Duration::from_secs_f64`].
pub fn positive_seconds(s: &str) -> Result<f64, String> {
    seconds(s, false)
}

/// A duration in seconds: finite, 0 or more, at most [`MAX_SECONDS`].
pub fn seconds_or_zero(s: &str) -> Result<f64, String> {
    seconds(s, true)
}

/// A duration in whole milliseconds, at most [`MAX_MILLIS`] (a deadline `now + budget`
/// cannot overflow).
pub fn millis(s: &str) -> Result<u64, String> {
    let v: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number of milliseconds"))?;
    if v > MAX_MILLIS {
        return Err(format!(
            "must be at most {MAX_MILLIS} ms (7 days) (got {s})"
        ));
    }
    Ok(v)
}

/// A count in `min..=max` (sizes that allocate, threads, events).
pub fn count(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let v: usize = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a whole number from {min} to {max}"))?;
        if v < min || v > max {
            return Err(format!("must be from {min} to {max} (got {s})"));
        }
        Ok(v)
    }
}

/// A distance in metres: finite, 0 or more.
pub fn metres(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of metres"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "must be a finite number of metres, 0 or more (got {s})"
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every hostile duration is refused with a reason; valid ones pass unchanged.
    #[test]
    fn durations() {
        for bad in ["1e20", "inf", "-inf", "NaN", "-1", "0", "", "abc"] {
            assert!(positive_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(positive_seconds("1.5"), Ok(1.5));
        assert_eq!(seconds_or_zero("0"), Ok(0.0));
        assert_eq!(positive_seconds("604800"), Ok(MAX_SECONDS));
        assert!(millis("18446744073709551615").is_err());
        assert_eq!(millis("200"), Ok(200));
    }

    /// Counts outside their range, and non-numbers, are refused.
    #[test]
    fn counts_and_metres() {
        let c = count(1, 10);
        assert!(c("0").is_err() && c("11").is_err() && c("-3").is_err() && c("x").is_err());
        assert_eq!(c("10"), Ok(10));
        assert!(metres("NaN").is_err() && metres("-1").is_err() && metres("inf").is_err());
        assert_eq!(metres("25"), Ok(25.0));
    }
}
