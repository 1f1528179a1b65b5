//! Starting the real `milkrun serve` on a free loopback port, and stopping it by pid when the
//! guard is dropped (even when a test fails).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server; dropping it kills the process.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// `127.0.0.1:PORT` of the `--compat-listen` port, when it was asked for.
    pub compat_addr: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kills the process with SIGKILL (`kill -9` of its pid: no shutdown runs) and waits
    /// for it to end.
    pub fn kill9(mut self) {
        self.signal("-9");
        let _ = self.child.wait();
    }

    /// Pauses the process (SIGSTOP): it keeps its sockets and memory but runs nothing, as a
    /// server frozen by a long pause or a stalled machine.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused process run again (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Sends `signal` (`-9`, `-TERM`) to the process with `kill`.
    fn signal(&self, signal: &str) {
        let pid = self.child.id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Stops the process with SIGTERM (the clean shutdown) and waits up to `within` for it to
    /// end: its exit status, or `None` when it still runs then (the guard kills it).
    pub fn terminate(mut self, within: Duration) -> Option<std::process::ExitStatus> {
        self.signal("-TERM");
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A fresh SQLite database URL under the temp dir for a test's live days.
pub fn temp_db(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("milkrun-serve-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("days.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    format!("sqlite://{}", path.display())
}

/// Starts `milkrun serve --listen 127.0.0.1:0 ARGS...` and waits for its `listening on` line.
/// Without `--db` in `args`, the live days go to a fresh temp file (not the default file in
/// the working directory).
pub fn start(args: &[&str]) -> Server {
    let db = if args.contains(&"--db") {
        Vec::new()
    } else {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        vec!["--db".to_string(), temp_db(&format!("start{n}"))]
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_milkrun"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .args(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the milkrun binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    let lines = if args.contains(&"--compat-listen") {
        2
    } else {
        1
    };
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        for _ in 0..lines {
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
        }
    });
    // Importing and preparing three profiles takes a while on a busy debug build.
    let line = rx.recv_timeout(Duration::from_secs(600));
    let mut server = Server {
        child,
        addr: String::new(),
        compat_addr: None,
    };
    let line = line.expect("the server prints its address");
    server.addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    if lines == 2 {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server prints its compat address");
        let addr = line
            .trim()
            .strip_prefix("compat faces on ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("unexpected second line {line:?}"));
        server.compat_addr = Some(addr.to_string());
    }
    server
}

/// Writes a tenants file for the tests and returns its path.
///
/// - `acme`: admin key `acme-admin-key`, analyst key `acme-analyst-key`, JWT secret
///   [`ACME_JWT_SECRET`];
/// - `beta`: admin key `beta-admin-key`, at most 1 unfinished job;
/// - `tiny`: admin key `tiny-key`, at most 4 matrix cells, 1 request then about one per
///   1000 s;
/// - `acme` also has courier keys `acme-courier-c1` and `acme-courier-c2` (couriers `c1`,
///   `c2`);
/// - `solo`: admin key `solo-key`, at most 1 live day;
/// - `--compat-listen` acts as `acme`;
/// - the webhook sender runs a round every second, and retries a failure within a second.
pub fn write_config(name: &str) -> PathBuf {
    let hash = milkrun_service::serve::config::sha256_hex;
    let config = serde_json::json!({"tenants": [
        {"id": "acme", "jwt_secret": ACME_JWT_SECRET, "api_keys": [
            {"sha256": hash("acme-admin-key"), "role": "admin"},
            {"sha256": hash("acme-analyst-key"), "role": "analyst"},
            {"sha256": hash("acme-courier-c1"), "role": "courier", "courier_id": "c1"},
            {"sha256": hash("acme-courier-c2"), "role": "courier", "courier_id": "c2"}]},
        {"id": "beta", "api_keys": [{"sha256": hash("beta-admin-key"), "role": "admin"}],
         "quotas": {"max_queued_jobs": 1}},
        {"id": "tiny", "api_keys": [{"sha256": hash("tiny-key"), "role": "admin"}],
         "quotas": {"max_matrix_cells": 4, "requests_per_second": 0.001, "burst": 1}},
        {"id": "solo", "api_keys": [{"sha256": hash("solo-key"), "role": "admin"}],
         "quotas": {"max_live_days": 1}}
    ], "compat_tenant": "acme",
    "webhooks": {"every_s": 1, "retry_base_s": 1, "retry_cap_s": 2, "timeout_s": 5}});
    let dir = std::env::temp_dir().join(format!("milkrun-serve-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("tenants.json");
    std::fs::write(&path, config.to_string()).expect("config written");
    path
}

/// The JWT secret of tenant `acme` in [`write_config`].
pub const ACME_JWT_SECRET: &str = "acme-jwt-secret-0123456789";

/// Three points near Vaduz, on car roads of the shipped Liechtenstein extract.
pub const VADUZ_A: (f64, f64) = (47.14, 9.52);
/// See [`VADUZ_A`].
pub const VADUZ_B: (f64, f64) = (47.16, 9.51);
/// See [`VADUZ_A`].
pub const VADUZ_C: (f64, f64) = (47.145, 9.515);

/// A live day near Vaduz: depot next to [`VADUZ_A`], stops `s1` (A), `s2` (B), `s3` (C), couriers
/// `c1` (planned `s1`, `s2`) and `c2` (planned `s3`), wide windows from 06:00.
pub fn day_request() -> milkrun_service::serve::proto::v1::OpenDayRequest {
    use milkrun_service::serve::proto::v1 as pb;
    let ll = |p: (f64, f64)| pb::LatLng {
        latitude: p.0,
        longitude: p.1,
    };
    let stop = |label: &str, p: (f64, f64)| pb::DayStop {
        label: label.into(),
        location: Some(ll(p)),
        bottles: 2,
        service_s: 30,
        window_start_s: 21_600,
        window_end_s: 43_200,
    };
    let courier = |label: &str| pb::DayCourier {
        label: label.into(),
        capacity: 20,
        shift_start_s: 21_600,
        shift_end_s: 50_400,
    };
    let route = |c: &str, stops: &[&str]| pb::PlannedRoute {
        courier_label: c.into(),
        stop_labels: stops.iter().map(|s| s.to_string()).collect(),
    };
    pb::OpenDayRequest {
        depot: Some(ll((47.141, 9.521))),
        stops: vec![
            stop("s1", VADUZ_A),
            stop("s2", VADUZ_B),
            stop("s3", VADUZ_C),
        ],
        couriers: vec![courier("c1"), courier("c2")],
        routes: vec![route("c1", &["s1", "s2"]), route("c2", &["s3"])],
        travel_mode: pb::TravelMode::Car as i32,
        max_snap_m: 0.0,
    }
}

/// One day event.
pub fn day_event(
    id: &str,
    expected: u64,
    time_s: i64,
    kind: milkrun_service::serve::proto::v1::day_event::Kind,
) -> milkrun_service::serve::proto::v1::DayEvent {
    milkrun_service::serve::proto::v1::DayEvent {
        event_id: id.into(),
        expected_plan_version: expected,
        time_s,
        kind: Some(kind),
    }
}
