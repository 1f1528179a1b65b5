//! Recommendations to a customer, pure: a short list of things the customer may want to do
//! next, from figures the store reads (`Store::recommendations`): the offers of promotions
//! the customer was targeted by, the terms about to end, and the trend of the recent weeks'
//! consumption (`crate::consumption`). The rules, in this order:
//! 1. every promotion the customer was told of (a targeted member, not held out) and has not
//!    taken yet (`crate::promotion::is_taken`) that can still be taken: its first open day
//!    (the cut-off's) is within its validity;
//! 2. every subscription whose term ends within the tenant's renewal notice
//!    (`crate::renewal::reminder_due`): renew it;
//! 3. consumption [`ConsumptionClass::Growing`]: one unit more per delivery on the first
//!    subscription (below [`MAX_QUANTITY`]), from the first open day;
//! 4. consumption [`ConsumptionClass::Declining`] or [`ConsumptionClass::Lapsing`]: one unit
//!    less on the first subscription delivering more than one, rather than skipping days.
//!
//! Rules 3 and 4 read a trend, and a trend needs history: they apply only to a customer with
//! at least [`MIN_HISTORY_WEEKS`] whole weeks of the recent weeks from his first week with a
//! delivery on ([`CustomerOutlook::history_weeks`]), and the class is then read over those
//! weeks only (the store's job), so that the empty weeks before a new customer's first
//! delivery do not look like growth.
//!
//! No rule lives in the pages or the service: they show this list and offer its action.
use milkrun_calendar::Date;

use crate::consumption::ConsumptionClass;
use crate::ids::{PromotionId, SubscriptionId};
use crate::promotion::{Offer, Promotion};
use crate::renewal::reminder_due;
use crate::subscription::MAX_QUANTITY;

/// Whole weeks of consumption the recommendations (and the customer's chart) read, ending on
/// the day.
pub const RECENT_WEEKS: i32 = 8;

/// The fewest whole weeks of history (from the customer's first week with a delivery) for a
/// quantity recommendation (rules 3 and 4).
pub const MIN_HISTORY_WEEKS: usize = 4;

/// A customer's subscription as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionOutlook {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Units per delivery.
    pub quantity: u32,
    /// Its last regular delivery from today on, `None` when it has none or none in sight.
    pub term_end: Option<Date>,
}

/// What the rules read.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerOutlook {
    /// Today.
    pub today: Date,
    /// The first day a change made now applies to (the cut-off's).
    pub first_open: Date,
    /// The tenant's renewal notice, in days.
    pub renewal_days_before: u32,
    /// The recent weeks' consumption class (over the weeks of [`Self::history_weeks`]).
    pub class: ConsumptionClass,
    /// Whole weeks of the recent weeks from the customer's first week with a delivery on (0:
    /// nothing delivered).
    pub history_weeks: usize,
    /// The customer's subscriptions, by id.
    pub subscriptions: Vec<SubscriptionOutlook>,
    /// The promotions the customer was told of and that are valid today.
    pub offers: Vec<Promotion>,
    /// Of them, those the customer took already.
    pub taken: Vec<PromotionId>,
}

/// Why a quantity is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityWhy {
    /// The customer takes more every week.
    Growing,
    /// The customer takes less every week.
    Declining,
}

/// One recommendation, with what taking it would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recommendation {
    /// Take a promotion's offer, from `from` to its last valid day.
    Offer {
        /// The promotion.
        promotion: PromotionId,
        /// What it offers.
        offer: Offer,
        /// The first day it can be taken on (the first open day or its start, whichever
        /// is later).
        from: Date,
        /// Its last valid day.
        to: Date,
    },
    /// Renew a subscription whose term ends soon.
    Renew {
        /// The subscription.
        subscription: SubscriptionId,
        /// Its last delivery.
        term_end: Date,
    },
    /// Change the units per delivery of a subscription from a day on.
    Quantity {
        /// The subscription.
        subscription: SubscriptionId,
        /// The suggested units per delivery.
        quantity: u32,
        /// The first day it would apply to.
        from: Date,
        /// Why.
        why: QuantityWhy,
    },
}

/// The recommendations for a customer (see the module's rules).
pub fn recommend(o: &CustomerOutlook) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let mut offers = o.offers.clone();
    offers.sort_by_key(|p| p.id);
    for p in &offers {
        let from = o.first_open.max(p.valid_from);
        if from <= p.valid_to && !o.taken.contains(&p.id) {
            out.push(Recommendation::Offer {
                promotion: p.id,
                offer: p.offer,
                from,
                to: p.valid_to,
            });
        }
    }
    let mut subs = o.subscriptions.clone();
    subs.sort_by_key(|s| s.subscription);
    for s in &subs {
        if let Some(end) = s.term_end {
            if reminder_due(end, o.today, o.renewal_days_before) {
                out.push(Recommendation::Renew {
                    subscription: s.subscription,
                    term_end: end,
                });
            }
        }
    }
    let trend = if o.history_weeks >= MIN_HISTORY_WEEKS {
        o.class
    } else {
        ConsumptionClass::Steady
    };
    let quantity = match trend {
        ConsumptionClass::Growing => subs
            .iter()
            .find(|s| s.quantity < MAX_QUANTITY)
            .map(|s| (s, s.quantity + 1, QuantityWhy::Growing)),
        ConsumptionClass::Declining | ConsumptionClass::Lapsing => subs
            .iter()
            .find(|s| s.quantity > 1)
            .map(|s| (s, s.quantity - 1, QuantityWhy::Declining)),
        ConsumptionClass::Steady | ConsumptionClass::Inactive => None,
    };
    if let Some((s, quantity, why)) = quantity {
        out.push(Recommendation::Quantity {
            subscription: s.subscription,
            quantity,
            from: o.first_open,
            why,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProductId;
    use crate::segment::Segment;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// By hand: an offer valid until the day after tomorrow is shown from the first open day
    /// (tomorrow), one that ends today is not, nor one taken already; subscription 2 ends in 2 days under a 3-day
    /// notice (renew), subscription 1 in 30 (no); growing consumption suggests 3 units on the
    /// first subscription, declining 1 unit on the first with more than one.
    #[test]
    fn rules_by_hand() -> TestResult {
        let today = Date::parse_iso("2028-03-10")?;
        let promo = |id, to| {
            Promotion::new(
                PromotionId(id),
                Offer::Extra {
                    product: ProductId(2),
                    free_units: 1,
                },
                today.add_days(-5),
                to,
                Segment::Loyal,
                0,
                1,
            )
        };
        let mut o = CustomerOutlook {
            today,
            first_open: today.add_days(1),
            renewal_days_before: 3,
            class: ConsumptionClass::Growing,
            history_weeks: 8,
            subscriptions: vec![
                SubscriptionOutlook {
                    subscription: SubscriptionId(2),
                    quantity: 1,
                    term_end: Some(today.add_days(2)),
                },
                SubscriptionOutlook {
                    subscription: SubscriptionId(1),
                    quantity: 2,
                    term_end: Some(today.add_days(30)),
                },
            ],
            offers: vec![
                promo(9, today)?,
                promo(4, today.add_days(2))?,
                promo(5, today.add_days(2))?,
            ],
            taken: vec![PromotionId(5)],
        };
        assert_eq!(
            recommend(&o),
            vec![
                Recommendation::Offer {
                    promotion: PromotionId(4),
                    offer: Offer::Extra {
                        product: ProductId(2),
                        free_units: 1
                    },
                    from: today.add_days(1),
                    to: today.add_days(2),
                },
                Recommendation::Renew {
                    subscription: SubscriptionId(2),
                    term_end: today.add_days(2),
                },
                Recommendation::Quantity {
                    subscription: SubscriptionId(1),
                    quantity: 3,
                    from: today.add_days(1),
                    why: QuantityWhy::Growing,
                },
            ]
        );
        o.class = ConsumptionClass::Declining;
        o.offers.clear();
        assert_eq!(
            recommend(&o).last(),
            Some(&Recommendation::Quantity {
                subscription: SubscriptionId(1),
                quantity: 1,
                from: today.add_days(1),
                why: QuantityWhy::Declining,
            })
        );
        o.class = ConsumptionClass::Steady;
        o.subscriptions[0].term_end = None;
        assert!(recommend(&o).is_empty());
        Ok(())
    }

    /// Growing consumption over 3 weeks of history suggests nothing, over 4 one unit more;
    /// the same for a declining one; a short history still gets its offers and renewals.
    #[test]
    fn a_trend_needs_history() -> TestResult {
        let today = Date::parse_iso("2028-03-10")?;
        let mut o = CustomerOutlook {
            today,
            first_open: today.add_days(1),
            renewal_days_before: 3,
            class: ConsumptionClass::Growing,
            history_weeks: MIN_HISTORY_WEEKS - 1,
            subscriptions: vec![SubscriptionOutlook {
                subscription: SubscriptionId(1),
                quantity: 2,
                term_end: Some(today.add_days(2)),
            }],
            offers: vec![],
            taken: vec![],
        };
        let renew = Recommendation::Renew {
            subscription: SubscriptionId(1),
            term_end: today.add_days(2),
        };
        assert_eq!(recommend(&o), vec![renew]);
        o.history_weeks = MIN_HISTORY_WEEKS;
        assert_eq!(
            recommend(&o),
            vec![
                renew,
                Recommendation::Quantity {
                    subscription: SubscriptionId(1),
                    quantity: 3,
                    from: today.add_days(1),
                    why: QuantityWhy::Growing,
                }
            ]
        );
        o.class = ConsumptionClass::Declining;
        o.history_weeks = MIN_HISTORY_WEEKS - 1;
        assert_eq!(recommend(&o), vec![renew]);
        o.history_weeks = MIN_HISTORY_WEEKS;
        assert_eq!(recommend(&o).len(), 2);
        o.history_weeks = 0;
        o.class = ConsumptionClass::Inactive;
        assert_eq!(recommend(&o), vec![renew]);
        Ok(())
    }
}
