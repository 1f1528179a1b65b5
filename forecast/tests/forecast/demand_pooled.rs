//! The pooled intermittent model (learning across series) and the panel-wide pieces that go
//! with it, on tiny hand-computed panels.
use milkrun_forecast::demand::count;
use milkrun_forecast::demand::models::pooled::{
    fit_params, fit_predict, level_at_origins, level_dispersion, member_means, pooled_level,
    shrunk_multiplier, Member, PooledParams,
};
use milkrun_forecast::demand::models::regression::has_yearly_terms;
use milkrun_forecast::demand::{
    forecast_panel, Date, ForecastConfig, Frequency, ModelChoice, ModelKind, Series,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Two products on one axis, the second starting a period later:
/// a = [2, 0, 1], b = [_, 4, 3] -> g = [2, 2, 2].
#[test]
fn pooled_level_averages_the_members_present() {
    let a = [2.0, 0.0, 1.0];
    let b = [4.0, 3.0];
    let members = [
        Member {
            offset: 0,
            values: &a,
        },
        Member {
            offset: 1,
            values: &b,
        },
    ];
    let g = pooled_level(&members);
    assert_eq!(g, vec![Some(2.0), Some(2.0), Some(2.0)]);
}

/// A period no member covers leaves the SES level unchanged:
/// g = [4, _, 2], alpha 0.5 -> origins 0: 0 (no level yet), 1: 4, 2: 4, 3: 3.
#[test]
fn level_at_origins_skips_uncovered_periods() {
    let l = level_at_origins(&[Some(4.0), None, Some(2.0)], 0.5);
    assert_eq!(l, vec![0.0, 4.0, 4.0, 3.0]);
}

/// The shrinkage estimate lies between the product's own rate and the pooled rate (1):
/// own rate 6 / 4 = 1.5; prior 4 -> (4 + 6) / (4 + 4) = 1.25; a product with no sales gets
/// the pooled rate scaled by prior / (prior + exposure) = 4 / 8.
#[test]
fn shrinkage_between_own_and_pooled_rate() {
    let r = shrunk_multiplier(6.0, 4.0, 4.0);
    assert!(close(r, 1.25, 1e-12));
    assert!(r > 1.0 && r < 1.5);
    assert!(close(shrunk_multiplier(0.0, 4.0, 4.0), 0.5, 1e-12));
    // a weak prior keeps the own rate, a strong one the pooled rate
    assert!(close(shrunk_multiplier(6.0, 4.0, 1e-9), 1.5, 1e-6));
    assert!(close(shrunk_multiplier(6.0, 4.0, 1e9), 1.0, 1e-6));
}

/// Member means by hand: a = [1, 1, 1, 1], b = [0, 0, 0, 0] -> g = 0.5 every period; with
/// alpha 0.5 the level stays 0.5; discount 1 gives exposure 2; prior 2:
/// a: (2 + 4) / (2 + 2) * 0.5 = 0.75, b: (2 + 0) / (2 + 2) * 0.5 = 0.25.
#[test]
fn member_means_by_hand() {
    let a = [1.0; 4];
    let b = [0.0; 4];
    let members = [
        Member {
            offset: 0,
            values: &a,
        },
        Member {
            offset: 0,
            values: &b,
        },
    ];
    let p = PooledParams {
        alpha: 0.5,
        discount: 1.0,
        prior: 2.0,
    };
    let m = member_means(&members, &p);
    assert!(close(m[0], 0.75, 1e-12));
    assert!(close(m[1], 0.25, 1e-12));
    // the means add up to the pooled level times the members (no demand created or lost)
    assert!(close(m[0] + m[1], 1.0, 1e-12));
}

/// Six products that sell alike (each one unit every third period, staggered) share one
/// rate: the fit shrinks hard (a large prior), and every forecast is close to the pooled
/// 1/3 per period, with Poisson quantiles at it.
#[test]
fn alike_products_get_the_pooled_rate() {
    let hist: Vec<Vec<f64>> = (0..6)
        .map(|i| {
            (0..30)
                .map(|t| f64::from(u8::from((t + i) % 3 == 0)))
                .collect()
        })
        .collect();
    let members: Vec<Member<'_>> = hist
        .iter()
        .map(|v| Member {
            offset: 0,
            values: v,
        })
        .collect();
    let p = fit_params(&members, 4).unwrap();
    assert!(p.prior >= 8.0, "{p:?}");
    let (outs, c2) = fit_predict(&members, 4, &[0.1, 0.5, 0.9]);
    assert_eq!(outs.len(), 6);
    for o in &outs {
        assert_eq!(o.mean.len(), 4);
        assert!(close(o.mean[0], 1.0 / 3.0, 0.05), "{}", o.mean[0]);
        assert_eq!(
            o.quantiles[0],
            count::poisson_table(&o.mean[..1], &[0.1, 0.5, 0.9])[0]
        );
    }
    // the pooled level is exactly 1/3 every period: no dispersion beyond Poisson
    assert!(close(c2, 0.0, 1e-9), "{c2}");
}

/// A product selling three times as much as the others keeps most of its own rate when its
/// history is long: its forecast is well above the others'.
#[test]
fn a_busy_product_keeps_its_own_rate() {
    let busy: Vec<f64> = (0..40)
        .map(|t| if t % 2 == 0 { 3.0 } else { 0.0 })
        .collect();
    let quiet: Vec<Vec<f64>> = (0..5)
        .map(|i| {
            (0..40)
                .map(|t| f64::from(u8::from((t + i) % 2 == 0)))
                .collect()
        })
        .collect();
    let mut members = vec![Member {
        offset: 0,
        values: &busy,
    }];
    members.extend(quiet.iter().map(|v| Member {
        offset: 0,
        values: v,
    }));
    let (outs, _) = fit_predict(&members, 4, &[0.5]);
    assert!(outs[0].mean[0] > 2.0 * outs[1].mean[0]);
    assert!(outs[0].mean[0] < 1.5 + 1e-9);
}

/// The dispersion of the pooled level: g alternates 0 and 2 (level about 1) -> squared CV
/// near 1, far above a flat level's 0.
#[test]
fn level_dispersion_sees_a_swinging_level() {
    let a: Vec<f64> = (0..20)
        .map(|t| if t % 2 == 0 { 0.0 } else { 2.0 })
        .collect();
    let members = [Member {
        offset: 0,
        values: &a,
    }];
    let c2 = level_dispersion(&members, 0.1, 2);
    assert!(c2 > 0.5 && c2 < 1.5, "{c2}");
}

/// The negative binomial with no extra dispersion is the Poisson; with dispersion its upper
/// quantile is at least the Poisson one: mean 2, c2 1 -> variance 6.
#[test]
fn negbin_widens_the_poisson() {
    for &p in &[0.1, 0.5, 0.9] {
        assert_eq!(
            count::negbin_quantile(2.0, 0.0, p),
            count::poisson_quantile(2.0, p)
        );
    }
    assert!(count::negbin_quantile(2.0, 1.0, 0.9) > count::poisson_quantile(2.0, 0.9));
    // mean 1, c2 1 is geometric with P(X = k) = 0.5^(k+1): P(X <= 2) = 0.875, P(X <= 3) = 0.9375
    assert_eq!(count::negbin_quantile(1.0, 1.0, 0.9), 3.0);
}

/// Weekly fits use week-of-year Fourier terms only once every series has a year of history.
#[test]
fn yearly_terms_need_a_year() {
    assert!(!has_yearly_terms(Frequency::Weekly, 44));
    assert!(has_yearly_terms(Frequency::Weekly, 52));
    assert!(!has_yearly_terms(Frequency::Daily, 400));
}

fn intermittent_panel() -> Vec<Series> {
    let start = Date::from_ymd(2024, 1, 1).unwrap();
    (0..8)
        .map(|i| {
            let y: Vec<f64> = (0..40)
                .map(|t| f64::from(u8::from((t * 7 + i * 3) % 5 == 0)) * (1 + i % 2) as f64)
                .collect();
            Series::new(format!("p{i}"), start, Frequency::Weekly, y).unwrap()
        })
        .collect()
}

/// `ModelChoice::Pooled` forecasts every intermittent count series of a panel with the
/// pooled model; the same config without the model falls back to seasonal naive.
#[test]
fn pooled_choice_over_a_panel() {
    let panel = intermittent_panel();
    let mut cfg = ForecastConfig::new(4, vec![0.1, 0.5, 0.9]);
    cfg.model = ModelChoice::Pooled;
    cfg.pooled = true;
    let out = forecast_panel(&panel, &cfg).unwrap();
    assert!(out.iter().all(|f| f.model == ModelKind::Pooled));
    assert!(out.iter().all(|f| f.mean[0] > 0.0 && f.mean[0] < 2.0));
    cfg.pooled = false;
    let out = forecast_panel(&panel, &cfg).unwrap();
    assert!(out.iter().all(|f| f.model == ModelKind::SeasonalNaive));
}

/// The automatic choice with the pooled candidate and shared weights stays deterministic and
/// gives whole-number, monotone quantiles for count series.
#[test]
fn auto_with_pooled_is_deterministic() {
    let panel = intermittent_panel();
    let mut cfg = ForecastConfig::new(4, vec![0.1, 0.5, 0.9]);
    cfg.pooled = true;
    let a = forecast_panel(&panel, &cfg).unwrap();
    let b = forecast_panel(&panel, &cfg).unwrap();
    assert_eq!(a, b);
    for f in &a {
        for row in &f.quantiles {
            assert!(row.windows(2).all(|w| w[0] <= w[1]));
            assert!(row.iter().all(|q| q.fract() == 0.0 && *q >= 0.0));
        }
    }
}
