//! Hostile input to the loaders: sizes declared far beyond what a file
//! holds are refused before anything is allocated for them, and quantities
//! that would overflow a sum are refused instead of wrapping. Each test is
//! named after what it guards.

use milkrun_datasets::scenario::{parse_scenario, Household, MAX_BOTTLES, MAX_SERVICE_S};
use milkrun_datasets::{parse_solomon, parse_vrplib, DatasetError, MAX_DIMENSION, MAX_QUANTITY};

/// The peak resident set of this process in KiB (`VmHWM`), where the
/// platform reports it (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `f` and returns its result with the growth of the process's peak
/// resident set during the call, in KiB (0 where it cannot be read). The
/// other tests of this file allocate little, so a parse that allocates
/// hundreds of megabytes shows.
fn peak_growth_kib<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = peak_rss_kib();
    let out = f();
    let grown = match (before, peak_rss_kib()) {
        (Some(b), Some(a)) => a.saturating_sub(b),
        _ => 0,
    };
    (out, grown)
}

/// A CVRP file declaring `dimension` nodes, padded by a `COMMENT` of
/// `padding` bytes (so the file is long enough for a naive length check).
fn vrplib_declaring(dimension: usize, padding: usize) -> String {
    format!(
        "NAME : hostile\nCOMMENT : {}\nDIMENSION : {dimension}\nEDGE_WEIGHT_TYPE : EUC_2D\n\
         CAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\n2 3 4\nDEMAND_SECTION\n1 0\n2 5\n\
         DEPOT_SECTION\n1\n-1\nEOF\n",
        "x".repeat(padding)
    )
}

/// Regression: `DIMENSION : 10000000` in a 10 MB file allocated about
/// 1.2 GB of nodes before its size error. It is now refused at the
/// `DIMENSION` line against the documented maximum, allocating almost nothing.
#[test]
fn dimension_ten_million_is_refused_before_allocating() {
    let text = vrplib_declaring(10_000_000, 10_000_000);
    let (res, grown) = peak_growth_kib(|| parse_vrplib(&text, "big.vrp"));
    let err = res.unwrap_err();
    assert!(
        matches!(
            &err,
            DatasetError::TooLarge { line: 3, field, value: 10_000_000, max, .. }
                if field == "DIMENSION" && *max == MAX_DIMENSION as u64
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("big.vrp:3: field `DIMENSION`"),
        "{err}"
    );
    assert!(grown < 100 * 1024, "the peak memory grew by {grown} KiB");
}

/// A dimension under the maximum but beyond what the file's length can
/// hold is refused at the `DIMENSION` line, also before allocating nodes.
#[test]
fn dimension_beyond_the_file_length_is_refused_before_allocating() {
    let text = vrplib_declaring(90_000, 0);
    let (res, grown) = peak_growth_kib(|| parse_vrplib(&text, "short.vrp"));
    let err = res.unwrap_err();
    assert!(
        matches!(&err, DatasetError::Invalid { line: 3, .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("DIMENSION"));
    assert!(grown < 100 * 1024, "the peak memory grew by {grown} KiB");
}

/// The head of a scenario file with two products and one courier.
const SCENARIO_HEAD: &str = "scenario,hostile,1
products,whole_milk,cream
depot,47.1,9.5,04:15,09:00
courier,1,40,04:15,09:00
";

/// Regression: quantities of `i64::MAX`, `i64::MAX` and 3 summed to 1
/// (wrapping) and passed as a one-bottle order. Each quantity is now
/// bounded, and the error names the line and the product.
#[test]
fn scenario_quantity_i64_max_is_refused_not_wrapped() {
    let text = format!(
        "scenario,hostile,1\nproducts,a,b,c\ndepot,47.1,9.5,04:15,09:00\n\
         courier,1,40,04:15,09:00\n\
         household,1,47.1,9.5,0,20,05:00,07:30,{},{},3\n",
        i64::MAX,
        i64::MAX
    );
    let err = parse_scenario(&text, "h.scenario").unwrap_err();
    assert!(
        matches!(
            &err,
            DatasetError::TooLarge { line: 5, field, max, .. }
                if field == "a" && *max == MAX_BOTTLES as u64
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("h.scenario:5: field `a`"),
        "{err}"
    );
}

/// A quantity just over [`MAX_BOTTLES`] is refused, one at the bound is read.
#[test]
fn scenario_quantity_bound_is_exact() {
    let at = format!("{SCENARIO_HEAD}household,1,47.1,9.5,0,20,05:00,07:30,{MAX_BOTTLES},0\n");
    let s = parse_scenario(&at, "ok.scenario").unwrap();
    assert_eq!(s.total_bottles(), MAX_BOTTLES);
    let over = format!(
        "{SCENARIO_HEAD}household,1,47.1,9.5,0,20,05:00,07:30,0,{}\n",
        MAX_BOTTLES + 1
    );
    let err = parse_scenario(&over, "over.scenario").unwrap_err();
    assert_eq!((err.line(), err.field()), (Some(5), Some("cream")), "{err}");
}

/// A courier capacity of `i64::MAX` and a service time of a year are
/// refused with the field and line, not carried into solver arithmetic.
#[test]
fn scenario_capacity_and_service_time_are_bounded() {
    let text = format!(
        "scenario,h,1\nproducts,a\ndepot,47.1,9.5,04:15,09:00\ncourier,1,{},04:15,09:00\n",
        i64::MAX
    );
    let err = parse_scenario(&text, "c.scenario").unwrap_err();
    assert!(
        matches!(&err, DatasetError::TooLarge { line: 4, .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("capacity"));
    let text = format!(
        "{SCENARIO_HEAD}household,1,47.1,9.5,0,{},05:00,07:30,1,0\n",
        MAX_SERVICE_S * 365
    );
    let err = parse_scenario(&text, "s.scenario").unwrap_err();
    assert!(
        matches!(&err, DatasetError::TooLarge { line: 5, .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("service_s"));
}

/// Bottle totals of hand-built households saturate instead of wrapping.
#[test]
fn household_bottles_saturate_instead_of_wrapping() {
    let h = Household {
        id: 1,
        lat: 47.1,
        lon: 9.5,
        building: 0,
        service_s: 20,
        window_s: (0, 10),
        quantities: vec![i64::MAX, i64::MAX, 3],
    };
    assert_eq!(h.bottles(), i64::MAX);
}

/// Demands and capacities above [`MAX_QUANTITY`] are refused by the
/// Solomon and VRPLIB loaders (sums of demands then cannot overflow).
#[test]
fn demand_and_capacity_above_max_quantity_are_refused() {
    let solomon = format!(
        "T\n\nVEHICLE\nNUMBER     CAPACITY\n  2         10\n\nCUSTOMER\n\
         CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n\
         0 0 0 0 0 100 0\n1 3 4 {} 0 50 1\n",
        i64::MAX
    );
    let err = parse_solomon(&solomon, "s.txt").unwrap_err();
    assert!(
        matches!(&err, DatasetError::TooLarge { line: 10, max, .. } if *max == MAX_QUANTITY as u64),
        "{err:?}"
    );
    let vrplib = vrplib_declaring(2, 0).replace("CAPACITY : 10", "CAPACITY : 9223372036854775807");
    let err = parse_vrplib(&vrplib, "v.vrp").unwrap_err();
    assert!(
        matches!(&err, DatasetError::TooLarge { line: 5, .. }),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("CAPACITY"));
}
