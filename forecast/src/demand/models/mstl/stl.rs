//! Loess and the STL decomposition (Cleveland, Cleveland, McRae and Terpenning 1990, "STL: A
//! seasonal-trend decomposition procedure based on loess", Journal of Official Statistics 6(1)),
//! and its multiple-season extension MSTL (Bandara, Hyndman and Bergmeir 2021, "MSTL: A
//! seasonal-trend decomposition algorithm for time series with multiple seasonal patterns").
//!
//! [`loess`]: at a point `x`, the `q` values nearest to it get the tricube weight of their
//! distance over the distance `lambda` to the farthest of them (`lambda` grows by `q / n` when
//! `q` exceeds the `n` values), times an optional robustness weight; a weighted local constant
//! (degree 0) or local line (degree 1) is evaluated at `x`. It is evaluated every `jump` points
//! and interpolated linearly between them, as the paper suggests for speed.
//!
//! [`stl`], one season of period `n_p`; the inner loop, run `inner` times:
//! 1. detrend `y - T`;
//! 2. smooth each cycle-subseries (the values one period apart) by loess (`q = n_s`), also
//!    one position before its first and after its last value: a series `C` of `N + 2 n_p`;
//! 3. low-pass `C`: moving averages of length `n_p`, `n_p` and 3, then loess (`q = n_l`,
//!    degree 1): `L` of length `N`;
//! 4. season `S = C[n_p..n_p + N] - L`;
//! 5. deseasonalise `y - S`;
//! 6. trend `T`: loess of `y - S` (`q = n_t`, degree 1).
//!
//! The outer loop (`outer` times after the first pass) sets robustness weights from the
//! remainder `R = y - S - T`: bisquare of `|R| / (6 median |R|)`. The parameters are the
//! paper's: `n_l` the least odd integer at least `n_p`, `n_t` the least odd integer at least
//! `1.5 n_p / (1 - 1.5 / n_s)`, jumps of `ceil(q / 10)`; non-robust runs use 2 inner passes
//! and no outer one, robust ones 1 inner pass and the given outer ones.
//!
//! [`mstl`]: the periods ascending, each kept when the series holds at least two of its
//! cycles; season `i` (1-based) gets `n_s = 7 + 4 i` (11, 15, ...), the seasonal degree 0 (local
//! constant) as in the MSTL paper's reference implementation. Each season is extracted in turn
//! by STL from the series less the other seasons' current estimates, and the whole round is
//! done twice; the trend is the last STL's and the remainder what is left.

/// The settings of one STL run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StlParams {
    /// Period `n_p` (at least 2).
    pub period: usize,
    /// Seasonal smoothing window `n_s` (odd, at least 7 in the paper).
    pub seasonal_window: usize,
    /// Degree of the cycle-subseries loess: 0 (local constant) or 1 (local line).
    pub seasonal_degree: u8,
    /// Inner loop passes `n_i`.
    pub inner: usize,
    /// Outer (robustness) loop passes `n_o`; 0 is the non-robust STL.
    pub outer: usize,
}

impl StlParams {
    /// The paper's non-robust setting (2 inner passes, no outer) for a period and a seasonal
    /// window, degree 0 for the seasonal loess.
    pub fn new(period: usize, seasonal_window: usize) -> StlParams {
        StlParams {
            period,
            seasonal_window,
            seasonal_degree: 0,
            inner: 2,
            outer: 0,
        }
    }

    /// The paper's robust setting: 1 inner pass and `outer` robustness passes.
    pub fn robust(period: usize, seasonal_window: usize, outer: usize) -> StlParams {
        StlParams {
            inner: 1,
            outer,
            ..StlParams::new(period, seasonal_window)
        }
    }
}

/// One decomposition `y = seasonal + trend + remainder`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stl {
    /// Seasonal component.
    pub seasonal: Vec<f64>,
    /// Trend component.
    pub trend: Vec<f64>,
    /// Remainder `y - seasonal - trend`.
    pub remainder: Vec<f64>,
}

/// A multiple-season decomposition `y = sum seasonals + trend + remainder`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mstl {
    /// The periods kept, ascending (those with at least two cycles in the series).
    pub periods: Vec<usize>,
    /// One seasonal component per kept period, in the same order.
    pub seasonals: Vec<Vec<f64>>,
    /// Trend component.
    pub trend: Vec<f64>,
    /// Remainder.
    pub remainder: Vec<f64>,
}

/// The least odd integer >= `x` (and >= 3).
fn least_odd_at_least(x: f64) -> usize {
    let c = x.ceil().max(3.0) as usize;
    if c.is_multiple_of(2) {
        c + 1
    } else {
        c
    }
}

/// Tricube weight of `u` in [0, 1), 0 beyond.
fn tricube(u: f64) -> f64 {
    if u >= 1.0 {
        0.0
    } else {
        let t = 1.0 - u * u * u;
        t * t * t
    }
}

/// The loess value at position `x` (positions of `y` are `0..n`; `x` may lie outside, for
/// extrapolation) from the `q` nearest values, degree 0 or 1, robustness weights `rho` if
/// given. `None` when every weight is 0.
fn loess_at(y: &[f64], rho: Option<&[f64]>, q: usize, degree: u8, x: f64) -> Option<f64> {
    let n = y.len();
    if n == 0 {
        return None;
    }
    let q = q.max(1);
    let (lo, hi) = if q >= n {
        (0, n)
    } else {
        // the q nearest positions form a window [lo, lo + q) around x
        let centre = x.round().clamp(0.0, (n - 1) as f64) as usize;
        let lo = centre.saturating_sub(q / 2).min(n - q);
        (lo, lo + q)
    };
    let far = (x - lo as f64).abs().max((x - (hi - 1) as f64).abs());
    let mut lambda = far;
    if q > n {
        lambda *= q as f64 / n as f64;
    }
    // a zero bandwidth (one value at x) keeps that value
    let lambda = lambda.max(0.5);
    let weight = |i: usize| rho.map_or(1.0, |r| r[i]) * tricube((i as f64 - x).abs() / lambda);
    let (mut sw, mut swx) = (0.0, 0.0);
    for i in lo..hi {
        let wi = weight(i);
        sw += wi;
        swx += wi * i as f64;
    }
    if sw <= 0.0 {
        return None;
    }
    let xbar = swx / sw;
    let spread: f64 = if degree >= 1 {
        (lo..hi)
            .map(|i| weight(i) * (i as f64 - xbar) * (i as f64 - xbar))
            .sum()
    } else {
        0.0
    };
    // a local line where the weighted positions are spread enough to fit one, else a constant
    let range = (hi - 1 - lo) as f64;
    let line = degree >= 1 && (spread / sw).sqrt() > 1e-3 * range;
    let value = (lo..hi)
        .map(|i| {
            let mut a = weight(i) / sw;
            if line {
                a *= 1.0 + (x - xbar) * (i as f64 - xbar) * sw / spread;
            }
            a * y[i]
        })
        .sum();
    Some(value)
}

/// Loess of `y` at each of its positions, evaluated every `jump` positions (and at the last)
/// and interpolated linearly between; a position whose weights are all 0 keeps `y`'s value.
pub fn loess(y: &[f64], rho: Option<&[f64]>, q: usize, degree: u8, jump: usize) -> Vec<f64> {
    let n = y.len();
    let jump = jump.max(1);
    let mut out = vec![0.0; n];
    if n == 0 {
        return out;
    }
    let at = |i: usize| loess_at(y, rho, q, degree, i as f64).unwrap_or(y[i]);
    let mut prev = 0usize;
    out[0] = at(0);
    let mut i = jump.min(n - 1);
    while prev < n - 1 {
        out[i] = at(i);
        let (a, b) = (out[prev], out[i]);
        for (k, v) in out.iter_mut().enumerate().take(i).skip(prev + 1) {
            let f = (k - prev) as f64 / (i - prev) as f64;
            *v = a + (b - a) * f;
        }
        prev = i;
        i = (i + jump).min(n - 1);
    }
    out
}

/// Moving average of length `k` (output `len - k + 1` values).
fn moving_average(x: &[f64], k: usize) -> Vec<f64> {
    if k == 0 || x.len() < k {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(x.len() - k + 1);
    let mut sum: f64 = x[..k].iter().sum();
    out.push(sum / k as f64);
    for i in k..x.len() {
        sum += x[i] - x[i - k];
        out.push(sum / k as f64);
    }
    out
}

/// Median of absolute values (0 for none).
fn median_abs(x: &[f64]) -> f64 {
    let mut a: Vec<f64> = x.iter().map(|v| v.abs()).collect();
    if a.is_empty() {
        return 0.0;
    }
    a.sort_by(f64::total_cmp);
    let n = a.len();
    if n % 2 == 1 {
        a[n / 2]
    } else {
        0.5 * (a[n / 2 - 1] + a[n / 2])
    }
}

/// STL of `y` (see the module doc). `None` when the period is below 2, the series holds fewer
/// than two full periods, or a value is not finite.
pub fn stl(y: &[f64], p: &StlParams) -> Option<Stl> {
    let n = y.len();
    let np = p.period;
    if np < 2 || n < 2 * np || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let ns = p.seasonal_window.max(3) | 1;
    let nl = least_odd_at_least(np as f64);
    let nt = least_odd_at_least(1.5 * np as f64 / (1.0 - 1.5 / ns as f64));
    let jump = |q: usize| q.div_ceil(10);
    let mut trend = vec![0.0; n];
    let mut seasonal = vec![0.0; n];
    let mut rho: Option<Vec<f64>> = None;
    let mut detrended = vec![0.0; n];
    let mut c = vec![0.0; n + 2 * np];
    let mut sub = Vec::with_capacity(n / np + 1);
    let mut sub_rho = Vec::with_capacity(n / np + 1);
    for pass in 0..=p.outer {
        for _ in 0..p.inner.max(1) {
            // 1. detrending
            for t in 0..n {
                detrended[t] = y[t] - trend[t];
            }
            // 2. cycle-subseries smoothing, one position extrapolated at each end
            for k in 0..np {
                sub.clear();
                sub.extend((k..n).step_by(np).map(|t| detrended[t]));
                sub_rho.clear();
                if let Some(r) = &rho {
                    sub_rho.extend((k..n).step_by(np).map(|t| r[t]));
                }
                let r = rho.as_ref().map(|_| sub_rho.as_slice());
                let nk = sub.len();
                for i in 0..nk + 2 {
                    let x = i as f64 - 1.0;
                    // where every weight is 0, the value itself (the nearest one outside)
                    let own = sub[i.saturating_sub(1).min(nk - 1)];
                    let v = loess_at(&sub, r, ns, p.seasonal_degree, x).unwrap_or(own);
                    c[k + i * np] = v;
                }
            }
            // 3. low-pass filter of the smoothed cycle-subseries
            let ma = moving_average(&moving_average(&moving_average(&c, np), np), 3);
            let low = loess(&ma, None, nl, 1, jump(nl));
            // 4. detrending of the smoothed cycle-subseries
            for t in 0..n {
                seasonal[t] = c[t + np] - low[t];
            }
            // 5.-6. deseasonalising and trend smoothing
            let deseason: Vec<f64> = (0..n).map(|t| y[t] - seasonal[t]).collect();
            trend = loess(&deseason, rho.as_deref(), nt, 1, jump(nt));
        }
        if pass < p.outer {
            let r: Vec<f64> = (0..n).map(|t| y[t] - seasonal[t] - trend[t]).collect();
            let h = 6.0 * median_abs(&r);
            rho = Some(
                r.iter()
                    .map(|v| {
                        if h <= 0.0 {
                            1.0
                        } else {
                            let u = (v.abs() / h).min(1.0);
                            let b = 1.0 - u * u;
                            b * b
                        }
                    })
                    .collect(),
            );
        }
    }
    let remainder = (0..n).map(|t| y[t] - seasonal[t] - trend[t]).collect();
    if seasonal.iter().chain(&trend).any(|v| !v.is_finite()) {
        return None;
    }
    Some(Stl {
        seasonal,
        trend,
        remainder,
    })
}

/// Rounds of MSTL over all seasons.
const MSTL_ITERATIONS: usize = 2;

/// MSTL of `y` over `periods` (see the module doc). `None` when no period has two full cycles
/// in `y` or a value is not finite.
pub fn mstl(y: &[f64], periods: &[usize]) -> Option<Mstl> {
    let n = y.len();
    let mut kept: Vec<usize> = periods
        .iter()
        .copied()
        .filter(|&p| p >= 2 && n >= 2 * p)
        .collect();
    kept.sort_unstable();
    kept.dedup();
    if kept.is_empty() || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut deseason = y.to_vec();
    let mut seasonals = vec![vec![0.0; n]; kept.len()];
    let mut trend = vec![0.0; n];
    for _ in 0..MSTL_ITERATIONS {
        for (i, &period) in kept.iter().enumerate() {
            for (d, s) in deseason.iter_mut().zip(&seasonals[i]) {
                *d += s;
            }
            let fit = stl(&deseason, &StlParams::new(period, 7 + 4 * (i + 1)))?;
            for (d, s) in deseason.iter_mut().zip(&fit.seasonal) {
                *d -= s;
            }
            seasonals[i] = fit.seasonal;
            trend = fit.trend;
        }
    }
    let remainder = deseason.iter().zip(&trend).map(|(d, t)| d - t).collect();
    Some(Mstl {
        periods: kept,
        seasonals,
        trend,
        remainder,
    })
}
