//! Scenario generator and file format (issue #5).

use milkrun_datasets::scenario::{
    generate, parse_scenario, parse_time, write_scenario, ScenarioSpec, MAIN_WINDOW_S,
};
use milkrun_datasets::DatasetError;

/// A small grid of road points around Vaduz.
fn road_points() -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for i in 0..30 {
        for j in 0..30 {
            pts.push((47.10 + i as f64 * 0.001, 9.50 + j as f64 * 0.0013));
        }
    }
    pts
}

/// The same seed gives the same scenario; another seed another one.
#[test]
fn deterministic_for_a_seed() {
    let pts = road_points();
    let a = generate(&ScenarioSpec::new(7, 300, 4), &pts).unwrap();
    let b = generate(&ScenarioSpec::new(7, 300, 4), &pts).unwrap();
    let c = generate(&ScenarioSpec::new(8, 300, 4), &pts).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

/// Households stand 5-40 m off the road points (one building, one door), order 1-3
/// bottles, mostly in the main window, and the fleet can carry the day's bottles; with a
/// setback of 0 they sit on the road points and everything else is the same.
#[test]
fn shape_of_a_morning() {
    let pts = road_points();
    let s = generate(&ScenarioSpec::new(3, 1000, 6), &pts).unwrap();
    assert_eq!(s.households.len(), 1000);
    assert_eq!(s.couriers.len(), 6);
    for h in &s.households {
        assert!((1..=3).contains(&h.bottles()));
        assert!(h.window_s.0 < h.window_s.1);
        assert!((15..=45).contains(&h.service_s));
        let nearest = pts
            .iter()
            .map(|p| metres(*p, (h.lat, h.lon)))
            .fold(f64::INFINITY, f64::min);
        assert!(nearest <= 40.1, "household {} is {nearest:.1} m off", h.id);
    }
    let mut off: Vec<f64> = s
        .households
        .iter()
        .map(|h| {
            pts.iter()
                .map(|p| metres(*p, (h.lat, h.lon)))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    off.sort_by(f64::total_cmp);
    assert!(
        off[off.len() / 2] > 5.0,
        "median {:.1} m off",
        off[off.len() / 2]
    );
    for w in s.households.windows(2) {
        if w[0].building == w[1].building {
            assert_eq!((w[0].lat, w[0].lon), (w[1].lat, w[1].lon), "one door");
        }
    }
    let on_road = generate(
        &ScenarioSpec {
            setback_m: (0.0, 0.0),
            ..ScenarioSpec::new(3, 1000, 6)
        },
        &pts,
    )
    .unwrap();
    for (a, b) in on_road.households.iter().zip(&s.households) {
        assert!(pts
            .iter()
            .any(|p| (p.0 - a.lat).abs() < 1e-6 && (p.1 - a.lon).abs() < 1e-6));
        assert_eq!(
            (a.building, a.window_s, &a.quantities),
            (b.building, b.window_s, &b.quantities)
        );
    }
    let main = s
        .households
        .iter()
        .filter(|h| h.window_s == MAIN_WINDOW_S)
        .count();
    assert!(main > 700 && main < 900, "main-window households: {main}");
    let buildings = s.households.iter().map(|h| h.building).max().unwrap() as usize + 1;
    assert!(
        buildings < 1000 / 2,
        "several households per building: {buildings} buildings"
    );
    let cap: i64 = s.couriers.iter().map(|c| c.capacity).sum();
    assert!(cap >= s.total_bottles());
}

/// Great-circle distance, metres.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dl = (b.1 - a.1).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

/// Writing and reading back gives the same scenario, exactly.
#[test]
fn file_round_trip() {
    let s = generate(&ScenarioSpec::new(11, 200, 3), &road_points()).unwrap();
    let text = write_scenario(&s);
    let back = parse_scenario(&text, "s.scenario").unwrap();
    assert_eq!(back, s);
}

/// Reader errors name the line and the field.
#[test]
fn reader_errors_name_the_line() {
    let good =
        "scenario,t,1\nproducts,milk\ndepot,47.1,9.5,04:15,09:00\ncourier,1,10,04:15,09:00\n";
    assert!(parse_scenario(good, "t").is_ok());
    let bad_time = format!("{good}household,1,47.1,9.5,0,20,05:00,7h30,1\n");
    let e = parse_scenario(&bad_time, "t").unwrap_err();
    assert_eq!((e.line(), e.field()), (Some(5), Some("window_end")));
    let bad_num = format!("{good}\n# comment\nhousehold,1,47.1,abc,0,20,05:00,07:30,1\n");
    let e = parse_scenario(&bad_num, "t").unwrap_err();
    assert_eq!((e.line(), e.field()), (Some(7), Some("lon")));
    let reversed = format!("{good}household,1,47.1,9.5,0,20,07:00,05:30,1\n");
    assert!(matches!(
        parse_scenario(&reversed, "t").unwrap_err(),
        DatasetError::DueBeforeReady { line: 5, .. }
    ));
    let dup = format!("{good}courier,1,10,04:15,09:00\n");
    assert!(matches!(
        parse_scenario(&dup, "t").unwrap_err(),
        DatasetError::DuplicateId {
            line: 5,
            first_line: 4,
            ..
        }
    ));
    let no_depot = "scenario,t,1\nproducts,milk\ncourier,1,10,04:15,09:00\n";
    assert!(matches!(
        parse_scenario(no_depot, "t").unwrap_err(),
        DatasetError::Truncated { line: 4, .. }
    ));
    let unknown = format!("{good}truck,1\n");
    assert_eq!(parse_scenario(&unknown, "t").unwrap_err().line(), Some(5));
}

/// Times parse as HH:MM or HH:MM:SS and nothing else.
#[test]
fn times() {
    assert_eq!(parse_time("05:30"), Some(19800));
    assert_eq!(parse_time("07:30:15"), Some(27015));
    assert_eq!(parse_time("7:61"), None);
    assert_eq!(parse_time("730"), None);
}

/// No road points is an error, not a panic.
#[test]
fn no_road_points() {
    assert!(generate(&ScenarioSpec::new(1, 10, 1), &[]).is_err());
}
