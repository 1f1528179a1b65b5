//! Benchmark instances as solver problems: sizes are bounded before allocating.

use milkrun_datasets::{DistanceConvention, Format, Instance, Node};
use milkrun_station::instance::{to_problem, MAX_LOCATIONS};
use milkrun_station::StationError;
use milkrun_vrp::Objective;

fn node(i: usize) -> Node {
    Node {
        file_id: i as i64,
        x: (i % 100) as f64,
        y: (i / 100) as f64,
        demand: i64::from(i > 0),
        ready: 0.0,
        due: 1e6,
        service: 0.0,
        pickup: None,
        delivery: None,
    }
}

fn instance(n: usize) -> Instance {
    Instance {
        name: format!("grid{n}"),
        format: Format::Solomon,
        convention: DistanceConvention::Exact,
        vehicles: Some(10),
        capacity: 1_000_000,
        nodes: (0..n).map(node).collect(),
        matrix: None,
        has_time_windows: true,
    }
}

/// 12,000 customers built 3.4 GB of matrices before the solver's `--seconds 1` began (and
/// overran it nineteen-fold): an instance above `MAX_LOCATIONS` is refused, naming the
/// field, before any matrix is allocated; one at the limit's scale of the shipped sets
/// still converts.
#[test]
fn twelve_thousand_customers_are_refused_before_the_matrices() {
    match to_problem(&instance(12_001), Objective::Weighted) {
        Err(StationError::TooLarge { field, size, max }) => {
            assert_eq!(field, "instance.nodes");
            assert_eq!(size, 12_001);
            assert_eq!(max, MAX_LOCATIONS);
        }
        other => panic!("{:?}", other.map(|p| p.num_jobs())),
    }
    let p = to_problem(&instance(101), Objective::Weighted).unwrap();
    assert_eq!(p.num_jobs(), 100);
}
