//! The night freeze: every subscription's calendar for one day becomes orders, written in one
//! transaction per station. Idempotent: order ids are deterministic and inserts use
//! `ON CONFLICT DO NOTHING`, so a re-run (after a crash, or twice) adds nothing and gives the
//! same orders.
use std::collections::HashMap;

use milkrun_calendar::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::operations::{operation_from_row, COLUMNS as OP_COLUMNS};
use super::subscriptions::subscription_from_row;
use super::{date_text, parse_date, to_u32, values_clause, Store, StoreError, ROWS_PER_INSERT};
use crate::calendar::{DeliveryLine, Moment, Operation};
use crate::error::invalid;
use crate::freeze::{freeze_day, Order, StationOrders, SubscriptionDay};
use crate::ids::{
    HouseholdId, OperationId, OrderId, ProductId, StationId, SubscriptionId, TenantId,
};

/// What a freeze did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeReport {
    /// The day's orders per station (all of them, whether inserted now or before).
    pub stations: Vec<StationOrders>,
    /// How many orders this run inserted (0 on a re-run).
    pub inserted: u64,
}

impl Store {
    /// Freezes `date` at `now`: expands every subscription of the tenant into the day's
    /// orders and writes each station's orders in one transaction. Refused before the
    /// tenant's cut-off for `date` (customers could still change it).
    pub async fn freeze_day(
        &self,
        tenant: TenantId,
        date: Date,
        now: Moment,
    ) -> Result<FreezeReport, StoreError> {
        let cutoff = self.tenant(tenant).await?.cutoff;
        if now < cutoff.deadline(date) {
            return Err(invalid("freeze.now", format!("is before the cut-off of {date}")).into());
        }
        let subs = self.subscription_days(tenant, date).await?;
        let stations = freeze_day(tenant, date, &subs)?;
        let mut inserted = 0;
        for s in &stations {
            let mut tx = self.begin_write().await?;
            for chunk in s.orders.chunks(ROWS_PER_INSERT) {
                inserted += insert_orders(&mut tx, tenant, chunk).await?;
            }
            tx.commit().await?;
        }
        Ok(FreezeReport { stations, inserted })
    }

    /// Every subscription of the tenant that starts on or before `started_by`, with its
    /// station, its package's product and its calendar operations, in id order: what an
    /// expansion needs (the freeze, a look ahead at a day not frozen yet, renewal reminders).
    pub(crate) async fn subscription_days(
        &self,
        tenant: TenantId,
        started_by: Date,
    ) -> Result<Vec<SubscriptionDay>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.subscription_id AS subscription_id, s.household_id AS household_id, \
             s.package_id AS package_id, s.start_date AS start_date, s.prepaid AS prepaid, \
             s.end_date AS end_date, s.quantity AS quantity, s.weekdays AS weekdays, \
             h.station_id AS station_id, p.product_id AS product_id \
             FROM subscriptions s \
             JOIN households h ON h.tenant_id = s.tenant_id AND h.household_id = s.household_id \
             JOIN packages p ON p.tenant_id = s.tenant_id AND p.package_id = s.package_id \
             WHERE s.tenant_id = $1 AND s.start_date <= $2 ORDER BY s.subscription_id",
        )
        .bind(tenant.0)
        .bind(date_text(started_by))
        .fetch_all(&self.pool)
        .await?;
        let op_rows = sqlx::query(&format!(
            "SELECT {OP_COLUMNS} FROM operations WHERE tenant_id = $1 ORDER BY operation_id"
        ))
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        let mut ops: HashMap<SubscriptionId, Vec<Operation>> = HashMap::new();
        for r in &op_rows {
            let op = operation_from_row(r)?;
            ops.entry(op.subscription).or_default().push(op);
        }
        let mut subs = Vec::with_capacity(rows.len());
        for r in &rows {
            let subscription = subscription_from_row(r)?;
            subs.push(SubscriptionDay {
                station: StationId(r.try_get("station_id")?),
                product: ProductId(r.try_get("product_id")?),
                ops: ops.remove(&subscription.id).unwrap_or_default(),
                subscription,
            });
        }
        Ok(subs)
    }

    /// The orders of a day, by station then id.
    pub async fn orders_on(&self, tenant: TenantId, date: Date) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE tenant_id = $1 AND delivery_date = $2 \
             ORDER BY station_id, order_id"
        ))
        .bind(tenant.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(order_from_row).collect()
    }

    /// One order.
    pub async fn order(&self, tenant: TenantId, id: OrderId) -> Result<Order, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders WHERE tenant_id = $1 AND order_id = $2"
        ))
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "order",
            id: id.0,
        })?;
        order_from_row(&row)
    }
}

/// The columns [`order_from_row`] reads.
pub(crate) const COLUMNS: &str = "order_id, subscription_id, household_id, station_id, \
                                  delivery_date, line, line_kind, product_id, quantity";

/// Inserts an order unless it exists; 1 when inserted, 0 when it was there.
pub(crate) async fn insert_order(
    conn: &mut AnyConnection,
    tenant: TenantId,
    o: &Order,
) -> Result<u64, StoreError> {
    insert_orders(conn, tenant, std::slice::from_ref(o)).await
}

/// Inserts up to [`ROWS_PER_INSERT`] orders in one statement, skipping those that exist;
/// returns how many were inserted.
pub(crate) async fn insert_orders(
    conn: &mut AnyConnection,
    tenant: TenantId,
    orders: &[Order],
) -> Result<u64, StoreError> {
    if orders.is_empty() {
        return Ok(0);
    }
    if orders.len() > ROWS_PER_INSERT {
        return Err(invalid("orders", format!("at most {ROWS_PER_INSERT} per statement")).into());
    }
    let sql = format!(
        "INSERT INTO orders (tenant_id, order_id, subscription_id, household_id, station_id, \
         delivery_date, line, line_kind, product_id, quantity) {} ON CONFLICT DO NOTHING",
        values_clause(orders.len(), 10)
    );
    let mut q = sqlx::query(&sql);
    for o in orders {
        let kind = match o.line {
            DeliveryLine::Regular => "regular",
            DeliveryLine::Extra(_) => "extra",
            DeliveryLine::MakeUp(_) => "make_up",
        };
        q = q
            .bind(tenant.0)
            .bind(o.id.0)
            .bind(o.subscription.0)
            .bind(o.household.0)
            .bind(o.station.0)
            .bind(date_text(o.date))
            .bind(o.line.number())
            .bind(kind)
            .bind(o.product.0)
            .bind(i64::from(o.quantity));
    }
    Ok(q.execute(&mut *conn).await?.rows_affected())
}

/// An order from a row with [`COLUMNS`].
pub(crate) fn order_from_row(row: &AnyRow) -> Result<Order, StoreError> {
    let date: String = row.try_get("delivery_date")?;
    let kind: String = row.try_get("line_kind")?;
    let line: i64 = row.try_get("line")?;
    let line = match kind.as_str() {
        "regular" => DeliveryLine::Regular,
        "extra" => DeliveryLine::Extra(OperationId(line)),
        "make_up" => DeliveryLine::MakeUp(OperationId(line)),
        _ => {
            return Err(StoreError::Corrupt {
                field: "orders.line_kind",
                reason: format!("unknown line kind `{kind}`"),
            })
        }
    };
    Ok(Order {
        id: OrderId(row.try_get("order_id")?),
        subscription: SubscriptionId(row.try_get("subscription_id")?),
        household: HouseholdId(row.try_get("household_id")?),
        station: StationId(row.try_get("station_id")?),
        date: parse_date(&date, "orders.delivery_date")?,
        line,
        product: ProductId(row.try_get("product_id")?),
        quantity: to_u32(row.try_get("quantity")?, "orders.quantity")?,
    })
}
