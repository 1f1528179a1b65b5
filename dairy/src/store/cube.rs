//! Multi-dimensional queries for BI ([`crate::cube`]): one `SELECT … GROUP BY` over the frozen
//! orders, their outcomes, the night's promised windows, the stations' regions and the
//! customers' segments. The SQL text is assembled only from the fixed column expressions of
//! [`column`] (one per [`Dimension`], a whitelist) and fixed filter clauses; every value a
//! caller gives is a bound parameter.
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{date_text, parse_date, Store, StoreError};
use crate::cube::{CubeQuery, CubeRow, DimValue, Dimension, Measures, MAX_REGION_BYTES, MAX_ROWS};
use crate::error::invalid;
use crate::ids::{CourierId, ProductId, StationId, TenantId};
use crate::segment::Segment;

/// A dimension's SQL expression and its output column: the whitelist.
fn column(d: Dimension) -> (&'static str, &'static str) {
    match d {
        Dimension::Region => ("sr.region", "d_region"),
        Dimension::Station => ("o.station_id", "d_station"),
        Dimension::Courier => ("COALESCE(r.courier_id, ns.courier_id)", "d_courier"),
        Dimension::Product => ("o.product_id", "d_product"),
        Dimension::Segment => ("cs.segment", "d_segment"),
        Dimension::Day => ("o.delivery_date", "d_day"),
    }
}

/// The measures, each summed as BIGINT (PostgreSQL sums BIGINT into NUMERIC otherwise).
const MEASURES: &str = "COUNT(*) AS m_orders, \
    CAST(COALESCE(SUM(CASE WHEN r.status = 'delivered' THEN 1 ELSE 0 END), 0) AS BIGINT) AS m_delivered, \
    CAST(COALESCE(SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS m_failed, \
    CAST(COALESCE(SUM(CASE WHEN r.status = 'cancelled' THEN 1 ELSE 0 END), 0) AS BIGINT) AS m_cancelled, \
    CAST(COALESCE(SUM(CASE WHEN r.status IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS m_pending, \
    CAST(COALESCE(SUM(o.quantity), 0) AS BIGINT) AS m_units, \
    CAST(COALESCE(SUM(CASE WHEN r.status = 'delivered' THEN o.quantity ELSE 0 END), 0) AS BIGINT) AS m_units_delivered, \
    CAST(COALESCE(SUM(CASE WHEN r.status = 'delivered' AND ns.promise_start_s IS NOT NULL \
        THEN 1 ELSE 0 END), 0) AS BIGINT) AS m_promised, \
    CAST(COALESCE(SUM(CASE WHEN r.status = 'delivered' AND ns.promise_start_s IS NOT NULL \
        AND r.outcome_date = o.delivery_date AND r.outcome_s >= ns.promise_start_s \
        AND r.outcome_s <= ns.promise_end_s THEN 1 ELSE 0 END), 0) AS BIGINT) AS m_on_time";

/// Every order joins at most one row of each table (their keys), so it counts once.
const FROM: &str = "FROM orders o \
    JOIN households h ON h.tenant_id = o.tenant_id AND h.household_id = o.household_id \
    LEFT JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
    LEFT JOIN night_stops ns ON ns.tenant_id = o.tenant_id \
        AND ns.delivery_date = o.delivery_date AND ns.household_id = o.household_id \
    LEFT JOIN station_regions sr ON sr.tenant_id = o.tenant_id AND sr.station_id = o.station_id \
    LEFT JOIN customer_segments cs ON cs.tenant_id = o.tenant_id \
        AND cs.customer_id = h.customer_id";

/// A bound value.
enum Param {
    Int(i64),
    Text(String),
}

impl Store {
    /// Puts one of the tenant's stations in a region (1..=200 bytes), replacing its previous
    /// one; an unknown station is [`StoreError::NotFound`].
    pub async fn set_station_region(
        &self,
        tenant: TenantId,
        station: StationId,
        region: &str,
    ) -> Result<(), StoreError> {
        if region.is_empty() || region.len() > MAX_REGION_BYTES {
            return Err(invalid(
                "station.region",
                format!("must have 1 to {MAX_REGION_BYTES} bytes"),
            )
            .into());
        }
        let known =
            sqlx::query("SELECT 1 AS one FROM stations WHERE tenant_id = $1 AND station_id = $2")
                .bind(tenant.0)
                .bind(station.0)
                .fetch_optional(&self.pool)
                .await?;
        if known.is_none() {
            return Err(StoreError::NotFound {
                tenant,
                what: "station",
                id: station.0,
            });
        }
        sqlx::query(
            "INSERT INTO station_regions (tenant_id, station_id, region) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, station_id) DO UPDATE SET region = excluded.region",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(region)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Runs a BI query over the tenant's orders: one row per combination of the query's
    /// dimensions present in the filtered orders (one row of totals without dimensions),
    /// sorted by key. More than [`MAX_ROWS`] rows is refused, naming `cube.dimensions`.
    pub async fn cube(&self, tenant: TenantId, q: &CubeQuery) -> Result<Vec<CubeRow>, StoreError> {
        q.validate()?;
        let f = &q.filter;
        let mut params = vec![
            Param::Int(tenant.0),
            Param::Text(date_text(f.from)),
            Param::Text(date_text(f.to)),
        ];
        let mut sql = String::from("SELECT ");
        for &d in &q.dimensions {
            let (expr, alias) = column(d);
            sql.push_str(&format!("{expr} AS {alias}, "));
        }
        sql.push_str(MEASURES);
        sql.push(' ');
        sql.push_str(FROM);
        sql.push_str(" WHERE o.tenant_id = $1 AND o.delivery_date >= $2 AND o.delivery_date <= $3");
        let mut filter = |d: Dimension, value: Param| {
            params.push(value);
            sql.push_str(&format!(" AND {} = ${}", column(d).0, params.len()));
        };
        if let Some(r) = &f.region {
            filter(Dimension::Region, Param::Text(r.clone()));
        }
        if let Some(s) = f.station {
            filter(Dimension::Station, Param::Int(s.0));
        }
        if let Some(c) = f.courier {
            filter(Dimension::Courier, Param::Int(c.0));
        }
        if let Some(p) = f.product {
            filter(Dimension::Product, Param::Int(p.0));
        }
        if let Some(s) = f.segment {
            filter(Dimension::Segment, Param::Text(s.as_str().to_owned()));
        }
        if !q.dimensions.is_empty() {
            let groups: Vec<&str> = q.dimensions.iter().map(|&d| column(d).0).collect();
            sql.push_str(" GROUP BY ");
            sql.push_str(&groups.join(", "));
            sql.push_str(&format!(" LIMIT {}", MAX_ROWS + 1));
        }
        let mut query = sqlx::query(&sql);
        for p in params {
            query = match p {
                Param::Int(v) => query.bind(v),
                Param::Text(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        if rows.len() > MAX_ROWS {
            return Err(invalid(
                "cube.dimensions",
                format!("the answer has more than {MAX_ROWS} rows: add a filter"),
            )
            .into());
        }
        let mut out = rows
            .iter()
            .map(|r| row_from(r, &q.dimensions))
            .collect::<Result<Vec<_>, _>>()?;
        // NULLs sort first on SQLite and last on PostgreSQL: sort here, the same on both.
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

/// A stored count.
fn count(r: &AnyRow, col: &'static str) -> Result<u64, StoreError> {
    let v: i64 = r.try_get(col)?;
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        field: col,
        reason: format!("{v} is not a count"),
    })
}

/// One answer row.
fn row_from(r: &AnyRow, dims: &[Dimension]) -> Result<CubeRow, StoreError> {
    let mut key = Vec::with_capacity(dims.len());
    for &d in dims {
        let alias = column(d).1;
        key.push(match d {
            Dimension::Region => DimValue::Region(r.try_get(alias)?),
            Dimension::Station => DimValue::Station(StationId(r.try_get(alias)?)),
            Dimension::Courier => {
                DimValue::Courier(r.try_get::<Option<i64>, _>(alias)?.map(CourierId))
            }
            Dimension::Product => DimValue::Product(ProductId(r.try_get(alias)?)),
            Dimension::Segment => DimValue::Segment(
                r.try_get::<Option<String>, _>(alias)?
                    .map(|s| Segment::parse(&s))
                    .transpose()?,
            ),
            Dimension::Day => {
                let day: String = r.try_get(alias)?;
                DimValue::Day(parse_date(&day, "orders.delivery_date")?)
            }
        });
    }
    Ok(CubeRow {
        key,
        measures: Measures {
            orders: count(r, "m_orders")?,
            delivered: count(r, "m_delivered")?,
            failed: count(r, "m_failed")?,
            cancelled: count(r, "m_cancelled")?,
            pending: count(r, "m_pending")?,
            units: count(r, "m_units")?,
            units_delivered: count(r, "m_units_delivered")?,
            promised: count(r, "m_promised")?,
            on_time: count(r, "m_on_time")?,
        },
    })
}
