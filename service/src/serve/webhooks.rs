//! The webhook sender: the I/O half of `milkrun_dairy::webhook`. Each round hands the unsent
//! outbox messages to the webhook deliveries ([`Store::fan_out_webhooks`]), then posts every
//! due delivery once, as JSON with an HMAC-SHA256 signature header, and records the attempt
//! ([`Store::record_webhook_attempt`]), which schedules the retry (exponential backoff with
//! seeded jitter, capped) or the dead letter. A delivery is marked delivered only after a 2xx.
//! Because every attempt is stored before the next round, a restarted sender resumes where
//! the last one stopped. [`run_webhooks`] loops rounds until told to stop: `milkrun serve` runs
//! it as a background task on the store of `--db`, with the configuration's `webhooks`
//! section ([`options_of`]), and counts its attempts in `/metrics`.
//!
//! HTTP: hyper's HTTP/1.1 client connection (already in the tree through tonic), one
//! connection per attempt, plain `http://` only ([`WebhookUrl`] refuses `https://`).
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use milkrun_dairy::store::webhooks::DueWebhook;
use milkrun_dairy::store::{Store, StoreError};
use milkrun_dairy::webhook::{
    signature_header, AttemptResult, DeliveryState, RetryPolicy, WebhookUrl, DELIVERY_HEADER,
    SIGNATURE_HEADER,
};

use super::config::{ConfigError, WebhookConfig};

/// How the sender retries and how much it takes per round.
#[derive(Debug, Clone, Copy)]
pub struct WebhookOptions {
    /// Backoff and dead-letter policy.
    pub policy: RetryPolicy,
    /// The jitter's seed.
    pub seed: u64,
    /// The most deliveries one round posts
    /// (1..=[`milkrun_dairy::store::webhooks::MAX_WEBHOOK_BATCH`]).
    pub batch: u32,
    /// How long one attempt may take (connect, send, answer) before it counts as failed.
    pub timeout: Duration,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookRound {
    /// Outbox messages handed to the deliveries.
    pub handed_over: usize,
    /// Attempts made.
    pub attempted: usize,
    /// Deliveries that got a 2xx.
    pub delivered: usize,
    /// Deliveries that failed and will be retried.
    pub retrying: usize,
    /// Deliveries that failed for the last time.
    pub dead: usize,
}

/// One round at `now_s` (UNIX seconds): fan out, then post each due delivery once and record
/// it. Errors are the store's; a failed post is an attempt, not an error.
pub async fn run_webhooks_once(
    store: &Store,
    opts: &WebhookOptions,
    now_s: i64,
) -> Result<WebhookRound, StoreError> {
    let mut round = WebhookRound {
        handed_over: store.fan_out_webhooks(now_s, opts.batch).await?,
        ..WebhookRound::default()
    };
    for due in store.due_webhooks(now_s, opts.batch).await? {
        let body = envelope(&due);
        let result = post(&due, &body, now_s, opts.timeout).await;
        let state = store
            .record_webhook_attempt(
                due.tenant,
                due.endpoint,
                &due.key,
                due.attempt,
                now_s,
                &result,
                opts.policy,
                opts.seed,
            )
            .await?;
        round.attempted += 1;
        match state {
            DeliveryState::Delivered { .. } => round.delivered += 1,
            DeliveryState::Pending { .. } => round.retrying += 1,
            DeliveryState::Dead { .. } => round.dead += 1,
        }
    }
    Ok(round)
}

/// Runs a round every `every` (by the system clock) until `stop` turns true or its sender is
/// dropped, and hands each round's outcome to `observe` (the service counts it in its
/// metrics). A store error does not end the loop: it is handed to `observe` and the next
/// round tries again, so that a database that is briefly unavailable does not stop the
/// sender. A stop during a round ends it at once: the attempt in flight, if any, is not
/// recorded and is posted again by the next sender (receivers dedupe by [`DELIVERY_HEADER`]).
pub async fn run_webhooks(
    store: Store,
    opts: WebhookOptions,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut observe: impl FnMut(Result<&WebhookRound, &StoreError>) + Send,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let now_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        tokio::select! {
            round = run_webhooks_once(&store, &opts, now_s) => observe(round.as_ref()),
            _ = stop.wait_for(|stop| *stop) => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}

/// The sender's options from the configuration's `webhooks` section, and the time between
/// rounds; the jitter's seed is fixed (a delivery's schedule is then the same after a
/// restart).
pub fn options_of(config: &WebhookConfig) -> Result<(WebhookOptions, Duration), ConfigError> {
    config.validate()?;
    Ok((
        WebhookOptions {
            policy: config.policy()?,
            seed: SERVE_SEED,
            batch: config.batch,
            timeout: Duration::from_secs(u64::from(config.timeout_s)),
        },
        Duration::from_secs(u64::from(config.every_s)),
    ))
}

/// The jitter's seed of the sender that `milkrun serve` runs.
const SERVE_SEED: u64 = 0x6d69_6c6b_7275_6e00;

/// The JSON body of a delivery: the tenant, topic, key and the message's payload (embedded as
/// JSON when it is JSON, as a string otherwise). The same for every attempt.
fn envelope(due: &DueWebhook) -> String {
    let payload = serde_json::from_str::<serde_json::Value>(&due.payload)
        .unwrap_or_else(|_| serde_json::Value::String(due.payload.clone()));
    serde_json::json!({
        "tenant_id": due.tenant.0,
        "topic": due.topic.as_str(),
        "dedupe_key": due.key.as_str(),
        "payload": payload,
    })
    .to_string()
}

/// Posts `body` to the delivery's endpoint, signed for `now_s`, within `timeout`.
async fn post(due: &DueWebhook, body: &str, now_s: i64, timeout: Duration) -> AttemptResult {
    let signature = signature_header(&due.secret, now_s, body.as_bytes());
    match tokio::time::timeout(timeout, send(&due.url, &signature, due, body)).await {
        Ok(Ok(status)) => AttemptResult::Status(status),
        Ok(Err(e)) => AttemptResult::Transport(e),
        Err(_) => AttemptResult::Transport(format!("no answer within {timeout:?}")),
    }
}

/// One HTTP/1.1 POST on a fresh connection; the answer's status.
async fn send(
    url: &WebhookUrl,
    signature: &str,
    due: &DueWebhook,
    body: &str,
) -> Result<u16, String> {
    let stream = tokio::net::TcpStream::connect((url.host(), url.port()))
        .await
        .map_err(|e| format!("connect {}:{}: {e}", url.host(), url.port()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let driver = tokio::spawn(conn);
    let host = if url.port() == 80 {
        url.host().to_owned()
    } else {
        format!("{}:{}", url.host(), url.port())
    };
    let request = http::Request::post(url.path())
        .header(http::header::HOST, host)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(DELIVERY_HEADER, due.key.as_str())
        .header("x-milkrun-topic", due.topic.as_str())
        .body(Full::new(Bytes::from(body.to_owned())))
        .map_err(|e| format!("request: {e}"))?;
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = answer.status().as_u16();
    drop(answer);
    drop(sender);
    driver.abort();
    Ok(status)
}
