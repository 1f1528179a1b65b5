//! The independent checker: exact distances on hand-made fixtures, and each
//! rule caught and named on broken solutions of fixtures and shipped files.

use milkrun_datasets::checker::{check, check_with, CheckReport, Violation};
use milkrun_datasets::sol::read_sol;
use milkrun_datasets::{
    load_instance, parse_li_lim, parse_solomon, vrp_set_dir, DistanceConvention, Instance,
};

/// Solomon-like fixture `ok_small`: depot at the origin (horizon 100),
/// customers 1 (3,4) and 2 (6,8) on a line, 3 at (1,1); capacity 10.
/// Customer 1 opens at 30 (waiting), customer 3 closes at 33.
const OK_SMALL: &str = "ok_small
VEHICLE
NUMBER     CAPACITY
  3         10
CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME
    0      0          0          0          0        100          0
    1      3          4          4         30         50          1
    2      6          8          4          0         60          1
    3      1          1          3          0         33          2
";

/// Li & Lim fixture: pickup 1 → delivery 2, pickup 3 → delivery 4, 6 units each, capacity 10.
const PAIRS: &str = "2 10 1
0 0 0 0 0 1000 0 0 0
1 1 0 6 0 1000 0 0 2
2 2 0 -6 0 1000 0 1 0
3 3 0 6 0 1000 0 0 4
4 4 0 -6 0 1000 0 3 0
";

fn ok_small() -> Instance {
    parse_solomon(OK_SMALL, "ok_small.txt").unwrap()
}

/// The one helper: `routes` on `inst` break exactly the rules in `rules`.
fn assert_breaks(inst: &Instance, routes: &[Vec<usize>], rules: &[&str]) -> CheckReport {
    let report = check(inst, routes);
    let got: Vec<&str> = report.violations.iter().map(Violation::rule).collect();
    assert_eq!(got, rules, "{:#?}", report.violations);
    report
}

/// A feasible solution of `ok_small`: the exact, unrounded distance, with
/// waiting at customer 1 (arrive 5, start 30).
#[test]
fn ok_small_exact_distance() {
    let inst = ok_small();
    let report = assert_breaks(&inst, &[vec![1, 2], vec![3]], &[]);
    assert!(report.is_feasible());
    assert_eq!(report.vehicles, 2);
    let expected = 5.0 + 5.0 + 10.0 + 2.0 * 2f64.sqrt();
    assert!(
        (report.distance - expected).abs() < 1e-12,
        "{}",
        report.distance
    );
    // Empty routes are ignored: no vehicle, no distance.
    let with_empty = check(&inst, &[vec![1, 2], vec![], vec![3]]);
    assert_eq!(
        (with_empty.vehicles, with_empty.distance),
        (2, report.distance)
    );
}

/// The same routes under the other conventions.
#[test]
fn ok_small_other_conventions() {
    let inst = ok_small();
    let routes = [vec![1, 2], vec![3]];
    // nint(√2) = 1.
    assert_eq!(
        check_with(&inst, &routes, DistanceConvention::Nint).distance,
        22.0
    );
    // DIMACS: floor(10√2)/10 = 1.4.
    let d = check_with(&inst, &routes, DistanceConvention::Dimacs).distance;
    assert!((d - 22.8).abs() < 1e-9, "{d}");
}

/// Waiting matters: serving 1 (opens 30) before 3 (due 33) is late at 3,
/// although without waiting it would arrive at 3 by time 11.
#[test]
fn late_arrival_after_waiting() {
    let inst = ok_small();
    let report = assert_breaks(&inst, &[vec![1, 3], vec![2]], &["LateArrival"]);
    let Violation::LateArrival {
        route,
        position,
        node,
        arrival,
        due,
    } = report.violations[0]
    else {
        unreachable!()
    };
    assert_eq!((route, position, node, due), (0, 1, 3, 33.0));
    assert!((arrival - (31.0 + 13f64.sqrt())).abs() < 1e-12, "{arrival}");
}

/// Missing, duplicate, unknown, depot-in-route, capacity, fleet and horizon
/// violations on `ok_small`, each named with where it happens.
#[test]
fn ok_small_broken_rules() {
    let inst = ok_small();
    let r = assert_breaks(&inst, &[vec![1, 2]], &["MissingCustomer"]);
    assert_eq!(r.violations[0], Violation::MissingCustomer { node: 3 });
    let r = assert_breaks(&inst, &[vec![1, 2], vec![3, 1]], &["DuplicateCustomer"]);
    assert_eq!(
        r.violations[0],
        Violation::DuplicateCustomer {
            node: 1,
            route: 1,
            position: 1,
            first_route: 0,
            first_position: 0
        }
    );
    // Load 3, 7, then 11 > 10 at the third stop (time windows hold).
    let r = assert_breaks(&inst, &[vec![3, 1, 2]], &["CapacityExceeded"]);
    assert_eq!(
        r.violations[0],
        Violation::CapacityExceeded {
            route: 0,
            position: 2,
            node: 2,
            load: 11,
            capacity: 10
        }
    );
    let r = assert_breaks(&inst, &[vec![1, 2], vec![3, 9]], &["UnknownNode"]);
    assert_eq!(
        r.violations[0],
        Violation::UnknownNode {
            route: 1,
            position: 1,
            node: 9
        }
    );
    let r = assert_breaks(&inst, &[vec![1, 0, 2], vec![3]], &["DepotInRoute"]);
    assert_eq!(
        r.violations[0],
        Violation::DepotInRoute {
            route: 0,
            position: 1
        }
    );
    assert_breaks(&inst, &[vec![1], vec![2], vec![3], vec![]], &[]);
    let mut tight = ok_small();
    tight.vehicles = Some(1);
    let r = assert_breaks(&tight, &[vec![1, 2], vec![3]], &["TooManyVehicles"]);
    assert_eq!(
        r.violations[0],
        Violation::TooManyVehicles { used: 2, limit: 1 }
    );
    // Horizon: back at the depot at 31 + 5 + 1 + 10 = 47 > 40.
    tight.vehicles = None;
    tight.nodes[0].due = 40.0;
    let r = assert_breaks(&tight, &[vec![1, 2], vec![3]], &["LateReturnToDepot"]);
    assert_eq!(
        r.violations[0],
        Violation::LateReturnToDepot {
            route: 0,
            arrival: 47.0,
            due: 40.0
        }
    );
    assert!(r.violations[0].to_string().contains("route 0"));
}

/// Pickup and delivery: order, same route, and the load along the route.
#[test]
fn pickup_delivery_rules() {
    let inst = parse_li_lim(PAIRS, "pairs").unwrap();
    assert_breaks(&inst, &[vec![1, 2, 3, 4]], &[]);
    assert_breaks(&inst, &[vec![1, 3, 4, 2]], &["CapacityExceeded"]);
    let r = assert_breaks(&inst, &[vec![2, 1], vec![3, 4]], &["PickupAfterDelivery"]);
    assert_eq!(
        r.violations[0],
        Violation::PickupAfterDelivery {
            route: 0,
            pickup: 1,
            pickup_position: 1,
            delivery: 2,
            delivery_position: 0
        }
    );
    let r = assert_breaks(
        &inst,
        &[vec![1, 4], vec![3, 2]],
        &["PairSplit", "PairSplit"],
    );
    assert_eq!(
        r.violations[0],
        Violation::PairSplit {
            pickup: 1,
            pickup_route: 0,
            delivery: 2,
            delivery_route: 1
        }
    );
}

/// The shipped X-n101-k25 BKS with one customer removed, two routes merged
/// (over capacity), or the depot listed: each rule is caught and named.
#[test]
fn broken_x_solutions_rejected() {
    let dir = vrp_set_dir("x");
    let inst = load_instance(&dir.join("X-n101-k25.vrp")).unwrap();
    let sol = read_sol(&dir.join("X-n101-k25.sol")).unwrap();
    assert!(check(&inst, &sol.routes).is_feasible());

    let mut missing = sol.routes.clone();
    let dropped = missing[0].remove(0);
    let r = assert_breaks(&inst, &missing, &["MissingCustomer"]);
    assert_eq!(
        r.violations[0],
        Violation::MissingCustomer { node: dropped }
    );

    let mut merged = sol.routes.clone();
    let second = merged.remove(1);
    merged[0].extend(second);
    let r = assert_breaks(&inst, &merged, &["CapacityExceeded"]);
    let load: i64 = sol.routes[0]
        .iter()
        .chain(&sol.routes[1])
        .map(|&c| inst.nodes[c].demand)
        .sum();
    assert!(load > inst.capacity);
    assert!(matches!(
        r.violations[0],
        Violation::CapacityExceeded {
            route: 0,
            capacity: 206,
            ..
        }
    ));
}

/// On Solomon C101, a customer served right after one that opens later
/// than it closes is a late arrival at exactly that stop.
#[test]
fn late_arrival_on_c101() {
    let inst = load_instance(&vrp_set_dir("solomon").join("C101.txt")).unwrap();
    let customers = 1..inst.len();
    let late_opener = customers
        .clone()
        .max_by(|&a, &b| inst.nodes[a].ready.total_cmp(&inst.nodes[b].ready))
        .unwrap();
    let early_closer = customers
        .clone()
        .min_by(|&a, &b| inst.nodes[a].due.total_cmp(&inst.nodes[b].due))
        .unwrap();
    assert!(inst.nodes[early_closer].due < inst.nodes[late_opener].ready);
    let mut routes = vec![vec![late_opener, early_closer]];
    routes.extend(
        customers
            .filter(|&c| c != late_opener && c != early_closer)
            .map(|c| vec![c]),
    );
    let mut inst = inst;
    inst.vehicles = None; // one route per customer: judge the windows only
                          // Late at the second stop, and (having waited for the first) back late.
    let r = assert_breaks(&inst, &routes, &["LateArrival", "LateReturnToDepot"]);
    assert!(
        matches!(r.violations[0], Violation::LateArrival { route: 0, position: 1, node, .. } if node == early_closer)
    );
}

/// Li & Lim lc101: a pair visited delivery-first is named.
#[test]
fn pickup_after_delivery_on_lc101() {
    let inst = load_instance(&vrp_set_dir("li_lim_100").join("lc101.txt")).unwrap();
    let (delivery, pickup) = inst
        .nodes
        .iter()
        .enumerate()
        .find_map(|(i, n)| n.pickup.map(|p| (i, p)))
        .unwrap();
    let mut routes = vec![vec![delivery, pickup]];
    routes.extend(
        (1..inst.len())
            .filter(|&c| c != delivery && c != pickup)
            .map(|c| vec![c]),
    );
    let r = check(&inst, &routes);
    assert!(
        r.violations.contains(&Violation::PickupAfterDelivery {
            route: 0,
            pickup,
            pickup_position: 1,
            delivery,
            delivery_position: 0
        }),
        "{:?}",
        r.violations
    );
}

/// Extended VRPLIB with an asymmetric explicit matrix: distances and travel
/// times come from the matrix, in the direction driven.
const ASYMMETRIC: &str = "NAME : asym
DIMENSION : 3
EDGE_WEIGHT_TYPE : EXPLICIT
EDGE_WEIGHT_FORMAT : FULL_MATRIX
CAPACITY : 10
EDGE_WEIGHT_SECTION
0 5 10
6 0 5
11 7 0
DEMAND_SECTION
1 0
2 5
3 5
TIME_WINDOW_SECTION
1 0 30
2 0 50
3 0 12
SERVICE_TIME_SECTION
1 0
2 1
3 1
DEPOT_SECTION
1
-1
";

/// Route 0→1→2→0 drives 5 + 5 + 11 = 21 and reaches node 2 at 11 (due 12),
/// back at 23; the reverse 0→2→1→0 drives 10 + 7 + 6 = 23 and is back at 25.
/// (The file also has no `EOF` line, which is allowed.)
#[test]
fn explicit_matrix_is_directional() {
    let inst = milkrun_datasets::parse_instance(ASYMMETRIC, "asym.vrp", "asym").unwrap();
    assert_eq!(inst.format, milkrun_datasets::Format::Vrplib);
    let forward = assert_breaks(&inst, &[vec![1, 2]], &[]);
    assert_eq!(forward.distance, 21.0);
    let backward = assert_breaks(&inst, &[vec![2, 1]], &[]);
    assert_eq!(backward.distance, 23.0);
    // Separate routes: 0→1→0 = 11, 0→2→0 = 21.
    assert_eq!(check(&inst, &[vec![1], vec![2]]).distance, 32.0);
    // A horizon of 24 makes the backward route late home (10 + 1 + 7 + 1 + 6 = 25).
    let mut short = inst.clone();
    short.nodes[0].due = 24.0;
    assert_breaks(&short, &[vec![2, 1]], &["LateReturnToDepot"]);
    assert_breaks(&short, &[vec![1, 2]], &[]);
}
