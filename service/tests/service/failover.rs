//! Live-day failover (issue #23): three real `milkrun serve` replicas on the real PostgreSQL
//! that `./scripts/test` starts (`MILKRUN_TEST_POSTGRES_URL`, a fresh database of this
//! test's own). A live day is opened on the first; the others answer its calls UNAVAILABLE
//! with a retry delay (gRPC `RetryInfo`, HTTP 503 with `Retry-After`). One client streams
//! events to it, one call per event, sending an event again to the next replica whenever a
//! call fails with that retryable status or does not reach its server. The first replica
//! is killed with SIGKILL mid-stream; once its lease lapses another replica takes the day
//! over from the store. At the end every event is in the stored log exactly once, in the
//! order sent, with the version its acknowledgement gave; every refusal was the retryable
//! status; the lease moved once (epoch 2); and the day equals a reference replay of the
//! logged events in a day opened afresh. Then the new owner is paused (SIGSTOP) past its
//! lease: while nobody calls, the third replica's sweep takes the day over (the lease row's
//! owner and epoch 3), it takes the next event at the first call, and the paused one, woken
//! up, refuses an event with the retryable status and appends nothing. The takeover times are
//! printed (nothing is timed beyond a generous limit). Before the kill, jobs submitted on
//! one replica are watched, read and listed on the others. Fails, never skips, when the
//! PostgreSQL URL is missing.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use milkrun_dairy::store::Store;
use milkrun_service::serve::proto::v1 as pb;
use pb::day_event::Kind;
use pb::dispatch_client::DispatchClient;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;

use crate::job_queues::forecast_job;
use crate::night_queue::{drop_postgres, fresh_postgres};
use crate::serve_support::{day_event, day_request, start, write_config, Server};

const KEY: &str = "acme-admin-key";
/// Events streamed.
const EVENTS: usize = 40;
/// Events acknowledged before the owner is killed.
const KILL_AFTER: usize = 12;
/// The whole stream's limit (the lease is 4 s; this is only against a hang).
const LIMIT: Duration = Duration::from_secs(120);

fn with_key<T>(msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {KEY}").parse().expect("an ascii header"),
    );
    r
}

/// Event `i` of the stream: delays of both couriers, and the deliveries of `s1` and `s3`.
fn kind(i: usize) -> Kind {
    match i {
        8 => Kind::Delivered(pb::Delivered {
            stop_label: "s1".into(),
        }),
        20 => Kind::Delivered(pb::Delivered {
            stop_label: "s3".into(),
        }),
        _ => Kind::Delay(pb::Delay {
            courier_label: if i.is_multiple_of(2) { "c1" } else { "c2" }.into(),
            delay_s: 5 + (i as i64 % 7),
        }),
    }
}

fn event_id(i: usize) -> String {
    format!("fo-{i:03}")
}

fn apply(day_id: &str, i: usize, expected: u64) -> pb::ApplyEventsRequest {
    pb::ApplyEventsRequest {
        day_id: day_id.into(),
        events: vec![day_event(
            &event_id(i),
            expected,
            22_000 + 30 * i as i64,
            kind(i),
        )],
    }
}

/// What the streaming client saw.
#[derive(Debug, Default)]
struct Seen {
    /// Per event: the plan version its acknowledgement gave, whether it was a replay, and
    /// when it came.
    acks: Vec<(u64, bool, Instant)>,
    /// Refusals with UNAVAILABLE and a retry delay (the retryable status).
    retryable: usize,
    /// Calls that did not reach a live server (the killed one).
    unreachable: usize,
}

/// The server's refusal to run a call now: UNAVAILABLE with a retry delay.
fn retryable(status: &tonic::Status) -> bool {
    status.code() == Code::Unavailable
        && status
            .get_details_retry_info()
            .is_some_and(|r| r.retry_delay.is_some())
}

/// A call that reached no live server (the killed replica 0): refused or cut connections.
fn unreachable(status: &tonic::Status) -> bool {
    let transport = std::error::Error::source(status)
        .is_some_and(|e| e.downcast_ref::<tonic::transport::Error>().is_some());
    transport || (status.code() == Code::Unavailable && status.get_details_retry_info().is_none())
}

/// Sends the events in order, one call each, moving to the next replica on the retryable
/// status or when a replica cannot be reached; any other error fails the test.
async fn stream(
    channels: Vec<Channel>,
    day_id: String,
    acked: Arc<AtomicUsize>,
    seen: Arc<Mutex<Seen>>,
) {
    let started = Instant::now();
    let mut at = 0;
    let mut version = 1;
    for i in 0..EVENTS {
        loop {
            assert!(
                started.elapsed() < LIMIT,
                "event {i} not accepted in {LIMIT:?}"
            );
            let mut c = DispatchClient::new(channels[at].clone());
            match c.apply_events(with_key(apply(&day_id, i, version))).await {
                Ok(answer) => {
                    let answer = answer.into_inner();
                    let result = &answer.results[0];
                    assert_eq!(result.event_id, event_id(i));
                    version = answer.day.as_ref().expect("the day").plan_version;
                    seen.lock().expect("seen").acks.push((
                        result.plan_version,
                        result.replayed,
                        Instant::now(),
                    ));
                    acked.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                Err(status) if retryable(&status) || (at == 0 && unreachable(&status)) => {
                    let wait = status.get_details_retry_info().and_then(|r| r.retry_delay);
                    {
                        let mut s = seen.lock().expect("seen");
                        if retryable(&status) {
                            s.retryable += 1;
                        } else {
                            s.unreachable += 1;
                        }
                    }
                    let wait = wait.unwrap_or(Duration::from_millis(50));
                    tokio::time::sleep(wait.min(Duration::from_millis(250))).await;
                    at = (at + 1) % channels.len();
                }
                Err(status) => panic!("event {i} on replica {at}: {status:?}"),
            }
        }
    }
}

/// GetDay and the raw HTTP answer (status line and headers) of the JSON face's GetDay.
async fn json_get_day(server: &Server, day_id: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::json!({ "dayId": day_id }).to_string();
    let mut s = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connects");
    let head = format!(
        "POST /v1/days:get HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         authorization: Bearer {KEY}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("writes");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).to_string()
}

async fn get_day(channel: &Channel, day_id: &str) -> Result<pb::Day, tonic::Status> {
    DispatchClient::new(channel.clone())
        .get_day(with_key(pb::GetDayRequest {
            day_id: day_id.into(),
        }))
        .await
        .map(tonic::Response::into_inner)
}

/// Jobs on every replica (issue #23): a forecast job submitted on replica 0 and one on
/// replica 1 get different numbers (both replicas give numbers from the shared store); the
/// first is watched on replica 2 up to SUCCEEDED with its progress complete, read on replica
/// 1 with the same result as on replica 0, and both are listed on replica 2.
async fn jobs_on_every_replica(channels: &[Channel]) {
    use pb::jobs_client::JobsClient;
    use tokio_stream::StreamExt;
    let jobs = |i: usize| JobsClient::new(channels[i].clone());
    let a = jobs(0)
        .submit(with_key(forecast_job("failover-a")))
        .await
        .expect("a job submitted on replica 0")
        .into_inner();
    let b = jobs(1)
        .submit(with_key(forecast_job("failover-b")))
        .await
        .expect("a job submitted on replica 1")
        .into_inner();
    assert_ne!(a.job_id, b.job_id, "one number, one job, across replicas");
    for (job, on) in [(&a, 2), (&b, 0)] {
        let mut stream = jobs(on)
            .watch(with_key(pb::WatchJobRequest {
                job_id: job.job_id.clone(),
            }))
            .await
            .expect("watched on another replica")
            .into_inner();
        let mut last = None;
        while let Some(msg) = stream.next().await {
            last = Some(msg.expect("a job message"));
        }
        let last = last.expect("at least one message");
        assert_eq!(last.state, pb::JobState::Succeeded as i32, "{last:?}");
        assert!(last.progress_total > 0);
        assert_eq!(last.progress_done, last.progress_total);
        assert!(last.result.is_some(), "the result with the end");
    }
    let get = |i: usize, id: String| async move {
        jobs(i)
            .get(with_key(pb::GetJobRequest { job_id: id }))
            .await
            .expect("get")
            .into_inner()
    };
    let (on_0, on_1) = (
        get(0, a.job_id.clone()).await,
        get(1, a.job_id.clone()).await,
    );
    assert_eq!(on_1.state, pb::JobState::Succeeded as i32);
    assert_eq!(on_1.result, on_0.result, "the same result on both replicas");
    let listed: Vec<String> = jobs(2)
        .list(with_key(pb::ListJobsRequest::default()))
        .await
        .expect("list")
        .into_inner()
        .jobs
        .into_iter()
        .map(|j| j.job_id)
        .collect();
    assert!(
        listed.contains(&a.job_id) && listed.contains(&b.job_id),
        "{listed:?}"
    );
}

/// The day's view without its id, to compare two days.
fn plan_of(mut day: pb::Day) -> pb::Day {
    day.day_id.clear();
    day
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owner_killed_mid_stream_another_replica_takes_the_day_over() {
    let (url, pg_server, db) = fresh_postgres("failover").await;
    let config = write_config("failover");
    let config = config.to_str().expect("a UTF-8 path").to_string();
    let servers: Vec<Server> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..3)
            .map(|_| s.spawn(|| start(&["--config", &config, "--db", &url])))
            .collect();
        starts
            .into_iter()
            .map(|h| h.join().expect("a replica starts"))
            .collect()
    });
    let mut channels = Vec::new();
    for server in &servers {
        channels.push(
            Channel::from_shared(server.url())
                .expect("a url")
                .connect()
                .await
                .expect("connects"),
        );
    }
    let opened = DispatchClient::new(channels[0].clone())
        .open_day(with_key(day_request()))
        .await
        .expect("the day opens on replica 0")
        .into_inner();
    let day_id = opened.day_id.clone();

    // Replica 0 runs the day: the others refuse it with the retryable status.
    let refused = get_day(&channels[1], &day_id)
        .await
        .expect_err("replica 1 does not run the day");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    let delay = refused
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("a retry delay");
    assert!(
        delay > Duration::ZERO && delay <= Duration::from_secs(4),
        "{delay:?}"
    );
    let http = json_get_day(&servers[2], &day_id).await;
    assert!(http.starts_with("HTTP/1.1 503"), "{http}");
    assert!(
        http.to_ascii_lowercase().contains("\r\nretry-after: "),
        "{http}"
    );

    jobs_on_every_replica(&channels).await;

    // The stream, and the owner killed mid-way.
    let acked = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let client = tokio::spawn(stream(
        channels.clone(),
        day_id.clone(),
        Arc::clone(&acked),
        Arc::clone(&seen),
    ));
    let waiting = Instant::now();
    while acked.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            waiting.elapsed() < LIMIT,
            "the stream is stuck before the kill"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut servers = servers.into_iter();
    let owner = servers.next().expect("replica 0");
    let killed_at = Instant::now();
    owner.kill9();
    let before_kill = acked.load(Ordering::SeqCst);
    client.await.expect("the stream ends");
    let seen = Arc::try_unwrap(seen)
        .expect("the stream is done")
        .into_inner()
        .expect("seen");
    let first_after = seen
        .acks
        .iter()
        .skip(before_kill)
        .map(|a| a.2)
        .find(|&t| t > killed_at)
        .expect("an event acknowledged after the kill");
    println!(
        "failover: replica 0 killed after {before_kill} events; the next event acknowledged \
         {} ms later, by the replica that took the day over; {} retryable refusals, {} calls \
         to the dead replica, {} replayed acknowledgements",
        first_after.duration_since(killed_at).as_millis(),
        seen.retryable,
        seen.unreachable,
        seen.acks.iter().filter(|a| a.1).count()
    );
    assert_eq!(seen.acks.len(), EVENTS);
    assert!(
        seen.retryable >= 1,
        "the survivors refused the day while the dead replica's lease ran"
    );

    // The store: every event once, in order, at the version its acknowledgement gave.
    let store = Store::open(&url).await.expect("the store");
    let log = store
        .live_day_events("acme", &day_id)
        .await
        .expect("the log");
    let logged: Vec<(String, u64)> = log
        .iter()
        .map(|e| (e.event_id.clone(), e.plan_version as u64))
        .collect();
    let acknowledged: Vec<(String, u64)> = seen
        .acks
        .iter()
        .enumerate()
        .map(|(i, a)| (event_id(i), a.0))
        .collect();
    assert_eq!(
        logged, acknowledged,
        "each event stored once, as acknowledged"
    );
    let (holder, epoch) = store
        .live_day_lease("acme", &day_id)
        .await
        .expect("the lease")
        .expect("the day has a lease");
    assert_eq!(epoch, 2, "one takeover");
    assert!(!holder.is_empty());

    // The day as the new owner runs it equals a reference replay of the log.
    let survivors: Vec<Server> = servers.collect();
    let mut day = None;
    for channel in &channels[1..] {
        match get_day(channel, &day_id).await {
            Ok(d) => day = Some(d),
            Err(status) => assert_eq!(status.code(), Code::Unavailable, "{status:?}"),
        }
    }
    let day = day.expect("a survivor runs the day");
    assert_eq!(day.plan_version, 1 + EVENTS as u64);
    let reference = DispatchClient::new(channels[1].clone())
        .open_day(with_key(day_request()))
        .await
        .expect("the reference day opens")
        .into_inner();
    let mut reference_day = None;
    let mut version = 1;
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.event_id, event_id(i));
        let answer = DispatchClient::new(channels[1].clone())
            .apply_events(with_key(apply(&reference.day_id, i, version)))
            .await
            .expect("the reference takes the event")
            .into_inner();
        let d = answer.day.expect("the day");
        version = d.plan_version;
        reference_day = Some(d);
    }
    let reference_day = reference_day.expect("events replayed");
    assert_eq!(plan_of(day), plan_of(reference_day));

    // The new owner paused past its lease: the other survivor takes the day over, and the
    // paused one, woken up, cannot add an event to it.
    let mut owner_at = None;
    for (i, channel) in channels.iter().enumerate().skip(1) {
        if get_day(channel, &day_id).await.is_ok() {
            owner_at = Some(i);
        }
    }
    let owner_at = owner_at.expect("one survivor runs the day");
    let (paused, other) = (&survivors[owner_at - 1], 3 - owner_at);
    let (paused_owner, _) = store
        .live_day_lease("acme", &day_id)
        .await
        .expect("the lease")
        .expect("the day has a lease");
    paused.pause();
    let moved = Instant::now();
    // Nobody calls: the other survivor's sweep takes the day over once the paused one's
    // lease lapses (the lease row's owner and epoch change without a request).
    let new_owner = loop {
        assert!(
            moved.elapsed() < LIMIT,
            "no takeover from the paused replica without a call"
        );
        let (holder, epoch) = store
            .live_day_lease("acme", &day_id)
            .await
            .expect("the lease")
            .expect("the day has a lease");
        if epoch == 3 {
            break holder;
        }
        assert_eq!(epoch, 2, "the lease moves once at a time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_ne!(new_owner, paused_owner, "another replica took the day");
    println!(
        "failover: the day moved from the paused replica in {} ms, without a call",
        moved.elapsed().as_millis()
    );
    // The new owner takes the next event at the first call, on the day as the store had it.
    let version = DispatchClient::new(channels[other].clone())
        .apply_events(with_key(apply(&day_id, EVENTS, 1 + EVENTS as u64)))
        .await
        .expect("the new owner takes an event at the first call")
        .into_inner()
        .day
        .expect("the day")
        .plan_version;
    assert_eq!(version, 2 + EVENTS as u64);
    paused.resume();
    let late = DispatchClient::new(channels[owner_at].clone())
        .apply_events(with_key(pb::ApplyEventsRequest {
            day_id: day_id.clone(),
            events: vec![day_event("late", version, 40_000, kind(1))],
        }))
        .await
        .expect_err("the woken replica does not run the day any more");
    assert!(retryable(&late), "{late:?}");
    let log = store
        .live_day_events("acme", &day_id)
        .await
        .expect("the log");
    assert_eq!(log.len(), EVENTS + 1);
    assert!(log.iter().all(|e| e.event_id != "late"), "nothing appended");
    let (_, epoch) = store
        .live_day_lease("acme", &day_id)
        .await
        .expect("the lease")
        .expect("the day has a lease");
    assert_eq!(epoch, 3, "two takeovers");
    store.close().await;
    drop(survivors);
    drop_postgres(&pg_server, &db).await;
}
