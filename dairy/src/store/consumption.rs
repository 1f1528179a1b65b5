//! Consumption analysis per customer: reads the customer's orders from `v_order_outcomes`
//! and their subscriptions' calendars, and runs [`crate::consumption::analyse`].
use std::collections::HashMap;

use milkrun_calendar::Date;
use sqlx::Row;

use super::operations::{operation_from_row, COLUMNS as OP_COLUMNS};
use super::subscriptions::subscription_from_row;
use super::{date_text, parse_date, to_u32, Store, StoreError};
use crate::calendar::Operation;
use crate::consumption::{analyse, check_range, days_off, ConsumedOrder, Consumption, OrderStatus};
use crate::ids::{CustomerId, ProductId, SubscriptionId, TenantId};

impl Store {
    /// The consumption of one of the tenant's customers from `from` to `to` (at least three
    /// whole weeks, at most three years): units delivered per product and week, the trend and
    /// its class, failed and cancelled orders, and the days a pause, skip or postponement
    /// took away. A customer the tenant does not have is [`StoreError::NotFound`].
    pub async fn customer_consumption(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        from: Date,
        to: Date,
    ) -> Result<Consumption, StoreError> {
        check_range(from, to)?;
        let known =
            sqlx::query("SELECT 1 AS one FROM customers WHERE tenant_id = $1 AND customer_id = $2")
                .bind(tenant.0)
                .bind(customer.0)
                .fetch_optional(&self.pool)
                .await?;
        if known.is_none() {
            return Err(StoreError::NotFound {
                tenant,
                what: "customer",
                id: customer.0,
            });
        }
        let rows = sqlx::query(
            "SELECT delivery_date, product_id, quantity, status FROM v_order_outcomes \
             WHERE tenant_id = $1 AND customer_id = $2 AND delivery_date >= $3 \
             AND delivery_date <= $4 ORDER BY delivery_date, order_id",
        )
        .bind(tenant.0)
        .bind(customer.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?;
        let mut orders = Vec::with_capacity(rows.len());
        for r in &rows {
            let date: String = r.try_get("delivery_date")?;
            let status: String = r.try_get("status")?;
            orders.push(ConsumedOrder {
                date: parse_date(&date, "orders.delivery_date")?,
                product: ProductId(r.try_get("product_id")?),
                quantity: to_u32(r.try_get("quantity")?, "orders.quantity")?,
                status: OrderStatus::parse(&status)?,
            });
        }
        let sub_rows = sqlx::query(
            "SELECT s.subscription_id AS subscription_id, s.household_id AS household_id, \
             s.package_id AS package_id, s.start_date AS start_date, s.prepaid AS prepaid, \
             s.end_date AS end_date, s.quantity AS quantity, s.weekdays AS weekdays \
             FROM subscriptions s \
             JOIN households h ON h.tenant_id = s.tenant_id AND h.household_id = s.household_id \
             WHERE s.tenant_id = $1 AND h.customer_id = $2 AND s.start_date <= $3 \
             ORDER BY s.subscription_id",
        )
        .bind(tenant.0)
        .bind(customer.0)
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?;
        let op_rows = sqlx::query(&format!(
            "SELECT {OP_COLUMNS} FROM operations WHERE tenant_id = $1 AND subscription_id IN \
             (SELECT s.subscription_id FROM subscriptions s JOIN households h \
             ON h.tenant_id = s.tenant_id AND h.household_id = s.household_id \
             WHERE s.tenant_id = $2 AND h.customer_id = $3) ORDER BY operation_id"
        ))
        .bind(tenant.0)
        .bind(tenant.0)
        .bind(customer.0)
        .fetch_all(&self.pool)
        .await?;
        let mut ops: HashMap<SubscriptionId, Vec<Operation>> = HashMap::new();
        for r in &op_rows {
            let op = operation_from_row(r)?;
            ops.entry(op.subscription).or_default().push(op);
        }
        let mut subs = Vec::with_capacity(sub_rows.len());
        for r in &sub_rows {
            let sub = subscription_from_row(r)?;
            let sub_ops = ops.remove(&sub.id).unwrap_or_default();
            subs.push((sub, sub_ops));
        }
        let off = days_off(&subs, from, to)?;
        Ok(analyse(from, to, &orders, off)?)
    }
}
