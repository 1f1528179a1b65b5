//! The exception policy, pure rules: what a failed delivery becomes, by the tenant's policy,
//! the reason and the hour of the failure.
use milkrun_calendar::Date;

use crate::calendar::{next_delivery_day, CutOff, Moment, Operation};
use crate::error::{invalid, DairyError};
use crate::ids::ProductId;
use crate::money::Cents;
use crate::outcome::FailureReason;
use crate::subscription::Subscription;

/// A credit given instead of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credit {
    /// A coupon worth this much.
    Coupon(Cents),
    /// Loyalty points.
    Points(u32),
}

/// What a failed delivery becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// A new delivery the same day.
    SameDayRetry,
    /// An extra delivery on the subscription's next delivery day (no prepaid delivery used).
    MakeUpNextDay,
    /// One more delivery at the end of the subscription.
    ExtendOneDay,
    /// A coupon or points.
    Credit(Credit),
}

/// A tenant's exception policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExceptionPolicy {
    /// Failures strictly before this second of the day are retried the same day when the
    /// reason allows it (not home, access closed, damaged); `None` never retries.
    pub retry_before_s: Option<i64>,
    /// What the other failures of a retryable reason become (never a same-day retry).
    pub otherwise: Remedy,
    /// What a refused delivery or a wrong address becomes (never a same-day retry).
    pub refused: Remedy,
}

impl ExceptionPolicy {
    /// A checked policy.
    pub fn new(
        retry_before_s: Option<i64>,
        otherwise: Remedy,
        refused: Remedy,
    ) -> Result<ExceptionPolicy, DairyError> {
        if retry_before_s.is_some_and(|s| !(0..=86_400).contains(&s)) {
            return Err(invalid("policy.retry_before_s", "must be 0..=86400"));
        }
        if otherwise == Remedy::SameDayRetry {
            return Err(invalid("policy.otherwise", "cannot be a same-day retry"));
        }
        if refused == Remedy::SameDayRetry {
            return Err(invalid("policy.refused", "cannot be a same-day retry"));
        }
        for r in [otherwise, refused] {
            if let Remedy::Credit(Credit::Coupon(c)) = r {
                if c.0 <= 0 {
                    return Err(invalid("policy.coupon", "must be positive"));
                }
            }
        }
        Ok(ExceptionPolicy {
            retry_before_s,
            otherwise,
            refused,
        })
    }

    /// The remedy for a failure for `reason` at `failed_at_s` seconds after midnight.
    pub fn decide(&self, reason: FailureReason, failed_at_s: i64) -> Remedy {
        match reason {
            FailureReason::Refused | FailureReason::AddressWrong => self.refused,
            FailureReason::NotHome | FailureReason::AccessClosed | FailureReason::Damaged => {
                match self.retry_before_s {
                    Some(limit) if failed_at_s < limit => Remedy::SameDayRetry,
                    _ => self.otherwise,
                }
            }
        }
    }
}

/// The day of a make-up for a delivery failed on `failed_on`: the subscription's next
/// delivery day that is still open at `now` under the cut-off (its orders are not frozen
/// yet), or the first open day when the subscription has no more delivery days.
pub fn make_up_date(
    sub: &Subscription,
    product: ProductId,
    ops: &[Operation],
    failed_on: Date,
    cutoff: CutOff,
    now: Moment,
) -> Result<Date, DairyError> {
    let open = cutoff.first_open_date(now);
    let after = failed_on.max(open.add_days(-1));
    Ok(next_delivery_day(sub, product, ops, after)?.unwrap_or(open.max(failed_on.add_days(1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{HouseholdId, PackageId, SubscriptionId};
    use crate::subscription::{Term, WeekdayPattern};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn policy() -> Result<ExceptionPolicy, DairyError> {
        ExceptionPolicy::new(
            Some(9 * 3600),
            Remedy::MakeUpNextDay,
            Remedy::Credit(Credit::Points(50)),
        )
    }

    /// Each branch: an early retryable failure is retried the same day, a late one is made up,
    /// a refusal is credited, and a policy without retries never retries.
    #[test]
    fn each_policy_branch() -> TestResult {
        let p = policy()?;
        assert_eq!(
            p.decide(FailureReason::NotHome, 9 * 3600 - 1),
            Remedy::SameDayRetry
        );
        assert_eq!(
            p.decide(FailureReason::NotHome, 9 * 3600),
            Remedy::MakeUpNextDay
        );
        assert_eq!(
            p.decide(FailureReason::Damaged, 6 * 3600),
            Remedy::SameDayRetry
        );
        assert_eq!(
            p.decide(FailureReason::Refused, 6 * 3600),
            Remedy::Credit(Credit::Points(50))
        );
        assert_eq!(
            p.decide(FailureReason::AddressWrong, 6 * 3600),
            Remedy::Credit(Credit::Points(50))
        );
        let ext = ExceptionPolicy::new(
            None,
            Remedy::ExtendOneDay,
            Remedy::Credit(Credit::Coupon(Cents(200))),
        )?;
        assert_eq!(
            ext.decide(FailureReason::AccessClosed, 0),
            Remedy::ExtendOneDay
        );
        assert!(ExceptionPolicy::new(None, Remedy::SameDayRetry, Remedy::ExtendOneDay).is_err());
        assert!(
            ExceptionPolicy::new(Some(90_000), Remedy::ExtendOneDay, Remedy::ExtendOneDay).is_err()
        );
        Ok(())
    }

    /// A make-up goes to the next delivery day that is not frozen yet: a Monday failure
    /// reported before the cut-off goes to Wednesday (the next pattern day), one reported
    /// after Tuesday's cut-off goes to Friday.
    #[test]
    fn make_up_goes_to_the_next_open_delivery_day() -> TestResult {
        let monday = Date::parse_iso("2028-02-28")?;
        let sub = Subscription::new(
            SubscriptionId(1),
            HouseholdId(1),
            PackageId(1),
            monday,
            Term::Prepaid(10),
            1,
            WeekdayPattern::from_days(&[0, 2, 4])?,
        )?;
        let cut = CutOff::new(1, 20 * 3600)?;
        let morning = Moment::new(monday, 8 * 3600)?;
        let d = make_up_date(&sub, ProductId(1), &[], monday, cut, morning)?;
        assert_eq!(d, Date::parse_iso("2028-03-01")?);
        let tuesday_night = Moment::new(monday.add_days(1), 21 * 3600)?;
        let d = make_up_date(&sub, ProductId(1), &[], monday, cut, tuesday_night)?;
        assert_eq!(d, Date::parse_iso("2028-03-03")?);
        Ok(())
    }
}
