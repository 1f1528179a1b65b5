//! The exception policy, stored: a failed order becomes its remedy exactly once. The remedy
//! row is keyed by the failed order, and the row and its effect (a retry order, a make-up or
//! extension operation, or the credit itself) are written in one transaction, so a replay or a
//! re-run after a crash finds the row and creates nothing again. The customer's
//! `missed_delivery` message goes into the outbox in the same transaction, keyed by the order.
//! The close's sweep ([`Store::resolve_failures`]) writes up to 256 remedies per transaction:
//! each commit costs a sync, and the batch is all or nothing, so exactly once still holds.
use milkrun_calendar::Date;
use sqlx::{AnyConnection, Row};

use super::operations::insert_operation;
use super::orders::{insert_order, order_from_row};
use super::outbox::enqueue_on;
use super::tenants::{remedy_columns, remedy_from};
use super::{date_text, Store, StoreError};
use crate::calendar::{DeliveryLine, Moment, OperationKind};
use crate::dedupe::DedupeKey;
use crate::error::invalid;
use crate::exception::{make_up_date, Remedy};
use crate::freeze::{order_id, Order};
use crate::ids::{OperationId, OrderId, TenantId};
use crate::outbox::{OutboxMessage, Topic};
use crate::outcome::Outcome;
use crate::tenant::Tenant;

/// What a failed order became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedRemedy {
    /// The failed order.
    pub order: OrderId,
    /// The remedy.
    pub remedy: Remedy,
    /// The make-up or extension operation it added, if any.
    pub operation: Option<OperationId>,
    /// The same-day retry order it added, if any.
    pub retry_order: Option<OrderId>,
    /// Whether this call created it (false when it existed already).
    pub created: bool,
}

/// The most failed orders [`Store::resolve_failures`] remedies in one transaction.
const REMEDIES_PER_TRANSACTION: usize = 256;

/// A remedy decided for a failed order, with everything its writes need, read before the write
/// transaction.
struct Decided {
    order: Order,
    remedy: Remedy,
    /// The make-up's day, for [`Remedy::MakeUpNextDay`].
    make_up_day: Option<Date>,
}

impl Store {
    /// Applies the tenant's exception policy to a failed order at `now`, exactly once: a
    /// second call returns the first remedy and creates nothing. Refused for an order that has
    /// no failed outcome.
    pub async fn apply_exception(
        &self,
        tenant: TenantId,
        failed: OrderId,
        now: Moment,
    ) -> Result<AppliedRemedy, StoreError> {
        if let Some(existing) = self.remedy(tenant, failed).await? {
            return Ok(existing);
        }
        let order = self.order(tenant, failed).await?;
        let t = self.tenant(tenant).await?;
        let decided = self.decide(tenant, &t, order, now).await?;
        let mut tx = self.begin_write().await?;
        let Some(applied) = write_remedy(&mut tx, tenant, &decided).await? else {
            // Another run got there first: keep its remedy.
            tx.rollback().await?;
            return self
                .remedy(tenant, failed)
                .await?
                .ok_or(StoreError::Corrupt {
                    field: "remedies",
                    reason: format!("order {failed}'s remedy vanished"),
                });
        };
        tx.commit().await?;
        Ok(applied)
    }

    /// The remedy of a failed order by the tenant `t`'s policy, and the make-up's day, read
    /// before any write. Refused for an order that has no failed outcome.
    async fn decide(
        &self,
        tenant: TenantId,
        t: &Tenant,
        order: Order,
        now: Moment,
    ) -> Result<Decided, StoreError> {
        let Some(Outcome::Failed { at, reason, .. }) = self.outcome(tenant, order.id).await? else {
            return Err(
                invalid("order", format!("order {} has no failed outcome", order.id)).into(),
            );
        };
        let remedy = t.policy.decide(reason, at.second_of_day);
        // Everything the remedy's day depends on is read before the write transaction.
        let make_up_day = match remedy {
            Remedy::MakeUpNextDay => {
                let sub = self.subscription(tenant, order.subscription).await?;
                let product = self.package(tenant, sub.package).await?.product;
                let ops = self.operations(tenant, sub.id).await?;
                Some(make_up_date(
                    &sub, product, &ops, order.date, t.cutoff, now,
                )?)
            }
            _ => None,
        };
        Ok(Decided {
            order,
            remedy,
            make_up_day,
        })
    }

    /// What a failed order became, `None` while it has no remedy.
    pub async fn remedy(
        &self,
        tenant: TenantId,
        order: OrderId,
    ) -> Result<Option<AppliedRemedy>, StoreError> {
        let row = sqlx::query(
            "SELECT remedy, amount, operation_id, retry_order_id FROM remedies \
             WHERE tenant_id = $1 AND order_id = $2",
        )
        .bind(tenant.0)
        .bind(order.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let operation: Option<i64> = row.try_get("operation_id")?;
        let retry_order: Option<i64> = row.try_get("retry_order_id")?;
        Ok(Some(AppliedRemedy {
            order,
            remedy: remedy_from(row.try_get("remedy")?, row.try_get("amount")?)?,
            operation: operation.map(OperationId),
            retry_order: retry_order.map(OrderId),
            created: false,
        }))
    }

    /// Applies the policy to every failed order of `date` that has no remedy yet (the
    /// re-run after a crash, or the sweep at close of day); returns the remedies created.
    pub async fn resolve_failures(
        &self,
        tenant: TenantId,
        date: Date,
        now: Moment,
    ) -> Result<Vec<AppliedRemedy>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.order_id AS order_id, o.subscription_id AS subscription_id, \
             o.household_id AS household_id, o.station_id AS station_id, \
             o.delivery_date AS delivery_date, o.line AS line, o.line_kind AS line_kind, \
             o.product_id AS product_id, o.quantity AS quantity FROM orders o \
             JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             LEFT JOIN remedies m ON m.tenant_id = o.tenant_id AND m.order_id = o.order_id \
             WHERE o.tenant_id = $1 AND o.delivery_date = $2 AND r.status = 'failed' \
             AND m.order_id IS NULL ORDER BY o.order_id",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        let t = self.tenant(tenant).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut batch: Vec<Decided> = Vec::new();
        for r in &rows {
            let order = order_from_row(r)?;
            // A subscription's make-up day depends on its operations, which its earlier
            // remedies change: a second failure of it waits for the batch to commit, so
            // every remedy is decided as if the failures were remedied one by one.
            if batch.len() == REMEDIES_PER_TRANSACTION
                || batch
                    .iter()
                    .any(|d| d.order.subscription == order.subscription)
            {
                self.write_remedies(tenant, &mut batch, &mut out).await?;
            }
            batch.push(self.decide(tenant, &t, order, now).await?);
        }
        self.write_remedies(tenant, &mut batch, &mut out).await?;
        Ok(out)
    }

    /// Writes the decided remedies in one transaction (all or none, so a crash leaves each
    /// failed order with its whole remedy or none) and empties `batch`; adds those created
    /// to `out` (one remedied meanwhile by a concurrent call keeps that remedy).
    async fn write_remedies(
        &self,
        tenant: TenantId,
        batch: &mut Vec<Decided>,
        out: &mut Vec<AppliedRemedy>,
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let mut created = Vec::with_capacity(batch.len());
        for d in batch.iter() {
            created.extend(write_remedy(&mut tx, tenant, d).await?);
        }
        tx.commit().await?;
        out.append(&mut created);
        batch.clear();
        Ok(())
    }
}

/// Writes a decided remedy inside the caller's transaction: the remedy row keyed by the
/// failed order, its effect (a retry order, a make-up or extension operation, or the credit
/// itself) and the customer's message. `None`, with nothing written, when the order has a
/// remedy already.
async fn write_remedy(
    conn: &mut AnyConnection,
    tenant: TenantId,
    d: &Decided,
) -> Result<Option<AppliedRemedy>, StoreError> {
    let Decided {
        order,
        remedy,
        make_up_day,
    } = d;
    let (remedy, order) = (*remedy, order);
    let (name, amount) = remedy_columns(remedy);
    let done = sqlx::query(
        "INSERT INTO remedies (tenant_id, order_id, remedy, amount) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant.0)
    .bind(order.id.0)
    .bind(name)
    .bind(amount)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let (operation, retry_order) = match remedy {
        Remedy::SameDayRetry => {
            let (op, retry) = retry(conn, tenant, order, order.date).await?;
            (Some(op), Some(retry))
        }
        Remedy::MakeUpNextDay => {
            let date = make_up_day.unwrap_or(order.date.add_days(1));
            let kind = make_up(order, date);
            (
                Some(insert_operation(conn, tenant, order.subscription, kind).await?),
                None,
            )
        }
        Remedy::ExtendOneDay => {
            let kind = OperationKind::Extension;
            (
                Some(insert_operation(conn, tenant, order.subscription, kind).await?),
                None,
            )
        }
        Remedy::Credit(_) => (None, None),
    };
    sqlx::query(
        "UPDATE remedies SET operation_id = $3, retry_order_id = $4 \
         WHERE tenant_id = $1 AND order_id = $2",
    )
    .bind(tenant.0)
    .bind(order.id.0)
    .bind(operation.map(|o| o.0))
    .bind(retry_order.map(|o| o.0))
    .execute(&mut *conn)
    .await?;
    // The customer is told in the same transaction: one message per failed order.
    let key = DedupeKey::new(&format!("missed:{}", order.id))?;
    let payload = format!(
        "{{\"order_id\":{},\"subscription_id\":{},\"date\":\"{}\",\"remedy\":\"{}\",\"amount\":{}}}",
        order.id, order.subscription, order.date, name, amount
    );
    enqueue_on(
        conn,
        tenant,
        &OutboxMessage::new(key, Topic::MissedDelivery, payload)?,
    )
    .await?;
    Ok(Some(AppliedRemedy {
        order: order.id,
        remedy,
        operation,
        retry_order,
        created: true,
    }))
}

/// A make-up operation for `order` on `date`.
fn make_up(order: &Order, date: Date) -> OperationKind {
    OperationKind::MakeUp {
        date,
        product: order.product,
        quantity: order.quantity,
    }
}

/// Adds a make-up operation on the failed order's own day and its order (the day is frozen
/// already, so the order is written now, with the id the freeze would give it).
async fn retry(
    conn: &mut AnyConnection,
    tenant: TenantId,
    order: &Order,
    date: Date,
) -> Result<(OperationId, OrderId), StoreError> {
    let op = insert_operation(conn, tenant, order.subscription, make_up(order, date)).await?;
    let line = DeliveryLine::MakeUp(op);
    let retry = Order {
        id: order_id(tenant, order.subscription, date, line.number()),
        line,
        ..*order
    };
    insert_order(conn, tenant, &retry).await?;
    Ok((op, retry.id))
}
