//! A client that is not ours: Python's grpcio with grpcio-reflection discovers the services
//! of the real server by reflection and calls Roads.Matrix and Forecast.CheckStock from the
//! fetched descriptors.
//! Also: a server started without credentials answers health but refuses everything else.
mod serve_support;

use std::process::Command;

use milkrun_service::serve::proto::v1 as pb;
use serve_support::{start, VADUZ_A, VADUZ_B};
use tonic::Code;

const PY_MODULES: &str = "import grpc, grpc_reflection, google.protobuf";

/// The Python client finds Roads and Routes by reflection and gets the same matrix as the
/// Rust client. Fails (does not skip) when python3 lacks grpcio, grpcio-reflection or
/// protobuf.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_grpcio_client_drives_the_server_by_reflection() {
    let probe = Command::new("python3")
        .args(["-c", PY_MODULES])
        .output()
        .expect("python3 runs");
    assert!(
        probe.status.success(),
        "python3 cannot import grpcio / grpcio-reflection / protobuf (pip install grpcio \
         grpcio-reflection protobuf): {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let server = start(&["--dev-key", "py-dev-key"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/reflect_client.py");
    let point = |p: (f64, f64)| format!("{},{}", p.0, p.1);
    let out = Command::new("python3")
        .args([
            script,
            &server.addr,
            "py-dev-key",
            &point(VADUZ_A),
            &point(VADUZ_B),
        ])
        .output()
        .expect("the script runs");
    assert!(
        out.status.success(),
        "reflect_client.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let services = json["services"].as_array().expect("a service list");
    assert!(services.contains(&serde_json::json!("milkrun.v1.Roads")));
    assert!(services.contains(&serde_json::json!("milkrun.v1.Routes")));
    let mut c = pb::roads_client::RoadsClient::connect(server.url())
        .await
        .expect("connects");
    let mut req = tonic::Request::new(pb::MatrixRequest {
        origins: vec![
            pb::LatLng {
                latitude: VADUZ_A.0,
                longitude: VADUZ_A.1,
            },
            pb::LatLng {
                latitude: VADUZ_B.0,
                longitude: VADUZ_B.1,
            },
        ],
        destinations: vec![
            pb::LatLng {
                latitude: VADUZ_A.0,
                longitude: VADUZ_A.1,
            },
            pb::LatLng {
                latitude: VADUZ_B.0,
                longitude: VADUZ_B.1,
            },
        ],
        ..Default::default()
    });
    req.metadata_mut()
        .insert("authorization", "Bearer py-dev-key".parse().expect("ascii"));
    let rust = c.matrix(req).await.expect("matrix").into_inner();
    let py: Vec<i64> = json["matrix"]["durationMs"]
        .as_array()
        .expect("durations")
        .iter()
        .map(|v| v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0))
        .collect();
    assert_eq!(
        py, rust.duration_ms,
        "Python and Rust clients get the same matrix"
    );
    // 100 units sellable today and tomorrow, 10 sold a day: 80 expire unsold on day 2.
    assert!(services.contains(&serde_json::json!("milkrun.v1.Forecast")));
    let item = &json["stock"]["items"][0];
    assert_eq!(item["id"], "milk-1l");
    assert_eq!(item["total"].as_f64(), Some(100.0), "{item}");
    assert_eq!(item["expiring"].as_f64(), Some(80.0), "{item}");
    assert_eq!(item["usable"].as_f64(), Some(20.0), "{item}");
    assert_eq!(
        item["alerts"][0]["kind"],
        "STOCK_ALERT_KIND_EXPIRES_BEFORE_SOLD"
    );
    assert_eq!(item["alerts"][0]["expiresOnDay"].as_u64(), Some(2));
}

/// Without `--config` and `--dev-key`, health answers and a Roads call is UNAUTHENTICATED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_only_health_answers() {
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let server = start(&[]);
    let channel = tonic::transport::Channel::from_shared(server.url())
        .expect("url")
        .connect()
        .await
        .expect("connects");
    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers");
    assert_eq!(health.into_inner().status, 1);
    let mut req = tonic::Request::new(pb::SnapRequest {
        points: vec![pb::LatLng {
            latitude: VADUZ_A.0,
            longitude: VADUZ_A.1,
        }],
        ..Default::default()
    });
    req.metadata_mut()
        .insert("authorization", "Bearer anything".parse().expect("ascii"));
    let err = pb::roads_client::RoadsClient::new(channel)
        .snap(req)
        .await
        .expect_err("no tenant exists");
    assert_eq!(err.code(), Code::Unauthenticated);
}
