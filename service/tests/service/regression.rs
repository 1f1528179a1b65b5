//! One test per hostile command line ("Ready to serve"): each runs the real `milkrun`
//! binary and checks that the input is refused before any work, with a non-zero exit, no
//! panic, and an error that names the option at fault.

use std::process::Command;

const R101: &str = "datasets/data/vrp/solomon/R101.txt";

/// Runs `milkrun args…` from the workspace root and checks the refusal: non-zero exit, no
/// panic text, `option` named on stderr. Returns stderr.
fn refused(args: &[&str], option: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO_BIN_EXE_milkrun"))
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} succeeded: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert!(
        stderr.contains(option),
        "{args:?}: the error does not name {option}: {stderr}"
    );
    stderr
}

// `Duration::from_secs_f64(1e20)` panicked.
#[test]
fn solve_seconds_too_large() {
    let e = refused(&["solve", R101, "--seconds", "1e20"], "--seconds");
    assert!(e.contains("7 days"), "{e}");
}

// `Duration::from_secs_f64(inf)` panicked.
#[test]
fn solve_seconds_infinite() {
    refused(&["solve", R101, "--seconds", "inf"], "--seconds");
}

// NaN silently became 0 seconds.
#[test]
fn solve_seconds_nan() {
    refused(&["solve", R101, "--seconds", "NaN"], "--seconds");
}

// -1 silently became 0 seconds.
#[test]
fn solve_seconds_negative() {
    refused(&["solve", R101, "--seconds", "-1"], "--seconds");
}

// A million threads would be spawned.
#[test]
fn solve_threads_too_many() {
    refused(&["solve", R101, "--threads", "1000000"], "--threads");
}

// `--plan-seconds inf` panicked in `Duration::from_secs_f64`.
#[test]
fn replay_plan_seconds_infinite() {
    refused(
        &[
            "replay",
            "--generate",
            "--households",
            "20",
            "--plan-seconds",
            "inf",
        ],
        "--plan-seconds",
    );
}

// `--plan-seconds 1e19` planned forever.
#[test]
fn replay_plan_seconds_too_large() {
    refused(
        &[
            "replay",
            "--generate",
            "--households",
            "20",
            "--plan-seconds",
            "1e19",
        ],
        "--plan-seconds",
    );
}

// `now + budget` overflowed `Instant` and panicked.
#[test]
fn replay_budget_ms_too_large() {
    refused(
        &[
            "replay",
            "--generate",
            "--households",
            "20",
            "--budget-ms",
            "18446744073709551615",
        ],
        "--budget-ms",
    );
}

// Same overflow for the background improvement.
#[test]
fn replay_background_ms_too_large() {
    refused(
        &[
            "replay",
            "--generate",
            "--households",
            "20",
            "--background-ms",
            "18446744073709551615",
        ],
        "--background-ms",
    );
}

// A generated scenario of a billion households allocated without bound.
#[test]
fn replay_households_too_many() {
    refused(
        &["replay", "--generate", "--households", "1000000000"],
        "--households",
    );
}

// A generated scenario of a billion couriers allocated without bound.
#[test]
fn replay_couriers_too_many() {
    refused(
        &[
            "replay",
            "--generate",
            "--households",
            "20",
            "--couriers",
            "1000000000",
        ],
        "--couriers",
    );
}

// A generated stream of a billion events allocated without bound.
#[test]
fn replay_events_n_too_many() {
    refused(
        &[
            "replay",
            "--generate",
            "--households",
            "20",
            "--events-n",
            "1000000000",
        ],
        "--events-n",
    );
}

// `Duration::from_secs_f64(1e20)` panicked in the time-limited nightly solve.
#[test]
fn morning_seconds_too_large() {
    refused(
        &[
            "morning",
            "--households",
            "20",
            "--time-limited",
            "--seconds",
            "1e20",
        ],
        "--seconds",
    );
}

// NaN seconds.
#[test]
fn morning_seconds_nan() {
    refused(
        &["morning", "--households", "20", "--seconds", "NaN"],
        "--seconds",
    );
}

// A billion couriers tried to allocate 32 GB.
#[test]
fn morning_couriers_too_many() {
    let e = refused(&["morning", "--couriers", "1000000000"], "--couriers");
    assert!(e.contains("1000"), "{e}");
}

// Ten million households were only refused after the roads were imported.
#[test]
fn morning_households_too_many() {
    refused(&["morning", "--households", "10000000"], "--households");
}

// Zero couriers.
#[test]
fn morning_couriers_zero() {
    refused(
        &["morning", "--households", "20", "--couriers", "0"],
        "--couriers",
    );
}

// `--max-snap-m NaN` reached the engine.
#[test]
fn matrix_max_snap_m_nan() {
    refused(
        &[
            "matrix",
            "--osm",
            "x.osm.pbf",
            "--points",
            "p.csv",
            "--max-snap-m",
            "NaN",
        ],
        "--max-snap-m",
    );
}

// A negative snap distance reached the engine.
#[test]
fn matrix_max_snap_m_negative() {
    refused(
        &[
            "matrix",
            "--osm",
            "x.osm.pbf",
            "--points",
            "p.csv",
            "--max-snap-m",
            "-5",
        ],
        "--max-snap-m",
    );
}

// An infinite snap distance reached the engine.
#[test]
fn matrix_max_snap_m_infinite() {
    refused(
        &[
            "matrix",
            "--osm",
            "x.osm.pbf",
            "--points",
            "p.csv",
            "--max-snap-m",
            "inf",
        ],
        "--max-snap-m",
    );
}

// A points file of more than `MAX_POINTS` points built a matrix of their square.
#[test]
fn matrix_points_too_many() {
    let dir = std::env::temp_dir().join(format!("milkrun-regression-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let points = dir.join("points.csv");
    let mut text = String::from("lat,lon\n");
    for k in 0..5_001 {
        text.push_str(&format!("47.1,{}\n", 9.5 + f64::from(k) * 1e-5));
    }
    std::fs::write(&points, text).unwrap();
    let osm = milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf");
    refused(
        &[
            "matrix",
            "--osm",
            osm.to_str().unwrap(),
            "--points",
            points.to_str().unwrap(),
        ],
        "--points",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue #25: one point 57 km from the extract's roads failed the whole matrix. Now its rows
// are left out (stderr says how far it is) and the others are written; `--strict` fails.
#[test]
fn matrix_far_point_left_out_unless_strict() {
    let dir = std::env::temp_dir().join(format!("milkrun-far-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let points = dir.join("points.csv");
    std::fs::write(
        &points,
        "lat,lon\n47.1410,9.5209\n47.6,9.4\n47.058766,9.511826\n",
    )
    .unwrap();
    let osm = milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf");
    let args = [
        "matrix",
        "--osm",
        osm.to_str().unwrap(),
        "--points",
        points.to_str().unwrap(),
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_milkrun"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("point 1 (line 3)"), "{stderr}");
    let csv = String::from_utf8_lossy(&out.stdout);
    let pairs: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert!(!f[2].is_empty(), "a reachable pair has seconds: {l}");
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    let expected: Vec<(String, String)> = [("0", "0"), ("0", "2"), ("2", "0"), ("2", "2")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(pairs, expected, "{csv}");
    let mut strict = args.to_vec();
    strict.push("--strict");
    let e = refused(&strict, "stop 1");
    assert!(e.contains("nearest road"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue #25: matrices are door to door. Two doors a few metres apart on the same road
// get the walk between them (never 0 s or 0 m), `--road-only` gives the road values (0
// between them), `--snaps` writes each point's snap and access distances, stderr gives the
// median and max snap distance, and a bad `--access-speed-mps` is refused naming it.
#[test]
fn matrix_door_to_door_unless_road_only() {
    let dir = std::env::temp_dir().join(format!("milkrun-doors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let points = dir.join("points.csv");
    // Two doors 6 m apart next to a Vaduz street, and Balzers.
    std::fs::write(
        &points,
        "lat,lon\n47.14100,9.52090\n47.14105,9.52092\n47.058766,9.511826\n",
    )
    .unwrap();
    let snaps = dir.join("snaps.csv");
    let osm = milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_milkrun"))
            .args([
                "matrix",
                "--osm",
                osm.to_str().unwrap(),
                "--points",
                points.to_str().unwrap(),
            ])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let cells: Vec<(f64, f64)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[2].parse().unwrap(), f[3].parse().unwrap())
            })
            .collect();
        (cells, stderr)
    };
    let (doors, stderr) = run(&["--snaps", snaps.to_str().unwrap()]);
    let (road, _) = run(&["--road-only"]);
    assert!(
        stderr.contains("snap distances of 3 points: median"),
        "{stderr}"
    );
    assert_eq!(doors.len(), 9);
    for k in [0, 4, 8] {
        assert_eq!(doors[k], (0.0, 0.0), "the same door");
    }
    for k in [1, 2, 3, 5, 6, 7] {
        assert!(
            doors[k].0 > 0.0 && doors[k].1 > 0.0,
            "cell {k}: {:?}",
            doors[k]
        );
        assert!(
            doors[k].0 >= road[k].0 && doors[k].1 >= road[k].1,
            "cell {k}"
        );
    }
    let seconds = |c: &[(f64, f64)]| c.iter().map(|x| x.0).sum::<f64>();
    assert!(seconds(&doors) > seconds(&road), "{doors:?} vs {road:?}");
    let text = std::fs::read_to_string(&snaps).unwrap();
    assert!(
        text.starts_with("point,on_road,snap_m,access_m\n0,true,"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4);
    for bad in ["NaN", "0", "-1.3", "1e9"] {
        refused(
            &[
                "matrix",
                "--osm",
                "x.osm.pbf",
                "--points",
                "p.csv",
                "--access-speed-mps",
                bad,
            ],
            "--access-speed-mps",
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// Issue #24: an unknown `--freq` must be refused naming the option, not ignored.
#[test]
fn forecast_freq_unknown() {
    let input = "datasets/data/forecast/walmart_sales_weekly.csv";
    let args = ["forecast", "--input", input, "--horizon", "4"];
    let e = refused(&[&args[..], &["--freq", "fortnightly"]].concat(), "--freq");
    assert!(e.contains("monthly"), "{e}");
}

// Issue #24: `--season` has an upper bound (a season of millions allocated per step).
#[test]
fn forecast_season_too_large() {
    let input = "datasets/data/forecast/walmart_sales_weekly.csv";
    let args = ["forecast", "--input", input, "--horizon", "4"];
    let e = refused(&[&args[..], &["--season", "5000"]].concat(), "--season");
    assert!(e.contains("1000"), "{e}");
}
