//! Automatic model choice per series.
//!
//! Each series is classified by the Syntetos-Boylan scheme (ADI = mean interval between
//! non-zero values, CV² = squared coefficient of variation of the non-zero sizes): with
//! ADI >= 1.32 it is intermittent and the candidates are SBA, TSB, ADIDA and IMAPA; otherwise
//! seasonal naive, ETS, seasonal ARIMA and, for seasons of 12 or more on histories of at least
//! two full seasons, MSTL
//! ([`super::models::mstl`]: the series' season, plus the frequency's second season, the week
//! of hourly data, when the season is the frequency's default). The global regression joins
//! both lists when it can serve the series, and the median ensemble of the candidates is always
//! a candidate too. Every candidate is
//! refitted at `backtest_windows` rolling origins (each `horizon` long) and scored by
//! RMSSE of the mean plus the mean scaled pinball loss over the levels (x2), with the scales
//! of the training part (seasonal differences). `Best` keeps the lowest mean score; `Auto`
//! averages the candidates' means and quantiles with weights 1 / score² (a weighted mean of
//! nondecreasing quantile rows stays nondecreasing). For intermittent count data (whole
//! numbers) the intermittent models, the median ensemble and the `Auto` combination give
//! Poisson quantiles at their mean instead (see [`super::count`]).
//!
//! Learning across series: with [`ForecastConfig::shared_weights`] (default) the intermittent
//! count series are weighted by each candidate's mean backtest score over all of them rather
//! than their own few windows; with [`ForecastConfig::pooled`] the pooled intermittent model
//! ([`super::models::pooled`], fitted once per cut over the panel's intermittent count series)
//! joins their candidates. All series are backtested first, then forecast.
//!
//! How the `Auto` combination weighs the other series' candidates is
//! [`ForecastConfig::weighting`]: their own scores (default), their best alone, the panel's
//! relative scores, the panel's best alone, or one of these chosen per panel by a
//! leave-one-window-out check on the same backtest windows ([`weighting`]).
use super::calibrate::{self, CalibPoint};
use super::conformal;
use super::count;
use super::metrics;
use super::models::pooled::{self, Member};
use super::models::{
    adida, arima, croston, ets, mstl, regression, seasonal_naive, tsb, ModelOutput,
};
use super::quantile::median;
use super::series::Series;
use super::weighting::{self, Weighting};
use super::{Forecast, ForecastConfig, ModelChoice, ModelKind};
use crate::control::{Control, Stopped, Watch};
use rayon::prelude::*;

/// Syntetos-Boylan demand classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemandClass {
    /// ADI < 1.32 and CV² < 0.49.
    Smooth,
    /// ADI < 1.32 and CV² >= 0.49.
    Erratic,
    /// ADI >= 1.32 and CV² < 0.49.
    Intermittent,
    /// ADI >= 1.32 and CV² >= 0.49.
    Lumpy,
}

impl DemandClass {
    /// Whether the intermittent-demand models suit this class (ADI >= 1.32).
    pub fn is_intermittent(self) -> bool {
        matches!(self, DemandClass::Intermittent | DemandClass::Lumpy)
    }
}

/// Classifies a history by ADI and CV² of the non-zero values.
pub fn classify(y: &[f64]) -> DemandClass {
    let (sizes, intervals) = croston::sizes_and_intervals(y);
    if sizes.is_empty() {
        return DemandClass::Lumpy;
    }
    let adi = intervals.iter().sum::<f64>() / intervals.len() as f64;
    let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
    let var = sizes.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / sizes.len() as f64;
    let cv2 = if mean > 0.0 { var / (mean * mean) } else { 0.0 };
    match (adi >= 1.32, cv2 >= 0.49) {
        (false, false) => DemandClass::Smooth,
        (false, true) => DemandClass::Erratic,
        (true, false) => DemandClass::Intermittent,
        (true, true) => DemandClass::Lumpy,
    }
}

/// A model that can be run on one series' history alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Local {
    SeasonalNaive,
    AutoEts,
    AutoArima,
    Mstl,
    Croston,
    Sba,
    Tsb,
    Adida,
    Imapa,
}

/// The season of a series and the second season of its MSTL candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seasons {
    /// The season every model uses.
    m: usize,
    /// A second, longer season for MSTL (`None`: `m` alone).
    second: Option<usize>,
}

impl Seasons {
    /// The season of `s` under `cfg`: the configured one, else the frequency's default with its
    /// second season (if any) for MSTL.
    fn of(s: &Series, cfg: &ForecastConfig) -> Seasons {
        match cfg.season_length {
            Some(m) => Seasons { m, second: None },
            None => Seasons {
                m: s.freq().default_season(),
                second: s.freq().second_season(),
            },
        }
    }

    /// The periods offered to MSTL.
    fn periods(self) -> Vec<usize> {
        std::iter::once(self.m).chain(self.second).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidate {
    Local(Local),
    Regression,
    Pooled,
    Ensemble,
}

/// One ETS fit reused at every origin of a series (see [`ForecastConfig::ets_reuse`]): fitted
/// on `y[start..cut]` at the oldest backtest origin `cut`.
struct EtsBase {
    fit: ets::EtsFit,
    start: usize,
}

/// The ETS fit at the oldest backtest origin of `y` that leaves enough history, on at most
/// `max_history` values before it.
fn ets_base(y: &[f64], m: usize, cfg: &ForecastConfig, windows: usize) -> Option<EtsBase> {
    let h = cfg.horizon;
    let cut = (0..windows)
        .map_while(|w| {
            y.len()
                .checked_sub((w + 1) * h)
                .filter(|&c| c >= (2 * h).max(10))
        })
        .last()?;
    let start = cut - cfg.max_history.map_or(cut, |mh| mh.min(cut));
    let fit = ets::auto_fit_with(&y[start..cut], m, cfg.ets_search)?;
    Some(EtsBase { fit, start })
}

/// ETS at one origin: the reused fit filtered over `prefix` (the whole history before the
/// origin) when there is one, else a fresh automatic fit on `y`.
fn ets_at(
    y: &[f64],
    m: usize,
    cfg: &ForecastConfig,
    base: Option<(&EtsBase, &[f64])>,
    stop: &dyn Fn() -> bool,
) -> Option<ets::EtsFit> {
    base.and_then(|(b, prefix)| b.fit.refilter(prefix.get(b.start..)?))
        .or_else(|| ets::auto_fit_until(y, m, cfg.ets_search, stop))
}

fn run_local(
    kind: Local,
    y: &[f64],
    sea: Seasons,
    cfg: &ForecastConfig,
    base: Option<(&EtsBase, &[f64])>,
    stop: &dyn Fn() -> bool,
) -> (ModelOutput, ModelKind) {
    let m = sea.m;
    let h = cfg.horizon;
    let lv = &cfg.levels;
    let w = cfg.calibration_windows;
    let conf = |f: &dyn Fn(&[f64], usize) -> Vec<f64>| {
        if is_count_intermittent(y) {
            let mean = f(y, h);
            let quantiles = count::poisson_table(&mean, lv);
            return ModelOutput { mean, quantiles };
        }
        let (mean, quantiles) = conformal::forecast(y, h, lv, w, f);
        ModelOutput { mean, quantiles }
    };
    match kind {
        Local::SeasonalNaive => (
            seasonal_naive::forecast(y, h, m, lv),
            ModelKind::SeasonalNaive,
        ),
        Local::AutoEts => match ets_at(y, m, cfg, base, stop) {
            Some(fit) => (
                fit.forecast(h, lv, cfg.simulation_paths, cfg.seed),
                ModelKind::Ets(fit.spec),
            ),
            None => (
                seasonal_naive::forecast(y, h, m, lv),
                ModelKind::SeasonalNaive,
            ),
        },
        Local::AutoArima => {
            let fit = arima::auto_fit_until(y, m, &arima::SearchLimits::default(), stop);
            match fit.and_then(|f| Some((f.forecast(h, lv)?, f.order))) {
                Some((out, order)) => (out, ModelKind::Arima(order)),
                None => (
                    seasonal_naive::forecast(y, h, m, lv),
                    ModelKind::SeasonalNaive,
                ),
            }
        }
        Local::Mstl => match mstl::fit_until(y, &sea.periods(), cfg.ets_search, stop) {
            Some(fit) => (
                fit.forecast(h, lv, cfg.simulation_paths, cfg.seed),
                ModelKind::Mstl(fit.trend_model.spec),
            ),
            None => (
                seasonal_naive::forecast(y, h, m, lv),
                ModelKind::SeasonalNaive,
            ),
        },
        Local::Croston => (
            conf(&|x, k| croston::point(x, k, false)),
            ModelKind::Croston,
        ),
        Local::Sba => (conf(&|x, k| croston::point(x, k, true)), ModelKind::Sba),
        Local::Tsb => (conf(&tsb::point), ModelKind::Tsb),
        Local::Adida => (conf(&adida::point_adida), ModelKind::Adida),
        Local::Imapa => (conf(&adida::point_imapa), ModelKind::Imapa),
    }
}

/// Whether a history is intermittent count data, whose intermittent-model quantiles come from
/// a Poisson distribution at the mean (see [`count`]).
pub fn is_count_intermittent(y: &[f64]) -> bool {
    count::is_count_data(y) && classify(y).is_intermittent()
}

/// Elementwise median of several outputs (means and each quantile); monotone in the level
/// because the median of nondecreasing rows is nondecreasing.
pub fn median_ensemble(outputs: &[&ModelOutput]) -> Option<ModelOutput> {
    let first = outputs.first()?;
    let h = first.mean.len();
    let l = first.quantiles.first().map_or(0, Vec::len);
    let mut buf = Vec::with_capacity(outputs.len());
    let mut mean = Vec::with_capacity(h);
    let mut quantiles = Vec::with_capacity(h);
    for j in 0..h {
        buf.clear();
        buf.extend(outputs.iter().map(|o| o.mean[j]));
        mean.push(median(&buf));
        let mut row = Vec::with_capacity(l);
        for k in 0..l {
            buf.clear();
            buf.extend(outputs.iter().map(|o| o.quantiles[j][k]));
            row.push(median(&buf));
        }
        quantiles.push(row);
    }
    Some(ModelOutput { mean, quantiles })
}

/// Backtest score of one output (lower is better): RMSSE of the mean path plus the mean over
/// levels of twice the scaled pinball loss (twice, so that the 0.5 level weighs like MAE).
pub fn score(train: &[f64], test: &[f64], out: &ModelOutput, levels: &[f64], m: usize) -> f64 {
    let (abs_scale, sq_scale) = score_scales(train, m);
    score_scaled((abs_scale, sq_scale), test, out, levels)
}

/// [`score`] with the training part's scales ([`score_scales`]) already known.
fn score_scaled(
    (abs_scale, sq_scale): (f64, f64),
    test: &[f64],
    out: &ModelOutput,
    levels: &[f64],
) -> f64 {
    let k = test.len().min(out.mean.len());
    let mut s = (metrics::mse(&test[..k], &out.mean[..k]) / sq_scale).sqrt();
    if !levels.is_empty() {
        let pin: f64 = levels
            .iter()
            .enumerate()
            .map(|(l, &tau)| {
                let q: Vec<f64> = out.quantiles[..k].iter().map(|r| r[l]).collect();
                2.0 * metrics::pinball(&test[..k], &q, tau)
            })
            .sum();
        s += pin / levels.len() as f64 / abs_scale;
    }
    s
}

/// The absolute and squared scales of [`score`]: seasonal differences of the training part,
/// else first differences, else its mean.
fn score_scales(train: &[f64], m: usize) -> (f64, f64) {
    let sc = metrics::scales(train, m, false)
        .filter(|s| s.0 > 0.0)
        .or_else(|| metrics::scales(train, 1, false))
        .filter(|s| s.0 > 0.0);
    sc.unwrap_or_else(|| {
        let mean = (train.iter().sum::<f64>() / train.len().max(1) as f64).max(1e-9);
        (mean, mean * mean)
    })
}

fn tail(y: &[f64], max: Option<usize>) -> &[f64] {
    match max {
        Some(m) if y.len() > m => &y[y.len() - m..],
        _ => y,
    }
}

/// The shortest season for which the automatic choice offers MSTL. Decided once, on MSTL
/// alone against ETS alone and on the combination with and without it (bench/README.md, "MSTL
/// among the candidates"): with a short season (quarters, weekdays) ETS's few seasonal states
/// and seasonal ARIMA already model the season directly, and MSTL alone was no better than
/// ETS (m4_quarterly, visnights) or much worse (arrivals, MASE 1.17 against 0.91), while as one
/// more candidate it diluted the combination (arrivals +11 % MASE, chicago +0.8 %, 31 % more
/// CPU on chicago). With a long season (12 months, 24 hours, 52 weeks) ETS must estimate as
/// many seasonal states from few cycles (or cannot, beyond 24) and ARIMA differences the
/// season away, and MSTL's smoothed seasonal components were clearly better alone (MASE
/// m4_monthly 0.85 against 0.99, m4_hourly 0.74 against 1.68, walmart 1.41 against 1.61).
const MSTL_MIN_SEASON: usize = 12;

fn candidates(
    choice: ModelChoice,
    y: &[f64],
    m: usize,
    has_reg: bool,
    has_pool: bool,
) -> Vec<Candidate> {
    let single = |l| vec![Candidate::Local(l)];
    match choice {
        ModelChoice::SeasonalNaive => single(Local::SeasonalNaive),
        ModelChoice::AutoEts => single(Local::AutoEts),
        ModelChoice::AutoArima => single(Local::AutoArima),
        ModelChoice::Mstl => single(Local::Mstl),
        ModelChoice::Croston => single(Local::Croston),
        ModelChoice::Sba => single(Local::Sba),
        ModelChoice::Tsb => single(Local::Tsb),
        ModelChoice::Adida => single(Local::Adida),
        ModelChoice::Imapa => single(Local::Imapa),
        ModelChoice::Regression if has_reg => vec![Candidate::Regression],
        ModelChoice::Regression => single(Local::SeasonalNaive),
        ModelChoice::Pooled if has_pool => vec![Candidate::Pooled],
        ModelChoice::Pooled => single(Local::SeasonalNaive),
        ModelChoice::Best | ModelChoice::Ensemble | ModelChoice::Auto => {
            let mut c: Vec<Candidate> = if classify(y).is_intermittent() {
                vec![Local::Sba, Local::Tsb, Local::Adida, Local::Imapa]
            } else if m >= MSTL_MIN_SEASON && mstl::serves(y.len(), &[m]) {
                vec![
                    Local::SeasonalNaive,
                    Local::AutoEts,
                    Local::AutoArima,
                    Local::Mstl,
                ]
            } else {
                vec![Local::SeasonalNaive, Local::AutoEts, Local::AutoArima]
            }
            .into_iter()
            .map(Candidate::Local)
            .collect();
            if has_reg {
                c.push(Candidate::Regression);
            }
            if has_pool {
                c.push(Candidate::Pooled);
            }
            c
        }
    }
}

/// The outputs of the panel-wide models for one series at one cut.
#[derive(Clone, Copy, Default)]
struct Global<'a> {
    reg: Option<&'a ModelOutput>,
    pool: Option<&'a ModelOutput>,
}

/// Runs the candidates on one history; `global` holds the panel-wide models' outputs for this
/// cut, `base` the reused ETS fit with the whole history before the cut.
fn run_all(
    cands: &[Candidate],
    y: &[f64],
    sea: Seasons,
    cfg: &ForecastConfig,
    global: Global<'_>,
    base: Option<(&EtsBase, &[f64])>,
    watch: &Watch<'_>,
) -> Result<Vec<(Candidate, ModelOutput, ModelKind)>, Stopped> {
    let mut out = Vec::with_capacity(cands.len() + 1);
    for &c in cands {
        match c {
            Candidate::Local(l) => {
                watch.check()?;
                let (o, k) = run_local(l, y, sea, cfg, base, &|| watch.stopped());
                // A fit cut short by the watch is discarded, not used.
                watch.check()?;
                out.push((c, o, k));
            }
            Candidate::Regression => {
                if let Some(r) = global.reg {
                    out.push((c, r.clone(), ModelKind::Regression));
                }
            }
            Candidate::Pooled => {
                if let Some(r) = global.pool {
                    out.push((c, r.clone(), ModelKind::Pooled));
                }
            }
            Candidate::Ensemble => {}
        }
    }
    if out.len() >= 3 {
        let refs: Vec<&ModelOutput> = out.iter().map(|(_, o, _)| o).collect();
        if let Some(mut e) = median_ensemble(&refs) {
            if is_count_intermittent(y) {
                e.quantiles = count::poisson_table(&e.mean, &cfg.levels);
            }
            out.push((Candidate::Ensemble, e, ModelKind::Ensemble));
        }
    }
    Ok(out)
}

/// The whole pipeline over a panel (see the module doc). `config` must be valid.
pub fn run_panel(series: &[Series], cfg: &ForecastConfig) -> Vec<Forecast> {
    // Without a limit or a flag nothing stops the run, so the error case is empty.
    run_panel_with(series, cfg, &Control::default()).unwrap_or_default()
}

/// [`run_panel`] under a [`Control`]: stops with [`Stopped`] when cancelled or out of time,
/// checked before every model fit of every series and backtest window, and between the
/// panel-wide fits. Progress counts series finished (`total` = the panel's size).
pub fn run_panel_with(
    series: &[Series],
    cfg: &ForecastConfig,
    control: &Control,
) -> Result<Vec<Forecast>, Stopped> {
    let watch = Watch::start(control, series.len());
    let watch = &watch;
    watch.check()?;
    let h = cfg.horizon;
    let season = |s: &Series| Seasons::of(s, cfg).m;
    let same_freq = series.windows(2).all(|w| w[0].freq() == w[1].freq());
    // the global regression's calendar features are those of daily and weekly data
    let reg_freq = series.first().is_some_and(|s| regression::serves(s.freq()));
    let use_reg = same_freq
        && reg_freq
        && matches!(
            cfg.model,
            ModelChoice::Best | ModelChoice::Regression | ModelChoice::Ensemble | ModelChoice::Auto
        );
    let m0 = series.first().map_or(1, season);
    let all: Vec<&Series> = series.iter().collect();
    let reg_final: Vec<Option<ModelOutput>> = if use_reg {
        let cuts: Vec<usize> = series.iter().map(Series::len).collect();
        regression::fit_predict_with(&all, &cuts, h, m0, &cfg.levels, cfg.regression_loss)
    } else {
        vec![None; series.len()]
    };
    let use_pool = cfg.pooled
        && same_freq
        && matches!(
            cfg.model,
            ModelChoice::Best | ModelChoice::Pooled | ModelChoice::Ensemble | ModelChoice::Auto
        );
    let (pool_final, disp_final) = if use_pool {
        let cuts: Vec<Option<usize>> = series.iter().map(|s| Some(s.len())).collect();
        pooled_outputs(series, &cuts, cfg)
    } else {
        (vec![None; series.len()], 0.0)
    };
    watch.check()?;
    let min_cut = (2 * h).max(10);
    let windows = if matches!(cfg.model, ModelChoice::Best | ModelChoice::Auto) {
        cfg.backtest_windows
    } else {
        0
    };
    // regression backtests: one global fit per window over the series long enough for it
    let reg_bt: Vec<Vec<Option<ModelOutput>>> = (0..windows)
        .map(|w| {
            watch.check()?;
            let mut res = vec![None; series.len()];
            if !use_reg {
                return Ok(res);
            }
            let idx: Vec<usize> = (0..series.len())
                .filter(|&i| series[i].len() >= (w + 1) * h + min_cut)
                .collect();
            let sub: Vec<&Series> = idx.iter().map(|&i| &series[i]).collect();
            let cuts: Vec<usize> = idx.iter().map(|&i| series[i].len() - (w + 1) * h).collect();
            let outs =
                regression::fit_predict_with(&sub, &cuts, h, m0, &cfg.levels, cfg.regression_loss);
            for (i, o) in idx.into_iter().zip(outs) {
                res[i] = o;
            }
            Ok(res)
        })
        .collect::<Result<_, Stopped>>()?;
    let pool_bt: Vec<(Vec<Option<ModelOutput>>, f64)> = (0..windows)
        .map(|w| {
            watch.check()?;
            if !use_pool {
                return Ok((vec![None; series.len()], 0.0));
            }
            let cuts: Vec<Option<usize>> = series
                .iter()
                .map(|s| s.len().checked_sub((w + 1) * h).filter(|&c| c >= min_cut))
                .collect();
            Ok(pooled_outputs(series, &cuts, cfg))
        })
        .collect::<Result<_, Stopped>>()?;
    // The final forecast of a backtested series, with the candidates' scores replaced by the
    // panel's shared ones for an intermittent count series.
    let finish = |i: usize,
                  prep: Prep,
                  shared: &[(Candidate, f64)],
                  (weigh, panel): (Weighting, &[(Candidate, f64)])|
     -> Result<(Forecast, Vec<CalibPoint>), Stopped> {
        let s = &series[i];
        let sea = Seasons::of(s, cfg);
        let m = sea.m;
        let y = s.values();
        let Prep {
            cands,
            count,
            reuse,
            mut scores,
            bt,
        } = prep;
        if count && !shared.is_empty() {
            for sc in &mut scores {
                if let Some(t) = shared.iter().find(|t| t.0 == sc.0) {
                    sc.1 = t.1;
                }
            }
        }
        if !count && cfg.model == ModelChoice::Auto {
            scores = weigh.apply(&scores, panel);
        }
        let global = Global {
            reg: reg_final[i].as_ref(),
            pool: pool_final[i].as_ref(),
        };
        let base = reuse.as_ref().map(|b| (b, y));
        if cfg.model == ModelChoice::Auto && !scores.is_empty() {
            let outs = run_all(
                &cands,
                tail(y, cfg.max_history),
                sea,
                cfg,
                global,
                base,
                watch,
            )?;
            let disp = count.then(|| count_dispersion(cfg, disp_final));
            if let Some(o) = auto_combination(&outs, &scores, &cfg.levels, disp) {
                let points = if cfg.calibrate_levels {
                    calibration_points(&bt, &scores, &cfg.levels, count, cfg)
                } else {
                    Vec::new()
                };
                let f = Forecast {
                    mean: o.mean,
                    levels: cfg.levels.clone(),
                    quantiles: o.quantiles,
                    model: ModelKind::Ensemble,
                };
                return Ok((f, points));
            }
        }
        let pick = if matches!(cfg.model, ModelChoice::Best | ModelChoice::Auto) {
            best(&scores, &cands)
        } else if cfg.model == ModelChoice::Ensemble {
            Candidate::Ensemble
        } else {
            cands[0]
        };
        let need: Vec<Candidate> = if pick == Candidate::Ensemble {
            cands.clone()
        } else {
            vec![pick]
        };
        let outs = run_all(
            &need,
            tail(y, cfg.max_history),
            sea,
            cfg,
            global,
            base,
            watch,
        )?;
        let chosen = outs
            .iter()
            .find(|(c, _, _)| *c == pick)
            .or_else(|| outs.first())
            .map(|(_, o, k)| (o.clone(), *k));
        let (o, k) = chosen.unwrap_or_else(|| {
            (
                seasonal_naive::forecast(tail(y, cfg.max_history), h, m, &cfg.levels),
                ModelKind::SeasonalNaive,
            )
        });
        let f = Forecast {
            mean: o.mean,
            levels: cfg.levels.clone(),
            quantiles: o.quantiles,
            model: k,
        };
        Ok((f, Vec::new()))
    };
    // backtest of every series first; the intermittent count series wait for the panel's
    // shared scores, the others are finished at once (so that only those are held)
    let share = cfg.shared_weights && windows > 0;
    // the other series wait too when their weighting needs the panel's backtests
    let hold =
        windows > 0 && cfg.model == ModelChoice::Auto && cfg.weighting != Some(Weighting::Own);
    let steps: Vec<Step> = (0..series.len())
        .into_par_iter()
        .map(|i| -> Result<Step, Stopped> {
            watch.check()?;
            let s = &series[i];
            let sea = Seasons::of(s, cfg);
            let m = sea.m;
            let y = s.values();
            let has_reg = reg_final[i].is_some();
            let has_pool = pool_final[i].is_some();
            let cands = candidates(cfg.model, tail(y, cfg.max_history), m, has_reg, has_pool);
            let count = is_count_intermittent(tail(y, cfg.max_history));
            let reuse = (cfg.ets_reuse && cands.contains(&Candidate::Local(Local::AutoEts)))
                .then(|| ets_base(y, m, cfg, windows))
                .flatten();
            let (scores, bt) = if windows > 0 {
                let globals = (reg_bt.as_slice(), pool_bt.as_slice());
                backtest_scores(&cands, y, sea, cfg, i, globals, reuse.as_ref(), watch)?
            } else {
                (Vec::new(), Vec::new())
            };
            let prep = Prep {
                cands,
                count,
                reuse,
                scores,
                bt,
            };
            if (share && count) || (hold && !count) {
                Ok(Step::Pending(prep))
            } else {
                let done = finish(i, prep, &[], (Weighting::Own, &[]))?;
                watch.advance(1);
                Ok(Step::Done(done))
            }
        })
        .collect::<Result<_, Stopped>>()?;
    let shared = shared_scores(&steps);
    let (weigh, panel) = if hold {
        panel_weighting(&steps, cfg)
    } else {
        (Weighting::Own, Vec::new())
    };
    let results: Vec<(Forecast, Vec<CalibPoint>)> = steps
        .into_par_iter()
        .enumerate()
        .map(|(i, step)| match step {
            Step::Done(r) => Ok(r),
            Step::Pending(prep) => {
                watch.check()?;
                let done = finish(i, prep, &shared, (weigh, &panel))?;
                watch.advance(1);
                Ok(done)
            }
        })
        .collect::<Result<_, Stopped>>()?;
    // per-level recalibration of the combined forecasts, decided on the backtest windows
    let points: Vec<CalibPoint> = results.iter().flat_map(|r| r.1.iter().cloned()).collect();
    let factors = calibrate::factors_with(&points, &cfg.levels, cfg.calibrate_upper);
    Ok(results
        .into_iter()
        .map(|(mut f, pts)| {
            if !pts.is_empty() {
                calibrate::apply(&f.mean, &mut f.quantiles, &factors);
            }
            f
        })
        .collect())
}

/// One panel-wide model's output per series (`None` where it cannot serve the series).
type PanelOutputs = Vec<Option<ModelOutput>>;

/// A series' backtest, before the final forecast.
struct Prep {
    cands: Vec<Candidate>,
    count: bool,
    reuse: Option<EtsBase>,
    scores: Vec<(Candidate, f64)>,
    bt: Vec<WindowRun>,
}

/// A series after its backtest: finished, or waiting for the panel's shared scores.
enum Step {
    Done((Forecast, Vec<CalibPoint>)),
    Pending(Prep),
}

/// The backtested series still waiting for the panel, intermittent count ones (`count`) or
/// the others.
fn waiting(steps: &[Step], count: bool) -> impl Iterator<Item = (usize, &Prep)> {
    steps.iter().enumerate().filter_map(move |(i, s)| match s {
        Step::Pending(p) if p.count == count => Some((i, p)),
        _ => None,
    })
}

/// The weighting of the `Auto` combination of the waiting series that are not intermittent
/// count data ([`ForecastConfig::weighting`], else chosen by [`weighting::choose`] on their
/// backtest windows) and the panel's relative scores ([`weighting::relative`]).
fn panel_weighting(steps: &[Step], cfg: &ForecastConfig) -> (Weighting, Vec<(Candidate, f64)>) {
    let preps: Vec<&Prep> = waiting(steps, false).map(|t| t.1).collect();
    let own: Vec<Vec<(Candidate, f64)>> = preps.iter().map(|p| p.scores.clone()).collect();
    let panel = weighting::relative(&own);
    if let Some(w) = cfg.weighting {
        return (w, panel);
    }
    let windows: Vec<Vec<weighting::WindowScores<Candidate>>> = preps
        .iter()
        .map(|p| p.bt.iter().map(|r| (r.window, r.scores.clone())).collect())
        .collect();
    let eval = |i: usize, w: usize, scores: &[(Candidate, f64)]| {
        let run = preps.get(i)?.bt.iter().find(|r| r.window == w)?;
        let o = auto_combination(&run.outs, scores, &cfg.levels, None)?;
        Some(score_scaled(run.scales, &run.test, &o, &cfg.levels))
    };
    (weighting::choose(&windows, eval).0, panel)
}

/// Mean backtest score of each candidate over the waiting intermittent count series.
fn shared_scores(steps: &[Step]) -> Vec<(Candidate, f64)> {
    let mut totals: Vec<(Candidate, f64, usize)> = Vec::new();
    let waiting = waiting(steps, true).map(|t| t.1);
    for p in waiting {
        for &(c, sc) in &p.scores {
            match totals.iter_mut().find(|t| t.0 == c) {
                Some(t) => {
                    t.1 += sc;
                    t.2 += 1;
                }
                None => totals.push((c, sc, 1)),
            }
        }
    }
    totals
        .into_iter()
        .map(|t| (t.0, t.1 / t.2.max(1) as f64))
        .collect()
}

/// The candidates' mean scores and the scored windows of one series' backtest.
type Backtest = (Vec<(Candidate, f64)>, Vec<WindowRun>);

/// One scored backtest window of a series: the values that followed the origin, the scale of
/// the training part and every candidate's output.
struct WindowRun {
    window: usize,
    /// Dispersion of the count quantiles at this window's cut (see [`count_dispersion`]).
    dispersion: f64,
    test: Vec<f64>,
    /// The absolute and squared scales of the training part ([`score_scales`]).
    scales: (f64, f64),
    /// Each candidate's score on this window.
    scores: Vec<(Candidate, f64)>,
    outs: Vec<(Candidate, ModelOutput, ModelKind)>,
}

/// The `Auto` combination of every backtest window (weights from the scores of all windows),
/// as calibration points for [`calibrate::factors`].
fn calibration_points(
    bt: &[WindowRun],
    scores: &[(Candidate, f64)],
    levels: &[f64],
    count: bool,
    cfg: &ForecastConfig,
) -> Vec<CalibPoint> {
    let mut out = Vec::new();
    for run in bt {
        let disp = count.then(|| count_dispersion(cfg, run.dispersion));
        let Some(o) = auto_combination(&run.outs, scores, levels, disp) else {
            continue;
        };
        let k = run.test.len().min(o.mean.len());
        let weight = 1.0 / (run.scales.0 * k.max(1) as f64);
        for j in 0..k {
            out.push(CalibPoint {
                window: run.window,
                weight,
                actual: run.test[j],
                mean: o.mean[j],
                quantiles: o.quantiles[j].clone(),
            });
        }
    }
    out
}

/// Rolling-origin backtest of the candidates of one series: `(candidate, mean score)` for the
/// candidates scored in every window.
// The series' data, the panel-wide outputs and the run's watch: splitting them into structs
// would only rename the arguments.
#[allow(clippy::too_many_arguments)]
fn backtest_scores(
    cands: &[Candidate],
    y: &[f64],
    sea: Seasons,
    cfg: &ForecastConfig,
    i: usize,
    (reg_bt, pool_bt): (&[PanelOutputs], &[(PanelOutputs, f64)]),
    reuse: Option<&EtsBase>,
    watch: &Watch<'_>,
) -> Result<Backtest, Stopped> {
    let m = sea.m;
    let h = cfg.horizon;
    let mut totals: Vec<(Candidate, f64, usize)> = Vec::new();
    let mut runs = Vec::new();
    for (w, reg_w) in reg_bt.iter().enumerate() {
        let Some(cut) = y.len().checked_sub((w + 1) * h) else {
            break;
        };
        if cut < (2 * h).max(10) {
            break;
        }
        let train = tail(&y[..cut], cfg.max_history);
        let test = &y[cut..cut + h];
        let base = reuse.map(|b| (b, &y[..cut]));
        let global = Global {
            reg: reg_w[i].as_ref(),
            pool: pool_bt.get(w).and_then(|p| p.0[i].as_ref()),
        };
        let outs = run_all(cands, train, sea, cfg, global, base, watch)?;
        let scales = score_scales(train, m);
        let mut window_scores = Vec::with_capacity(outs.len());
        for (c, o, _) in &outs {
            let c = *c;
            let sc = score_scaled(scales, test, o, &cfg.levels);
            window_scores.push((c, sc));
            match totals.iter_mut().find(|t| t.0 == c) {
                Some(t) => {
                    t.1 += sc;
                    t.2 += 1;
                }
                None => totals.push((c, sc, 1)),
            }
        }
        if cfg.calibrate_levels || cfg.weighting.is_none() {
            runs.push(WindowRun {
                window: w,
                dispersion: pool_bt.get(w).map_or(0.0, |p| p.1),
                test: test.to_vec(),
                scales,
                scores: window_scores,
                outs,
            });
        }
    }
    let complete = totals.iter().map(|t| t.2).max().unwrap_or(0);
    let scores = totals
        .into_iter()
        .filter(|t| t.2 == complete && t.1.is_finite())
        .map(|t| (t.0, t.1 / t.2.max(1) as f64))
        .collect();
    Ok((scores, runs))
}

/// The `Auto` combination: the candidates' means and quantiles averaged with weights
/// 1 / score²; for intermittent count data, Poisson quantiles at the combined mean instead
/// ([`count`]).
fn auto_combination(
    outs: &[(Candidate, ModelOutput, ModelKind)],
    scores: &[(Candidate, f64)],
    levels: &[f64],
    count_dispersion: Option<f64>,
) -> Option<ModelOutput> {
    let parts: Vec<(&ModelOutput, f64)> = outs
        .iter()
        .filter_map(|(c, o, _)| {
            let sc = scores.iter().find(|t| t.0 == *c)?.1;
            Some((o, 1.0 / (sc * sc).max(1e-12)))
        })
        .collect();
    let mut combined = weighted(&parts)?;
    if let Some(c2) = count_dispersion {
        combined.quantiles = count::negbin_table(&combined.mean, c2, levels);
    }
    Some(combined)
}

/// The best-scoring candidate, or a default when no window could be scored.
fn best(scores: &[(Candidate, f64)], cands: &[Candidate]) -> Candidate {
    scores
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or_else(
            || {
                if cands.len() >= 3 {
                    Candidate::Ensemble
                } else {
                    cands
                        .last()
                        .copied()
                        .unwrap_or(Candidate::Local(Local::SeasonalNaive))
                }
            },
            |t| t.0,
        )
}

/// Weighted mean of outputs (weights sum to 1); monotone in the level because each output is.
fn weighted(outputs: &[(&ModelOutput, f64)]) -> Option<ModelOutput> {
    let (first, _) = outputs.first()?;
    let h = first.mean.len();
    let l = first.quantiles.first().map_or(0, Vec::len);
    let total: f64 = outputs.iter().map(|o| o.1).sum();
    let mut mean = vec![0.0; h];
    let mut quantiles = vec![vec![0.0; l]; h];
    for (o, w) in outputs {
        let w = w / total;
        for (acc, v) in mean.iter_mut().zip(&o.mean) {
            *acc += w * v;
        }
        for (row, orow) in quantiles.iter_mut().zip(&o.quantiles) {
            for (acc, v) in row.iter_mut().zip(orow) {
                *acc += w * v;
            }
        }
    }
    Some(ModelOutput { mean, quantiles })
}

/// The dispersion of the `Auto` combination's count quantiles: the pooled level's
/// ([`pooled::level_dispersion`]) when [`ForecastConfig::count_dispersion`] is set, else 0
/// (Poisson).
fn count_dispersion(cfg: &ForecastConfig, pooled: f64) -> f64 {
    if cfg.count_dispersion {
        pooled
    } else {
        0.0
    }
}

/// The pooled model's output for every series whose `cuts` entry is set and whose history
/// before the cut (its last `max_history` values) is intermittent count data; the series are
/// placed on one period axis by their dates.
fn pooled_outputs(
    series: &[Series],
    cuts: &[Option<usize>],
    cfg: &ForecastConfig,
) -> (Vec<Option<ModelOutput>>, f64) {
    let mut out = vec![None; series.len()];
    let Some(first) = series
        .iter()
        .map(|s| s.freq().period_number(s.stamp_at(0)))
        .min()
    else {
        return (out, 0.0);
    };
    let mut idx = Vec::new();
    let mut members = Vec::new();
    for (i, (s, cut)) in series.iter().zip(cuts).enumerate() {
        let Some(cut) = *cut else { continue };
        let hist = tail(&s.values()[..cut], cfg.max_history);
        if hist.is_empty() || !is_count_intermittent(hist) {
            continue;
        }
        let at = s.freq().period_number(s.stamp_at(cut - hist.len()));
        let Ok(offset) = usize::try_from(at - first) else {
            continue;
        };
        idx.push(i);
        members.push(Member {
            offset,
            values: hist,
        });
    }
    let (outs, c2) = pooled::fit_predict(&members, cfg.horizon, &cfg.levels);
    for (i, o) in idx.into_iter().zip(outs) {
        out[i] = Some(o);
    }
    (out, c2)
}
