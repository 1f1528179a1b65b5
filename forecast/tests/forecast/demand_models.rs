//! Each demand model against a forecast computed by hand on a tiny series.
use milkrun_forecast::demand::models::{
    adida, croston, ets, seasonal_naive, ses, tsb, ModelOutput,
};
use milkrun_forecast::demand::quantile::{normal_quantile, sorted_quantile};
use milkrun_forecast::demand::{conformal, count, select};
use milkrun_forecast::demand::{
    forecast_series, Date, ForecastConfig, Frequency, ModelChoice, Series,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Seasonal naive repeats the last season: y = [1,2,3,4,5,6], m = 3 -> 4,5,6,4.
#[test]
fn seasonal_naive_repeats_last_season() {
    let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    assert_eq!(seasonal_naive::point(&y, 4, 3), vec![4.0, 5.0, 6.0, 4.0]);
    // residuals y[t]-y[t-3] are all 3: relative to their median they are all 0, so the band
    // collapses on the point forecast instead of lying 3 above it.
    let out = seasonal_naive::forecast(&y, 4, 3, &[0.1, 0.9]);
    assert!(close(out.quantiles[0][0], 4.0, 1e-12));
    assert!(close(out.quantiles[3][1], 4.0, 1e-12));
    // y = [1,2,3,4,6,5]: residuals 3, 4, 2, median 3 -> offsets -1, 0, 1; type-7 quantiles
    // at 0.1 and 0.9 are -0.8 and 0.8, times sqrt(2) two seasons ahead.
    let y = [1.0, 2.0, 3.0, 4.0, 6.0, 5.0];
    let out = seasonal_naive::forecast(&y, 4, 3, &[0.1, 0.9]);
    assert_eq!(out.mean, vec![4.0, 6.0, 5.0, 4.0]);
    assert!(close(out.quantiles[0][0], 3.2, 1e-12));
    assert!(close(out.quantiles[0][1], 4.8, 1e-12));
    assert!(close(out.quantiles[3][1], 4.0 + 0.8 * 2f64.sqrt(), 1e-12));
}

/// SES with alpha 0.5 on [2, 4, 6]: 2 -> 3 -> 4.5.
#[test]
fn ses_level_by_hand() {
    assert!(close(ses::level(&[2.0, 4.0, 6.0], 0.5), 4.5, 1e-12));
}

/// Croston with alpha 0.5 on [0,3,0,0,6]: sizes 3,6 -> 4.5; intervals 2,3 -> 2.5;
/// forecast 1.8, SBA 1.8 * 0.75 = 1.35.
#[test]
fn croston_and_sba_by_hand() {
    let y = [0.0, 3.0, 0.0, 0.0, 6.0];
    assert!(close(
        croston::point_fixed(&y, 2, 0.5, false)[1],
        1.8,
        1e-12
    ));
    assert!(close(
        croston::point_fixed(&y, 1, 0.5, true)[0],
        1.35,
        1e-12
    ));
}

/// TSB with alpha = beta = 0.5 on [0, 4, 0, 2]: start p = 0.5, z = 4;
/// t0: p = 0.25; t1: p = 0.625, z = 4; t2: p = 0.3125; t3: p = 0.65625, z = 3 -> 1.96875.
#[test]
fn tsb_by_hand() {
    let f = tsb::point_with(&[0.0, 4.0, 0.0, 2.0], 3, 0.5, 0.5);
    assert!(close(f[2], 0.65625 * 3.0, 1e-12));
}

/// ADIDA on [0,2,0,4,0,6]: ADI = (2+2+2)/3 = 2, buckets (2,4,6); SES on the buckets with the
/// alpha that fits best in [0.1,0.3] is 0.3: 2 -> 2.6 -> 3.62; per period 1.81.
/// IMAPA averages levels 1 and 2 (horizon 1); with horizon 3 it adds level 3 (buckets 2 and
/// 10: one SES step, every alpha fits equally, the first, 0.1, is kept: 2 + 0.1 x 8 = 2.8, per
/// period 2.8 / 3); with horizon 5 the
/// top level stays at 3, half the history.
#[test]
fn adida_and_imapa_by_hand() {
    let y = [0.0, 2.0, 0.0, 4.0, 0.0, 6.0];
    assert_eq!(adida::aggregation_level(&y), 2);
    assert!(close(adida::point_adida(&y, 1)[0], 1.81, 1e-12));
    let lvl1 = ses::optimized_level(&y);
    assert!(close(
        adida::point_imapa(&y, 1)[0],
        (lvl1 + 1.81) / 2.0,
        1e-12
    ));
    let three = (lvl1 + 1.81 + 2.8 / 3.0) / 3.0;
    assert!(close(adida::point_imapa(&y, 3)[0], three, 1e-12));
    assert_eq!(adida::imapa_top_level(&y, 5), 3);
    assert!(close(adida::point_imapa(&y, 5)[1], three, 1e-12));
}

/// ETS(A,N,N) on a constant series forecasts the constant with (near) zero spread, and
/// automatic selection on a clean linear trend picks a trended model that extrapolates it.
#[test]
fn ets_constant_and_trend() {
    let flat = vec![5.0; 30];
    let spec = ets::EtsSpec {
        error: ets::ErrorType::Additive,
        trend: ets::TrendType::None,
        season: ets::SeasonType::None,
    };
    let fit = ets::fit(&flat, spec, 1).unwrap();
    let out = fit.forecast(3, &[0.1, 0.9], 100, 1);
    assert!(out.mean.iter().all(|v| close(*v, 5.0, 1e-6)));
    let trend: Vec<f64> = (0..40).map(|t| 10.0 + 2.0 * t as f64).collect();
    let fit = ets::auto_fit(&trend, 1).unwrap();
    let f = fit.point(2);
    assert!(close(f[0], 90.0, 0.5), "{:?} {}", f, fit.spec);
    assert!(close(f[1], 92.0, 0.5));
}

/// ETS(A,N,A) on a pure repeating pattern forecasts the pattern.
#[test]
fn ets_additive_season_repeats_pattern() {
    let pat = [10.0, 20.0, 30.0, 20.0];
    let y: Vec<f64> = (0..40).map(|t| pat[t % 4]).collect();
    let spec = ets::EtsSpec {
        error: ets::ErrorType::Additive,
        trend: ets::TrendType::None,
        season: ets::SeasonType::Additive,
    };
    let f = ets::fit(&y, spec, 4).unwrap().point(4);
    for (a, b) in f.iter().zip(pat) {
        assert!(close(*a, b, 0.5), "{f:?}");
    }
}

/// The normal quantile and the type-7 empirical quantile match reference values.
#[test]
fn quantile_helpers() {
    assert!(close(normal_quantile(0.975), 1.959964, 1e-5));
    assert!(close(normal_quantile(0.5), 0.0, 1e-9));
    assert!(close(
        sorted_quantile(&[1.0, 2.0, 3.0, 4.0], 0.5),
        2.5,
        1e-12
    ));
}

/// Poisson quantiles by hand: mean 1 has P(0) = 0.368, P(<=1) = 0.736, P(<=2) = 0.920, so the
/// 0.1 / 0.5 / 0.9 quantiles are 0 / 1 / 2; mean 0.5 has P(0) = 0.607, P(<=1) = 0.910 -> 0 / 0 / 1.
/// Above a mean of 500 the normal approximation ceil(900 + 1.2816 * 30) = 939 is used (the
/// exact Poisson value is 939 too).
#[test]
fn poisson_quantiles_by_hand() {
    let lv = [0.1, 0.5, 0.9];
    let q = |mu: f64| -> Vec<f64> { lv.iter().map(|&p| count::poisson_quantile(mu, p)).collect() };
    assert_eq!(q(1.0), vec![0.0, 1.0, 2.0]);
    assert_eq!(q(0.5), vec![0.0, 0.0, 1.0]);
    assert_eq!(q(3.2), vec![1.0, 3.0, 6.0]);
    assert_eq!(q(499.0), vec![470.0, 499.0, 528.0]);
    assert_eq!(count::poisson_quantile(900.0, 0.9), 939.0);
    assert_eq!(q(0.0), vec![0.0, 0.0, 0.0]);
    assert_eq!(
        count::poisson_table(&[1.0, 0.5], &lv),
        vec![vec![0.0, 1.0, 2.0], vec![0.0, 0.0, 1.0]]
    );
    assert!(count::is_count_data(&[0.0, 3.0, 1.0]));
    assert!(!count::is_count_data(&[0.0, 2.5]));
    assert!(!count::is_count_data(&[]));
}

/// Conformal quantiles by hand, with "last value" as the model on [1, 2, 3, 4, 6, 7] and h = 1:
/// the origins 5 and 4 give errors 7 - 6 = 1 and 6 - 4 = 2 (origin 3 is under the 4-value
/// minimum); type-7 quantiles of {1, 2} at 0.1 / 0.9 are 1.1 / 1.9, added to the forecast 7.
#[test]
fn conformal_quantiles_by_hand() {
    let last = |y: &[f64], h: usize| vec![*y.last().unwrap(); h];
    let y = [1.0, 2.0, 3.0, 4.0, 6.0, 7.0];
    let (mean, q) = conformal::forecast(&y, 1, &[0.1, 0.9], 40, &last);
    assert_eq!(mean, vec![7.0]);
    assert!(
        close(q[0][0], 8.1, 1e-12) && close(q[0][1], 8.9, 1e-12),
        "{q:?}"
    );
}

/// The median ensemble takes the elementwise median of means and of each quantile.
#[test]
fn median_ensemble_by_hand() {
    let out = |m: f64, lo: f64, hi: f64| ModelOutput {
        mean: vec![m],
        quantiles: vec![vec![lo, hi]],
    };
    let (a, b, c) = (out(1.0, 0.0, 5.0), out(3.0, 2.0, 4.0), out(2.0, 1.0, 9.0));
    let e = select::median_ensemble(&[&a, &b, &c]).unwrap();
    assert_eq!(e.mean, vec![2.0]);
    assert_eq!(e.quantiles, vec![vec![1.0, 5.0]]);
}

/// An intermittent count series (whole numbers, ADI 3) gets Poisson quantiles at the TSB mean
/// from the pipeline, and the automatic combination's quantiles are whole numbers as well.
#[test]
fn intermittent_counts_get_poisson_quantiles() {
    let y: Vec<f64> = (0..40)
        .map(|t| if t % 3 == 0 { (1 + t % 2) as f64 } else { 0.0 })
        .collect();
    assert!(select::is_count_intermittent(&y));
    let s = Series::new(
        "bolt",
        Date::from_ymd(2024, 1, 1).unwrap(),
        Frequency::Weekly,
        y.clone(),
    )
    .unwrap();
    let lv = vec![0.1, 0.5, 0.9];
    let mut cfg = ForecastConfig::new(4, lv.clone());
    cfg.model = ModelChoice::Tsb;
    let f = forecast_series(&s, &cfg).unwrap();
    assert_eq!(f.mean, tsb::point(&y, 4));
    assert_eq!(f.quantiles, count::poisson_table(&f.mean, &lv));
    cfg.model = ModelChoice::Auto;
    let f = forecast_series(&s, &cfg).unwrap();
    assert!(
        f.quantiles.iter().flatten().all(|q| q.fract() == 0.0),
        "{:?}",
        f.quantiles
    );
}

/// Refiltering a fit over its own history gives the same forecast; over a longer history it
/// runs the level equation by hand: ETS(A,N,N) with the fitted alpha, l_t = l + alpha (y - l).
#[test]
fn ets_refilter_runs_the_states_with_fixed_parameters() {
    let y = [10.0, 12.0, 11.0, 13.0, 12.0, 14.0, 13.0, 15.0];
    let spec = ets::EtsSpec {
        error: ets::ErrorType::Additive,
        trend: ets::TrendType::None,
        season: ets::SeasonType::None,
    };
    let fit = ets::fit(&y, spec, 1).unwrap();
    let same = fit.refilter(&y).unwrap();
    assert!(close(same.point(1)[0], fit.point(1)[0], 1e-12));
    let longer = [&y[..], &[20.0, 18.0]].concat();
    let a = fit.params.alpha;
    let level = longer[..]
        .iter()
        .fold(fit.params.l0, |l, v| l + a * (v - l));
    let f = fit.refilter(&longer).unwrap().point(2);
    assert!(close(f[0], level, 1e-9), "{f:?} vs {level}");
    assert!(close(f[1], level, 1e-9));
}

/// The staged search (forms without trend, then the damped version of the best) finds the
/// damped trend on a clean linear trend and extrapolates it.
#[test]
fn ets_staged_search_finds_trend() {
    let trend: Vec<f64> = (0..40).map(|t| 10.0 + 2.0 * t as f64).collect();
    let fit = ets::auto_fit_with(&trend, 1, ets::EtsSearch::Staged).unwrap();
    assert_eq!(fit.spec.trend, ets::TrendType::Damped, "{}", fit.spec);
    assert!(close(fit.point(1)[0], 90.0, 1.0), "{:?}", fit.point(2));
}
