//! The JetStream side of the night queue: the work-queue stream of jobs, its dead-letter
//! stream, the workers' durable pull consumer, publishing a job (deduplicated by its message
//! id) and moving a job to the dead-letter subject.
//!
//! Everything here works on nats-server 2.9 (Debian 12's 2.9.10): stream and consumer
//! configurations carry no 2.10 fields (async-nats is built without its `server_2_10`
//! feature), the consumer is created through the 2.9 `CONSUMER.CREATE.<stream>.<name>.<filter>`
//! API, and the dead letter is the worker's own move (the server's `MAX_DELIVERIES` advisory
//! is a plain message nobody may be listening to when it is sent).
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use async_nats::HeaderMap;

use super::job::{JobError, NightJob, ServiceJob};
use super::{DEAD_STREAM, DEAD_SUBJECTS, JOB_STREAM, JOB_SUBJECTS, WORKERS_CONSUMER};

/// How long JetStream drops a repeated message id: a night's re-submissions fall inside.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(6 * 3600);
/// How long a dead letter is kept.
pub const DEAD_MAX_AGE: Duration = Duration::from_secs(14 * 24 * 3600);
/// The header naming why a job was dead-lettered.
pub const REASON_HEADER: &str = "Milkrun-Reason";
/// The header with the deliveries a dead-lettered job had.
pub const DELIVERIES_HEADER: &str = "Milkrun-Deliveries";

/// A failure talking to NATS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// A NATS call failed.
    #[error("nats: {what}: {source}")]
    Nats {
        /// What was being done.
        what: &'static str,
        /// The client's error.
        #[source]
        source: async_nats::Error,
    },
    /// The job could not be encoded.
    #[error(transparent)]
    Job(#[from] JobError),
    /// A setting out of range.
    #[error("{field}: {reason}")]
    Invalid {
        /// The option.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Wraps a client error with what was being done.
pub(crate) fn nats<E: Into<async_nats::Error>>(what: &'static str) -> impl FnOnce(E) -> QueueError {
    move |e| QueueError::Nats {
        what,
        source: e.into(),
    }
}

/// How the workers' consumer redelivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redelivery {
    /// A job not acknowledged (nor marked in progress) within this is delivered again.
    pub ack_wait: Duration,
    /// Deliveries that may run the job; the next one moves it to the dead-letter subject.
    pub max_attempts: u32,
}

impl Default for Redelivery {
    /// 30 s, 5 attempts.
    fn default() -> Self {
        Redelivery {
            ack_wait: Duration::from_secs(30),
            max_attempts: 5,
        }
    }
}

impl Redelivery {
    /// Checks the bounds: an ack wait of 1 s to 1 h, 1 to 100 attempts.
    pub fn check(&self) -> Result<(), QueueError> {
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.ack_wait) {
            return Err(QueueError::Invalid {
                field: "ack_wait",
                reason: "give 1 to 3600 seconds".into(),
            });
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(QueueError::Invalid {
                field: "max_attempts",
                reason: "give 1 to 100".into(),
            });
        }
        Ok(())
    }
}

/// The night queue on one NATS server: its JetStream context, with both streams created
/// (idempotently) on connect.
#[derive(Debug, Clone)]
pub struct NightQueue {
    js: jetstream::Context,
}

/// What publishing a job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The message id.
    pub message_id: String,
    /// The stream's sequence number of the job.
    pub sequence: u64,
    /// Whether JetStream dropped it as a duplicate of an earlier message with the same id.
    pub duplicate: bool,
}

impl NightQueue {
    /// Connects to `url` (`nats://HOST:PORT`) and makes sure both streams exist.
    pub async fn connect(url: &str) -> Result<NightQueue, QueueError> {
        let client = async_nats::ConnectOptions::new()
            .name("milkrun")
            .connection_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(nats("connect"))?;
        let js = jetstream::new(client);
        js.get_or_create_stream(stream::Config {
            name: JOB_STREAM.into(),
            subjects: vec![JOB_SUBJECTS.into()],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(nats("create the job stream"))?;
        js.get_or_create_stream(stream::Config {
            name: DEAD_STREAM.into(),
            subjects: vec![DEAD_SUBJECTS.into()],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            max_age: DEAD_MAX_AGE,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(nats("create the dead-letter stream"))?;
        Ok(NightQueue { js })
    }

    /// The JetStream context.
    pub fn context(&self) -> &jetstream::Context {
        &self.js
    }

    /// Publishes `job` with its message id and waits for the stream's acknowledgement.
    pub async fn publish(&self, job: &NightJob) -> Result<Published, QueueError> {
        let message_id = job.message_id()?;
        let ack = self
            .js
            .send_publish(
                job.subject(),
                jetstream::message::PublishMessage::build()
                    .payload(job.to_bytes()?.into())
                    .message_id(&message_id),
            )
            .await
            .map_err(nats("publish a job"))?
            .await
            .map_err(nats("the stream's acknowledgement of a job"))?;
        Ok(Published {
            message_id,
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    }

    /// Publishes a Jobs API job of `milkrun serve --nats` on [`super::SERVICE_JOB_SUBJECT`]
    /// with its message id and waits for the stream's acknowledgement.
    pub async fn publish_service(&self, job: &ServiceJob) -> Result<Published, QueueError> {
        let message_id = job.message_id();
        let ack = self
            .js
            .send_publish(
                super::SERVICE_JOB_SUBJECT,
                jetstream::message::PublishMessage::build()
                    .payload(job.to_bytes()?.into())
                    .message_id(&message_id),
            )
            .await
            .map_err(nats("publish a job"))?
            .await
            .map_err(nats("the stream's acknowledgement of a job"))?;
        Ok(Published {
            message_id,
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    }

    /// The workers' durable pull consumer, created with `redelivery` by the first worker (a
    /// later worker binds to it as it is, whatever its own options: the consumer's stored
    /// configuration rules).
    pub async fn workers(
        &self,
        redelivery: Redelivery,
    ) -> Result<consumer::Consumer<consumer::pull::Config>, QueueError> {
        redelivery.check()?;
        let stream = self
            .js
            .get_stream(JOB_STREAM)
            .await
            .map_err(nats("find the job stream"))?;
        stream
            .get_or_create_consumer(
                WORKERS_CONSUMER,
                consumer::pull::Config {
                    durable_name: Some(WORKERS_CONSUMER.into()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: redelivery.ack_wait,
                    // One more than the attempts: the last delivery only moves the job to
                    // the dead-letter subject, so a worker killed during the last attempt
                    // does not leave the job in the work queue for ever.
                    max_deliver: i64::from(redelivery.max_attempts) + 1,
                    filter_subject: JOB_SUBJECTS.into(),
                    ..Default::default()
                },
            )
            .await
            .map_err(nats("create the workers' consumer"))
    }

    /// Publishes `payload` (a job's bytes) on the dead-letter subject of `subject` with why and
    /// after how many deliveries; the same message id, so a job dead-lettered twice (a worker
    /// killed between the move and the ack) is kept once.
    pub async fn dead_letter(
        &self,
        subject: &str,
        message_id: Option<&str>,
        payload: bytes::Bytes,
        reason: &str,
        deliveries: i64,
    ) -> Result<(), QueueError> {
        let mut headers = HeaderMap::new();
        // Header values are one line.
        let reason: String = reason
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(1000)
            .collect();
        headers.insert(REASON_HEADER, reason.as_str());
        headers.insert(DELIVERIES_HEADER, deliveries.to_string().as_str());
        let mut publish = jetstream::message::PublishMessage::build()
            .payload(payload)
            .headers(headers);
        if let Some(id) = message_id {
            publish = publish.message_id(id);
        }
        let dead_subject = format!("{}.{subject}", super::DEAD_PREFIX);
        self.js
            .send_publish(dead_subject, publish)
            .await
            .map_err(nats("publish a dead letter"))?
            .await
            .map_err(nats("the dead-letter stream's acknowledgement"))?;
        Ok(())
    }

    /// Jobs in the work queue (published, not yet acknowledged).
    pub async fn queued(&self) -> Result<u64, QueueError> {
        let mut stream = self
            .js
            .get_stream(JOB_STREAM)
            .await
            .map_err(nats("find the job stream"))?;
        let info = stream
            .info()
            .await
            .map_err(nats("the job stream's state"))?;
        Ok(info.state.messages)
    }

    /// Jobs in the dead-letter stream.
    pub async fn dead(&self) -> Result<u64, QueueError> {
        let mut stream = self
            .js
            .get_stream(DEAD_STREAM)
            .await
            .map_err(nats("find the dead-letter stream"))?;
        let info = stream
            .info()
            .await
            .map_err(nats("the dead-letter stream's state"))?;
        Ok(info.state.messages)
    }
}

/// `milkrun serve --nats`: the Jobs API hands a job's key ([`ServiceJob`]) to the workers
/// through this queue.
impl crate::serve::JobQueue for NightQueue {
    fn publish<'a>(
        &'a self,
        tenant: &'a str,
        seq: i64,
        max_time_limit_s: f64,
        optimize: Option<&'a crate::serve::OptimizeTerms>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let job = ServiceJob {
                tenant: tenant.to_string(),
                seq,
                max_time_limit_s,
                optimize: optimize.map(super::job::JobOptimize::of),
            };
            self.publish_service(&job)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Connects the night queue at `url` as the job queue of `milkrun serve --nats`
/// ([`crate::serve::ConnectQueue`]).
pub fn connect_job_queue(url: String) -> crate::serve::Connecting {
    Box::pin(async move {
        let queue = NightQueue::connect(&url).await?;
        Ok(Arc::new(queue) as Arc<dyn crate::serve::JobQueue>)
    })
}
