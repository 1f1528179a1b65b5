//! Customers' ratings of their deliveries (migration 0013): one per household and day, 1 to
//! 5 stars, given to the courier who delivered it (the delivered outcome's courier), and a
//! courier's count and average over a range of days. Keyed by tenant.
use milkrun_calendar::Date;
use sqlx::Row;

use super::{date_text, parse_date, Store, StoreError};
use crate::error::invalid;
use crate::ids::{CourierId, CustomerId, HouseholdId, TenantId};

/// Most stars a rating gives.
pub const MAX_STARS: u8 = 5;

/// A courier's ratings over some days.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CourierRatings {
    /// How many deliveries were rated.
    pub count: u32,
    /// Their average, stars (`None` without ratings).
    pub average: Option<f64>,
}

/// The most delivered days [`Store::delivered_days`] answers (a bound on what it
/// allocates: about a year of daily deliveries to a few households).
pub const MAX_DELIVERED_DAYS: i64 = 1_000;

/// A day something was delivered to one of a customer's households, with its rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveredDay {
    /// The household.
    pub household: HouseholdId,
    /// The day.
    pub date: Date,
    /// The customer's stars, `None` while not rated.
    pub stars: Option<u8>,
}

impl Store {
    /// The days from `from` to `to` (both included) on which something was delivered to
    /// one of the customer's households, by day and household, each with its rating if the
    /// customer gave one (at most [`MAX_DELIVERED_DAYS`], the earliest).
    pub async fn delivered_days(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DeliveredDay>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.household_id AS household_id, o.delivery_date AS delivery_date, \
             MAX(d.stars) AS stars \
             FROM orders o \
             JOIN households h ON h.tenant_id = o.tenant_id AND h.household_id = o.household_id \
             JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             LEFT JOIN delivery_ratings d ON d.tenant_id = o.tenant_id \
             AND d.household_id = o.household_id AND d.delivery_date = o.delivery_date \
             WHERE o.tenant_id = $1 AND h.customer_id = $2 AND o.delivery_date >= $3 \
             AND o.delivery_date <= $4 AND r.status = 'delivered' \
             GROUP BY o.household_id, o.delivery_date \
             ORDER BY o.delivery_date, o.household_id LIMIT $5",
        )
        .bind(tenant.0)
        .bind(customer.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .bind(MAX_DELIVERED_DAYS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let stars = r
                    .try_get::<Option<i64>, _>("stars")?
                    .map(|s| {
                        u8::try_from(s).map_err(|_| StoreError::Corrupt {
                            field: "delivery_ratings.stars",
                            reason: format!("{s} is not 1 to {MAX_STARS}"),
                        })
                    })
                    .transpose()?;
                Ok(DeliveredDay {
                    household: HouseholdId(r.try_get("household_id")?),
                    date: parse_date(
                        &r.try_get::<String, _>("delivery_date")?,
                        "orders.delivery_date",
                    )?,
                    stars,
                })
            })
            .collect()
    }

    /// The customer rates the delivery to his household on `date` (`stars` 1 to
    /// [`MAX_STARS`]): stored for the courier who delivered it. `false` when the delivery
    /// was rated before (the first rating stands). A household of another customer is
    /// `NotFound`; a day with nothing delivered there is refused naming `date`.
    pub async fn rate_delivery(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        household: HouseholdId,
        date: Date,
        stars: u8,
    ) -> Result<bool, StoreError> {
        if !(1..=MAX_STARS).contains(&stars) {
            return Err(invalid("stars", format!("must be 1 to {MAX_STARS}")).into());
        }
        let owner = sqlx::query(
            "SELECT customer_id FROM households WHERE tenant_id = $1 AND household_id = $2",
        )
        .bind(tenant.0)
        .bind(household.0)
        .fetch_optional(&self.pool)
        .await?;
        let owned = match owner {
            Some(r) => r.try_get::<i64, _>("customer_id")? == customer.0,
            None => false,
        };
        if !owned {
            return Err(StoreError::NotFound {
                tenant,
                what: "household of the customer",
                id: household.0,
            });
        }
        let courier = sqlx::query(
            "SELECT MIN(r.courier_id) AS courier_id FROM orders o \
             JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             WHERE o.tenant_id = $1 AND o.household_id = $2 AND o.delivery_date = $3 \
             AND r.status = 'delivered'",
        )
        .bind(tenant.0)
        .bind(household.0)
        .bind(date_text(date))
        .fetch_one(&self.pool)
        .await?
        .try_get::<Option<i64>, _>("courier_id")?;
        let Some(courier) = courier else {
            return Err(invalid(
                "date",
                format!(
                    "nothing was delivered to household {} on {date}",
                    household.0
                ),
            )
            .into());
        };
        let done = sqlx::query(
            "INSERT INTO delivery_ratings (tenant_id, household_id, delivery_date, customer_id, \
             courier_id, stars) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(household.0)
        .bind(date_text(date))
        .bind(customer.0)
        .bind(courier)
        .bind(i64::from(stars))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A courier's ratings of the deliveries from `from` to `to` (both included).
    pub async fn courier_ratings(
        &self,
        tenant: TenantId,
        courier: CourierId,
        from: Date,
        to: Date,
    ) -> Result<CourierRatings, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(stars), 0) AS BIGINT) AS total \
             FROM delivery_ratings \
             WHERE tenant_id = $1 AND courier_id = $2 AND delivery_date >= $3 \
             AND delivery_date <= $4",
        )
        .bind(tenant.0)
        .bind(courier.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        let total: i64 = row.try_get("total")?;
        let count = super::to_u32(n, "delivery_ratings.count")?;
        Ok(CourierRatings {
            count,
            average: (n > 0).then(|| total as f64 / n as f64),
        })
    }
}
