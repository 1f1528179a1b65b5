//! The customers' calendar changes, pure and seeded: on the eve of each delivery day some
//! customers pause, skip, swap, postpone, change their quantity or order an extra for the
//! coming days, at an hour of the evening; those whose change falls after the cut-off are
//! refused by the store (and counted). The doors of the morning (shut, refused) are drawn here
//! too, one draw per (day, household), so milkrun and the baseline meet the same doors.
//! And the mid-week promotion: on the evening after its push, each member of its segment
//! orders the promoted product as an extra for the next day with [`TAKE_TOLD`] when told and
//! [`TAKE_UNTOLD`] when held out (what the segment does on its own).
use milkrun_calendar::Date;
use milkrun_dairy::calendar::{Moment, OperationKind};
use milkrun_dairy::ids::SubscriptionId;
use milkrun_dairy::subscription::Subscription;
use milkrun_dairy::DairyError;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::company::PRODUCTS;
use crate::morning::Door;

/// A customer's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The change.
    pub kind: OperationKind,
    /// When it is asked.
    pub now: Moment,
}

/// Share of subscriptions changing something on an evening, per mille, by kind: pause,
/// skip, swap, postpone, quantity, extra.
const PER_MILLE: [u32; 6] = [4, 10, 4, 3, 3, 8];

/// The requests made on the evening before `day` (`index`: 0-based day of the run): each
/// subscription draws a kind or nothing; the change is for `day` (so half of those asked
/// after 20:00 come too late), the day after, or the one after that.
pub fn requests(
    seed: u64,
    index: u32,
    day: Date,
    subs: &[Subscription],
) -> Result<Vec<Request>, DairyError> {
    let mut rng = Pcg64::seed_from_u64(seed ^ (u64::from(index) << 32) ^ 0x6265_6861_7669_6f72);
    let eve = day.add_days(-1);
    let mut out = Vec::new();
    let total: u32 = PER_MILLE.iter().sum();
    for s in subs {
        let roll = rng.random_range(0..1000);
        if roll >= total {
            continue;
        }
        let mut acc = 0;
        let kind_no = PER_MILLE
            .iter()
            .position(|&p| {
                acc += p;
                roll < acc
            })
            .unwrap_or(0);
        let ahead = rng.random_range(0..3);
        let target = day.add_days(ahead);
        // Pattern days for skips and postpones: the first pattern day from `target` on.
        let pattern_day = (0..7)
            .map(|d| target.add_days(d))
            .find(|d| s.weekdays.contains(*d))
            .unwrap_or(target);
        let kind = match kind_no {
            0 => OperationKind::Pause {
                from: target,
                to: target.add_days(rng.random_range(1..4)),
            },
            1 => OperationKind::Skip { date: pattern_day },
            2 => OperationKind::Swap {
                product: PRODUCTS[rng.random_range(0..PRODUCTS.len())],
                from: target,
                until: Some(target),
            },
            3 => OperationKind::Postpone { date: pattern_day },
            4 => OperationKind::ChangeQuantity {
                from: target,
                quantity: rng.random_range(1..=3),
            },
            _ => OperationKind::Extra {
                date: target,
                product: PRODUCTS[rng.random_range(0..PRODUCTS.len())],
                quantity: rng.random_range(1..=2),
            },
        };
        // Most ask during the day; one in six late in the evening.
        let hour_s = if rng.random_range(0..6) == 0 {
            rng.random_range(20 * 3600 + 60..23 * 3600)
        } else {
            rng.random_range(8 * 3600..19 * 3600 + 3000)
        };
        out.push(Request {
            subscription: s.id,
            kind,
            now: Moment::new(eve, hour_s)?,
        });
    }
    Ok(out)
}

/// The chance that a customer told of the mid-week promotion takes it on the evening after
/// the push (an assumption of the simulation, not a measured rate).
pub const TAKE_TOLD: f64 = 0.15;
/// The chance that a held-out member of the segment orders the promoted product as an extra
/// on that evening anyway (on top of the ordinary evening extras, which both groups make).
pub const TAKE_UNTOLD: f64 = 0.03;

/// The promotion's takers on the evening before `day` (`index`: its 0-based day of the run):
/// each member (its subscription, whether held out) orders one unit of `product` as an extra
/// for `day`, asked at 10:00 on the eve, with [`TAKE_TOLD`] or [`TAKE_UNTOLD`].
pub fn promotion_requests(
    seed: u64,
    index: u32,
    day: Date,
    members: &[(SubscriptionId, bool)],
    product: milkrun_dairy::ids::ProductId,
) -> Result<Vec<Request>, DairyError> {
    let now = Moment::new(day.add_days(-1), 10 * 3600)?;
    Ok(members
        .iter()
        .filter(|(s, held)| {
            let p = if *held { TAKE_UNTOLD } else { TAKE_TOLD };
            unit(seed, index, s.0, 7) < p
        })
        .map(|&(subscription, _)| Request {
            subscription,
            kind: OperationKind::Extra {
                date: day,
                product,
                quantity: 1,
            },
            now,
        })
        .collect())
}

/// A number in `0..1` from the seed, the day and the household (SplitMix64 of their mix).
pub fn unit(seed: u64, day: u32, household: i64, salt: u64) -> f64 {
    let mut z = seed
        ^ (u64::from(day).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        ^ (household as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)
        ^ salt.wrapping_mul(0x94D0_49BB_1331_11EB);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// What the door of `household` does on day `day`: shut about one time in twenty-five,
/// refused one in four hundred.
pub fn door(seed: u64, day: u32, household: i64) -> Door {
    let u = unit(seed, day, household, 1);
    if u < 0.04 {
        Door::Shut
    } else if u < 0.0425 {
        Door::Refused
    } else {
        Door::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use milkrun_dairy::ids::{HouseholdId, PackageId};
    use milkrun_dairy::subscription::{Term, WeekdayPattern};

    /// The same seed gives the same requests; every request is asked on the eve of the day,
    /// for that day or one of the next two, and some come after the 20:00 cut-off.
    #[test]
    fn evening_requests_are_seeded() -> Result<(), DairyError> {
        let day = Date::from_days_since_epoch(21_000);
        let subs: Vec<Subscription> = (1..=2000)
            .map(|i| {
                Subscription::new(
                    SubscriptionId(i),
                    HouseholdId(i),
                    PackageId(1),
                    day.add_days(-3),
                    Term::Prepaid(20),
                    1,
                    WeekdayPattern::DAILY,
                )
            })
            .collect::<Result<_, _>>()?;
        let a = requests(3, 0, day, &subs)?;
        assert_eq!(a, requests(3, 0, day, &subs)?);
        assert!(a.len() > 40 && a.len() < 120, "{}", a.len());
        assert!(a.iter().all(|r| r.now.date == day.add_days(-1)));
        assert!(a.iter().any(|r| r.now.second_of_day > 20 * 3600));
        let shut = (0..1000).filter(|&h| door(3, 1, h) == Door::Shut).count();
        assert!((20..70).contains(&shut), "{shut}");
        Ok(())
    }
}
