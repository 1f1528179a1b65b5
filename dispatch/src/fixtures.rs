//! Small days the crate's unit tests share: households on a line, one bottle each, the
//! morning window, couriers on the morning shift.
use crate::model::{CourierSpec, StopSpec, TravelTimes};

/// The morning window every fixture stop shares, seconds since midnight (05:00 to 07:30).
pub(crate) const MORNING_S: (i64, i64) = (18_000, 27_000);
/// The couriers' shift, seconds since midnight (04:15 to 09:00).
pub(crate) const SHIFT_S: (i64, i64) = (15_300, 32_400);

/// Travel on a line: location `i` stands at `x[i]` minutes from the origin; a minute is
/// 250 m.
pub(crate) fn line_times(x: &[i64]) -> TravelTimes {
    TravelTimes::from_fn(x.len(), |i, j| {
        let d = (x[i] - x[j]).abs();
        (d * 60, d * 250)
    })
}

/// Travel on a line with location `i` at `i` minutes.
pub(crate) fn row_times(n: usize) -> TravelTimes {
    let x: Vec<i64> = (0..n)
        .map(|i| i64::try_from(i).unwrap_or(i64::MAX))
        .collect();
    line_times(&x)
}

/// Stops at locations `1..n` (household = location), one bottle, 30 s at the door, the
/// morning window.
pub(crate) fn morning_stops(n: u32) -> Vec<StopSpec> {
    (1..n)
        .map(|l| StopSpec {
            household: l,
            loc: l,
            bottles: 1,
            service_s: 30,
            window_s: MORNING_S,
        })
        .collect()
}

/// Couriers `1..=count` carrying `capacity` bottles, on the morning shift.
pub(crate) fn couriers(count: u32, capacity: i64) -> Vec<CourierSpec> {
    (1..=count)
        .map(|id| CourierSpec {
            id,
            capacity,
            shift_start_s: SHIFT_S.0,
            shift_end_s: SHIFT_S.1,
        })
        .collect()
}
