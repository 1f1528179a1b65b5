//! Promotions targeted at a customer segment, pure: the offer, its validity, the seeded
//! control group (holdout) of the segment, the outbox messages to the targeted customers and
//! to the couriers serving them, and the conversion against the holdout.
//!
//! A promotion is pushed once to the members its segment has at the first push; a share
//! [`Promotion::holdout_pct`] of them, chosen by the promotion's seed ([`split_holdout`]),
//! is told nothing, so that the conversion of the targeted customers can be compared with
//! what the same segment does without the offer. A customer takes the offer when, within
//! the validity, one of their households subscribes to the promoted package (a subscription
//! starting in it) or orders the promoted product as an extra (an extra dated in it).
use std::collections::BTreeSet;

use milkrun_calendar::Date;
use sha2::{Digest, Sha256};

use crate::calendar::{Operation, OperationKind};
use crate::dedupe::DedupeKey;
use crate::error::{invalid, DairyError};
use crate::ids::{CourierId, CustomerId, HouseholdId, PackageId, ProductId, PromotionId};
use crate::money::Cents;
use crate::outbox::{OutboxMessage, Topic};
use crate::segment::Segment;

/// The largest holdout share, in percent.
pub const MAX_HOLDOUT_PCT: u8 = 50;
/// The longest validity, in days.
pub const MAX_VALID_DAYS: i64 = 366;
/// The most free units an extra offer may give.
pub const MAX_FREE_UNITS: u32 = 24;
/// The most members a promotion may have (a bound on what a push allocates).
pub const MAX_MEMBERS: usize = 1_000_000;

/// What a promotion offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Subscribe to a package at a price (for its whole period, quantity one).
    Subscribe {
        /// The package.
        package: PackageId,
        /// The promoted price.
        price: Cents,
    },
    /// Order a product as an extra delivery, with some units free.
    Extra {
        /// The product.
        product: ProductId,
        /// Units free with the first extra (0..=[`MAX_FREE_UNITS`]).
        free_units: u32,
    },
}

/// A promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promotion {
    /// The promotion's id.
    pub id: PromotionId,
    /// The offer.
    pub offer: Offer,
    /// The first day it may be taken.
    pub valid_from: Date,
    /// The last day it may be taken.
    pub valid_to: Date,
    /// The segment it targets.
    pub segment: Segment,
    /// The share of the segment held out as a control group, 0..=[`MAX_HOLDOUT_PCT`] percent.
    pub holdout_pct: u8,
    /// The seed choosing the holdout.
    pub seed: u64,
}

impl Promotion {
    /// A checked promotion: the validity in order and at most [`MAX_VALID_DAYS`] long, the
    /// holdout share and the free units in range, a price not negative.
    pub fn new(
        id: PromotionId,
        offer: Offer,
        valid_from: Date,
        valid_to: Date,
        segment: Segment,
        holdout_pct: u8,
        seed: u64,
    ) -> Result<Promotion, DairyError> {
        if valid_to < valid_from {
            return Err(invalid("promotion.valid_to", "is before valid_from"));
        }
        if valid_to.days_since(valid_from) >= MAX_VALID_DAYS {
            return Err(invalid(
                "promotion.valid_to",
                format!("a promotion is valid for at most {MAX_VALID_DAYS} days"),
            ));
        }
        if holdout_pct > MAX_HOLDOUT_PCT {
            return Err(invalid(
                "promotion.holdout_pct",
                format!("must be 0..={MAX_HOLDOUT_PCT}"),
            ));
        }
        match offer {
            Offer::Subscribe { price, .. } if price.0 < 0 => {
                return Err(invalid("promotion.price", "must not be negative"))
            }
            Offer::Extra { free_units, .. } if free_units > MAX_FREE_UNITS => {
                return Err(invalid(
                    "promotion.free_units",
                    format!("must be 0..={MAX_FREE_UNITS}"),
                ))
            }
            _ => {}
        }
        Ok(Promotion {
            id,
            offer,
            valid_from,
            valid_to,
            segment,
            holdout_pct,
            seed,
        })
    }
}

impl Promotion {
    /// The package and promoted price of a subscription offer a customer takes on `today`,
    /// naming the first refusal: an extra's offer (`offer.kind`), outside the validity
    /// (`offer.today`).
    pub fn subscription_offer(&self, today: Date) -> Result<(PackageId, Cents), DairyError> {
        let Offer::Subscribe { package, price } = self.offer else {
            return Err(invalid(
                "offer.kind",
                format!(
                    "promotion {} offers an extra, not a subscription",
                    self.id.0
                ),
            ));
        };
        if !(self.valid_from..=self.valid_to).contains(&today) {
            return Err(invalid(
                "offer.today",
                format!(
                    "promotion {} is valid {}..={}, not on {today}",
                    self.id.0, self.valid_from, self.valid_to
                ),
            ));
        }
        Ok((package, price))
    }
}

/// The price of one delivery of a term of `deliveries` priced `price` in all, in cents
/// rounded half up (`None` for a term without deliveries).
pub fn price_per_delivery(price: Cents, deliveries: u32) -> Option<Cents> {
    if deliveries == 0 {
        return None;
    }
    let n = i64::from(deliveries);
    Some(Cents(
        price.0.checked_mul(2)?.checked_add(n)?.div_euclid(2 * n),
    ))
}

/// The segment's `members` (each once), each with `true` when held out: the
/// `round(n × holdout_pct / 100)` members first in the order of SHA-256 over the seed, the
/// promotion and the customer. The same promotion and members give the same split; the
/// result is in customer order.
pub fn split_holdout(
    p: &Promotion,
    members: &[CustomerId],
) -> Result<Vec<(CustomerId, bool)>, DairyError> {
    if members.len() > MAX_MEMBERS {
        return Err(invalid(
            "promotion.members",
            format!("at most {MAX_MEMBERS} members"),
        ));
    }
    let members: BTreeSet<CustomerId> = members.iter().copied().collect();
    let mut ranked: Vec<([u8; 8], CustomerId)> = members
        .iter()
        .map(|&c| {
            let mut h = Sha256::new();
            h.update(p.seed.to_le_bytes());
            h.update(p.id.0.to_le_bytes());
            h.update(c.0.to_le_bytes());
            let digest = h.finalize();
            let mut key = [0u8; 8];
            key.copy_from_slice(&digest[..8]);
            (key, c)
        })
        .collect();
    ranked.sort_unstable();
    let held = (members.len() * usize::from(p.holdout_pct) + 50) / 100;
    let holdout: BTreeSet<CustomerId> = ranked.iter().take(held).map(|r| r.1).collect();
    Ok(members
        .into_iter()
        .map(|c| (c, holdout.contains(&c)))
        .collect())
}

/// The offer as JSON fields.
fn offer_json(offer: Offer) -> String {
    match offer {
        Offer::Subscribe { package, price } => {
            format!(
                "\"offer\":\"subscribe\",\"package_id\":{package},\"price_cents\":{}",
                price.0
            )
        }
        Offer::Extra {
            product,
            free_units,
        } => format!("\"offer\":\"extra\",\"product_id\":{product},\"free_units\":{free_units}"),
    }
}

/// The message telling a targeted customer, keyed `promo:{promotion}:customer:{customer}`.
pub fn customer_message(p: &Promotion, customer: CustomerId) -> Result<OutboxMessage, DairyError> {
    let key = DedupeKey::new(&format!("promo:{}:customer:{customer}", p.id))?;
    let payload = format!(
        "{{\"promotion_id\":{},\"customer_id\":{customer},{},\"valid_from\":\"{}\",\
         \"valid_to\":\"{}\"}}",
        p.id,
        offer_json(p.offer),
        p.valid_from,
        p.valid_to
    );
    OutboxMessage::new(key, Topic::Promotion, payload)
}

/// The message telling a courier which of the households they serve were offered the
/// promotion, keyed `promo:{promotion}:courier:{courier}`. A payload over the outbox's limit
/// is refused, naming the field.
pub fn courier_message(
    p: &Promotion,
    courier: CourierId,
    households: &[HouseholdId],
) -> Result<OutboxMessage, DairyError> {
    let key = DedupeKey::new(&format!("promo:{}:courier:{courier}", p.id))?;
    let list: Vec<String> = households.iter().map(|h| h.0.to_string()).collect();
    let payload = format!(
        "{{\"promotion_id\":{},\"courier_id\":{courier},{},\"valid_to\":\"{}\",\
         \"household_ids\":[{}]}}",
        p.id,
        offer_json(p.offer),
        p.valid_to,
        list.join(",")
    );
    OutboxMessage::new(key, Topic::PromotionCourier, payload)
}

/// Whether a customer took `p`, from their households' subscriptions (package, start) and
/// their calendar operations: a subscription to the promoted package starting within the
/// validity, or an extra of the promoted product dated within it (the rule
/// `Store::promotion_conversion` counts in SQL).
pub fn is_taken(p: &Promotion, subscriptions: &[(PackageId, Date)], ops: &[Operation]) -> bool {
    let valid = |d: Date| (p.valid_from..=p.valid_to).contains(&d);
    match p.offer {
        Offer::Subscribe { package, .. } => subscriptions
            .iter()
            .any(|&(k, start)| k == package && valid(start)),
        Offer::Extra { product, .. } => ops.iter().any(|o| {
            matches!(o.kind, OperationKind::Extra { product: x, date, .. } if x == product && valid(date))
        }),
    }
}

/// A promotion's conversion: among the targeted customers and among the holdout, how many
/// took the offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Conversion {
    /// Customers told.
    pub targeted: u64,
    /// Of them, those who took the offer.
    pub targeted_taken: u64,
    /// Customers held out (not told).
    pub holdout: u64,
    /// Of them, those who did the same on their own.
    pub holdout_taken: u64,
}

impl Conversion {
    /// Counts `members` (customer, held out) against the customers who took the offer.
    pub fn count(members: &[(CustomerId, bool)], taken: &BTreeSet<CustomerId>) -> Conversion {
        let mut c = Conversion::default();
        for &(customer, held) in members {
            let took = u64::from(taken.contains(&customer));
            if held {
                c.holdout += 1;
                c.holdout_taken += took;
            } else {
                c.targeted += 1;
                c.targeted_taken += took;
            }
        }
        c
    }

    /// The targeted customers' conversion rate; `None` with nobody targeted.
    pub fn rate(&self) -> Option<f64> {
        (self.targeted > 0).then(|| self.targeted_taken as f64 / self.targeted as f64)
    }

    /// The holdout's rate; `None` with no holdout.
    pub fn holdout_rate(&self) -> Option<f64> {
        (self.holdout > 0).then(|| self.holdout_taken as f64 / self.holdout as f64)
    }

    /// The uplift: the targeted rate minus the holdout's; `None` when either is missing.
    pub fn uplift(&self) -> Option<f64> {
        Some(self.rate()? - self.holdout_rate()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn promo(holdout_pct: u8, seed: u64) -> Result<Promotion, DairyError> {
        let from = Date::parse_iso("2028-03-01").map_err(|e| invalid("date", e.to_string()))?;
        Promotion::new(
            PromotionId(7),
            Offer::Extra {
                product: ProductId(2),
                free_units: 1,
            },
            from,
            from.add_days(13),
            Segment::Loyal,
            holdout_pct,
            seed,
        )
    }

    /// 20 % of 10 members is exactly 2 held out, the same for the same seed whatever the
    /// input order and repetitions; bad fields are refused by name.
    #[test]
    fn holdout_is_seeded_and_exact() -> TestResult {
        let members: Vec<CustomerId> = (1..=10).map(CustomerId).collect();
        let p = promo(20, 42)?;
        let a = split_holdout(&p, &members)?;
        let mut shuffled: Vec<CustomerId> = members.iter().rev().copied().collect();
        shuffled.push(CustomerId(3));
        assert_eq!(split_holdout(&p, &shuffled)?, a);
        assert_eq!(a.len(), 10);
        assert_eq!(a.iter().filter(|m| m.1).count(), 2);
        let none = split_holdout(&promo(0, 42)?, &members)?;
        assert!(none.iter().all(|m| !m.1));
        assert!(matches!(
            promo(51, 1),
            Err(DairyError::Invalid {
                field: "promotion.holdout_pct",
                ..
            })
        ));
        let m = customer_message(&p, CustomerId(4))?;
        assert_eq!(m.key.as_str(), "promo:7:customer:4");
        assert_eq!(m.topic, Topic::Promotion);
        let m = courier_message(&p, CourierId(1), &[HouseholdId(4), HouseholdId(5)])?;
        assert_eq!(m.key.as_str(), "promo:7:courier:1");
        assert!(m.payload.ends_with("\"household_ids\":[4,5]}"));
        Ok(())
    }

    /// An extra of the promoted product inside the validity takes the offer; one outside it,
    /// or of another product, does not; a subscription offer is taken by a subscription to
    /// its package starting inside the validity.
    #[test]
    fn taken_by_hand() -> TestResult {
        use crate::ids::{OperationId, SubscriptionId};
        let p = promo(0, 1)?;
        let day = |d: &str| Date::parse_iso(d).map_err(|e| invalid("date", e.to_string()));
        let extra = |product, date| Operation {
            id: OperationId(1),
            subscription: SubscriptionId(1),
            kind: OperationKind::Extra {
                date,
                product,
                quantity: 1,
            },
        };
        assert!(is_taken(
            &p,
            &[],
            &[extra(ProductId(2), day("2028-03-02")?)]
        ));
        assert!(!is_taken(
            &p,
            &[],
            &[extra(ProductId(2), day("2028-03-15")?)]
        ));
        assert!(!is_taken(
            &p,
            &[],
            &[extra(ProductId(1), day("2028-03-02")?)]
        ));
        let s = Promotion {
            offer: Offer::Subscribe {
                package: PackageId(3),
                price: Cents(900),
            },
            ..p
        };
        assert!(is_taken(&s, &[(PackageId(3), day("2028-03-05")?)], &[]));
        assert!(!is_taken(&s, &[(PackageId(4), day("2028-03-05")?)], &[]));
        Ok(())
    }

    /// Targeted 1, 2, 3, 4 (2 and 4 took it) and held out 5, 6 (6 took it): 50 % against
    /// 50 %, no uplift; with 6 not taking it the uplift is 0.5.
    #[test]
    fn conversion_by_hand() {
        let members: Vec<(CustomerId, bool)> = (1..=6).map(|c| (CustomerId(c), c > 4)).collect();
        let taken: BTreeSet<CustomerId> = [2, 4, 6].map(CustomerId).into();
        let c = Conversion::count(&members, &taken);
        assert_eq!(
            (c.targeted, c.targeted_taken, c.holdout, c.holdout_taken),
            (4, 2, 2, 1)
        );
        assert_eq!(c.uplift(), Some(0.0));
        let taken: BTreeSet<CustomerId> = [2, 4].map(CustomerId).into();
        assert_eq!(Conversion::count(&members, &taken).uplift(), Some(0.5));
        assert_eq!(Conversion::default().rate(), None);
    }

    /// A subscription offer gives its package and price on a day of its validity; an
    /// extra's offer and a day outside it are refused by name; a delivery's price rounds
    /// half up.
    #[test]
    fn subscription_offers_are_checked() -> TestResult {
        let extra = promo(0, 1)?;
        let day = extra.valid_from;
        let field = |r: Result<(PackageId, Cents), DairyError>| match r {
            Err(DairyError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(extra.subscription_offer(day)), "offer.kind");
        let sub = Promotion {
            offer: Offer::Subscribe {
                package: PackageId(3),
                price: Cents(1_000),
            },
            ..extra
        };
        assert_eq!(sub.subscription_offer(day)?, (PackageId(3), Cents(1_000)));
        assert_eq!(sub.subscription_offer(sub.valid_to)?.0, PackageId(3));
        assert_eq!(
            field(sub.subscription_offer(day.add_days(-1))),
            "offer.today"
        );
        assert_eq!(
            field(sub.subscription_offer(sub.valid_to.add_days(1))),
            "offer.today"
        );
        assert_eq!(price_per_delivery(Cents(1_000), 3), Some(Cents(333)));
        assert_eq!(price_per_delivery(Cents(1_001), 2), Some(Cents(501)));
        assert_eq!(price_per_delivery(Cents(1_000), 0), None);
        assert_eq!(price_per_delivery(Cents(i64::MAX), 1), None);
        Ok(())
    }
}
