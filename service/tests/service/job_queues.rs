//! The Jobs API on both queues (issue #23): one test body run against `milkrun serve` with its
//! in-process queue, then against `milkrun serve --nats` handing its forecasts and
//! optimizations to a real `milkrun worker` process over a real `nats-server` (started here
//! on a free port, stopped by pid), both over the real PostgreSQL that `./scripts/test`
//! starts (a fresh database each). The same states, progress, results and cancels come out
//! of Submit, Get, Watch and List whichever queue runs the jobs. Fails, never skips, when
//! `nats-server` or the PostgreSQL URL is missing.
use std::process::Command;
use std::time::Duration;

use milkrun_dairy::store::jobs::JobState as StoredState;
use milkrun_dairy::store::Store;
use milkrun_service::night_queue::queue::NightQueue;
use milkrun_service::serve::proto::v1 as pb;
use pb::forecast_client::ForecastClient;
use pb::jobs_client::JobsClient;
use pb::routes_client::RoutesClient;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::Request;

use crate::night_queue::{drop_postgres, fresh_postgres, wait_for, Nats, Proc};
use crate::serve_support::{start, write_config, Server};

const KEY: &str = "acme-admin-key";

fn with_key<T>(msg: T, key: &str) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("an ascii header"),
    );
    r
}

fn forecast_req() -> pb::ForecastDemandRequest {
    let series = |id: &str, base: f64| pb::DemandSeries {
        id: id.into(),
        start_date: "2026-01-05".into(),
        values: (0..56).map(|i| base + f64::from(i % 7) * 2.0).collect(),
    };
    pb::ForecastDemandRequest {
        series: vec![series("milk-1l", 10.0), series("cream", 3.0)],
        frequency: pb::Frequency::Daily.into(),
        horizon: 7,
        quantile_levels: vec![0.1, 0.5, 0.9],
        model: "snaive".into(),
        ..Default::default()
    }
}

pub(crate) fn forecast_job(request_id: &str) -> pb::SubmitJobRequest {
    pb::SubmitJobRequest {
        request_id: request_id.into(),
        work: Some(pb::submit_job_request::Work::Forecast(forecast_req())),
    }
}

/// Every message of a Watch until the job is finished.
async fn watch_all(c: &mut JobsClient<Channel>, id: &str) -> Vec<pb::Job> {
    let mut stream = c
        .watch(with_key(pb::WatchJobRequest { job_id: id.into() }, KEY))
        .await
        .expect("watch starts")
        .into_inner();
    let mut all = Vec::new();
    while let Some(msg) = stream.next().await {
        all.push(msg.expect("a job message"));
    }
    assert!(!all.is_empty(), "at least one message");
    all
}

async fn get(c: &mut JobsClient<Channel>, id: &str) -> pb::Job {
    c.get(with_key(pb::GetJobRequest { job_id: id.into() }, KEY))
        .await
        .expect("get")
        .into_inner()
}

/// Who runs the jobs, and how the test keeps a job waiting in its queue.
enum Runner {
    /// Serve's own pool: held by long optimizations on every batch permit.
    InProcess { held: Vec<String> },
    /// `milkrun worker`s on NATS: held by starting none until released.
    Nats {
        url: String,
        db: String,
        worker: Option<Proc>,
    },
}

impl Runner {
    /// Keeps the next jobs queued.
    async fn hold(&mut self, c: &mut JobsClient<Channel>) {
        let Runner::InProcess { held } = self else {
            return;
        };
        // serve's pool: batch permits = workers - reserved (see serve::workers).
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = cpus.max(2);
        let permits = workers - (cpus / 4).clamp(1, workers - 1);
        for _ in 0..permits {
            let job = c
                .submit(with_key(
                    pb::SubmitJobRequest {
                        request_id: String::new(),
                        work: Some(pb::submit_job_request::Work::Optimize(
                            pb::OptimizeRequest {
                                model: Some(crate::serve::small_model()),
                                time_limit_s: 60.0,
                                ..Default::default()
                            },
                        )),
                    },
                    KEY,
                ))
                .await
                .expect("a long optimization")
                .into_inner();
            held.push(job.job_id);
        }
        for id in held.iter() {
            let mut stream = c
                .watch(with_key(pb::WatchJobRequest { job_id: id.clone() }, KEY))
                .await
                .expect("watch")
                .into_inner();
            while let Some(msg) = stream.next().await {
                if msg.expect("a job message").state == pb::JobState::Running as i32 {
                    break;
                }
            }
        }
    }

    /// Lets the queued jobs run.
    async fn release(&mut self, c: &mut JobsClient<Channel>) {
        match self {
            Runner::InProcess { held } => {
                for id in held.drain(..) {
                    c.cancel(with_key(pb::CancelJobRequest { job_id: id }, KEY))
                        .await
                        .expect("the long optimization cancelled");
                }
            }
            Runner::Nats { url, db, worker } => {
                *worker = Some(Proc::spawn(
                    Command::new(env!("CARGO_BIN_EXE_milkrun")).args([
                        "worker",
                        "--nats",
                        url,
                        "--db",
                        db,
                        "--ack-wait-s",
                        "5",
                    ]),
                ));
            }
        }
    }
}

/// The test body, the same for both queues: a job submitted while the queue is held is QUEUED
/// (Submit, Get); cancelled there it is CANCELLED at once, and stays so once the queue runs
/// again (a worker drops it); a forecast job submitted then runs once the queue is released,
/// Watch sees its states in order up to SUCCEEDED with its progress complete and the same
/// answer as the unary call; List shows both; the stored row says the same. An optimization
/// succeeds with a plan that passes the independent check and routes what the unary call
/// routes, and a running one cancelled ends CANCELLED keeping its best plan. Then a run the
/// time limit stops ends FAILED (DEADLINE_EXCEEDED), and a running job cancelled ends
/// CANCELLED well before its time limit.
async fn same_states(
    server: &Server,
    db: &str,
    runner: &mut Runner,
) -> Vec<(String, &'static str)> {
    let mut c = JobsClient::connect(server.url()).await.expect("connects");
    runner.hold(&mut c).await;
    let queued = c
        .submit(with_key(forecast_job("held-1"), KEY))
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(queued.state, pb::JobState::Queued as i32, "{queued:?}");
    let got = get(&mut c, &queued.job_id).await;
    assert_eq!(got.state, pb::JobState::Queued as i32, "{got:?}");
    assert_eq!((got.progress_done, got.progress_total), (0, 2));
    let cancelled = c
        .cancel(with_key(
            pb::CancelJobRequest {
                job_id: queued.job_id.clone(),
            },
            KEY,
        ))
        .await
        .expect("cancel")
        .into_inner();
    assert!(cancelled.cancel_requested);
    assert_eq!(cancelled.state, pb::JobState::Cancelled as i32);
    let ended = watch_all(&mut c, &queued.job_id).await;
    assert_eq!(ended.len(), 1, "already finished: {ended:?}");
    assert_eq!(ended[0].state, pb::JobState::Cancelled as i32);
    let job = c
        .submit(with_key(forecast_job("nightly-1"), KEY))
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(job.state, pb::JobState::Queued as i32, "{job:?}");
    runner.release(&mut c).await;
    let seen = watch_all(&mut c, &job.job_id).await;
    let states: Vec<i32> = seen.iter().map(|j| j.state).collect();
    let order = |s: i32| {
        [
            pb::JobState::Queued,
            pb::JobState::Running,
            pb::JobState::Succeeded,
        ]
        .iter()
        .position(|x| *x as i32 == s)
        .unwrap_or_else(|| panic!("state {s} on the way: {seen:?}"))
    };
    assert!(
        states.windows(2).all(|w| order(w[0]) <= order(w[1])),
        "{states:?}"
    );
    let done = seen.last().expect("a last message").clone();
    assert_eq!(done.state, pb::JobState::Succeeded as i32, "{done:?}");
    assert_eq!((done.progress_done, done.progress_total), (2, 2));
    assert!(done.started_unix_ms > 0 && done.finished_unix_ms >= done.started_unix_ms);
    let Some(pb::job::Result::Forecast(f)) = &done.result else {
        panic!("a forecast result: {done:?}");
    };
    let unary = ForecastClient::connect(server.url())
        .await
        .expect("connects")
        .forecast_demand(with_key(forecast_req(), KEY))
        .await
        .expect("forecast")
        .into_inner();
    assert_eq!(f, &unary, "the job answers what the unary call answers");
    let got = get(&mut c, &job.job_id).await;
    assert_eq!(got.result, done.result);
    let listed = c
        .list(with_key(pb::ListJobsRequest::default(), KEY))
        .await
        .expect("list")
        .into_inner();
    let state_of = |id: &str| {
        listed
            .jobs
            .iter()
            .find(|j| j.job_id == id)
            .map(|j| j.state)
            .unwrap_or_else(|| panic!("{id} listed: {listed:?}"))
    };
    assert_eq!(state_of(&job.job_id), pb::JobState::Succeeded as i32);
    assert_eq!(state_of(&queued.job_id), pb::JobState::Cancelled as i32);
    let store = Store::open(db).await.expect("the shared store");
    let seq = |id: &str| -> i64 { id.trim_start_matches("job-").parse().expect("a job number") };
    let row = store
        .service_job("acme", seq(&job.job_id))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!((row.state, row.progress_done), (StoredState::Succeeded, 2));
    let row = store
        .service_job("acme", seq(&queued.job_id))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(row.state, StoredState::Cancelled);
    store.close().await;
    // An optimization: SUCCEEDED with its progress complete, a plan that passes the
    // independent check and routes what the unary call routes (the 4 shipments' optimum).
    let opt = c
        .submit(with_key(optimize_job(2.0), KEY))
        .await
        .expect("submit an optimization")
        .into_inner();
    let seen = watch_all(&mut c, &opt.job_id).await;
    let done = seen.last().expect("a last message").clone();
    assert_eq!(done.state, pb::JobState::Succeeded as i32, "{done:?}");
    assert!(
        done.progress_total > 0 && done.progress_done == done.progress_total,
        "{done:?}"
    );
    let Some(pb::job::Result::Optimize(plan)) = &done.result else {
        panic!("a plan: {done:?}");
    };
    crate::serve::recheck(&crate::serve::small_model(), plan);
    assert!(plan.skipped_shipments.is_empty(), "{plan:?}");
    let unary = RoutesClient::connect(server.url())
        .await
        .expect("connects")
        .optimize(with_key(optimize_req(2.0), KEY))
        .await
        .expect("optimize")
        .into_inner();
    assert_eq!(
        visits(plan),
        visits(&unary),
        "the job routes what the unary call routes"
    );
    let seq = |id: &str| -> i64 { id.trim_start_matches("job-").parse().expect("a job number") };
    let store = Store::open(db).await.expect("the shared store");
    let row = store
        .service_job("acme", seq(&opt.job_id))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(row.state, StoredState::Succeeded);
    // A running optimization cancelled once it holds a plan: CANCELLED well before its 60 s,
    // keeping the best plan found before the cancel.
    let long_opt = c
        .submit(with_key(optimize_job(60.0), KEY))
        .await
        .expect("submit")
        .into_inner();
    wait_planned(&mut c, &long_opt.job_id).await;
    c.cancel(with_key(
        pb::CancelJobRequest {
            job_id: long_opt.job_id.clone(),
        },
        KEY,
    ))
    .await
    .expect("cancel");
    let end = watch_all(&mut c, &long_opt.job_id).await;
    let end = end.last().expect("a last message");
    assert_eq!(end.state, pb::JobState::Cancelled as i32, "{end:?}");
    assert!(
        end.finished_unix_ms - end.started_unix_ms < 60_000,
        "the cancel, not the time limit, ended it: {end:?}"
    );
    assert!(
        matches!(&end.result, Some(pb::job::Result::Optimize(p)) if !p.routes.is_empty()),
        "the best plan before the cancel is kept: {end:?}"
    );
    let row = store
        .service_job("acme", seq(&long_opt.job_id))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(row.state, StoredState::Cancelled);
    store.close().await;
    // A run the time limit stops: FAILED, DEADLINE_EXCEEDED.
    let failed = c
        .submit(with_key(panel_job(0.05), KEY))
        .await
        .expect("submit")
        .into_inner();
    let end = watch_all(&mut c, &failed.job_id).await;
    let end = end.last().expect("a last message");
    assert_eq!(end.state, pb::JobState::Failed as i32, "{end:?}");
    assert_eq!(
        end.error.as_ref().map(|e| e.code.as_str()),
        Some("DEADLINE_EXCEEDED"),
        "{end:?}"
    );
    assert!(end.result.is_none());
    // A running job cancelled: the cancel reaches the run, well before its 60 s.
    let long = c
        .submit(with_key(panel_job(60.0), KEY))
        .await
        .expect("submit")
        .into_inner();
    let mut stream = c
        .watch(with_key(
            pb::WatchJobRequest {
                job_id: long.job_id.clone(),
            },
            KEY,
        ))
        .await
        .expect("watch")
        .into_inner();
    while let Some(msg) = stream.next().await {
        let msg = msg.expect("a job message");
        assert!(
            msg.state != pb::JobState::Succeeded as i32,
            "the 1,000-series panel ran to its end before its cancel: {msg:?}"
        );
        if msg.state == pb::JobState::Running as i32 {
            break;
        }
    }
    let asked = c
        .cancel(with_key(
            pb::CancelJobRequest {
                job_id: long.job_id.clone(),
            },
            KEY,
        ))
        .await
        .expect("cancel")
        .into_inner();
    assert!(asked.cancel_requested);
    let end = watch_all(&mut c, &long.job_id).await;
    let end = end.last().expect("a last message");
    assert_eq!(end.state, pb::JobState::Cancelled as i32, "{end:?}");
    assert!(end.cancel_requested);
    assert!(
        end.finished_unix_ms - end.started_unix_ms < 60_000,
        "the cancel, not the time limit, ended it: {end:?}"
    );
    vec![
        (queued.job_id, "gone"),
        (job.job_id, "SUCCEEDED"),
        (opt.job_id, "SUCCEEDED"),
        (long_opt.job_id, "CANCELLED"),
        (failed.job_id, "FAILED"),
        (long.job_id, "CANCELLED"),
    ]
}

fn optimize_req(time_limit_s: f64) -> pb::OptimizeRequest {
    pb::OptimizeRequest {
        model: Some(crate::serve::small_model()),
        time_limit_s,
        seed: 7,
        ..Default::default()
    }
}

/// An optimization job of the 4-shipment model under `time_limit_s`.
fn optimize_job(time_limit_s: f64) -> pb::SubmitJobRequest {
    pb::SubmitJobRequest {
        request_id: String::new(),
        work: Some(pb::submit_job_request::Work::Optimize(optimize_req(
            time_limit_s,
        ))),
    }
}

/// A plan's routes as the shipments each visits, in order, sorted (the two vans are alike,
/// so which van takes which route is left out).
fn visits(plan: &pb::OptimizeResponse) -> Vec<Vec<u32>> {
    let mut all: Vec<Vec<u32>> = plan
        .routes
        .iter()
        .map(|r| r.visits.iter().map(|v| v.shipment_index).collect())
        .filter(|v: &Vec<u32>| !v.is_empty())
        .collect();
    all.sort();
    all
}

/// Waits until the job is RUNNING (it must not end first).
/// Waits until job `id` runs and reports progress, which an optimization does only once it
/// holds a plan (a cancel right at the start would rightly end it with none).
async fn wait_planned(c: &mut JobsClient<Channel>, id: &str) {
    let mut stream = c
        .watch(with_key(pb::WatchJobRequest { job_id: id.into() }, KEY))
        .await
        .expect("watch")
        .into_inner();
    while let Some(msg) = stream.next().await {
        let msg = msg.expect("a job message");
        assert!(
            !matches!(
                pb::JobState::try_from(msg.state),
                Ok(pb::JobState::Succeeded | pb::JobState::Failed | pb::JobState::Cancelled)
            ),
            "ended before it was seen running: {msg:?}"
        );
        if msg.state == pb::JobState::Running as i32 && msg.progress_done > 0 {
            return;
        }
    }
    panic!("the watch of {id} ended before it reported progress");
}

/// A forecast of 1,000 daily series by automatic model choice (about 20 s of one core on the
/// 2-core CI machine, seconds on a fast one) under `time_limit_s`.
fn panel_job(time_limit_s: f64) -> pb::SubmitJobRequest {
    let series = (0..1000)
        .map(|k| pb::DemandSeries {
            id: format!("s{k}"),
            start_date: "2026-01-05".into(),
            values: (0..56)
                .map(|i| 10.0 + f64::from(i % 7) * 2.0 + f64::from((i * 7 + k) % 5) * 0.5)
                .collect(),
        })
        .collect();
    pb::SubmitJobRequest {
        request_id: String::new(),
        work: Some(pb::submit_job_request::Work::Forecast(
            pb::ForecastDemandRequest {
                series,
                frequency: pb::Frequency::Daily.into(),
                horizon: 7,
                quantile_levels: vec![0.1, 0.5, 0.9],
                model: "auto".into(),
                time_limit_s,
                ..Default::default()
            },
        )),
    }
}

/// The body on serve's in-process queue, then on NATS with a worker process: on NATS, the
/// worker's log names each job once, first delivery, with its end (the job cancelled while
/// queued dropped unrun), an optimization naming another road set than the worker's fails
/// FAILED_PRECONDITION on `job.roads`, and the work queue is empty at the end with no dead
/// letter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_have_the_same_states_on_both_queues() {
    let config = write_config("job-queues");
    let config = config.to_str().expect("a UTF-8 path");
    // The in-process queue.
    let (db, pg_server, pg_name) = fresh_postgres("jobs_in_process").await;
    let server = start(&["--config", config, "--db", &db]);
    let mut runner = Runner::InProcess { held: Vec::new() };
    same_states(&server, &db, &mut runner).await;
    drop(server);
    drop_postgres(&pg_server, &pg_name).await;
    // NATS and a worker.
    let nats = Nats::start("job-queues");
    let (db, pg_server, pg_name) = fresh_postgres("jobs_nats").await;
    let server = start(&["--config", config, "--db", &db, "--nats", &nats.url]);
    let mut runner = Runner::Nats {
        url: nats.url.clone(),
        db: db.clone(),
        worker: None,
    };
    let ended = same_states(&server, &db, &mut runner).await;
    let Runner::Nats {
        worker: Some(worker),
        ..
    } = &runner
    else {
        panic!("the worker was started");
    };
    // The worker ran each job once, first delivery, and dropped the one cancelled queued.
    let wanted: Vec<String> = ended
        .iter()
        .map(|(id, how)| format!("ran job:acme:{} delivery 1: {how}", seq_of(id)))
        .collect();
    wait_for(
        Duration::from_secs(30),
        "the worker's log names every job",
        || {
            let lines = worker.lines();
            wanted
                .iter()
                .all(|w| lines.iter().any(|l| l.starts_with(w.as_str())))
        },
        || format!("{wanted:?} in {:?}", worker.lines()),
    )
    .await;
    let queue = NightQueue::connect(&nats.url).await.expect("connects");
    wrong_roads_fail(&queue, &db).await;
    assert_eq!(
        queue.queued().await.expect("the stream"),
        0,
        "the queue is empty"
    );
    assert_eq!(queue.dead().await.expect("the dead letters"), 0);
    drop(server);
    drop(runner);
    drop_postgres(&pg_server, &pg_name).await;
}

/// An optimization whose message names another road set than the worker's is not run on
/// the wrong roads: it ends FAILED (FAILED_PRECONDITION) naming `job.roads`.
async fn wrong_roads_fail(queue: &NightQueue, db: &str) {
    use milkrun_dairy::store::jobs::NewJob;
    use milkrun_service::night_queue::job::{JobOptimize, ServiceJob};
    use prost::Message;
    let store = Store::open(db).await.expect("the shared store");
    let request = pb::SubmitJobRequest {
        request_id: String::new(),
        work: Some(pb::submit_job_request::Work::Optimize(optimize_req(1.0))),
    }
    .encode_to_vec();
    let seq = 9_000;
    store
        .insert_job(&NewJob {
            tenant: "acme",
            seq,
            request_id: "",
            digest: "wrong-roads",
            kind: "optimize",
            request: &request,
            progress_total: 1000,
            submitted_ms: 1,
        })
        .await
        .expect("a job row");
    queue
        .publish_service(&ServiceJob {
            tenant: "acme".into(),
            seq,
            max_time_limit_s: 60.0,
            optimize: Some(JobOptimize {
                max_stops: 5000,
                max_vehicles: 500,
                max_matrix_cells: 4_000_000,
                roads: "osm-1-0000000000000000".into(),
            }),
        })
        .await
        .expect("published");
    let end = std::time::Instant::now() + Duration::from_secs(30);
    let row = loop {
        let row = store
            .service_job("acme", seq)
            .await
            .expect("read")
            .expect("stored");
        if row.state.is_finished() {
            break row;
        }
        assert!(
            std::time::Instant::now() < end,
            "the job on other roads did not end: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row.state, StoredState::Failed, "{row:?}");
    let error = row.error.expect("an error");
    assert_eq!(error.code, "FAILED_PRECONDITION", "{error:?}");
    assert!(error.message.contains("job.roads"), "{error:?}");
    store.close().await;
}

fn seq_of(id: &str) -> &str {
    id.trim_start_matches("job-")
}

/// A Jobs API job's message: round trip and id; bad input names its field.
#[test]
fn service_job_messages_are_checked() {
    use milkrun_service::night_queue::job::{JobOptimize, ServiceJob};
    let job = ServiceJob {
        tenant: "acme".into(),
        seq: 7,
        max_time_limit_s: 60.0,
        optimize: None,
    };
    let bytes = job.to_bytes().expect("bytes");
    assert_eq!(ServiceJob::from_bytes(&bytes).expect("a job"), job);
    assert_eq!(job.message_id(), "job:acme:7");
    for (bad, field) in [
        (
            r#"{"tenant":"","seq":1,"max_time_limit_s":1.0}"#,
            "job.tenant",
        ),
        (
            r#"{"tenant":"a","seq":0,"max_time_limit_s":1.0}"#,
            "job.seq",
        ),
        (
            r#"{"tenant":"a","seq":1,"max_time_limit_s":-1.0}"#,
            "job.max_time_limit_s",
        ),
        (
            r#"{"tenant":"a","seq":"x","max_time_limit_s":1.0}"#,
            "job.seq",
        ),
        (
            r#"{"tenant":"a","seq":1,"max_time_limit_s":1.0,"x":1}"#,
            "job.",
        ),
    ] {
        let err = ServiceJob::from_bytes(bad.as_bytes()).expect_err(bad);
        assert!(err.to_string().starts_with(field), "{bad}: {err}");
    }
    let huge = vec![b' '; 300 * 1024];
    assert!(ServiceJob::from_bytes(&huge).is_err());
    // An optimization's terms travel with it and come back the same; bad terms are named.
    let opt = ServiceJob {
        optimize: Some(JobOptimize {
            max_stops: 5000,
            max_vehicles: 500,
            max_matrix_cells: 4_000_000,
            roads: "osm-123-00ff".into(),
        }),
        ..job
    };
    let bytes = opt.to_bytes().expect("bytes");
    assert_eq!(ServiceJob::from_bytes(&bytes).expect("a job"), opt);
    let base = r#"{"tenant":"a","seq":1,"max_time_limit_s":1.0,"optimize":"#;
    for (terms, field) in [
        (
            r#"{"max_stops":1,"max_vehicles":1,"max_matrix_cells":1,"roads":""}"#,
            "job.optimize.roads",
        ),
        (
            r#"{"max_stops":1,"max_vehicles":1,"max_matrix_cells":1,"roads":"a b"}"#,
            "job.optimize.roads",
        ),
        (
            r#"{"max_stops":0,"max_vehicles":1,"max_matrix_cells":1,"roads":"r"}"#,
            "job.optimize",
        ),
        (
            r#"{"max_stops":-1,"max_vehicles":1,"max_matrix_cells":1,"roads":"r"}"#,
            "job.optimize.max_stops",
        ),
        (
            r#"{"max_stops":1,"max_vehicles":1,"max_matrix_cells":1}"#,
            "job.optimize",
        ),
    ] {
        let bad = format!("{base}{terms}}}");
        let err = ServiceJob::from_bytes(bad.as_bytes()).expect_err(&bad);
        assert!(err.to_string().starts_with(field), "{bad}: {err}");
    }
}
