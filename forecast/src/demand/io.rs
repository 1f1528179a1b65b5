//! File edge of the demand module: reading long-format history (CSV or Parquet) and future
//! exogenous values (CSV), writing forecasts (CSV).
//!
//! History: a header with `series_id`, `date` (`YYYY-MM-DD`, or a timestamp
//! `YYYY-MM-DDTHH:MM` / `YYYY-MM-DD HH:MM[:SS]` on whole hours for hourly data, see
//! [`super::frequency`]) and `value`; every other column is an exogenous numeric column. The
//! frequency is inferred per series unless given ([`read_series_as`]). Future: `series_id`, `date` and the same exogenous columns,
//! one row per future step, starting the period after the series' last history date.
//!
//! Parquet ([`read_series_parquet`]): the same columns (`unique_id`, `ds`, `y` also accepted).
//! `series_id` may be a string or an integer column; `date` a DATE, a timestamp (milli- or
//! microseconds; the day and the hour are kept, minutes dropped) or a `YYYY-MM-DD` string; `value` and the exogenous columns
//! any numeric type. Nulls are refused like NaN. Rows then go through the same validation as
//! CSV rows ([`build_series`]), with the row number in place of the line.
use super::date::Date;
use super::error::ForecastError;
use super::frequency::{Frequency, Stamp, StampError};
use super::series::{build_series_as, GapPolicy, Row, Series};
use super::Forecast;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

fn csv_err(e: csv::Error) -> ForecastError {
    ForecastError::Csv {
        line: e.position().map_or(0, |p| p.line()),
        source: e,
    }
}

fn find(header: &csv::StringRecord, names: &[&str]) -> Result<usize, ForecastError> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
        .ok_or_else(|| ForecastError::MissingColumn {
            column: names[0].to_string(),
        })
}

/// Parses a number cell: finite and (unless `allow_negative`) non-negative.
fn number(text: &str, line: u64, column: &str, allow_negative: bool) -> Result<f64, ForecastError> {
    let bad = |reason| ForecastError::BadValue {
        line,
        column: column.to_string(),
        value: text.to_string(),
        reason,
    };
    let v: f64 = text.trim().parse().map_err(|_| bad("not a number"))?;
    if v.is_nan() {
        return Err(bad("NaN"));
    }
    if v.is_infinite() {
        return Err(bad("infinite"));
    }
    if v < 0.0 && !allow_negative {
        return Err(bad("negative"));
    }
    Ok(v)
}

fn date(text: &str, line: u64) -> Result<Stamp, ForecastError> {
    Stamp::parse(text).map_err(|e| match e {
        StampError::Date(e) => ForecastError::BadDate {
            line,
            value: text.to_string(),
            source: Some(e),
        },
        e => ForecastError::BadDate {
            line,
            value: format!("{text} ({e})"),
            source: None,
        },
    })
}

/// Reads long-format history (see the module doc) into validated series, inferring each
/// series' frequency.
pub fn read_series<R: Read>(reader: R, gaps: GapPolicy) -> Result<Vec<Series>, ForecastError> {
    read_series_as(reader, gaps, None)
}

/// [`read_series`] with the frequency given (`Some`) or inferred per series (`None`).
pub fn read_series_as<R: Read>(
    reader: R,
    gaps: GapPolicy,
    freq: Option<Frequency>,
) -> Result<Vec<Series>, ForecastError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let header = rdr.headers().map_err(csv_err)?.clone();
    let id_col = find(&header, &["series_id", "unique_id"])?;
    let date_col = find(&header, &["date", "ds"])?;
    let value_col = find(&header, &["value", "y"])?;
    let exog_cols: Vec<usize> = (0..header.len())
        .filter(|c| ![id_col, date_col, value_col].contains(c))
        .collect();
    let exog_names: Vec<String> = exog_cols
        .iter()
        .map(|&c| header[c].trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        let exog = exog_cols
            .iter()
            .zip(&exog_names)
            .map(|(&c, name)| number(&rec[c], line, name, true))
            .collect::<Result<Vec<f64>, _>>()?;
        let stamp = date(&rec[date_col], line)?;
        rows.push(Row {
            line,
            series: rec[id_col].trim().to_string(),
            date: stamp.date,
            hour: stamp.hour,
            value: number(&rec[value_col], line, &header[value_col], false)?,
            exog,
        });
    }
    build_series_as(rows, &exog_names, gaps, freq)
}

/// Reads long-format history from `path`, as Parquet when the name ends in `.parquet` or
/// `.pq`, as CSV otherwise, inferring each series' frequency.
pub fn read_series_path(path: &Path, gaps: GapPolicy) -> Result<Vec<Series>, ForecastError> {
    read_series_path_as(path, gaps, None)
}

/// [`read_series_path`] with the frequency given (`Some`) or inferred per series (`None`).
pub fn read_series_path_as(
    path: &Path,
    gaps: GapPolicy,
    freq: Option<Frequency>,
) -> Result<Vec<Series>, ForecastError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if matches!(ext.as_deref(), Some("parquet" | "pq")) {
        return read_series_parquet_as(path, gaps, freq);
    }
    let file = std::fs::File::open(path).map_err(|e| ForecastError::Io {
        file: path.display().to_string(),
        source: e,
    })?;
    read_series_as(std::io::BufReader::new(file), gaps, freq)
}

/// Reads long-format history from a Parquet file (see the module doc for the column types).
pub fn read_series_parquet(path: &Path, gaps: GapPolicy) -> Result<Vec<Series>, ForecastError> {
    read_series_parquet_as(path, gaps, None)
}

/// [`read_series_parquet`] with the frequency given (`Some`) or inferred per series (`None`).
pub fn read_series_parquet_as(
    path: &Path,
    gaps: GapPolicy,
    freq: Option<Frequency>,
) -> Result<Vec<Series>, ForecastError> {
    let fail = |message: String| ForecastError::Parquet {
        file: path.display().to_string(),
        message,
    };
    let read_err = |row: Option<u64>, source| ForecastError::ParquetRead {
        file: path.display().to_string(),
        row,
        source,
    };
    let file = std::fs::File::open(path).map_err(|e| ForecastError::Io {
        file: path.display().to_string(),
        source: e,
    })?;
    let reader = SerializedFileReader::new(file).map_err(|e| read_err(None, e))?;
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let find = |alts: &[&str]| {
        names
            .iter()
            .position(|n| alts.iter().any(|a| n.trim().eq_ignore_ascii_case(a)))
            .ok_or_else(|| fail(format!("missing column `{}`", alts[0])))
    };
    let id_col = find(&["series_id", "unique_id"])?;
    let date_col = find(&["date", "ds"])?;
    let value_col = find(&["value", "y"])?;
    let exog_cols: Vec<usize> = (0..names.len())
        .filter(|c| ![id_col, date_col, value_col].contains(c))
        .collect();
    let exog_names: Vec<String> = exog_cols.iter().map(|&c| names[c].clone()).collect();
    let rows_iter = reader.get_row_iter(None).map_err(|e| read_err(None, e))?;
    let mut rows = Vec::new();
    for (k, row) in rows_iter.enumerate() {
        let row_no = k as u64 + 1;
        let row = row.map_err(|e| read_err(Some(row_no), e))?;
        let mut fields: Vec<Option<&Field>> = vec![None; names.len()];
        for (c, (_, f)) in row.get_column_iter().enumerate().take(names.len()) {
            fields[c] = Some(f);
        }
        let cell = |c: usize| {
            fields[c].ok_or_else(|| fail(format!("row {row_no}: no column `{}`", names[c])))
        };
        let bad = |c: usize, f: &Field, why: &str| {
            fail(format!(
                "row {row_no}, column `{}`: bad value `{f}` ({why})",
                names[c]
            ))
        };
        let series = match cell(id_col)? {
            Field::Str(s) => s.trim().to_string(),
            Field::Int(v) => v.to_string(),
            Field::Long(v) => v.to_string(),
            f => return Err(bad(id_col, f, "expected a string or integer id")),
        };
        let df = cell(date_col)?;
        // Day counts outside the calendar's range (years 1..=9999) are refused, not wrapped.
        let from_days = |days: i64| {
            i32::try_from(days)
                .ok()
                .map(Date)
                .filter(|d| d.is_valid())
                .ok_or_else(|| bad(date_col, df, "outside years 1..=9999"))
        };
        // (date, hour) of a timestamp in hours since the epoch
        let from_hours = |hours: i64| -> Result<Stamp, ForecastError> {
            Ok(Stamp {
                date: from_days(hours.div_euclid(24))?,
                hour: u8::try_from(hours.rem_euclid(24)).ok(),
            })
        };
        let stamp = match df {
            Field::Date(d) => Stamp::day(from_days(i64::from(*d))?),
            Field::TimestampMillis(ms) => from_hours(ms.div_euclid(3_600_000))?,
            Field::TimestampMicros(us) => from_hours(us.div_euclid(3_600_000_000))?,
            Field::Str(s) => Stamp::parse(s).map_err(|e| bad(date_col, df, &e.to_string()))?,
            f => return Err(bad(date_col, f, "expected a date")),
        };
        let num = |c: usize, allow_negative: bool| -> Result<f64, ForecastError> {
            let f = cell(c)?;
            let v = parquet_number(f).ok_or_else(|| bad(c, f, "not a number"))?;
            if v.is_nan() {
                return Err(bad(c, f, "NaN"));
            }
            if v.is_infinite() {
                return Err(bad(c, f, "infinite"));
            }
            if v < 0.0 && !allow_negative {
                return Err(bad(c, f, "negative"));
            }
            Ok(v)
        };
        let value = num(value_col, false)?;
        let exog = exog_cols
            .iter()
            .map(|&c| num(c, true))
            .collect::<Result<Vec<f64>, _>>()?;
        rows.push(Row {
            line: row_no,
            series,
            date: stamp.date,
            hour: stamp.hour,
            value,
            exog,
        });
    }
    build_series_as(rows, &exog_names, gaps, freq)
}

/// A numeric Parquet cell as `f64` (`None` for null and non-numeric cells).
fn parquet_number(f: &Field) -> Option<f64> {
    Some(match f {
        Field::Bool(b) => f64::from(u8::from(*b)),
        Field::Byte(v) => f64::from(*v),
        Field::Short(v) => f64::from(*v),
        Field::Int(v) => f64::from(*v),
        Field::Long(v) => *v as f64,
        Field::UByte(v) => f64::from(*v),
        Field::UShort(v) => f64::from(*v),
        Field::UInt(v) => f64::from(*v),
        Field::ULong(v) => *v as f64,
        Field::Float16(v) => f64::from(*v),
        Field::Float(v) => f64::from(*v),
        Field::Double(v) => *v,
        _ => return None,
    })
}

/// Reads future exogenous values and appends them to the matching series' columns. Each
/// series needs `horizon` consecutive future rows starting one period after its history.
pub fn read_future<R: Read>(
    reader: R,
    series: &mut [Series],
    horizon: usize,
) -> Result<(), ForecastError> {
    if horizon > super::MAX_HORIZON {
        return Err(ForecastError::Config {
            field: "horizon",
            reason: format!("must be at most {}, got {horizon}", super::MAX_HORIZON),
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let header = rdr.headers().map_err(csv_err)?.clone();
    let id_col = find(&header, &["series_id", "unique_id"])?;
    let date_col = find(&header, &["date", "ds"])?;
    let index: HashMap<String, usize> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id().to_string(), i))
        .collect();
    let names: Vec<String> = series
        .first()
        .map(|s| s.exog().iter().map(|e| e.name.clone()).collect())
        .unwrap_or_default();
    let cols = names
        .iter()
        .map(|n| find(&header, &[n.as_str()]))
        .collect::<Result<Vec<usize>, _>>()?;
    // future[series][column][step]
    let mut future: Vec<Vec<Vec<Option<f64>>>> =
        vec![vec![vec![None; horizon]; names.len()]; series.len()];
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        let Some(&i) = index.get(rec[id_col].trim()) else {
            continue; // future rows of series without history are ignored
        };
        let d = date(&rec[date_col], line)?;
        let s = &series[i];
        let last = s.stamp_at(s.len() - 1);
        let ahead = s.grid().steps_between(last, d).filter(|k| *k > 0);
        let Some(ahead) = ahead else {
            return Err(ForecastError::BadDate {
                line,
                value: format!("{d} (not a future step of series `{}`)", s.id()),
                source: None,
            });
        };
        let Some(k) = usize::try_from(ahead - 1).ok().filter(|k| *k < horizon) else {
            continue;
        };
        for (c, (&col, name)) in cols.iter().zip(&names).enumerate() {
            if future[i][c][k].is_some() {
                return Err(ForecastError::DuplicateDate {
                    series: s.id().to_string(),
                    date: d,
                });
            }
            future[i][c][k] = Some(number(&rec[col], line, name, true)?);
        }
    }
    for (s, cols) in series.iter_mut().zip(future) {
        for (name, vals) in names.iter().zip(cols) {
            if let Some(k) = vals.iter().position(Option::is_none) {
                return Err(ForecastError::Exog {
                    series: s.id().to_string(),
                    column: name.clone(),
                    reason: format!("no future value for {}", s.stamp_at(s.len() + k)),
                });
            }
            let v: Vec<f64> = vals.into_iter().flatten().collect();
            s.extend_exog(name, &v)?;
        }
    }
    Ok(())
}

/// Writes `series_id,date,mean,q<label>...` rows, one per series and step. `labels` are the
/// quantile texts as the user gave them (one per level).
pub fn write_forecasts<W: Write>(
    writer: W,
    series: &[Series],
    forecasts: &[Forecast],
    labels: &[String],
) -> Result<(), ForecastError> {
    let mut w = csv::Writer::from_writer(writer);
    let mut head = vec!["series_id".to_string(), "date".into(), "mean".into()];
    head.extend(labels.iter().map(|l| format!("q{l}")));
    w.write_record(&head).map_err(csv_err)?;
    for (s, f) in series.iter().zip(forecasts) {
        for (j, mean) in f.mean.iter().enumerate() {
            let mut rec = vec![
                s.id().to_string(),
                s.stamp_at(s.len() + j).to_string(),
                fmt(*mean),
            ];
            rec.extend(f.quantiles[j].iter().map(|q| fmt(*q)));
            w.write_record(&rec).map_err(csv_err)?;
        }
    }
    w.flush().map_err(|e| ForecastError::Io {
        file: "output".into(),
        source: e,
    })
}

fn fmt(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}
