//! The outbox, stored: one row per dedupe key and tenant, so enqueueing is at-least-once for
//! the caller and never a duplicate row.
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};
use crate::dedupe::DedupeKey;
use crate::error::invalid;
use crate::ids::TenantId;
use crate::outbox::{OutboxMessage, Topic};

/// The most messages [`Store::pending_messages`] returns at once.
pub const MAX_BATCH: u32 = 10_000;

impl Store {
    /// Enqueues a message; `false` when its key is already in the outbox (nothing changes).
    pub async fn enqueue(&self, tenant: TenantId, m: &OutboxMessage) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        enqueue_on(&mut conn, tenant, m).await
    }

    /// Up to `limit` unsent messages, in key order.
    pub async fn pending_messages(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        if limit > MAX_BATCH {
            return Err(invalid("limit", format!("must be at most {MAX_BATCH}")).into());
        }
        let rows = sqlx::query(
            "SELECT dedupe_key, topic, payload FROM outbox WHERE tenant_id = $1 AND sent = 0 \
             ORDER BY dedupe_key LIMIT $2",
        )
        .bind(tenant.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let key: String = r.try_get("dedupe_key")?;
                let topic: String = r.try_get("topic")?;
                Ok(OutboxMessage::new(
                    DedupeKey::new(&key)?,
                    Topic::parse(&topic)?,
                    r.try_get("payload")?,
                )?)
            })
            .collect()
    }

    /// Marks a message sent; `false` when it was sent already or is unknown.
    pub async fn mark_sent(&self, tenant: TenantId, key: &DedupeKey) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET sent = 1 WHERE tenant_id = $1 AND dedupe_key = $2 AND sent = 0",
        )
        .bind(tenant.0)
        .bind(key.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Enqueues on a connection or inside the caller's transaction.
pub(crate) async fn enqueue_on(
    conn: &mut AnyConnection,
    tenant: TenantId,
    m: &OutboxMessage,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO outbox (tenant_id, dedupe_key, topic, payload, sent) \
         VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
    )
    .bind(tenant.0)
    .bind(m.key.as_str())
    .bind(m.topic.as_str())
    .bind(&m.payload)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
