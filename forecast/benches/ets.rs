//! Criterion micro-benchmarks of the ETS fit on a shipped series: the last 364 days of the
//! Chicago "L" system-wide daily ridership (`datasets/data/forecast/chicago_ridership_daily.csv`,
//! column `ridership`, thousands of rides), weekly season.
//!
//! `cargo bench -p milkrun-forecast --bench ets`
// `criterion_group!` and `criterion_main!` generate functions without doc comments.
#![allow(missing_docs)]
use criterion::{criterion_group, criterion_main, Criterion};
use milkrun_forecast::demand::models::ets::{self, ErrorType, EtsSpec, SeasonType, TrendType};
use milkrun_forecast::demand::EtsSearch;
use std::hint::black_box;
use std::path::Path;

/// Days of history per fit: one year, as `demand::panel::panel_config` keeps.
const DAYS: usize = 364;
/// The weekly season of daily ridership.
const SEASON: usize = 7;

/// The last [`DAYS`] values of the `ridership` column.
fn ridership() -> Vec<f64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/forecast/chicago_ridership_daily.csv");
    let mut rdr = csv::Reader::from_path(&path).expect("the shipped Chicago ridership CSV opens");
    let col = rdr
        .headers()
        .expect("the Chicago CSV has a header")
        .iter()
        .position(|h| h == "ridership")
        .expect("the Chicago CSV has a `ridership` column");
    let values: Vec<f64> = rdr
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| r.get(col).and_then(|v| v.parse().ok()))
        .collect();
    assert!(values.len() >= DAYS, "{} values", values.len());
    values[values.len() - DAYS..].to_vec()
}

fn bench_ets(c: &mut Criterion) {
    let y = ridership();
    let ana = EtsSpec {
        error: ErrorType::Additive,
        trend: TrendType::None,
        season: SeasonType::Additive,
    };
    let mad = EtsSpec {
        error: ErrorType::Multiplicative,
        trend: TrendType::Damped,
        season: SeasonType::Multiplicative,
    };
    let mut g = c.benchmark_group("ets_chicago_364d");
    g.sample_size(20);
    g.bench_function("fit_ANA", |b| {
        b.iter(|| ets::fit(black_box(&y), ana, SEASON))
    });
    g.bench_function("fit_MAdM", |b| {
        b.iter(|| ets::fit(black_box(&y), mad, SEASON))
    });
    g.bench_function("auto_fit_staged", |b| {
        b.iter(|| ets::auto_fit_with(black_box(&y), SEASON, EtsSearch::Staged))
    });
    g.bench_function("auto_fit_full", |b| {
        b.iter(|| ets::auto_fit_with(black_box(&y), SEASON, EtsSearch::Full))
    });
    g.finish();
}

criterion_group!(benches, bench_ets);
criterion_main!(benches);
