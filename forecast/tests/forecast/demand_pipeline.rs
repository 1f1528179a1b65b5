//! Input validation, quantile monotonicity and the automatic pipeline on tiny named panels.
use milkrun_forecast::demand::backtest::{rolling_origin, summarize};
use milkrun_forecast::demand::select::{classify, DemandClass};
use milkrun_forecast::demand::{
    forecast_panel, forecast_series, io, plot, Date, Exog, ForecastConfig, ForecastError,
    Frequency, GapPolicy, ModelChoice, ModelKind, Series,
};

fn read(csv: &str, gaps: GapPolicy) -> Result<Vec<Series>, ForecastError> {
    io::read_series(csv.as_bytes(), gaps)
}

/// A daily series with a weekly pattern and mild noise (deterministic).
fn weekly_pattern(id: &str, n: usize, level: f64) -> Series {
    let pat = [1.0, 1.1, 1.0, 0.9, 1.2, 0.5, 0.4];
    let y: Vec<f64> = (0..n)
        .map(|t| level * pat[t % 7] + ((t * 37 % 11) as f64 - 5.0) * 0.05 * level)
        .collect();
    Series::new(id, Date::from_ymd(2024, 1, 1).unwrap(), Frequency::Daily, y).unwrap()
}

/// Intermittent weekly sales: mostly zeros.
fn intermittent(id: &str) -> Series {
    let y: Vec<f64> = (0..60)
        .map(|t| if t % 3 == 0 { (1 + t % 4) as f64 } else { 0.0 })
        .collect();
    Series::new(
        id,
        Date::from_ymd(2024, 1, 1).unwrap(),
        Frequency::Weekly,
        y,
    )
    .unwrap()
}

/// A duplicate date is refused, naming the series and the date.
#[test]
fn duplicate_date_names_series_and_date() {
    let csv = "series_id,date,value\na,2024-01-01,1\na,2024-01-02,2\na,2024-01-02,3\n";
    let err = read(csv, GapPolicy::Error).unwrap_err();
    assert!(
        matches!(
            &err,
            ForecastError::DuplicateDate { series, date }
                if series == "a" && Some(date.date) == Date::from_ymd(2024, 1, 2)
        ),
        "{err}"
    );
}

/// A gap is an error by default and filled with zeros on request.
#[test]
fn gaps_error_or_zero_fill() {
    let csv = "series_id,date,value\na,2024-01-01,1\na,2024-01-02,2\na,2024-01-05,3\n";
    let err = read(csv, GapPolicy::Error).unwrap_err();
    assert!(
        matches!(err, ForecastError::Gap { ref series, .. } if series == "a"),
        "{err}"
    );
    let s = read(csv, GapPolicy::Zero).unwrap();
    assert_eq!(s[0].values(), &[1.0, 2.0, 0.0, 0.0, 3.0]);
}

/// Negative and NaN values are refused with their line number (header = line 1).
#[test]
fn negative_and_nan_name_the_line() {
    let neg = "series_id,date,value\na,2024-01-01,1\na,2024-01-02,-2\n";
    match read(neg, GapPolicy::Error).unwrap_err() {
        ForecastError::BadValue { line, reason, .. } => {
            assert_eq!((line, reason), (3, "negative"));
        }
        e => panic!("unexpected {e}"),
    }
    let nan = "series_id,date,value\na,2024-01-01,NaN\n";
    match read(nan, GapPolicy::Error).unwrap_err() {
        ForecastError::BadValue { line, reason, .. } => assert_eq!((line, reason), (2, "NaN")),
        e => panic!("unexpected {e}"),
    }
    let bad_date = "series_id,date,value\na,2024-02-30,1\n";
    assert!(matches!(
        read(bad_date, GapPolicy::Error).unwrap_err(),
        ForecastError::BadDate { line: 2, .. }
    ));
    let missing = "id,date,value\na,2024-01-01,1\n";
    assert!(matches!(
        read(missing, GapPolicy::Error).unwrap_err(),
        ForecastError::MissingColumn { .. }
    ));
}

/// Weekly data is recognised, exogenous columns are read, and future values are appended.
#[test]
fn weekly_frequency_exog_and_future() {
    let csv = "series_id,date,value,promo\na,2024-01-01,5,0\na,2024-01-08,6,1\na,2024-01-15,7,0\n";
    let mut s = read(csv, GapPolicy::Error).unwrap();
    assert_eq!(s[0].freq(), Frequency::Weekly);
    assert_eq!(s[0].exog()[0].values, vec![0.0, 1.0, 0.0]);
    let fut = "series_id,date,promo\na,2024-01-22,1\na,2024-01-29,0\n";
    io::read_future(fut.as_bytes(), &mut s, 2).unwrap();
    assert_eq!(s[0].exog()[0].values, vec![0.0, 1.0, 0.0, 1.0, 0.0]);
    let short = "series_id,date,promo\na,2024-01-22,1\n";
    let mut s2 = read(csv, GapPolicy::Error).unwrap();
    assert!(matches!(
        io::read_future(short.as_bytes(), &mut s2, 2).unwrap_err(),
        ForecastError::Exog { .. }
    ));
}

/// Bad configurations are refused.
#[test]
fn bad_config_is_refused() {
    let s = weekly_pattern("a", 30, 10.0);
    let mut cfg = ForecastConfig::new(0, vec![0.5]);
    assert!(matches!(
        forecast_series(&s, &cfg).unwrap_err(),
        ForecastError::Config {
            field: "horizon",
            ..
        }
    ));
    cfg.horizon = 3;
    cfg.levels = vec![0.9, 0.1];
    assert!(forecast_series(&s, &cfg).is_err());
    cfg.levels = vec![0.0, 0.5];
    assert!(forecast_series(&s, &cfg).is_err());
}

/// Every model gives quantiles that are nondecreasing in the level and non-negative.
#[test]
fn quantiles_are_monotone_for_every_model() {
    let panel = vec![
        weekly_pattern("a", 120, 10.0),
        weekly_pattern("b", 120, 3.0),
    ];
    let weekly = vec![intermittent("c"), intermittent("d")];
    let levels = vec![0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95];
    for choice in [
        ModelChoice::Auto,
        ModelChoice::Best,
        ModelChoice::SeasonalNaive,
        ModelChoice::AutoEts,
        ModelChoice::Croston,
        ModelChoice::Sba,
        ModelChoice::Tsb,
        ModelChoice::Adida,
        ModelChoice::Imapa,
        ModelChoice::Regression,
        ModelChoice::Ensemble,
    ] {
        let mut cfg = ForecastConfig::new(10, levels.clone());
        cfg.model = choice;
        for p in [&panel, &weekly] {
            for f in forecast_panel(p, &cfg).unwrap() {
                assert_eq!(f.quantiles.len(), 10);
                for row in &f.quantiles {
                    assert!(row.iter().all(|v| *v >= 0.0 && v.is_finite()), "{choice:?}");
                    assert!(row.windows(2).all(|w| w[0] <= w[1]), "{choice:?} {row:?}");
                }
            }
        }
    }
}

/// Intermittent series are classified as such and get an intermittent-demand model (or the
/// regression / ensemble) from the automatic choice; the same input gives the same output.
#[test]
fn auto_choice_for_intermittent_series_is_deterministic() {
    let s = intermittent("c");
    assert!(classify(s.values()).is_intermittent());
    assert_eq!(classify(&[5.0, 6.0, 5.0, 6.0]), DemandClass::Smooth);
    let cfg = ForecastConfig::new(4, vec![0.1, 0.9]);
    let a = forecast_series(&s, &cfg).unwrap();
    let b = forecast_series(&s, &cfg).unwrap();
    assert_eq!(a, b);
    assert!(!matches!(
        a.model,
        ModelKind::SeasonalNaive | ModelKind::Ets(_)
    ));
}

/// The backtest on a clean weekly pattern scores seasonal models well (MASE below 1) and
/// reports 80% coverage.
#[test]
fn backtest_on_weekly_pattern() {
    let panel = vec![weekly_pattern("a", 140, 10.0)];
    let mut cfg = ForecastConfig::new(7, vec![0.1, 0.5, 0.9]);
    cfg.model = ModelChoice::SeasonalNaive;
    let cases = rolling_origin(&panel, &cfg, 2, 20).unwrap();
    assert_eq!(cases.len(), 2);
    let s = summarize(&panel, &cases, &cfg.levels, 7, false);
    assert!(s.mase < 1.5, "{s:?}");
    assert_eq!(s.coverage.len(), 1);
}

/// The regression uses an exogenous column with known future values: a promotion that
/// doubles sales is forecast as such.
#[test]
fn regression_uses_exogenous_column() {
    let n = 200;
    let promo: Vec<f64> = (0..n + 7)
        .map(|t| f64::from(u8::from(t % 5 == 0)))
        .collect();
    let y: Vec<f64> = (0..n).map(|t| 10.0 * (1.0 + promo[t])).collect();
    let s = Series::new(
        "p",
        Date::from_ymd(2024, 1, 1).unwrap(),
        Frequency::Daily,
        y,
    )
    .unwrap()
    .with_exog(Exog {
        name: "promo".into(),
        values: promo.clone(),
    })
    .unwrap();
    let mut cfg = ForecastConfig::new(7, vec![0.5]);
    cfg.model = ModelChoice::Regression;
    let f = forecast_series(&s, &cfg).unwrap();
    assert_eq!(f.model, ModelKind::Regression);
    for (j, m) in f.mean.iter().enumerate() {
        let want = 10.0 * (1.0 + promo[n + j]);
        assert!((m - want).abs() < 2.0, "step {j}: {m} vs {want}");
    }
}

/// Forecast CSV has the requested columns and the plot is an SVG document.
#[test]
fn output_csv_and_plot() {
    let s = weekly_pattern("a", 60, 10.0);
    let mut cfg = ForecastConfig::new(2, vec![0.1, 0.9]);
    cfg.model = ModelChoice::SeasonalNaive;
    let f = forecast_panel(std::slice::from_ref(&s), &cfg).unwrap();
    let mut buf = Vec::new();
    io::write_forecasts(
        &mut buf,
        std::slice::from_ref(&s),
        &f,
        &["0.1".into(), "0.9".into()],
    )
    .unwrap();
    let text = String::from_utf8(buf).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("series_id,date,mean,q0.1,q0.9"));
    assert!(lines.next().unwrap().starts_with("a,2024-03-01,"));
    let svg = plot::svg_plot(&s, &f[0], 30);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
}
