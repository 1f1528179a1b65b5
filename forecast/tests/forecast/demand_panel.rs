//! Streaming a panel in blocks (`demand::panel`, issue #10).
use milkrun_forecast::demand::panel::{forecast_stream, panel_config};
use milkrun_forecast::demand::{
    forecast_panel, Date, EtsSearch, ForecastConfig, ForecastError, Frequency, ModelChoice, Series,
};

/// Five small daily series with a weekly pattern, series `i` scaled by `i + 1`.
fn series(i: usize) -> Result<Series, ForecastError> {
    let y: Vec<f64> = (0..42)
        .map(|t| (i as f64 + 1.0) * (5.0 + (t % 7) as f64))
        .collect();
    Series::new(
        format!("s{i}"),
        Date::from_ymd(2024, 1, 1).unwrap(),
        Frequency::Daily,
        y,
    )
}

/// With a local model, streaming in blocks of 2 gives exactly the forecasts of one call on
/// the whole panel, delivered in input order.
#[test]
fn stream_in_blocks_equals_one_call() {
    let mut cfg = ForecastConfig::new(7, vec![0.1, 0.5, 0.9]);
    cfg.model = ModelChoice::SeasonalNaive;
    let all: Vec<Series> = (0..5).map(|i| series(i).unwrap()).collect();
    let expected = forecast_panel(&all, &cfg).unwrap();
    let mut got = Vec::new();
    let summary = forecast_stream(5, 2, &cfg, series, |i, s, f| {
        assert_eq!(s.id(), format!("s{i}"));
        got.push((i, f.clone()));
        Ok(())
    })
    .unwrap();
    assert_eq!(summary.series, 5);
    assert_eq!(summary.blocks, 3);
    let order: Vec<usize> = got.iter().map(|g| g.0).collect();
    assert_eq!(order, vec![0, 1, 2, 3, 4]);
    for ((_, f), e) in got.iter().zip(&expected) {
        assert_eq!(f, e);
    }
    // seasonal naive repeats the last week: series 1 is 2 * (5 + weekday)
    assert_eq!(got[1].1.mean[0], 2.0 * (5.0 + (42 % 7) as f64));
}

/// An error from the source stops the run and is returned as is.
#[test]
fn source_error_is_returned() {
    let cfg = ForecastConfig::new(7, vec![0.5]);
    let err = forecast_stream(
        5,
        2,
        &cfg,
        |i| {
            if i == 3 {
                Err(ForecastError::EmptySeries {
                    series: "s3".into(),
                })
            } else {
                series(i)
            }
        },
        |_, _, _| Ok(()),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ForecastError::EmptySeries { series } if series == "s3"),
        "{err}"
    );
}

/// A block size of 0 is refused naming the field.
#[test]
fn zero_block_is_refused() {
    let cfg = ForecastConfig::new(7, vec![0.5]);
    let err = forecast_stream(5, 0, &cfg, series, |_, _, _| Ok(())).unwrap_err();
    assert!(err.to_string().contains("block"), "{err}");
}

/// The panel settings run the automatic choice with the staged ETS search (one fit reused
/// across the backtest origins) and give monotone, non-negative quantiles.
#[test]
fn panel_config_forecasts() {
    let cfg = panel_config(7, vec![0.1, 0.5, 0.9]);
    assert_eq!(cfg.ets_search, EtsSearch::Staged);
    assert!(cfg.ets_reuse);
    let mut n = 0;
    forecast_stream(3, 2, &cfg, series, |_, _, f| {
        n += 1;
        assert_eq!(f.mean.len(), 7);
        assert!(f
            .quantiles
            .iter()
            .all(|q| 0.0 <= q[0] && q[0] <= q[1] && q[1] <= q[2]));
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 3);
}

/// Poisson IRLS on an intercept and one 0/1 dummy reproduces the hand-computed maximum
/// likelihood answer: exp(b0) = mean of group 0 (2.0), exp(b0 + b1) = mean of group 1 (6.0).
#[test]
fn poisson_irls_matches_group_means() {
    use milkrun_forecast::demand::models::regression::poisson_irls;
    // rows: (1, d), y; group 0: 1, 2, 3 (mean 2); group 1: 4, 6, 8 (mean 6)
    let x = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let y = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0];
    let b = poisson_irls(&x, &y, 2, None, 0.0, 50).unwrap();
    assert!((b[0].exp() - 2.0).abs() < 1e-9, "{b:?}");
    assert!(((b[0] + b[1]).exp() - 6.0).abs() < 1e-9, "{b:?}");
}
