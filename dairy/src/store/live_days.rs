//! The service's live days, stored: a small row per day (status, plan version, the seq of
//! its newest snapshot), an append-only log of the events it accepted, the day's travel
//! matrices (one row per matrix: at open and at each change) and its newest snapshot, which
//! names its matrix by number instead of carrying it (migration 0009). An accepted event
//! writes its log row and a small update of the day's row, plus a matrix or a snapshot only
//! when it brings one, in one transaction. The contents (the event, the snapshot's JSON, the
//! matrix's bytes) are opaque here (made and read by the service from `milkrun_dispatch`);
//! the store keeps them keyed by tenant and day and refuses an event id logged before for
//! the same day.
use sqlx::Row;

use super::live_day_leases::{check_ids, check_owner, check_ttl, fence, now_ms};
use super::{Store, StoreError};
use crate::error::invalid;

pub use super::live_day_leases::MAX_ID;

/// A live day's row.
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
    /// The last event the newest snapshot holds (0: none, the day as opened).
    pub snapshot_seq: i64,
}

/// A day's newest snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The last event it holds (0: the day as opened).
    pub seq: i64,
    /// The plan version it holds.
    pub plan_version: i64,
    /// The number of the day's matrix it goes with ([`Store::live_day_matrix`]); 0 for a
    /// snapshot stored before migration 0009, whose state still carries its matrix.
    pub matrix: i64,
    /// The state without the matrix (JSON).
    pub state: String,
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

/// What an accepted event writes: its log row, and a new matrix or a snapshot when it
/// brings one.
#[derive(Debug, Clone, Copy)]
pub struct LiveEventWrite<'a> {
    /// The day's lease epoch its writer holds (see [`super::live_day_leases`]): checked in
    /// the append's transaction, refused with [`StoreError::Fenced`] after a takeover.
    pub epoch: i64,
    /// The client's event id (unique in the day's log).
    pub event_id: &'a str,
    /// The event (JSON).
    pub event: &'a str,
    /// The plan version it produced.
    pub plan_version: i64,
    /// A new matrix of the day, `(number, bytes)`: the event changed the matrix. Numbers
    /// are the caller's, from 1, each used once per day.
    pub matrix: Option<(i64, &'a [u8])>,
    /// A snapshot after the event, `(matrix number, state)`: it replaces the day's snapshot,
    /// and the matrices numbered below its own are dropped (nothing after it reads them).
    pub snapshot: Option<(i64, &'a str)>,
}

fn check_matrix_no(field: &'static str, number: i64) -> Result<(), StoreError> {
    if number < 1 {
        return Err(invalid(field, "a matrix number is 1 or more").into());
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
        snapshot_seq: r.try_get("snapshot_seq")?,
    })
}

const DAY_COLUMNS: &str = "tenant, day_id, status, plan_version, snapshot_seq";

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn insert_matrix(
    tx: &mut Tx,
    tenant: &str,
    day_id: &str,
    number: i64,
    seq: i64,
    cells: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO live_day_matrices (tenant, day_id, matrix_no, seq, cells) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant)
    .bind(day_id)
    .bind(number)
    .bind(seq)
    .bind(cells)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Stores a day just opened, at plan version 1: its row, its matrix as number 1, its
    /// opening snapshot (seq 0, going with matrix 1) and a free lease at epoch 0 (taken by
    /// the first [`Store::claim_live_day`]). An existing day id of the tenant is an error
    /// (the database's key refuses it).
    pub async fn create_live_day(
        &self,
        tenant: &str,
        day_id: &str,
        matrix: &[u8],
        snapshot: &str,
    ) -> Result<(), StoreError> {
        self.insert_live_day(tenant, day_id, matrix, snapshot, None)
            .await
            .map(|_| ())
    }

    /// [`Store::create_live_day`] with the day's lease held by `owner` for `ttl_ms`, at
    /// epoch 1 (returned): the replica that opens a day runs it.
    pub async fn create_owned_live_day(
        &self,
        tenant: &str,
        day_id: &str,
        matrix: &[u8],
        snapshot: &str,
        owner: &str,
        ttl_ms: i64,
    ) -> Result<i64, StoreError> {
        check_owner(owner)?;
        check_ttl(ttl_ms)?;
        self.insert_live_day(tenant, day_id, matrix, snapshot, Some((owner, ttl_ms)))
            .await
    }

    async fn insert_live_day(
        &self,
        tenant: &str,
        day_id: &str,
        matrix: &[u8],
        snapshot: &str,
        lease: Option<(&str, i64)>,
    ) -> Result<i64, StoreError> {
        check_ids(tenant, day_id)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO live_days (tenant, day_id, status, plan_version, snapshot_seq) \
             VALUES ($1, $2, 'open', 1, 0)",
        )
        .bind(tenant)
        .bind(day_id)
        .execute(&mut *tx)
        .await?;
        insert_matrix(&mut tx, tenant, day_id, 1, 0, matrix).await?;
        sqlx::query(
            "INSERT INTO live_day_snapshots (tenant, day_id, seq, plan_version, matrix_no, \
             state) VALUES ($1, $2, 0, 1, 1, $3)",
        )
        .bind(tenant)
        .bind(day_id)
        .bind(snapshot)
        .execute(&mut *tx)
        .await?;
        let (owner, epoch, ttl_ms) = match lease {
            Some((owner, ttl_ms)) => (owner, 1, ttl_ms),
            None => ("", 0, 0),
        };
        sqlx::query(&format!(
            "INSERT INTO live_day_leases (tenant, day_id, owner, epoch, expires_ms) \
             VALUES ($1, $2, $3, $4, CASE WHEN $5 = 0 THEN 0 ELSE {} + $5 END)",
            now_ms(self.backend)
        ))
        .bind(tenant)
        .bind(day_id)
        .bind(owner)
        .bind(epoch)
        .bind(ttl_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(epoch)
    }

    /// Appends an accepted event to an open day's log and moves the day to its plan
    /// version, with the new matrix and the snapshot it brings, in one transaction; returns
    /// the event's `seq`. Without a matrix or a snapshot this writes the log row and updates
    /// the day's small row, nothing else. When this returns, the event is committed. An id
    /// already in the day's log, a matrix number used before, a snapshot naming a matrix the
    /// day does not have, or a day that is not open, is an error and nothing is written;
    /// so is a write whose [`LiveEventWrite::epoch`] is no longer the day's lease epoch
    /// ([`StoreError::Fenced`]: another replica took the day over).
    pub async fn append_live_event(
        &self,
        tenant: &str,
        day_id: &str,
        write: &LiveEventWrite<'_>,
    ) -> Result<i64, StoreError> {
        check_ids(tenant, day_id)?;
        if let Some((number, _)) = write.matrix {
            check_matrix_no("matrix", number)?;
        }
        if let Some((number, _)) = write.snapshot {
            check_matrix_no("snapshot.matrix", number)?;
        }
        let mut tx = self.begin_write().await?;
        // The fence comes first: on PostgreSQL it locks the lease row, so a takeover waits
        // for this append and reads the log after it.
        fence(&mut tx, tenant, day_id, write.epoch).await?;
        // Then the day's row: locked too, so appends to one day are serialised and their
        // seq numbers cannot collide.
        let moved = sqlx::query(
            "UPDATE live_days SET plan_version = $3 \
             WHERE tenant = $1 AND day_id = $2 AND status = 'open'",
        )
        .bind(tenant)
        .bind(day_id)
        .bind(write.plan_version)
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
        .bind(write.event_id)
        .bind(write.event)
        .bind(write.plan_version)
        .execute(&mut *tx)
        .await?;
        if let Some((number, cells)) = write.matrix {
            insert_matrix(&mut tx, tenant, day_id, number, seq, cells).await?;
        }
        if let Some((number, state)) = write.snapshot {
            let has: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM live_day_matrices \
                 WHERE tenant = $1 AND day_id = $2 AND matrix_no = $3",
            )
            .bind(tenant)
            .bind(day_id)
            .bind(number)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if has != 1 {
                return Err(invalid(
                    "snapshot.matrix",
                    format!("day {day_id} has no matrix {number}"),
                )
                .into());
            }
            sqlx::query(
                "INSERT INTO live_day_snapshots (tenant, day_id, seq, plan_version, matrix_no, \
                 state) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant)
            .bind(day_id)
            .bind(seq)
            .bind(write.plan_version)
            .bind(number)
            .bind(state)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE live_days SET snapshot_seq = $3 WHERE tenant = $1 AND day_id = $2")
                .bind(tenant)
                .bind(day_id)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM live_day_snapshots WHERE tenant = $1 AND day_id = $2 AND seq < $3",
            )
            .bind(tenant)
            .bind(day_id)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM live_day_matrices \
                 WHERE tenant = $1 AND day_id = $2 AND matrix_no < $3",
            )
            .bind(tenant)
            .bind(day_id)
            .bind(number)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(seq)
    }

    /// Moves the matrix out of a snapshot stored before migration 0009 (matrix number 0):
    /// stores `matrix` as the day's matrix number 1 and the snapshot's `state` without it,
    /// in one transaction. `false` when the day's snapshot at `seq` is not such a snapshot
    /// (nothing is written).
    pub async fn move_live_snapshot_matrix(
        &self,
        tenant: &str,
        day_id: &str,
        seq: i64,
        matrix: &[u8],
        state: &str,
    ) -> Result<bool, StoreError> {
        check_ids(tenant, day_id)?;
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE live_day_snapshots SET matrix_no = 1, state = $4 \
             WHERE tenant = $1 AND day_id = $2 AND seq = $3 AND matrix_no = 0",
        )
        .bind(tenant)
        .bind(day_id)
        .bind(seq)
        .bind(state)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        insert_matrix(&mut tx, tenant, day_id, 1, seq, matrix).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Closes an open day, fenced like an append by the lease `epoch` its writer holds;
    /// `false` when the tenant has no open day of that id.
    pub async fn close_live_day(
        &self,
        tenant: &str,
        day_id: &str,
        epoch: i64,
    ) -> Result<bool, StoreError> {
        check_ids(tenant, day_id)?;
        let mut tx = self.begin_write().await?;
        fence(&mut tx, tenant, day_id, epoch).await?;
        let done = sqlx::query(
            "UPDATE live_days SET status = 'closed' \
             WHERE tenant = $1 AND day_id = $2 AND status = 'open'",
        )
        .bind(tenant)
        .bind(day_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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

    /// A day's newest snapshot, if the day is stored.
    pub async fn live_day_snapshot(
        &self,
        tenant: &str,
        day_id: &str,
    ) -> Result<Option<StoredSnapshot>, StoreError> {
        check_ids(tenant, day_id)?;
        let row = sqlx::query(
            "SELECT s.seq, s.plan_version, s.matrix_no, s.state FROM live_day_snapshots s \
             JOIN live_days d ON d.tenant = s.tenant AND d.day_id = s.day_id \
             AND d.snapshot_seq = s.seq WHERE s.tenant = $1 AND s.day_id = $2",
        )
        .bind(tenant)
        .bind(day_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredSnapshot {
                seq: r.try_get("seq")?,
                plan_version: r.try_get("plan_version")?,
                matrix: r.try_get("matrix_no")?,
                state: r.try_get("state")?,
            })
        })
        .transpose()
    }

    /// The bytes of a day's matrix `number`, if the store keeps it.
    pub async fn live_day_matrix(
        &self,
        tenant: &str,
        day_id: &str,
        number: i64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        check_ids(tenant, day_id)?;
        let row = sqlx::query(
            "SELECT cells FROM live_day_matrices \
             WHERE tenant = $1 AND day_id = $2 AND matrix_no = $3",
        )
        .bind(tenant)
        .bind(day_id)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("cells").map_err(StoreError::from))
            .transpose()
    }

    /// The matrices the store keeps for a day, `(number, seq of the event that brought it)`,
    /// by number.
    pub async fn live_day_matrices(
        &self,
        tenant: &str,
        day_id: &str,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        check_ids(tenant, day_id)?;
        let rows = sqlx::query(
            "SELECT matrix_no, seq FROM live_day_matrices \
             WHERE tenant = $1 AND day_id = $2 ORDER BY matrix_no",
        )
        .bind(tenant)
        .bind(day_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("matrix_no")?, r.try_get("seq")?)))
            .collect()
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
