//! File edge of the ordering module: daily demand forecasts per series, read from CSV.
//!
//! The table has a header with `series_id`, `date` (`YYYY-MM-DD`) and `mean`, optionally `sd`
//! and quantile columns `q<level>` (e.g. `q0.1,q0.5,q0.9`, the output of `milkrun forecast`),
//! in any order; one row per series and day. A day's demand is the interpolated quantiles when
//! there are at least two `q` columns, else normal (`mean`, `sd`) when `sd` is given, else
//! Poisson(`mean`).
//!
//! Each series' days must be consecutive: the first date is day 0 of the plan, and every other
//! day follows without gap or repeat. A repeated (series, date) row, a date that does not parse
//! and a missing day are refused with the line and the field, never silently merged or shifted.
use super::distribution::Demand;
use super::error::OrderingError;
use milkrun_calendar::Date;
use std::collections::HashMap;
use std::io::Read;

/// The daily demand forecast of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesDays {
    /// The series id as written.
    pub id: String,
    /// The date of `daily[0]`.
    pub first_date: Date,
    /// One demand distribution per consecutive day.
    pub daily: Vec<Demand>,
}

/// Reads daily forecasts (see the module doc). Series come in order of first appearance, days
/// sorted by date. Errors name the 1-based file line (the header is line 1) and the column.
pub fn read_daily_forecasts<R: Read>(reader: R) -> Result<Vec<SeriesDays>, OrderingError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = rdr.headers().map_err(csv_error)?.clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &'static str| {
        col(name).ok_or_else(|| OrderingError::Input {
            line: 1,
            field: name.to_string(),
            reason: "missing column".into(),
        })
    };
    let id_col = need("series_id")?;
    let date_col = need("date")?;
    let mut qcols: Vec<(f64, usize, String)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let level = h.strip_prefix('q')?.parse::<f64>().ok()?;
            Some((level, i, h.to_string()))
        })
        .collect();
    qcols.sort_by(|a, b| a.0.total_cmp(&b.0));
    let levels: Vec<f64> = qcols.iter().map(|q| q.0).collect();
    let (mean_col, sd_col) = if qcols.len() >= 2 {
        (None, None)
    } else {
        (Some(need("mean")?), col("sd"))
    };

    let mut order: Vec<String> = Vec::new();
    let mut rows: HashMap<String, Vec<(Date, u64, Demand)>> = HashMap::new();
    let mut seen: HashMap<(String, Date), u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_error)?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |c: usize| rec.get(c).unwrap_or("");
        let bad = |field: &str, reason: String| OrderingError::Input {
            line,
            field: field.to_string(),
            reason,
        };
        let num = |c: usize, field: &str| -> Result<f64, OrderingError> {
            let text = cell(c);
            let v: f64 = text.parse().map_err(|source| OrderingError::InputNumber {
                line,
                field: field.to_string(),
                value: text.to_string(),
                source,
            })?;
            if !v.is_finite() {
                return Err(bad(field, format!("`{text}` is not finite")));
            }
            Ok(v)
        };
        let id = cell(id_col).to_string();
        if id.is_empty() {
            return Err(bad("series_id", "empty".into()));
        }
        let date = Date::parse_iso(cell(date_col)).map_err(|source| OrderingError::InputDate {
            line,
            field: "date".into(),
            source,
        })?;
        if let Some(first) = seen.insert((id.clone(), date), line) {
            return Err(bad(
                "date",
                format!("series `{id}` has {date} already on line {first}"),
            ));
        }
        let field_error = |field: &str, e: OrderingError| OrderingError::InputDemand {
            line,
            field: field.to_string(),
            source: Box::new(e),
        };
        let demand = match (mean_col, sd_col) {
            (Some(m), Some(s)) => Demand::normal(num(m, "mean")?, num(s, "sd")?)
                .map_err(|e| field_error("mean/sd", e))?,
            (Some(m), None) => {
                Demand::poisson(num(m, "mean")?).map_err(|e| field_error("mean", e))?
            }
            (None, _) => {
                let values = qcols
                    .iter()
                    .map(|(_, c, name)| num(*c, name))
                    .collect::<Result<Vec<f64>, _>>()?;
                Demand::quantiles(&levels, &values).map_err(|e| field_error("quantiles", e))?
            }
        };
        if !rows.contains_key(&id) {
            order.push(id.clone());
        }
        rows.entry(id).or_default().push((date, line, demand));
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let Some(mut days) = rows.remove(&id) else {
            continue;
        };
        days.sort_by_key(|d| d.0);
        for w in days.windows(2) {
            if w[1].0.days_since(w[0].0) != 1 {
                return Err(OrderingError::Input {
                    line: w[1].1,
                    field: "date".into(),
                    reason: format!(
                        "series `{id}` jumps from {} to {}: days must be consecutive",
                        w[0].0, w[1].0
                    ),
                });
            }
        }
        let first_date = days.first().map_or(Date::EPOCH, |d| d.0);
        out.push(SeriesDays {
            id,
            first_date,
            daily: days.into_iter().map(|d| d.2).collect(),
        });
    }
    Ok(out)
}

fn csv_error(e: csv::Error) -> OrderingError {
    OrderingError::Csv {
        line: e.position().map_or(0, |p| p.line()),
        source: e,
    }
}
