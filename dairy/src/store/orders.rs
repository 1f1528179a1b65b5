//! The night freeze: every subscription's calendar for one day becomes orders, written in one
//! transaction per station. Idempotent: order ids are deterministic and inserts use
//! `ON CONFLICT DO NOTHING`, so a re-run (after a crash, or twice) adds nothing and gives the
//! same orders.
use std::collections::HashMap;

use milkrun_calendar::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection, Row};
use tokio_stream::StreamExt;

use super::operations::{operation_from_row, COLUMNS as OP_COLUMNS};
use super::subscriptions::subscription_from_row;
use super::{
    date_text, parse_date, to_u32, values_clause, Backend, Cells, Store, StoreError,
    ROWS_PER_INSERT,
};
use crate::calendar::{DeliveryLine, Moment, Operation};
use crate::error::invalid;
use crate::freeze::{DayFreeze, Order, StationOrders, SubscriptionDay};
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
    ///
    /// The book is streamed (on SQLite through the driver itself, [`Store::sqlite_reader`])
    /// and expanded row by row, so memory holds the day's orders, not the book. On SQLite the
    /// station transactions commit with `synchronous = NORMAL` on a connection that never
    /// goes back to the pool, and the last one with `FULL`: its sync of the write-ahead log
    /// makes every earlier station durable too, so when this call returns the whole day is
    /// on disk, as with `FULL` throughout. A power cut part-way may undo stations committed
    /// before it (never corrupting the file); like a crash, that is repaired by running the
    /// freeze again, which gives the same orders with the same ids.
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
        let mut freeze = DayFreeze::new(tenant, date);
        self.for_each_subscription_day(tenant, date, |s| Ok(freeze.add(&s)?))
            .await?;
        let stations = freeze.finish();
        let inserted = self.write_frozen(tenant, &stations).await?;
        Ok(FreezeReport { stations, inserted })
    }

    /// Writes each station's orders in one transaction (see [`Store::freeze_day`] for the
    /// sync level on SQLite); returns how many were inserted.
    async fn write_frozen(
        &self,
        tenant: TenantId,
        stations: &[StationOrders],
    ) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let sqlite = self.backend == Backend::Sqlite;
        if sqlite {
            // The sync level is the connection's: closed after use, it never serves another
            // caller with NORMAL, whether this call succeeds, fails or is dropped.
            conn.close_on_drop();
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await?;
        }
        let mut inserted = 0;
        for (i, s) in stations.iter().enumerate() {
            if sqlite && i + 1 == stations.len() {
                sqlx::query("PRAGMA synchronous = FULL")
                    .execute(&mut *conn)
                    .await?;
            }
            let mut tx = if sqlite {
                Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?
            } else {
                Connection::begin(&mut *conn).await?
            };
            for chunk in s.orders.chunks(ROWS_PER_INSERT) {
                inserted += insert_orders(&mut tx, tenant, chunk).await?;
            }
            tx.commit().await?;
        }
        Ok(inserted)
    }

    /// Every subscription of the tenant that starts on or before `started_by`, with its
    /// station, its package's product and its calendar operations, in id order: what an
    /// expansion needs (the freeze, a look ahead at a day not frozen yet, renewal reminders).
    pub(crate) async fn subscription_days(
        &self,
        tenant: TenantId,
        started_by: Date,
    ) -> Result<Vec<SubscriptionDay>, StoreError> {
        let mut subs = Vec::new();
        self.for_each_subscription_day(tenant, started_by, |s| {
            subs.push(s);
            Ok(())
        })
        .await?;
        Ok(subs)
    }

    /// Calls `each` with every subscription [`Store::subscription_days`] lists, in the same
    /// order, reading the rows as a stream: the operations are held (grouped per
    /// subscription), the subscriptions are not. On SQLite the rows are read through the
    /// SQLite driver directly, on PostgreSQL through the pool; `each`'s error stops the read.
    pub(crate) async fn for_each_subscription_day(
        &self,
        tenant: TenantId,
        started_by: Date,
        mut each: impl FnMut(SubscriptionDay) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let ops_sql = format!(
            "SELECT {OP_COLUMNS} FROM operations WHERE tenant_id = $1 ORDER BY operation_id"
        );
        let started_by = date_text(started_by);
        // The same reads on either executor (a macro: the two drivers' row types differ).
        macro_rules! stream {
            ($conn:expr) => {{
                let mut ops: HashMap<SubscriptionId, Vec<Operation>> = HashMap::new();
                let mut rows = sqlx::query(&ops_sql).bind(tenant.0).fetch($conn);
                while let Some(r) = rows.next().await {
                    let op = operation_from_row(&r?)?;
                    ops.entry(op.subscription).or_default().push(op);
                }
                drop(rows);
                let mut rows = sqlx::query(SUBSCRIPTION_DAYS)
                    .bind(tenant.0)
                    .bind(&started_by)
                    .fetch($conn);
                while let Some(r) = rows.next().await {
                    let r = r?;
                    let subscription = subscription_from_row(&r)?;
                    each(SubscriptionDay {
                        station: StationId(r.int("station_id")?),
                        product: ProductId(r.int("product_id")?),
                        ops: ops.remove(&subscription.id).unwrap_or_default(),
                        subscription,
                    })?;
                }
            }};
        }
        match self.sqlite_reader().await? {
            Some(mut conn) => {
                stream!(&mut conn);
                conn.close().await?;
            }
            None => stream!(&self.pool),
        }
        Ok(())
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

    /// One station's orders for a delivery date, in id order (the index
    /// `orders_by_date` serves it: a night job reads its station, not the tenant's day).
    pub async fn station_orders_on(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
    ) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM orders \
             WHERE tenant_id = $1 AND delivery_date = $2 AND station_id = $3 ORDER BY order_id"
        ))
        .bind(tenant.0)
        .bind(date_text(date))
        .bind(station.0)
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

/// The subscriptions an expansion reads, with their station and product, in id order
/// (`$1` the tenant, `$2` the last start date).
const SUBSCRIPTION_DAYS: &str = "SELECT s.subscription_id AS subscription_id, \
     s.household_id AS household_id, s.package_id AS package_id, s.start_date AS start_date, \
     s.prepaid AS prepaid, s.end_date AS end_date, s.quantity AS quantity, \
     s.weekdays AS weekdays, h.station_id AS station_id, p.product_id AS product_id \
     FROM subscriptions s \
     JOIN households h ON h.tenant_id = s.tenant_id AND h.household_id = s.household_id \
     JOIN packages p ON p.tenant_id = s.tenant_id AND p.package_id = s.package_id \
     WHERE s.tenant_id = $1 AND s.start_date <= $2 ORDER BY s.subscription_id";

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
        values_clause(Backend::of_connection(conn), orders.len(), 10)
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
