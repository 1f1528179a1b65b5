//! How many differences a series needs (Hyndman and Khandakar 2008, section 3.2): the seasonal
//! order `D` from the strength of the seasonal component, then `d` by repeated KPSS tests.

/// 5% critical value of the KPSS level-stationarity statistic (Kwiatkowski et al. 1992,
/// table 1).
pub const KPSS_CRITICAL_5PCT: f64 = 0.463;

/// Seasonal strength at or above which one seasonal difference is taken (the threshold of
/// Wang, Smith and Hyndman 2006 used by the `forecast` package's default).
pub const SEASONAL_STRENGTH_MIN: f64 = 0.64;

/// The KPSS statistic for level stationarity: `sum S_t^2 / (n^2 s^2)`, `S_t` the partial
/// sums of the deviations from the mean and `s^2` the Newey-West long-run variance with
/// Bartlett weights and `trunc(4 (n / 100)^(1/4))` lags. `None` for fewer than 3 values or a
/// constant series.
pub fn kpss(y: &[f64]) -> Option<f64> {
    let n = y.len();
    if n < 3 {
        return None;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let e: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let nf = n as f64;
    let gamma = |s: usize| e[s..].iter().zip(&e).map(|(a, b)| a * b).sum::<f64>() / nf;
    let lags = ((4.0 * (nf / 100.0).powf(0.25)) as usize).min(n - 1);
    let mut s2 = gamma(0);
    for s in 1..=lags {
        s2 += 2.0 * (1.0 - s as f64 / (lags as f64 + 1.0)) * gamma(s);
    }
    if s2 <= 1e-12 * (1.0 + mean * mean) {
        return None;
    }
    let mut partial = 0.0;
    let mut sum_sq = 0.0;
    for v in &e {
        partial += v;
        sum_sq += partial * partial;
    }
    Some(sum_sq / (nf * nf * s2))
}

/// Non-seasonal differences (0, 1 or 2, at most `max_d`): difference while the KPSS test
/// rejects level stationarity at 5%. A constant (or too short) series needs none.
pub fn ndiffs(y: &[f64], max_d: usize) -> usize {
    let mut w = y.to_vec();
    let mut d = 0;
    while d < max_d {
        match kpss(&w) {
            Some(stat) if stat > KPSS_CRITICAL_5PCT => {
                w = w.windows(2).map(|x| x[1] - x[0]).collect();
                d += 1;
            }
            _ => break,
        }
    }
    d
}

/// Strength of the seasonal component of period `m`, `max(0, 1 - Var(R) / Var(S + R))`, from
/// a classical additive decomposition: trend by the centred moving average of `m` (2 x m for
/// even `m`), seasonal indices by the mean detrended value at each position (centred), `R` the
/// rest. `None` with `m < 2` or fewer than two full seasons plus one.
pub fn seasonal_strength(y: &[f64], m: usize) -> Option<f64> {
    let n = y.len();
    if m < 2 || n < 2 * m + 1 {
        return None;
    }
    let half = m / 2;
    let mut trend = vec![f64::NAN; n];
    for (t, tr) in trend.iter_mut().enumerate().take(n - half).skip(half) {
        *tr = if m % 2 == 1 {
            y[t - half..=t + half].iter().sum::<f64>() / m as f64
        } else {
            let inner: f64 = y[t - half + 1..t + half].iter().sum();
            (inner + 0.5 * (y[t - half] + y[t + half])) / m as f64
        };
    }
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in 0..n {
        if trend[t].is_finite() {
            sums[t % m] += y[t] - trend[t];
            counts[t % m] += 1;
        }
    }
    let mut idx: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| s / (*c).max(1) as f64)
        .collect();
    let centre = idx.iter().sum::<f64>() / m as f64;
    idx.iter_mut().for_each(|v| *v -= centre);
    let (mut sr, mut r) = (Vec::new(), Vec::new());
    for t in 0..n {
        if trend[t].is_finite() {
            let detr = y[t] - trend[t];
            sr.push(detr);
            r.push(detr - idx[t % m]);
        }
    }
    let var = |v: &[f64]| {
        let mu = v.iter().sum::<f64>() / v.len().max(1) as f64;
        v.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / v.len().max(1) as f64
    };
    let vsr = var(&sr);
    if vsr <= 0.0 {
        return Some(0.0);
    }
    Some((1.0 - var(&r) / vsr).max(0.0))
}

/// Seasonal differences (0 or 1): one when the seasonal strength reaches
/// [`SEASONAL_STRENGTH_MIN`].
pub fn nsdiffs(y: &[f64], m: usize) -> usize {
    usize::from(seasonal_strength(y, m).is_some_and(|s| s >= SEASONAL_STRENGTH_MIN))
}
