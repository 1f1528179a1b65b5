//! The dairy layer against a remote engine (issue #21: "a test runs a day through a real
//! `milkrun serve` on loopback and gets the same outcome as in-process"): the simulated
//! company's days run once with the in-process engine and once with the service's gRPC
//! engine against a real server on loopback, each on its own fresh store, and give the same
//! report: the same orders and outcomes, the same re-plans of the morning (the jam falls on
//! the second day), the same close of day, settlement and station orders.
use std::path::PathBuf;
use std::sync::Arc;

use milkrun_calendar::Date;
use milkrun_service::serve::client::GrpcEngine;
use milkrun_sim::{run_week_on, WeekConfig, JAM_DAY};
use milkrun_station::night::LocalEngine;
use tonic::transport::Channel;

use crate::serve_support::{start, temp_db};

/// A tenants file with one admin key and room for a morning's events one call at a time.
fn config(name: &str) -> PathBuf {
    let hash = milkrun_service::serve::config::sha256_hex;
    let config = serde_json::json!({"tenants": [
        {"id": "dairy", "api_keys": [{"sha256": hash("dairy-admin-key"), "role": "admin"}],
         "quotas": {"requests_per_second": 100000.0, "burst": 100000, "max_time_limit_s": 300.0}}
    ]});
    let dir = std::env::temp_dir().join(format!("milkrun-serve-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("tenants.json");
    std::fs::write(&path, config.to_string()).expect("config written");
    path
}

fn week(name: &str) -> WeekConfig {
    let path = std::env::temp_dir().join(format!(
        "milkrun-dairy-remote-{}-{name}.db",
        std::process::id()
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    WeekConfig {
        days: JAM_DAY + 1,
        seed: 5,
        subscriptions: 120,
        db_url: format!("sqlite:{}", path.display()),
        osm: milkrun_datasets::data_dir()
            .join("osm")
            .join("liechtenstein.osm.pbf"),
        first_date: Date::parse_iso("2028-03-06").expect("a date"),
    }
}

/// Two days of a small company (the night's plan, the morning's deliveries, shut doors and
/// their retries, the jam re-planned live, close of day, tomorrow's station order) in process
/// and through a real server: the same report, timings aside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_through_a_real_server_matches_in_process() {
    let tenants = config("dairy-remote");
    let db = temp_db("dairy-remote");
    let server = start(&["--config", tenants.to_str().expect("utf-8"), "--db", &db]);
    let channel = Channel::from_shared(server.url())
        .expect("a url")
        .connect()
        .await
        .expect("connects");
    let remote = GrpcEngine::new(channel, "dairy-admin-key").expect("a key");
    let mut local = run_week_on(&week("local"), LocalEngine::new, &mut |_| {})
        .await
        .expect("the days in process");
    let mut through = run_week_on(
        &week("remote"),
        |_roads: Arc<milkrun_engine::RoadEngine>| remote,
        &mut |_| {},
    )
    .await
    .expect("the days through the server");
    let days = &local.milkrun.per_day;
    assert_eq!(days.len(), 2);
    for d in days {
        assert!(d.orders > 20, "{d:?}");
        assert_eq!(d.unaccounted, 0, "{d:?}");
        assert_eq!(d.orders, d.delivered + d.failed + d.cancelled, "{d:?}");
    }
    assert!(local.milkrun.totals.failed >= 1, "a door stays shut");
    assert!(
        local.incidents.iter().any(|i| i.kind == "jam"),
        "{:?}",
        local.incidents
    );
    local.timings = Default::default();
    through.timings = Default::default();
    assert_eq!(
        serde_json::to_value(&local).expect("json"),
        serde_json::to_value(&through).expect("json"),
        "the same days in process and through the server"
    );
    drop(server);
}
