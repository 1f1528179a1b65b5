//! The nightly batch across machines (issue #23): station-day planning jobs on a NATS
//! JetStream work queue, run by `milkrun worker` processes against a shared store
//! (PostgreSQL).
//!
//! - [`job`]: what a job is ([`job::NightJob`]: tenant, station, date and the night's
//!   settings, JSON on the wire), checked once into the store's types, and its message id
//!   (`night:<tenant>:<station>:<date>:<manifest hash>`) by which JetStream drops duplicates.
//! - [`queue`]: the streams (the work queue [`JOB_STREAM`] and the dead letters
//!   [`DEAD_STREAM`]), the workers' durable pull consumer, publishing and dead-lettering.
//! - [`worker`]: the loop of `milkrun worker`: explicit acks, in-progress acks during the
//!   solve, a bounded number of attempts, then the dead-letter subject.
//!
//! The same stream and workers run the Jobs API's forecasts and order plans of
//! `milkrun serve --nats` ([`job::ServiceJob`] on [`SERVICE_JOB_SUBJECT`], run by
//! `crate::serve::jobs::run_remote` through the job's stored row; `queue` implements serve's
//! `JobQueue` for them, and `milkrun serve` connects it: serve does not import this module).
//!
//! The planning itself is the dairy store's `plan_night` (stored once per tenant, day and
//! station) on the in-process engine: this module only moves jobs.
pub mod job;
pub mod queue;
pub mod worker;

/// The work-queue stream of night jobs.
pub const JOB_STREAM: &str = "MILKRUN_NIGHT";
/// Jobs are published on `milkrun.night.<tenant>.<station>`.
pub const JOB_SUBJECT_PREFIX: &str = "milkrun.night";
/// Jobs API jobs of `milkrun serve --nats` are published on this subject (of the same
/// stream, taken by the same workers).
pub const SERVICE_JOB_SUBJECT: &str = "milkrun.night.jobs";
/// The job stream's subjects.
pub const JOB_SUBJECTS: &str = "milkrun.night.>";
/// The dead-letter stream.
pub const DEAD_STREAM: &str = "MILKRUN_NIGHT_DEAD";
/// A dead letter of a job published on `S` is published on `milkrun.dead.S`.
pub const DEAD_PREFIX: &str = "milkrun.dead";
/// The dead-letter stream's subjects.
pub const DEAD_SUBJECTS: &str = "milkrun.dead.>";
/// The workers' durable pull consumer.
pub const WORKERS_CONSUMER: &str = "night-workers";
