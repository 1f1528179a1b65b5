//! ARIMA through the pipeline (issue #24): chosen by name, a candidate of the automatic
//! choice, NaN-free output on awkward series.
use milkrun_forecast::demand::{
    forecast_series, Date, ForecastConfig, Frequency, ModelChoice, ModelKind, Series,
};

/// A monthly series: a 12-month cycle on a slow rise, deterministic wiggle.
fn monthly(n: usize) -> Series {
    let y: Vec<f64> = (0..n)
        .map(|t| {
            let a = 2.0 * std::f64::consts::PI * (t % 12) as f64 / 12.0;
            100.0 + 0.3 * t as f64 + 20.0 * a.sin() + ((t * 37 % 11) as f64 - 5.0)
        })
        .collect();
    Series::new(
        "m",
        Date::from_ymd(2015, 1, 31).unwrap(),
        Frequency::Monthly,
        y,
    )
    .unwrap()
}

/// `--model arima` names the model, and its monthly forecast has the ARIMA kind, finite
/// non-negative quantiles nondecreasing in the level, and follows the cycle.
#[test]
fn arima_by_name_on_monthly_data() {
    assert_eq!(ModelChoice::parse("arima"), Some(ModelChoice::AutoArima));
    let s = monthly(96);
    let mut cfg = ForecastConfig::new(12, vec![0.1, 0.5, 0.9]);
    cfg.model = ModelChoice::AutoArima;
    let f = forecast_series(&s, &cfg).unwrap();
    assert!(matches!(f.model, ModelKind::Arima(_)), "{}", f.model);
    for row in &f.quantiles {
        assert!(row.iter().all(|v| v.is_finite() && *v >= 0.0), "{row:?}");
        assert!(row.windows(2).all(|w| w[0] <= w[1]), "{row:?}");
    }
    // month 96 % 12 = 0 is January: the peak (sin = 1) is April (step 3), trough October (9)
    assert!(f.mean[3] - f.mean[9] > 25.0, "{:?}", f.mean);
}

/// The automatic choice with ARIMA among its candidates stays NaN-free on a constant
/// series, a short one and one of zeros then a jump.
#[test]
fn auto_with_arima_on_awkward_series() {
    let start = Date::from_ymd(2024, 1, 1).unwrap();
    let cases = [
        vec![5.0; 40],
        vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        (0..60).map(|t| if t < 50 { 0.0 } else { 9.0 }).collect(),
    ];
    for y in cases {
        let s = Series::new("s", start, Frequency::Weekly, y.clone()).unwrap();
        for model in [ModelChoice::Auto, ModelChoice::Best, ModelChoice::AutoArima] {
            let mut cfg = ForecastConfig::new(4, vec![0.1, 0.5, 0.9]);
            cfg.model = model;
            let f = forecast_series(&s, &cfg).unwrap();
            assert!(
                f.mean
                    .iter()
                    .chain(f.quantiles.iter().flatten())
                    .all(|v| v.is_finite()),
                "{y:?} {model:?}: {f:?}"
            );
        }
    }
}
