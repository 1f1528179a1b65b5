//! Close of day, stored: sweep the day's failures through the exception policy, then account
//! for every order.
use milkrun_calendar::Date;
use sqlx::Row;

use super::tenants::remedy_from;
use super::{date_text, Store, StoreError};
use crate::calendar::Moment;
use crate::close::{account_day, DayAccount, OrderEnd};
use crate::ids::{OrderId, TenantId};

impl Store {
    /// Closes `date` at `now`: failed orders without a remedy get one (exactly once), lots
    /// expiring on or before `date` are wasted ([`Store::waste_expired`]), then every order is
    /// accounted for. Orders with no outcome make it an error
    /// ([`crate::DairyError::Unaccounted`]); closing again gives the same accounts.
    pub async fn close_day(
        &self,
        tenant: TenantId,
        date: Date,
        now: Moment,
    ) -> Result<DayAccount, StoreError> {
        self.resolve_failures(tenant, date, now).await?;
        self.waste_expired(tenant, date).await?;
        let rows = sqlx::query(
            "SELECT o.order_id AS order_id, r.status AS status, m.remedy AS remedy, \
             m.amount AS amount FROM orders o \
             LEFT JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             LEFT JOIN remedies m ON m.tenant_id = o.tenant_id AND m.order_id = o.order_id \
             WHERE o.tenant_id = $1 AND o.delivery_date = $2 ORDER BY o.order_id",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        let mut ends = Vec::with_capacity(rows.len());
        for r in &rows {
            let status: Option<String> = r.try_get("status")?;
            let remedy: Option<String> = r.try_get("remedy")?;
            let amount: Option<i64> = r.try_get("amount")?;
            let end = match status.as_deref() {
                None => OrderEnd::Open,
                Some("delivered") => OrderEnd::Delivered,
                Some("cancelled") => OrderEnd::Cancelled,
                Some("failed") => OrderEnd::Failed(
                    remedy
                        .map(|m| remedy_from(m, amount.unwrap_or(0)))
                        .transpose()?,
                ),
                Some(other) => {
                    return Err(StoreError::Corrupt {
                        field: "order_outcomes.status",
                        reason: format!("unknown status `{other}`"),
                    })
                }
            };
            ends.push((OrderId(r.try_get("order_id")?), end));
        }
        Ok(account_day(date, &ends)?)
    }
}
