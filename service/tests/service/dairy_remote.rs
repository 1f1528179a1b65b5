//! The dairy layer against a remote engine (issue #21: "a test runs a day through a real
//! `milkrun serve` on loopback and gets the same outcome as in-process"): the simulated
//! company's days run once with the in-process engine and once with the service's gRPC
//! engine against a real server on loopback, each on its own fresh store, and give the same
//! report: the same orders and outcomes, the same re-plans of the morning (the jam falls on
//! the second day; the dispatcher's late orders come in each morning), the same close of
//! day, settlement and station orders.
use std::path::PathBuf;
use std::sync::Arc;

use milkrun_calendar::Date;
use milkrun_service::serve::client::GrpcEngine;
use milkrun_sim::{run_week_on, WeekConfig, JAM_DAY};
use milkrun_station::night::LocalEngine;
use tonic::transport::Channel;

use crate::serve_support::{start, temp_db, Server, VADUZ_A, VADUZ_B, VADUZ_C};

/// A tenants file with one admin key, plans of up to 300 s, and a request rate (25 a second,
/// bursts of 5) a morning's events sent one call at a time run into: the remote engine waits
/// and sends again.
fn config(name: &str) -> PathBuf {
    let hash = milkrun_service::serve::config::sha256_hex;
    let config = serde_json::json!({"tenants": [
        {"id": "dairy", "api_keys": [{"sha256": hash("dairy-admin-key"), "role": "admin"}],
         "quotas": {"requests_per_second": 25.0, "burst": 5, "max_time_limit_s": 300.0}}
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
        osm_buildings: false,
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
    live_day_both_ways(&server, &remote).await;
    forecast_both_ways(&remote).await;
    let mut local = run_week_on(&week("local"), LocalEngine::new, &mut |_| {})
        .await
        .expect("the days in process");
    let mut through = run_week_on(
        &week("remote"),
        |_roads: Arc<milkrun_engine::RoadEngine>| remote.clone(),
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
    // The dispatcher's late orders went to the live day as new stops, and were served.
    let late: Vec<_> = local
        .incidents
        .iter()
        .filter(|i| i.kind == "late order")
        .collect();
    assert!(late.len() >= 2, "{:?}", local.incidents);
    assert!(
        late.iter()
            .any(|i| i.detail.contains("placed it on courier")),
        "{late:?}"
    );
    local.timings = Default::default();
    through.timings = Default::default();
    assert_eq!(
        serde_json::to_value(&local).expect("json"),
        serde_json::to_value(&through).expect("json"),
        "the same days in process and through the server"
    );
    // The server throttled some of the morning's calls, and the remote engine sent them again.
    let metrics = get_metrics(&server).await;
    let throttled = metrics.lines().any(|l| {
        l.contains("milkrun.v1.Dispatch/ApplyEvents")
            && l.contains("RESOURCE_EXHAUSTED")
            && !l.starts_with('#')
            && l.split_whitespace().last().is_some_and(|n| n != "0")
    });
    assert!(throttled, "no throttled ApplyEvents in\n{metrics}");
    drop(server);
}

/// Door to door (issue #25) in both engines: two doors 15 m either side of one road
/// position near Vaduz are apart (their access legs) in the dairy interface's matrix, and
/// the matrix and a live day opened on them are the same in process and through the server.
async fn doors_both_ways(
    roads: &milkrun_engine::RoadEngine,
    local: &LocalEngine,
    remote: &GrpcEngine,
) {
    use milkrun_dairy::engine::*;
    use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
    use milkrun_dairy::ids::CourierId;
    use milkrun_engine::LatLon;

    let a = LatLon {
        lat: VADUZ_A.0,
        lon: VADUZ_A.1,
    };
    let node = roads.snap_all(&[a], 500.0).expect("snaps")[0].node;
    let c = roads.graph().coord(node);
    // Doors 3-7 m around that road node, in eight directions: the first two that snap to
    // it (the extract's nodes can be a few metres apart).
    let around: Vec<LatLon> = [0.00003, 0.00006]
        .iter()
        .flat_map(|&r| {
            (0..8).map(move |k| {
                let a = f64::from(k) * std::f64::consts::FRAC_PI_4;
                LatLon {
                    lat: c.lat + r * a.sin(),
                    lon: c.lon + r * a.cos(),
                }
            })
        })
        .collect();
    let snaps = roads.snap_all(&around, 500.0).expect("snaps");
    let on_node: Vec<LatLon> = around
        .iter()
        .zip(&snaps)
        .filter(|(_, s)| s.node == node)
        .map(|(p, _)| *p)
        .collect();
    assert!(
        on_node.len() >= 2,
        "doors on one road position: {on_node:?}"
    );
    let doors = [on_node[0], on_node[1]];
    let point = |p: LatLon| GeoPoint::new(p.lat, p.lon).expect("a point");
    let points = [point(a), point(doors[0]), point(doors[1])];
    let m = local.matrix(&points, 500.0).await.expect("in process");
    assert_eq!(
        m,
        remote
            .matrix(&points, 500.0)
            .await
            .expect("through the server"),
        "the same door-to-door matrix"
    );
    // The two walks, at least the straight line between the doors at 1.3 m/s.
    let walk_s = (milkrun_engine::geo::haversine_m(doors[0], doors[1]) / 1.3).floor() as i64;
    assert!(m.travel_s[5] >= walk_s.max(1), "{m:?}");
    assert!(m.travel_s[7] >= walk_s.max(1), "{m:?}");
    let stop = |p| DayStop {
        point: point(p),
        window: DeliveryWindow::new(21_600, 43_200).expect("a window"),
        quantity: 1,
        service_s: 30,
    };
    let day = OpenDay {
        depot: point(a),
        stops: vec![stop(doors[0]), stop(doors[1])],
        couriers: vec![PlanCourier {
            id: CourierId(3),
            capacity: 20,
            shift_start_s: 21_600,
            shift_end_s: 50_400,
        }],
        routes: vec![vec![0, 1]],
        max_snap_m: 500.0,
    };
    let (lid, lview) = local.open_day(&day).await.expect("opens in process");
    let (rid, rview) = remote.open_day(&day).await.expect("opens on the server");
    assert_eq!(lview, rview, "the same day opened");
    let eta = |s: usize| lview.stops[s].eta_s.expect("an arrival");
    assert!(eta(1) - eta(0) >= 30 + walk_s.max(1), "{lview:?}");
    local.close_day(&lid, &day).await.expect("closes");
    remote.close_day(&rid, &day).await.expect("closes");
}

/// The server's `/metrics` text, by a plain HTTP/1.0 GET.
async fn get_metrics(server: &Server) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connects");
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .expect("sent");
    let mut body = String::new();
    s.read_to_string(&mut body).await.expect("read");
    body
}

/// One small live day through the interface, in process and through the server, event by
/// event: the same day after each (plan versions, routes, stops, the retry); a replayed
/// event id answers its first version and changes nothing; an event expecting an old plan
/// version is refused by both and changes nothing; a slowdown and the traffic refresh that
/// ends it re-plan alike; a closed day is gone. The server refuses a bad slowdown naming the
/// field.
async fn live_day_both_ways(server: &Server, remote: &GrpcEngine) {
    use milkrun_dairy::engine::*;
    use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
    use milkrun_dairy::ids::CourierId;
    use milkrun_dairy::outcome::FailureReason;
    use milkrun_service::serve::proto::v1 as pb;

    let osm = milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf");
    let roads = Arc::new(milkrun_station::road::road_engine(&osm).expect("the extract imports"));
    let local = LocalEngine::new(Arc::clone(&roads));
    doors_both_ways(&roads, &local, remote).await;
    let point = |p: (f64, f64)| GeoPoint::new(p.0, p.1).expect("a point");
    let stop = |p| DayStop {
        point: point(p),
        window: DeliveryWindow::new(21_600, 43_200).expect("a window"),
        quantity: 2,
        service_s: 30,
    };
    let courier = |id| PlanCourier {
        id: CourierId(id),
        capacity: 20,
        shift_start_s: 21_600,
        shift_end_s: 50_400,
    };
    let late = DayStop {
        window: DeliveryWindow::new(21_600, 50_000).expect("a window"),
        quantity: 3,
        ..stop((47.15, 9.515))
    };
    let mut day = OpenDay {
        depot: point((47.141, 9.521)),
        stops: vec![stop(VADUZ_A), stop(VADUZ_B), stop(VADUZ_C)],
        couriers: vec![courier(7), courier(9)],
        routes: vec![vec![0, 1], vec![2]],
        max_snap_m: 500.0,
    };
    let (lid, lview) = local.open_day(&day).await.expect("opens in process");
    let (rid, rview) = remote.open_day(&day).await.expect("opens on the server");
    assert_eq!(lview, rview, "the same day opened");
    assert_eq!(lview.plan_version, 1);
    let event = |id: &str, version, time_s, kind| DayEvent {
        event_id: id.into(),
        expected_version: version,
        time_s,
        kind,
    };
    let steps = [
        event("a", 1, 22_000, DayEventKind::Delivered { stop: 0 }),
        event(
            "b",
            2,
            22_300,
            DayEventKind::Failed {
                stop: 2,
                reason: FailureReason::NotHome,
                retry_s: Some((24_000, 27_600)),
            },
        ),
        event(
            "c",
            3,
            22_400,
            DayEventKind::Slowdown {
                stops: vec![1],
                depot: true,
                percent: 300,
            },
        ),
        event("d", 4, 23_000, DayEventKind::TrafficRefresh),
        // A late order the couriers can serve in its window…
        event(
            "n1",
            5,
            23_050,
            DayEventKind::NewStop {
                stop: 3,
                spec: late,
            },
        ),
        // …and one of more bottles than any trike carries.
        event(
            "n2",
            6,
            23_060,
            DayEventKind::NewStop {
                stop: 4,
                spec: DayStop {
                    quantity: 50,
                    ..stop(VADUZ_B)
                },
            },
        ),
        event(
            "e",
            7,
            23_100,
            DayEventKind::Breakdown {
                courier: CourierId(7),
            },
        ),
    ];
    for e in &steps {
        let a = local
            .apply_events(&lid, &day, std::slice::from_ref(e))
            .await
            .expect("applied in process");
        let b = remote
            .apply_events(&rid, &day, std::slice::from_ref(e))
            .await
            .expect("applied on the server");
        assert_eq!(a, b, "event {}", e.event_id);
        assert_eq!(a.day.plan_version, e.expected_version + 1);
        day.add_new_stops(std::slice::from_ref(e));
        if e.event_id == "n1" {
            // The late order is on a route, with an arrival in its window.
            let on_route = a
                .day
                .routes
                .iter()
                .any(|r| r.heading_to() == Some(3) || r.planned.contains(&3));
            assert!(on_route, "{:?}", a.day.routes);
            let s = a
                .day
                .stops
                .iter()
                .find(|s| s.stop == 3)
                .expect("stop 3 in the view");
            assert_eq!(s.status, StopStatus::Pending);
            let eta = s.eta_s.expect("an arrival");
            assert!(
                (late.window.start_s..=late.window.end_s).contains(&eta),
                "{s:?}"
            );
        }
    }
    assert_eq!(day.stops.len(), 5);
    let now = local.get_day(&lid, &day).await.expect("the day");
    assert_eq!(now, remote.get_day(&rid, &day).await.expect("the day"));
    assert_eq!(now.plan_version, 8);
    // The late order no trike can carry is reported unserved, with the reason.
    let missed = now
        .stops
        .iter()
        .find(|s| s.stop == 4)
        .expect("stop 4 in the view");
    assert_eq!(missed.status, StopStatus::Unserved, "{missed:?}");
    assert!(
        missed
            .reason
            .as_ref()
            .is_some_and(|r| r.contains("bottles")),
        "{missed:?}"
    );
    assert!(now.routes.iter().all(|r| !r.planned.contains(&4)));
    assert!(
        now.stops.iter().filter(|s| s.stop == 2).count() == 2,
        "the failed stop and its retry: {:?}",
        now.stops
    );
    assert!(!now.routes[0].active, "courier 7 broke down");
    // The first event again: its first version, nothing changes.
    let again = [steps[0].clone()];
    let a = local
        .apply_events(&lid, &day, &again)
        .await
        .expect("a replay");
    let b = remote
        .apply_events(&rid, &day, &again)
        .await
        .expect("a replay");
    assert_eq!(a, b);
    assert_eq!(
        a.results,
        [EventResult {
            plan_version: 2,
            replayed: true,
            moved: vec![],
            arrivals_shifted: 0,
            max_shift_s: 0,
        }]
    );
    assert_eq!(a.day, now);
    // The late order again under its id: its first version, nothing changes; under a new id
    // it is refused by both (stop 3 is in the day).
    let again = [steps[4].clone()];
    let a = local
        .apply_events(&lid, &day, &again)
        .await
        .expect("a replay");
    let b = remote
        .apply_events(&rid, &day, &again)
        .await
        .expect("a replay");
    assert_eq!(a, b);
    assert!(a.results[0].replayed && a.results[0].plan_version == 6);
    assert_eq!(a.day, now);
    let twice = [DayEvent {
        event_id: "n3".into(),
        ..steps[4].clone()
    }];
    let twice = [DayEvent {
        expected_version: 8,
        ..twice[0].clone()
    }];
    assert!(local
        .apply_events(&lid, &day, &twice)
        .await
        .is_err_and(|e| e.to_string().contains("new_stop.stop")));
    match remote.apply_events(&rid, &day, &twice).await {
        Err(milkrun_service::serve::client::RemoteError::Status(s)) => {
            assert_eq!(s.code(), tonic::Code::InvalidArgument, "{s:?}");
            assert!(s.message().contains("new_stop.stop.label"), "{s:?}");
        }
        other => panic!("a stop added twice is refused: {other:?}"),
    }
    // Hostile late orders are refused before they are sent, naming the field; one off the
    // roads by both engines, naming its point; none changes the day.
    let hostile = |spec| {
        [event(
            "n4",
            8,
            23_150,
            DayEventKind::NewStop { stop: 5, spec },
        )]
    };
    let nan = DayStop {
        point: GeoPoint {
            lat: f64::NAN,
            lon: 9.52,
        },
        ..late
    };
    let huge = DayStop {
        quantity: u32::MAX,
        ..late
    };
    let backwards = DayStop {
        window: DeliveryWindow {
            start_s: 30_000,
            end_s: 25_000,
        },
        ..late
    };
    for (spec, field) in [
        (nan, "new_stop.point.lat"),
        (huge, "new_stop.quantity"),
        (backwards, "new_stop.window"),
    ] {
        for e in [
            local
                .apply_events(&lid, &day, &hostile(spec))
                .await
                .err()
                .map(|e| e.to_string()),
            remote
                .apply_events(&rid, &day, &hostile(spec))
                .await
                .err()
                .map(|e| e.to_string()),
        ] {
            assert!(
                e.as_ref().is_some_and(|e| e.contains(field)),
                "{field}: {e:?}"
            );
        }
    }
    let off_roads = DayStop {
        point: point((46.9, 9.0)),
        ..late
    };
    let e = local
        .apply_events(&lid, &day, &hostile(off_roads))
        .await
        .err();
    assert!(e.is_some_and(|e| e.to_string().contains("new_stop.point")));
    match remote.apply_events(&rid, &day, &hostile(off_roads)).await {
        Err(milkrun_service::serve::client::RemoteError::Status(s)) => {
            assert_eq!(s.code(), tonic::Code::InvalidArgument, "{s:?}");
            assert!(s.message().contains("new_stop.stop.location"), "{s:?}");
        }
        other => panic!("a stop off the roads is refused: {other:?}"),
    }
    assert_eq!(local.get_day(&lid, &day).await.expect("the day"), now);
    assert_eq!(remote.get_day(&rid, &day).await.expect("the day"), now);
    // An event expecting version 3 when the day is at 8: refused by both, nothing changes.
    let stale = [event("f", 3, 23_200, DayEventKind::Cancel { stop: 1 })];
    assert!(local.apply_events(&lid, &day, &stale).await.is_err());
    match remote.apply_events(&rid, &day, &stale).await {
        Err(milkrun_service::serve::client::RemoteError::Status(s)) => {
            assert_eq!(s.code(), tonic::Code::Aborted, "{s:?}")
        }
        other => panic!("a stale version is refused: {other:?}"),
    }
    assert_eq!(remote.get_day(&rid, &day).await.expect("the day"), now);
    // A bad event is refused before it is sent, naming the field.
    let bad = [event(
        "g",
        8,
        23_300,
        DayEventKind::Slowdown {
            stops: vec![1],
            depot: false,
            percent: 50,
        },
    )];
    assert!(remote
        .apply_events(&rid, &day, &bad)
        .await
        .is_err_and(|e| e.to_string().contains("slowdown.percent")));
    // The server checks it too (this raw call does not retry: let the tenant's bucket refill
    // first).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut client = pb::dispatch_client::DispatchClient::new(
        Channel::from_shared(server.url())
            .expect("a url")
            .connect()
            .await
            .expect("connects"),
    );
    let mut req = tonic::Request::new(pb::ApplyEventsRequest {
        day_id: rid.as_str().to_string(),
        events: vec![pb::DayEvent {
            event_id: "h".into(),
            expected_plan_version: 8,
            time_s: 23_300,
            kind: Some(pb::day_event::Kind::Slowdown(pb::Slowdown {
                stop_labels: vec!["1".into(), "nope".into()],
                depot: false,
                percent: 200,
            })),
        }],
    });
    req.metadata_mut().insert(
        "authorization",
        "Bearer dairy-admin-key".parse().expect("ascii"),
    );
    let refused = client
        .apply_events(req)
        .await
        .expect_err("an unknown label");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("events[0].slowdown.stop_labels"),
        "{refused:?}"
    );
    more_bottles_both_ways(&local, &lid, remote, &rid, &day).await;
    let a = local.close_day(&lid, &day).await.expect("closes");
    let b = remote.close_day(&rid, &day).await.expect("closes");
    assert_eq!((a.open, b.open), (false, false));
    assert_eq!(a, b);
    assert!(local.get_day(&lid, &day).await.is_err());
    assert!(remote.get_day(&rid, &day).await.is_err());
}

/// A late order for a household already in the day (issue #22's gap): its stop grows in
/// both engines alike, a replayed id does not grow it twice, a stop no trike can carry any
/// more is re-planned unserved with the reason, and the stop a courier is on the way to is
/// refused over the trike's capacity, naming the field, the day unchanged. The day stands
/// at version 8 with courier 9 alone in service (a trike of 20), on his way to no door yet.
async fn more_bottles_both_ways(
    local: &LocalEngine,
    lid: &milkrun_dairy::engine::DayId,
    remote: &GrpcEngine,
    rid: &milkrun_dairy::engine::DayId,
    day: &milkrun_dairy::engine::OpenDay,
) {
    use milkrun_dairy::engine::*;
    let now = local.get_day(lid, day).await.expect("the day");
    assert_eq!(now.plan_version, 8);
    let quantity = |v: &DayView, stop: u32| {
        v.stops
            .iter()
            .rev()
            .find(|s| s.stop == stop)
            .map(|s| (s.quantity, s.status))
    };
    assert_eq!(quantity(&now, 3), Some((3, StopStatus::Pending)));
    // Courier 9 delivers his first stop and sets off to the next.
    let first = *now.routes[1].planned.first().expect("courier 9 has stops");
    let delivered = [DayEvent {
        event_id: "q0".into(),
        expected_version: 8,
        time_s: 23_350,
        kind: DayEventKind::Delivered { stop: first },
    }];
    let a = local
        .apply_events(lid, day, &delivered)
        .await
        .expect("in process");
    let b = remote
        .apply_events(rid, day, &delivered)
        .await
        .expect("on the server");
    assert_eq!(a, b);
    let route_day = a.day.clone();
    let route = a.day.routes[1].clone();
    let heading = route.next.expect("courier 9 is on his way");
    let later = *route
        .planned
        .iter()
        .find(|&&s| s != heading)
        .expect("a stop after it");
    let add = |id: &str, version, stop, bottles| {
        [DayEvent {
            event_id: id.into(),
            expected_version: version,
            time_s: 23_400,
            kind: DayEventKind::AddBottles { stop, bottles },
        }]
    };
    // Two more for the stop after the one courier 9 is heading to: it stays on the route.
    let grow = add("q1", 9, later, 2);
    let a = local
        .apply_events(lid, day, &grow)
        .await
        .expect("in process");
    let b = remote
        .apply_events(rid, day, &grow)
        .await
        .expect("on the server");
    assert_eq!(a, b, "the same growth");
    let before = quantity(&route_day, later).expect("in the view").0;
    assert_eq!(
        quantity(&a.day, later),
        Some((before + 2, StopStatus::Pending))
    );
    assert!(a.day.routes[1].planned.contains(&later));
    // The same id again: answered as a replay, nothing grows twice.
    let a2 = local.apply_events(lid, day, &grow).await.expect("a replay");
    let b2 = remote
        .apply_events(rid, day, &grow)
        .await
        .expect("a replay");
    assert_eq!(a2, b2);
    assert!(a2.results[0].replayed);
    assert_eq!(a2.day, a.day);
    // Past the trike's capacity: the stop courier 9 is on its way to is refused by both,
    // naming the field, and the day stays as it was…
    let over = add("q2", 10, heading, 20);
    let e = local.apply_events(lid, day, &over).await.err();
    assert!(
        e.as_ref()
            .is_some_and(|e| e.to_string().contains("event.bottles")),
        "{e:?}"
    );
    match remote.apply_events(rid, day, &over).await {
        Err(milkrun_service::serve::client::RemoteError::Status(s)) => {
            assert_eq!(s.code(), tonic::Code::InvalidArgument, "{s:?}");
            assert!(s.message().contains("event.bottles"), "{s:?}");
        }
        other => panic!("over the trike's capacity is refused: {other:?}"),
    }
    assert_eq!(local.get_day(lid, day).await.expect("the day"), a.day);
    assert_eq!(remote.get_day(rid, day).await.expect("the day"), a.day);
    // …and a later stop is re-planned: no trike in service carries it, unserved with why.
    let over = add("q3", 10, later, 20);
    let a = local
        .apply_events(lid, day, &over)
        .await
        .expect("in process");
    let b = remote
        .apply_events(rid, day, &over)
        .await
        .expect("on the server");
    assert_eq!(a, b, "the same re-plan");
    let s = a
        .day
        .stops
        .iter()
        .rev()
        .find(|s| s.stop == later)
        .expect("in the view");
    assert_eq!((s.quantity, s.status), (before + 22, StopStatus::Unserved));
    assert!(
        s.reason.as_ref().is_some_and(|r| r.contains("bottles")),
        "{s:?}"
    );
}

/// Five weeks of weekly-patterned extras (12 on Saturdays, 2 on other days) forecast by the
/// models in process and by the Forecast service: the same days, which follow the weekday.
async fn forecast_both_ways(remote: &GrpcEngine) {
    use milkrun_dairy::engine::{Engine, ForecastRequest};
    use milkrun_dairy::station_order::extras_request;

    let osm = milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf");
    let local = LocalEngine::new(Arc::new(
        milkrun_station::road::road_engine(&osm).expect("the extract imports"),
    ));
    let start = Date::parse_iso("2028-01-03").expect("a Monday");
    let history: Vec<u64> = (0..35).map(|d| if d % 7 == 5 { 12 } else { 2 }).collect();
    let req: ForecastRequest = extras_request(&history, start, 7, 1)
        .expect("a history")
        .expect("long enough for the models");
    let a = local.forecast_demand(&req).await.expect("in process");
    let b = remote
        .forecast_demand(&req)
        .await
        .expect("through the server");
    assert_eq!(a, b, "the same forecast in process and through the server");
    // Day 35 is a Monday, day 40 a Saturday.
    assert!(a[5].mean > a[0].mean + 5.0, "{a:?}");
    let mut bad = req.clone();
    bad.max_history = 0;
    assert!(remote.forecast_demand(&bad).await.is_err());
}
