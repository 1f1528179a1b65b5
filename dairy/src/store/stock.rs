//! Stock per station and lot, stored: lots with their running balance, the append-only
//! movement ledger, loading the day's orders (FEFO), the movements of outcomes (called by
//! [`Store::record_outcome`] in its own transaction), expired lots wasted at close
//! ([`Store::close_day`]), low-stock alerts and the transfer plan between stations.
//!
//! Every movement has a deterministic key ([`MovementKey`]); it is inserted with
//! `ON CONFLICT DO NOTHING` and the lot's balance changes only when the row was new, in the
//! same transaction, with checked arithmetic ([`LotBalance::apply`]): a replayed event moves
//! nothing and stock never goes negative. The balance update expects the lot's movement
//! count it read (`movements`), so a concurrent writer on PostgreSQL makes the second
//! transaction fail (and roll back) rather than lose an update.
use std::collections::BTreeMap;

use milkrun_calendar::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::outbox::enqueue_on;
use super::{date_text, parse_date, to_u32, Store, StoreError};
use crate::error::invalid;
use crate::freeze::Order;
use crate::ids::{CourierId, LotId, OrderId, ProductId, StationId, TenantId};
use crate::money::Cents;
use crate::outcome::Outcome;
use crate::stock::{
    low_stock, outcome_movements, pick, plan_loading, Lot, LotBalance, LotStock, LotTotals,
    LowStock, Movement, MovementKey, MovementKind, TransferKey,
};
use crate::transfer::{plan_transfers, StationNeed, Transfer, TransferCost, TransferPlan};

/// What loading a day's orders did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadReport {
    /// Orders loaded by this call.
    pub loaded: Vec<OrderId>,
    /// Orders loaded before (a replay): nothing moved for them.
    pub already: Vec<OrderId>,
    /// Orders skipped because they were cancelled before loading.
    pub cancelled: Vec<OrderId>,
    /// Orders the usable stock could not cover: not loaded.
    pub short: Vec<OrderId>,
}

/// What carrying out a transfer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferDone {
    /// The transfer's name.
    pub key: TransferKey,
    /// Each source lot's share and the lot it made at the arriving station:
    /// (from lot, to lot, units), first expiry first.
    pub moved: Vec<(LotId, LotId, u32)>,
    /// The transfer was carried out before (a replay): nothing moved now and `moved` is empty.
    pub already: bool,
}

/// A lot with its stored balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredLot {
    /// The lot as received.
    pub lot: Lot,
    /// Where its units are now.
    pub balance: LotBalance,
}

impl StoredLot {
    /// The lot as picking sees it.
    pub fn stock(&self) -> LotStock {
        LotStock {
            lot: self.lot.id,
            product: self.lot.product,
            received: self.lot.received,
            expiry: self.lot.expiry,
            on_hand: self.balance.on_hand,
        }
    }
}

const LOT_COLUMNS: &str = "lot_id, station_id, product_id, received_date, expiry_date, \
                           quantity, on_hand, in_vehicles";

fn count(v: i64, field: &'static str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        field,
        reason: format!("{v} is negative"),
    })
}

fn lot_from_row(r: &AnyRow) -> Result<StoredLot, StoreError> {
    let received: String = r.try_get("received_date")?;
    let expiry: String = r.try_get("expiry_date")?;
    Ok(StoredLot {
        lot: Lot::new(
            LotId(r.try_get("lot_id")?),
            StationId(r.try_get("station_id")?),
            ProductId(r.try_get("product_id")?),
            parse_date(&received, "stock_lots.received_date")?,
            parse_date(&expiry, "stock_lots.expiry_date")?,
            to_u32(r.try_get("quantity")?, "stock_lots.quantity")?,
        )?,
        balance: LotBalance {
            on_hand: count(r.try_get("on_hand")?, "stock_lots.on_hand")?,
            in_vehicles: count(r.try_get("in_vehicles")?, "stock_lots.in_vehicles")?,
        },
    })
}

fn db_count(v: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| crate::DairyError::Overflow { what }.into())
}

/// Records one movement unless its key exists, and moves the lot's balance with it; `true`
/// when it was new.
pub(crate) async fn apply_movement(
    conn: &mut AnyConnection,
    tenant: TenantId,
    m: &Movement,
) -> Result<bool, StoreError> {
    if m.quantity == 0 {
        return Err(invalid("movement.quantity", "must be at least 1").into());
    }
    let row = sqlx::query(
        "SELECT on_hand, in_vehicles, movements FROM stock_lots \
         WHERE tenant_id = $1 AND lot_id = $2",
    )
    .bind(tenant.0)
    .bind(m.lot.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound {
        tenant,
        what: "lot",
        id: m.lot.0,
    })?;
    let done = sqlx::query(
        "INSERT INTO stock_movements (tenant_id, movement_key, lot_id, kind, quantity, \
         movement_date, order_id, courier_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant.0)
    .bind(m.key.as_str())
    .bind(m.lot.0)
    .bind(m.kind.as_str())
    .bind(i64::from(m.quantity))
    .bind(date_text(m.date))
    .bind(m.order.map(|o| o.0))
    .bind(m.courier.map(|c| c.0))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let before = LotBalance {
        on_hand: count(row.try_get("on_hand")?, "stock_lots.on_hand")?,
        in_vehicles: count(row.try_get("in_vehicles")?, "stock_lots.in_vehicles")?,
    };
    let version: i64 = row.try_get("movements")?;
    let after = before.apply(m.lot, m.kind, m.quantity)?;
    let updated = sqlx::query(
        "UPDATE stock_lots SET on_hand = $3, in_vehicles = $4, movements = movements + 1 \
         WHERE tenant_id = $1 AND lot_id = $2 AND movements = $5",
    )
    .bind(tenant.0)
    .bind(m.lot.0)
    .bind(db_count(after.on_hand, "lot balance")?)
    .bind(db_count(after.in_vehicles, "lot balance")?)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Corrupt {
            field: "stock_lots.movements",
            reason: format!("lot {} changed concurrently; retry the call", m.lot),
        });
    }
    Ok(true)
}

/// The units loaded for `order`, per lot, and the courier (`None` when it was never loaded).
async fn loaded_for(
    conn: &mut AnyConnection,
    tenant: TenantId,
    order: OrderId,
) -> Result<Option<(CourierId, Vec<(LotId, u32)>)>, StoreError> {
    // Sorted here, not by the query: with `ORDER BY movement_key` SQLite walks the tenant's
    // whole ledger in key order (the primary key) instead of the order's index, a scan per
    // outcome that made a simulated week quadratic.
    let mut rows = sqlx::query(
        "SELECT movement_key, lot_id, quantity, courier_id FROM stock_movements \
         WHERE tenant_id = $1 AND order_id = $2 AND kind = 'loaded'",
    )
    .bind(tenant.0)
    .bind(order.0)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get::<String, _>("movement_key")?, r)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut courier = None;
    let mut loads = Vec::with_capacity(rows.len());
    for (_, r) in &rows {
        let c: Option<i64> = r.try_get("courier_id")?;
        courier = c.map(CourierId);
        loads.push((
            LotId(r.try_get("lot_id")?),
            to_u32(r.try_get("quantity")?, "stock_movements.quantity")?,
        ));
    }
    Ok(courier.map(|c| (c, loads)))
}

/// Moves the stock of an order that has just got its outcome: nothing when it was never
/// loaded (stock is then not tracked for it), else delivered, wasted in the vehicle
/// (damaged) or returned to the station. Runs in the caller's transaction.
pub(crate) async fn post_outcome(
    conn: &mut AnyConnection,
    tenant: TenantId,
    order: OrderId,
    outcome: &Outcome,
) -> Result<(), StoreError> {
    let Some((courier, loads)) = loaded_for(conn, tenant, order).await? else {
        return Ok(());
    };
    for m in outcome_movements(order, courier, outcome, &loads) {
        apply_movement(conn, tenant, &m).await?;
    }
    Ok(())
}

impl Store {
    /// Receives a lot at its station: the lot and its `received` movement. `false` when the
    /// lot was received before (nothing changes); a lot id reused for other data is refused.
    pub async fn receive_lot(&self, tenant: TenantId, lot: &Lot) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        insert_lot(&mut tx, tenant, lot).await?;
        let stored = sqlx::query(&format!(
            "SELECT {LOT_COLUMNS} FROM stock_lots WHERE tenant_id = $1 AND lot_id = $2"
        ))
        .bind(tenant.0)
        .bind(lot.id.0)
        .fetch_one(&mut *tx)
        .await?;
        if lot_from_row(&stored)?.lot != *lot {
            return Err(invalid("lot.id", format!("lot {} exists with other data", lot.id)).into());
        }
        let m = Movement {
            key: MovementKey::received(lot.id),
            lot: lot.id,
            kind: MovementKind::Received,
            quantity: lot.quantity,
            date: lot.received,
            order: None,
            courier: None,
        };
        let new = apply_movement(&mut tx, tenant, &m).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// The lots of a station with their stored balances (all of them, empty ones included),
    /// by product, expiry and id.
    pub async fn station_lots(
        &self,
        tenant: TenantId,
        station: StationId,
    ) -> Result<Vec<StoredLot>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        station_lots_on(&mut conn, tenant, station).await
    }

    /// The ledger's recount: every movement of the station's lots summed per lot and kind,
    /// independently of the stored balances.
    pub async fn recount_stock(
        &self,
        tenant: TenantId,
        station: StationId,
    ) -> Result<BTreeMap<LotId, LotTotals>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.lot_id AS lot_id, m.kind AS kind, CAST(SUM(m.quantity) AS BIGINT) AS quantity \
             FROM stock_movements m JOIN stock_lots l \
             ON l.tenant_id = m.tenant_id AND l.lot_id = m.lot_id \
             WHERE m.tenant_id = $1 AND l.station_id = $2 GROUP BY m.lot_id, m.kind",
        )
        .bind(tenant.0)
        .bind(station.0)
        .fetch_all(&self.pool)
        .await?;
        let mut totals: BTreeMap<LotId, LotTotals> = BTreeMap::new();
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            let q: i64 = r.try_get("quantity")?;
            totals.entry(LotId(r.try_get("lot_id")?)).or_default().add(
                MovementKind::parse(&kind)?,
                count(q, "stock_movements.quantity")?,
            )?;
        }
        Ok(totals)
    }

    /// Loads the listed orders of `station`'s `date` onto their couriers, in the order given
    /// (the routes' order), taking units first expiry first out in one transaction. Orders
    /// loaded before are skipped (a replay moves nothing); cancelled ones are not loaded; an
    /// order that already has a delivered or failed outcome is loaded and moved on by that
    /// outcome at once; an order the usable stock cannot cover whole is reported short. An
    /// order of another station or day, or listed twice, is refused, naming it.
    pub async fn load_orders(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
        assignment: &[(OrderId, CourierId)],
    ) -> Result<LoadReport, StoreError> {
        let mut seen = std::collections::HashSet::with_capacity(assignment.len());
        if let Some((dup, _)) = assignment.iter().find(|(o, _)| !seen.insert(*o)) {
            return Err(invalid("assignment", format!("order {dup} is listed twice")).into());
        }
        let mut tx = self.begin_write().await?;
        let mut report = LoadReport::default();
        let mut to_load: Vec<(Order, CourierId)> = Vec::new();
        let mut outcomes = BTreeMap::new();
        for &(id, courier) in assignment {
            let row = sqlx::query(&format!(
                "SELECT {} FROM orders WHERE tenant_id = $1 AND order_id = $2",
                super::orders::COLUMNS
            ))
            .bind(tenant.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                tenant,
                what: "order",
                id: id.0,
            })?;
            let order = super::orders::order_from_row(&row)?;
            if order.station != station || order.date != date {
                return Err(invalid(
                    "assignment",
                    format!(
                        "order {id} is for station {} on {}",
                        order.station, order.date
                    ),
                )
                .into());
            }
            if loaded_for(&mut tx, tenant, id).await?.is_some() {
                report.already.push(id);
                continue;
            }
            match super::outcome_rows::outcome_of(&mut tx, tenant, id).await? {
                Some(Outcome::Cancelled { .. }) => report.cancelled.push(id),
                Some(o) => {
                    outcomes.insert(id, o);
                    to_load.push((order, courier));
                }
                None => to_load.push((order, courier)),
            }
        }
        let lots: Vec<LotStock> = station_lots_on(&mut tx, tenant, station)
            .await?
            .iter()
            .map(StoredLot::stock)
            .collect();
        let plan = plan_loading(&to_load, &lots, date);
        for load in &plan.loads {
            for &(lot, quantity) in &load.picks {
                let m = Movement {
                    key: MovementKey::loaded(load.order, lot),
                    lot,
                    kind: MovementKind::Loaded,
                    quantity,
                    date,
                    order: Some(load.order),
                    courier: Some(load.courier),
                };
                apply_movement(&mut tx, tenant, &m).await?;
            }
            if let Some(o) = outcomes.get(&load.order) {
                post_outcome(&mut tx, tenant, load.order, o).await?;
            }
            report.loaded.push(load.order);
        }
        report.short = plan.short;
        tx.commit().await?;
        Ok(report)
    }

    /// Wastes, at the close of `date`, every lot of the tenant that expires on or before it
    /// and still has units on hand; returns the units wasted. A second call finds nothing
    /// left to waste.
    pub async fn waste_expired(&self, tenant: TenantId, date: Date) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT lot_id, on_hand, movements FROM stock_lots \
             WHERE tenant_id = $1 AND expiry_date <= $2 AND on_hand > 0 ORDER BY lot_id",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .fetch_all(&mut *tx)
        .await?;
        let mut wasted: u64 = 0;
        for r in &rows {
            let lot = LotId(r.try_get("lot_id")?);
            let on_hand = to_u32(r.try_get("on_hand")?, "stock_lots.on_hand")?;
            let before = count(r.try_get("movements")?, "stock_lots.movements")?;
            let m = Movement {
                key: MovementKey::expired(lot, before),
                lot,
                kind: MovementKind::Wasted(crate::stock::Place::Station),
                quantity: on_hand,
                date,
                order: None,
                courier: None,
            };
            if apply_movement(&mut tx, tenant, &m).await? {
                wasted = wasted.saturating_add(u64::from(on_hand));
            }
        }
        tx.commit().await?;
        Ok(wasted)
    }

    /// Sets the tenant's low-stock threshold for a product.
    pub async fn set_stock_threshold(
        &self,
        tenant: TenantId,
        product: ProductId,
        min_units: u32,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO stock_thresholds (tenant_id, product_id, min_units) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, product_id) DO UPDATE SET min_units = excluded.min_units",
        )
        .bind(tenant.0)
        .bind(product.0)
        .bind(i64::from(min_units))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Units of `date`'s frozen orders per product at `station`.
    pub async fn frozen_demand(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
    ) -> Result<BTreeMap<ProductId, u64>, StoreError> {
        let rows = sqlx::query(
            "SELECT product_id, CAST(SUM(quantity) AS BIGINT) AS quantity FROM orders \
             WHERE tenant_id = $1 AND station_id = $2 AND delivery_date = $3 \
             GROUP BY product_id",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        let mut out = BTreeMap::new();
        for r in &rows {
            let q: i64 = r.try_get("quantity")?;
            out.insert(
                ProductId(r.try_get("product_id")?),
                count(q, "orders.quantity")?,
            );
        }
        Ok(out)
    }

    /// Checks `station` for `date` (tomorrow): every product whose usable stock is below the
    /// tenant's threshold or below the day's frozen demand gets an outbox message, one per
    /// station, product and day (checking again adds none). Returns the products low now.
    pub async fn check_low_stock(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
    ) -> Result<Vec<LowStock>, StoreError> {
        let lots: Vec<LotStock> = self
            .station_lots(tenant, station)
            .await?
            .iter()
            .map(StoredLot::stock)
            .collect();
        let demand = self.frozen_demand(tenant, station, date).await?;
        let rows =
            sqlx::query("SELECT product_id, min_units FROM stock_thresholds WHERE tenant_id = $1")
                .bind(tenant.0)
                .fetch_all(&self.pool)
                .await?;
        let mut thresholds = BTreeMap::new();
        for r in &rows {
            let t: i64 = r.try_get("min_units")?;
            thresholds.insert(
                ProductId(r.try_get("product_id")?),
                count(t, "stock_thresholds.min_units")?,
            );
        }
        let low = low_stock(station, date, &lots, &demand, &thresholds);
        let mut tx = self.begin_write().await?;
        for l in &low {
            enqueue_on(&mut tx, tenant, &l.message()?).await?;
        }
        tx.commit().await?;
        Ok(low)
    }

    /// The cheapest transfers of `product` between the tenant's stations for `date`: each
    /// station's usable stock (lots on hand not expiring before `date`) against the day's
    /// frozen demand gives its surplus or shortage ([`StationNeed::of`]), solved by
    /// [`plan_transfers`] over the allowed `costs`, unmet shortage at `unmet_per_unit`.
    pub async fn plan_stock_transfers(
        &self,
        tenant: TenantId,
        product: ProductId,
        date: Date,
        costs: &[TransferCost],
        unmet_per_unit: Cents,
    ) -> Result<TransferPlan, StoreError> {
        let stations =
            sqlx::query("SELECT station_id FROM stations WHERE tenant_id = $1 ORDER BY station_id")
                .bind(tenant.0)
                .fetch_all(&self.pool)
                .await?;
        let mut needs = Vec::with_capacity(stations.len());
        for r in &stations {
            let station = StationId(r.try_get("station_id")?);
            let usable: u64 = self
                .station_lots(tenant, station)
                .await?
                .iter()
                .filter(|l| l.lot.product == product && l.lot.expiry >= date)
                .fold(0u64, |s, l| s.saturating_add(l.balance.on_hand));
            let demand = self
                .frozen_demand(tenant, station, date)
                .await?
                .get(&product)
                .copied()
                .unwrap_or(0);
            needs.push(StationNeed::of(station, usable, demand));
        }
        Ok(plan_transfers(&needs, costs, unmet_per_unit)?)
    }

    /// Carries out one transfer of `product` on `date` (a move of a [`TransferPlan`]), in one
    /// transaction: `transfer.quantity` units leave `transfer.from`'s usable lots first expiry
    /// first out (`transferred_out`), and each source lot's share arrives at `transfer.to` as
    /// a lot of its own (same product and expiry, received on `date`, `transferred_in`), its
    /// id allocated above every lot id of the tenant. Exactly once: the transfer's name
    /// ([`TransferKey::of`]) is in its movements' keys, and a transfer carried out before
    /// moves nothing. Refused, naming the field: an unknown station, a station to itself, no
    /// units, or more than the leaving station's usable stock (nothing moves then).
    pub async fn transfer_stock(
        &self,
        tenant: TenantId,
        product: ProductId,
        date: Date,
        transfer: &Transfer,
    ) -> Result<TransferDone, StoreError> {
        if transfer.from == transfer.to {
            return Err(invalid("transfer.to", "is the station it leaves from").into());
        }
        let quantity = u32::try_from(transfer.quantity)
            .ok()
            .filter(|q| *q > 0)
            .ok_or_else(|| invalid("transfer.quantity", "must be 1 to 4294967295 units"))?;
        let key = TransferKey::of(date, product, transfer.from, transfer.to);
        let mut tx = self.begin_write().await?;
        for (field, station) in [
            ("transfer.from", transfer.from),
            ("transfer.to", transfer.to),
        ] {
            let known = sqlx::query(
                "SELECT station_id FROM stations WHERE tenant_id = $1 AND station_id = $2",
            )
            .bind(tenant.0)
            .bind(station.0)
            .fetch_optional(&mut *tx)
            .await?;
            if known.is_none() {
                return Err(invalid(field, format!("no station {station}")).into());
            }
        }
        let done: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM stock_movements WHERE tenant_id = $1 AND movement_key LIKE $2",
        )
        .bind(tenant.0)
        .bind(format!("transfer-out:{}:%", key.as_str()))
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if done > 0 {
            return Ok(TransferDone {
                key,
                moved: Vec::new(),
                already: true,
            });
        }
        let lots = station_lots_on(&mut tx, tenant, transfer.from).await?;
        let stock: Vec<LotStock> = lots.iter().map(StoredLot::stock).collect();
        let picks = pick(&stock, product, date, quantity).ok_or_else(|| {
            invalid(
                "transfer.quantity",
                format!(
                    "{quantity} units of product {product} are more than station {} has usable on {date}",
                    transfer.from
                ),
            )
        })?;
        let top: i64 = sqlx::query(
            "SELECT COALESCE(MAX(lot_id), 0) AS top FROM stock_lots WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("top")?;
        let mut moved = Vec::with_capacity(picks.len());
        for (i, (from_lot, units)) in picks.into_iter().enumerate() {
            let source = lots
                .iter()
                .find(|l| l.lot.id == from_lot)
                .ok_or(StoreError::Corrupt {
                    field: "stock_lots",
                    reason: format!("picked lot {from_lot} is not among the station's lots"),
                })?;
            let id = i64::try_from(i)
                .ok()
                .and_then(|i| top.checked_add(1)?.checked_add(i))
                .ok_or(StoreError::Corrupt {
                    field: "stock_lots.lot_id",
                    reason: "no lot id left above the highest".into(),
                })?;
            let arrived = Lot::new(
                LotId(id),
                transfer.to,
                product,
                date,
                source.lot.expiry.max(date),
                units,
            )?;
            let concurrent = || StoreError::Corrupt {
                field: "stock_movements",
                reason: format!(
                    "transfer {} was carried out concurrently; retry the call",
                    key.as_str()
                ),
            };
            let left = apply_movement(
                &mut tx,
                tenant,
                &Movement {
                    key: MovementKey::transferred_out(&key, from_lot),
                    lot: from_lot,
                    kind: MovementKind::TransferredOut,
                    quantity: units,
                    date,
                    order: None,
                    courier: None,
                },
            )
            .await?;
            insert_lot(&mut tx, tenant, &arrived).await?;
            let stored = sqlx::query(&format!(
                "SELECT {LOT_COLUMNS} FROM stock_lots WHERE tenant_id = $1 AND lot_id = $2"
            ))
            .bind(tenant.0)
            .bind(arrived.id.0)
            .fetch_one(&mut *tx)
            .await?;
            if !left || lot_from_row(&stored)?.lot != arrived {
                return Err(concurrent());
            }
            let came = apply_movement(
                &mut tx,
                tenant,
                &Movement {
                    key: MovementKey::transferred_in(&key, arrived.id),
                    lot: arrived.id,
                    kind: MovementKind::TransferredIn,
                    quantity: units,
                    date,
                    order: None,
                    courier: None,
                },
            )
            .await?;
            if !came {
                return Err(concurrent());
            }
            moved.push((from_lot, arrived.id, units));
        }
        tx.commit().await?;
        Ok(TransferDone {
            key,
            moved,
            already: false,
        })
    }
}

/// Inserts a lot with an empty balance (its first movement fills it); an existing id is left
/// as it is.
async fn insert_lot(
    conn: &mut AnyConnection,
    tenant: TenantId,
    lot: &Lot,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO stock_lots (tenant_id, lot_id, station_id, product_id, received_date, \
         expiry_date, quantity, on_hand, in_vehicles, movements) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0) ON CONFLICT DO NOTHING",
    )
    .bind(tenant.0)
    .bind(lot.id.0)
    .bind(lot.station.0)
    .bind(lot.product.0)
    .bind(date_text(lot.received))
    .bind(date_text(lot.expiry))
    .bind(i64::from(lot.quantity))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The lots of a station on a connection or inside the caller's transaction.
async fn station_lots_on(
    conn: &mut AnyConnection,
    tenant: TenantId,
    station: StationId,
) -> Result<Vec<StoredLot>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {LOT_COLUMNS} FROM stock_lots WHERE tenant_id = $1 AND station_id = $2 \
         ORDER BY product_id, expiry_date, lot_id"
    ))
    .bind(tenant.0)
    .bind(station.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(lot_from_row).collect()
}
