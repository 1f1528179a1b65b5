//! Who runs each live day (issue #23: live-day failover). Several replicas of `milkrun
//! serve` share one store; exactly one of them holds a day in memory and takes its events:
//! the holder of the day's lease (migration 0012: one row per day, owner, expiry and epoch).
//!
//! - [`Store::claim_live_day`] takes a day's lease when it is free, lapsed or the caller's
//!   own; taking it from another owner (or from nobody) raises its epoch by one. Otherwise it
//!   answers who holds it and for how long.
//! - [`Store::renew_live_day_leases`] extends every lease a replica holds, in one statement,
//!   and says which ones it still holds (a day missing there was taken over).
//! - [`Store::lapsed_live_days`] lists the open days whose lease lapsed, for the replicas'
//!   background sweep that takes them over before anybody asks for them.
//! - Every write of a day carries the epoch its writer claimed (the `epoch` of
//!   `live_days::LiveEventWrite`, [`Store::close_live_day`]) and is refused with
//!   [`StoreError::Fenced`] in its own transaction when the epoch moved on: a replica that
//!   was paused past its lease cannot append after a takeover. On PostgreSQL the check is an `UPDATE` of the lease row, so a
//!   takeover waits for an append under way and reads the log after it.
//!
//! Expiries are in the database's clock (milliseconds since 1970), so the replicas' clocks
//! need not agree. Owners are the replicas' own ids (text, 1 to [`MAX_OWNER`] bytes); the
//! empty owner is nobody.
use sqlx::Row;

use super::{Backend, Store, StoreError};
use crate::error::invalid;

/// Longest tenant or day id stored, bytes (of a live day and its lease).
pub const MAX_ID: usize = 128;
/// Longest owner id, bytes.
pub const MAX_OWNER: usize = 128;
/// Longest lease, milliseconds (an hour).
pub const MAX_TTL_MS: i64 = 3_600_000;
/// Most lapsed days one [`Store::lapsed_live_days`] lists.
pub const MAX_LAPSED: i64 = 10_000;

/// What a claim of a day's lease gives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseClaim {
    /// The caller holds the lease now, at this epoch (the day's writes carry it).
    Held {
        /// The fencing token.
        epoch: i64,
    },
    /// Another replica holds it.
    Elsewhere {
        /// Its id.
        owner: String,
        /// How long its lease runs still, milliseconds (0: it is just ending).
        expires_in_ms: i64,
    },
}

/// A lease a replica holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLease {
    /// The service's tenant id.
    pub tenant: String,
    /// The day.
    pub day_id: String,
    /// The epoch.
    pub epoch: i64,
}

/// The database's clock, milliseconds since 1970, as an SQL expression.
pub(super) fn now_ms(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    }
}

pub(super) fn check_ids(tenant: &str, day_id: &str) -> Result<(), StoreError> {
    if tenant.is_empty() || tenant.len() > MAX_ID {
        return Err(invalid("tenant", format!("must be 1 to {MAX_ID} bytes")).into());
    }
    if day_id.is_empty() || day_id.len() > MAX_ID {
        return Err(invalid("day_id", format!("must be 1 to {MAX_ID} bytes")).into());
    }
    Ok(())
}

pub(super) fn check_owner(owner: &str) -> Result<(), StoreError> {
    if owner.is_empty() || owner.len() > MAX_OWNER {
        return Err(invalid("owner", format!("must be 1 to {MAX_OWNER} bytes")).into());
    }
    Ok(())
}

pub(super) fn check_ttl(ttl_ms: i64) -> Result<(), StoreError> {
    if !(1..=MAX_TTL_MS).contains(&ttl_ms) {
        return Err(invalid("ttl_ms", format!("must be 1 to {MAX_TTL_MS} ms")).into());
    }
    Ok(())
}

/// Whether an open day of that id exists, as an SQL condition on the lease row `l`.
const DAY_OPEN: &str = "EXISTS (SELECT 1 FROM live_days d WHERE d.tenant = l.tenant \
                        AND d.day_id = l.day_id AND d.status = 'open')";

impl Store {
    /// Claims the lease of an open day for `owner`, for `ttl_ms`: taken when nobody holds
    /// it, when its lease lapsed, or when it is `owner`'s own (renewed, same epoch); taking
    /// it from another owner or from nobody raises the epoch by one. `force` takes it
    /// whoever holds it: for a store that one process only uses (SQLite), where the holder
    /// can only be an earlier run of the same server. `None` when the tenant has no open day
    /// of that id.
    pub async fn claim_live_day(
        &self,
        tenant: &str,
        day_id: &str,
        owner: &str,
        ttl_ms: i64,
        force: bool,
    ) -> Result<Option<LeaseClaim>, StoreError> {
        check_ids(tenant, day_id)?;
        check_owner(owner)?;
        check_ttl(ttl_ms)?;
        let now = now_ms(self.backend);
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query(&format!(
            "UPDATE live_day_leases AS l SET \
             epoch = CASE WHEN l.owner = $3 THEN l.epoch ELSE l.epoch + 1 END, \
             owner = $3, expires_ms = {now} + $4 \
             WHERE l.tenant = $1 AND l.day_id = $2 AND {DAY_OPEN} \
             AND (l.owner = $3 OR l.expires_ms <= {now} OR $5 = 1)"
        ))
        .bind(tenant)
        .bind(day_id)
        .bind(owner)
        .bind(ttl_ms)
        .bind(i64::from(force))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT l.owner, l.epoch, l.expires_ms - {now} AS left_ms FROM live_day_leases l \
             WHERE l.tenant = $1 AND l.day_id = $2 AND {DAY_OPEN}"
        ))
        .bind(tenant)
        .bind(day_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let holder: String = row.try_get("owner")?;
        Ok(Some(if taken.rows_affected() == 1 && holder == owner {
            LeaseClaim::Held {
                epoch: row.try_get("epoch")?,
            }
        } else {
            let left: i64 = row.try_get("left_ms")?;
            LeaseClaim::Elsewhere {
                owner: holder,
                expires_in_ms: left.clamp(0, MAX_TTL_MS),
            }
        }))
    }

    /// Extends every lease of an open day that `owner` holds by `ttl_ms` from now, and
    /// returns them all: a day `owner` runs that is missing here was taken over.
    pub async fn renew_live_day_leases(
        &self,
        owner: &str,
        ttl_ms: i64,
    ) -> Result<Vec<HeldLease>, StoreError> {
        check_owner(owner)?;
        check_ttl(ttl_ms)?;
        let now = now_ms(self.backend);
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "UPDATE live_day_leases AS l SET expires_ms = {now} + $2 \
             WHERE l.owner = $1 AND {DAY_OPEN}"
        ))
        .bind(owner)
        .bind(ttl_ms)
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT l.tenant, l.day_id, l.epoch FROM live_day_leases l \
             WHERE l.owner = $1 AND {DAY_OPEN} ORDER BY l.tenant, l.day_id"
        ))
        .bind(owner)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(HeldLease {
                    tenant: r.try_get("tenant")?,
                    day_id: r.try_get("day_id")?,
                    epoch: r.try_get("epoch")?,
                })
            })
            .collect()
    }

    /// Ends every lease `owner` holds now (a replica shutting down cleanly), so that the
    /// next replica asked takes its days over at once; returns how many.
    pub async fn release_live_day_leases(&self, owner: &str) -> Result<u64, StoreError> {
        check_owner(owner)?;
        let done = sqlx::query("UPDATE live_day_leases SET expires_ms = 0 WHERE owner = $1")
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Open days whose lease lapsed (its owner died, or released it at a clean shutdown),
    /// `(tenant, day_id)`, the longest lapsed first, at most `limit`: what a replica's
    /// takeover sweep claims.
    pub async fn lapsed_live_days(&self, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
        if !(1..=MAX_LAPSED).contains(&limit) {
            return Err(invalid("limit", format!("must be 1 to {MAX_LAPSED}")).into());
        }
        let now = now_ms(self.backend);
        let rows = sqlx::query(&format!(
            "SELECT l.tenant, l.day_id FROM live_day_leases l \
             WHERE l.expires_ms <= {now} AND {DAY_OPEN} \
             ORDER BY l.expires_ms, l.tenant, l.day_id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("tenant")?, r.try_get("day_id")?)))
            .collect()
    }

    /// The lease of a day: `(owner, epoch)` (owner empty: nobody yet), if the day is stored.
    pub async fn live_day_lease(
        &self,
        tenant: &str,
        day_id: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        check_ids(tenant, day_id)?;
        let row = sqlx::query(
            "SELECT owner, epoch FROM live_day_leases WHERE tenant = $1 AND day_id = $2",
        )
        .bind(tenant)
        .bind(day_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("owner")?, r.try_get("epoch")?)))
            .transpose()
    }
}

/// Checks, in a day's write transaction, that `epoch` is still the day's lease epoch, and
/// on PostgreSQL locks the lease row until the transaction ends (a takeover waits for it).
pub(super) async fn fence(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: &str,
    day_id: &str,
    epoch: i64,
) -> Result<(), StoreError> {
    let held = sqlx::query(
        "UPDATE live_day_leases SET epoch = epoch \
         WHERE tenant = $1 AND day_id = $2 AND epoch = $3",
    )
    .bind(tenant)
    .bind(day_id)
    .bind(epoch)
    .execute(&mut **tx)
    .await?;
    if held.rows_affected() != 1 {
        return Err(StoreError::Fenced {
            day_id: day_id.to_string(),
            epoch,
        });
    }
    Ok(())
}
