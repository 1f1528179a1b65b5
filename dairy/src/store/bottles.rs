//! Returnable bottles, stored: return events (deduplicated by their key) and the report of
//! bottles issued versus collected.
use milkrun_calendar::Date;
use sqlx::Row;

use super::{date_text, to_u32, Store, StoreError};
use crate::bottles::{bottle_report, BottleMove, BottleReport, BottleReturn};
use crate::ids::{CourierId, HouseholdId, TenantId};

impl Store {
    /// Records a bottle return; `false` when its key was recorded before (a replay).
    pub async fn record_bottle_return(
        &self,
        tenant: TenantId,
        r: &BottleReturn,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO bottle_returns (tenant_id, event_key, household_id, courier_id, \
             return_date, bottles) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(r.key.as_str())
        .bind(r.household.0)
        .bind(r.courier.0)
        .bind(date_text(r.date))
        .bind(i64::from(r.bottles))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Bottles issued (delivered orders) and collected (returns) from `from` to `to`, per
    /// household and per courier.
    pub async fn bottle_report(
        &self,
        tenant: TenantId,
        from: Date,
        to: Date,
    ) -> Result<BottleReport, StoreError> {
        let issued = sqlx::query(
            "SELECT o.household_id AS household_id, r.courier_id AS courier_id, \
             o.quantity AS bottles FROM orders o \
             JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             WHERE o.tenant_id = $1 AND o.delivery_date >= $2 AND o.delivery_date <= $3 \
             AND r.status = 'delivered'",
        )
        .bind(tenant.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?;
        let collected = sqlx::query(
            "SELECT household_id, courier_id, bottles FROM bottle_returns \
             WHERE tenant_id = $1 AND return_date >= $2 AND return_date <= $3",
        )
        .bind(tenant.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?;
        let moves = |rows: &[sqlx::any::AnyRow]| -> Result<Vec<BottleMove>, StoreError> {
            rows.iter()
                .map(|r| {
                    Ok(BottleMove {
                        household: HouseholdId(r.try_get("household_id")?),
                        courier: CourierId(r.try_get("courier_id")?),
                        bottles: to_u32(r.try_get("bottles")?, "bottles")?,
                    })
                })
                .collect()
        };
        Ok(bottle_report(&moves(&issued)?, &moves(&collected)?))
    }
}
