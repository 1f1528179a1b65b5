//! A customer takes a promotion's subscription offer (migration 0015): the offer must be
//! one told to the customer and valid now ([`Store::offers_for_customer`],
//! [`Promotion::subscription_offer`]); the subscription (quantity one, every day, the
//! package's term) starts on the first day a change made now applies to, keeps the promoted
//! price and the promotion, and gets the tenant's next subscription id. Taking the same
//! promotion again for the household answers the subscription made the first time; a
//! household with a subscription to the package running on or after that day is refused.
use sqlx::Row;

use super::subscriptions::{insert_on, subscription_from_row, COLUMNS};
use super::{Store, StoreError};
use crate::calendar::Moment;
use crate::error::invalid;
use crate::ids::{CustomerId, HouseholdId, PromotionId, SubscriptionId, TenantId};
use crate::money::Cents;
use crate::promotion::{price_per_delivery, Promotion};
use crate::renewal::term_end;
use crate::subscription::{Subscription, Term, WeekdayPattern};

/// What taking an offer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenOffer {
    /// The subscription.
    pub subscription: Subscription,
    /// Its price for the whole term (the promoted one).
    pub price: Cents,
    /// Its deliveries (every day of its term, or the package's count).
    pub deliveries: u32,
    /// The price of one delivery, rounded half up.
    pub per_delivery: Option<Cents>,
    /// False when the promotion was taken for the household before (nothing was written).
    pub created: bool,
}

/// The deliveries of a term delivered every day from `start`.
pub fn term_deliveries(start: milkrun_calendar::Date, term: Term) -> u32 {
    match term {
        Term::Prepaid(n) => n,
        Term::Until(end) => u32::try_from(end.days_since(start).saturating_add(1)).unwrap_or(0),
    }
}

impl Store {
    /// The offer `promotion` the customer was told of and that is valid at `now` (another
    /// tenant's, an unknown one, one held out from the customer: [`StoreError::NotFound`]).
    pub async fn customer_offer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        promotion: PromotionId,
        now: Moment,
    ) -> Result<Promotion, StoreError> {
        self.offers_for_customer(tenant, customer, now.date)
            .await?
            .into_iter()
            .find(|p| p.id == promotion)
            .ok_or(StoreError::NotFound {
                tenant,
                what: "offer",
                id: promotion.0,
            })
    }

    /// Takes a subscription offer for one of the customer's households at `now` (see the
    /// module). Refusals name the field: `offer.kind`, `offer.today`, `offer.package`
    /// (already subscribed).
    pub async fn take_subscription_offer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        promotion: PromotionId,
        household: HouseholdId,
        now: Moment,
    ) -> Result<TakenOffer, StoreError> {
        let p = self
            .customer_offer(tenant, customer, promotion, now)
            .await?;
        let (package_id, price) = p.subscription_offer(now.date)?;
        let h = self.household(tenant, household).await?;
        if h.customer != customer {
            return Err(StoreError::NotFound {
                tenant,
                what: "household",
                id: household.0,
            });
        }
        let package = self.package(tenant, package_id).await?;
        let start = self.cutoff(tenant).await?.first_open_date(now);
        let planned = Subscription::for_package(
            SubscriptionId(1),
            household,
            &package,
            start,
            1,
            WeekdayPattern::DAILY,
        )?;
        let deliveries = term_deliveries(start, planned.term);
        let taken = |subscription, created| TakenOffer {
            subscription,
            price,
            deliveries,
            per_delivery: price_per_delivery(price, deliveries),
            created,
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, promotion_id FROM subscriptions WHERE tenant_id = $1 \
             AND household_id = $2 AND package_id = $3 ORDER BY subscription_id"
        ))
        .bind(tenant.0)
        .bind(household.0)
        .bind(package_id.0)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let sub = subscription_from_row(row)?;
            let from: Option<i64> = row.try_get("promotion_id")?;
            if from == Some(promotion.0) {
                return Ok(taken(sub, false));
            }
            let ops = self.operations(tenant, sub.id).await?;
            if let Some(end) = term_end(&sub, package.product, &ops, start)? {
                return Err(invalid(
                    "offer.package",
                    format!(
                        "household {} subscribes to package {} already (subscription {}, \
                         last delivery {end})",
                        household.0, package_id.0, sub.id.0
                    ),
                )
                .into());
            }
        }
        let mut tx = self.begin_write().await?;
        let id = super::subscriptions::next_id_on(&mut tx, tenant, "offer.subscription").await?;
        let sub = Subscription { id, ..planned };
        insert_on(&mut tx, tenant, &sub).await?;
        sqlx::query(
            "UPDATE subscriptions SET price_cents = $3, promotion_id = $4 \
             WHERE tenant_id = $1 AND subscription_id = $2",
        )
        .bind(tenant.0)
        .bind(id.0)
        .bind(price.0)
        .bind(promotion.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(taken(sub, true))
    }

    /// The price a subscription was taken at, where it keeps one (taken from an offer).
    pub async fn subscription_price(
        &self,
        tenant: TenantId,
        id: SubscriptionId,
    ) -> Result<Option<Cents>, StoreError> {
        let row = sqlx::query(
            "SELECT price_cents FROM subscriptions WHERE tenant_id = $1 AND subscription_id = $2",
        )
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "subscription",
            id: id.0,
        })?;
        let price: Option<i64> = row.try_get("price_cents")?;
        Ok(price.map(Cents))
    }
}
