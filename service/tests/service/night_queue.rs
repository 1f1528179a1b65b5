//! The nightly batch across machines (issue #23) on loopback: a real `nats-server` with
//! JetStream (started here on a free port, stopped by pid), the real PostgreSQL that
//! `./scripts/test` starts (`MILKRUN_TEST_POSTGRES_URL`, a fresh database of this test's own),
//! and three real `milkrun worker` processes, one of them killed with `kill -9` during a job.
//! Fails, never skips, when `nats-server` or the PostgreSQL URL is missing.
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use milkrun_calendar::Date;
use milkrun_dairy::ids::TenantId;
use milkrun_dairy::store::Store;
use milkrun_service::night_queue::job::{JobCourier, JobLimits, JobPoint, NightJob};
use milkrun_service::night_queue::queue::{NightQueue, REASON_HEADER};
use milkrun_service::night_queue::{DEAD_STREAM, JOB_STREAM, WORKERS_CONSUMER};
use milkrun_sim::group::{seed_group, GroupSpec};
use sqlx::{Connection, Row};

const STATIONS: u32 = 6;
const DAYS: u32 = 10;
const HOUSEHOLDS: u32 = 12;
const TENANT: TenantId = TenantId(7);

/// A child process killed (SIGKILL) and reaped on drop, its output lines collected.
pub(crate) struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    pub(crate) fn spawn(cmd: &mut Command) -> Proc {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the process starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        for (stream, prefix) in [
            (Box::new(out) as Box<dyn std::io::Read + Send>, ""),
            (Box::new(err), "stderr: "),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(format!("{prefix}{line}"));
                }
            });
        }
        Proc { child, lines }
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {}", self.child.id());
    }

    /// Waits up to `within` for the process to end after a signal.
    fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `nats-server` from Debian's package (or anywhere on PATH): a failure naming the package
/// when it is missing.
fn nats_server_bin() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|d: PathBuf| d.join("nats-server"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nats-server is not installed: ./scripts/test installs it (Debian's \
                 nats-server package: apt-get install nats-server)"
            )
        })
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

/// A JetStream-enabled `nats-server` on a free loopback port with a fresh store directory.
pub(crate) struct Nats {
    proc: Proc,
    pub(crate) url: String,
    dir: PathBuf,
}

impl Nats {
    pub(crate) fn start(name: &str) -> Nats {
        let bin = nats_server_bin();
        let dir = std::env::temp_dir().join(format!("milkrun-nats-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a store dir");
        let port = free_port();
        let proc = Proc::spawn(
            Command::new(bin)
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
                .arg(&dir),
        );
        let end = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < end,
                "nats-server did not listen within 30 s: {:?}",
                proc.lines()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Nats {
            proc,
            url: format!("nats://127.0.0.1:{port}"),
            dir,
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.proc.child.kill();
        let _ = self.proc.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh database on the server of `MILKRUN_TEST_POSTGRES_URL`: (its URL, the server's
/// URL, its name).
pub(crate) async fn fresh_postgres(name: &str) -> (String, String, String) {
    let server = std::env::var("MILKRUN_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "MILKRUN_TEST_POSTGRES_URL is unset: run ./scripts/test, which starts a throwaway \
             PostgreSQL server"
        )
    });
    let db = format!("milkrun_{name}_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("the PostgreSQL server answers");
    sqlx::query(&format!("CREATE DATABASE \"{db}\""))
        .execute(&mut admin)
        .await
        .expect("a fresh database");
    admin.close().await.expect("closed");
    let (base, query) = server
        .split_once('?')
        .map_or((server.as_str(), None), |(b, q)| (b, Some(q)));
    let host = base
        .split_once("://")
        .map(|(_, rest)| rest.split_once('/').map_or(rest, |(h, _)| h))
        .expect("a postgres:// URL");
    let url = match query {
        Some(q) => format!("postgres://{host}/{db}?{q}"),
        None => format!("postgres://{host}/{db}"),
    };
    (url, server, db)
}

pub(crate) async fn drop_postgres(server: &str, db: &str) {
    if let Ok(mut admin) = sqlx::PgConnection::connect(server).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
            .execute(&mut admin)
            .await;
    }
}

fn andorra() -> PathBuf {
    milkrun_datasets::data_dir()
        .join("osm")
        .join("andorra.osm.pbf")
}

/// Every bike-road node's `(lat, lon)` of the Andorra extract.
fn road_points(osm: &Path) -> Vec<(f64, f64)> {
    let (graph, _) =
        milkrun_engine::import_pbf_file(osm, milkrun_engine::Profile::Bike).expect("roads");
    (0..graph.num_nodes())
        .map(|v| graph.coord(milkrun_engine::NodeId(v as u32)))
        .map(|p| (p.lat, p.lon))
        .collect()
}

fn worker(nats: &str, db: &str) -> Proc {
    Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_milkrun"))
            .args(["worker", "--nats", nats, "--db", db, "--osm"])
            .arg(andorra())
            .args(["--ack-wait-s", "2", "--max-attempts", "3"]),
    )
}

/// Polls `ok` every 100 ms until it holds; panics with `what` and `context()` after `within`.
pub(crate) async fn wait_for(
    within: Duration,
    what: &str,
    mut ok: impl FnMut() -> bool,
    context: impl Fn() -> String,
) {
    let end = Instant::now() + within;
    while !ok() {
        assert!(
            Instant::now() < end,
            "{what} within {within:?}: {}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The message id in a worker line `started ID delivery N` / `done ID delivery N ...`.
fn line_id(line: &str, verb: &str) -> Option<(String, i64)> {
    let rest = line.strip_prefix(verb)?.strip_prefix(' ')?;
    let mut words = rest.split(' ');
    let id = words.next()?.to_string();
    (words.next()? == "delivery").then_some(())?;
    Some((id, words.next()?.parse().ok()?))
}

/// 60 station-days (6 stations × 10 days, 12 households each) published twice through
/// `milkrun night-submit`: 60 are queued, 60 dropped as duplicates by their message id.
/// Three `milkrun worker`s run them against PostgreSQL. The test holds the plans' table, so
/// each worker blocks in its first job: held 2.5 times the ack wait, no job is delivered
/// again (in-progress acks); then one worker is killed with `kill -9` in its job and the
/// table released: that job is delivered again and finished by another worker. At the end:
/// exactly one stored plan per station-day, every door planned, one arrival message per
/// planned order, the work queue empty with nothing pending, no dead letter, every worker ran
/// a job. Then a malformed job, a job published on another tenant's subject and a job of an
/// unknown tenant go to the dead-letter stream at once, the field or the tenant named, and a job whose store fails (its table renamed away)
/// is handed back and tried 3 times, then dead-lettered by its fourth delivery. The 60 s
/// for the night is a generous bound for the test, not a measure of speed (see
/// bench/README.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_one_killed_plan_each_station_day_once() {
    let nats = Nats::start("night");
    let (db, server, db_name) = fresh_postgres("night").await;
    let store = Store::open(&db).await.expect("the store on PostgreSQL");
    let first = Date::parse_iso("2028-03-01").expect("a date");
    let stations = seed_group(
        &store,
        &road_points(&andorra()),
        &GroupSpec {
            tenant: TENANT,
            stations: STATIONS,
            households_per_station: HOUSEHOLDS,
            couriers_per_station: 2,
            first_date: first,
            days: DAYS,
        },
    )
    .await
    .expect("the group is seeded and frozen");

    // Each station-day's job, written twice into the submission.
    let mut jobs = Vec::new();
    for st in &stations {
        for d in 0..DAYS {
            jobs.push(NightJob {
                tenant: TENANT.0,
                station: st.id.0,
                date: first.add_days(d as i32).to_string(),
                depot: JobPoint {
                    lat: st.depot.lat,
                    lon: st.depot.lon,
                },
                couriers: st
                    .couriers
                    .iter()
                    .map(|c| JobCourier {
                        id: c.id.0,
                        capacity: c.capacity,
                        shift_start_s: c.shift_start_s,
                        shift_end_s: c.shift_end_s,
                    })
                    .collect(),
                service_s: 60,
                max_snap_m: 300.0,
                stable: false,
                limits: JobLimits {
                    time_limit_ms: 30_000,
                    seed: u64::from(d),
                    solver_iterations: 400,
                    polish_iterations: 100,
                },
            });
        }
    }
    let ids: std::collections::BTreeSet<String> = jobs
        .iter()
        .map(|j| j.message_id().expect("an id"))
        .collect();
    assert_eq!(ids.len(), 60, "one message id per station-day");
    let file = std::env::temp_dir().join(format!("milkrun-night-{}.jsonl", std::process::id()));
    let text: String = jobs
        .iter()
        .chain(jobs.iter())
        .map(|j| {
            format!(
                "{}\n",
                String::from_utf8(j.to_bytes().expect("json")).expect("utf-8")
            )
        })
        .collect();
    std::fs::write(&file, text).expect("the jobs file");

    // Three workers, each ready (roads prepared, bound to the consumer) before the night.
    let mut workers: Vec<Proc> = (0..3).map(|_| worker(&nats.url, &db)).collect();
    wait_for(
        Duration::from_secs(180),
        "three workers ready",
        || {
            workers
                .iter()
                .all(|w| w.lines().iter().any(|l| l.starts_with("ready:")))
        },
        || format!("{:?}", workers.iter().map(Proc::lines).collect::<Vec<_>>()),
    )
    .await;

    // Hold the plans' table so that every job blocks when it stores its plan: each worker is
    // then provably in the middle of a job (and stays there longer than the ack wait).
    let mut holder = sqlx::PgConnection::connect(&db)
        .await
        .expect("a connection");
    sqlx::query("BEGIN")
        .execute(&mut holder)
        .await
        .expect("begin");
    sqlx::query("LOCK TABLE night_plans IN EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .expect("the plans' table held");

    let t0 = Instant::now();
    let submit = Command::new(env!("CARGO_BIN_EXE_milkrun"))
        .args(["night-submit", "--nats", &nats.url, "--jobs"])
        .arg(&file)
        .output()
        .expect("night-submit runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        submit.status.success(),
        "night-submit: {}",
        String::from_utf8_lossy(&submit.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&submit.stdout).trim(),
        "published 120: 60 new, 60 duplicates"
    );

    // Every worker takes a job and blocks in it; held for 2.5 times the ack wait, the jobs
    // are not delivered again (the in-progress acks); then one worker is killed.
    let started = |w: &Proc| {
        w.lines()
            .iter()
            .filter_map(|l| line_id(l, "started"))
            .collect::<Vec<_>>()
    };
    wait_for(
        Duration::from_secs(30),
        "every worker starts a job",
        || workers.iter().all(|w| !started(w).is_empty()),
        || format!("{:?}", workers.iter().map(Proc::lines).collect::<Vec<_>>()),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let held: Vec<(String, i64)> = workers.iter().flat_map(started).collect();
    assert_eq!(
        held.len(),
        3,
        "one job each, none delivered again: {held:?}"
    );
    assert!(held.iter().all(|(_, delivery)| *delivery == 1), "{held:?}");
    let victim = 0;
    let killed_job = held[victim].0.clone();
    workers[victim].signal("-9");
    assert!(workers[victim].wait_exit(Duration::from_secs(10)).is_some());
    sqlx::query("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("the plans' table released");
    holder.close().await.expect("closed");
    let victim_lines = workers[victim].lines();
    assert!(
        !victim_lines.iter().any(|l| l.starts_with("done ")),
        "the victim finished nothing: {victim_lines:?}"
    );

    // Every station-day done, within a generous bound.
    let done = |workers: &[Proc]| -> std::collections::BTreeSet<String> {
        workers
            .iter()
            .flat_map(Proc::lines)
            .filter_map(|l| line_id(&l, "done").map(|(id, _)| id))
            .collect()
    };
    wait_for(
        Duration::from_secs(60).saturating_sub(t0.elapsed()),
        "every station-day done",
        || done(&workers) == ids,
        || format!("{:?}", workers.iter().map(Proc::lines).collect::<Vec<_>>()),
    )
    .await;

    // The killed worker's job was delivered again and finished by another worker.
    let lines: Vec<Vec<String>> = workers.iter().map(Proc::lines).collect();
    let redelivered = lines
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != victim)
        .flat_map(|(_, ls)| ls.iter())
        .filter_map(|l| line_id(l, "done"))
        .any(|(id, delivery)| id == killed_job && delivery >= 2);
    assert!(redelivered, "{killed_job} redelivered: {lines:?}");
    for (id, _) in &held[1..] {
        assert!(
            lines
                .iter()
                .flatten()
                .any(|l| l.starts_with(&format!("done {id} delivery 1 planned"))),
            "{id}, held past the ack wait, finished by its first delivery: {lines:?}"
        );
    }
    let again: Vec<&String> = lines
        .iter()
        .flatten()
        .filter(|l| line_id(l, "started").is_some_and(|(_, d)| d > 1))
        .collect();
    assert!(
        again.iter().all(|l| l.contains(killed_job.as_str())),
        "only the killed worker's job delivered again: {again:?}"
    );
    for (i, ls) in lines.iter().enumerate() {
        assert!(
            ls.iter().any(|l| l.starts_with("started ")),
            "worker {i} ran jobs: {ls:?}"
        );
        assert!(
            !ls.iter().any(|l| ["dead-letter", "retry", "trouble"]
                .iter()
                .any(|p| l.starts_with(p))),
            "worker {i}: {ls:?}"
        );
    }

    // The queue: empty, nothing pending or waiting for an ack, no dead letter.
    let queue = NightQueue::connect(&nats.url).await.expect("the queue");
    assert_eq!(queue.queued().await.expect("queued"), 0);
    assert_eq!(queue.dead().await.expect("dead"), 0);
    let mut consumer = queue
        .context()
        .get_consumer_from_stream::<async_nats::jetstream::consumer::pull::Config, _, _>(
            WORKERS_CONSUMER,
            JOB_STREAM,
        )
        .await
        .expect("the workers' consumer");
    let info = consumer.info().await.expect("its state");
    assert_eq!((info.num_pending, info.num_ack_pending), (0, 0), "{info:?}");

    // The store: exactly one plan per station-day, one arrival message per planned order.
    let plans = sqlx::query(
        "SELECT station_id, delivery_date, COUNT(*) AS n FROM night_plans \
         WHERE tenant_id = $1 GROUP BY station_id, delivery_date",
    )
    .bind(TENANT.0)
    .fetch_all(store.pool())
    .await
    .expect("plans");
    assert_eq!(plans.len(), 60);
    assert!(plans.iter().all(|r| r.get::<i64, _>("n") == 1));
    let stops: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM night_stops WHERE tenant_id = $1 AND courier_id IS NOT NULL",
    )
    .bind(TENANT.0)
    .fetch_one(store.pool())
    .await
    .expect("stops")
    .get("n");
    assert_eq!(
        stops,
        i64::from(STATIONS * DAYS * HOUSEHOLDS),
        "every door planned"
    );
    let messages: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE tenant_id = $1")
        .bind(TENANT.0)
        .fetch_one(store.pool())
        .await
        .expect("outbox")
        .get("n");
    assert_eq!(
        messages, stops,
        "one arrival message per planned order, none twice"
    );

    // A malformed job goes to the dead letters at once, the field named.
    let bad = queue
        .context()
        .send_publish(
            "milkrun.night.7.1",
            async_nats::jetstream::message::PublishMessage::build()
                .payload(r#"{"tenant":7,"station":1}"#.into())
                .message_id("bad-1"),
        )
        .await
        .expect("published")
        .await
        .expect("stored");
    assert!(!bad.duplicate);
    wait_for(
        Duration::from_secs(30),
        "the malformed job dead-lettered",
        || lines_any(&workers, "dead-letter bad-1 delivery 1"),
        || format!("{:?}", workers.iter().map(Proc::lines).collect::<Vec<_>>()),
    )
    .await;
    assert_eq!(queue.dead().await.expect("dead"), 1);
    assert_eq!(queue.queued().await.expect("queued"), 0);
    let dead = queue
        .context()
        .get_stream(DEAD_STREAM)
        .await
        .expect("the dead letters")
        .get_raw_message(1)
        .await
        .expect("the dead letter");
    let reason = dead
        .headers
        .get(REASON_HEADER)
        .map(|v| v.as_str().to_string())
        .unwrap_or_default();
    assert!(reason.contains("date"), "{reason}");

    // A job published on another tenant's subject is refused at once.
    let smuggled = queue
        .context()
        .send_publish(
            "milkrun.night.8.1",
            async_nats::jetstream::message::PublishMessage::build()
                .payload(jobs[0].to_bytes().expect("json").into())
                .message_id("smuggled-1"),
        )
        .await
        .expect("published")
        .await
        .expect("stored");
    assert!(!smuggled.duplicate);
    wait_for(
        Duration::from_secs(30),
        "the job on another tenant's subject dead-lettered",
        || lines_any(&workers, "dead-letter smuggled-1 delivery 1: job.tenant"),
        || format!("{:?}", workers.iter().map(Proc::lines).collect::<Vec<_>>()),
    )
    .await;

    // A job of an unknown tenant is refused at once, the tenant named.
    let mut foreign = jobs[0].clone();
    foreign.tenant = 999;
    let foreign_id = foreign.message_id().expect("an id");
    assert!(!queue.publish(&foreign).await.expect("published").duplicate);
    wait_for(
        Duration::from_secs(30),
        "the foreign job dead-lettered",
        || lines_any(&workers, &format!("dead-letter {foreign_id} delivery 1: ")),
        || format!("{:?}", workers.iter().map(Proc::lines).collect::<Vec<_>>()),
    )
    .await;
    let line = workers
        .iter()
        .flat_map(Proc::lines)
        .find(|l| l.starts_with(&format!("dead-letter {foreign_id}")))
        .expect("its line");
    assert!(line.contains("tenant"), "{line}");

    // The store failing (its plans' table gone): the job is handed back and tried again, 3
    // attempts in all, then the fourth delivery moves it to the dead letters.
    sqlx::query("ALTER TABLE night_plans RENAME TO night_plans_away")
        .execute(store.pool())
        .await
        .expect("the table moved away");
    let mut again = jobs[0].clone();
    again.limits.seed = 99;
    let again_id = again.message_id().expect("an id");
    assert!(!queue.publish(&again).await.expect("published").duplicate);
    wait_for(
        Duration::from_secs(30),
        "the failing job dead-lettered after its attempts",
        || lines_any(&workers, &format!("dead-letter {again_id} delivery 4: ")),
        || format!("{:?}", workers.iter().map(Proc::lines).collect::<Vec<_>>()),
    )
    .await;
    sqlx::query("ALTER TABLE night_plans_away RENAME TO night_plans")
        .execute(store.pool())
        .await
        .expect("the table back");
    for delivery in 1..=3 {
        assert!(
            lines_any(&workers, &format!("retry {again_id} delivery {delivery}: ")),
            "attempt {delivery} handed back"
        );
    }
    assert_eq!(queue.dead().await.expect("dead"), 4);
    assert_eq!(queue.queued().await.expect("queued"), 0);

    // The survivors stop cleanly on SIGTERM.
    for (i, w) in workers.iter_mut().enumerate() {
        if i != victim {
            w.signal("-TERM");
            let status = w.wait_exit(Duration::from_secs(20));
            assert!(
                status.is_some_and(|s| s.success()),
                "worker {i}: {status:?}"
            );
        }
    }
    store.close().await;
    drop_postgres(&server, &db_name).await;
}

fn lines_any(workers: &[Proc], prefix: &str) -> bool {
    workers
        .iter()
        .any(|w| w.lines().iter().any(|l| l.starts_with(prefix)))
}

/// A job's message id is built from tenant, station, date and the manifest's hash: the same
/// job gives the same id, other settings another id; a job out of range is refused naming
/// the field.
#[test]
fn message_ids_and_checks() {
    let job = NightJob {
        tenant: 1,
        station: 2,
        date: "2028-03-01".into(),
        depot: JobPoint {
            lat: 42.5,
            lon: 1.5,
        },
        couriers: vec![JobCourier {
            id: 1,
            capacity: 10,
            shift_start_s: 18_000,
            shift_end_s: 36_000,
        }],
        service_s: 60,
        max_snap_m: 100.0,
        stable: true,
        limits: JobLimits {
            time_limit_ms: 1000,
            seed: 0,
            solver_iterations: 10,
            polish_iterations: 10,
        },
    };
    let id = job.message_id().unwrap();
    assert!(id.starts_with("night:1:2:2028-03-01:"), "{id}");
    assert_eq!(id.len(), "night:1:2:2028-03-01:".len() + 16);
    assert_eq!(job.clone().message_id().unwrap(), id);
    let mut other = job.clone();
    other.limits.seed = 1;
    assert_ne!(other.message_id().unwrap(), id);
    assert_eq!(NightJob::from_bytes(&job.to_bytes().unwrap()).unwrap(), job);
    let mut bad = job.clone();
    bad.depot.lat = f64::NAN;
    assert!(bad.check().unwrap_err().to_string().contains("job.depot"));
    let mut bad = job.clone();
    bad.date = "2028-02-30".into();
    assert!(bad.check().unwrap_err().to_string().contains("job.date"));
    let mut bad = job;
    bad.couriers.clear();
    assert!(bad
        .check()
        .unwrap_err()
        .to_string()
        .contains("job.couriers"));
    let err = NightJob::from_bytes(br#"{"tenant":1,"station":"x"}"#).unwrap_err();
    assert!(err.to_string().contains("job.station"), "{err}");
}
