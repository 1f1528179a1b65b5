//! Courier settlement, stored: the tenant's rate table, each courier's pay for a day, and one
//! courier's pay over a few days.
use milkrun_calendar::Date;
use sqlx::Row;

use super::{date_text, to_u32, Store, StoreError};
use crate::ids::{CourierId, HouseholdId, TenantId};
use crate::money::Cents;
use crate::settlement::{settle, CourierPay, DeliveredLine, RateTable};

impl Store {
    /// Sets (or replaces) the tenant's courier rate table.
    pub async fn set_rates(&self, tenant: TenantId, rates: RateTable) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO courier_rates (tenant_id, per_drop_cents, per_bottle_cents) \
             VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO UPDATE \
             SET per_drop_cents = EXCLUDED.per_drop_cents, \
             per_bottle_cents = EXCLUDED.per_bottle_cents",
        )
        .bind(tenant.0)
        .bind(rates.per_drop.0)
        .bind(rates.per_bottle.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's rate table.
    pub async fn rates(&self, tenant: TenantId) -> Result<RateTable, StoreError> {
        let row = sqlx::query(
            "SELECT per_drop_cents, per_bottle_cents FROM courier_rates WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "rate table",
            id: tenant.0,
        })?;
        Ok(RateTable::new(
            Cents(row.try_get("per_drop_cents")?),
            Cents(row.try_get("per_bottle_cents")?),
        )?)
    }

    /// Each courier's pay for the orders of `date` they delivered.
    pub async fn settle_day(
        &self,
        tenant: TenantId,
        date: Date,
    ) -> Result<Vec<CourierPay>, StoreError> {
        let rates = self.rates(tenant).await?;
        let rows = sqlx::query(
            "SELECT r.courier_id AS courier_id, o.household_id AS household_id, \
             o.quantity AS quantity FROM orders o \
             JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             WHERE o.tenant_id = $1 AND o.delivery_date = $2 AND r.status = 'delivered'",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        let mut lines = Vec::with_capacity(rows.len());
        for r in &rows {
            lines.push(DeliveredLine {
                courier: CourierId(r.try_get("courier_id")?),
                household: HouseholdId(r.try_get("household_id")?),
                bottles: to_u32(r.try_get("quantity")?, "orders.quantity")?,
            });
        }
        Ok(settle(rates, &lines)?)
    }

    /// One courier's pay summed over the days `from..=to` (at most [`MAX_PAY_DAYS`]), each
    /// day settled as [`Store::settle_day`]; zero for days without deliveries.
    pub async fn courier_pay(
        &self,
        tenant: TenantId,
        courier: CourierId,
        from: Date,
        to: Date,
    ) -> Result<CourierPay, StoreError> {
        let days = to.days_since(from);
        if !(0..i64::from(MAX_PAY_DAYS)).contains(&days) {
            return Err(crate::error::invalid(
                "to",
                format!("must be from `from` to {MAX_PAY_DAYS} days after it"),
            )
            .into());
        }
        let mut sum = CourierPay {
            courier,
            drops: 0,
            bottles: 0,
            pay: Cents(0),
        };
        for k in 0..=days {
            let day = from.add_days(k as i32);
            for p in self.settle_day(tenant, day).await? {
                if p.courier != courier {
                    continue;
                }
                let overflow = |what| crate::DairyError::Overflow { what };
                sum.drops = sum.drops.checked_add(p.drops).ok_or(overflow("drops"))?;
                sum.bottles = sum
                    .bottles
                    .checked_add(p.bottles)
                    .ok_or(overflow("bottles"))?;
                sum.pay = sum.pay.checked_add(p.pay, "pay")?;
            }
        }
        Ok(sum)
    }
}

/// Most days [`Store::courier_pay`] sums.
pub const MAX_PAY_DAYS: u32 = 62;
