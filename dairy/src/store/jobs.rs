//! The service's batch jobs, stored: one row per job (migration 0008, `service_jobs`), keyed by
//! the service's tenant id and the job's number. The work and its result are opaque bytes here
//! (protobuf messages made and read by the service), kept hex-encoded in text columns so that
//! both backends use the same portable schema. The store keeps a request id unique per
//! tenant, moves a job through its states (queued, running, then succeeded, failed or
//! cancelled; a finished row is never changed again), bounds what it keeps
//! ([`MAX_JOB_REQUEST_BYTES`], [`MAX_JOB_RESULT_BYTES`], [`MAX_JOB_ERROR_BYTES`]) and drops
//! the oldest finished jobs beyond a count the caller gives.
use sqlx::Row;

use super::{Store, StoreError};
use crate::error::invalid;

/// Longest tenant id or request id stored, bytes.
pub const MAX_JOB_ID: usize = 128;
/// Longest kind of work (`optimize`, `forecast`, ...), bytes.
pub const MAX_JOB_KIND: usize = 32;
/// Largest stored request (the submitted work), bytes before encoding.
pub const MAX_JOB_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Largest stored result, bytes before encoding.
pub const MAX_JOB_RESULT_BYTES: usize = 4 * 1024 * 1024;
/// Longest stored error (code and message together), bytes.
pub const MAX_JOB_ERROR_BYTES: usize = 4096;

/// Where a stored job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Running.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Cancelled before it finished (it may keep a result: the best found before the cancel).
    Cancelled,
}

impl JobState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Result<JobState, StoreError> {
        Ok(match text {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            other => {
                return Err(StoreError::Corrupt {
                    field: "service_jobs.state",
                    reason: format!("{other:?} is not a job state"),
                })
            }
        })
    }

    /// Succeeded, failed or cancelled.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

/// A job to store, queued.
#[derive(Debug, Clone, Copy)]
pub struct NewJob<'a> {
    /// The service's tenant id.
    pub tenant: &'a str,
    /// The job's number (positive; the service's job ids are made from it).
    pub seq: i64,
    /// The client's idempotency key; empty: none.
    pub request_id: &'a str,
    /// What identifies the work under its request id (the service's digest, hex).
    pub digest: &'a str,
    /// The kind of work, e.g. `forecast`.
    pub kind: &'a str,
    /// The work, as the service encodes it.
    pub request: &'a [u8],
    /// Units of work in all.
    pub progress_total: i64,
    /// When it was submitted, ms since 1970-01-01 UTC.
    pub submitted_ms: i64,
}

/// The error of a failed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// The status code's name, e.g. `INVALID_ARGUMENT`.
    pub code: String,
    /// In words.
    pub message: String,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredJob {
    /// The service's tenant id.
    pub tenant: String,
    /// The job's number.
    pub seq: i64,
    /// The client's idempotency key; empty: none.
    pub request_id: String,
    /// What identifies the work under its request id.
    pub digest: String,
    /// The kind of work.
    pub kind: String,
    /// The work.
    pub request: Vec<u8>,
    /// Where it is.
    pub state: JobState,
    /// Whether a cancel was asked.
    pub cancel_requested: bool,
    /// Units of work done (as of the last stored change).
    pub progress_done: i64,
    /// Units of work in all.
    pub progress_total: i64,
    /// The result of a finished job, if it has one.
    pub result: Option<Vec<u8>>,
    /// The error of a failed job.
    pub error: Option<JobError>,
    /// Submission time, ms since 1970-01-01 UTC.
    pub submitted_ms: i64,
    /// Start time (0: not started).
    pub started_ms: i64,
    /// End time (0: not finished).
    pub finished_ms: i64,
}

/// What storing a new job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// The job is stored, queued.
    Inserted,
    /// The tenant already has a job under this request id: that job, unchanged (the caller
    /// compares its digest).
    Existing(Box<StoredJob>),
    /// The job number is stored already (another replica of the service gave it): nothing
    /// is written; the caller takes a number above [`Store::last_job_seq`] and tries again.
    NumberTaken,
}

/// What [`Store::claim_job`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The job is running for the caller: run it.
    Run,
    /// Its cancel had been asked: it is cancelled now, not run.
    Cancelled,
    /// Finished or unknown: nothing to do.
    Gone,
}

/// How a job ended.
#[derive(Debug, Clone, Copy)]
pub struct JobEnd<'a> {
    /// Succeeded, failed or cancelled.
    pub state: JobState,
    /// Units of work done.
    pub progress_done: i64,
    /// Units of work in all.
    pub progress_total: i64,
    /// The result, if any (at most [`MAX_JOB_RESULT_BYTES`]).
    pub result: Option<&'a [u8]>,
    /// The error of a failed job: its code's name and message (together at most
    /// [`MAX_JOB_ERROR_BYTES`]).
    pub error: Option<(&'a str, &'a str)>,
    /// When it ended, ms since 1970-01-01 UTC.
    pub finished_ms: i64,
}

fn check_tenant(tenant: &str) -> Result<(), StoreError> {
    if tenant.is_empty() || tenant.len() > MAX_JOB_ID {
        return Err(invalid("tenant", format!("must be 1 to {MAX_JOB_ID} bytes")).into());
    }
    Ok(())
}

fn check_seq(seq: i64) -> Result<(), StoreError> {
    if seq <= 0 {
        return Err(invalid("job_seq", format!("{seq} is not a job number")).into());
    }
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes as lowercase hex.
fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Hex text as bytes; anything else is a corrupt column.
fn from_hex(text: &str, field: &'static str) -> Result<Vec<u8>, StoreError> {
    let corrupt = |reason: &str| StoreError::Corrupt {
        field,
        reason: reason.to_string(),
    };
    if !text.len().is_multiple_of(2) {
        return Err(corrupt("odd number of hex digits"));
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(corrupt("not lowercase hex")),
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

const JOB_COLUMNS: &str = "tenant, job_seq, request_id, digest, kind, request, state, \
                           cancel_requested, progress_done, progress_total, result, error_code, \
                           error_message, submitted_ms, started_ms, finished_ms";

fn job_of(r: &sqlx::any::AnyRow) -> Result<StoredJob, StoreError> {
    let result: Option<String> = r.try_get("result")?;
    let code: Option<String> = r.try_get("error_code")?;
    let message: Option<String> = r.try_get("error_message")?;
    let cancel: i64 = r.try_get("cancel_requested")?;
    let state: String = r.try_get("state")?;
    let request: String = r.try_get("request")?;
    Ok(StoredJob {
        tenant: r.try_get("tenant")?,
        seq: r.try_get("job_seq")?,
        request_id: r.try_get("request_id")?,
        digest: r.try_get("digest")?,
        kind: r.try_get("kind")?,
        request: from_hex(&request, "service_jobs.request")?,
        state: JobState::parse(&state)?,
        cancel_requested: cancel != 0,
        progress_done: r.try_get("progress_done")?,
        progress_total: r.try_get("progress_total")?,
        result: result
            .map(|t| from_hex(&t, "service_jobs.result"))
            .transpose()?,
        error: match (code, message) {
            (Some(code), Some(message)) => Some(JobError { code, message }),
            _ => None,
        },
        submitted_ms: r.try_get("submitted_ms")?,
        started_ms: r.try_get("started_ms")?,
        finished_ms: r.try_get("finished_ms")?,
    })
}

impl Store {
    /// Stores a new job, queued; returns once it is committed. When the tenant already has a
    /// job under the same non-empty request id, nothing is written and that job is returned;
    /// a job number the tenant already has writes nothing either ([`Submitted::NumberTaken`]).
    pub async fn insert_job(&self, job: &NewJob<'_>) -> Result<Submitted, StoreError> {
        check_tenant(job.tenant)?;
        check_seq(job.seq)?;
        if job.request_id.len() > MAX_JOB_ID {
            return Err(invalid("request_id", format!("at most {MAX_JOB_ID} bytes")).into());
        }
        if job.kind.is_empty() || job.kind.len() > MAX_JOB_KIND {
            return Err(invalid("kind", format!("must be 1 to {MAX_JOB_KIND} bytes")).into());
        }
        if job.digest.len() > MAX_JOB_ID {
            return Err(invalid("digest", format!("at most {MAX_JOB_ID} bytes")).into());
        }
        if job.request.len() > MAX_JOB_REQUEST_BYTES {
            return Err(invalid(
                "request",
                format!(
                    "{} bytes, at most {MAX_JOB_REQUEST_BYTES}",
                    job.request.len()
                ),
            )
            .into());
        }
        let mut tx = self.begin_write().await?;
        // ON CONFLICT without a target: neither a used request id (the partial unique index)
        // nor a used job number writes anything; which one it was is read back below.
        let inserted = sqlx::query(
            "INSERT INTO service_jobs (tenant, job_seq, request_id, digest, kind, request, \
             state, cancel_requested, progress_done, progress_total, result, error_code, \
             error_message, submitted_ms, started_ms, finished_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, 0, $7, NULL, NULL, NULL, $8, 0, 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(job.tenant)
        .bind(job.seq)
        .bind(job.request_id)
        .bind(job.digest)
        .bind(job.kind)
        .bind(to_hex(job.request))
        .bind(job.progress_total)
        .bind(job.submitted_ms)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            tx.commit().await?;
            return Ok(Submitted::Inserted);
        }
        let existing = if job.request_id.is_empty() {
            None
        } else {
            sqlx::query(&format!(
                "SELECT {JOB_COLUMNS} FROM service_jobs WHERE tenant = $1 AND request_id = $2"
            ))
            .bind(job.tenant)
            .bind(job.request_id)
            .fetch_optional(&mut *tx)
            .await?
        };
        tx.commit().await?;
        match existing {
            Some(row) => Ok(Submitted::Existing(Box::new(job_of(&row)?))),
            None => Ok(Submitted::NumberTaken),
        }
    }

    /// Moves a queued job to running; `false` when it is not queued (cancelled meanwhile).
    pub async fn mark_job_running(
        &self,
        tenant: &str,
        seq: i64,
        started_ms: i64,
    ) -> Result<bool, StoreError> {
        check_tenant(tenant)?;
        let done = sqlx::query(
            "UPDATE service_jobs SET state = 'running', started_ms = $3 \
             WHERE tenant = $1 AND job_seq = $2 AND state = 'queued'",
        )
        .bind(tenant)
        .bind(seq)
        .bind(started_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes an unfinished job for a runner in another process (a `milkrun worker` taking it
    /// from the NATS queue): a queued job, or a running one whose runner died (its message
    /// delivered again), is (re)started from 0 at `started_ms`. A job whose cancel was asked
    /// ends cancelled here instead; a finished or unknown job is left alone. The stored row is
    /// the job's single truth, so a runner acts only on [`Claim::Run`].
    pub async fn claim_job(
        &self,
        tenant: &str,
        seq: i64,
        started_ms: i64,
    ) -> Result<Claim, StoreError> {
        check_tenant(tenant)?;
        check_seq(seq)?;
        let run = sqlx::query(
            "UPDATE service_jobs SET state = 'running', started_ms = $3, progress_done = 0 \
             WHERE tenant = $1 AND job_seq = $2 AND state IN ('queued', 'running') \
             AND cancel_requested = 0",
        )
        .bind(tenant)
        .bind(seq)
        .bind(started_ms)
        .execute(&self.pool)
        .await?;
        if run.rows_affected() == 1 {
            return Ok(Claim::Run);
        }
        let cancelled = sqlx::query(
            "UPDATE service_jobs SET state = 'cancelled', finished_ms = $3 \
             WHERE tenant = $1 AND job_seq = $2 AND state IN ('queued', 'running') \
             AND cancel_requested = 1",
        )
        .bind(tenant)
        .bind(seq)
        .bind(started_ms)
        .execute(&self.pool)
        .await?;
        Ok(if cancelled.rows_affected() == 1 {
            Claim::Cancelled
        } else {
            Claim::Gone
        })
    }

    /// Stores the progress of a running job and answers whether its cancel was asked (the
    /// runner stops at this answer). A finished or unknown job answers `true`: its runner has
    /// nothing left to do.
    pub async fn job_progress(
        &self,
        tenant: &str,
        seq: i64,
        done: i64,
        total: i64,
    ) -> Result<bool, StoreError> {
        check_tenant(tenant)?;
        sqlx::query(
            "UPDATE service_jobs SET progress_done = $3, progress_total = $4 \
             WHERE tenant = $1 AND job_seq = $2 AND state = 'running'",
        )
        .bind(tenant)
        .bind(seq)
        .bind(done)
        .bind(total)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT state, cancel_requested FROM service_jobs WHERE tenant = $1 AND job_seq = $2",
        )
        .bind(tenant)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(true);
        };
        let state: String = row.try_get("state")?;
        let cancel: i64 = row.try_get("cancel_requested")?;
        Ok(cancel != 0 || JobState::parse(&state)?.is_finished())
    }

    /// Records that a cancel was asked of an unfinished job; `false` when it is finished or
    /// unknown. The job's state is left to [`Store::finish_job`].
    pub async fn request_job_cancel(&self, tenant: &str, seq: i64) -> Result<bool, StoreError> {
        self.update_unfinished_job(tenant, seq, "cancel_requested = 1")
            .await
    }

    /// Runs `UPDATE service_jobs SET {set}` on one job of `tenant` when it is queued or
    /// running; `false` when it is finished or unknown. `set` is a constant of this module,
    /// never caller text.
    async fn update_unfinished_job(
        &self,
        tenant: &str,
        seq: i64,
        set: &'static str,
    ) -> Result<bool, StoreError> {
        check_tenant(tenant)?;
        let done = sqlx::query(&format!(
            "UPDATE service_jobs SET {set} \
             WHERE tenant = $1 AND job_seq = $2 AND state IN ('queued', 'running')"
        ))
        .bind(tenant)
        .bind(seq)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the end of an unfinished job; `false` when it was already finished or is
    /// unknown (a finished job never changes). A result over [`MAX_JOB_RESULT_BYTES`] or an
    /// error over [`MAX_JOB_ERROR_BYTES`] is refused and nothing is written.
    pub async fn finish_job(
        &self,
        tenant: &str,
        seq: i64,
        end: &JobEnd<'_>,
    ) -> Result<bool, StoreError> {
        check_tenant(tenant)?;
        if !end.state.is_finished() {
            return Err(invalid("state", format!("{} is not an end", end.state.as_str())).into());
        }
        if let Some(r) = end.result {
            if r.len() > MAX_JOB_RESULT_BYTES {
                return Err(invalid(
                    "result",
                    format!("{} bytes, at most {MAX_JOB_RESULT_BYTES}", r.len()),
                )
                .into());
            }
        }
        if let Some((code, message)) = end.error {
            if code.len() + message.len() > MAX_JOB_ERROR_BYTES {
                return Err(
                    invalid("error", format!("at most {MAX_JOB_ERROR_BYTES} bytes")).into(),
                );
            }
        }
        let done = sqlx::query(
            "UPDATE service_jobs SET state = $3, progress_done = $4, progress_total = $5, \
             result = $6, error_code = $7, error_message = $8, finished_ms = $9 \
             WHERE tenant = $1 AND job_seq = $2 AND state IN ('queued', 'running')",
        )
        .bind(tenant)
        .bind(seq)
        .bind(end.state.as_str())
        .bind(end.progress_done)
        .bind(end.progress_total)
        .bind(end.result.map(to_hex))
        .bind(end.error.map(|e| e.0))
        .bind(end.error.map(|e| e.1))
        .bind(end.finished_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts an unfinished job back in the queue (a restarted server runs it again from the
    /// start); `false` when it is finished or unknown.
    pub async fn requeue_job(&self, tenant: &str, seq: i64) -> Result<bool, StoreError> {
        self.update_unfinished_job(
            tenant,
            seq,
            "state = 'queued', started_ms = 0, progress_done = 0",
        )
        .await
    }

    /// One job of a tenant, if stored (another tenant's number gives `None`).
    pub async fn service_job(
        &self,
        tenant: &str,
        seq: i64,
    ) -> Result<Option<StoredJob>, StoreError> {
        check_tenant(tenant)?;
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM service_jobs WHERE tenant = $1 AND job_seq = $2"
        ))
        .bind(tenant)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_of).transpose()
    }

    /// Every stored job of a tenant, oldest first (what a restarting server restores).
    pub async fn service_jobs(&self, tenant: &str) -> Result<Vec<StoredJob>, StoreError> {
        check_tenant(tenant)?;
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM service_jobs WHERE tenant = $1 ORDER BY job_seq"
        ))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_of).collect()
    }

    /// The largest job number stored for any tenant (0: none), so that a restarted server
    /// never gives a number twice.
    pub async fn last_job_seq(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COALESCE(MAX(job_seq), 0) AS last FROM service_jobs")
                .fetch_one(&self.pool)
                .await?
                .try_get("last")?,
        )
    }

    /// Deletes a tenant's finished jobs older than its `keep` newest finished ones; returns
    /// how many went. Unfinished jobs are never deleted.
    pub async fn prune_jobs(&self, tenant: &str, keep: usize) -> Result<u64, StoreError> {
        check_tenant(tenant)?;
        let keep = i64::try_from(keep).map_err(|_| invalid("keep", "too large"))?;
        let mut tx = self.begin_write().await?;
        // The newest finished job beyond the kept ones: it and every older finished job go.
        let first_dropped: Option<i64> = sqlx::query(
            "SELECT job_seq FROM service_jobs WHERE tenant = $1 \
             AND state IN ('succeeded', 'failed', 'cancelled') \
             ORDER BY job_seq DESC LIMIT 1 OFFSET $2",
        )
        .bind(tenant)
        .bind(keep)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("job_seq"))
        .transpose()?;
        let Some(first_dropped) = first_dropped else {
            tx.commit().await?;
            return Ok(0);
        };
        let done = sqlx::query(
            "DELETE FROM service_jobs WHERE tenant = $1 AND job_seq <= $2 \
             AND state IN ('succeeded', 'failed', 'cancelled')",
        )
        .bind(tenant)
        .bind(first_dropped)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    /// Hex round-trips every byte; odd lengths and other characters are corrupt.
    #[test]
    fn hex_round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        let text = super::to_hex(&all);
        assert_eq!(&text[..6], "000102");
        assert_eq!(super::from_hex(&text, "f").expect("hex"), all);
        assert!(super::from_hex("abc", "f").is_err());
        assert!(super::from_hex("zz", "f").is_err());
        assert!(super::from_hex("AB", "f").is_err());
    }
}
