//! Calendar operations and the deliveries they give.
use milkrun_calendar::Date;
use sqlx::{AnyConnection, Row};

use super::{date_text, to_u32, Cells, Store, StoreError};
use crate::calendar::{self, CutOff, Delivery, DeliveryLine, Moment, Operation, OperationKind};
use crate::error::invalid;
use crate::ids::{OperationId, ProductId, SubscriptionId, TenantId};

impl Store {
    /// Records a customer's calendar change requested at `now`, refused with
    /// [`crate::DairyError::LateChange`] after the tenant's cut-off for its first day. A skip
    /// or a postpone of a day without a regular delivery is refused too.
    pub async fn request_operation(
        &self,
        tenant: TenantId,
        subscription: SubscriptionId,
        kind: OperationKind,
        now: Moment,
    ) -> Result<Operation, StoreError> {
        let cutoff = self.tenant(tenant).await?.cutoff;
        // Check before taking an id, so a late change costs no write.
        Operation::request(OperationId(1), subscription, kind, cutoff, now)?;
        if let OperationKind::Skip { date } | OperationKind::Postpone { date } = kind {
            let days = self.deliveries(tenant, subscription, date, date).await?;
            if !days.iter().any(|d| d.line == DeliveryLine::Regular) {
                let field = if matches!(kind, OperationKind::Skip { .. }) {
                    "skip.date"
                } else {
                    "postpone.date"
                };
                return Err(invalid(
                    field,
                    format!("subscription {subscription} has no delivery on {date}"),
                )
                .into());
            }
        }
        let mut tx = self.begin_write().await?;
        let id = insert_operation(&mut tx, tenant, subscription, kind).await?;
        tx.commit().await?;
        Ok(Operation {
            id,
            subscription,
            kind,
        })
    }

    /// Every operation of a subscription, in id order.
    pub async fn operations(
        &self,
        tenant: TenantId,
        subscription: SubscriptionId,
    ) -> Result<Vec<Operation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM operations WHERE tenant_id = $1 AND subscription_id = $2 \
             ORDER BY operation_id"
        ))
        .bind(tenant.0)
        .bind(subscription.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(operation_from_row).collect()
    }

    /// Every delivery a subscription gives from `from` to `to`, after its operations.
    pub async fn deliveries(
        &self,
        tenant: TenantId,
        subscription: SubscriptionId,
        from: Date,
        to: Date,
    ) -> Result<Vec<Delivery>, StoreError> {
        let sub = self.subscription(tenant, subscription).await?;
        let package = self.package(tenant, sub.package).await?;
        let ops = self.operations(tenant, subscription).await?;
        Ok(calendar::deliveries(&sub, package.product, &ops, from, to)?)
    }

    /// The tenant's cut-off.
    pub async fn cutoff(&self, tenant: TenantId) -> Result<CutOff, StoreError> {
        Ok(self.tenant(tenant).await?.cutoff)
    }
}

/// The columns [`operation_from_row`] reads.
pub(crate) const COLUMNS: &str =
    "operation_id, subscription_id, kind, date_from, date_to, product_id, quantity";

/// Inserts an operation with the tenant's next operation id (inside the caller's transaction).
/// The id comes from the tenant's counter row, bumped by one atomic upsert: concurrent
/// callers wait on that row and never get the same id (`MAX + 1` did).
pub(crate) async fn insert_operation(
    conn: &mut AnyConnection,
    tenant: TenantId,
    subscription: SubscriptionId,
    kind: OperationKind,
) -> Result<OperationId, StoreError> {
    let next: i64 = sqlx::query(
        "INSERT INTO operation_counters (tenant_id, last_operation_id) VALUES ($1, 1) \
         ON CONFLICT (tenant_id) DO UPDATE \
         SET last_operation_id = operation_counters.last_operation_id + 1 \
         RETURNING last_operation_id",
    )
    .bind(tenant.0)
    .fetch_one(&mut *conn)
    .await?
    .try_get("last_operation_id")?;
    let (name, from, to, product, quantity) = columns(kind);
    sqlx::query(
        "INSERT INTO operations (tenant_id, operation_id, subscription_id, kind, date_from, \
         date_to, product_id, quantity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.0)
    .bind(next)
    .bind(subscription.0)
    .bind(name)
    .bind(from.map(date_text))
    .bind(to.map(date_text))
    .bind(product.map(|p| p.0))
    .bind(quantity.map(i64::from))
    .execute(&mut *conn)
    .await?;
    Ok(OperationId(next))
}

type Columns = (
    &'static str,
    Option<Date>,
    Option<Date>,
    Option<ProductId>,
    Option<u32>,
);

/// An operation kind as its stored columns.
fn columns(kind: OperationKind) -> Columns {
    match kind {
        OperationKind::Pause { from, to } => ("pause", Some(from), Some(to), None, None),
        OperationKind::Skip { date } => ("skip", Some(date), None, None, None),
        OperationKind::Swap {
            product,
            from,
            until,
        } => ("swap", Some(from), until, Some(product), None),
        OperationKind::Postpone { date } => ("postpone", Some(date), None, None, None),
        OperationKind::ChangeQuantity { from, quantity } => {
            ("change_quantity", Some(from), None, None, Some(quantity))
        }
        OperationKind::Extra {
            date,
            product,
            quantity,
        } => ("extra", Some(date), None, Some(product), Some(quantity)),
        OperationKind::MakeUp {
            date,
            product,
            quantity,
        } => ("make_up", Some(date), None, Some(product), Some(quantity)),
        OperationKind::Extension => ("extension", None, None, None, None),
    }
}

/// An operation from a row with [`COLUMNS`].
pub(crate) fn operation_from_row(row: &impl Cells) -> Result<Operation, StoreError> {
    let kind_name = row.text("kind")?;
    let from = row.opt_date("date_from", "operations.date_from")?;
    let to = row.opt_date("date_to", "operations.date_to")?;
    let product = row.opt_int("product_id")?.map(ProductId);
    let quantity = row
        .opt_int("quantity")?
        .map(|q| to_u32(q, "operations.quantity"))
        .transpose()?;
    let missing = || StoreError::Corrupt {
        field: "operations",
        reason: format!("a `{kind_name}` operation lacks a column it needs"),
    };
    let kind = match kind_name.as_str() {
        "pause" => OperationKind::Pause {
            from: from.ok_or_else(missing)?,
            to: to.ok_or_else(missing)?,
        },
        "skip" => OperationKind::Skip {
            date: from.ok_or_else(missing)?,
        },
        "swap" => OperationKind::Swap {
            product: product.ok_or_else(missing)?,
            from: from.ok_or_else(missing)?,
            until: to,
        },
        "postpone" => OperationKind::Postpone {
            date: from.ok_or_else(missing)?,
        },
        "change_quantity" => OperationKind::ChangeQuantity {
            from: from.ok_or_else(missing)?,
            quantity: quantity.ok_or_else(missing)?,
        },
        "extra" => OperationKind::Extra {
            date: from.ok_or_else(missing)?,
            product: product.ok_or_else(missing)?,
            quantity: quantity.ok_or_else(missing)?,
        },
        "make_up" => OperationKind::MakeUp {
            date: from.ok_or_else(missing)?,
            product: product.ok_or_else(missing)?,
            quantity: quantity.ok_or_else(missing)?,
        },
        "extension" => OperationKind::Extension,
        _ => {
            return Err(StoreError::Corrupt {
                field: "operations.kind",
                reason: format!("unknown kind `{kind_name}`"),
            })
        }
    };
    Ok(Operation {
        id: OperationId(row.int("operation_id")?),
        subscription: SubscriptionId(row.int("subscription_id")?),
        kind,
    })
}
