//! Door to door in the station's night plan and live day (issue #25): two households whose
//! doors snap to one road position are the two access legs apart, never 0 s, in the day's
//! matrix, in the dairy interface's matrix, in the night's plan and in the live day,
//! including a late order's address added to the day.
use milkrun_dairy::engine::live_day::{DayEvent, DayEventKind, DayStop, OpenDay};
use milkrun_dairy::engine::{PlanCourier, PlanLimits, PlanRequest, PlanStop};
use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
use milkrun_dairy::ids::{CourierId, HouseholdId};
use milkrun_engine::{generate_grid, GridSpec, LatLon, NodeId, RoadEngine};
use milkrun_station::live::LocalDays;
use milkrun_station::night::plan_on_roads;
use milkrun_station::road::RoadLocations;

/// Service at a door, seconds.
const SERVICE_S: i64 = 30;

/// A generated town (80 m blocks), its station at node 0 and three doors 10-16 m off road
/// node 57, on three sides of it.
fn town() -> (RoadEngine, LatLon, [LatLon; 3]) {
    let (graph, _) = generate_grid(&GridSpec::city(400, 5)).unwrap();
    let engine = RoadEngine::prepare(graph);
    let g = engine.graph();
    let (depot, c) = (g.coord(NodeId(0)), g.coord(NodeId(57)));
    let at = |dlat: f64, dlon: f64| LatLon {
        lat: c.lat + dlat,
        lon: c.lon + dlon,
    };
    let doors = [
        at(0.0001, 0.0001),
        at(-0.0001, -0.0001),
        at(0.00009, -0.00012),
    ];
    (engine, depot, doors)
}

fn point(p: LatLon) -> GeoPoint {
    GeoPoint::new(p.lat, p.lon).unwrap()
}

fn window() -> DeliveryWindow {
    DeliveryWindow::new(21_600, 43_200).unwrap()
}

fn courier() -> PlanCourier {
    PlanCourier {
        id: CourierId(1),
        capacity: 20,
        shift_start_s: 21_600,
        shift_end_s: 50_400,
    }
}

/// The doors share a road node (the premise), and the day's matrix between them is their
/// access legs: at least the straight line at walking speed, never 0; a door to itself is 0.
#[test]
fn two_doors_on_one_road_position_are_apart_in_the_days_matrix() {
    let (engine, depot, doors) = town();
    let locs = RoadLocations::snap(&engine, &[depot, doors[0], doors[1]], 100.0).unwrap();
    assert_eq!(locs.doors[1].node, locs.doors[2].node, "one road position");
    let t = locs.matrix(&engine).unwrap();
    let straight_m = milkrun_engine::geo::haversine_m(doors[0], doors[1]);
    assert!(straight_m > 20.0, "{straight_m}");
    for (a, b) in [(1, 2), (2, 1)] {
        assert!(
            t.travel(a, b) as f64 >= (straight_m / 1.3).floor(),
            "{a}->{b}: {} s for {straight_m:.0} m",
            t.travel(a, b)
        );
        assert!(
            t.dist(a, b) as f64 >= straight_m.floor(),
            "{}",
            t.dist(a, b)
        );
    }
    assert_eq!((t.travel(1, 1), t.travel(2, 2)), (0, 0));
    // Road only, as OSRM counts: the same road position is 0 s apart.
    let road_only = RoadLocations {
        access: milkrun_engine::Access::RoadOnly,
        ..locs.clone()
    };
    assert_eq!(road_only.matrix(&engine).unwrap().travel(1, 2), 0);
}

/// The night's plan (what the dairy layer stores) rides from one door to the other: the
/// second arrival is after the first's service and the access legs between them.
#[test]
fn the_night_plan_rides_between_the_doors() {
    let (engine, depot, doors) = town();
    let req = PlanRequest {
        depot: point(depot),
        stops: (0..2)
            .map(|i| PlanStop {
                household: HouseholdId(i as i64),
                point: point(doors[i]),
                window: window(),
                quantity: 1,
                service_s: SERVICE_S,
                previous: None,
            })
            .collect(),
        couriers: vec![courier()],
        max_snap_m: 100.0,
        stability: None,
        limits: PlanLimits {
            solver_iterations: 100,
            polish_iterations: 20,
            ..PlanLimits::default()
        },
    };
    let plan = plan_on_roads(&engine, &req).unwrap();
    assert!(plan.unserved.is_empty(), "{plan:?}");
    let visits = &plan.routes[0].visits;
    assert_eq!(visits.len(), 2, "{plan:?}");
    let gap = visits[1].arrival_s - visits[0].arrival_s;
    assert!(
        gap > SERVICE_S + 15,
        "{visits:?}: {gap} s between the doors"
    );
}

/// The live day counts the access legs too, at the open and for a late order's address on
/// the same road position: each next arrival is after the service and the legs.
#[test]
fn the_live_day_and_a_late_order_ride_between_the_doors() {
    let (engine, depot, doors) = town();
    let stop = |p: LatLon| DayStop {
        point: point(p),
        window: window(),
        quantity: 1,
        service_s: SERVICE_S,
    };
    let mut open = OpenDay {
        depot: point(depot),
        stops: vec![stop(doors[0]), stop(doors[1])],
        couriers: vec![courier()],
        routes: vec![vec![0, 1]],
        max_snap_m: 100.0,
    };
    let days = LocalDays::default();
    let (id, view) = days.open(&engine, &open).unwrap();
    let eta = |v: &milkrun_dairy::engine::DayView, s: u32| {
        v.stops.iter().find(|x| x.stop == s).unwrap().eta_s.unwrap()
    };
    assert!(eta(&view, 1) - eta(&view, 0) > SERVICE_S + 15, "{view:?}");
    let late = [DayEvent {
        event_id: "late".into(),
        expected_version: 1,
        time_s: 21_700,
        kind: DayEventKind::NewStop {
            stop: 2,
            spec: stop(doors[2]),
        },
    }];
    let applied = days.apply(&engine, &id, &open, &late).unwrap();
    open.add_new_stops(&late);
    let view = applied.day;
    assert_eq!(view.stops.len(), 3, "{view:?}");
    assert!(view.stops.iter().all(|s| s.courier.is_some()), "{view:?}");
    let mut arrivals: Vec<i64> = (0..3).map(|s| eta(&view, s)).collect();
    arrivals.sort_unstable();
    for w in arrivals.windows(2) {
        assert!(w[1] - w[0] > SERVICE_S + 10, "{arrivals:?}");
    }
}

/// A door-to-door route's geometry starts at the first door, joins the road at its road
/// position, and ends at the last door (the access legs drawn as straight segments); road
/// only keeps the road points (it starts and ends at the road positions).
#[test]
fn route_geometry_runs_from_door_to_door() {
    let (engine, depot, doors) = town();
    let depot_door = LatLon {
        lat: depot.lat + 0.0002,
        lon: depot.lon + 0.0001,
    };
    let locs = RoadLocations::snap(&engine, &[depot_door, doors[0], doors[1]], 100.0).unwrap();
    let g = engine.graph();
    let (line, ways) = locs.route_geometry(&engine, &[0, 1, 2, 0]);
    assert_eq!(line.first(), Some(&depot_door));
    assert_eq!(line.last(), Some(&depot_door));
    assert!(!ways.is_empty());
    // The door, then its road position; every door is on the line, each followed by the
    // next leg's road (the two households share a road position: door, node, door).
    assert_eq!(line.get(1), Some(&g.coord(locs.doors[0].node)));
    for d in &doors[..2] {
        let k = line
            .iter()
            .position(|p| p == d)
            .expect("the door on the line");
        assert_eq!(line.get(k + 1), Some(&g.coord(locs.doors[1].node)));
    }
    assert!(line.windows(2).all(|w| w[0] != w[1]), "no repeated point");
    // Road only: the road points alone, from the depot's road position back to it.
    let road = RoadLocations {
        access: milkrun_engine::Access::RoadOnly,
        ..locs.clone()
    };
    let (line, _) = road.route_geometry(&engine, &[0, 1, 2, 0]);
    let start = g.coord(locs.doors[0].node);
    assert_eq!(line.first(), Some(&start));
    assert_eq!(line.last(), Some(&start));
    assert!(!line.contains(&depot_door) && !line.contains(&doors[0]));
}
