//! Where a station stands and how its live day runs (migration 0013): the station's point,
//! the service time at a door, the snap limit, and the couriers riding from it with their
//! capacity and shift ([`StationSite`]); and the live day's re-plan written back to the
//! night's stops ([`Store::write_replan`]), so the board, the couriers' rounds and the store
//! agree with the engine. Keyed by tenant like every table.
use milkrun_calendar::Date;
use sqlx::Row;

use super::{date_text, to_u32, Store, StoreError};
use crate::dispatcher::{Replanned, StationSite};
use crate::engine::{check_couriers, PlanCourier, MAX_SERVICE_S};
use crate::error::invalid;
use crate::household::GeoPoint;
use crate::ids::{CourierId, StationId, TenantId};

/// Largest snap limit a site may set, metres.
pub const MAX_SITE_SNAP_M: f64 = 10_000.0;

impl StationSite {
    /// Checks every field, naming the first bad one.
    pub fn check(&self) -> Result<(), crate::DairyError> {
        GeoPoint::new(self.point.lat, self.point.lon).map_err(|_| {
            invalid(
                "site.point",
                "needs a latitude in -90..=90 and a longitude in -180..=180",
            )
        })?;
        if !(0..=MAX_SERVICE_S).contains(&self.service_s) {
            return Err(invalid(
                "site.service_s",
                format!("must be 0 to {MAX_SERVICE_S}"),
            ));
        }
        if !(self.max_snap_m.is_finite()
            && self.max_snap_m > 0.0
            && self.max_snap_m <= MAX_SITE_SNAP_M)
        {
            return Err(invalid(
                "site.max_snap_m",
                format!("must be a number above 0 and at most {MAX_SITE_SNAP_M}"),
            ));
        }
        if self.couriers.is_empty() {
            return Err(invalid("site.couriers", "a station needs a courier"));
        }
        check_couriers(&self.couriers)
    }
}

impl Store {
    /// Sets (or replaces) where a station stands and its couriers (each one of the tenant's,
    /// riding from this station only), checked first; one transaction.
    pub async fn set_station_site(
        &self,
        tenant: TenantId,
        station: StationId,
        site: &StationSite,
    ) -> Result<(), StoreError> {
        site.check()?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM station_couriers WHERE tenant_id = $1 AND station_id = $2")
            .bind(tenant.0)
            .bind(station.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM station_sites WHERE tenant_id = $1 AND station_id = $2")
            .bind(tenant.0)
            .bind(station.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO station_sites (tenant_id, station_id, lat, lon, service_s, max_snap_m) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(site.point.lat)
        .bind(site.point.lon)
        .bind(site.service_s)
        .bind(site.max_snap_m)
        .execute(&mut *tx)
        .await?;
        for c in &site.couriers {
            sqlx::query(
                "INSERT INTO station_couriers (tenant_id, station_id, courier_id, capacity, \
                 shift_start_s, shift_end_s) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant.0)
            .bind(station.0)
            .bind(c.id.0)
            .bind(i64::from(c.capacity))
            .bind(c.shift_start_s)
            .bind(c.shift_end_s)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The station a courier rides from (its site lists him), if any.
    pub async fn courier_station(
        &self,
        tenant: TenantId,
        courier: CourierId,
    ) -> Result<Option<StationId>, StoreError> {
        let row = sqlx::query(
            "SELECT station_id FROM station_couriers WHERE tenant_id = $1 AND courier_id = $2",
        )
        .bind(tenant.0)
        .bind(courier.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(StationId(r.try_get("station_id")?)))
            .transpose()
    }

    /// A station's site, if it has one.
    pub async fn station_site(
        &self,
        tenant: TenantId,
        station: StationId,
    ) -> Result<Option<StationSite>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT lat, lon, service_s, max_snap_m FROM station_sites \
             WHERE tenant_id = $1 AND station_id = $2",
        )
        .bind(tenant.0)
        .bind(station.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT courier_id, capacity, shift_start_s, shift_end_s FROM station_couriers \
             WHERE tenant_id = $1 AND station_id = $2 ORDER BY courier_id",
        )
        .bind(tenant.0)
        .bind(station.0)
        .fetch_all(&self.pool)
        .await?;
        let couriers = rows
            .iter()
            .map(|r| {
                Ok(PlanCourier {
                    id: CourierId(r.try_get("courier_id")?),
                    capacity: to_u32(r.try_get("capacity")?, "station_couriers.capacity")?,
                    shift_start_s: r.try_get("shift_start_s")?,
                    shift_end_s: r.try_get("shift_end_s")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(StationSite {
            point: GeoPoint::new(row.try_get("lat")?, row.try_get("lon")?)?,
            service_s: row.try_get("service_s")?,
            max_snap_m: row.try_get("max_snap_m")?,
            couriers,
        }))
    }

    /// Every station of the tenant that has a site: its point, by station id.
    pub async fn station_points(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(StationId, GeoPoint)>, StoreError> {
        let rows = sqlx::query(
            "SELECT station_id, lat, lon FROM station_sites WHERE tenant_id = $1 \
             ORDER BY station_id",
        )
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    StationId(r.try_get("station_id")?),
                    GeoPoint::new(r.try_get("lat")?, r.try_get("lon")?)?,
                ))
            })
            .collect()
    }

    /// A late order's household joins a station's plan of `date` as a stop without a
    /// courier (the live day's re-plan places it, [`Store::write_replan`]); `false` when the
    /// household is a stop of the day already (its late order joins that stop).
    pub async fn add_late_stop(
        &self,
        tenant: TenantId,
        date: Date,
        station: StationId,
        household: crate::ids::HouseholdId,
        quantity: u32,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO night_stops (tenant_id, delivery_date, station_id, household_id, \
             quantity) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .bind(station.0)
        .bind(household.0)
        .bind(i64::from(quantity))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Writes a live day's re-plan back to a station's stops of `date`: each household's
    /// courier, place and arrival (all `NULL` with the note when the re-plan left it without a
    /// courier), in one transaction. A household that is not a stop of the station's day is
    /// an error and nothing is written.
    pub async fn write_replan(
        &self,
        tenant: TenantId,
        date: Date,
        station: StationId,
        rows: &[Replanned],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for r in rows {
            let (courier, seq, arrival) = match r.route {
                Some((c, seq, eta)) => (Some(c.0), Some(i64::from(seq)), eta),
                None => (None, None, None),
            };
            let done = sqlx::query(
                "UPDATE night_stops SET courier_id = $5, seq = $6, arrival_s = $7, \
                 replan_note = $8 WHERE tenant_id = $1 AND delivery_date = $2 \
                 AND station_id = $3 AND household_id = $4",
            )
            .bind(tenant.0)
            .bind(date_text(date))
            .bind(station.0)
            .bind(r.household.0)
            .bind(courier)
            .bind(seq)
            .bind(arrival)
            .bind(r.note.as_deref())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(invalid(
                    "household",
                    format!(
                        "household {} is not a stop of station {} on {date}",
                        r.household.0, station.0
                    ),
                )
                .into());
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
