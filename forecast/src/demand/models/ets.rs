//! Exponential smoothing in state-space form (ETS, Hyndman et al. 2008) with automatic model
//! selection by AICc.
//!
//! Components: error additive or multiplicative; trend none, additive or additive damped;
//! season none, additive or multiplicative with period `m`. The smoothing parameters and the
//! initial level and slope are fitted by maximum likelihood with Nelder-Mead; the initial
//! seasonal indices come from a classical decomposition of the first seasons and stay fixed
//! (they are still counted as parameters in the AICc). Models with additive error and
//! multiplicative season are left out (numerically unstable), as are multiplicative models on
//! series with zeros.
//!
//! Prediction intervals: the analytic variance for the linear class (additive error, no
//! multiplicative season); seeded simulation of the state equations otherwise.
use super::ModelOutput;
use crate::demand::optim::nelder_mead;
use crate::demand::quantile::{empirical_quantiles, monotone_floor, normal_quantile};
use crate::demand::rng::Rng;

/// Error component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// `y = mu + e`.
    Additive,
    /// `y = mu (1 + e)`.
    Multiplicative,
}

/// Trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendType {
    /// No trend.
    None,
    /// Additive (linear) trend.
    Additive,
    /// Additive trend damped by `phi`.
    Damped,
}

/// Seasonal component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeasonType {
    /// No season.
    None,
    /// Additive seasonal indices.
    Additive,
    /// Multiplicative seasonal indices.
    Multiplicative,
}

/// One ETS model form, e.g. ETS(M,Ad,A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EtsSpec {
    /// Error component.
    pub error: ErrorType,
    /// Trend component.
    pub trend: TrendType,
    /// Seasonal component.
    pub season: SeasonType,
}

impl std::fmt::Display for EtsSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = match self.error {
            ErrorType::Additive => "A",
            ErrorType::Multiplicative => "M",
        };
        let t = match self.trend {
            TrendType::None => "N",
            TrendType::Additive => "A",
            TrendType::Damped => "Ad",
        };
        let s = match self.season {
            SeasonType::None => "N",
            SeasonType::Additive => "A",
            SeasonType::Multiplicative => "M",
        };
        write!(f, "ETS({e},{t},{s})")
    }
}

/// Smoothing parameters and initial states.
#[derive(Debug, Clone, PartialEq)]
pub struct EtsParams {
    /// Level smoothing.
    pub alpha: f64,
    /// Slope smoothing (0 without trend).
    pub beta: f64,
    /// Season smoothing (0 without season).
    pub gamma: f64,
    /// Damping (1 unless damped).
    pub phi: f64,
    /// Initial level.
    pub l0: f64,
    /// Initial slope.
    pub b0: f64,
    /// Initial seasonal indices, one per position in the season (empty without season).
    pub s0: Vec<f64>,
}

/// A fitted model: its form, parameters, fit statistics and final state.
#[derive(Debug, Clone, PartialEq)]
pub struct EtsFit {
    /// The model form.
    pub spec: EtsSpec,
    /// Season length used (1 without season).
    pub m: usize,
    /// Fitted parameters.
    pub params: EtsParams,
    /// Corrected Akaike information criterion.
    pub aicc: f64,
    /// Innovation variance (relative errors for multiplicative error).
    pub sigma2: f64,
    level: f64,
    slope: f64,
    seasons: Vec<f64>,
    n: usize,
    /// Parameters counted in the AICc.
    k: usize,
}

struct RunResult {
    sum_sq: f64,
    sum_log_mu: f64,
    level: f64,
    slope: f64,
}

/// Smoothing parameters and initial level and slope (the seasonal indices travel apart, so
/// that an optimizer step allocates nothing).
#[derive(Debug, Clone, Copy)]
struct Smooth {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
    l0: f64,
    b0: f64,
}

impl Smooth {
    fn of(p: &EtsParams) -> Smooth {
        Smooth {
            alpha: p.alpha,
            beta: p.beta,
            gamma: p.gamma,
            phi: p.phi,
            l0: p.l0,
            b0: p.b0,
        }
    }
}

/// Runs the state equations over `y` from initial seasonal indices `s0`, leaving the final
/// indices in `seasons`; `None` when the model leaves its admissible region (non-positive
/// mean for a multiplicative model, non-finite states).
fn run(
    y: &[f64],
    spec: EtsSpec,
    m: usize,
    p: &Smooth,
    s0: &[f64],
    seasons: &mut Vec<f64>,
) -> Option<RunResult> {
    let mut l = p.l0;
    let mut b = if spec.trend == TrendType::None {
        0.0
    } else {
        p.b0
    };
    seasons.clear();
    if spec.season != SeasonType::None {
        seasons.extend_from_slice(s0);
    }
    let s = seasons;
    let mult = spec.error == ErrorType::Multiplicative || spec.season == SeasonType::Multiplicative;
    let (mut sum_sq, mut sum_log_mu) = (0.0, 0.0);
    // product of the means, its logarithm taken only when it leaves [1e-100, 1e100] (one
    // logarithm every few dozen steps instead of one per step)
    let mut prod = 1.0_f64;
    // position in the season (t % m without a division per step)
    let mut pos = 0usize;
    for &yt in y {
        let q = l + p.phi * b;
        let so = if s.is_empty() { 0.0 } else { s[pos] };
        let mu = match spec.season {
            SeasonType::None => q,
            SeasonType::Additive => q + so,
            SeasonType::Multiplicative => q * so,
        };
        if mult && mu <= 0.0 {
            return None;
        }
        let e = yt - mu;
        match spec.error {
            ErrorType::Additive => sum_sq += e * e,
            ErrorType::Multiplicative => {
                let r = e / mu;
                sum_sq += r * r;
                if (1e-50..1e50).contains(&mu) {
                    prod *= mu;
                    if !(1e-100..1e100).contains(&prod) {
                        sum_log_mu += prod.ln();
                        prod = 1.0;
                    }
                } else {
                    sum_log_mu += mu.ln();
                }
            }
        }
        let (dl, ds) = if spec.season == SeasonType::Multiplicative {
            (e / so, e / q)
        } else {
            (e, e)
        };
        l = q + p.alpha * dl;
        if spec.trend != TrendType::None {
            b = p.phi * b + p.beta * dl;
        }
        if !s.is_empty() {
            s[pos] = so + p.gamma * ds;
            pos += 1;
            if pos == m {
                pos = 0;
            }
        }
        if !l.is_finite() || !b.is_finite() {
            return None;
        }
    }
    sum_log_mu += prod.ln();
    Some(RunResult {
        sum_sq,
        sum_log_mu,
        level: l,
        slope: b,
    })
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// Initial seasonal indices from a classical decomposition of the first seasons (at least two
/// full seasons needed), normalised to sum 0 (additive) or average 1 (multiplicative).
fn initial_seasons(y: &[f64], m: usize, season: SeasonType) -> Option<Vec<f64>> {
    let k = (y.len() / m).min(4);
    if m < 2 || k < 2 {
        return None;
    }
    let x = &y[..k * m];
    // centred moving average of order m (2 x m when m is even)
    let half = m / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in half..x.len().saturating_sub(half) {
        let ma = if m.is_multiple_of(2) {
            if t + half >= x.len() {
                continue;
            }
            let inner: f64 = x[t + 1 - half..t + half].iter().sum();
            (inner + 0.5 * (x[t - half] + x[t + half])) / m as f64
        } else {
            x[t - half..=t + half].iter().sum::<f64>() / m as f64
        };
        let d = match season {
            SeasonType::Multiplicative => {
                if ma <= 0.0 {
                    return None;
                }
                x[t] / ma
            }
            _ => x[t] - ma,
        };
        sums[t % m] += d;
        counts[t % m] += 1;
    }
    let neutral = if season == SeasonType::Multiplicative {
        1.0
    } else {
        0.0
    };
    let mut s: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { neutral })
        .collect();
    let avg = s.iter().sum::<f64>() / m as f64;
    for v in s.iter_mut() {
        if season == SeasonType::Multiplicative {
            *v /= avg;
        } else {
            *v -= avg;
        }
    }
    if season == SeasonType::Multiplicative && s.iter().any(|v| *v <= 0.0) {
        return None;
    }
    Some(s)
}

/// Fits one model form by maximum likelihood; `None` when it cannot be fitted to `y`.
pub fn fit(y: &[f64], spec: EtsSpec, m: usize) -> Option<EtsFit> {
    fit_with(y, spec, m, 100, 1e-7)
}

/// How hard [`auto_fit_with`] searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EtsSearch {
    /// Every admissible form ([`candidates`]), up to 100 optimizer steps per parameter.
    #[default]
    Full,
    /// For very large panels: the forms without undamped trend ([`fast_candidates`]), up to
    /// 20 optimizer steps per parameter with a looser tolerance. About 5x cheaper.
    Fast,
    /// Cheaper still, for 10^5 series: the forms without trend first (with the steps and
    /// tolerance of `Fast`), then only the damped-trend version of the best of them; the lower
    /// AICc of the two wins. At most 6 forms instead of `Fast`'s 10, and the 4 skipped are
    /// the ones with the most parameters.
    Staged,
}

/// Like [`fit`], with at most `evals_per_param` likelihood evaluations per free parameter and
/// relative tolerance `tol` on the simplex spread.
pub fn fit_with(
    y: &[f64],
    spec: EtsSpec,
    m: usize,
    evals_per_param: usize,
    tol: f64,
) -> Option<EtsFit> {
    let n = y.len();
    let seasonal = spec.season != SeasonType::None;
    let m = if seasonal { m } else { 1 };
    let positive = y.iter().all(|v| *v > 0.0);
    let mult = spec.error == ErrorType::Multiplicative || spec.season == SeasonType::Multiplicative;
    if (mult && !positive) || n < 4 {
        return None;
    }
    if spec.error == ErrorType::Additive && spec.season == SeasonType::Multiplicative {
        return None;
    }
    let s0 = if seasonal {
        initial_seasons(y, m, spec.season)?
    } else {
        Vec::new()
    };
    // seasonally adjusted start for level and slope
    let take = n.min(10.max(m));
    let adj: Vec<f64> = (0..take)
        .map(|t| match spec.season {
            SeasonType::None => y[t],
            SeasonType::Additive => y[t] - s0[t % m],
            SeasonType::Multiplicative => y[t] / s0[t % m],
        })
        .collect();
    let (l_init, b_init) = if spec.trend == TrendType::None {
        (adj.iter().sum::<f64>() / take as f64, 0.0)
    } else {
        let tm = (take as f64 - 1.0) / 2.0;
        let ym = adj.iter().sum::<f64>() / take as f64;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (t, v) in adj.iter().enumerate() {
            sxy += (t as f64 - tm) * (v - ym);
            sxx += (t as f64 - tm) * (t as f64 - tm);
        }
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        (ym - slope * (tm + 1.0), slope)
    };
    let scale = {
        let mean = y.iter().sum::<f64>() / n as f64;
        let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        var.sqrt().max(mean.abs() * 0.01).max(1e-8)
    };
    let has_trend = spec.trend != TrendType::None;
    let damped = spec.trend == TrendType::Damped;
    let decode = |x: &[f64]| -> Smooth {
        let mut i = 0;
        let mut next = || {
            let v = x[i];
            i += 1;
            v
        };
        let alpha = 0.0001 + 0.9998 * sigmoid(next());
        let beta = if has_trend {
            alpha * sigmoid(next())
        } else {
            0.0
        };
        let gamma = if seasonal {
            (1.0 - alpha) * sigmoid(next())
        } else {
            0.0
        };
        let phi = if damped {
            0.8 + 0.18 * sigmoid(next())
        } else {
            1.0
        };
        let l0 = l_init + scale * next();
        let b0 = if has_trend {
            b_init + 0.1 * scale * next()
        } else {
            0.0
        };
        Smooth {
            alpha,
            beta,
            gamma,
            phi,
            l0,
            b0,
        }
    };
    let mut start = vec![logit(0.3)];
    if has_trend {
        start.push(logit(0.3));
    }
    if seasonal {
        start.push(logit(0.1));
    }
    if damped {
        start.push(logit(0.9));
    }
    start.push(0.0);
    if has_trend {
        start.push(0.0);
    }
    let nf = n as f64;
    let mut scratch = Vec::with_capacity(m);
    let mut objective = |x: &[f64]| -> f64 {
        let p = decode(x);
        match run(y, spec, m, &p, &s0, &mut scratch) {
            Some(r) => lik(nf, &r),
            None => f64::INFINITY,
        }
    };
    let steps = vec![0.5; start.len()];
    let (best, _) = nelder_mead(
        &mut objective,
        &start,
        &steps,
        evals_per_param * start.len(),
        tol,
    );
    let sm = decode(&best);
    let mut seasons = Vec::with_capacity(m);
    let r = run(y, spec, m, &sm, &s0, &mut seasons)?;
    let l = lik(nf, &r);
    if !l.is_finite() {
        return None;
    }
    let k = start.len() + if seasonal { m - 1 } else { 0 } + 1;
    let kf = k as f64;
    if nf - kf - 1.0 <= 0.0 {
        return None;
    }
    let aicc = l + 2.0 * kf + 2.0 * kf * (kf + 1.0) / (nf - kf - 1.0);
    let sigma2 = r.sum_sq / (nf - kf).max(1.0);
    let params = EtsParams {
        alpha: sm.alpha,
        beta: sm.beta,
        gamma: sm.gamma,
        phi: sm.phi,
        l0: sm.l0,
        b0: sm.b0,
        s0,
    };
    Some(EtsFit {
        spec,
        m,
        params,
        aicc,
        sigma2,
        level: r.level,
        slope: r.slope,
        seasons,
        n,
        k,
    })
}

/// -2 log-likelihood up to a constant shared by all models on the same data.
fn lik(n: f64, r: &RunResult) -> f64 {
    if r.sum_sq <= 0.0 {
        return -1e12;
    }
    n * (r.sum_sq / n).ln() + 2.0 * r.sum_log_mu
}

/// The candidate forms for a series: all 15 admissible forms when the data are positive and two
/// seasons are available, fewer otherwise.
pub fn candidates(y: &[f64], m: usize) -> Vec<EtsSpec> {
    let positive = y.iter().all(|v| *v > 0.0);
    let seasonal_ok = m >= 2 && y.len() >= 2 * m;
    let mut out = Vec::new();
    for error in [ErrorType::Additive, ErrorType::Multiplicative] {
        for trend in [TrendType::None, TrendType::Additive, TrendType::Damped] {
            for season in [
                SeasonType::None,
                SeasonType::Additive,
                SeasonType::Multiplicative,
            ] {
                if season != SeasonType::None && !seasonal_ok {
                    continue;
                }
                if (error == ErrorType::Multiplicative || season == SeasonType::Multiplicative)
                    && !positive
                {
                    continue;
                }
                if error == ErrorType::Additive && season == SeasonType::Multiplicative {
                    continue;
                }
                out.push(EtsSpec {
                    error,
                    trend,
                    season,
                });
            }
        }
    }
    out
}

/// Fits every candidate form and keeps the one with the lowest AICc.
pub fn auto_fit(y: &[f64], m: usize) -> Option<EtsFit> {
    candidates(y, m)
        .into_iter()
        .filter_map(|spec| fit(y, spec, m))
        .min_by(|a, b| a.aicc.total_cmp(&b.aicc))
}

/// The forms of [`candidates`] without an undamped additive trend (a damped trend with
/// `phi` near 1 stands in for it): at most 9 of the 15.
pub fn fast_candidates(y: &[f64], m: usize) -> Vec<EtsSpec> {
    let mut c = candidates(y, m);
    c.retain(|s| s.trend != TrendType::Additive);
    c
}

/// [`auto_fit`] with the given search effort.
pub fn auto_fit_with(y: &[f64], m: usize, search: EtsSearch) -> Option<EtsFit> {
    auto_fit_until(y, m, search, &|| false)
}

/// [`auto_fit_with`] that fits no further form once `stop()` is true (the caller then discards
/// the answer, which covers only the forms fitted so far).
pub fn auto_fit_until(
    y: &[f64],
    m: usize,
    search: EtsSearch,
    stop: &dyn Fn() -> bool,
) -> Option<EtsFit> {
    match search {
        EtsSearch::Full => candidates(y, m)
            .into_iter()
            .take_while(|_| !stop())
            .filter_map(|spec| fit(y, spec, m))
            .min_by(|a, b| a.aicc.total_cmp(&b.aicc)),
        EtsSearch::Fast => fast_candidates(y, m)
            .into_iter()
            .take_while(|_| !stop())
            .filter_map(|spec| fit_with(y, spec, m, 20, 1e-4))
            .min_by(|a, b| a.aicc.total_cmp(&b.aicc)),
        EtsSearch::Staged => {
            let flat = candidates(y, m)
                .into_iter()
                .filter(|s| s.trend == TrendType::None)
                .take_while(|_| !stop())
                .filter_map(|spec| fit_with(y, spec, m, 20, 1e-4))
                .min_by(|a, b| a.aicc.total_cmp(&b.aicc))?;
            let damped = EtsSpec {
                trend: TrendType::Damped,
                ..flat.spec
            };
            match fit_with(y, damped, m, 20, 1e-4) {
                Some(d) if d.aicc < flat.aicc => Some(d),
                _ => Some(flat),
            }
        }
    }
}

impl EtsFit {
    /// The same form and parameters (initial states included) run over `y`, which must start
    /// where the fitted data started, e.g. the fitted history plus later values: final states
    /// and innovation variance from `y`, AICc kept. Lets a backtest reuse one fit at several
    /// origins by filtering only. `None` when the states leave the admissible region on `y`.
    pub fn refilter(&self, y: &[f64]) -> Option<EtsFit> {
        let mut seasons = Vec::with_capacity(self.m);
        let p = &self.params;
        let r = run(y, self.spec, self.m, &Smooth::of(p), &p.s0, &mut seasons)?;
        let sigma2 = r.sum_sq / (y.len() as f64 - self.k as f64).max(1.0);
        if !sigma2.is_finite() {
            return None;
        }
        Some(EtsFit {
            spec: self.spec,
            m: self.m,
            params: p.clone(),
            aicc: self.aicc,
            sigma2,
            level: r.level,
            slope: r.slope,
            seasons,
            n: y.len(),
            k: self.k,
        })
    }

    /// Mean forecast for `h` steps, floored at 0.
    pub fn point(&self, h: usize) -> Vec<f64> {
        let mut mean = self.raw_point(h);
        for v in mean.iter_mut() {
            *v = v.max(0.0);
        }
        mean
    }

    /// Mean forecast for `h` steps, not floored (for a model of a series that may go below 0,
    /// such as a seasonally adjusted one).
    pub fn raw_point(&self, h: usize) -> Vec<f64> {
        let p = &self.params;
        let mut damp_sum = 0.0;
        let mut pw = 1.0;
        (1..=h)
            .map(|j| {
                let tr = match self.spec.trend {
                    TrendType::None => 0.0,
                    TrendType::Additive => j as f64,
                    TrendType::Damped => {
                        pw *= p.phi;
                        damp_sum += pw;
                        damp_sum
                    }
                };
                let q = self.level + tr * self.slope;
                let idx = (self.n + j - 1) % self.m.max(1);
                match self.spec.season {
                    SeasonType::None => q,
                    SeasonType::Additive => q + self.seasons[idx],
                    SeasonType::Multiplicative => q * self.seasons[idx],
                }
            })
            .collect()
    }

    /// Whether the intervals are analytic (additive error, no multiplicative season).
    fn is_linear(&self) -> bool {
        self.spec.error == ErrorType::Additive && self.spec.season != SeasonType::Multiplicative
    }

    /// Standard deviation of the forecast error per step for the linear class.
    fn linear_sd(&self, h: usize) -> Vec<f64> {
        let p = &self.params;
        let mut acc = 0.0; // sum of c_i^2 for i < j
        let mut damp_sum = 0.0;
        let mut pw = 1.0;
        (1..=h)
            .map(|j| {
                let var = self.sigma2 * (1.0 + acc);
                // c_j for the next step
                let tr = match self.spec.trend {
                    TrendType::None => 0.0,
                    TrendType::Additive => j as f64,
                    TrendType::Damped => {
                        pw *= p.phi;
                        damp_sum += pw;
                        damp_sum
                    }
                };
                let seas = if self.spec.season != SeasonType::None && j % self.m == 0 {
                    p.gamma
                } else {
                    0.0
                };
                let c = p.alpha + p.beta * tr + seas;
                acc += c * c;
                var.sqrt()
            })
            .collect()
    }

    /// Mean and quantiles for `h` steps: analytic normal quantiles for the linear class,
    /// simulation (`paths` sample paths from `seed`) otherwise; floored at 0.
    pub fn forecast(&self, h: usize, levels: &[f64], paths: usize, seed: u64) -> ModelOutput {
        let mean = self.point(h);
        let quantiles = if self.is_linear() {
            let z: Vec<f64> = levels.iter().map(|&l| normal_quantile(l)).collect();
            mean.iter()
                .zip(self.linear_sd(h))
                .map(|(m, sd)| monotone_floor(z.iter().map(|zz| m + zz * sd).collect()))
                .collect()
        } else {
            self.simulate(h, levels, paths, seed)
                .into_iter()
                .map(monotone_floor)
                .collect()
        };
        ModelOutput { mean, quantiles }
    }

    /// [`EtsFit::forecast`] without the floor at 0: the mean of [`EtsFit::raw_point`] and
    /// quantiles nondecreasing in the level that may be negative.
    pub fn raw_forecast(&self, h: usize, levels: &[f64], paths: usize, seed: u64) -> ModelOutput {
        let mean = self.raw_point(h);
        let quantiles = if self.is_linear() {
            let z: Vec<f64> = levels.iter().map(|&l| normal_quantile(l)).collect();
            mean.iter()
                .zip(self.linear_sd(h))
                .map(|(m, sd)| z.iter().map(|zz| m + zz * sd).collect())
                .collect()
        } else {
            self.simulate(h, levels, paths, seed)
        };
        ModelOutput { mean, quantiles }
    }

    /// Empirical quantiles of `paths` simulated sample paths per step (not floored).
    fn simulate(&self, h: usize, levels: &[f64], paths: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = Rng::new(seed);
        let sd = self.sigma2.max(0.0).sqrt();
        let p = &self.params;
        let m = self.m.max(1);
        let mut draws = vec![Vec::with_capacity(paths); h];
        for _ in 0..paths {
            let (mut l, mut b) = (self.level, self.slope);
            let mut s = self.seasons.clone();
            for (j, col) in draws.iter_mut().enumerate() {
                let t = self.n + j;
                let q = l + p.phi * b;
                let so = if s.is_empty() { 0.0 } else { s[t % m] };
                let mu = match self.spec.season {
                    SeasonType::None => q,
                    SeasonType::Additive => q + so,
                    SeasonType::Multiplicative => q * so,
                };
                let eps = sd * rng.normal();
                let yv = match self.spec.error {
                    ErrorType::Additive => mu + eps,
                    ErrorType::Multiplicative => mu * (1.0 + eps),
                };
                let e = yv - mu;
                let (dl, ds) = if self.spec.season == SeasonType::Multiplicative {
                    (e / so, e / q)
                } else {
                    (e, e)
                };
                l = q + p.alpha * dl;
                if self.spec.trend != TrendType::None {
                    b = p.phi * b + p.beta * dl;
                }
                if !s.is_empty() {
                    s[t % m] = so + p.gamma * ds;
                }
                col.push(if yv.is_finite() { yv } else { mu });
            }
        }
        draws
            .iter()
            .map(|d| empirical_quantiles(d, levels))
            .collect()
    }
}
