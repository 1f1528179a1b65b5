//! Every shipped instance loads, has the expected size, and has a BKS row;
//! the checker reproduces the published cost of every shipped `.sol`.

use std::path::Path;

use milkrun_datasets::bks::{self, read_bks};
use milkrun_datasets::sol::read_sol;
use milkrun_datasets::{
    checker, instance_files, load_instance, vrp_set_dir, DistanceConvention, Format, Instance,
};

/// Loads every instance of a set, asserting the file count.
fn load_set(set: &str, files: usize) -> Vec<Instance> {
    let paths = instance_files(&vrp_set_dir(set)).unwrap();
    assert_eq!(paths.len(), files, "{set}: instance files");
    paths
        .iter()
        .map(|p| load_instance(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// Asserts that `bks.csv` of a set has exactly one row per instance.
fn assert_bks_covers(set: &str, names: &[String]) {
    let rows = read_bks(&vrp_set_dir(set).join("bks.csv")).unwrap();
    assert_eq!(rows.len(), names.len(), "{set}: bks rows");
    for name in names {
        assert!(bks::find(&rows, name).is_some(), "{set}: no BKS for {name}");
    }
}

/// Solomon: 56 files of 101 nodes, exact Euclidean, time windows.
#[test]
fn solomon_all_56_load() {
    let set = load_set("solomon", 56);
    for inst in &set {
        assert_eq!(inst.len(), 101, "{}", inst.name);
        assert_eq!(inst.format, Format::Solomon);
        assert_eq!(inst.convention, DistanceConvention::Exact);
        assert!(inst.has_time_windows);
    }
    let names: Vec<String> = set.iter().map(|i| i.name.clone()).collect();
    assert_bks_covers("solomon", &names);
    let dist_only = read_bks(&vrp_set_dir("solomon").join("bks_distance.csv")).unwrap();
    assert_eq!(dist_only.len(), 56);
}

/// Homberger 200: 60 files of 201 nodes.
#[test]
fn homberger_200_all_60_load() {
    let set = load_set("homberger_200", 60);
    for inst in &set {
        assert_eq!(inst.len(), 201, "{}", inst.name);
        assert_eq!(inst.format, Format::Solomon);
    }
    let names: Vec<String> = set.iter().map(|i| i.name.clone()).collect();
    assert_bks_covers("homberger_200", &names);
}

/// Li & Lim 100: 56 files, every delivery paired with a pickup.
#[test]
fn li_lim_100_all_56_load() {
    let set = load_set("li_lim_100", 56);
    for inst in &set {
        assert_eq!(inst.format, Format::LiLim);
        assert!(
            (100..=110).contains(&(inst.len() - 1)),
            "{}: {} nodes",
            inst.name,
            inst.len()
        );
        let deliveries = inst.nodes.iter().filter(|n| n.pickup.is_some()).count();
        let pickups = inst.nodes.iter().filter(|n| n.delivery.is_some()).count();
        assert_eq!(deliveries, pickups, "{}", inst.name);
        assert_eq!(
            2 * pickups,
            inst.len() - 1,
            "{}: every customer is in a pair",
            inst.name
        );
    }
    let names: Vec<String> = set.iter().map(|i| i.name.clone()).collect();
    assert_bks_covers("li_lim_100", &names);
}

/// X: 100 files; the node count equals the `n` in the name (X-n101-k25 → 101).
#[test]
fn x_all_100_load() {
    let set = load_set("x", 100);
    for inst in &set {
        let n: usize = inst
            .name
            .trim_start_matches("X-n")
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(inst.len(), n, "{}", inst.name);
        assert_eq!(inst.format, Format::Vrplib);
        assert_eq!(inst.convention, DistanceConvention::Nint);
        assert!(!inst.has_time_windows);
    }
    let names: Vec<String> = set.iter().map(|i| i.name.clone()).collect();
    assert_bks_covers("x", &names);
}

/// Checks the `.sol` of an X instance: feasible, cost = its `Cost` line.
fn check_x_sol(name: &str) -> f64 {
    let dir = vrp_set_dir("x");
    let inst = load_instance(&dir.join(format!("{name}.vrp"))).unwrap();
    let sol = read_sol(&dir.join(format!("{name}.sol"))).unwrap();
    let report = checker::check(&inst, &sol.routes);
    assert!(report.is_feasible(), "{name}: {:?}", report.violations);
    assert_eq!(Some(report.distance), sol.cost, "{name}");
    report.distance
}

/// The two costs named in issue #2.
#[test]
fn x_published_costs_reproduced() {
    assert_eq!(check_x_sol("X-n101-k25"), 27591.0);
    assert_eq!(check_x_sol("X-n1001-k43"), 72355.0);
}

/// Every shipped X `.sol` is feasible and costs exactly its `bks.csv` distance.
#[test]
fn x_every_sol_matches_bks() {
    let dir = vrp_set_dir("x");
    let rows = read_bks(&dir.join("bks.csv")).unwrap();
    assert_eq!(rows.len(), 100);
    for row in &rows {
        assert!(Path::new(&dir.join(format!("{}.sol", row.instance))).exists());
        let cost = check_x_sol(&row.instance);
        assert_eq!(cost, row.distance, "{}", row.instance);
        let sol = read_sol(&dir.join(format!("{}.sol", row.instance))).unwrap();
        assert_eq!(sol.routes.len(), row.vehicles, "{}", row.instance);
    }
}
