//! `milkrun worker`'s loop: pull one job at a time from the workers' consumer, plan the
//! station-day with the dairy store's `plan_night` on the in-process engine, and acknowledge.
//!
//! - The solve runs on a blocking thread; meanwhile a task tells JetStream the job is in
//!   progress every third of the ack wait, so a long solve is not delivered again.
//! - The acknowledgement is a double ack (the server confirms it); if it is lost, the job is
//!   delivered again and `plan_night` finds the stored plan: a redelivered job changes nothing.
//! - A job that cannot be read, published on another tenant's or station's subject than its
//!   own, or that the store or the engine refuses (the same answer every
//!   time), goes to the dead-letter subject at once and is terminated; a store failure (the
//!   database away) is negatively acknowledged and tried again, up to the consumer's attempts;
//!   the delivery after the last attempt only moves the job to the dead-letter subject.
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use milkrun_dairy::store::night::NightError;
use milkrun_dairy::store::{Store, StoreError};
use milkrun_station::night::LocalEngine;
use tokio_stream::StreamExt;

use super::job::{NightJob, ServiceJob};
use super::queue::{nats, NightQueue, QueueError, Redelivery};
use crate::serve::jobs::{run_remote, RemoteRun};
use crate::serve::road_registry::WorkerRoads;
use milkrun_dairy::store::jobs::{JobEnd, JobState};

/// How long one pull for the next job waits before asking again.
const PULL_EXPIRES: Duration = Duration::from_secs(5);
/// The delay before a job that failed on the store is delivered again.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// What happened to a job, for the worker's log (one line each on standard output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkerEvent {
    /// Bound to the consumer; jobs are pulled from now on.
    Ready {
        /// Attempts per job of the consumer.
        max_attempts: i64,
        /// The consumer's ack wait.
        ack_wait: Duration,
    },
    /// A job's solve started.
    Started {
        /// Its message id.
        id: String,
        /// Which delivery this is (1: the first).
        delivery: i64,
    },
    /// A job is done and acknowledged.
    Done {
        /// Its message id.
        id: String,
        /// Which delivery this was.
        delivery: i64,
        /// Whether this delivery made the plan (false: it was stored already).
        planned_now: bool,
        /// Stops of the plan.
        stops: usize,
        /// Time from the delivery to the acknowledgement.
        took: Duration,
    },
    /// A job failed on the store and was handed back for another attempt.
    Retried {
        /// Its message id.
        id: String,
        /// Which delivery failed.
        delivery: i64,
        /// Why.
        reason: String,
    },
    /// A Jobs API job of `serve --nats` is done with and acknowledged.
    Ran {
        /// Its message id.
        id: String,
        /// Which delivery this was.
        delivery: i64,
        /// How it ended (`SUCCEEDED`, `FAILED`, `CANCELLED`), or why it was dropped.
        state: String,
    },
    /// The queue failed (the loop goes on).
    Trouble {
        /// What failed.
        reason: String,
    },
    /// A job moved to the dead-letter subject.
    DeadLettered {
        /// Its message id (empty when it had none).
        id: String,
        /// Which delivery moved it.
        delivery: i64,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for WorkerEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkerEvent::Ready {
                max_attempts,
                ack_wait,
            } => write!(
                f,
                "ready: {max_attempts} attempts per job, ack wait {} s",
                ack_wait.as_secs_f64()
            ),
            WorkerEvent::Started { id, delivery } => {
                write!(f, "started {id} delivery {delivery}")
            }
            WorkerEvent::Done {
                id,
                delivery,
                planned_now,
                stops,
                took,
            } => write!(
                f,
                "done {id} delivery {delivery} {} stops {stops} in {} ms",
                if *planned_now {
                    "planned"
                } else {
                    "stored-already"
                },
                took.as_millis()
            ),
            WorkerEvent::Retried {
                id,
                delivery,
                reason,
            } => write!(f, "retry {id} delivery {delivery}: {reason}"),
            WorkerEvent::DeadLettered {
                id,
                delivery,
                reason,
            } => write!(f, "dead-letter {id} delivery {delivery}: {reason}"),
            WorkerEvent::Ran {
                id,
                delivery,
                state,
            } => write!(f, "ran {id} delivery {delivery}: {state}"),
            WorkerEvent::Trouble { reason } => write!(f, "trouble: {reason}"),
        }
    }
}

/// A worker: the queue, the store and the in-process engine.
pub struct Worker {
    queue: NightQueue,
    store: Store,
    engine: LocalEngine,
    /// The networks optimization jobs run on (imported on the first).
    roads: Arc<WorkerRoads>,
    redelivery: Redelivery,
}

impl Worker {
    /// A worker on a connected queue, an open store, an engine for the nights and the
    /// road networks for optimization jobs.
    pub fn new(
        queue: NightQueue,
        store: Store,
        engine: LocalEngine,
        roads: Arc<WorkerRoads>,
        redelivery: Redelivery,
    ) -> Worker {
        Worker {
            queue,
            store,
            engine,
            roads,
            redelivery,
        }
    }

    /// Pulls and runs jobs until `stop` turns true (checked between jobs: a job under way is
    /// finished first), telling `on_event` what happens. Fails only when the consumer cannot
    /// be bound at start; later queue failures are reported and the loop goes on.
    pub async fn run(
        &self,
        mut stop: tokio::sync::watch::Receiver<bool>,
        on_event: &(dyn Fn(&WorkerEvent) + Sync),
    ) -> Result<(), QueueError> {
        let consumer = self.queue.workers(self.redelivery).await?;
        let config = &consumer.cached_info().config;
        // The consumer's stored configuration rules (another worker may have created it).
        let max_attempts = (config.max_deliver - 1).max(1);
        let ack_wait = config.ack_wait;
        on_event(&WorkerEvent::Ready {
            max_attempts,
            ack_wait,
        });
        while !*stop.borrow() {
            let pull = consumer
                .batch()
                .max_messages(1)
                .expires(PULL_EXPIRES)
                .messages();
            let batch = tokio::select! {
                b = pull => b,
                _ = stop.changed() => break,
            };
            // The client reconnects by itself: a failed pull, receipt or ack is reported and
            // the loop goes on (a job whose ack was lost is delivered again and finds its
            // plan stored).
            let mut batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    on_event(&WorkerEvent::Trouble {
                        reason: nats("pull a job")(e).to_string(),
                    });
                    tokio::time::sleep(RETRY_DELAY).await;
                    continue;
                }
            };
            while let Some(message) = batch.next().await {
                let outcome = match message {
                    Ok(message) => self.handle(message, max_attempts, ack_wait, on_event).await,
                    Err(e) => Err(nats("receive a job")(e)),
                };
                if let Err(e) = outcome {
                    on_event(&WorkerEvent::Trouble {
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Runs one delivered job to its acknowledgement.
    async fn handle(
        &self,
        message: jetstream::Message,
        max_attempts: i64,
        ack_wait: Duration,
        on_event: &(dyn Fn(&WorkerEvent) + Sync),
    ) -> Result<(), QueueError> {
        let t0 = Instant::now();
        let delivery = message
            .info()
            .map_err(nats("read a job's delivery"))?
            .delivered;
        let id = message
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.as_str().to_string());
        let label = id.clone().unwrap_or_default();
        if message.subject.as_str() == super::SERVICE_JOB_SUBJECT {
            return self
                .handle_service(
                    &message,
                    id.as_deref(),
                    delivery,
                    max_attempts,
                    ack_wait,
                    on_event,
                )
                .await;
        }
        let dead = |reason: String| DeadLetter {
            message: &message,
            id: id.as_deref(),
            delivery,
            reason,
        };
        if delivery > max_attempts {
            return self
                .dead_letter(
                    dead(format!("no attempt of {max_attempts} succeeded")),
                    on_event,
                )
                .await;
        }
        let job = match NightJob::from_bytes(&message.payload) {
            // The subject names the tenant and station (NATS permissions can be granted per
            // tenant on it): a job claiming another tenant or station than its subject is
            // refused.
            Ok(job) if job.subject() != message.subject.as_str() => {
                let reason = format!(
                    "job.tenant, job.station: the job is for {}, published on {}",
                    job.subject(),
                    message.subject
                );
                return self.dead_letter(dead(reason), on_event).await;
            }
            Ok(job) => job.check(),
            Err(e) => Err(e),
        };
        let job = match job {
            Ok(job) => job,
            Err(e) => return self.dead_letter(dead(e.to_string()), on_event).await,
        };
        on_event(&WorkerEvent::Started {
            id: label.clone(),
            delivery,
        });
        // In-progress acks while the solve runs.
        let progress = {
            let message = message.clone();
            let every = (ack_wait / 3).max(Duration::from_millis(200));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if message.ack_with(AckKind::Progress).await.is_err() {
                        return;
                    }
                }
            })
        };
        let store = self.store.clone();
        let engine = self.engine.clone();
        let runtime = tokio::runtime::Handle::current();
        // The solve runs on the calling thread of the engine: a blocking thread, not a
        // tokio worker, so the progress acks keep going.
        let result = tokio::task::spawn_blocking(move || {
            runtime.block_on(async {
                // An unknown tenant is refused as such (not retried as a store failure).
                store.tenant(job.tenant).await?;
                store
                    .plan_night(&engine, job.tenant, job.station, job.date, &job.settings)
                    .await
            })
        })
        .await;
        progress.abort();
        let report = match result {
            Ok(Ok(report)) => report,
            Ok(Err(NightError::Store(StoreError::Db(e)))) => {
                message
                    .ack_with(AckKind::Nak(Some(RETRY_DELAY)))
                    .await
                    .map_err(nats("hand a job back"))?;
                on_event(&WorkerEvent::Retried {
                    id: label,
                    delivery,
                    reason: e.to_string(),
                });
                return Ok(());
            }
            Ok(Err(e)) => return self.dead_letter(dead(e.to_string()), on_event).await,
            Err(e) => {
                let reason = format!("the solve ended abnormally: {e}");
                return self.dead_letter(dead(reason), on_event).await;
            }
        };
        message
            .double_ack()
            .await
            .map_err(nats("acknowledge a job"))?;
        on_event(&WorkerEvent::Done {
            id: label,
            delivery,
            planned_now: report.planned_now,
            stops: report.plan.stops.len(),
            took: t0.elapsed(),
        });
        Ok(())
    }
}

impl Worker {
    /// Runs a Jobs API job of `milkrun serve --nats` ([`ServiceJob`]) through its row in the
    /// store (see [`crate::serve::jobs::run_remote`]): a job cancelled while queued, finished
    /// or unknown is acknowledged and dropped; a store failure is handed back for another
    /// attempt; a message that cannot be read goes to the dead letters, and so does the job
    /// after its last attempt, its row then ended FAILED.
    async fn handle_service(
        &self,
        message: &jetstream::Message,
        id: Option<&str>,
        delivery: i64,
        max_attempts: i64,
        ack_wait: Duration,
        on_event: &(dyn Fn(&WorkerEvent) + Sync),
    ) -> Result<(), QueueError> {
        let label = id.unwrap_or_default().to_string();
        let dead = |reason: String| DeadLetter {
            message,
            id,
            delivery,
            reason,
        };
        let job = match ServiceJob::from_bytes(&message.payload) {
            Ok(job) => job,
            Err(e) => return self.dead_letter(dead(e.to_string()), on_event).await,
        };
        if delivery > max_attempts {
            let reason = format!("no attempt of {max_attempts} succeeded");
            let end = JobEnd {
                state: JobState::Failed,
                progress_done: 0,
                progress_total: 0,
                result: None,
                error: Some(("UNAVAILABLE", reason.as_str())),
                finished_ms: crate::serve::job_book::now_ms(),
            };
            if let Err(e) = self.store.finish_job(&job.tenant, job.seq, &end).await {
                on_event(&WorkerEvent::Trouble {
                    reason: format!("{label}: its failure was not stored: {e}"),
                });
            }
            return self.dead_letter(dead(reason), on_event).await;
        }
        on_event(&WorkerEvent::Started {
            id: label.clone(),
            delivery,
        });
        let progress = {
            let message = message.clone();
            let every = (ack_wait / 3).max(Duration::from_millis(200));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if message.ack_with(AckKind::Progress).await.is_err() {
                        return;
                    }
                }
            })
        };
        let terms = job.optimize.as_ref().map(super::job::JobOptimize::terms);
        let ran = run_remote(
            &self.store,
            &job.tenant,
            job.seq,
            job.max_time_limit_s,
            terms.as_ref(),
            &self.roads,
        )
        .await;
        progress.abort();
        let state = match ran {
            Ok(RemoteRun::Ended(state)) => state
                .as_str_name()
                .trim_start_matches("JOB_STATE_")
                .to_string(),
            Ok(RemoteRun::CancelledQueued) => "CANCELLED before it ran".to_string(),
            Ok(RemoteRun::Gone) => "gone (finished or unknown), dropped".to_string(),
            Err(StoreError::Db(e)) => {
                message
                    .ack_with(AckKind::Nak(Some(RETRY_DELAY)))
                    .await
                    .map_err(nats("hand a job back"))?;
                on_event(&WorkerEvent::Retried {
                    id: label,
                    delivery,
                    reason: e.to_string(),
                });
                return Ok(());
            }
            Err(e) => return self.dead_letter(dead(e.to_string()), on_event).await,
        };
        message
            .double_ack()
            .await
            .map_err(nats("acknowledge a job"))?;
        on_event(&WorkerEvent::Ran {
            id: label,
            delivery,
            state,
        });
        Ok(())
    }
}

/// A job on its way to the dead letters.
struct DeadLetter<'a> {
    message: &'a jetstream::Message,
    id: Option<&'a str>,
    delivery: i64,
    reason: String,
}

impl Worker {
    /// Publishes the job on the dead-letter subject, then terminates it (no more deliveries).
    async fn dead_letter(
        &self,
        dead: DeadLetter<'_>,
        on_event: &(dyn Fn(&WorkerEvent) + Sync),
    ) -> Result<(), QueueError> {
        self.queue
            .dead_letter(
                dead.message.subject.as_str(),
                dead.id,
                dead.message.payload.clone(),
                &dead.reason,
                dead.delivery,
            )
            .await?;
        dead.message
            .double_ack_with(AckKind::Term)
            .await
            .map_err(nats("terminate a job"))?;
        on_event(&WorkerEvent::DeadLettered {
            id: dead.id.unwrap_or_default().to_string(),
            delivery: dead.delivery,
            reason: dead.reason,
        });
        Ok(())
    }
}

/// Opens everything a worker needs: the store of `db` (migrated), the queue on `nats`, the
/// nights' engine on `roads` and the optimizations' networks from the extract `osm` (the
/// same as serve's `--osm`; imported on the first optimization job).
pub async fn open(
    nats_url: &str,
    db: &str,
    roads: Arc<milkrun_engine::RoadEngine>,
    osm: std::path::PathBuf,
    redelivery: Redelivery,
) -> Result<Worker, OpenError> {
    let queue = NightQueue::connect(nats_url).await?;
    let store = Store::open(db).await?;
    Ok(Worker::new(
        queue,
        store,
        LocalEngine::new(roads),
        Arc::new(WorkerRoads::new(osm)),
        redelivery,
    ))
}

/// Why a worker could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The queue.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The store.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}
