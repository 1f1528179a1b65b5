//! `write_sol` then `parse_sol` gives back the same routes and cost.

use milkrun_datasets::sol::{parse_sol, read_sol, write_sol, Solution};
use milkrun_datasets::vrp_set_dir;

/// The one helper: a round trip must be lossless.
fn round_trip(routes: Vec<Vec<usize>>, cost: f64) {
    let text = write_sol(&routes, cost);
    assert_eq!(
        parse_sol(&text).unwrap(),
        Solution {
            routes,
            cost: Some(cost)
        },
        "{text}"
    );
}

/// Integral and fractional costs, empty routes, no routes.
#[test]
fn round_trips() {
    round_trip(vec![vec![1, 2, 3], vec![4]], 27591.0);
    round_trip(vec![vec![5, 1], vec![], vec![2]], 828.936_866_942_834_3);
    round_trip(vec![], 0.0);
    round_trip(vec![vec![1]], 0.1 + 0.2);
}

/// The CVRPLIB layout, exactly.
#[test]
fn writes_cvrplib_layout() {
    assert_eq!(
        write_sol(&[vec![31, 46, 35], vec![15]], 27591.0),
        "Route #1: 31 46 35\nRoute #2: 15\nCost 27591\n"
    );
}

/// A shipped `.sol` read, written and read again is unchanged.
#[test]
fn shipped_sol_round_trips() {
    let sol = read_sol(&vrp_set_dir("x").join("X-n101-k25.sol")).unwrap();
    assert_eq!(sol.routes.len(), 26);
    assert_eq!(sol.routes[0], vec![31, 46, 35]);
    let again = parse_sol(&write_sol(&sol.routes, sol.cost.unwrap())).unwrap();
    assert_eq!(again, sol);
}
