//! The cockpit's reads: the watch list ([`crate::watch`]) from the cube, the stock ledger and
//! the complaints, and the daily figures of a period (the cube by day and the units wasted
//! per day from the stock ledger).
use std::collections::BTreeMap;

use milkrun_calendar::Date;
use sqlx::Row;

use super::{date_text, parse_date, Store, StoreError};
use crate::calendar::Moment;
use crate::cube::{CubeFilter, CubeQuery, DimValue, Dimension, Measures};
use crate::ids::TenantId;
use crate::stock::{LotBalance, LotTotals};
use crate::watch::{
    watch, LotCount, OpenOrders, StationPunctuality, UnresolvedComplaint, Watch, WatchInput,
    WatchRules,
};

/// The most unresolved complaints the watch list reads (the oldest first).
pub const MAX_WATCHED_COMPLAINTS: u32 = 1_000;

/// One day's figures for the cockpit's trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTrend {
    /// The day.
    pub day: Date,
    /// The cube's measures of the day's orders.
    pub measures: Measures,
    /// Units wasted that day (at the stations and in vehicles, from the stock ledger).
    pub wasted: u64,
}

impl Store {
    /// The watch list at `now` over the orders of `from..=to` (see [`crate::watch`]): the
    /// stations' punctuality and the days with orders left without an outcome from the cube,
    /// every lot's stored balance against the ledger's recount (a recount that would go
    /// negative counts as zero, so it shows as drift), and the unresolved complaints against
    /// the tenant's escalation SLA.
    pub async fn watch(
        &self,
        tenant: TenantId,
        from: Date,
        to: Date,
        now: Moment,
    ) -> Result<Vec<Watch>, StoreError> {
        let query = |dimensions: Vec<Dimension>| CubeQuery {
            dimensions,
            filter: CubeFilter::days(from, to),
        };
        let q = query(vec![Dimension::Station]);
        q.validate()?;
        let mut input = WatchInput::default();
        for r in self.cube(tenant, &q).await? {
            if let Some(DimValue::Station(station)) = r.key.first() {
                input.stations.push(StationPunctuality {
                    station: *station,
                    promised: r.measures.promised,
                    on_time: r.measures.on_time,
                });
            }
        }
        for r in self
            .cube(tenant, &query(vec![Dimension::Station, Dimension::Day]))
            .await?
        {
            if let [DimValue::Station(station), DimValue::Day(day)] = r.key.as_slice() {
                input.open_orders.push(OpenOrders {
                    station: *station,
                    day: *day,
                    orders: r.measures.pending,
                });
            }
        }
        for (station, _) in self.stations(tenant).await? {
            let recount = self.recount_stock(tenant, station).await?;
            for l in self.station_lots(tenant, station).await? {
                let recounted = recount
                    .get(&l.lot.id)
                    .copied()
                    .unwrap_or_else(LotTotals::default)
                    .balance(l.lot.id)
                    .unwrap_or_else(|_| LotBalance::default());
                input.lots.push(LotCount {
                    station,
                    lot: l.lot.id,
                    stored: l.balance,
                    recounted,
                });
            }
        }
        input.complaints = self
            .unresolved_complaints(tenant, MAX_WATCHED_COMPLAINTS)
            .await?
            .iter()
            .map(|c| UnresolvedComplaint {
                complaint: c.id,
                filed_at: c.filed_at,
            })
            .collect();
        let sla = self.care_settings(tenant).await?.complaint_sla;
        let rules = WatchRules::with_complaint_sla(sla.escalate_after_s);
        Ok(watch(&rules, &input, now))
    }

    /// Every day of `from..=to` (at most the cube's range) with its orders' measures and the
    /// units wasted on it; a day without orders or waste has zero measures.
    pub async fn daily_trend(
        &self,
        tenant: TenantId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayTrend>, StoreError> {
        let q = CubeQuery {
            dimensions: vec![Dimension::Day],
            filter: CubeFilter::days(from, to),
        };
        q.validate()?;
        let mut days: BTreeMap<Date, DayTrend> = BTreeMap::new();
        let mut d = from;
        while d <= to {
            days.insert(
                d,
                DayTrend {
                    day: d,
                    measures: Measures::default(),
                    wasted: 0,
                },
            );
            d = d.add_days(1);
        }
        for r in self.cube(tenant, &q).await? {
            if let Some(DimValue::Day(day)) = r.key.first() {
                if let Some(t) = days.get_mut(day) {
                    t.measures = r.measures;
                }
            }
        }
        let rows = sqlx::query(
            "SELECT movement_date, CAST(SUM(quantity) AS BIGINT) AS units FROM stock_movements \
             WHERE tenant_id = $1 AND kind IN ('wasted_station', 'wasted_vehicle') \
             AND movement_date >= $2 AND movement_date <= $3 GROUP BY movement_date",
        )
        .bind(tenant.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let date: String = r.try_get("movement_date")?;
            let day = parse_date(&date, "stock_movements.movement_date")?;
            let units: i64 = r.try_get("units")?;
            if let Some(t) = days.get_mut(&day) {
                t.wasted = u64::try_from(units).map_err(|_| StoreError::Corrupt {
                    field: "stock_movements.quantity",
                    reason: format!("{units} is not a count"),
                })?;
            }
        }
        Ok(days.into_values().collect())
    }
}
