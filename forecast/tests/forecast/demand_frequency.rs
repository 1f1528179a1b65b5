//! Regular calendar frequencies (issue #24): inference from the dates, month ends and leap
//! years, forecast dates per frequency, and the errors naming the series and the date.
use milkrun_forecast::demand::frequency::{Grid, Stamp};
use milkrun_forecast::demand::{
    forecast_series, io, Date, ForecastConfig, ForecastError, Frequency, GapPolicy, ModelChoice,
    Series,
};

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::from_ymd(y, m, day).unwrap()
}

/// Reads a one-series CSV from `(date text, value)` pairs.
fn read(dates: &[&str], freq: Option<Frequency>) -> Result<Vec<Series>, ForecastError> {
    let mut csv = String::from("series_id,date,value\n");
    for (i, t) in dates.iter().enumerate() {
        csv.push_str(&format!("s,{t},{}\n", i + 1));
    }
    io::read_series_as(csv.as_bytes(), GapPolicy::Error, freq)
}

/// The inferred frequency of one series.
fn inferred(dates: &[&str]) -> Frequency {
    read(dates, None).unwrap()[0].freq()
}

/// Forecast dates written for a series: the stamps after its last value.
fn future(s: &Series, h: usize) -> Vec<String> {
    (0..h)
        .map(|j| s.stamp_at(s.len() + j).to_string())
        .collect()
}

/// Each frequency is inferred from its dates: hourly timestamps (both `T` and space forms),
/// days, weeks, months on the 1st, quarters, years.
#[test]
fn infers_each_frequency() {
    assert_eq!(
        inferred(&["2024-03-01T22:00", "2024-03-01 23:00", "2024-03-02T00:00"]),
        Frequency::Hourly
    );
    assert_eq!(
        inferred(&["2024-03-01", "2024-03-02", "2024-03-03"]),
        Frequency::Daily
    );
    assert_eq!(
        inferred(&["2024-03-01", "2024-03-08", "2024-03-15"]),
        Frequency::Weekly
    );
    assert_eq!(
        inferred(&["2024-01-01", "2024-02-01", "2024-03-01"]),
        Frequency::Monthly
    );
    assert_eq!(
        inferred(&["2024-01-01", "2024-04-01", "2024-07-01"]),
        Frequency::Quarterly
    );
    assert_eq!(
        inferred(&["2021-06-30", "2022-06-30", "2023-06-30"]),
        Frequency::Yearly
    );
}

/// Month ends: a series on the 31st is read through February (anchor day clamped) and steps
/// 2024-01-31 -> 2024-02-29 (leap year) and 2025-01-31 -> 2025-02-28.
#[test]
fn month_ends_and_leap_years() {
    let s = read(&["2023-11-30", "2023-12-31", "2024-01-31"], None).unwrap();
    assert_eq!(s[0].freq(), Frequency::Monthly);
    assert_eq!(future(&s[0], 3), ["2024-02-29", "2024-03-31", "2024-04-30"]);
    let s = read(&["2024-12-31", "2025-01-31"], None).unwrap();
    assert_eq!(future(&s[0], 2), ["2025-02-28", "2025-03-31"]);
    // a series anchored on the 29th keeps the 29th after a short February
    let g = Grid::anchored(Frequency::Monthly, Stamp::day(d(2023, 1, 29)), 29);
    let at: Vec<String> = (0..3).map(|i| g.stamp_at(i).unwrap().to_string()).collect();
    assert_eq!(at, ["2023-01-29", "2023-02-28", "2023-03-29"]);
    // yearly on Feb 29: Feb 28 in common years, Feb 29 again in the next leap year
    let g = Grid::new(Frequency::Yearly, Stamp::day(d(2024, 2, 29)));
    assert_eq!(g.stamp_at(1).unwrap().date, d(2025, 2, 28));
    assert_eq!(g.stamp_at(4).unwrap().date, d(2028, 2, 29));
}

/// Quarter ends (Mar 31, Jun 30, Sep 30, Dec 31) are quarterly on the month-end anchor and
/// forecast into the next year's quarter ends.
#[test]
fn quarter_ends() {
    let s = read(
        &["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"],
        None,
    )
    .unwrap();
    assert_eq!(s[0].freq(), Frequency::Quarterly);
    assert_eq!(future(&s[0], 3), ["2025-03-31", "2025-06-30", "2025-09-30"]);
}

/// Forecast dates follow each frequency's calendar; hourly ones carry the hour and cross
/// midnight and the end of a (leap) February.
#[test]
fn forecast_dates_per_frequency() {
    let cases: [(&[&str], Frequency, [&str; 2]); 6] = [
        (
            &["2024-02-29T22:00", "2024-02-29T23:00"],
            Frequency::Hourly,
            ["2024-03-01T00:00", "2024-03-01T01:00"],
        ),
        (
            &["2024-02-27", "2024-02-28"],
            Frequency::Daily,
            ["2024-02-29", "2024-03-01"],
        ),
        (
            &["2024-02-15", "2024-02-22"],
            Frequency::Weekly,
            ["2024-02-29", "2024-03-07"],
        ),
        (
            &["2024-11-15", "2024-12-15"],
            Frequency::Monthly,
            ["2025-01-15", "2025-02-15"],
        ),
        (
            &["2024-05-01", "2024-08-01"],
            Frequency::Quarterly,
            ["2024-11-01", "2025-02-01"],
        ),
        (
            &["2022-01-01", "2023-01-01"],
            Frequency::Yearly,
            ["2024-01-01", "2025-01-01"],
        ),
    ];
    for (dates, freq, want) in cases {
        let s = read(dates, None).unwrap();
        assert_eq!(s[0].freq(), freq, "{dates:?}");
        assert_eq!(future(&s[0], 2), want, "{freq}");
    }
}

/// A caller's frequency wins over the inference: three dates 13 weeks apart are quarterly by
/// the rule, weekly or monthly with gaps when the caller says so; daily data at midnight
/// timestamps are daily and written without the time.
#[test]
fn explicit_frequency() {
    let dates = ["2024-01-01", "2024-04-01", "2024-07-01"];
    assert_eq!(inferred(&dates), Frequency::Quarterly);
    for f in [Frequency::Weekly, Frequency::Monthly] {
        assert!(matches!(
            read(&dates, Some(f)),
            Err(ForecastError::Gap { .. })
        ));
    }
    let s = read(&["2024-01-01", "2024-01-08"], Some(Frequency::Weekly)).unwrap();
    assert_eq!(future(&s[0], 1), ["2024-01-15"]);
    let s = read(&["2024-01-01 00:00", "2024-01-02 00:00"], None).unwrap();
    assert_eq!(s[0].freq(), Frequency::Daily);
    assert_eq!(future(&s[0], 1), ["2024-01-03"]);
    // forced hourly on date-only rows: a gap of 23 hours between them
    assert!(matches!(
        read(&["2024-01-01", "2024-01-02"], Some(Frequency::Hourly)),
        Err(ForecastError::Gap { .. })
    ));
    // weekly with a missing week stays weekly
    assert!(matches!(
        read(&["2024-01-01", "2024-01-08", "2024-01-22"], None),
        Err(ForecastError::Gap { .. })
    ));
}

/// Off-grid dates, duplicates and gaps name the series and the dates, for monthly and hourly
/// data alike.
#[test]
fn errors_name_series_and_date() {
    // monthly on the 1st, then the 15th: off the anchor
    let err = read(
        &["2024-01-01", "2024-02-01", "2024-03-15"],
        Some(Frequency::Monthly),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ForecastError::OffGrid { series, next, freq: Frequency::Monthly, .. }
            if series == "s" && next.date == d(2024, 3, 15)),
        "{err}"
    );
    assert!(err.to_string().contains("2024-03-15"), "{err}");
    // a missing month
    let err = read(&["2024-01-01", "2024-02-01", "2024-04-01"], None).unwrap_err();
    assert!(
        matches!(&err, ForecastError::Gap { series, after, next }
            if series == "s" && after.date == d(2024, 2, 1) && next.date == d(2024, 4, 1)),
        "{err}"
    );
    // the same hour twice
    let err = read(&["2024-01-01T05:00", "2024-01-01 05:00:00"], None).unwrap_err();
    assert!(
        matches!(&err, ForecastError::DuplicateDate { series, date }
            if series == "s" && date.hour == Some(5)),
        "{err}"
    );
    assert!(err.to_string().contains("2024-01-01T05:00"), "{err}");
    // daily values at two times of day are off the daily grid
    let err = read(
        &["2024-01-01T05:00", "2024-01-02T05:00", "2024-01-03T06:00"],
        Some(Frequency::Daily),
    )
    .unwrap_err();
    assert!(matches!(err, ForecastError::OffGrid { .. }), "{err}");
    // no regular step at all
    let err = read(&["2024-01-01", "2024-01-03", "2024-01-06"], None).unwrap_err();
    assert!(
        matches!(&err, ForecastError::Frequency { series, .. } if series == "s"),
        "{err}"
    );
}

/// Timestamps must be whole hours with a valid hour; the error names the line and the cell.
#[test]
fn bad_timestamps_are_refused() {
    for bad in [
        "2024-01-01T05:30",
        "2024-01-01 24:00",
        "2024-01-01T5",
        "2024-01-01 05:00:00:00",
    ] {
        let err = read(&["2024-01-01T04:00", bad], None).unwrap_err();
        assert!(
            matches!(&err, ForecastError::BadDate { line: 3, value, .. } if value.contains(bad)),
            "{bad}: {err}"
        );
    }
}

/// A season longer than the bound is refused naming the field; the defaults per frequency
/// are 24, 7, 52, 12, 4 and 1 (and 168 as hourly data's second season).
#[test]
fn season_bound_and_defaults() {
    let mut cfg = ForecastConfig::new(3, vec![0.5]);
    cfg.season_length = Some(1_001);
    assert!(matches!(
        cfg.validate(),
        Err(ForecastError::Config {
            field: "season_length",
            ..
        })
    ));
    let seasons: Vec<usize> = Frequency::ALL.iter().map(|f| f.default_season()).collect();
    assert_eq!(seasons, [24, 7, 52, 12, 4, 1]);
    assert_eq!(Frequency::Hourly.second_season(), Some(168));
    assert_eq!(Frequency::parse("Quarterly"), Some(Frequency::Quarterly));
}

/// The automatic pipeline forecasts monthly data with its 12-month season: a clean monthly
/// pattern repeated four years is continued (mean within 5% of the pattern).
#[test]
fn monthly_pipeline_forecasts_the_pattern() {
    let pat = [
        10.0, 12.0, 15.0, 20.0, 26.0, 30.0, 31.0, 28.0, 22.0, 16.0, 12.0, 10.0,
    ];
    let y: Vec<f64> = (0..48).map(|t| pat[t % 12]).collect();
    let s = Series::new("m", d(2020, 1, 31), Frequency::Monthly, y).unwrap();
    let mut cfg = ForecastConfig::new(12, vec![0.1, 0.5, 0.9]);
    cfg.model = ModelChoice::Best;
    let f = forecast_series(&s, &cfg).unwrap();
    for (j, m) in f.mean.iter().enumerate() {
        assert!((m - pat[j]).abs() <= 0.05 * pat[j], "step {j}: {m}");
    }
    assert_eq!(s.stamp_at(48).to_string(), "2024-01-31");
    assert_eq!(s.stamp_at(49).to_string(), "2024-02-29");
}

/// The MSTL candidate on hourly data (three weeks from 2024-02-08 00:00, a daily wave and a
/// weekday/weekend level): it takes both the day and the week (168, the frequency's second
/// season), its forecast rows are dated on the hourly calendar across the leap day into March,
/// and its mean follows the pattern of the hours it is dated at, Saturday's lower level
/// included (within 1.0; the pattern spans 14).
#[test]
fn mstl_forecast_dates_follow_the_calendar() {
    let start = d(2024, 2, 8); // a Thursday
    let pattern = |t: usize| {
        let hour = t % 24;
        let weekday = (3 + t / 24) % 7; // 0 = Monday
        let wave = 4.0 * (2.0 * std::f64::consts::PI * hour as f64 / 24.0).sin();
        20.0 + wave + if weekday >= 5 { -6.0 } else { 0.0 }
    };
    let n = 21 * 24;
    let y: Vec<f64> = (0..n).map(pattern).collect();
    let s = Series::new("h", start, Frequency::Hourly, y).unwrap();
    let mut cfg = ForecastConfig::new(72, vec![0.1, 0.5, 0.9]);
    cfg.model = ModelChoice::parse("mstl").unwrap();
    let f = forecast_series(&s, &cfg).unwrap();
    assert!(f.model.to_string().starts_with("MSTL+ETS"), "{}", f.model);
    let mut out = Vec::new();
    let labels = vec!["0.1".to_string(), "0.5".into(), "0.9".into()];
    io::write_forecasts(
        &mut out,
        std::slice::from_ref(&s),
        std::slice::from_ref(&f),
        &labels,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let dates: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(dates.len(), 72);
    assert_eq!(dates[0], "2024-02-29T00:00");
    assert_eq!(dates[23], "2024-02-29T23:00");
    assert_eq!(dates[24], "2024-03-01T00:00");
    assert_eq!(dates[71], "2024-03-02T23:00");
    for (j, m) in f.mean.iter().enumerate() {
        let want = pattern(n + j);
        assert!(
            (m - want).abs() < 1.0,
            "step {j} ({}): {m} vs {want}",
            dates[j]
        );
    }
}
