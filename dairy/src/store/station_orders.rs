//! Tomorrow's order per station, stored: reads what [`crate::station_order`] needs (the
//! calendar demand of the days the order covers, the station's history of extras and its
//! lots), has the engine forecast the extras of a long enough history, and calls it per
//! product.
use std::collections::BTreeMap;

use milkrun_calendar::Date;
use milkrun_forecast::ordering::ReviewParams;
use sqlx::Row;

use super::{date_text, parse_date, Store, StoreError};
use crate::calendar::DeliveryLine;
use crate::engine::{forecast::check_forecast, Engine};
use crate::error::invalid;
use crate::freeze::{freeze_day, Order};
use crate::ids::{ProductId, StationId, TenantId};
use crate::station_order::{
    extras_from_forecast, extras_request, poisson_extras, station_order, DayDemand, StationOrder,
    MAX_HISTORY_DAYS, MAX_ORDER_DAYS,
};
use crate::stock::LotStock;

/// Why tomorrow's station order failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError<E> {
    /// The store or a domain rule refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine's forecast failed.
    #[error("engine: {0}")]
    Engine(#[source] E),
}

impl<E> From<crate::DairyError> for OrderError<E> {
    fn from(e: crate::DairyError) -> Self {
        OrderError::Store(StoreError::Domain(e))
    }
}

impl<E> From<sqlx::Error> for OrderError<E> {
    fn from(e: sqlx::Error) -> Self {
        OrderError::Store(StoreError::Db(e))
    }
}

/// Adds an order to its product's day.
fn add(days: &mut BTreeMap<ProductId, DayDemand>, o: &Order) -> Result<(), StoreError> {
    let d = days.entry(o.product).or_default();
    let slot = match o.line {
        DeliveryLine::Extra(_) => &mut d.booked_extras,
        DeliveryLine::Regular | DeliveryLine::MakeUp(_) => &mut d.calendar,
    };
    *slot = slot
        .checked_add(u64::from(o.quantity))
        .ok_or(crate::DairyError::Overflow { what: "day demand" })?;
    Ok(())
}

impl Store {
    /// The known demand of `station` on `date` per product: its frozen orders when the day is
    /// frozen (any order of the tenant on that day), else the calendars expanded as the freeze
    /// would.
    async fn known_demand(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
    ) -> Result<BTreeMap<ProductId, DayDemand>, StoreError> {
        let frozen = self.orders_on(tenant, date).await?;
        let orders = if frozen.is_empty() {
            let subs = self.subscription_days(tenant, date).await?;
            freeze_day(tenant, date, &subs)?
                .into_iter()
                .filter(|s| s.station == station)
                .flat_map(|s| s.orders)
                .collect()
        } else {
            frozen
        };
        let mut days = BTreeMap::new();
        for o in orders.iter().filter(|o| o.station == station) {
            add(&mut days, o)?;
        }
        Ok(days)
    }

    /// Tomorrow's order of `station` for every product of the catalogue, the order arriving on
    /// `date` and covering the days the policy `params` says (lead time + shelf life, at most
    /// [`MAX_ORDER_DAYS`]): calendar demand (frozen or expanded) + the forecast of extras from
    /// the last `history_days` days of the station's extras (from its first order on; at most
    /// [`MAX_HISTORY_DAYS`]; `engine` forecasts a history of four weeks or more) through the
    /// ordering policy, net of the lots on hand.
    #[allow(clippy::too_many_arguments)]
    pub async fn station_orders<E: Engine>(
        &self,
        engine: &E,
        tenant: TenantId,
        station: StationId,
        date: Date,
        params: &ReviewParams,
        history_days: u32,
        seed: u64,
    ) -> Result<Vec<StationOrder>, OrderError<E::Error>> {
        let history_days = usize::try_from(history_days).unwrap_or(usize::MAX);
        if history_days > MAX_HISTORY_DAYS {
            return Err(invalid("history_days", format!("at most {MAX_HISTORY_DAYS}")).into());
        }
        params
            .validate()
            .map_err(|e| invalid("params", e.to_string()))?;
        let horizon = params.life_days().max(params.cover_days());
        if horizon > MAX_ORDER_DAYS {
            return Err(invalid("params", format!("cover more than {MAX_ORDER_DAYS} days")).into());
        }
        let products: Vec<ProductId> =
            sqlx::query("SELECT product_id FROM products WHERE tenant_id = $1 ORDER BY product_id")
                .bind(tenant.0)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| r.try_get("product_id").map(ProductId))
                .collect::<Result<_, _>>()?;
        let mut known = Vec::with_capacity(horizon);
        for k in 0..horizon {
            let day = date.add_days(i32::try_from(k).unwrap_or(i32::MAX));
            known.push(self.known_demand(tenant, station, day).await?);
        }
        // The station's extras per product and day, from its first order (at most
        // `history_days` back) to the day before `date`.
        let first: Option<String> = sqlx::query(
            "SELECT MIN(delivery_date) AS first FROM orders WHERE tenant_id = $1 AND station_id = $2",
        )
        .bind(tenant.0)
        .bind(station.0)
        .fetch_one(&self.pool)
        .await?
        .try_get("first")?;
        let earliest = date.add_days(-i32::try_from(history_days).unwrap_or(i32::MAX));
        let start = match first {
            Some(f) => parse_date(&f, "orders.delivery_date")?
                .max(earliest)
                .min(date),
            None => date,
        };
        let len = usize::try_from(date.days_since_epoch() - start.days_since_epoch()).unwrap_or(0);
        let rows = sqlx::query(
            "SELECT product_id, delivery_date, CAST(SUM(quantity) AS BIGINT) AS quantity \
             FROM orders WHERE tenant_id = $1 AND station_id = $2 AND line_kind = 'extra' \
             AND delivery_date >= $3 AND delivery_date < $4 GROUP BY product_id, delivery_date",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(start))
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        let mut history: BTreeMap<ProductId, Vec<u64>> = BTreeMap::new();
        for r in &rows {
            let day: String = r.try_get("delivery_date")?;
            let day = parse_date(&day, "orders.delivery_date")?;
            let q: i64 = r.try_get("quantity")?;
            let i = usize::try_from(day.days_since_epoch() - start.days_since_epoch())
                .unwrap_or(usize::MAX);
            let series = history
                .entry(ProductId(r.try_get("product_id")?))
                .or_insert_with(|| vec![0; len]);
            if let Some(slot) = series.get_mut(i) {
                *slot = u64::try_from(q).unwrap_or(0);
            }
        }
        let lots: Vec<LotStock> = self
            .station_lots(tenant, station)
            .await?
            .iter()
            .map(|l| l.stock())
            .collect();
        let mut out = Vec::with_capacity(products.len());
        for p in products {
            let series = history.remove(&p).unwrap_or_else(|| vec![0; len]);
            let extras = match extras_request(&series, start, horizon, seed ^ p.0 as u64)? {
                Some(req) => {
                    let days = engine
                        .forecast_demand(&req)
                        .await
                        .map_err(OrderError::Engine)?;
                    check_forecast(&req, &days)?;
                    extras_from_forecast(&days)?
                }
                None => poisson_extras(&series, horizon)?,
            };
            let days: Vec<DayDemand> = known
                .iter()
                .map(|d| d.get(&p).copied().unwrap_or_default())
                .collect();
            out.push(station_order(
                station, p, date, &days, &extras, &lots, params,
            )?);
        }
        Ok(out)
    }
}
