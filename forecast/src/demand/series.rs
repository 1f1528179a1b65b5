//! Validated time series: one id, a calendar grid (frequency, first stamp, anchor day; see
//! [`super::frequency`]), non-negative values and optional exogenous columns. Built once at the boundary (see [`build_series`]); the models
//! trust it.
use super::date::Date;
use super::error::ForecastError;
pub use super::frequency::Frequency;
use super::frequency::{anchor_day, infer, Grid, Stamp};
use std::collections::HashMap;

/// The most values a series may hold, history and filled gaps together (about 274 years of
/// daily values). Longer input is refused by [`Series::new`] and [`build_series`] (before any
/// gap is filled) with [`ForecastError::TooLong`].
pub const MAX_SERIES_LEN: usize = 100_000;

/// An exogenous numeric column (promotion, holiday flag, temperature, price).
///
/// `values` covers the history and, when the column is to be used by a forecast, continues with
/// the future values: `values[i]` belongs to the date of the series' `i`-th step, so a column
/// usable for horizon `h` has at least `len + h` values.
#[derive(Debug, Clone, PartialEq)]
pub struct Exog {
    /// Column name as in the input header.
    pub name: String,
    /// Values on the series' date grid, history then future.
    pub values: Vec<f64>,
}

/// A validated series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    id: String,
    grid: Grid,
    values: Vec<f64>,
    exog: Vec<Exog>,
}

impl Series {
    /// A series without exogenous columns, starting at midnight of `start` (hourly) and
    /// anchored on `start`'s day of the month (month steps). Errors when `values` is empty or
    /// holds a NaN, infinite or negative value.
    pub fn new(
        id: impl Into<String>,
        start: Date,
        freq: Frequency,
        values: Vec<f64>,
    ) -> Result<Series, ForecastError> {
        Series::on_grid(id, Grid::new(freq, Stamp::day(start)), values)
    }

    /// [`Series::new`] on a given calendar grid (an hourly start, an anchor day other than the
    /// start's). Errors also when the last value's stamp lies past 9999-12-31.
    pub fn on_grid(
        id: impl Into<String>,
        grid: Grid,
        values: Vec<f64>,
    ) -> Result<Series, ForecastError> {
        let id = id.into();
        if values.is_empty() {
            return Err(ForecastError::EmptySeries { series: id });
        }
        if values.len() > MAX_SERIES_LEN {
            return Err(ForecastError::TooLong {
                series: id,
                len: values.len() as u64,
                max: MAX_SERIES_LEN,
            });
        }
        for (i, v) in values.iter().enumerate() {
            if !v.is_finite() || *v < 0.0 {
                return Err(ForecastError::BadValue {
                    line: 0,
                    column: format!("{id}[{i}]"),
                    value: v.to_string(),
                    reason: if v.is_nan() {
                        "NaN"
                    } else if *v < 0.0 {
                        "negative"
                    } else {
                        "infinite"
                    },
                });
            }
        }
        if grid.stamp_at(values.len() - 1).is_none() {
            return Err(ForecastError::Frequency {
                series: id,
                reason: format!(
                    "{} {} values from {} run past 9999-12-31",
                    values.len(),
                    grid.freq,
                    grid.start
                ),
            });
        }
        Ok(Series {
            id,
            grid,
            values,
            exog: Vec::new(),
        })
    }

    /// Adds an exogenous column; it must cover at least the history and hold finite values.
    pub fn with_exog(mut self, exog: Exog) -> Result<Series, ForecastError> {
        if exog.values.len() < self.values.len() {
            return Err(ForecastError::Exog {
                series: self.id.clone(),
                column: exog.name,
                reason: format!(
                    "{} values for a history of {}",
                    exog.values.len(),
                    self.values.len()
                ),
            });
        }
        if let Some(i) = exog.values.iter().position(|v| !v.is_finite()) {
            return Err(ForecastError::Exog {
                series: self.id.clone(),
                column: exog.name,
                reason: format!("value {i} ({}) is not finite", self.date_at(i)),
            });
        }
        self.exog.push(exog);
        Ok(self)
    }

    /// The series id as given.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Date of the first value.
    pub fn start(&self) -> Date {
        self.grid.start.date
    }
    /// The frequency.
    pub fn freq(&self) -> Frequency {
        self.grid.freq
    }
    /// The calendar grid: frequency, first stamp and anchor day.
    pub fn grid(&self) -> Grid {
        self.grid
    }
    /// The history, oldest first.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
    /// Number of history values.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// Always false: a series holds at least one value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// The exogenous columns.
    pub fn exog(&self) -> &[Exog] {
        &self.exog
    }
    /// Date of step `i` (0 = start; `i >= len` are future steps).
    pub fn date_at(&self, i: usize) -> Date {
        self.stamp_at(i).date
    }

    /// Stamp of step `i` (0 = start; `i >= len` are future steps), with the hour for hourly
    /// data. Saturates at 9999-12-31 (far past any bounded horizon) instead of wrapping.
    pub fn stamp_at(&self, i: usize) -> Stamp {
        self.grid.stamp_at(i).unwrap_or(Stamp {
            date: Date::MAX,
            hour: self.grid.start.hour.map(|_| 23),
        })
    }

    /// Appends future values to the exogenous column `name`, which must so far hold exactly the
    /// history (one value per history step).
    pub fn extend_exog(&mut self, name: &str, future: &[f64]) -> Result<(), ForecastError> {
        let n = self.values.len();
        let id = self.id.clone();
        let col = self
            .exog
            .iter_mut()
            .find(|e| e.name == name)
            .ok_or_else(|| ForecastError::Exog {
                series: id.clone(),
                column: name.to_string(),
                reason: "no such exogenous column in the history".into(),
            })?;
        if col.values.len() != n {
            return Err(ForecastError::Exog {
                series: id,
                column: name.to_string(),
                reason: "future values were already added".into(),
            });
        }
        if let Some(v) = future.iter().find(|v| !v.is_finite()) {
            return Err(ForecastError::Exog {
                series: id,
                column: name.to_string(),
                reason: format!("future value {v} is not finite"),
            });
        }
        col.values.extend_from_slice(future);
        Ok(())
    }

    /// The first `n` values as a new series (exogenous columns keep all their values, so the
    /// cut-off part serves as the "future"). Used by backtests.
    pub fn truncated(&self, n: usize) -> Series {
        Series {
            id: self.id.clone(),
            grid: self.grid,
            values: self.values[..n.min(self.values.len())].to_vec(),
            exog: self.exog.clone(),
        }
    }
}

/// What to do when a series skips dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GapPolicy {
    /// Refuse the input with [`ForecastError::Gap`] naming the series and the dates (default).
    #[default]
    Error,
    /// Fill missing periods with 0 (no sale recorded = no demand); exogenous columns are filled
    /// with the previous period's value.
    Zero,
}

/// One validated input row (a line of the long-format table).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line in the input, used in error messages.
    pub line: u64,
    /// Series id.
    pub series: String,
    /// Date.
    pub date: Date,
    /// Hour of the day, for timestamped input (hourly data); `None` for a date alone.
    pub hour: Option<u8>,
    /// Observed value (finite, non-negative).
    pub value: f64,
    /// Exogenous values, in the order of the column names given to [`build_series`].
    pub exog: Vec<f64>,
}

/// Groups rows into series (in order of first appearance), infers the frequency, and checks
/// duplicates and gaps. `exog_names` names the exogenous values of each row.
pub fn build_series(
    rows: Vec<Row>,
    exog_names: &[String],
    gaps: GapPolicy,
) -> Result<Vec<Series>, ForecastError> {
    build_series_as(rows, exog_names, gaps, None)
}

/// [`build_series`] with the frequency given (`Some`) or inferred from each series' dates
/// (`None`, the rule of [`super::frequency`]). Dates off the frequency's grid, duplicates and
/// gaps are errors naming the series and the dates.
pub fn build_series_as(
    rows: Vec<Row>,
    exog_names: &[String],
    gaps: GapPolicy,
    freq: Option<Frequency>,
) -> Result<Vec<Series>, ForecastError> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<Row>> = HashMap::new();
    for r in rows {
        if !groups.contains_key(&r.series) {
            order.push(r.series.clone());
        }
        groups.entry(r.series.clone()).or_default().push(r);
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let Some(mut g) = groups.remove(&id) else {
            continue;
        };
        let stamp = |r: &Row| Stamp {
            date: r.date,
            hour: r.hour,
        };
        g.sort_by_key(|r| (r.date, r.hour.unwrap_or(0)));
        for w in g.windows(2) {
            if stamp(&w[0]).hours() == stamp(&w[1]).hours() {
                return Err(ForecastError::DuplicateDate {
                    series: id,
                    date: stamp(&w[0]),
                });
            }
        }
        let stamps: Vec<Stamp> = g.iter().map(stamp).collect();
        let (freq, anchor) = match freq {
            Some(f) => (f, anchor_day(&stamps)),
            None => infer(&stamps).map_err(|e| ForecastError::Frequency {
                series: id.clone(),
                reason: e.0,
            })?,
        };
        let grid = Grid::anchored(freq, stamps[0], anchor);
        let mut steps = Vec::with_capacity(stamps.len());
        for (k, &s) in stamps.iter().enumerate() {
            match grid.steps_between(stamps[0], s) {
                Some(d) => steps.push(d),
                None => {
                    return Err(ForecastError::OffGrid {
                        series: id,
                        after: stamps[k.saturating_sub(1)],
                        next: s,
                        freq: grid.freq,
                    })
                }
            }
        }
        // Bound the filled length before allocating or filling anything.
        let span = steps.last().copied().unwrap_or(0).saturating_add(1);
        let span = usize::try_from(span)
            .ok()
            .filter(|&s| s <= MAX_SERIES_LEN)
            .ok_or_else(|| ForecastError::TooLong {
                series: id.clone(),
                len: u64::try_from(span).unwrap_or(0),
                max: MAX_SERIES_LEN,
            })?;
        let mut values = Vec::with_capacity(span);
        let mut exog: Vec<Vec<f64>> = vec![Vec::with_capacity(span); exog_names.len()];
        for (k, r) in g.iter().enumerate() {
            if k > 0 {
                let prev = &g[k - 1];
                let missing = steps[k] - steps[k - 1] - 1;
                if missing > 0 {
                    if gaps == GapPolicy::Error {
                        return Err(ForecastError::Gap {
                            series: id,
                            after: stamps[k - 1],
                            next: stamps[k],
                        });
                    }
                    let k = usize::try_from(missing).unwrap_or(0);
                    values.extend(std::iter::repeat_n(0.0, k));
                    for (c, col) in exog.iter_mut().enumerate() {
                        let v = prev.exog.get(c).copied().unwrap_or(0.0);
                        col.extend(std::iter::repeat_n(v, k));
                    }
                }
            }
            values.push(r.value);
            for (c, col) in exog.iter_mut().enumerate() {
                col.push(r.exog.get(c).copied().unwrap_or(0.0));
            }
        }
        let mut s = Series::on_grid(id, grid, values)?;
        for (name, col) in exog_names.iter().zip(exog) {
            s = s.with_exog(Exog {
                name: name.clone(),
                values: col,
            })?;
        }
        out.push(s);
    }
    Ok(out)
}
