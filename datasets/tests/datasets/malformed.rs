//! Each loader fed malformed inputs: the error names the line and the field,
//! and no input (however cut) makes a loader panic.

use milkrun_datasets::bks::parse_bks_csv;
use milkrun_datasets::sol::parse_sol;
use milkrun_datasets::{
    load_instance, parse_instance, parse_li_lim, parse_solomon, parse_vrplib, DatasetError,
    DistanceConvention, Instance, OPEN_HORIZON,
};

/// Solomon fixture: depot + 2 customers (line 9 = depot row).
const SOLOMON: &str = "TINY

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME
    0      0          0          0          0        100          0
    1      3          4          5          0         50          1
    2      6          8          5          0         50          1
";

/// Li & Lim fixture: depot, pickup 1 → delivery 2.
const LI_LIM: &str = "2\t10\t1
0\t0\t0\t0\t0\t100\t0\t0\t0
1\t3\t4\t5\t0\t50\t1\t0\t2
2\t6\t8\t-5\t0\t50\t1\t1\t0
";

/// VRPLIB CVRP fixture with coordinates.
const VRPLIB: &str = "NAME : tiny
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
DEMAND_SECTION
1 0
2 5
3 5
DEPOT_SECTION
1
-1
EOF
";

/// Extended VRPLIB fixture: explicit asymmetric matrix, windows, service times.
const VRPLIB_TW: &str = "NAME : tw
TYPE : VRPTW
DIMENSION : 3
EDGE_WEIGHT_TYPE : EXPLICIT
EDGE_WEIGHT_FORMAT : FULL_MATRIX
CAPACITY : 10
VEHICLES : 2
EDGE_WEIGHT_SECTION
0 5 10
6 0 5
11 7 0
DEMAND_SECTION
1 0
2 5
3 5
TIME_WINDOW_SECTION
1 0 100
2 0 50
3 0 50
SERVICE_TIME_SECTION
1 0
2 1
3 1
DEPOT_SECTION
1
-1
EOF
";

/// `text` with its 1-based line `line` replaced by `new`.
fn with_line(text: &str, line: usize, new: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[line - 1] = new;
    lines.join("\n") + "\n"
}

/// `text` without its 1-based lines `from..=to`.
fn without_lines(text: &str, from: usize, to: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i + 1 < from || *i + 1 > to)
        .map(|(_, l)| *l)
        .collect();
    kept.join("\n") + "\n"
}

/// The first `n` lines of `text`.
fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join("\n") + "\n"
}

/// The one helper every case goes through: the error must name `file`,
/// `line` and `field`, and be of the expected kind.
fn expect_err(
    result: Result<Instance, DatasetError>,
    kind: &str,
    file: &str,
    line: usize,
    field: &str,
) {
    let err = result.expect_err("malformed input must be an error");
    let got_kind = format!("{err:?}");
    assert!(got_kind.starts_with(kind), "expected {kind}, got {err:?}");
    assert_eq!(err.file(), file, "{err}");
    assert_eq!(err.line(), Some(line), "{err}");
    assert_eq!(err.field(), Some(field), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{file}:{line}")) && msg.contains(field),
        "message `{msg}`"
    );
}

/// The fixtures themselves are valid (the malformed cases differ by one thing).
#[test]
fn fixtures_are_valid() {
    let s = parse_solomon(SOLOMON, "s.txt").unwrap();
    assert_eq!(
        (s.name.as_str(), s.len(), s.capacity, s.vehicles),
        ("TINY", 3, 10, Some(2))
    );
    assert_eq!(s.nodes[0].due, 100.0);
    let l = parse_li_lim(LI_LIM, "l").unwrap();
    assert_eq!((l.nodes[1].delivery, l.nodes[2].pickup), (Some(2), Some(1)));
    let v = parse_vrplib(VRPLIB, "v.vrp").unwrap();
    assert_eq!(
        (v.name.as_str(), v.convention, v.capacity),
        ("tiny", DistanceConvention::Nint, 10)
    );
    assert!(!v.has_time_windows);
    assert_eq!((v.nodes[2].ready, v.nodes[2].due), (0.0, OPEN_HORIZON));
    assert_eq!(v.nodes[2].file_id, 3);
    let t = parse_vrplib(VRPLIB_TW, "t.vrp").unwrap();
    assert_eq!(t.convention, DistanceConvention::Explicit);
    assert_eq!(
        t.matrix.as_deref(),
        Some(&[0.0, 5.0, 10.0, 6.0, 0.0, 5.0, 11.0, 7.0, 0.0][..])
    );
    assert_eq!(t.distance(2, 1), 7.0);
    assert!(t.has_time_windows);
    assert_eq!(
        (t.vehicles, t.nodes[1].service, t.nodes[2].due),
        (Some(2), 1.0, 50.0)
    );
}

/// Solomon: truncated row, truncated header, non-numeric, negative demand,
/// due < ready, missing depot, duplicate id.
#[test]
fn solomon_malformed() {
    let f = "s.txt";
    let p = |t: String| parse_solomon(&t, f);
    expect_err(
        p(with_line(SOLOMON, 11, "    2      6     8    5")),
        "Truncated",
        f,
        11,
        "READY TIME",
    );
    expect_err(p(first_lines(SOLOMON, 5)), "Truncated", f, 6, "CUSTOMER");
    expect_err(
        p(with_line(SOLOMON, 10, "1 3 x4 5 0 50 1")),
        "NotANumber",
        f,
        10,
        "YCOORD.",
    );
    expect_err(
        p(with_line(SOLOMON, 10, "1 3 NaN 5 0 50 1")),
        "NotANumber",
        f,
        10,
        "YCOORD.",
    );
    expect_err(
        p(with_line(SOLOMON, 5, "  2  ten")),
        "NotANumber",
        f,
        5,
        "CAPACITY",
    );
    expect_err(
        p(with_line(SOLOMON, 10, "1 3 4 -5 0 50 1")),
        "NegativeDemand",
        f,
        10,
        "DEMAND",
    );
    expect_err(
        p(with_line(SOLOMON, 11, "2 6 8 5 60 50 1")),
        "DueBeforeReady",
        f,
        11,
        "DUE DATE",
    );
    expect_err(
        p(without_lines(SOLOMON, 9, 9)),
        "MissingDepot",
        f,
        9,
        "CUST NO.",
    );
    expect_err(p(first_lines(SOLOMON, 8)), "MissingDepot", f, 9, "CUST NO.");
    expect_err(
        p(with_line(SOLOMON, 11, "1 6 8 5 0 50 1")),
        "DuplicateId",
        f,
        11,
        "CUST NO.",
    );
    expect_err(
        p(with_line(SOLOMON, 11, "7 6 8 5 0 50 1")),
        "Invalid",
        f,
        11,
        "CUST NO.",
    );
    expect_err(
        p(with_line(SOLOMON, 11, "2 6 8 5 0 50 1 9")),
        "Invalid",
        f,
        11,
        "SERVICE TIME",
    );
}

/// Li & Lim: the same cases, plus a broken sibling reference; a negative
/// demand is fine on a delivery but not on a pickup.
#[test]
fn li_lim_malformed() {
    let f = "l.txt";
    let p = |t: String| parse_li_lim(&t, f);
    expect_err(
        p(with_line(LI_LIM, 4, "2\t6\t8\t-5\t0\t50")),
        "Truncated",
        f,
        4,
        "SERVICE",
    );
    expect_err(p(String::new()), "Truncated", f, 1, "VEHICLES");
    expect_err(
        p(with_line(LI_LIM, 3, "1 3 4 5 0 5o 1 0 2")),
        "NotANumber",
        f,
        3,
        "LATE",
    );
    expect_err(
        p(with_line(LI_LIM, 3, "1 3 4 -5 0 50 1 0 2")),
        "NegativeDemand",
        f,
        3,
        "DEMAND",
    );
    expect_err(
        p(with_line(LI_LIM, 4, "2 6 8 -5 70 50 1 1 0")),
        "DueBeforeReady",
        f,
        4,
        "LATE",
    );
    expect_err(p(without_lines(LI_LIM, 2, 2)), "MissingDepot", f, 2, "ID");
    expect_err(
        p(with_line(LI_LIM, 4, "1 6 8 -5 0 50 1 1 0")),
        "DuplicateId",
        f,
        4,
        "ID",
    );
    expect_err(
        p(with_line(LI_LIM, 3, "1 3 4 5 0 50 1 0 9")),
        "Invalid",
        f,
        3,
        "DELIVERY",
    );
    expect_err(
        p(with_line(LI_LIM, 4, "2 6 8 -4 0 50 1 1 0")),
        "Invalid",
        f,
        3,
        "DEMAND",
    );
}

/// VRPLIB: truncated, non-numeric, negative demand, missing depot,
/// duplicate id, wrong section and matrix sizes, due < ready.
#[test]
fn vrplib_malformed() {
    let f = "v.vrp";
    let p = |t: String| parse_vrplib(&t, f);
    expect_err(
        p(first_lines(VRPLIB, 12)),
        "Truncated",
        f,
        13,
        "DEMAND_SECTION",
    );
    expect_err(
        p(first_lines(VRPLIB, 3)),
        "Invalid",
        f,
        4,
        "EDGE_WEIGHT_TYPE",
    );
    expect_err(p(with_line(VRPLIB, 8, "2 3")), "Truncated", f, 8, "Y");
    expect_err(p(with_line(VRPLIB, 8, "2 3 abc")), "NotANumber", f, 8, "Y");
    expect_err(
        p(with_line(VRPLIB, 3, "DIMENSION : three")),
        "NotANumber",
        f,
        3,
        "DIMENSION",
    );
    expect_err(
        p(with_line(VRPLIB, 3, "DIMENSION : 99999999999")),
        "TooLarge",
        f,
        3,
        "DIMENSION",
    );
    // Under the maximum, but more nodes than the file has room for.
    expect_err(
        p(with_line(VRPLIB, 3, "DIMENSION : 90000")),
        "Invalid",
        f,
        3,
        "DIMENSION",
    );
    expect_err(
        p(with_line(VRPLIB, 12, "2 -5")),
        "NegativeDemand",
        f,
        12,
        "DEMAND",
    );
    expect_err(
        p(without_lines(VRPLIB, 14, 16)),
        "MissingDepot",
        f,
        15,
        "DEPOT_SECTION",
    );
    expect_err(
        p(without_lines(VRPLIB, 15, 15)),
        "MissingDepot",
        f,
        14,
        "DEPOT_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB, 15, "2")),
        "Invalid",
        f,
        15,
        "DEPOT_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB, 9, "2 6 8")),
        "DuplicateId",
        f,
        9,
        "NODE_COORD_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB, 9, "4 6 8")),
        "Invalid",
        f,
        9,
        "NODE_COORD_SECTION",
    );
    expect_err(
        p(without_lines(VRPLIB, 13, 13)),
        "WrongSize",
        f,
        12,
        "DEMAND_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB, 4, "EDGE_WEIGHT_TYPE : GEO")),
        "Invalid",
        f,
        4,
        "EDGE_WEIGHT_TYPE",
    );
    expect_err(
        p(with_line(VRPLIB, 7, "1 0 0 :)")),
        "Invalid",
        f,
        7,
        "NODE_COORD_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB, 2, "a stray line")),
        "Invalid",
        f,
        2,
        "header",
    );

    let t = "t.vrp";
    let p = |s: String| parse_vrplib(&s, t);
    expect_err(
        p(without_lines(VRPLIB_TW, 11, 11)),
        "WrongSize",
        t,
        10,
        "EDGE_WEIGHT_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB_TW, 11, "11 7 0 3")),
        "WrongSize",
        t,
        11,
        "EDGE_WEIGHT_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB_TW, 10, "6 0 x")),
        "NotANumber",
        t,
        10,
        "EDGE_WEIGHT_SECTION",
    );
    expect_err(
        p(with_line(VRPLIB_TW, 18, "2 60 50")),
        "DueBeforeReady",
        t,
        18,
        "LATE",
    );
    expect_err(
        p(with_line(VRPLIB_TW, 5, "EDGE_WEIGHT_FORMAT : LOWER_ROW")),
        "Invalid",
        t,
        5,
        "EDGE_WEIGHT_FORMAT",
    );
    expect_err(
        p(with_line(VRPLIB_TW, 22, "2 -1")),
        "Invalid",
        t,
        22,
        "SERVICE_TIME",
    );
}

/// Content that is no known format, and a path that does not exist.
#[test]
fn unknown_format_and_io_errors() {
    let err = parse_instance("hello\nworld\n", "h.txt", "h").unwrap_err();
    assert!(
        matches!(err, DatasetError::UnknownFormat { ref file } if file == "h.txt"),
        "{err:?}"
    );
    let missing = std::path::Path::new("/nonexistent/milkrun/none.vrp");
    let err = load_instance(missing).unwrap_err();
    assert!(
        matches!(err, DatasetError::Io { ref path, .. } if path == missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("none.vrp"));
}

/// `.sol` and BKS tables: bad numbers name their line and field.
#[test]
fn sol_and_bks_malformed() {
    let err = parse_sol("Route #1: 1 2\nRoute #2: 3 x\nCost 10\n").unwrap_err();
    assert_eq!((err.line(), err.field()), (Some(2), Some("Route")), "{err}");
    let err = parse_sol("Route #1: 1 2\nCost ten\n").unwrap_err();
    assert_eq!((err.line(), err.field()), (Some(2), Some("Cost")), "{err}");
    let err = parse_bks_csv("instance,vehicles,distance\nA,3,12.5\nB,x,1\n").unwrap_err();
    assert_eq!(
        (err.line(), err.field()),
        (Some(3), Some("vehicles")),
        "{err}"
    );
    let err = parse_bks_csv("instance,vehicles,distance\nA,3\n").unwrap_err();
    assert_eq!(
        (err.line(), err.field()),
        (Some(2), Some("distance")),
        "{err}"
    );
    let err = parse_bks_csv("name,k,cost\n").unwrap_err();
    assert_eq!(
        (err.line(), err.field()),
        (Some(1), Some("header")),
        "{err}"
    );
}

/// No prefix of any fixture, and no fixture with a line deleted, makes any
/// loader panic (each is `Ok` or `Err`); shipped files cut short are errors.
#[test]
fn no_cut_or_deleted_line_panics() {
    for text in [SOLOMON, LI_LIM, VRPLIB, VRPLIB_TW] {
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let prefix = &text[..cut];
            for parse in [parse_solomon, parse_li_lim, parse_vrplib] {
                let _ = parse(prefix, "cut");
            }
            let _ = parse_instance(prefix, "cut", "cut");
            let _ = parse_sol(prefix);
            let _ = parse_bks_csv(prefix);
        }
        for line in 1..=text.lines().count() {
            let _ = parse_instance(&without_lines(text, line, line), "del", "del");
        }
    }
    // The X file's demand section ends the file but for the depot section:
    // every cut before its last 4 lines must fail.
    let x =
        std::fs::read_to_string(milkrun_datasets::vrp_set_dir("x").join("X-n101-k25.vrp")).unwrap();
    let lines = x.lines().count();
    for n in 0..lines - 4 {
        assert!(
            parse_instance(&first_lines(&x, n), "cut", "cut").is_err(),
            "X cut at line {n} loaded"
        );
    }
}
