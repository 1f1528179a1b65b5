//! Alerts to the company, pure: a delivery of today still open after its promised arrival
//! (or its household's delivery window when nothing was promised), and a day with a spike of
//! complaints (above a threshold, or above k times the median of the days before). Each alert
//! goes through the outbox once per (kind, subject, day): its dedupe key is
//! `alert:{kind}:{subject}:{day}`.
use milkrun_calendar::{format_hms, Date};

use crate::calendar::Moment;
use crate::dedupe::DedupeKey;
use crate::error::{invalid, DairyError};
use crate::ids::{HouseholdId, OrderId};
use crate::outbox::{OutboxMessage, Topic};

/// The longest trailing window of a spike rule, in days.
pub const MAX_TRAILING_DAYS: u32 = 366;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// An order of today still open after it was due.
    DeliveryDelay,
    /// More complaints in a day than usual.
    ComplaintSpike,
}

impl AlertKind {
    /// The name used in keys and payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::DeliveryDelay => "delivery_delay",
            AlertKind::ComplaintSpike => "complaint_spike",
        }
    }
}

/// The dedupe key of an alert: `alert:{kind}:{subject}:{day}`.
pub fn alert_key(kind: AlertKind, subject: &str, day: Date) -> Result<DedupeKey, DairyError> {
    DedupeKey::new(&format!("alert:{}:{subject}:{day}", kind.as_str()))
}

/// When an order is due, in seconds since its day's midnight: the promised window's end when
/// one was stored, else the end of its household's delivery window.
pub fn due_s(promised_end_s: Option<i64>, window_end_s: i64) -> i64 {
    promised_end_s.unwrap_or(window_end_s)
}

/// Whether an order of `day` with no outcome yet is late at `now`: `now` is on `day` and past
/// its due time. Orders of other days are not this check's business (close of day accounts
/// for them).
pub fn is_delayed(day: Date, due_s: i64, now: Moment) -> bool {
    now.date == day && now.second_of_day > due_s
}

/// The alert for an order of `day`, due at `due_s`, still open at `now`.
pub fn delay_alert(
    order: OrderId,
    household: HouseholdId,
    day: Date,
    due_s: i64,
    now: Moment,
) -> Result<OutboxMessage, DairyError> {
    let payload = format!(
        "{{\"kind\":\"delivery_delay\",\"order_id\":{order},\"household_id\":{household},\
         \"date\":\"{day}\",\"due\":\"{}\",\"seen_at\":\"{}\"}}",
        format_hms(due_s),
        format_hms(now.second_of_day)
    );
    OutboxMessage::new(
        alert_key(AlertKind::DeliveryDelay, &format!("order-{order}"), day)?,
        Topic::Alert,
        payload,
    )
}

/// When a day's complaints are a spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpikeRule {
    /// More than this many complaints in a day is a spike.
    pub threshold: u32,
    /// More than `factor_pct / 100` times the trailing median is a spike (100..=10,000),
    /// provided that median is above zero.
    pub factor_pct: u32,
    /// How many days before the day make the trailing median (1..=[`MAX_TRAILING_DAYS`]).
    pub trailing_days: u32,
}

impl SpikeRule {
    /// A checked rule.
    pub fn new(
        threshold: u32,
        factor_pct: u32,
        trailing_days: u32,
    ) -> Result<SpikeRule, DairyError> {
        if !(100..=10_000).contains(&factor_pct) {
            return Err(invalid("care.spike_factor_pct", "must be 100..=10000"));
        }
        if !(1..=MAX_TRAILING_DAYS).contains(&trailing_days) {
            return Err(invalid(
                "care.spike_trailing_days",
                format!("must be 1..={MAX_TRAILING_DAYS}"),
            ));
        }
        Ok(SpikeRule {
            threshold,
            factor_pct,
            trailing_days,
        })
    }
}

/// Why a day is a spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spike {
    /// The day's complaints.
    pub count: u32,
    /// Twice the trailing median (twice, so that it is an integer).
    pub median_x2: u64,
    /// The count is above the rule's threshold.
    pub above_threshold: bool,
    /// The count is above the rule's factor times the trailing median.
    pub above_median: bool,
}

/// Twice the median of `values` (0 for none).
pub fn median_x2(values: &[u32]) -> u64 {
    let mut v: Vec<u64> = values.iter().map(|&x| u64::from(x)).collect();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => 0,
        _ if n % 2 == 1 => 2 * v[n / 2],
        _ => v[n / 2 - 1] + v[n / 2],
    }
}

/// Whether `count` complaints on a day are a spike, given the counts of the days before
/// (`trailing`, one per day, zeros included; the caller passes `rule.trailing_days` of them).
pub fn complaint_spike(rule: SpikeRule, count: u32, trailing: &[u32]) -> Option<Spike> {
    let m2 = median_x2(trailing);
    let above_threshold = count > rule.threshold;
    // count > factor/100 * m2/2  <=>  200 * count > factor * m2, in u64 (no overflow: both
    // sides stay below 2^50).
    let above_median = m2 > 0 && 200 * u64::from(count) > u64::from(rule.factor_pct) * m2;
    (above_threshold || above_median).then_some(Spike {
        count,
        median_x2: m2,
        above_threshold,
        above_median,
    })
}

/// The alert for a complaint spike of the whole tenant on `day`.
pub fn spike_alert(day: Date, spike: Spike) -> Result<OutboxMessage, DairyError> {
    let median = spike.median_x2 as f64 / 2.0;
    let payload = format!(
        "{{\"kind\":\"complaint_spike\",\"date\":\"{day}\",\"complaints\":{},\
         \"trailing_median\":{median},\"above_threshold\":{},\"above_median\":{}}}",
        spike.count, spike.above_threshold, spike.above_median
    );
    OutboxMessage::new(
        alert_key(AlertKind::ComplaintSpike, "all", day)?,
        Topic::Alert,
        payload,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Threshold 10, factor 3x: 11 is a spike by threshold alone; 7 against a median of 2 is
    /// one by the median (7 > 6), 6 is not; against a zero median only the threshold counts.
    #[test]
    fn spikes_by_threshold_or_median() -> TestResult {
        let rule = SpikeRule::new(10, 300, 5)?;
        let calm = [1, 2, 2, 3, 0];
        assert_eq!(median_x2(&calm), 4);
        let s = complaint_spike(rule, 11, &[0; 5]).ok_or("a spike")?;
        assert!(s.above_threshold && !s.above_median);
        let s = complaint_spike(rule, 7, &calm).ok_or("a spike")?;
        assert!(!s.above_threshold && s.above_median);
        assert_eq!(complaint_spike(rule, 6, &calm), None);
        assert_eq!(complaint_spike(rule, 5, &[0; 5]), None);
        assert_eq!(median_x2(&[4, 1, 3, 2]), 5);
        assert_eq!(median_x2(&[]), 0);
        assert!(SpikeRule::new(10, 99, 5).is_err());
        assert!(SpikeRule::new(10, 300, 0).is_err());
        let m = spike_alert(
            Date::parse_iso("2028-03-01")?,
            complaint_spike(rule, 7, &calm).ok_or("spike")?,
        )?;
        assert_eq!(m.key.as_str(), "alert:complaint_spike:all:2028-03-01");
        assert!(m.payload.contains("\"trailing_median\":2"));
        Ok(())
    }

    /// An order due at 08:00 is late at 08:00:01 of its day, not at 08:00:00, and not on
    /// another day; a stored promise replaces the household's window.
    #[test]
    fn delays_against_promise_or_window() -> TestResult {
        let day = Date::parse_iso("2028-03-01")?;
        let due = due_s(None, 8 * 3600);
        assert!(!is_delayed(day, due, Moment::new(day, 8 * 3600)?));
        assert!(is_delayed(day, due, Moment::new(day, 8 * 3600 + 1)?));
        assert!(!is_delayed(
            day,
            due,
            Moment::new(day.add_days(1), 9 * 3600)?
        ));
        assert_eq!(due_s(Some(7 * 3600), 8 * 3600), 7 * 3600);
        let m = delay_alert(
            OrderId(42),
            HouseholdId(3),
            day,
            due,
            Moment::new(day, 30_000)?,
        )?;
        assert_eq!(m.key.as_str(), "alert:delivery_delay:order-42:2028-03-01");
        Ok(())
    }
}
