//! `milkrun serve` end to end on loopback: the real binary, a tonic client and plain HTTP.
//! One server serves every check of this file (starting one prepares three road networks).
use crate::serve_support;

use std::collections::HashMap;

use milkrun_service::serve::proto::v1 as pb;
use pb::day_event::Kind;
use pb::dispatch_client::DispatchClient;
use pb::roads_client::RoadsClient;
use pb::routes_client::RoutesClient;
use serve_support::{
    day_event, day_request, start, temp_db, write_config, Server, ACME_JWT_SECRET, VADUZ_A,
    VADUZ_B, VADUZ_C,
};
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
    for service in [
        "",
        "milkrun.v1.Roads",
        "milkrun.v1.Routes",
        "milkrun.v1.Dispatch",
    ] {
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
    // Door to door (the default) against road only: a cell between two different points
    // adds both access legs (each point's access distance reported beside its snap
    // distance); the same point is 0 either way; the route's geometry runs door to door; a
    // bad access speed is refused naming the field.
    let road = c
        .matrix(with_key(
            pb::MatrixRequest {
                road_only: true,
                ..matrix_req(&[VADUZ_A, VADUZ_B])
            },
            "acme-admin-key",
        ))
        .await
        .expect("road-only matrix")
        .into_inner();
    assert_eq!(road.duration_ms[0], 0);
    let legs_m = m.origin_status[0].access_distance_m + m.destination_status[1].access_distance_m;
    for s in m.origin_status.iter().chain(&m.destination_status) {
        assert!(
            s.on_road && s.access_distance_m + 0.01 >= s.snap_distance_m,
            "{s:?}"
        );
    }
    assert!(legs_m > 0.0);
    assert!(m.distance_m[1] as f64 >= road.distance_m[1] as f64 + legs_m - 1.0);
    assert!(m.duration_ms[1] >= road.duration_ms[1] + (legs_m / 1.3 * 1000.0) as i64 - 1);
    let walk = c
        .route(with_key(
            pb::RouteRequest {
                waypoints: vec![ll(VADUZ_A), ll(VADUZ_B)],
                road_only: true,
                ..Default::default()
            },
            "acme-admin-key",
        ))
        .await
        .expect("road-only route")
        .into_inner();
    assert_eq!(walk.duration_ms, road.duration_ms[1]);
    // The geometry runs door to door by default (its first and last points are the
    // waypoints), road only from road position to road position (the snapped points).
    let points_of = |r: &pb::RouteResponse| match &r.geometry {
        Some(pb::route_response::Geometry::Points(p)) => p.points.clone(),
        other => panic!("points expected: {other:?}"),
    };
    let door = c
        .route(with_key(
            pb::RouteRequest {
                waypoints: vec![ll(VADUZ_A), ll(VADUZ_B)],
                ..Default::default()
            },
            "acme-admin-key",
        ))
        .await
        .expect("door-to-door route")
        .into_inner();
    let line = points_of(&door);
    assert_eq!(line.first(), Some(&ll(VADUZ_A)));
    assert_eq!(line.last(), Some(&ll(VADUZ_B)));
    let line = points_of(&walk);
    assert_eq!(line.first(), snapped.points[0].location.as_ref());
    assert_eq!(line.last(), snapped.points[1].location.as_ref());
    assert_ne!(line.first(), Some(&ll(VADUZ_A)));
    for bad in [f64::NAN, -1.0, 0.01, 1e6] {
        let err = c
            .matrix(with_key(
                pb::MatrixRequest {
                    access_speed_mps: bad,
                    ..matrix_req(&[VADUZ_A, VADUZ_B])
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("bad access speed");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(
            err.message().contains("access_speed_mps"),
            "{}",
            err.message()
        );
    }
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

pub(crate) fn small_model() -> pb::ShipmentModel {
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
pub(crate) fn recheck(model: &pb::ShipmentModel, plan: &pb::OptimizeResponse) {
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

/// `p` (lat, lon) moved `east_m` east and `north_m` north.
fn offset(p: (f64, f64), east_m: f64, north_m: f64) -> (f64, f64) {
    let k = 6_371_008.8 * std::f64::consts::PI / 180.0;
    (
        p.0 + north_m / k,
        p.1 + east_m / (k * p.0.to_radians().cos()),
    )
}

/// Two different doors that the server's car roads snap to one road position (found with
/// Roads.Snap among points 6 m around a grid of places near Vaduz), each 3 to 50 m from
/// that position.
pub(crate) async fn doors_on_one_road_position(
    server: &Server,
    key: &str,
) -> ((f64, f64), (f64, f64)) {
    let mut candidates = Vec::new();
    for gx in 0..6 {
        for gy in 0..6 {
            let centre = offset(VADUZ_C, f64::from(gx) * 150.0, f64::from(gy) * 150.0);
            for k in 0..12 {
                let a = f64::from(k) * std::f64::consts::TAU / 12.0;
                candidates.push(offset(centre, 6.0 * a.cos(), 6.0 * a.sin()));
            }
        }
    }
    let snapped = roads(server)
        .await
        .snap(with_key(
            pb::SnapRequest {
                points: candidates.iter().copied().map(ll).collect(),
                max_snap_m: 5_000.0,
                ..Default::default()
            },
            key,
        ))
        .await
        .expect("snap")
        .into_inner()
        .points;
    for group in (0..candidates.len()).collect::<Vec<_>>().chunks(12) {
        for (x, &i) in group.iter().enumerate() {
            for &j in &group[x + 1..] {
                let (a, b) = (&snapped[i], &snapped[j]);
                let near = |d: f64| (3.0..50.0).contains(&d);
                if a.location == b.location && near(a.node_distance_m) && near(b.node_distance_m) {
                    return (candidates[i], candidates[j]);
                }
            }
        }
    }
    panic!("no two doors on one road position near Vaduz");
}

/// Door to door in Routes.Optimize and the VROOM face (issue #25): two shipments whose doors
/// snap to one road position are their two access legs apart in the optimized route (never
/// 0 s; the legs at 1.3 m/s from the access distances the reply reports for each shipment,
/// rounded up), each location's snap reported; `road_only` gives the old 0 s between them;
/// a bad access speed is refused naming the field. The VROOM face on the same doors: the
/// same gap by default, 0 with `?road_only=true`, and each step's snap distance.
async fn optimize_door_to_door(server: &Server) {
    let (a, b) = doors_on_one_road_position(server, "acme-admin-key").await;
    let c = RoutesClient::connect(server.url()).await.expect("connects");
    let visit = |label: &str, at: (f64, f64)| pb::Shipment {
        label: label.into(),
        delivery: Some(pb::VisitRequest {
            location: Some(ll(at)),
            duration_s: 30,
            ..Default::default()
        }),
        ..Default::default()
    };
    let model = pb::ShipmentModel {
        shipments: vec![visit("a", a), visit("b", b)],
        vehicles: vec![pb::Vehicle {
            label: "trike".into(),
            start_location: Some(ll(VADUZ_A)),
            end_location: Some(ll(VADUZ_A)),
            cost_per_second: 1,
            ..Default::default()
        }],
        ..Default::default()
    };
    let plan = |model: pb::ShipmentModel| {
        let mut c = c.clone();
        async move {
            c.optimize(with_key(
                pb::OptimizeRequest {
                    model: Some(model),
                    time_limit_s: 1.0,
                    seed: 1,
                    ..Default::default()
                },
                "acme-admin-key",
            ))
            .await
        }
    };
    // The gap between the two visits: arrival at the second less the first's departure.
    let gap = |p: &pb::OptimizeResponse| {
        let v = &p.routes[0].visits;
        assert_eq!(v.len(), 2, "{p:?}");
        v[1].arrival_s - v[0].departure_s
    };
    let door = plan(model.clone()).await.expect("optimize").into_inner();
    assert_eq!(door.shipment_snaps.len(), 2, "{door:?}");
    assert_eq!(door.vehicle_snaps.len(), 1, "{door:?}");
    assert!(door.vehicle_snaps[0].start.is_some() && door.vehicle_snaps[0].end.is_some());
    let access: Vec<f64> = door
        .shipment_snaps
        .iter()
        .map(|s| {
            let d = s.delivery.as_ref().expect("the delivery's snap");
            assert!(s.pickup.is_none());
            assert!(
                d.on_road && d.access_distance_m + 0.01 >= d.snap_distance_m,
                "{d:?}"
            );
            d.access_distance_m
        })
        .collect();
    let leg_ms = |m: f64| (m / 1.3 * 1000.0).ceil() as i64;
    let want = (leg_ms(access[0]) + leg_ms(access[1]) + 999) / 1000;
    assert!(want > 0);
    assert_eq!(gap(&door), want, "{door:?}");
    let road = plan(pb::ShipmentModel {
        road_only: true,
        ..model.clone()
    })
    .await
    .expect("road-only optimize")
    .into_inner();
    assert_eq!(gap(&road), 0, "{road:?}");
    let slow = plan(pb::ShipmentModel {
        access_speed_mps: 0.5,
        ..model.clone()
    })
    .await
    .expect("slow optimize")
    .into_inner();
    assert!(gap(&slow) > want, "{slow:?}");
    let err = plan(pb::ShipmentModel {
        access_speed_mps: f64::NAN,
        ..model
    })
    .await
    .expect_err("a NaN speed");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("model.access_speed_mps"), "{err:?}");

    // The VROOM face on the same doors.
    let loc = |p: (f64, f64)| serde_json::json!([p.1, p.0]);
    let problem = serde_json::json!({
        "vehicles": [{"id": 1, "start": loc(VADUZ_A), "end": loc(VADUZ_A)}],
        "jobs": [
            {"id": 1, "location": loc(a), "service": 30},
            {"id": 2, "location": loc(b), "service": 30}
        ]
    })
    .to_string();
    let vroom_gap = |body: &str| {
        let out: serde_json::Value = serde_json::from_str(body).expect("VROOM JSON");
        let steps = out["routes"][0]["steps"].as_array().expect("steps").clone();
        assert_eq!(steps.len(), 4, "{body}");
        let n = |s: &serde_json::Value, k: &str| s[k].as_i64().unwrap_or(0);
        (
            n(&steps[2], "arrival")
                - n(&steps[1], "arrival")
                - n(&steps[1], "waiting_time")
                - n(&steps[1], "service"),
            steps,
        )
    };
    let (status, body) = http_post(
        &format!("{}/vroom", server.url()),
        Some("acme-admin-key"),
        &problem,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (g, steps) = vroom_gap(&body);
    assert_eq!(g, want, "{body}");
    for s in &steps[1..3] {
        assert!(s["access_distance"].as_f64().unwrap_or(0.0) > 3.0, "{body}");
        assert!(s["snap_distance"].as_f64().is_some(), "{body}");
    }
    let (status, body) = http_post(
        &format!("{}/vroom?road_only=true", server.url()),
        Some("acme-admin-key"),
        &problem,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(vroom_gap(&body).0, 0, "{body}");
    let (status, body) = http_post(
        &format!("{}/vroom?access_speed_mps=-1", server.url()),
        Some("acme-admin-key"),
        &problem,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("access_speed_mps"), "{body}");
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
    // A point far from every road (north of the extract): its row and column are -1 and its
    // status says how far it is; the other cells are computed. Strict mode fails the call
    // naming the point.
    let far = serde_json::json!({"latitude": 47.6, "longitude": 9.4});
    let a = serde_json::json!({"latitude": VADUZ_A.0, "longitude": VADUZ_A.1});
    let b = serde_json::json!({"latitude": VADUZ_B.0, "longitude": VADUZ_B.1});
    let partial = serde_json::json!({"origins": [a, far, b], "destinations": [a, far, b]});
    let resp = http_post(
        &format!("{base}/v1/roads:matrix"),
        Some("acme-admin-key"),
        &partial.to_string(),
    )
    .await;
    assert_eq!(resp.0, 200, "{}", resp.1);
    let m: serde_json::Value = serde_json::from_str(&resp.1).expect("JSON");
    let cell = |i: usize, j: usize| -> i64 {
        m["durationMs"][i * 3 + j]
            .as_str()
            .expect("int64 as a string")
            .parse()
            .expect("a number")
    };
    // proto3 JSON leaves a false bool out
    assert_ne!(
        m["originStatus"][1]["onRoad"],
        serde_json::json!(true),
        "{m}"
    );
    assert!(
        m["originStatus"][1]["snapDistanceM"]
            .as_f64()
            .expect("a distance")
            > 500.0
    );
    assert_eq!(m["destinationStatus"][0]["onRoad"], serde_json::json!(true));
    for k in 0..3 {
        assert_eq!((cell(1, k), cell(k, 1)), (-1, -1), "far row and column");
    }
    assert_eq!(cell(0, 2).to_string(), grpc.duration_ms[0].to_string());
    let mut strict = partial.clone();
    strict["strict"] = serde_json::json!(true);
    let resp = http_post(
        &format!("{base}/v1/roads:matrix"),
        Some("acme-admin-key"),
        &strict.to_string(),
    )
    .await;
    assert_eq!(resp.0, 400, "{}", resp.1);
    assert!(resp.1.contains("origins[1]"), "{}", resp.1);
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
    // OSRM's faces give road-only values, as OSRM does.
    let m = client
        .matrix(with_key(
            pb::MatrixRequest {
                road_only: true,
                ..matrix_req(&points)
            },
            "acme-admin-key",
        ))
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

async fn dispatch(server: &Server) -> DispatchClient<Channel> {
    DispatchClient::new(channel(server).await)
}

fn delivered(stop: &str) -> Kind {
    Kind::Delivered(pb::Delivered {
        stop_label: stop.into(),
    })
}

fn apply(day_id: &str, events: Vec<pb::DayEvent>) -> pb::ApplyEventsRequest {
    pb::ApplyEventsRequest {
        day_id: day_id.into(),
        events,
    }
}

fn get(day_id: &str) -> pb::GetDayRequest {
    pb::GetDayRequest {
        day_id: day_id.into(),
    }
}

/// The live day over gRPC: opened at version 1 with every stop planned; a delivery moves it
/// to version 2 and the stop to DONE; the same event id again answers version 2 as replayed
/// and changes nothing; a stale expected version is ABORTED; a courier sees only its route
/// and cannot report another courier's stop (PERMISSION_DENIED), but reports its own
/// position; a courier's expected version is checked against its own route (the other
/// courier, whose route the delivery left alone, is not ABORTED at version 1; the owner, whose
/// route it changed, is); the analyst reads but cannot send events; tenant `beta` gets NOT_FOUND for
/// `acme`'s day; a watcher gets the current version, then the next one; the live-days quota
/// answers RESOURCE_EXHAUSTED with retry info until a day is closed; a closed day is gone.
async fn live_day(server: &Server) {
    let mut c = dispatch(server).await;
    let day = c
        .open_day(with_key(day_request(), "acme-admin-key"))
        .await
        .expect("a day opens")
        .into_inner();
    assert_eq!((day.plan_version, day.open), (1, true));
    let id = day.day_id.clone();
    // Every stop is planned once; the plan may have been improved, so who serves `s1` is
    // read from it.
    let mut planned: Vec<String> = day
        .routes
        .iter()
        .flat_map(|r| r.planned.iter().chain(std::iter::once(&r.next)))
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    planned.sort();
    assert_eq!(planned, ["s1", "s2", "s3"]);
    let owner = day
        .stops
        .iter()
        .find(|s| s.label == "s1")
        .map(|s| s.courier_label.clone())
        .expect("s1 is planned");
    let other = if owner == "c1" { "c2" } else { "c1" };
    let owner_key = format!("acme-courier-{owner}");
    let other_key = format!("acme-courier-{other}");
    let route_of = |d: &pb::Day, c: &str| {
        d.routes
            .iter()
            .find(|r| r.courier_label == c)
            .map(|r| (r.next.clone(), r.planned.clone()))
    };
    let other_at_1 = route_of(&day, other);
    let mut watch = c
        .watch_day(with_key(get(&id), "acme-analyst-key"))
        .await
        .expect("watch starts")
        .into_inner();
    let first = watch
        .message()
        .await
        .expect("a message")
        .expect("the day now");
    assert_eq!(first.plan_version, 1);
    let r = c
        .apply_events(with_key(
            apply(&id, vec![day_event("e1", 1, 23_000, delivered("s1"))]),
            &owner_key,
        ))
        .await
        .expect("s1's courier delivers it")
        .into_inner();
    assert_eq!(
        (r.results[0].plan_version, r.results[0].replayed),
        (2, false)
    );
    let day = r.day.expect("the day");
    let s1 = day.stops.iter().find(|s| s.label == "s1").expect("s1");
    assert_eq!(s1.status, pb::StopStatus::Done as i32);
    let next = watch
        .message()
        .await
        .expect("a message")
        .expect("version 2");
    assert_eq!(next.plan_version, 2);
    drop(watch);
    let again = c
        .apply_events(with_key(
            apply(&id, vec![day_event("e1", 1, 23_000, delivered("s1"))]),
            "acme-admin-key",
        ))
        .await
        .expect("a replayed id answers")
        .into_inner();
    assert_eq!(
        (again.results[0].plan_version, again.results[0].replayed),
        (2, true)
    );
    assert_eq!(again.day.expect("the day").plan_version, 2);
    let err = c
        .apply_events(with_key(
            apply(&id, vec![day_event("e2", 1, 23_100, delivered("s2"))]),
            "acme-admin-key",
        ))
        .await
        .expect_err("stale version");
    assert_eq!(err.code(), Code::Aborted);
    let err = c
        .apply_events(with_key(
            apply(&id, vec![day_event("e3", 2, 23_100, delivered("s1"))]),
            &other_key,
        ))
        .await
        .expect_err("s1 is on the other courier's route");
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = c
        .apply_events(with_key(
            apply(
                &id,
                vec![day_event(
                    "e3",
                    2,
                    23_100,
                    Kind::Breakdown(pb::Breakdown {
                        courier_label: owner.clone(),
                    }),
                )],
            ),
            &other_key,
        ))
        .await
        .expect_err("a courier cannot break another's trike");
    assert_eq!(err.code(), Code::PermissionDenied);
    // The delivery changed the owner's route only (checked, as the test relies on it).
    let at_2 = c
        .get_day(with_key(get(&id), "acme-admin-key"))
        .await
        .expect("the day at version 2")
        .into_inner();
    assert_eq!(at_2.plan_version, 2);
    assert_eq!(route_of(&at_2, other), other_at_1);
    let err = c
        .apply_events(with_key(
            apply(
                &id,
                vec![day_event(
                    "e4-owner",
                    1,
                    23_200,
                    Kind::Position(pb::Position {
                        courier_label: owner.clone(),
                        at_stop_label: String::new(),
                    }),
                )],
            ),
            &owner_key,
        ))
        .await
        .expect_err("the owner's route changed after version 1");
    assert_eq!(err.code(), Code::Aborted);
    let own = c
        .apply_events(with_key(
            apply(
                &id,
                vec![day_event(
                    "e4",
                    1,
                    23_200,
                    Kind::Position(pb::Position {
                        courier_label: other.into(),
                        at_stop_label: String::new(),
                    }),
                )],
            ),
            &other_key,
        ))
        .await
        .expect("a courier reports its own position")
        .into_inner();
    assert_eq!(own.results[0].plan_version, 3);
    let mine = c
        .get_day(with_key(get(&id), &other_key))
        .await
        .expect("a courier reads the day")
        .into_inner();
    assert_eq!(mine.routes.len(), 1);
    assert_eq!(mine.routes[0].courier_label, other);
    assert!(
        mine.stops.iter().all(|s| s.courier_label == other),
        "{mine:?}"
    );
    assert!(
        mine.stops.iter().all(|s| s.label != "s1"),
        "s1 is not the courier's: {mine:?}"
    );
    let err = c
        .apply_events(with_key(
            apply(&id, vec![day_event("e5", 3, 23_300, delivered("s2"))]),
            "acme-analyst-key",
        ))
        .await
        .expect_err("read-only");
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = c
        .get_day(with_key(get(&id), "beta-admin-key"))
        .await
        .expect_err("another tenant's day");
    assert_eq!(err.code(), Code::NotFound);
    let err = c
        .apply_events(with_key(
            apply(&id, vec![day_event("e6", 3, 23_300, delivered("s2"))]),
            "beta-admin-key",
        ))
        .await
        .expect_err("another tenant's day");
    assert_eq!(err.code(), Code::NotFound);
    let full = c
        .get_day(with_key(get(&id), "acme-admin-key"))
        .await
        .expect("the admin reads the day")
        .into_inner();
    assert_eq!(
        (full.plan_version, full.routes.len(), full.stops.len()),
        (3, 2, 3)
    );
    // The live-days quota of `solo` is 1.
    let solo = c
        .open_day(with_key(day_request(), "solo-key"))
        .await
        .expect("solo's first day")
        .into_inner();
    let err = c
        .open_day(with_key(day_request(), "solo-key"))
        .await
        .expect_err("a second day is over the quota");
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.get_details_retry_info().is_some());
    let closed = c
        .close_day(with_key(get_close(&solo.day_id), "solo-key"))
        .await
        .expect("closes")
        .into_inner();
    assert!(!closed.open);
    let err = c
        .get_day(with_key(get(&solo.day_id), "solo-key"))
        .await
        .expect_err("closed");
    assert_eq!(err.code(), Code::NotFound);
    c.open_day(with_key(day_request(), "solo-key"))
        .await
        .expect("room for a day again");
}

/// The stateless re-plan: `c1` has served `s1` and has `s2` left, `s3` is on no route; the
/// answer keeps `s1` done by `c1` and `s2` as its next stop, and places `s3` on a route.
/// An arrival after the freeze time is INVALID_ARGUMENT naming it.
async fn stateless_replan(server: &Server) {
    let mut c = dispatch(server).await;
    let base = day_request();
    let req = pb::ReplanRequest {
        depot: base.depot,
        stops: base.stops,
        couriers: base.couriers,
        routes: vec![pb::RouteUnderWay {
            courier_label: "c1".into(),
            executed: vec![pb::ExecutedStop {
                stop_label: "s1".into(),
                arrival_s: 23_000,
            }],
            planned_stop_labels: vec!["s2".into()],
        }],
        freeze_time_s: 23_500,
        travel_mode: pb::TravelMode::Car as i32,
        max_snap_m: 0.0,
    };
    let r = c
        .replan(with_key(req.clone(), "acme-admin-key"))
        .await
        .expect("re-planned")
        .into_inner();
    let c1 = r
        .routes
        .iter()
        .find(|x| x.courier_label == "c1")
        .expect("c1");
    assert_eq!(
        (c1.done.as_slice(), c1.next.as_str()),
        (&["s1".to_string()][..], "s2")
    );
    let status = |label: &str| {
        r.stops
            .iter()
            .find(|s| s.label == label)
            .map(|s| (s.status, s.courier_label.clone(), s.eta_s))
            .expect("the stop")
    };
    assert_eq!(
        status("s1"),
        (pb::StopStatus::Done as i32, "c1".into(), Some(23_000))
    );
    let s3 = status("s3");
    assert_eq!(s3.0, pb::StopStatus::Pending as i32);
    assert!(
        !s3.1.is_empty() && s3.2.is_some_and(|t| t > 23_000),
        "{s3:?}"
    );
    let mut late = req;
    late.routes[0].executed[0].arrival_s = 24_000;
    let err = c
        .replan(with_key(late, "acme-admin-key"))
        .await
        .expect_err("served after the freeze");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.get_details_bad_request()
            .expect("a BadRequest")
            .field_violations[0]
            .field,
        "routes[0].executed[0].arrival_s"
    );
}

fn get_close(day_id: &str) -> pb::CloseDayRequest {
    pb::CloseDayRequest {
        day_id: day_id.into(),
    }
}

/// Hostile requests to the Dispatch service, each with its code and field: an event without a
/// kind, a negative and a NaN time (NaN in a location: times are integers), an unknown stop
/// and courier, an empty event id, an unknown day id, too many events, a malformed JSON body,
/// and a plan naming a stop twice.
async fn live_day_hostile(server: &Server) {
    let mut c = dispatch(server).await;
    let id = c
        .open_day(with_key(day_request(), "acme-admin-key"))
        .await
        .expect("a day opens")
        .into_inner()
        .day_id;
    let field_of = |err: &tonic::Status| {
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
        err.get_details_bad_request()
            .expect("a BadRequest")
            .field_violations[0]
            .field
            .clone()
    };
    let mut no_kind = day_event("h1", 1, 23_000, delivered("s1"));
    no_kind.kind = None;
    let cases: Vec<(pb::DayEvent, &str)> = vec![
        (no_kind, "events[0].kind"),
        (day_event("h2", 1, -5, delivered("s1")), "events[0].time_s"),
        (
            day_event("h3", 1, 23_000, delivered("nowhere")),
            "events[0].delivered.stop_label",
        ),
        (
            day_event(
                "h4",
                1,
                23_000,
                Kind::Delay(pb::Delay {
                    courier_label: "ghost".into(),
                    delay_s: 60,
                }),
            ),
            "events[0].delay.courier_label",
        ),
        (
            day_event(
                "h5",
                1,
                23_000,
                Kind::Delay(pb::Delay {
                    courier_label: "c1".into(),
                    delay_s: -60,
                }),
            ),
            "events[0].delay.delay_s",
        ),
        (
            day_event("", 1, 23_000, delivered("s1")),
            "events[0].event_id",
        ),
    ];
    for (event, field) in cases {
        let err = c
            .apply_events(with_key(apply(&id, vec![event]), "acme-admin-key"))
            .await
            .expect_err(field);
        assert_eq!(field_of(&err), field);
    }
    let mut nan = day_request();
    nan.stops[0].location = Some(pb::LatLng {
        latitude: f64::NAN,
        longitude: 9.5,
    });
    let err = c
        .open_day(with_key(nan, "acme-admin-key"))
        .await
        .expect_err("NaN");
    assert_eq!(field_of(&err), "stops[0].location.latitude");
    let mut negative = day_request();
    negative.stops[1].window_start_s = -3_600;
    let err = c
        .open_day(with_key(negative, "acme-admin-key"))
        .await
        .expect_err("negative time");
    assert_eq!(field_of(&err), "stops[1].window_start_s");
    let mut twice = day_request();
    twice.routes[1].stop_labels.push("s1".into());
    let err = c
        .open_day(with_key(twice, "acme-admin-key"))
        .await
        .expect_err("s1 twice");
    assert_eq!(field_of(&err), "routes[1].stop_labels[1]");
    let err = c
        .get_day(with_key(get("day-unknown"), "acme-admin-key"))
        .await
        .expect_err("unknown day");
    assert_eq!(err.code(), Code::NotFound);
    let many = (0..101)
        .map(|i| day_event(&format!("m{i}"), 1, 23_000, delivered("s1")))
        .collect();
    let err = c
        .apply_events(with_key(apply(&id, many), "acme-admin-key"))
        .await
        .expect_err("101 events");
    assert_eq!(field_of(&err), "events");
    let (status, body) = http_post(
        &format!("{}/v1/days:applyEvents", server.url()),
        Some("acme-admin-key"),
        r#"{"dayId": "x", "events": [{"eventId": 7"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Nothing above changed the day.
    let day = c
        .get_day(with_key(get(&id), "acme-admin-key"))
        .await
        .expect("the day")
        .into_inner();
    assert_eq!(day.plan_version, 1);
}

/// The live day over the JSON face (proto3 JSON: uint64 as strings): opened, an event
/// applied, read back, closed; the paths are in /openapi.json.
async fn live_day_json(server: &Server) {
    let base = server.url();
    let ll = |p: (f64, f64)| serde_json::json!({"latitude": p.0, "longitude": p.1});
    let stop = |label: &str, p: (f64, f64)| {
        serde_json::json!({"label": label, "location": ll(p), "bottles": "1", "serviceS": "30",
            "windowStartS": "21600", "windowEndS": "43200"})
    };
    let open = serde_json::json!({
        "depot": ll((47.141, 9.521)),
        "stops": [stop("a", VADUZ_B), stop("b", VADUZ_C)],
        "couriers": [{"label": "k1", "capacity": "10", "shiftStartS": "21600", "shiftEndS": "50400"}],
        "routes": [{"courierLabel": "k1", "stopLabels": ["a", "b"]}],
        "travelMode": "TRAVEL_MODE_CAR",
    });
    let (status, body) = http_post(
        &format!("{base}/v1/days:open"),
        Some("acme-admin-key"),
        &open.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let day: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(day["planVersion"], "1");
    let id = day["dayId"].as_str().expect("a day id").to_string();
    let events = serde_json::json!({"dayId": id, "events": [
        {"eventId": "j1", "expectedPlanVersion": "1", "timeS": "22000",
         "cancel": {"stopLabel": "b"}}]});
    let (status, body) = http_post(
        &format!("{base}/v1/days:applyEvents"),
        Some("acme-admin-key"),
        &events.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let r: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(r["results"][0]["planVersion"], "2");
    let (status, body) = http_post(
        &format!("{base}/v1/days:applyEvents"),
        Some("acme-admin-key"),
        &serde_json::json!({"dayId": id, "events": [{"eventId": "j2", "expectedPlanVersion": "1",
            "timeS": "22000", "cancel": {"stopLabel": "a"}}]})
        .to_string(),
    )
    .await;
    assert_eq!(status, 409, "stale version: ABORTED is 409 {body}");
    let (status, body) = http_post(
        &format!("{base}/v1/days:get"),
        Some("acme-admin-key"),
        &serde_json::json!({"dayId": id}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let day: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let b = day["stops"]
        .as_array()
        .expect("stops")
        .iter()
        .find(|s| s["label"] == "b")
        .expect("b");
    assert_eq!(b["status"], "STOP_STATUS_CANCELLED");
    let (status, body) = http_post(
        &format!("{base}/v1/days:get"),
        Some("beta-admin-key"),
        &serde_json::json!({"dayId": id}).to_string(),
    )
    .await;
    assert_eq!(status, 404, "another tenant: {body}");
    let (status, body) = http_post(
        &format!("{base}/v1/days:close"),
        Some("acme-admin-key"),
        &serde_json::json!({"dayId": id}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value =
        serde_json::from_str(&http_get(&format!("{base}/openapi.json")).await).expect("JSON");
    for path in [
        "/v1/days:open",
        "/v1/days:applyEvents",
        "/v1/days:get",
        "/v1/days:close",
    ] {
        assert!(
            doc["paths"][path]["post"].is_object(),
            "{path} in /openapi.json"
        );
    }
}

/// A server-sent events response read as it comes: HTTP/1.1 with a chunked body, decoded
/// chunk by chunk, then split into events.
struct SseReader {
    socket: tokio::net::TcpStream,
    /// Bytes read and not yet decoded (chunk framing included).
    raw: Vec<u8>,
    /// The decoded body not yet split into events.
    body: String,
    /// The last chunk was read.
    ended: bool,
}

/// One event: its name (`message` when none is given) and its data as JSON.
type SseEvent = (String, serde_json::Value);

impl SseReader {
    /// POSTs `body` to a stream of the JSON face; answers its status and the reader.
    async fn post(url: &str, key: &str, body: &str) -> (u16, SseReader) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rest = url.strip_prefix("http://").expect("an http url");
        let (host, path) = rest.split_at(rest.find('/').expect("a path"));
        let mut socket = tokio::net::TcpStream::connect(host)
            .await
            .expect("connects");
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\nauthorization: Bearer {key}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(head.as_bytes()).await.expect("writes");
        let mut raw = Vec::new();
        let end = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let mut buf = [0u8; 4096];
            let n = socket.read(&mut buf).await.expect("reads");
            assert!(n > 0, "the server closed before its head");
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {head:?}"));
        if status == 200 {
            assert!(head.contains("content-type: text/event-stream"), "{head}");
            assert!(head.contains("transfer-encoding: chunked"), "{head}");
        }
        raw.drain(..end + 4);
        let reader = SseReader {
            socket,
            raw,
            body: String::new(),
            ended: false,
        };
        (status, reader)
    }

    /// Decodes the complete chunks read so far.
    fn decode(&mut self) {
        while !self.ended {
            let Some(line) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size_text = String::from_utf8_lossy(&self.raw[..line]).to_string();
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .unwrap_or_else(|_| panic!("not a chunk size: {size_text:?}"));
            if self.raw.len() < line + 2 + size + 2 {
                return;
            }
            let data = self.raw[line + 2..line + 2 + size].to_vec();
            self.body
                .push_str(std::str::from_utf8(&data).expect("UTF-8 events"));
            self.raw.drain(..line + 2 + size + 2);
            self.ended = size == 0;
        }
    }

    /// The next event with data (keep-alive comments are skipped); `None` at the end.
    async fn next(&mut self) -> Option<SseEvent> {
        use tokio::io::AsyncReadExt;
        loop {
            self.decode();
            while let Some(i) = self.body.find("\n\n") {
                let block: String = self.body.drain(..i + 2).collect();
                let mut name = "message".to_string();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if !data.is_empty() {
                    let json = serde_json::from_str(&data)
                        .unwrap_or_else(|e| panic!("data is one JSON message ({e}): {data}"));
                    return Some((name, json));
                }
            }
            if self.ended {
                return None;
            }
            let mut buf = [0u8; 8192];
            let n = self.socket.read(&mut buf).await.expect("reads");
            if n == 0 {
                assert!(self.ended, "the server closed the stream mid-chunk");
                return None;
            }
            self.raw.extend_from_slice(&buf[..n]);
        }
    }

    /// Every event left, to the end of the stream.
    async fn rest(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e);
        }
        out
    }
}

/// The streams on the JSON face, as server-sent events: an optimizeStream sends at least
/// one progress message and ends with the final plan (each `data:` one OptimizeStreamResponse
/// in proto3 JSON; the plan rechecked); a day watch sends the day at version 1, then version 2
/// once an event is applied, and ends when the day closes; a job watch ends with the job
/// SUCCEEDED and its result. Another tenant's day or job is 404, no key 401, a malformed body
/// 400, all before any event; an error found once the stream runs (a shipment far from every
/// road) ends it with an `error` event; /openapi.json documents the three as
/// `text/event-stream`.
async fn sse_streams(server: &Server) {
    let base = server.url();
    let model = small_model();
    let req = pb::OptimizeRequest {
        model: Some(model.clone()),
        time_limit_s: 1.0,
        seed: 2,
        ..Default::default()
    };
    let body = serde_json::to_string(&req).expect("proto3 JSON");
    let (status, mut sse) = SseReader::post(
        &format!("{base}/v1/routes:optimizeStream"),
        "acme-admin-key",
        &body,
    )
    .await;
    assert_eq!(status, 200);
    let events = sse.rest().await;
    let messages: Vec<pb::OptimizeStreamResponse> = events
        .iter()
        .map(|(name, data)| {
            assert_eq!(name, "message", "{data}");
            serde_json::from_value(data.clone()).expect("an OptimizeStreamResponse")
        })
        .collect();
    let (last, before) = messages.split_last().expect("at least the final plan");
    assert!(last.done, "{last:?}");
    recheck(&model, last.plan.as_ref().expect("the final plan"));
    assert!(
        before.iter().any(|m| !m.done && m.progress.is_some()),
        "at least one progress message: {before:?}"
    );
    let (status, text) = http_post(&format!("{base}/v1/routes:optimizeStream"), None, &body).await;
    assert_eq!(status, 401, "{text}");
    let (status, text) = http_post(
        &format!("{base}/v1/routes:optimizeStream"),
        Some("acme-admin-key"),
        "{not json",
    )
    .await;
    assert_eq!(status, 400, "{text}");
    // A shipment far from every road is found out on the worker, after the stream started:
    // the stream ends with an `error` event naming the field.
    let mut far = req.clone();
    if let Some(m) = far.model.as_mut() {
        m.shipments[0] = shipment("far", (46.0, 11.0), (0, 3_600), 1);
    }
    let (status, mut sse) = SseReader::post(
        &format!("{base}/v1/routes:optimizeStream"),
        "acme-admin-key",
        &serde_json::to_string(&far).expect("proto3 JSON"),
    )
    .await;
    assert_eq!(status, 200);
    let events = sse.rest().await;
    let (name, data) = events.last().expect("an error event");
    assert_eq!(name, "error", "{data}");
    assert_eq!(data["error"]["status"], "INVALID_ARGUMENT", "{data}");
    assert!(
        data["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("shipments[0]")),
        "{data}"
    );
    // A day watched while an event is applied, then closed.
    let mut c = dispatch(server).await;
    let id = c
        .open_day(with_key(day_request(), "acme-admin-key"))
        .await
        .expect("a day opens")
        .into_inner()
        .day_id;
    let watch_body = serde_json::json!({"dayId": id}).to_string();
    let mut watch = owner_watches(&base, "/v1/days:watch", &watch_body).await;
    let day = |e: Option<SseEvent>| -> pb::Day {
        let (name, data) = e.expect("an event");
        assert_eq!(name, "message", "{data}");
        serde_json::from_value(data).expect("a Day")
    };
    let first = day(watch.next().await);
    assert_eq!((first.plan_version, first.open), (1, true));
    c.apply_events(with_key(
        apply(&id, vec![day_event("sse-1", 1, 22_000, delivered("s1"))]),
        "acme-admin-key",
    ))
    .await
    .expect("applied");
    let second = day(watch.next().await);
    assert_eq!(second.plan_version, 2, "the new plan version arrives");
    c.close_day(with_key(get_close(&id), "acme-admin-key"))
        .await
        .expect("closed");
    let rest: Vec<pb::Day> = watch
        .rest()
        .await
        .into_iter()
        .map(|e| day(Some(e)))
        .collect();
    assert!(
        rest.last().is_some_and(|d| !d.open),
        "the stream ends with the closed day"
    );
    // A job followed to its end; beta cannot follow it.
    let job = pb::SubmitJobRequest {
        request_id: "sse-job".into(),
        work: Some(pb::submit_job_request::Work::Forecast(
            pb::ForecastDemandRequest {
                series: vec![pb::DemandSeries {
                    id: "milk".into(),
                    start_date: "2026-01-05".into(),
                    values: (0..21).map(|i| 4.0 + f64::from(i % 7)).collect(),
                }],
                frequency: pb::Frequency::Daily.into(),
                horizon: 2,
                model: "snaive".into(),
                ..Default::default()
            },
        )),
    };
    let job = pb::jobs_client::JobsClient::new(channel(server).await)
        .submit(with_key(job, "acme-admin-key"))
        .await
        .expect("submitted")
        .into_inner();
    let watch_body = serde_json::json!({"jobId": job.job_id}).to_string();
    let mut watch = owner_watches(&base, "/v1/jobs:watch", &watch_body).await;
    let events = watch.rest().await;
    let (_, data) = events.last().expect("at least one message");
    let done: pb::Job = serde_json::from_value(data.clone()).expect("a Job");
    assert_eq!(done.state, pb::JobState::Succeeded as i32, "{done:?}");
    assert!(
        matches!(done.result, Some(pb::job::Result::Forecast(_))),
        "{done:?}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&http_get(&format!("{base}/openapi.json")).await).expect("JSON");
    for path in [
        "/v1/routes:optimizeStream",
        "/v1/days:watch",
        "/v1/jobs:watch",
    ] {
        assert!(
            doc["paths"][path]["post"]["responses"]["200"]["content"]["text/event-stream"]
                .is_object(),
            "{path} documented as an event stream"
        );
    }
}

/// The stream at `path` for `body` (a day's or a job's of tenant `acme`): tenant `beta` gets
/// 404 for it, then `acme` opens it (200).
async fn owner_watches(base: &str, path: &str, body: &str) -> SseReader {
    let url = format!("{base}{path}");
    let (status, text) = http_post(&url, Some("beta-admin-key"), body).await;
    assert_eq!(status, 404, "another tenant's stream at {path}: {text}");
    let (status, watch) = SseReader::post(&url, "acme-admin-key", body).await;
    assert_eq!(status, 200, "{path}");
    watch
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
    milkrun_service::serve::convert::plan_day::to_message(r, pb::Priority::Batch)
}

/// Puts in `store` a dairy tenant `t`, its webhook endpoint 1 at `url` signed with `secret`,
/// and one renewal reminder for subscription `subscription` in its outbox; the message's key.
async fn webhook_outbox(
    store: &milkrun_dairy::store::Store,
    t: milkrun_dairy::ids::TenantId,
    url: &str,
    secret: &str,
    subscription: &str,
) -> milkrun_dairy::dedupe::DedupeKey {
    use milkrun_dairy::calendar::CutOff;
    use milkrun_dairy::dedupe::DedupeKey;
    use milkrun_dairy::exception::{ExceptionPolicy, Remedy};
    use milkrun_dairy::ids::EndpointId;
    use milkrun_dairy::outbox::{OutboxMessage, Topic};
    use milkrun_dairy::tenant::Tenant;
    use milkrun_dairy::webhook::{WebhookEndpoint, WebhookSecret, WebhookUrl};

    let policy =
        ExceptionPolicy::new(None, Remedy::ExtendOneDay, Remedy::ExtendOneDay).expect("a policy");
    let tenant = Tenant::new(
        t,
        &format!("Dairy {}", t.0),
        CutOff::new(1, 72_000).expect("a cut-off"),
        policy,
    )
    .expect("a tenant");
    store.add_tenant(&tenant).await.expect("adds the tenant");
    let endpoint = WebhookEndpoint {
        id: EndpointId(1),
        url: WebhookUrl::parse(url).expect("a url"),
        secret: WebhookSecret::new(secret).expect("a secret"),
        active: true,
    };
    store
        .add_webhook_endpoint(t, &endpoint)
        .await
        .expect("adds");
    let key = DedupeKey::new(&format!("renewal:{subscription}:2028-03-05")).expect("a key");
    let payload = format!("{{\"subscription_id\":{subscription},\"days_left\":3}}");
    let message =
        OutboxMessage::new(key.clone(), Topic::RenewalReminder, payload).expect("a message");
    store.enqueue(t, &message).await.expect("enqueues");
    key
}

/// The webhook sender running inside `milkrun serve` (rounds every second, first retry within
/// a second: the config of `write_config`): a dairy tenant, an endpoint on a loopback receiver
/// and an outbox message are put in the server's own store (`db`, opened here too); the
/// receiver answers 500 to the first POST, 200 to the second; both carry a signature that
/// verifies with the endpoint's secret, the delivery ends DELIVERED after two attempts, and
/// /metrics counts the attempts and the failure.
async fn webhooks_in_serve(server: &Server, db: &str) {
    use milkrun_dairy::ids::{EndpointId, TenantId};
    use milkrun_dairy::store::Store;
    use milkrun_dairy::webhook::DeliveryState;

    const SECRET: &str = "whsec_serve_loop_0123456789";
    let (addr, seen, mut count) = webhook_receiver(SECRET, 1).await;
    let store = Store::open(db).await.expect("the server's store opens");
    let t = TenantId(71);
    let key = webhook_outbox(
        &store,
        t,
        &format!("http://{addr}/hooks/served"),
        SECRET,
        "9",
    )
    .await;
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        count.wait_for(|n| *n >= 2),
    )
    .await
    .expect("the server posts twice within 30 s")
    .expect("the receiver runs");
    let seen = seen.lock().expect("not poisoned").clone();
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        [500, 200],
        "one failure, then one retry"
    );
    assert!(seen.iter().all(|(_, sig_ok, _, _)| *sig_ok), "{seen:?}");
    assert!(seen
        .iter()
        .all(|(_, _, k, b)| k == key.as_str() && *b == seen[0].3));
    let body: serde_json::Value = serde_json::from_str(&seen[0].3).expect("JSON");
    assert_eq!(body["payload"]["subscription_id"], 9);
    // The second attempt is recorded (and counted) just after its answer.
    let metric = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let state = store
            .webhook_delivery(t, EndpointId(1), &key)
            .await
            .expect("state");
        let text = http_get(&format!("{}/metrics", server.url())).await;
        let attempts = metric(&text, "milkrun_webhook_attempts_total ");
        let failures = metric(&text, "milkrun_webhook_failures_total ");
        if matches!(state, DeliveryState::Delivered { attempts: 2, .. })
            && attempts >= 2
            && failures >= 1
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not recorded: {state:?}, attempts {attempts}, failures {failures}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.close().await;
}

/// Everything above against one server, which is still healthy at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_end_to_end_on_loopback() {
    let config = write_config("e2e");
    let db = temp_db("e2e");
    let server = start(&[
        "--config",
        config.to_str().expect("a UTF-8 path"),
        "--compat-listen",
        "127.0.0.1:0",
        "--db",
        &db,
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
    eprintln!("step: optimize_door_to_door");
    optimize_door_to_door(&server).await;
    eprintln!("step: hostile");
    hostile(&server).await;
    eprintln!("step: json_face");
    json_face(&server).await;
    eprintln!("step: compat_faces");
    compat_faces(&server).await;
    // The batch services: Forecast, Customers, Jobs.
    eprintln!("step: batch services");
    batch::forecast_service(&server).await;
    batch::customers_service(&server).await;
    batch::jobs_service(&server).await;
    batch::jobs_cancel_and_quota(&server).await;
    batch::batch_json_face(&server).await;
    batch::batch_hostile(&server).await;
    eprintln!("step: live_day");
    live_day(&server).await;
    eprintln!("step: stateless_replan");
    stateless_replan(&server).await;
    eprintln!("step: live_day_hostile");
    live_day_hostile(&server).await;
    eprintln!("step: live_day_json");
    live_day_json(&server).await;
    eprintln!("step: sse_streams");
    sse_streams(&server).await;
    eprintln!("step: night_in_process_and_remote");
    night_in_process_and_remote(&server).await;
    eprintln!("step: webhooks_in_serve");
    webhooks_in_serve(&server, &db).await;
    health(&server).await;
    eprintln!("step: SIGTERM");
    let status = server
        .terminate(std::time::Duration::from_secs(60))
        .expect("the server stops within 60 s of SIGTERM");
    assert!(status.success(), "a clean stop: {status}");
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

/// The batch services end to end: Forecast, Customers and Jobs.
mod batch {
    use super::{http_post, pb, with_key, Server};
    use milkrun_calendar::Date;
    use pb::customers_client::CustomersClient;
    use pb::forecast_client::ForecastClient;
    use pb::jobs_client::JobsClient;
    use tonic::Code;
    use tonic_types::StatusExt;

    /// Eight weeks of a daily series with a weekly pattern.
    fn daily_series(id: &str, base: f64) -> pb::DemandSeries {
        pb::DemandSeries {
            id: id.into(),
            start_date: "2026-01-05".into(),
            values: (0..56).map(|i| base + f64::from(i % 7) * 2.0).collect(),
        }
    }

    fn forecast_req() -> pb::ForecastDemandRequest {
        pb::ForecastDemandRequest {
            series: vec![daily_series("milk-1l", 10.0), daily_series("cream", 3.0)],
            frequency: pb::Frequency::Daily.into(),
            horizon: 7,
            quantile_levels: vec![0.1, 0.5, 0.9],
            model: "snaive".into(),
            ..Default::default()
        }
    }

    fn field_of(err: &tonic::Status) -> String {
        err.get_details_bad_request()
            .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
            .unwrap_or_else(|| panic!("no field violation in {err:?}"))
    }

    /// Forecast: each series gets 7 steps dated after its history, quantiles increasing; the
    /// seasonal naive forecast repeats the last week. PlanOrders orders up to a level above
    /// the stock; CheckStock projects total = usable + expiring.
    pub async fn forecast_service(server: &Server) {
        let mut c = ForecastClient::connect(server.url())
            .await
            .expect("connects");
        let f = c
            .forecast_demand(with_key(forecast_req(), "acme-admin-key"))
            .await
            .expect("forecast")
            .into_inner();
        assert_eq!(f.quantile_levels, vec![0.1, 0.5, 0.9]);
        assert_eq!(f.forecasts.len(), 2);
        let milk = &f.forecasts[0];
        assert_eq!(milk.id, "milk-1l");
        assert_eq!(milk.steps.len(), 7);
        // 56 days from 2026-01-05: the first future day is 2026-03-02.
        assert_eq!(milk.steps[0].date, "2026-03-02");
        assert_eq!(milk.steps[6].date, "2026-03-08");
        for (j, step) in milk.steps.iter().enumerate() {
            assert!(
                (step.mean - (10.0 + j as f64 * 2.0)).abs() < 1e-6,
                "{step:?}"
            );
            assert_eq!(step.quantiles.len(), 3);
            assert!(step.quantiles.windows(2).all(|w| w[0] <= w[1]), "{step:?}");
        }
        let item = pb::OrderItem {
            id: "milk-1l".into(),
            daily: (0..4)
                .map(|_| pb::DayDemand {
                    mean: 20.0,
                    ..Default::default()
                })
                .collect(),
            on_hand: vec![pb::StockLot {
                quantity: 5.0,
                sellable_days: 3,
            }],
            shelf_life_days: 5,
            unit_cost: 0.6,
            price: 1.2,
            ..Default::default()
        };
        let plan = c
            .plan_orders(with_key(
                pb::PlanOrdersRequest {
                    items: vec![item],
                    ..Default::default()
                },
                "acme-admin-key",
            ))
            .await
            .expect("plan orders")
            .into_inner();
        let p = &plan.items[0];
        assert_eq!(p.id, "milk-1l");
        assert!(p.order > 0.0 && p.order == p.unconstrained_order, "{p:?}");
        assert!(p.order_up_to > p.usable_position, "{p:?}");
        assert!(
            (p.usable_position + p.order - p.order_up_to).abs() <= 1.0,
            "{p:?}"
        );
        let stock = c
            .check_stock(with_key(
                pb::CheckStockRequest {
                    items: vec![pb::StockItem {
                        id: "cream".into(),
                        daily_mean: vec![4.0; 6],
                        on_hand: vec![pb::StockLot {
                            quantity: 30.0,
                            sellable_days: 3,
                        }],
                        reorder_point: 50.0,
                        horizon_days: 2,
                        ..Default::default()
                    }],
                },
                "acme-analyst-key",
            ))
            .await
            .expect("check stock")
            .into_inner();
        let s = &stock.items[0];
        // 3 days of 4 sold, 18 expire on day 3.
        assert_eq!((s.total, s.expiring, s.usable), (30.0, 18.0, 12.0), "{s:?}");
        let kinds: Vec<i32> = s.alerts.iter().map(|a| a.kind).collect();
        assert!(
            kinds.contains(&(pb::StockAlertKind::BelowReorderPoint as i32)),
            "{s:?}"
        );
        assert!(
            kinds.contains(&(pb::StockAlertKind::ExpiresBeforeSold as i32)),
            "{s:?}"
        );
    }

    fn transactions() -> Vec<pb::CustomerTransaction> {
        let day0 = Date::from_ymd(2025, 1, 1).expect("a date");
        let mut out = Vec::new();
        for i in 0..60u32 {
            let every = 7 * (1 + i % 4);
            let last = if i % 3 == 0 { 120 } else { 360 };
            let mut d = i % 30;
            let mut k = 0;
            while d <= last {
                out.push(pb::CustomerTransaction {
                    customer_id: format!("c{i:02}"),
                    date: day0.add_days(d as i32).to_string(),
                    amount: 5.0 + f64::from(i % 7) + f64::from(k % 3),
                });
                d += every;
                k += 1;
            }
        }
        out
    }

    /// Customers: every customer once, sorted by id, churn risk = 1 − P(alive) in [0, 1],
    /// the segments' sizes add up to the customers; the customers who stopped in May are on
    /// average riskier than those who kept buying.
    pub async fn customers_service(server: &Server) {
        let mut c = CustomersClient::connect(server.url())
            .await
            .expect("connects");
        let a = c
            .analyze(with_key(
                pb::AnalyzeCustomersRequest {
                    transactions: transactions(),
                    calibration_end: "2025-09-30".into(),
                    segments: 3,
                    seed: 7,
                    ..Default::default()
                },
                "acme-analyst-key",
            ))
            .await
            .expect("analyze")
            .into_inner();
        assert_eq!(a.customers.len(), 60);
        assert!(a
            .customers
            .windows(2)
            .all(|w| w[0].customer_id < w[1].customer_id));
        for v in &a.customers {
            assert!((0.0..=1.0).contains(&v.churn_risk), "{v:?}");
            assert!((v.churn_risk + v.probability_alive - 1.0).abs() < 1e-9);
            assert!(v.clv >= 0.0 && v.segment < 3, "{v:?}");
        }
        assert_eq!(a.segments.iter().map(|s| s.size).sum::<u32>(), 60);
        let risk = |stopped: bool| {
            let group: Vec<f64> = a
                .customers
                .iter()
                .enumerate()
                .filter(|(i, _)| (i % 3 == 0) == stopped)
                .map(|(_, v)| v.churn_risk)
                .collect();
            group.iter().sum::<f64>() / group.len() as f64
        };
        assert!(
            risk(true) > risk(false),
            "{} vs {}",
            risk(true),
            risk(false)
        );
    }

    async fn watch_to_end(
        c: &mut JobsClient<tonic::transport::Channel>,
        id: &str,
        key: &str,
    ) -> pb::Job {
        use tokio_stream::StreamExt;
        let mut stream = c
            .watch(with_key(pb::WatchJobRequest { job_id: id.into() }, key))
            .await
            .expect("watch starts")
            .into_inner();
        let mut last = None;
        while let Some(msg) = stream.next().await {
            last = Some(msg.expect("a job message"));
        }
        last.expect("at least one message")
    }

    /// Jobs: a forecast job runs to SUCCEEDED with the same answer as the unary call;
    /// resubmitting its request id returns the same job, another payload under it is
    /// INVALID_ARGUMENT; tenant beta cannot see, cancel or list acme's job.
    pub async fn jobs_service(server: &Server) {
        let mut c = JobsClient::connect(server.url()).await.expect("connects");
        let submit = |req: pb::ForecastDemandRequest, id: &str| pb::SubmitJobRequest {
            request_id: id.into(),
            work: Some(pb::submit_job_request::Work::Forecast(req)),
        };
        let job = c
            .submit(with_key(
                submit(forecast_req(), "nightly-1"),
                "acme-admin-key",
            ))
            .await
            .expect("submit")
            .into_inner();
        assert!(job.job_id.starts_with("job-"));
        assert_eq!(job.request_id, "nightly-1");
        let done = watch_to_end(&mut c, &job.job_id, "acme-admin-key").await;
        assert_eq!(done.state, pb::JobState::Succeeded as i32, "{done:?}");
        assert_eq!((done.progress_done, done.progress_total), (2, 2));
        let Some(pb::job::Result::Forecast(f)) = &done.result else {
            panic!("a forecast result: {done:?}");
        };
        let unary = ForecastClient::connect(server.url())
            .await
            .expect("connects")
            .forecast_demand(with_key(forecast_req(), "acme-admin-key"))
            .await
            .expect("forecast")
            .into_inner();
        assert_eq!(f, &unary, "the job answers what the unary call answers");
        let again = c
            .submit(with_key(
                submit(forecast_req(), "nightly-1"),
                "acme-admin-key",
            ))
            .await
            .expect("resubmit")
            .into_inner();
        assert_eq!(again.job_id, job.job_id, "same request id, same job");
        assert_eq!(again.state, pb::JobState::Succeeded as i32);
        let other = pb::ForecastDemandRequest {
            horizon: 3,
            ..forecast_req()
        };
        let err = c
            .submit(with_key(submit(other, "nightly-1"), "acme-admin-key"))
            .await
            .expect_err("another payload under a used request id");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(field_of(&err), "request_id");
        let got = c
            .get(with_key(
                pb::GetJobRequest {
                    job_id: job.job_id.clone(),
                },
                "acme-analyst-key",
            ))
            .await
            .expect("an analyst reads jobs")
            .into_inner();
        assert_eq!(got.state, pb::JobState::Succeeded as i32);
        // Tenant isolation: beta gets NOT_FOUND for acme's job id, and lists none of acme's.
        let err = c
            .get(with_key(
                pb::GetJobRequest {
                    job_id: job.job_id.clone(),
                },
                "beta-admin-key",
            ))
            .await
            .expect_err("another tenant's job");
        assert_eq!(err.code(), Code::NotFound);
        let err = c
            .cancel(with_key(
                pb::CancelJobRequest {
                    job_id: job.job_id.clone(),
                },
                "beta-admin-key",
            ))
            .await
            .expect_err("another tenant's job");
        assert_eq!(err.code(), Code::NotFound);
        let beta = c
            .list(with_key(pb::ListJobsRequest::default(), "beta-admin-key"))
            .await
            .expect("list")
            .into_inner();
        assert!(
            beta.jobs.iter().all(|j| j.request_id != "nightly-1"),
            "{beta:?}"
        );
        let acme = c
            .list(with_key(
                pb::ListJobsRequest {
                    page_size: 1,
                    ..Default::default()
                },
                "acme-admin-key",
            ))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(acme.jobs.len(), 1);
        assert!(acme.jobs[0].result.is_none(), "List leaves results out");
    }

    /// Cancel reaches the solver: a 60 s optimization job of beta stops well before its limit
    /// once cancelled and ends CANCELLED; while it runs, beta's quota of one unfinished job
    /// refuses a second with RESOURCE_EXHAUSTED and retry info.
    pub async fn jobs_cancel_and_quota(server: &Server) {
        use tokio_stream::StreamExt;
        let mut c = JobsClient::connect(server.url()).await.expect("connects");
        let long = pb::SubmitJobRequest {
            request_id: String::new(),
            work: Some(pb::submit_job_request::Work::Optimize(
                pb::OptimizeRequest {
                    model: Some(super::small_model()),
                    time_limit_s: 60.0,
                    ..Default::default()
                },
            )),
        };
        let job = c
            .submit(with_key(long.clone(), "beta-admin-key"))
            .await
            .expect("submit")
            .into_inner();
        let mut stream = c
            .watch(with_key(
                pb::WatchJobRequest {
                    job_id: job.job_id.clone(),
                },
                "beta-admin-key",
            ))
            .await
            .expect("watch")
            .into_inner();
        while let Some(msg) = stream.next().await {
            if msg.expect("a job message").state == pb::JobState::Running as i32 {
                break;
            }
        }
        let err = c
            .submit(with_key(long, "beta-admin-key"))
            .await
            .expect_err("one unfinished job at most");
        assert_eq!(err.code(), Code::ResourceExhausted);
        assert!(err.get_details_retry_info().is_some());
        let cancelled = c
            .cancel(with_key(
                pb::CancelJobRequest {
                    job_id: job.job_id.clone(),
                },
                "beta-admin-key",
            ))
            .await
            .expect("cancel")
            .into_inner();
        assert!(cancelled.cancel_requested);
        let done = watch_to_end(&mut c, &job.job_id, "beta-admin-key").await;
        assert_eq!(done.state, pb::JobState::Cancelled as i32, "{done:?}");
        assert!(
            done.finished_unix_ms - done.started_unix_ms < 60_000,
            "the flag, not the 60 s limit, stopped the search: {done:?}"
        );
        let err = c
            .get(with_key(
                pb::GetJobRequest {
                    job_id: job.job_id.clone(),
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("beta's job is not acme's");
        assert_eq!(err.code(), Code::NotFound);
    }

    /// The JSON face: a forecast in proto3 JSON, a job submitted and read back, and the new
    /// routes in /openapi.json.
    pub async fn batch_json_face(server: &Server) {
        let base = server.url();
        let body = serde_json::json!({
            "series": [{"id": "milk", "startDate": "2026-01-05",
                        "values": (0..28).map(|i| 5 + i % 7).collect::<Vec<_>>()}],
            "frequency": "FREQUENCY_DAILY",
            "horizon": 2,
            "model": "snaive",
        });
        let (status, text) = http_post(
            &format!("{base}/v1/forecast:forecastDemand"),
            Some("acme-admin-key"),
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["forecasts"][0]["steps"][0]["date"], "2026-02-02");
        assert_eq!(v["forecasts"][0]["steps"][0]["mean"].as_f64(), Some(5.0));
        let (status, text) = http_post(
            &format!("{base}/v1/jobs:submit"),
            Some("acme-admin-key"),
            &serde_json::json!({"requestId": "json-1", "forecast": body}).to_string(),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        let job: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let id = job["jobId"].as_str().expect("a job id").to_string();
        let (status, text) = http_post(
            &format!("{base}/v1/jobs:get"),
            Some("acme-admin-key"),
            &serde_json::json!({"jobId": id}).to_string(),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains(&id));
        let doc = super::http_get(&format!("{base}/openapi.json")).await;
        for path in [
            "/v1/forecast:forecastDemand",
            "/v1/customers:analyze",
            "/v1/jobs:submit",
        ] {
            assert!(doc.contains(path), "{path} documented");
        }
    }

    /// Hostile requests to the batch services, each with its code and field.
    pub async fn batch_hostile(server: &Server) {
        let mut f = ForecastClient::connect(server.url())
            .await
            .expect("connects")
            .max_decoding_message_size(64 << 20);
        let mut nan = forecast_req();
        nan.series[1].values[3] = f64::NAN;
        let err = f
            .forecast_demand(with_key(nan, "acme-admin-key"))
            .await
            .expect_err("NaN");
        assert_eq!(
            (err.code(), field_of(&err)),
            (Code::InvalidArgument, "series[1].values".into())
        );
        for horizon in [-3, 0, 1_000_000] {
            let err = f
                .forecast_demand(with_key(
                    pb::ForecastDemandRequest {
                        horizon,
                        ..forecast_req()
                    },
                    "acme-admin-key",
                ))
                .await
                .expect_err("bad horizon");
            assert_eq!(
                (err.code(), field_of(&err)),
                (Code::InvalidArgument, "horizon".into())
            );
        }
        let million = pb::ForecastDemandRequest {
            series: vec![pb::DemandSeries::default(); 1_000_000],
            ..forecast_req()
        };
        let err = f
            .forecast_demand(with_key(million, "acme-admin-key"))
            .await
            .expect_err("10^6 series");
        assert_eq!(
            (err.code(), field_of(&err)),
            (Code::InvalidArgument, "series".into())
        );
        let err = f
            .forecast_demand(with_key(
                pb::ForecastDemandRequest {
                    quantile_levels: vec![0.9, 0.1],
                    ..forecast_req()
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("levels out of order");
        assert_eq!(field_of(&err), "quantile_levels");
        let err = f
            .plan_orders(with_key(
                pb::PlanOrdersRequest {
                    items: vec![pb::OrderItem {
                        daily: vec![
                            pb::DayDemand {
                                mean: 3.0,
                                ..Default::default()
                            };
                            3
                        ],
                        shelf_life_days: 0,
                        unit_cost: 1.0,
                        price: 2.0,
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("no shelf life");
        assert_eq!(
            (err.code(), field_of(&err)),
            (Code::InvalidArgument, "items[0].shelf_life_days".into())
        );
        let mut bad = transactions();
        bad[4].amount = -1.0;
        let err = CustomersClient::connect(server.url())
            .await
            .expect("connects")
            .analyze(with_key(
                pb::AnalyzeCustomersRequest {
                    transactions: bad,
                    calibration_end: "2025-09-30".into(),
                    ..Default::default()
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("a negative amount");
        assert_eq!(
            (err.code(), field_of(&err)),
            (Code::InvalidArgument, "transactions[4].amount".into())
        );
        let mut j = JobsClient::connect(server.url()).await.expect("connects");
        let err = j
            .get(with_key(
                pb::GetJobRequest {
                    job_id: "job-999999".into(),
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("unknown job");
        assert_eq!(err.code(), Code::NotFound);
        let err = j
            .get(with_key(
                pb::GetJobRequest {
                    job_id: "../etc".into(),
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("not a job id");
        assert_eq!(err.code(), Code::NotFound);
        let err = j
            .submit(with_key(
                pb::SubmitJobRequest {
                    request_id: "x".into(),
                    work: Some(pb::submit_job_request::Work::Forecast(forecast_req())),
                },
                "acme-analyst-key",
            ))
            .await
            .expect_err("an analyst does not submit");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = j
            .submit(with_key(pb::SubmitJobRequest::default(), "acme-admin-key"))
            .await
            .expect_err("no work");
        assert_eq!(field_of(&err), "work");
        let mut nan_job = forecast_req();
        nan_job.series[0].values[0] = f64::NAN;
        let err = j
            .submit(with_key(
                pb::SubmitJobRequest {
                    request_id: String::new(),
                    work: Some(pb::submit_job_request::Work::Forecast(nan_job)),
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("a job is checked before it is queued");
        assert_eq!(field_of(&err), "forecast.series[0].values");
        let err = j
            .list(with_key(
                pb::ListJobsRequest {
                    page_size: -1,
                    ..Default::default()
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("negative page size");
        assert_eq!(field_of(&err), "page_size");
        let (status, text) = http_post(
            &format!("{}/v1/jobs:submit", server.url()),
            Some("acme-admin-key"),
            "{\"forecast\": {\"horizon\": ",
        )
        .await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("INVALID_ARGUMENT"), "{text}");
        // Paging: acme has two jobs by now (nightly-1, json-1); pages of one list both once.
        let first = j
            .list(with_key(
                pb::ListJobsRequest {
                    page_size: 1,
                    ..Default::default()
                },
                "acme-admin-key",
            ))
            .await
            .expect("page 1")
            .into_inner();
        assert!(!first.next_page_token.is_empty());
        let second = j
            .list(with_key(
                pb::ListJobsRequest {
                    page_size: 1,
                    page_token: first.next_page_token.clone(),
                },
                "acme-admin-key",
            ))
            .await
            .expect("page 2")
            .into_inner();
        assert_eq!(second.jobs.len(), 1);
        assert!(second.jobs[0].job_id != first.jobs[0].job_id);
        let err = j
            .list(with_key(
                pb::ListJobsRequest {
                    page_size: 1,
                    page_token: "not-a-token".into(),
                },
                "acme-admin-key",
            ))
            .await
            .expect_err("a made-up token");
        assert_eq!(field_of(&err), "page_token");
    }
}

/// What a [`webhook_receiver`] saw: per request (status sent, signature ok, delivery header,
/// body).
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(u16, bool, String, String)>>>;

/// A loopback webhook receiver: checks each POST's signature itself (HMAC-SHA256 over
/// `t.body` with the hmac crate, not the sender's code), answers 500 to the first `fails` and
/// 200 afterwards, and records what it saw; the watch counts the requests answered.
async fn webhook_receiver(
    secret: &'static str,
    fails: usize,
) -> (
    std::net::SocketAddr,
    Seen,
    tokio::sync::watch::Receiver<usize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    let seen: Seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let (count_tx, count) = tokio::sync::watch::channel(0usize);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body) = loop {
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), String::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break (head.to_owned(), body[..len].to_owned());
                    }
                }
            };
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            let sig = header("x-milkrun-signature");
            let ok = sig
                .split_once(",v1=")
                .and_then(|(t, v1)| Some((t.strip_prefix("t=")?, v1)))
                .is_some_and(|(t, v1)| {
                    use hmac::Mac as _;
                    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
                        .expect("any key length");
                    mac.update(format!("{t}.{body}").as_bytes());
                    let hex: String = mac
                        .finalize()
                        .into_bytes()
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    hex == v1
                });
            let status = {
                let mut seen = log.lock().expect("not poisoned");
                let status = if seen.len() < fails { 500 } else { 200 };
                seen.push((status, ok, header("x-milkrun-delivery"), body));
                status
            };
            let answer =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = s.write_all(answer.as_bytes()).await;
            let _ = s.shutdown().await;
            count_tx.send_modify(|n| *n += 1);
        }
    });
    (addr, seen, count)
}

/// Webhooks out of the dairy outbox through the real sender and a loopback receiver that
/// checks the signature independently and fails the first two attempts: the message is posted
/// at t0 (500), not again before its backoff time, again at it (500), then, after the store
/// is closed and reopened (a restart), a third time (200) and marked delivered; the three
/// attempts are stored, and the body is the same signed JSON every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_signed_retried_delivered() {
    use milkrun_dairy::ids::{EndpointId, TenantId};
    use milkrun_dairy::store::Store;
    use milkrun_dairy::webhook::{AttemptResult, DeliveryState, RetryPolicy};
    use milkrun_service::serve::webhooks::{run_webhooks_once, WebhookOptions};

    const SECRET: &str = "whsec_loopback_0123456789";
    let (addr, seen, _) = webhook_receiver(SECRET, 2).await;
    let path = std::env::temp_dir().join(format!("milkrun-webhooks-{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    let t = TenantId(1);
    let store = Store::open(&url).await.expect("opens");
    let key = webhook_outbox(&store, t, &format!("http://{addr}/hooks/milk"), SECRET, "7").await;

    let opts = WebhookOptions {
        policy: RetryPolicy::new(30, 600, 5).expect("a policy"),
        seed: 11,
        batch: 100,
        timeout: std::time::Duration::from_secs(10),
    };
    let t0 = 1_900_000_000;
    let r = run_webhooks_once(&store, &opts, t0).await.expect("round 1");
    assert_eq!((r.handed_over, r.attempted, r.retrying), (1, 1, 1));
    let next = |s: DeliveryState| match s {
        DeliveryState::Pending { next_attempt_s, .. } => next_attempt_s,
        other => panic!("still pending expected, got {other:?}"),
    };
    let t1 = next(
        store
            .webhook_delivery(t, EndpointId(1), &key)
            .await
            .expect("state"),
    );
    assert!((t0 + 15..=t0 + 30).contains(&t1), "{t1}");
    let r = run_webhooks_once(&store, &opts, t1 - 1)
        .await
        .expect("early round");
    assert_eq!(r.attempted, 0, "nothing is due before the backoff time");
    let r = run_webhooks_once(&store, &opts, t1).await.expect("round 2");
    assert_eq!((r.attempted, r.retrying), (1, 1));
    let t2 = next(
        store
            .webhook_delivery(t, EndpointId(1), &key)
            .await
            .expect("state"),
    );
    assert!((t1 + 30..=t1 + 60).contains(&t2), "{t2}");
    store.close().await;

    let store = Store::open(&url).await.expect("reopens");
    let r = run_webhooks_once(&store, &opts, t2).await.expect("round 3");
    assert_eq!((r.attempted, r.delivered), (1, 1));
    assert_eq!(
        store
            .webhook_delivery(t, EndpointId(1), &key)
            .await
            .expect("state"),
        DeliveryState::Delivered {
            attempts: 3,
            at_s: t2
        }
    );
    let statuses: Vec<AttemptResult> = store
        .webhook_attempts(t, EndpointId(1), &key)
        .await
        .expect("attempts")
        .into_iter()
        .map(|a| a.result)
        .collect();
    assert_eq!(
        statuses,
        [
            AttemptResult::Status(500),
            AttemptResult::Status(500),
            AttemptResult::Status(200)
        ]
    );
    let r = run_webhooks_once(&store, &opts, t2 + 100_000)
        .await
        .expect("round 4");
    assert_eq!(
        r,
        Default::default(),
        "a delivered message is not posted again"
    );
    store.close().await;

    let seen = seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|(_, sig_ok, _, _)| *sig_ok), "{seen:?}");
    assert!(seen.iter().all(|(_, _, k, _)| k == key.as_str()));
    assert!(seen.iter().all(|(_, _, _, b)| *b == seen[0].3));
    let body: serde_json::Value = serde_json::from_str(&seen[0].3).expect("JSON");
    assert_eq!(body["topic"], "renewal_reminder");
    assert_eq!(body["payload"]["subscription_id"], 7);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}
