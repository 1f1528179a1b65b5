//! The station pages' live days, stored (migration 0014): per tenant, station and date, the
//! day as it was opened on the engine, the reported jam's end, and the events sent to the
//! engine in order, so that a restart of the service reopens the day by replaying them. The
//! opening and the events are opaque here (the service's JSON); the store keeps them in
//! order, each append in one transaction with the jam's end.
use milkrun_calendar::Date;
use sqlx::Row;

use super::{date_text, Store, StoreError};
use crate::error::invalid;
use crate::ids::{HouseholdId, StationId, TenantId};

/// Most events one station's day keeps (the engine takes no more).
pub const MAX_STATION_EVENTS: i64 = 100_000;
/// Longest opening or event text, bytes.
pub const MAX_STATION_TEXT: usize = 16 * 1024 * 1024;

/// A station's live day as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStationDay {
    /// The day as opened (the service's JSON).
    pub opening: String,
    /// When the reported jam ends, seconds since midnight (`None`: no jam waits for its end).
    pub jam_until_s: Option<i64>,
    /// The events sent, in order: the event (the service's JSON) and, for a courier's
    /// report, its household.
    pub events: Vec<(String, Option<HouseholdId>)>,
}

fn too_long(field: &'static str, text: &str) -> Result<(), StoreError> {
    if text.len() > MAX_STATION_TEXT {
        return Err(invalid(field, format!("longer than {MAX_STATION_TEXT} bytes")).into());
    }
    Ok(())
}

impl Store {
    /// Stores a station's day as opened (replacing a day stored before for the same date,
    /// with its events: the service opens a day afresh only when it holds none).
    pub async fn open_station_day(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
        opening: &str,
    ) -> Result<(), StoreError> {
        too_long("opening", opening)?;
        let mut tx = self.pool.begin().await?;
        for table in ["station_live_events", "station_live_days"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND station_id = $2 \
                 AND delivery_date = $3"
            ))
            .bind(tenant.0)
            .bind(station.0)
            .bind(date_text(date))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO station_live_days (tenant_id, station_id, delivery_date, opening, \
             jam_until_s) VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .bind(opening)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends events to a station's stored day after its `first` events (numbered from 1,
    /// so `first` is how many it holds) and sets the jam's end, in one transaction. A day
    /// that holds another count of events (a second writer) is refused and nothing is
    /// written.
    pub async fn append_station_events(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
        first: i64,
        events: &[(String, Option<HouseholdId>)],
        jam_until_s: Option<i64>,
    ) -> Result<(), StoreError> {
        let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
        if first < 0 || first.saturating_add(count) > MAX_STATION_EVENTS {
            return Err(invalid(
                "events",
                format!("a station's day keeps at most {MAX_STATION_EVENTS} events"),
            )
            .into());
        }
        for (e, _) in events {
            too_long("event", e)?;
        }
        let mut tx = self.pool.begin().await?;
        let day = sqlx::query(
            "SELECT 1 AS one FROM station_live_days WHERE tenant_id = $1 AND station_id = $2 \
             AND delivery_date = $3",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .fetch_optional(&mut *tx)
        .await?;
        if day.is_none() {
            return Err(invalid("station", "no stored live day of the station").into());
        }
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM station_live_events WHERE tenant_id = $1 \
             AND station_id = $2 AND delivery_date = $3",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .fetch_one(&mut *tx)
        .await?;
        let held: i64 = row.try_get("n")?;
        if held != first {
            return Err(invalid(
                "events",
                format!("the station's day holds {held} events, not {first}"),
            )
            .into());
        }
        for (i, (event, household)) in events.iter().enumerate() {
            let seq = first + 1 + i64::try_from(i).unwrap_or(i64::MAX - first - 1);
            sqlx::query(
                "INSERT INTO station_live_events (tenant_id, station_id, delivery_date, seq, \
                 event, household_id) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant.0)
            .bind(station.0)
            .bind(date_text(date))
            .bind(seq)
            .bind(event)
            .bind(household.map(|h| h.0))
            .execute(&mut *tx)
            .await?;
        }
        let updated = sqlx::query(
            "UPDATE station_live_days SET jam_until_s = $4 WHERE tenant_id = $1 \
             AND station_id = $2 AND delivery_date = $3",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .bind(jam_until_s)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(invalid("station", "no stored live day of the station").into());
        }
        tx.commit().await?;
        Ok(())
    }

    /// A station's stored day of `date`, with its events in order (`None`: none stored).
    pub async fn station_day(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
    ) -> Result<Option<StoredStationDay>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT opening, jam_until_s FROM station_live_days WHERE tenant_id = $1 \
             AND station_id = $2 AND delivery_date = $3",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT event, household_id FROM station_live_events WHERE tenant_id = $1 \
             AND station_id = $2 AND delivery_date = $3 ORDER BY seq",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        let events = rows
            .iter()
            .map(|r| {
                let household: Option<i64> = r.try_get("household_id")?;
                Ok((r.try_get("event")?, household.map(HouseholdId)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(StoredStationDay {
            opening: row.try_get("opening")?,
            jam_until_s: row.try_get("jam_until_s")?,
            events,
        }))
    }
}
