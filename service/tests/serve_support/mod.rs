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
}

/// Starts `milkrun serve --listen 127.0.0.1:0 ARGS...` and waits for its `listening on` line.
pub fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_milkrun"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
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
/// - `--compat-listen` acts as `acme`.
pub fn write_config(name: &str) -> PathBuf {
    let hash = milkrun_service::serve::config::sha256_hex;
    let config = serde_json::json!({"tenants": [
        {"id": "acme", "jwt_secret": ACME_JWT_SECRET, "api_keys": [
            {"sha256": hash("acme-admin-key"), "role": "admin"},
            {"sha256": hash("acme-analyst-key"), "role": "analyst"}]},
        {"id": "beta", "api_keys": [{"sha256": hash("beta-admin-key"), "role": "admin"}],
         "quotas": {"max_queued_jobs": 1}},
        {"id": "tiny", "api_keys": [{"sha256": hash("tiny-key"), "role": "admin"}],
         "quotas": {"max_matrix_cells": 4, "requests_per_second": 0.001, "burst": 1}}
    ], "compat_tenant": "acme"});
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
