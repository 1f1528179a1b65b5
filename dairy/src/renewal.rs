//! Renewal reminders, pure: when a subscription's term ends (its last regular delivery, given
//! the calendar: pauses, skips and postponements move a prepaid count's end and a postponed
//! day's delivery past an end date), whether a reminder is due on a day, and the message, whose
//! dedupe key names the subscription and the term end, so a rerun adds no row and a term that
//! moves (a pause) gets one reminder for its new end.
use milkrun_calendar::Date;

use crate::calendar::{deliveries, DeliveryLine, Operation, MAX_HORIZON_DAYS};
use crate::catalogue::Package;
use crate::dedupe::DedupeKey;
use crate::error::DairyError;
use crate::ids::{HouseholdId, ProductId, SubscriptionId};
use crate::outbox::{OutboxMessage, Topic};
use crate::subscription::Subscription;

/// The last regular delivery of `sub` on or after `from`, given its operations (`product` is
/// the package's product). `None` when it has none from `from` on (it has ended, or every
/// remaining day is paused) or when its term runs past [`MAX_HORIZON_DAYS`] after its start.
/// Extras and make-ups are one-offs and do not make a term longer.
pub fn term_end(
    sub: &Subscription,
    product: ProductId,
    ops: &[Operation],
    from: Date,
) -> Result<Option<Date>, DairyError> {
    let Some(horizon) = sub.start.checked_add_days(MAX_HORIZON_DAYS) else {
        return Ok(None);
    };
    let from = from.max(sub.start);
    if from > horizon {
        return Ok(None);
    }
    let days = deliveries(sub, product, ops, from, horizon)?;
    let last = days
        .iter()
        .rev()
        .find(|d| d.line == DeliveryLine::Regular)
        .map(|d| d.date);
    // A term whose walk reached the horizon has not ended within it.
    Ok(last.filter(|&d| d < horizon))
}

/// Whether a reminder for a term ending on `term_end` is due on `today`: from `days_before`
/// days ahead up to the last day itself (so a run missed for a day still sends it).
pub fn reminder_due(term_end: Date, today: Date, days_before: u32) -> bool {
    let left = term_end.days_since(today);
    (0..=i64::from(days_before)).contains(&left)
}

/// The reminder of `subscription` (delivered to `household`) for the term ending on
/// `term_end`, sent on `today`. Its key is `renewal:{subscription}:{term_end}`.
pub fn reminder_message(
    subscription: SubscriptionId,
    household: HouseholdId,
    term_end: Date,
    today: Date,
) -> Result<OutboxMessage, DairyError> {
    let key = DedupeKey::new(&format!("renewal:{subscription}:{term_end}"))?;
    let payload = format!(
        "{{\"subscription_id\":{subscription},\"household_id\":{household},\
         \"last_delivery\":\"{term_end}\",\"days_left\":{}}}",
        term_end.days_since(today)
    );
    OutboxMessage::new(key, Topic::RenewalReminder, payload)
}

/// The next term of `sub` (a renewal): the same household, package, quantity and weekdays,
/// starting the day after `term_end` (its current term's last delivery), or on `first_open`
/// (the first day a change made now applies to) when that is later or the term has no end in
/// sight; its term follows from the package's period. `id` is the new subscription's.
pub fn next_term(
    sub: &Subscription,
    package: &Package,
    term_end: Option<Date>,
    first_open: Date,
    id: SubscriptionId,
) -> Result<Subscription, DairyError> {
    if package.id != sub.package {
        return Err(crate::error::invalid(
            "renewal.package",
            format!("{} is not the subscription's package", package.id),
        ));
    }
    let start = match term_end {
        Some(end) => end
            .checked_add_days(1)
            .ok_or_else(|| crate::error::invalid("renewal.start", "leaves the calendar"))?
            .max(first_open),
        None => first_open,
    };
    Subscription::for_package(
        id,
        sub.household,
        package,
        start,
        sub.quantity,
        sub.weekdays,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::OperationKind;
    use crate::ids::{OperationId, PackageId};
    use crate::subscription::{Term, WeekdayPattern};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn sub(start: &str, term: Term, weekdays: WeekdayPattern) -> Result<Subscription, DairyError> {
        let start =
            Date::parse_iso(start).map_err(|e| crate::error::invalid("start", e.to_string()))?;
        Subscription::new(
            SubscriptionId(1),
            HouseholdId(1),
            PackageId(1),
            start,
            term,
            1,
            weekdays,
        )
    }

    fn op(id: i64, kind: OperationKind) -> Operation {
        Operation {
            id: OperationId(id),
            subscription: SubscriptionId(1),
            kind,
        }
    }

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::EPOCH)
    }

    /// A prepaid count of 10 daily deliveries from 2028-02-25 ends on 2028-03-05 (across the
    /// leap day); a two-day pause moves the end two days later, an extra does not, and a
    /// Monday-Wednesday-Friday pattern ends on the tenth such day.
    #[test]
    fn prepaid_term_ends_given_the_calendar() -> TestResult {
        let s = sub("2028-02-25", Term::Prepaid(10), WeekdayPattern::DAILY)?;
        let p = ProductId(1);
        assert_eq!(term_end(&s, p, &[], s.start)?, Some(d("2028-03-05")));
        let pause = op(
            1,
            OperationKind::Pause {
                from: d("2028-02-28"),
                to: d("2028-02-29"),
            },
        );
        let extra = op(
            2,
            OperationKind::Extra {
                date: d("2028-03-20"),
                product: p,
                quantity: 1,
            },
        );
        assert_eq!(
            term_end(&s, p, &[pause, extra], s.start)?,
            Some(d("2028-03-07"))
        );
        let mwf = sub(
            "2028-02-25",
            Term::Prepaid(10),
            WeekdayPattern::from_days(&[0, 2, 4])?,
        )?;
        // Fridays and Mondays and Wednesdays from Fri 2028-02-25: the tenth is Fri 2028-03-17.
        assert_eq!(term_end(&mwf, p, &[], mwf.start)?, Some(d("2028-03-17")));
        // Asked from after the end: it has ended.
        assert_eq!(term_end(&s, p, &[], d("2028-03-06"))?, None);
        Ok(())
    }

    /// An end-date term ends on its last pattern day; a postponed day moves one delivery past
    /// the end; a pause over the last days ends it earlier.
    #[test]
    fn dated_term_ends_given_the_calendar() -> TestResult {
        let s = sub(
            "2028-03-01",
            Term::Until(d("2028-03-31")),
            WeekdayPattern::DAILY,
        )?;
        let p = ProductId(1);
        assert_eq!(term_end(&s, p, &[], s.start)?, Some(d("2028-03-31")));
        let postpone = op(
            1,
            OperationKind::Postpone {
                date: d("2028-03-10"),
            },
        );
        assert_eq!(
            term_end(&s, p, &[postpone], s.start)?,
            Some(d("2028-04-01"))
        );
        let pause = op(
            2,
            OperationKind::Pause {
                from: d("2028-03-29"),
                to: d("2028-03-31"),
            },
        );
        assert_eq!(term_end(&s, p, &[pause], s.start)?, Some(d("2028-03-28")));
        Ok(())
    }

    /// Due from N days ahead through the last day, not before and not after; the key names the
    /// subscription and the term end.
    #[test]
    fn reminders_are_due_in_a_window() -> TestResult {
        let end = d("2028-03-05");
        assert!(!reminder_due(end, d("2028-03-01"), 3));
        assert!(reminder_due(end, d("2028-03-02"), 3));
        assert!(reminder_due(end, end, 3));
        assert!(!reminder_due(end, d("2028-03-06"), 3));
        assert!(reminder_due(end, end, 0));
        let m = reminder_message(SubscriptionId(7), HouseholdId(9), end, d("2028-03-02"))?;
        assert_eq!(m.key.as_str(), "renewal:7:2028-03-05");
        assert_eq!(m.topic, Topic::RenewalReminder);
        assert!(m.payload.contains("\"days_left\":3"));
        Ok(())
    }
}
