//! Hand-checked cases of the ARIMA model.
#![allow(clippy::unwrap_used)]
use super::differencing::{kpss, ndiffs, nsdiffs};
use super::fit::{aicc, fit_order};
use super::poly::{ar_product, differencing, stationary, unconstrained};
use super::*;
use crate::demand::rng::Rng;

fn order(p: usize, d: usize, q: usize) -> Order {
    Order {
        p,
        d,
        q,
        big_p: 0,
        big_d: 0,
        big_q: 0,
    }
}

/// `y_t = 50 + phi (y_{t-1} - 50) + e_t`, `e ~ N(0, 1)`, seeded.
fn ar1(phi: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut x = 0.0;
    (0..n)
        .map(|_| {
            x = phi * x + rng.normal();
            50.0 + x
        })
        .collect()
}

/// A random walk from 100 with N(0, 1) steps, seeded.
fn random_walk(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut x = 100.0;
    (0..n)
        .map(|_| {
            x += rng.normal();
            x
        })
        .collect()
}

/// AICc on a tiny case by hand: logL = -10, k = 2, n = 10 gives
/// 20 + 4 + 2*2*3/7 = 25.7142857...; with n <= k + 1 it is infinite.
#[test]
fn aicc_by_hand() {
    assert!((aicc(-10.0, 2, 10) - (24.0 + 12.0 / 7.0)).abs() < 1e-12);
    assert!(aicc(-10.0, 2, 3).is_infinite());
}

/// An AR(1) with phi = 0.6 (n = 500, seed 7) is recovered within 0.08 (about 2.3 standard
/// errors, sqrt((1 - 0.36) / 500) = 0.036) and its mean within 0.5; the automatic search
/// takes no difference.
#[test]
fn ar1_coefficient_recovered() {
    let y = ar1(0.6, 500, 7);
    let f = fit_order(&y, order(1, 0, 0), 1).unwrap();
    assert!((f.ar[0] - 0.6).abs() < 0.08, "phi = {}", f.ar[0]);
    assert!((f.mean - 50.0).abs() < 0.5, "mean = {}", f.mean);
    assert!((f.sigma2 - 1.0).abs() < 0.2, "sigma2 = {}", f.sigma2);
    let auto = auto_fit(&y, 1).unwrap();
    assert_eq!(auto.order.d, 0, "{}", auto.order);
}

/// psi-weights of an AR(1) are phi^j; of an ARIMA(0,1,0) all ones.
#[test]
fn psi_weights_by_hand() {
    let y = ar1(0.5, 200, 3);
    let f = fit_order(&y, order(1, 0, 0), 1).unwrap();
    let phi = f.ar[0];
    for (j, w) in f.psi_weights(5).iter().enumerate() {
        assert!((w - phi.powi(j as i32)).abs() < 1e-12, "{j}: {w}");
    }
    let rw = fit_order(&random_walk(50, 1), order(0, 1, 0), 1).unwrap();
    assert_eq!(rw.psi_weights(4), vec![1.0; 4]);
}

/// A random walk (n = 300, seed 11) is differenced once; ARIMA(0,1,0) forecasts the last
/// value flat with a band that widens like sqrt(h) (the 0.9 quantile's distance from the
/// mean at h = 16 is 4 times that at h = 1), and the automatic fit's band widens by a
/// factor between 3 and 5 over the same steps.
#[test]
fn random_walk_is_differenced_and_flat() {
    let y = random_walk(300, 11);
    assert_eq!(ndiffs(&y, 2), 1);
    let last = y[y.len() - 1];
    let f = fit_order(&y, order(0, 1, 0), 1).unwrap();
    let out = f.forecast(16, &[0.1, 0.5, 0.9]).unwrap();
    for m in &out.mean {
        assert!((m - last).abs() < 1e-9, "{m} vs {last}");
    }
    let half = |j: usize| out.quantiles[j][2] - out.mean[j];
    assert!((half(15) / half(0) - 4.0).abs() < 1e-9);
    let auto = auto_fit(&y, 1).unwrap();
    assert_eq!(auto.order.d, 1, "{}", auto.order);
    let a = auto.forecast(16, &[0.1, 0.5, 0.9]).unwrap();
    let ratio = (a.quantiles[15][2] - a.mean[15]) / (a.quantiles[0][2] - a.mean[0]);
    assert!((3.0..=5.0).contains(&ratio), "ratio {ratio}");
    assert!((a.mean[15] - last).abs() < 3.0, "{} vs {last}", a.mean[15]);
}

/// A monthly series with a strong 12-month cycle (10 years, small noise) gets a seasonal
/// difference or a seasonal term, and its forecast follows the cycle (peak month above
/// trough month by most of the amplitude 2 x 10).
#[test]
fn seasonal_series_gets_seasonal_part() {
    let mut rng = Rng::new(5);
    let y: Vec<f64> = (0..120)
        .map(|t| {
            let a = 2.0 * std::f64::consts::PI * (t % 12) as f64 / 12.0;
            50.0 + 10.0 * a.sin() + 0.5 * rng.normal()
        })
        .collect();
    assert_eq!(nsdiffs(&y, 12), 1);
    let f = auto_fit(&y, 12).unwrap();
    assert!(
        f.order.big_d + f.order.big_p + f.order.big_q > 0,
        "{}",
        f.order
    );
    let out = f.forecast(12, &[0.5]).unwrap();
    // step j is month (120 + j) % 12 = j: peak at j = 3, trough at j = 9
    assert!(out.mean[3] - out.mean[9] > 15.0, "{:?}", out.mean);
}

/// No panic and finite output on a constant series, all zeros, a very short series and a
/// series with a NaN: constant data forecast the constant with a zero-width band; too short
/// or non-finite input gives no model.
#[test]
fn degenerate_inputs() {
    let c = vec![7.0; 40];
    let f = auto_fit(&c, 7).unwrap();
    let out = f.forecast(5, &[0.1, 0.9]).unwrap();
    for (m, q) in out.mean.iter().zip(&out.quantiles) {
        assert!(
            (m - 7.0).abs() < 1e-6 && (q[1] - q[0]).abs() < 1e-3,
            "{m} {q:?}"
        );
    }
    let z = auto_fit(&[0.0; 30], 7).unwrap();
    assert!(z
        .forecast(3, &[0.5])
        .unwrap()
        .mean
        .iter()
        .all(|v| *v == 0.0));
    assert!(auto_fit(&[1.0, 2.0, 3.0], 1).is_none());
    let mut nan = ar1(0.3, 50, 1);
    nan[10] = f64::NAN;
    assert!(auto_fit(&nan, 1).is_none());
    assert_eq!(kpss(&[1.0, 1.0]), None);
    // a series shorter than the seasonal order needs drops the season instead of failing
    let short = ar1(0.3, 20, 2);
    let f = auto_fit(&short, 12).unwrap();
    assert_eq!(f.m, 1);
    assert!(f
        .forecast(24, &[0.1, 0.5, 0.9])
        .unwrap()
        .quantiles
        .iter()
        .flatten()
        .all(|v| v.is_finite()));
}

/// The coefficient map: any input gives a stationary AR(2) (inside the triangle
/// |phi_2| < 1, phi_2 +- phi_1 < 1), the inverse map returns the input, and the seasonal
/// product (1 - 0.5B)(1 - 0.4B^4) expands to lags 1, 4, 5.
#[test]
fn polynomials() {
    for u in [[3.0, -7.0], [-0.2, 0.9], [10.0, 10.0]] {
        let c = stationary(&u);
        assert!(
            c[1].abs() < 1.0 && c[1] + c[0] < 1.0 && c[1] - c[0] < 1.0,
            "{c:?}"
        );
    }
    let u = [0.4, -0.3, 0.2];
    let back = unconstrained(&stationary(&u));
    for (a, b) in u.iter().zip(&back) {
        assert!((a - b).abs() < 1e-9);
    }
    let p = ar_product(&[0.5], &[0.4], 4);
    assert_eq!(p.len(), 3);
    assert_eq!((p[0].0, p[1].0, p[2].0), (1, 4, 5));
    assert!((p[0].1 - 0.5).abs() < 1e-12 && (p[1].1 - 0.4).abs() < 1e-12);
    assert!((p[2].1 + 0.2).abs() < 1e-12);
    // (1 - B)(1 - B^2) = 1 - B - B^2 + B^3
    assert_eq!(differencing(1, 1, 2), vec![1.0, 1.0, -1.0]);
}

/// The search is bounded and interruptible: a `stop` that says stop at once gives no model,
/// and a budget of one model fits only the first starting model, ARIMA(2,d,2)(1,D,1).
#[test]
fn search_bounded_and_interruptible() {
    let y = ar1(0.5, 120, 9);
    assert!(auto_fit_until(&y, 4, &SearchLimits::default(), &|| true).is_none());
    let one = SearchLimits {
        max_models: 1,
        ..SearchLimits::default()
    };
    let f = auto_fit_until(&y, 4, &one, &|| false).unwrap();
    assert_eq!(
        (f.order.p, f.order.q, f.order.big_p, f.order.big_q),
        (2, 2, 1, 1)
    );
}
