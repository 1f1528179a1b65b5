//! Late orders, stored: the rules are [`crate::late_order`]'s; here a late order becomes,
//! in one transaction, an extra operation on the frozen day, the order the freeze would give
//! it (so a re-run freeze finds it and adds nothing) and a row keyed by the dispatcher's
//! dedupe key (migration 0011), so placing the same key again returns the first order and
//! writes nothing.
use sqlx::Row;

use super::operations::insert_operation;
use super::orders::insert_order;
use super::{date_text, Store, StoreError};
use crate::calendar::{DeliveryLine, OperationKind};
use crate::error::invalid;
use crate::freeze::{order_id, Order};
use crate::ids::{OrderId, TenantId};
use crate::late_order::LateOrder;

/// What placing a late order did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedLateOrder {
    /// The order.
    pub order: Order,
    /// False when the key had placed it before (nothing was written now).
    pub created: bool,
}

impl Store {
    /// Places a late order (checked with [`LateOrder::check`] against its subscription and
    /// the tenant's cut-off): an extra of the subscription's product on the day, written
    /// with its order. The same key again returns the first order; a key used for another
    /// order is refused.
    pub async fn place_late_order(
        &self,
        tenant: TenantId,
        late: &LateOrder,
    ) -> Result<PlacedLateOrder, StoreError> {
        if let Some(placed) = self.late_order(tenant, late).await? {
            return Ok(placed);
        }
        let sub = self.subscription(tenant, late.subscription).await?;
        let cutoff = self.tenant(tenant).await?.cutoff;
        late.check(&sub, cutoff)?;
        let product = self.package(tenant, sub.package).await?.product;
        let station = self.household(tenant, sub.household).await?.station;
        let mut tx = self.begin_write().await?;
        let kind = OperationKind::Extra {
            date: late.date,
            product,
            quantity: late.quantity,
        };
        let op = insert_operation(&mut tx, tenant, sub.id, kind).await?;
        let line = DeliveryLine::Extra(op);
        let order = Order {
            id: order_id(tenant, sub.id, late.date, line.number()),
            subscription: sub.id,
            household: sub.household,
            station,
            date: late.date,
            line,
            product,
            quantity: late.quantity,
        };
        insert_order(&mut tx, tenant, &order).await?;
        let written = sqlx::query(
            "INSERT INTO late_orders (tenant_id, dedupe_key, order_id, placed_date, placed_s) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(late.key.as_str())
        .bind(order.id.0)
        .bind(date_text(late.placed.date))
        .bind(late.placed.second_of_day)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written == 0 {
            // Another call placed the key first: keep its order.
            tx.rollback().await?;
            return self
                .late_order(tenant, late)
                .await?
                .ok_or(StoreError::Corrupt {
                    field: "late_orders",
                    reason: format!("the order of key {:?} vanished", late.key.as_str()),
                });
        }
        tx.commit().await?;
        Ok(PlacedLateOrder {
            order,
            created: true,
        })
    }

    /// The order a key placed before, if any; refused when it is not the same order (another
    /// subscription, day or quantity).
    pub async fn placed_late_order(
        &self,
        tenant: TenantId,
        late: &LateOrder,
    ) -> Result<Option<PlacedLateOrder>, StoreError> {
        self.late_order(tenant, late).await
    }

    async fn late_order(
        &self,
        tenant: TenantId,
        late: &LateOrder,
    ) -> Result<Option<PlacedLateOrder>, StoreError> {
        let row = sqlx::query(
            "SELECT order_id FROM late_orders WHERE tenant_id = $1 AND dedupe_key = $2",
        )
        .bind(tenant.0)
        .bind(late.key.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let order = self
            .order(tenant, OrderId(row.try_get("order_id")?))
            .await?;
        if order.subscription != late.subscription
            || order.date != late.date
            || order.quantity != late.quantity
        {
            return Err(invalid(
                "late_order.key",
                format!("key {:?} placed another order", late.key.as_str()),
            )
            .into());
        }
        Ok(Some(PlacedLateOrder {
            order,
            created: false,
        }))
    }
}
