//! `milkrun serve` end to end on loopback: the real binary, a tonic client and plain HTTP.
//! One server serves every check of this file (starting one prepares three road networks).
mod serve_support;

use std::collections::HashMap;

use milkrun_service::serve::proto::v1 as pb;
use pb::roads_client::RoadsClient;
use pb::routes_client::RoutesClient;
use serve_support::{start, write_config, Server, ACME_JWT_SECRET, VADUZ_A, VADUZ_B, VADUZ_C};
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;

fn ll(p: (f64, f64)) -> pb::LatLng {
    pb::LatLng {
        latitude: p.0,
        longitude: p.1,
    }
}

fn with_key<T>(msg: T, key: &str) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("an ascii header"),
    );
    r
}

fn matrix_req(points: &[(f64, f64)]) -> pb::MatrixRequest {
    pb::MatrixRequest {
        origins: points.iter().copied().map(ll).collect(),
        destinations: points.iter().copied().map(ll).collect(),
        ..Default::default()
    }
}

async fn channel(server: &Server) -> Channel {
    Channel::from_shared(server.url())
        .expect("a valid url")
        .connect()
        .await
        .expect("connects")
}

async fn roads(server: &Server) -> RoadsClient<Channel> {
    RoadsClient::connect(server.url())
        .await
        .expect("connects")
        .max_decoding_message_size(64 << 20)
}

/// Health answers SERVING for the whole server and for each milkrun service.
async fn health(server: &Server) {
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let mut h = HealthClient::new(channel(server).await);
    for service in ["", "milkrun.v1.Roads", "milkrun.v1.Routes"] {
        let r = h
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health answers");
        assert_eq!(r.into_inner().status, 1, "{service:?} is SERVING");
    }
}

/// Reflection v1 and v1alpha both list the Roads and Routes services.
async fn reflection(server: &Server) {
    use tokio_stream::StreamExt;
    {
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        let mut c = ServerReflectionClient::new(channel(server).await);
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut stream = c
            .server_reflection_info(tokio_stream::iter([req]))
            .await
            .expect("v1 reflection answers")
            .into_inner();
        let resp = stream.next().await.expect("one answer").expect("ok");
        let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
            panic!("not a service list: {resp:?}");
        };
        let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
        assert!(
            names.contains(&"milkrun.v1.Roads") && names.contains(&"milkrun.v1.Routes"),
            "{names:?}"
        );
    }
    {
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        let mut c = ServerReflectionClient::new(channel(server).await);
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut stream = c
            .server_reflection_info(tokio_stream::iter([req]))
            .await
            .expect("v1alpha reflection answers")
            .into_inner();
        let resp = stream.next().await.expect("one answer").expect("ok");
        let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
            panic!("not a service list: {resp:?}");
        };
        let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
        assert!(
            names.contains(&"milkrun.v1.Roads") && names.contains(&"milkrun.v1.Routes"),
            "{names:?}"
        );
    }
}

/// Snap, matrix and route agree: the matrix cell A→B equals the route A→B, and a route's
/// legs add up to its total; the encoded polyline is returned when asked for.
async fn snap_matrix_route(server: &Server) {
    let mut c = roads(server).await;
    let snapped = c
        .snap(with_key(
            pb::SnapRequest {
                points: vec![ll(VADUZ_A), ll(VADUZ_B)],
                ..Default::default()
            },
            "acme-admin-key",
        ))
        .await
        .expect("snap")
        .into_inner();
    assert_eq!(snapped.points.len(), 2);
    assert!(snapped.points.iter().all(|p| p.snap_distance_m < 500.0));
    let m = c
        .matrix(with_key(matrix_req(&[VADUZ_A, VADUZ_B]), "acme-admin-key"))
        .await
        .expect("matrix")
        .into_inner();
    assert_eq!((m.rows, m.columns), (2, 2));
    assert_eq!(m.duration_ms[0], 0);
    assert!(m.duration_ms[1] > 0 && m.distance_m[1] > 0);
    let r = c
        .route(with_key(
            pb::RouteRequest {
                waypoints: vec![ll(VADUZ_A), ll(VADUZ_B), ll(VADUZ_C)],
                geometry_format: pb::GeometryFormat::EncodedPolyline.into(),
                ..Default::default()
            },
            "acme-admin-key",
        ))
        .await
        .expect("route")
        .into_inner();
    assert_eq!(r.legs.len(), 2);
    assert_eq!(
        r.legs[0].duration_ms, m.duration_ms[1],
        "route leg A→B = matrix cell A→B"
    );
    assert_eq!(
        r.duration_ms,
        r.legs.iter().map(|l| l.duration_ms).sum::<i64>()
    );
    assert!(
        matches!(r.geometry, Some(pb::route_response::Geometry::EncodedPolyline(ref s)) if !s.is_empty())
    );
    assert!(!r.way_ids.is_empty());
}

/// Traffic is per tenant: acme's closure of the roads of A→B changes acme's matrix, not beta's;
/// beta lists none of acme's traffic; clearing restores acme's matrix; an analyst may not
/// change traffic.
async fn traffic_and_isolation(server: &Server) {
    let mut c = roads(server).await;
    let before_beta = c
        .matrix(with_key(matrix_req(&[VADUZ_A, VADUZ_B]), "beta-admin-key"))
        .await
        .expect("beta matrix")
        .into_inner();
    let before_acme = c
        .matrix(with_key(matrix_req(&[VADUZ_A, VADUZ_B]), "acme-admin-key"))
        .await
        .expect("acme matrix")
        .into_inner();
    assert_eq!(before_acme, before_beta, "no traffic yet: the same roads");
    let route = c
        .route(with_key(
            pb::RouteRequest {
                waypoints: vec![ll(VADUZ_A), ll(VADUZ_B)],
                ..Default::default()
            },
            "acme-admin-key",
        ))
        .await
        .expect("route")
        .into_inner();
    let mut ways = route.way_ids.clone();
    ways.sort_unstable();
    ways.dedup();
    let update = pb::TrafficUpdate {
        way_ids: ways,
        change: Some(pb::SpeedChange {
            change: Some(pb::speed_change::Change::Factor(0.2)),
        }),
    };
    let denied = c
        .apply_traffic(with_key(
            pb::ApplyTrafficRequest {
                travel_mode: 0,
                updates: vec![update.clone()],
            },
            "acme-analyst-key",
        ))
        .await
        .expect_err("an analyst cannot change traffic");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let applied = c
        .apply_traffic(with_key(
            pb::ApplyTrafficRequest {
                travel_mode: 0,
                updates: vec![update],
            },
            "acme-admin-key",
        ))
        .await
        .expect("apply")
        .into_inner();
    assert!(applied.edges_changed > 0);
    let after_acme = c
        .matrix(with_key(matrix_req(&[VADUZ_A, VADUZ_B]), "acme-admin-key"))
        .await
        .expect("acme matrix")
        .into_inner();
    let after_beta = c
        .matrix(with_key(matrix_req(&[VADUZ_A, VADUZ_B]), "beta-admin-key"))
        .await
        .expect("beta matrix")
        .into_inner();
    assert!(
        after_acme.duration_ms[1] > before_acme.duration_ms[1],
        "acme's slowdown counts for acme"
    );
    assert_eq!(
        after_beta, before_beta,
        "acme's slowdown does not reach beta"
    );
    let acme_list = c
        .list_traffic(with_key(
            pb::ListTrafficRequest::default(),
            "acme-admin-key",
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(acme_list.applied.len(), 1);
    assert_eq!(acme_list.applied[0].traffic_id, applied.traffic_id);
    let beta_list = c
        .list_traffic(with_key(
            pb::ListTrafficRequest::default(),
            "beta-admin-key",
        ))
        .await
        .expect("list")
        .into_inner();
    assert!(
        beta_list.applied.is_empty(),
        "beta cannot see acme's traffic"
    );
    let cleared = c
        .clear_traffic(with_key(
            pb::ClearTrafficRequest::default(),
            "acme-admin-key",
        ))
        .await
        .expect("clear")
        .into_inner();
    assert_eq!(cleared.removed, 1);
    let restored = c
        .matrix(with_key(matrix_req(&[VADUZ_A, VADUZ_B]), "acme-admin-key"))
        .await
        .expect("acme matrix")
        .into_inner();
    assert_eq!(restored, before_acme);
}

fn shipment(label: &str, at: (f64, f64), window: (i64, i64), crates: i64) -> pb::Shipment {
    pb::Shipment {
        label: label.into(),
        delivery: Some(pb::VisitRequest {
            location: Some(ll(at)),
            time_windows: vec![pb::TimeWindow {
                start_s: window.0,
                end_s: window.1,
                ..Default::default()
            }],
            duration_s: 60,
        }),
        load_demands: HashMap::from([("crates".to_string(), crates)]),
        ..Default::default()
    }
}

fn small_model() -> pb::ShipmentModel {
    let vehicle = |label: &str| pb::Vehicle {
        label: label.into(),
        start_location: Some(ll(VADUZ_A)),
        end_location: Some(ll(VADUZ_A)),
        load_limits: HashMap::from([("crates".to_string(), 5)]),
        end_time_s: 7_200,
        cost_per_meter: 1,
        ..Default::default()
    };
    pb::ShipmentModel {
        shipments: vec![
            shipment("s0", VADUZ_B, (0, 3_600), 3),
            shipment("s1", VADUZ_C, (0, 3_600), 3),
            shipment("s2", VADUZ_B, (600, 4_000), 2),
            shipment("s3", VADUZ_C, (0, 7_000), 2),
        ],
        vehicles: vec![vehicle("van-1"), vehicle("van-2")],
        ..Default::default()
    }
}

/// Checks a plan against its model independently: every shipment served once or skipped,
/// each service start inside the shipment's window, the load on board within the limit.
fn recheck(model: &pb::ShipmentModel, plan: &pb::OptimizeResponse) {
    let mut seen = vec![0u32; model.shipments.len()];
    for r in &plan.routes {
        let limit = model.vehicles[r.vehicle_index as usize].load_limits["crates"];
        let total: i64 = r
            .visits
            .iter()
            .map(|v| model.shipments[v.shipment_index as usize].load_demands["crates"])
            .sum();
        assert!(
            total <= limit,
            "route {} carries {total} > {limit}",
            r.vehicle_label
        );
        for v in &r.visits {
            let s = &model.shipments[v.shipment_index as usize];
            seen[v.shipment_index as usize] += 1;
            let w = &s.delivery.as_ref().expect("a delivery").time_windows[0];
            assert!(
                w.start_s <= v.start_s && v.start_s <= w.end_s,
                "{} starts at {} outside {w:?}",
                s.label,
                v.start_s
            );
            assert!(v.load_after["crates"] >= 0 && v.load_after["crates"] <= limit);
        }
    }
    for s in &plan.skipped_shipments {
        seen[s.index as usize] += 1;
    }
    assert!(
        seen.iter().all(|&n| n == 1),
        "every shipment once: {seen:?}"
    );
}

/// Optimize (unary and streaming) plans the small model within its windows and capacities;
/// validate-only answers without routes; a 1 ms deadline answers DEADLINE_EXCEEDED.
async fn optimize(server: &Server) {
    use tokio_stream::StreamExt;
    let mut c = RoutesClient::connect(server.url()).await.expect("connects");
    let model = small_model();
    let req = pb::OptimizeRequest {
        model: Some(model.clone()),
        time_limit_s: 1.0,
        seed: 1,
        ..Default::default()
    };
    let plan = c
        .optimize(with_key(req.clone(), "acme-admin-key"))
        .await
        .expect("optimize")
        .into_inner();
    recheck(&model, &plan);
    assert!(plan.skipped_shipments.is_empty(), "all four fit: {plan:?}");
    let validated = c
        .optimize(with_key(
            pb::OptimizeRequest {
                validate_only: true,
                ..req.clone()
            },
            "acme-admin-key",
        ))
        .await
        .expect("validate")
        .into_inner();
    assert!(validated.validated_only && validated.routes.is_empty());
    let mut stream = c
        .optimize_stream(with_key(req.clone(), "acme-admin-key"))
        .await
        .expect("stream starts")
        .into_inner();
    let mut last = None;
    while let Some(msg) = stream.next().await {
        last = Some(msg.expect("stream message"));
    }
    let last = last.expect("at least the final plan");
    assert!(last.done);
    recheck(&model, last.plan.as_ref().expect("a plan"));
    let mut short = with_key(req, "acme-admin-key");
    short.set_timeout(std::time::Duration::from_millis(1));
    let err = c.optimize(short).await.expect_err("no time to plan");
    assert!(
        matches!(err.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{err:?}"
    );
}

/// Hostile calls get the right codes: no key, a wrong key, an expired and a badly signed
/// JWT are UNAUTHENTICATED (a valid JWT works); a NaN coordinate is INVALID_ARGUMENT with a
/// field violation; too many cells and too many requests are RESOURCE_EXHAUSTED with
/// details; an over-size message is refused before it is read.
async fn hostile(server: &Server) {
    let mut c = roads(server).await;
    let req = || matrix_req(&[VADUZ_A, VADUZ_B]);
    let err = c.matrix(Request::new(req())).await.expect_err("no key");
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = c
        .matrix(with_key(req(), "wrong-key"))
        .await
        .expect_err("wrong key");
    assert_eq!(err.code(), Code::Unauthenticated);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let token = |exp: u64, secret: &str| {
        let claims =
            serde_json::json!({"tenant": "acme", "role": "dispatcher", "exp": exp, "sub": "t"});
        hs256_token(&claims.to_string(), secret.as_bytes())
    };
    let ok = c
        .matrix(with_key(req(), &token(now + 3_600, ACME_JWT_SECRET)))
        .await
        .expect("a valid JWT is accepted");
    assert_eq!(ok.into_inner().rows, 2);
    let err = c
        .matrix(with_key(req(), &token(now - 3_600, ACME_JWT_SECRET)))
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = c
        .matrix(with_key(
            req(),
            &token(now + 3_600, "another-secret-0123456789"),
        ))
        .await
        .expect_err("badly signed");
    assert_eq!(err.code(), Code::Unauthenticated);
    let nan = pb::MatrixRequest {
        origins: vec![pb::LatLng {
            latitude: f64::NAN,
            longitude: 9.5,
        }],
        destinations: vec![ll(VADUZ_A)],
        ..Default::default()
    };
    let err = c
        .matrix(with_key(nan, "acme-admin-key"))
        .await
        .expect_err("NaN");
    assert_eq!(err.code(), Code::InvalidArgument);
    let bad = err.get_details_bad_request().expect("a BadRequest detail");
    assert_eq!(bad.field_violations[0].field, "origins[0].latitude");
    let err = c
        .matrix(with_key(
            matrix_req(&[VADUZ_A, VADUZ_B, VADUZ_C]),
            "tiny-key",
        ))
        .await
        .expect_err("9 cells > 4");
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.get_details_quota_failure().is_some());
    let err = c
        .matrix(with_key(req(), "tiny-key"))
        .await
        .expect_err("the second request is refused: a burst of 1, then 1 per 1000 s");
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.get_details_retry_info().is_some());
    let huge = pb::SnapRequest {
        points: vec![ll(VADUZ_A); 300_000],
        ..Default::default()
    };
    let err = c
        .snap(with_key(huge, "acme-admin-key"))
        .await
        .expect_err("over 4 MiB");
    assert_eq!(
        err.code(),
        Code::OutOfRange,
        "tonic refuses the length prefix: {err:?}"
    );
}

/// The JSON face serves the same matrix as gRPC (proto3 JSON: int64 as strings), answers
/// errors as JSON with a status name, refuses a body over the limit, and serves /openapi.json
/// and /metrics.
async fn json_face(server: &Server) {
    let base = server.url();
    let body = serde_json::json!({
        "origins": [{"latitude": VADUZ_A.0, "longitude": VADUZ_A.1}],
        "destinations": [{"latitude": VADUZ_B.0, "longitude": VADUZ_B.1}],
    });
    let resp = http_post(
        &format!("{base}/v1/roads:matrix"),
        Some("acme-admin-key"),
        &body.to_string(),
    )
    .await;
    assert_eq!(resp.0, 200, "{}", resp.1);
    let json: serde_json::Value = serde_json::from_str(&resp.1).expect("JSON");
    let mut c = roads(server).await;
    let grpc = c
        .matrix(with_key(
            pb::MatrixRequest {
                origins: vec![ll(VADUZ_A)],
                destinations: vec![ll(VADUZ_B)],
                ..Default::default()
            },
            "acme-admin-key",
        ))
        .await
        .expect("matrix")
        .into_inner();
    assert_eq!(
        json["durationMs"][0],
        serde_json::json!(grpc.duration_ms[0].to_string())
    );
    let resp = http_post(&format!("{base}/v1/roads:matrix"), None, &body.to_string()).await;
    assert_eq!(resp.0, 401);
    assert!(resp.1.contains("UNAUTHENTICATED"));
    let resp = http_post(
        &format!("{base}/v1/roads:matrix"),
        Some("acme-admin-key"),
        "{not json",
    )
    .await;
    assert_eq!(resp.0, 400);
    assert!(resp.1.contains("INVALID_ARGUMENT"));
    let big = "x".repeat(5 * 1024 * 1024);
    let resp = http_post(
        &format!("{base}/v1/roads:matrix"),
        Some("acme-admin-key"),
        &big,
    )
    .await;
    assert_eq!(resp.0, 413);
    let doc = http_get(&format!("{base}/openapi.json")).await;
    let doc: serde_json::Value = serde_json::from_str(&doc).expect("OpenAPI JSON");
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/v1/roads:matrix"]["post"].is_object());
    assert!(doc["components"]["schemas"]["MatrixRequest"]["properties"]["origins"].is_object());
    let metrics = http_get(&format!("{base}/metrics")).await;
    assert!(
        metrics.contains("milkrun_calls_total{method=\"milkrun.v1.Roads/Matrix\",code=\"OK\"}"),
        "{metrics}"
    );
}

/// The OSRM and VROOM faces: OSRM's table and route give the Roads service's numbers for the
/// same points; errors use OSRM's codes; a VROOM problem comes back with every job once or
/// unassigned, loads within capacity and service inside the windows (rechecked here from the
/// steps); the `--compat-listen` port answers without credentials as tenant `acme`, with the
/// same numbers; the main port refuses a call without a key.
async fn compat_faces(server: &Server) {
    let points = [VADUZ_A, VADUZ_B, VADUZ_C];
    let mut client = roads(server).await;
    let m = client
        .matrix(with_key(matrix_req(&points), "acme-admin-key"))
        .await
        .expect("matrix")
        .into_inner();
    let coords = points
        .iter()
        .map(|(lat, lon)| format!("{lon},{lat}"))
        .collect::<Vec<_>>()
        .join(";");
    let table_path = format!("/osrm/table/v1/driving/{coords}?annotations=duration,distance");
    let check_table = |body: &str| {
        let t: serde_json::Value = serde_json::from_str(body).expect("OSRM JSON");
        assert_eq!(t["code"], "Ok", "{body}");
        for i in 0..3 {
            for j in 0..3 {
                let k = i * 3 + j;
                let d = t["durations"][i][j].as_f64().expect("a duration");
                let want = m.duration_ms[k] as f64 / 1000.0;
                assert!((d - want).abs() < 1e-6, "duration {i},{j}: {d} vs {want}");
                let dist = t["distances"][i][j].as_f64().expect("a distance");
                let want = m.distance_m[k] as f64;
                assert!(
                    (dist - want).abs() <= 0.5,
                    "distance {i},{j}: {dist} vs {want}"
                );
            }
        }
        t
    };
    let (status, body) = http_request(
        &format!("{}{table_path}", server.url()),
        "GET",
        Some("acme-admin-key"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let table = check_table(&body);
    assert_eq!(table["sources"].as_array().map(Vec::len), Some(3));

    // The route A -> B: one leg, as long as the table's cell.
    let (status, body) = http_request(
        &format!(
            "{}/osrm/route/v1/car/{}?overview=full&geometries=geojson",
            server.url(),
            coords.split(';').take(2).collect::<Vec<_>>().join(";")
        ),
        "GET",
        Some("acme-admin-key"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let route: serde_json::Value = serde_json::from_str(&body).expect("OSRM JSON");
    let leg = &route["routes"][0]["legs"][0];
    let want = m.duration_ms[1] as f64 / 1000.0;
    assert!(
        (leg["duration"].as_f64().expect("a duration") - want).abs() < 1e-6,
        "{body}"
    );
    assert!(
        route["routes"][0]["geometry"]["coordinates"]
            .as_array()
            .is_some_and(|c| c.len() >= 2),
        "{body}"
    );

    // OSRM's errors: a point in the sea with a 100 m radius, an unknown profile, no key.
    let (status, body) = http_request(
        &format!(
            "{}/osrm/table/v1/car/0,0;{}?radiuses=100;100",
            server.url(),
            coords.split(';').next().unwrap_or_default()
        ),
        "GET",
        Some("acme-admin-key"),
        "",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"NoSegment\""), "{body}");
    let (status, body) = http_request(
        &format!("{}/osrm/table/v1/hovercraft/{coords}", server.url()),
        "GET",
        Some("acme-admin-key"),
        "",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        http_request(&format!("{}{table_path}", server.url()), "GET", None, "").await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Unauthenticated"), "{body}");

    // VROOM: 4 jobs, 2 vehicles of capacity 2, one job's window binds, one job too big.
    let problem = serde_json::json!({
        "vehicles": [
            {"id": 1, "start_index": 0, "end_index": 0, "capacity": [2], "time_window": [0, 10000]},
            {"id": 2, "start_index": 0, "end_index": 0, "capacity": [2], "time_window": [0, 10000]}
        ],
        "jobs": [
            {"id": 10, "location_index": 1, "service": 60, "delivery": [1]},
            {"id": 11, "location_index": 2, "service": 60, "delivery": [1],
             "time_windows": [[500, 900]]},
            {"id": 12, "location_index": 3, "service": 60, "delivery": [1]},
            {"id": 13, "location_index": 4, "service": 60, "delivery": [3]}
        ],
        "matrices": {"car": {"durations": [
            [0, 100, 200, 300, 400],
            [100, 0, 100, 200, 300],
            [200, 100, 0, 100, 200],
            [300, 200, 100, 0, 100],
            [400, 300, 200, 100, 0]
        ]}}
    });
    let windows: HashMap<i64, (i64, i64)> = [(11, (500, 900))].into_iter().collect();
    let check_vroom = |body: &str| {
        let out: serde_json::Value = serde_json::from_str(body).expect("VROOM JSON");
        assert_eq!(out["code"], 0, "{body}");
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for r in out["routes"].as_array().expect("routes") {
            for step in r["steps"].as_array().expect("steps") {
                let load = step["load"][0].as_i64().unwrap_or(0);
                assert!((0..=2).contains(&load), "load {load} over capacity: {body}");
                if step["type"] == "job" {
                    let id = step["id"].as_i64().expect("a job id");
                    *seen.entry(id).or_default() += 1;
                    let start = step["arrival"].as_i64().expect("arrival")
                        + step["waiting_time"].as_i64().unwrap_or(0);
                    if let Some(&(a, b)) = windows.get(&id) {
                        assert!(
                            a <= start && start <= b,
                            "job {id} served at {start}: {body}"
                        );
                    }
                }
            }
        }
        for u in out["unassigned"].as_array().expect("unassigned") {
            *seen.entry(u["id"].as_i64().expect("an id")).or_default() += 1;
        }
        for id in [10, 11, 12, 13] {
            assert_eq!(seen.get(&id), Some(&1), "job {id} once: {body}");
        }
        assert!(
            out["unassigned"]
                .as_array()
                .is_some_and(|u| u.iter().any(|j| j["id"] == 13)),
            "job 13 cannot fit: {body}"
        );
    };
    let (status, body) = http_post(
        &format!("{}/vroom", server.url()),
        Some("acme-admin-key"),
        &problem.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    check_vroom(&body);
    let (status, body) = http_post(
        &format!("{}/vroom", server.url()),
        Some("acme-admin-key"),
        r#"{"vehicles": [{"id": 1, "capacity": [NaN]}]}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"code\":2"), "{body}");

    // The compat port: no credentials, tenant acme, the same numbers.
    let compat = server.compat_addr.as_deref().expect("a compat port");
    let (status, body) =
        http_request(&format!("http://{compat}{table_path}"), "GET", None, "").await;
    assert_eq!(status, 200, "{body}");
    check_table(&body);
    let (status, body) = http_post(
        &format!("http://{compat}/vroom"),
        None,
        &problem.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    check_vroom(&body);
    // Only the faces are served there.
    let (status, _) = http_post(&format!("http://{compat}/v1/roads:matrix"), None, "{}").await;
    assert_eq!(status, 404);
}

/// A minimal HTTP/1.1 client over a loopback socket (status, body).
async fn http_request(url: &str, method: &str, key: Option<&str>, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http url");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut s = tokio::net::TcpStream::connect(host)
        .await
        .expect("connects");
    let auth = key
        .map(|k| format!("authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("writes");
    // The server may answer (413) and close before reading a big body.
    let _ = s.write_all(body.as_bytes()).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

async fn http_post(url: &str, key: Option<&str>, body: &str) -> (u16, String) {
    http_request(url, "POST", key, body).await
}

async fn http_get(url: &str) -> String {
    let (status, body) = http_request(url, "GET", None, "").await;
    assert_eq!(status, 200, "{url}: {body}");
    body
}

/// The dairy layer's engine in process and through the server give the same night: the same
/// snapped distances and matrix, the same routes from scratch for 36 households on the
/// shipped Liechtenstein roads (work limits bind, so the plan is deterministic), then the
/// same stable re-plan of the next day (three households gone, two new), which keeps most
/// households with yesterday's courier. A request the server refuses names the field.
async fn night_in_process_and_remote(server: &Server) {
    use milkrun_dairy::engine::*;
    use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
    use milkrun_dairy::ids::{CourierId, HouseholdId};
    use milkrun_service::serve::client::GrpcEngine;
    use milkrun_station::night::LocalEngine;
    use std::sync::Arc;

    let started = std::time::Instant::now();
    let osm = milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf");
    let roads = Arc::new(milkrun_station::road::road_engine(&osm).expect("the extract imports"));
    let local = LocalEngine::new(Arc::clone(&roads));
    let remote = GrpcEngine::new(channel(server).await, "beta-admin-key").expect("a key");
    // Road nodes around Vaduz, every k-th in node order: 41 candidate households.
    let near: Vec<(f64, f64)> = milkrun_station::road::road_points(&roads)
        .into_iter()
        .filter(|&(lat, lon)| (lat - 47.14).abs() < 0.012 && (lon - 9.52).abs() < 0.012)
        .collect();
    assert!(near.len() > 200, "{} road points near Vaduz", near.len());
    let step = near.len() / 41;
    let point = |k: usize| {
        let (lat, lon) = near[k * step];
        GeoPoint::new(lat, lon).expect("a road point")
    };
    let stop = |k: usize| PlanStop {
        household: HouseholdId(k as i64 + 1),
        point: point(k),
        window: DeliveryWindow::new(5 * 3600 + (k as i64 % 3) * 1800, 8 * 3600).expect("a window"),
        quantity: 1 + (k as u32 % 3),
        service_s: 40,
        previous: None,
    };
    let couriers: Vec<PlanCourier> = (1..=3)
        .map(|c| PlanCourier {
            id: CourierId(c),
            capacity: 40,
            shift_start_s: 4 * 3600 + 1800,
            shift_end_s: 9 * 3600,
        })
        .collect();
    let limits = PlanLimits {
        time_limit_ms: 60_000,
        seed: 7,
        solver_iterations: 300,
        polish_iterations: 100,
    };
    let first = PlanRequest {
        depot: GeoPoint::new(VADUZ_A.0, VADUZ_A.1).expect("a point"),
        stops: (0..36).map(stop).collect(),
        couriers,
        max_snap_m: 500.0,
        stability: None,
        limits,
    };
    let pts: Vec<GeoPoint> = first.stops.iter().take(5).map(|s| s.point).collect();
    assert_eq!(
        local.snap(&pts, 500.0).await.expect("local snap"),
        remote.snap(&pts, 500.0).await.expect("remote snap")
    );
    assert_eq!(
        local.matrix(&pts, 500.0).await.expect("local matrix"),
        remote.matrix(&pts, 500.0).await.expect("remote matrix")
    );
    let a = local.plan(&first).await.expect("in-process plan");
    let b = remote.plan(&first).await.expect("remote plan");
    assert_eq!(a, b, "the same night in process and through the server");
    assert!(a.unserved.is_empty(), "{:?}", a.unserved);
    assert!(a.dist_m() > 0);
    // The next day: households 0-2 paused, 36 and 37 new; the rest keep yesterday's plan.
    let mut previous = std::collections::HashMap::new();
    for r in &a.routes {
        for v in &r.visits {
            previous.insert(
                v.stop as usize,
                Previous {
                    courier: r.courier,
                    arrival_s: v.arrival_s,
                },
            );
        }
    }
    let second = PlanRequest {
        stops: (3..38)
            .map(|k| PlanStop {
                previous: previous.get(&k).copied(),
                ..stop(k)
            })
            .collect(),
        stability: Some(Stability::default()),
        ..first.clone()
    };
    let a2 = local.plan(&second).await.expect("in-process stable plan");
    let b2 = remote.plan(&second).await.expect("remote stable plan");
    assert_eq!(
        a2, b2,
        "the same stable night in process and through the server"
    );
    let kept = a2
        .routes
        .iter()
        .flat_map(|r| r.visits.iter().map(move |v| (r.courier, v.stop as usize)))
        .filter(|&(c, s)| second.stops[s].previous.is_some_and(|p| p.courier == c))
        .count();
    assert!(kept >= 30, "{kept} of 33 households keep their courier");
    eprintln!(
        "night: {kept} of 33 households keep their courier, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Bad input is refused by the server, naming the field.
    let mut bad = to_bad_request(&first);
    bad.stops[0].quantity = 0;
    let err = RoutesClient::new(channel(server).await)
        .plan_day(with_key(bad, "beta-admin-key"))
        .await
        .expect_err("a zero quantity is refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("quantity"), "{}", err.message());
}

/// A plan request as the server's message (through the client's own conversion).
fn to_bad_request(r: &milkrun_dairy::engine::PlanRequest) -> pb::PlanDayRequest {
    milkrun_service::serve::convert::day::to_message(r, pb::Priority::Batch)
}

/// Everything above against one server, which is still healthy at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_end_to_end_on_loopback() {
    let config = write_config("e2e");
    let server = start(&[
        "--config",
        config.to_str().expect("a UTF-8 path"),
        "--compat-listen",
        "127.0.0.1:0",
    ]);
    eprintln!("started on {}", server.addr);
    eprintln!("step: health");
    health(&server).await;
    eprintln!("step: reflection");
    reflection(&server).await;
    eprintln!("step: snap_matrix_route");
    snap_matrix_route(&server).await;
    eprintln!("step: traffic_and_isolation");
    traffic_and_isolation(&server).await;
    eprintln!("step: optimize");
    optimize(&server).await;
    eprintln!("step: hostile");
    hostile(&server).await;
    eprintln!("step: json_face");
    json_face(&server).await;
    eprintln!("step: compat_faces");
    compat_faces(&server).await;
    eprintln!("step: night_in_process_and_remote");
    night_in_process_and_remote(&server).await;
    health(&server).await;
}

/// A compact HS256 JWT (RFC 7519), signed here with the hmac and sha2 crates directly rather
/// than with the server's own code.
fn hs256_token(claims_json: &str, secret: &[u8]) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use hmac::Mac as _;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims_json.as_bytes())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}
