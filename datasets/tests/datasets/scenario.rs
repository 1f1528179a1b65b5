//! Scenario generator and file format (issue #5).

use milkrun_datasets::scenario::{
    generate, generate_in_buildings, parse_scenario, parse_time, write_scenario, BuildingSite,
    ScenarioSpec, MAIN_WINDOW_S,
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

/// Real buildings (issue #25): with none given the morning is exactly `generate`'s; with
/// buildings in one half of the grid, the households drawn there stand on a building's
/// position (at most its households, one building id per building) and the others off the
/// road as before; a bad building coordinate is an error naming the building.
#[test]
fn households_in_real_buildings() {
    let pts = road_points();
    let spec = ScenarioSpec::new(5, 400, 3);
    let plain = generate(&spec, &pts).unwrap();
    assert_eq!(generate_in_buildings(&spec, &pts, &[]).unwrap(), plain);
    assert_eq!(
        write_scenario(&generate_in_buildings(&spec, &pts, &[]).unwrap()),
        write_scenario(&plain)
    );
    // Houses 20 m north of every other road point of the western half (lon < 9.52), an
    // apartment block of 10 in the middle of them, and a building with no room.
    let mut sites: Vec<BuildingSite> = pts
        .iter()
        .step_by(2)
        .filter(|p| p.1 < 9.52)
        .map(|p| BuildingSite {
            lat: p.0 + 20.0 / 111_195.0,
            lon: p.1,
            households: 1,
        })
        .collect();
    sites.push(BuildingSite {
        lat: 47.115,
        lon: 9.51,
        households: 10,
    });
    sites.push(BuildingSite {
        lat: 47.116,
        lon: 9.51,
        households: 0,
    });
    let s = generate_in_buildings(&spec, &pts, &sites).unwrap();
    assert_eq!(s.households.len(), 400);
    assert_eq!(s.depot, plain.depot);
    let mut used: std::collections::HashMap<usize, (u32, u32)> = Default::default();
    let mut in_buildings = 0;
    for h in &s.households {
        let at = sites
            .iter()
            .position(|b| metres((b.lat, b.lon), (h.lat, h.lon)) < 0.05);
        match at {
            Some(k) => {
                in_buildings += 1;
                assert!(sites[k].households > 0, "the empty building is never used");
                let e = used.entry(k).or_insert((h.building, 0));
                assert_eq!(e.0, h.building, "one id per building");
                e.1 += 1;
                assert!(e.1 <= sites[k].households, "building {k} over full");
            }
            None => {
                // Off a road point, 5-40 m, as without buildings.
                let off = pts
                    .iter()
                    .map(|p| metres(*p, (h.lat, h.lon)))
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    (4.9..=40.1).contains(&off),
                    "household {} {off:.1} m off",
                    h.id
                );
            }
        }
    }
    assert!(in_buildings >= 50, "{in_buildings} in buildings");
    assert!(in_buildings < 400, "the eastern half has no buildings");
    let total: u32 = sites.iter().map(|b| b.households).sum();
    assert!(in_buildings <= total as usize);
    // A building at NaN or 200 degrees east is refused, naming it.
    for bad in [(f64::NAN, 9.5), (47.1, 200.0), (47.1, f64::INFINITY)] {
        let mut with_bad = sites.clone();
        with_bad.insert(
            3,
            BuildingSite {
                lat: bad.0,
                lon: bad.1,
                households: 1,
            },
        );
        let e = generate_in_buildings(&spec, &pts, &with_bad).unwrap_err();
        assert_eq!((e.line(), e.field()), (Some(4), Some("lat,lon")), "{e}");
        assert!(e.to_string().contains("buildings"), "{e}");
    }
}
