//! The service's live days, stored: a row per day (its opening state, its newest snapshot and
//! the plan version) and an append-only log of the events it accepted. The day's contents are
//! opaque JSON here (made and read by the service from `milkrun_dispatch`); the store keeps
//! them keyed by tenant and day, appends an event and moves the day's version in one
//! transaction, and refuses an event id logged before for the same day.
use sqlx::Row;

use super::{Store, StoreError};
use crate::error::invalid;

/// Longest tenant or day id stored, bytes.
pub const MAX_ID: usize = 128;

/// A live day as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLiveDay {
    /// The service's tenant id.
    pub tenant: String,
    /// The day id.
    pub day_id: String,
    /// True while the day is open.
    pub open: bool,
    /// The plan version after the last logged event.
    pub plan_version: i64,
    /// The day as opened (JSON).
    pub opening_snapshot: String,
    /// The newest snapshot (JSON).
    pub snapshot: String,
    /// The last event the snapshot holds (0: none, the opening state).
    pub snapshot_seq: i64,
    /// The plan version of the snapshot.
    pub snapshot_version: i64,
}

/// One logged event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLiveEvent {
    /// Its place in the day's log, from 1.
    pub seq: i64,
    /// The client's event id.
    pub event_id: String,
    /// The event (JSON).
    pub event: String,
    /// The plan version it produced.
    pub plan_version: i64,
}

fn check_ids(tenant: &str, day_id: &str) -> Result<(), StoreError> {
    if tenant.is_empty() || tenant.len() > MAX_ID {
        return Err(invalid("tenant", format!("must be 1 to {MAX_ID} bytes")).into());
    }
    if day_id.is_empty() || day_id.len() > MAX_ID {
        return Err(invalid("day_id", format!("must be 1 to {MAX_ID} bytes")).into());
    }
    Ok(())
}

fn day_of(r: &sqlx::any::AnyRow) -> Result<StoredLiveDay, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(StoredLiveDay {
        tenant: r.try_get("tenant")?,
        day_id: r.try_get("day_id")?,
        open: match status.as_str() {
            "open" => true,
            "closed" => false,
            other => {
                return Err(StoreError::Corrupt {
                    field: "live_days.status",
                    reason: format!("{other:?} is neither open nor closed"),
                })
            }
        },
        plan_version: r.try_get("plan_version")?,
        opening_snapshot: r.try_get("opening_snapshot")?,
        snapshot: r.try_get("snapshot")?,
        snapshot_seq: r.try_get("snapshot_seq")?,
        snapshot_version: r.try_get("snapshot_version")?,
    })
}

const DAY_COLUMNS: &str = "tenant, day_id, status, plan_version, opening_snapshot, snapshot, \
                           snapshot_seq, snapshot_version";

impl Store {
    /// Stores a day just opened, at plan version 1. An existing day id of the tenant is an
    /// error (the database's key refuses it).
    pub async fn create_live_day(
        &self,
        tenant: &str,
        day_id: &str,
        snapshot: &str,
    ) -> Result<(), StoreError> {
        check_ids(tenant, day_id)?;
        sqlx::query(
            "INSERT INTO live_days (tenant, day_id, status, plan_version, opening_snapshot, \
             snapshot, snapshot_seq, snapshot_version) VALUES ($1, $2, 'open', 1, $3, $3, 0, 1)",
        )
        .bind(tenant)
        .bind(day_id)
        .bind(snapshot)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Appends an accepted event to an open day's log and moves the day to `plan_version`,
    /// with a new snapshot when one is given, in one transaction; returns the event's `seq`.
    /// When this returns, the event is committed. An id already in the day's log, or a day
    /// that is not open, is an error and nothing is written.
    pub async fn append_live_event(
        &self,
        tenant: &str,
        day_id: &str,
        event_id: &str,
        event: &str,
        plan_version: i64,
        snapshot: Option<&str>,
    ) -> Result<i64, StoreError> {
        check_ids(tenant, day_id)?;
        let mut tx = self.begin_write().await?;
        // The update comes first: on PostgreSQL it locks the day's row, so appends to one
        // day are serialised and their seq numbers cannot collide.
        let moved = sqlx::query(
            "UPDATE live_days SET plan_version = $3 \
             WHERE tenant = $1 AND day_id = $2 AND status = 'open'",
        )
        .bind(tenant)
        .bind(day_id)
        .bind(plan_version)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(invalid("day_id", format!("no open day {day_id}")).into());
        }
        let last: i64 = sqlx::query(
            "SELECT COALESCE(MAX(seq), 0) AS last FROM live_day_events \
             WHERE tenant = $1 AND day_id = $2",
        )
        .bind(tenant)
        .bind(day_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("last")?;
        let seq = last + 1;
        sqlx::query(
            "INSERT INTO live_day_events (tenant, day_id, seq, event_id, event, plan_version) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant)
        .bind(day_id)
        .bind(seq)
        .bind(event_id)
        .bind(event)
        .bind(plan_version)
        .execute(&mut *tx)
        .await?;
        if let Some(snapshot) = snapshot {
            sqlx::query(
                "UPDATE live_days SET snapshot = $3, snapshot_seq = $4, snapshot_version = $5 \
                 WHERE tenant = $1 AND day_id = $2",
            )
            .bind(tenant)
            .bind(day_id)
            .bind(snapshot)
            .bind(seq)
            .bind(plan_version)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(seq)
    }

    /// Closes an open day; `false` when the tenant has no open day of that id.
    pub async fn close_live_day(&self, tenant: &str, day_id: &str) -> Result<bool, StoreError> {
        check_ids(tenant, day_id)?;
        let done = sqlx::query(
            "UPDATE live_days SET status = 'closed' \
             WHERE tenant = $1 AND day_id = $2 AND status = 'open'",
        )
        .bind(tenant)
        .bind(day_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One day of a tenant, if stored.
    pub async fn live_day(
        &self,
        tenant: &str,
        day_id: &str,
    ) -> Result<Option<StoredLiveDay>, StoreError> {
        check_ids(tenant, day_id)?;
        let row = sqlx::query(&format!(
            "SELECT {DAY_COLUMNS} FROM live_days WHERE tenant = $1 AND day_id = $2"
        ))
        .bind(tenant)
        .bind(day_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(day_of).transpose()
    }

    /// Every open day of every tenant (what a restarting server restores), by tenant and id.
    pub async fn open_live_days(&self) -> Result<Vec<StoredLiveDay>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DAY_COLUMNS} FROM live_days WHERE status = 'open' ORDER BY tenant, day_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(day_of).collect()
    }

    /// A day's logged events, in order.
    pub async fn live_day_events(
        &self,
        tenant: &str,
        day_id: &str,
    ) -> Result<Vec<StoredLiveEvent>, StoreError> {
        check_ids(tenant, day_id)?;
        let rows = sqlx::query(
            "SELECT seq, event_id, event, plan_version FROM live_day_events \
             WHERE tenant = $1 AND day_id = $2 ORDER BY seq",
        )
        .bind(tenant)
        .bind(day_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredLiveEvent {
                    seq: r.try_get("seq")?,
                    event_id: r.try_get("event_id")?,
                    event: r.try_get("event")?,
                    plan_version: r.try_get("plan_version")?,
                })
            })
            .collect()
    }
}
