//! Customer segments, stored: one snapshot per tenant computed from the delivered orders of
//! `v_order_outcomes` by [`crate::segment::segment_customers`], replaced whole by each
//! assignment.
use milkrun_calendar::Date;
use sqlx::Row;

use super::{date_text, parse_date, to_u32, values_clause, Store, StoreError, ROWS_PER_INSERT};
use crate::error::invalid;
use crate::ids::{CustomerId, TenantId};
use crate::segment::{segment_customers, CustomerSegment, Purchase, Segment, MAX_WINDOW_DAYS};

impl Store {
    /// Computes every customer's segment as of `as_of` from the deliveries of the
    /// `window_days` days up to it (1..=[`MAX_WINDOW_DAYS`]) and stores them in place of the
    /// tenant's previous segments, in one transaction. Customers without a delivery in the
    /// window are left unsegmented. Returns the segments, in customer order.
    pub async fn assign_segments(
        &self,
        tenant: TenantId,
        as_of: Date,
        window_days: u32,
    ) -> Result<Vec<CustomerSegment>, StoreError> {
        if window_days == 0 || window_days > MAX_WINDOW_DAYS {
            return Err(invalid(
                "segments.window_days",
                format!("must be 1..={MAX_WINDOW_DAYS}"),
            )
            .into());
        }
        let start = as_of.add_days(1 - window_days as i32);
        let rows = sqlx::query(
            "SELECT customer_id, delivery_date, CAST(SUM(quantity) AS BIGINT) AS units \
             FROM v_order_outcomes WHERE tenant_id = $1 AND status = 'delivered' \
             AND delivery_date >= $2 AND delivery_date <= $3 \
             GROUP BY customer_id, delivery_date",
        )
        .bind(tenant.0)
        .bind(date_text(start))
        .bind(date_text(as_of))
        .fetch_all(&self.pool)
        .await?;
        let mut purchases = Vec::with_capacity(rows.len());
        for r in &rows {
            let date: String = r.try_get("delivery_date")?;
            purchases.push(Purchase {
                customer: CustomerId(r.try_get("customer_id")?),
                date: parse_date(&date, "orders.delivery_date")?,
                units: to_u32(r.try_get("units")?, "orders.quantity")?,
            });
        }
        let segments = segment_customers(&purchases, as_of, window_days)?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM customer_segments WHERE tenant_id = $1")
            .bind(tenant.0)
            .execute(&mut *tx)
            .await?;
        for chunk in segments.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO customer_segments (tenant_id, customer_id, segment, as_of, \
                 days_since_last, delivery_days, milli_units_per_day) {}",
                values_clause(self.backend, chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q
                    .bind(tenant.0)
                    .bind(s.customer.0)
                    .bind(s.segment.as_str())
                    .bind(date_text(as_of))
                    .bind(s.days_since_last)
                    .bind(i64::from(s.delivery_days))
                    .bind((s.units_per_day * 1000.0).round() as i64);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(segments)
    }

    /// The customers the tenant's stored segments put in `segment`, in id order.
    pub async fn segment_members(
        &self,
        tenant: TenantId,
        segment: Segment,
    ) -> Result<Vec<CustomerId>, StoreError> {
        let rows = sqlx::query(
            "SELECT customer_id FROM customer_segments WHERE tenant_id = $1 AND segment = $2 \
             ORDER BY customer_id",
        )
        .bind(tenant.0)
        .bind(segment.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(CustomerId(r.try_get("customer_id")?)))
            .collect()
    }
}
