//! Webhooks out of the outbox. The outbox's consumer: [`Store::fan_out_webhooks`] turns each
//! unsent message of a tenant with active endpoints into one delivery row per endpoint and
//! marks the message sent, in one transaction (so `sent` means "handed to the webhook
//! deliveries"; a tenant without an active endpoint keeps its messages pending). Each delivery
//! then keeps its own state ([`DeliveryState`]) and every attempt is a row, so a restarted
//! sender resumes where the last one stopped: it asks for the due deliveries
//! ([`Store::due_webhooks`]) and records each attempt ([`Store::record_webhook_attempt`]).
//! Delivery is at-least-once: a crash between a 2xx and its record posts the message again
//! (receivers dedupe on the `x-milkrun-delivery` header). One sender at a time is assumed;
//! two senders would both post a due delivery, but the attempt number guards the record.
use sqlx::Row;

use super::{Store, StoreError};
use crate::dedupe::DedupeKey;
use crate::error::invalid;
use crate::ids::{EndpointId, TenantId};
use crate::outbox::Topic;
use crate::webhook::{
    AttemptResult, DeliveryState, RetryPolicy, WebhookEndpoint, WebhookSecret, WebhookUrl,
};

/// The most deliveries one call hands out or creates.
pub const MAX_WEBHOOK_BATCH: u32 = 1_000;
/// The most bytes of a transport error kept with an attempt.
const MAX_ERROR_BYTES: usize = 500;

/// A delivery that is due: the message, where it goes and how it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueWebhook {
    /// The tenant.
    pub tenant: TenantId,
    /// The endpoint.
    pub endpoint: EndpointId,
    /// Where to post.
    pub url: WebhookUrl,
    /// The signing secret.
    pub secret: WebhookSecret,
    /// The message's dedupe key.
    pub key: DedupeKey,
    /// The message's topic.
    pub topic: Topic,
    /// The message's payload.
    pub payload: String,
    /// The number this attempt will have (1 for the first).
    pub attempt: u32,
}

/// One stored attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    /// 1 for the first.
    pub attempt: u32,
    /// When (UNIX seconds).
    pub at_s: i64,
    /// What it got.
    pub result: AttemptResult,
}

impl Store {
    /// Adds a webhook endpoint of the tenant.
    pub async fn add_webhook_endpoint(
        &self,
        tenant: TenantId,
        e: &WebhookEndpoint,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (tenant_id, endpoint_id, url, secret, active) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.0)
        .bind(e.id.0)
        .bind(e.url.as_str())
        .bind(e.secret.expose())
        .bind(i64::from(e.active))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Hands up to `limit` unsent outbox messages (of every tenant with an active endpoint) to
    /// the webhook deliveries: one pending delivery per active endpoint, due at `now_s`, and
    /// the message marked sent, in one transaction. Returns the messages handed over.
    pub async fn fan_out_webhooks(&self, now_s: i64, limit: u32) -> Result<usize, StoreError> {
        check_limit(limit)?;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT o.tenant_id AS tenant_id, o.dedupe_key AS dedupe_key FROM outbox o \
             WHERE o.sent = 0 AND EXISTS (SELECT 1 FROM webhook_endpoints e \
             WHERE e.tenant_id = o.tenant_id AND e.active = 1) \
             ORDER BY o.tenant_id, o.dedupe_key LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut handed = 0;
        for r in &rows {
            let tenant: i64 = r.try_get("tenant_id")?;
            let key: String = r.try_get("dedupe_key")?;
            sqlx::query(
                "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, dedupe_key, state, \
                 attempts, next_attempt_s) \
                 SELECT tenant_id, endpoint_id, $2, 'pending', 0, $3 FROM webhook_endpoints \
                 WHERE tenant_id = $1 AND active = 1 ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(&key)
            .bind(now_s)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(
                "UPDATE outbox SET sent = 1 WHERE tenant_id = $1 AND dedupe_key = $2 AND sent = 0",
            )
            .bind(tenant)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
            handed += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        tx.commit().await?;
        Ok(handed)
    }

    /// Up to `limit` pending deliveries due at `now_s`, earliest first.
    pub async fn due_webhooks(
        &self,
        now_s: i64,
        limit: u32,
    ) -> Result<Vec<DueWebhook>, StoreError> {
        check_limit(limit)?;
        let rows = sqlx::query(
            "SELECT d.tenant_id AS tenant_id, d.endpoint_id AS endpoint_id, \
             d.dedupe_key AS dedupe_key, d.attempts AS attempts, e.url AS url, \
             e.secret AS secret, o.topic AS topic, o.payload AS payload \
             FROM webhook_deliveries d \
             JOIN webhook_endpoints e \
               ON e.tenant_id = d.tenant_id AND e.endpoint_id = d.endpoint_id \
             JOIN outbox o ON o.tenant_id = d.tenant_id AND o.dedupe_key = d.dedupe_key \
             WHERE d.state = 'pending' AND d.next_attempt_s <= $1 \
             ORDER BY d.next_attempt_s, d.tenant_id, d.endpoint_id, d.dedupe_key LIMIT $2",
        )
        .bind(now_s)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let attempts: i64 = r.try_get("attempts")?;
                let key: String = r.try_get("dedupe_key")?;
                let topic: String = r.try_get("topic")?;
                let url: String = r.try_get("url")?;
                let secret: String = r.try_get("secret")?;
                Ok(DueWebhook {
                    tenant: TenantId(r.try_get("tenant_id")?),
                    endpoint: EndpointId(r.try_get("endpoint_id")?),
                    url: WebhookUrl::parse(&url)?,
                    secret: WebhookSecret::new(&secret)?,
                    key: DedupeKey::new(&key)?,
                    topic: Topic::parse(&topic)?,
                    payload: r.try_get("payload")?,
                    attempt: super::to_u32(attempts, "webhook_deliveries.attempts")?
                        .saturating_add(1),
                })
            })
            .collect()
    }

    /// Records attempt number `attempt` of a delivery at `now_s` and moves the delivery on by
    /// [`DeliveryState::after_attempt`]. A replayed or stale record (the attempt is not the
    /// next one, or the delivery is finished) changes nothing and returns the current state.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_webhook_attempt(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        key: &DedupeKey,
        attempt: u32,
        now_s: i64,
        result: &AttemptResult,
        policy: RetryPolicy,
        seed: u64,
    ) -> Result<DeliveryState, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT state, attempts, next_attempt_s, delivered_at_s FROM webhook_deliveries \
             WHERE tenant_id = $1 AND endpoint_id = $2 AND dedupe_key = $3",
        )
        .bind(tenant.0)
        .bind(endpoint.0)
        .bind(key.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "webhook delivery to endpoint",
            id: endpoint.0,
        })?;
        let state = state_from_row(&row)?;
        if !matches!(state, DeliveryState::Pending { .. })
            || Some(attempt) != state.attempts().checked_add(1)
        {
            tx.commit().await?;
            return Ok(state);
        }
        let (status, error) = match result {
            AttemptResult::Status(s) => (Some(i64::from(*s)), None),
            AttemptResult::Transport(e) => (None, Some(truncate(e, MAX_ERROR_BYTES))),
        };
        sqlx::query(
            "INSERT INTO webhook_attempts (tenant_id, endpoint_id, dedupe_key, attempt, at_s, \
             http_status, error) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant.0)
        .bind(endpoint.0)
        .bind(key.as_str())
        .bind(i64::from(attempt))
        .bind(now_s)
        .bind(status)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        let next = state.after_attempt(result, now_s, policy, seed, key);
        let (next_at, delivered_at) = match next {
            DeliveryState::Pending { next_attempt_s, .. } => (next_attempt_s, None),
            DeliveryState::Delivered { at_s, .. } => (now_s, Some(at_s)),
            DeliveryState::Dead { .. } => (now_s, None),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_s = $3, \
             delivered_at_s = $4 WHERE tenant_id = $5 AND endpoint_id = $6 AND dedupe_key = $7",
        )
        .bind(next.as_str())
        .bind(i64::from(next.attempts()))
        .bind(next_at)
        .bind(delivered_at)
        .bind(tenant.0)
        .bind(endpoint.0)
        .bind(key.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// The state of one delivery.
    pub async fn webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        key: &DedupeKey,
    ) -> Result<DeliveryState, StoreError> {
        let row = sqlx::query(
            "SELECT state, attempts, next_attempt_s, delivered_at_s FROM webhook_deliveries \
             WHERE tenant_id = $1 AND endpoint_id = $2 AND dedupe_key = $3",
        )
        .bind(tenant.0)
        .bind(endpoint.0)
        .bind(key.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "webhook delivery to endpoint",
            id: endpoint.0,
        })?;
        state_from_row(&row)
    }

    /// Every attempt of one delivery, in order.
    pub async fn webhook_attempts(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        key: &DedupeKey,
    ) -> Result<Vec<WebhookAttempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT attempt, at_s, http_status, error FROM webhook_attempts \
             WHERE tenant_id = $1 AND endpoint_id = $2 AND dedupe_key = $3 ORDER BY attempt",
        )
        .bind(tenant.0)
        .bind(endpoint.0)
        .bind(key.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status: Option<i64> = r.try_get("http_status")?;
                let error: Option<String> = r.try_get("error")?;
                let result = match (status, error) {
                    (Some(s), _) => AttemptResult::Status(u16::try_from(s).map_err(|_| {
                        StoreError::Corrupt {
                            field: "webhook_attempts.http_status",
                            reason: format!("{s} is not a status"),
                        }
                    })?),
                    (None, e) => AttemptResult::Transport(e.unwrap_or_default()),
                };
                Ok(WebhookAttempt {
                    attempt: super::to_u32(r.try_get("attempt")?, "webhook_attempts.attempt")?,
                    at_s: r.try_get("at_s")?,
                    result,
                })
            })
            .collect()
    }
}

fn check_limit(limit: u32) -> Result<(), StoreError> {
    if limit == 0 || limit > MAX_WEBHOOK_BATCH {
        return Err(invalid("limit", format!("must be 1..={MAX_WEBHOOK_BATCH}")).into());
    }
    Ok(())
}

/// `s` cut to at most `max` bytes on a character boundary.
fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// A delivery's state from its row.
fn state_from_row(row: &sqlx::any::AnyRow) -> Result<DeliveryState, StoreError> {
    let name: String = row.try_get("state")?;
    let attempts = super::to_u32(row.try_get("attempts")?, "webhook_deliveries.attempts")?;
    Ok(match name.as_str() {
        "pending" => DeliveryState::Pending {
            attempts,
            next_attempt_s: row.try_get("next_attempt_s")?,
        },
        "delivered" => DeliveryState::Delivered {
            attempts,
            at_s: row
                .try_get::<Option<i64>, _>("delivered_at_s")?
                .unwrap_or_default(),
        },
        "dead" => DeliveryState::Dead { attempts },
        _ => {
            return Err(StoreError::Corrupt {
                field: "webhook_deliveries.state",
                reason: format!("unknown state `{name}`"),
            })
        }
    })
}
