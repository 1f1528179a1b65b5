//! The shipped Chicago ridership set as forecasting series: one daily series per station
//! (the columns between `date`/`ridership` and `temp_min`, in thousands of boardings) with
//! every column from `temp_min` on as an exogenous regressor.

use std::path::Path;

use anyhow::{bail, Context};
use milkrun_forecast::demand::{Date, Exog, Frequency, Series};

/// File name of the set inside the forecast data folder.
pub const FILE: &str = "chicago_ridership_daily.csv";

/// Reads `dir/chicago_ridership_daily.csv` into one series per station. A cell that is not a
/// number, or a gap in the dates, is an error naming the line and column.
pub fn chicago_series(dir: &Path) -> anyhow::Result<Vec<Series>> {
    let path = dir.join(FILE);
    let mut r = csv::Reader::from_path(&path).with_context(|| path.display().to_string())?;
    let h = r.headers()?.clone();
    let col = |name: &str| {
        h.iter()
            .position(|c| c == name)
            .with_context(|| format!("{}: no column {name}", path.display()))
    };
    let cd = col("date")?;
    let first_exog = col("temp_min")?;
    let stations: Vec<usize> = (0..first_exog)
        .filter(|&c| c != cd && &h[c] != "ridership")
        .collect();
    let exog_cols: Vec<usize> = (first_exog..h.len()).collect();
    let mut dates = Vec::new();
    let mut vals: Vec<Vec<f64>> = vec![Vec::new(); stations.len()];
    let mut ex: Vec<Vec<f64>> = vec![Vec::new(); exog_cols.len()];
    for (i, rec) in r.records().enumerate() {
        let rec = rec?;
        let line = i + 2;
        let cell = |c: usize| -> anyhow::Result<f64> {
            rec[c]
                .parse()
                .with_context(|| format!("{} line {line}, column {}", path.display(), &h[c]))
        };
        dates.push(
            Date::parse(&rec[cd])
                .with_context(|| format!("{} line {line}, column date", path.display()))?,
        );
        for (k, &c) in stations.iter().enumerate() {
            vals[k].push(cell(c)?);
        }
        for (k, &c) in exog_cols.iter().enumerate() {
            ex[k].push(cell(c)?);
        }
    }
    if dates.windows(2).any(|w| w[1].0 - w[0].0 != 1) {
        bail!("{}: dates are not consecutive days", path.display());
    }
    let Some(&start) = dates.first() else {
        bail!("{}: no rows", path.display());
    };
    let mut series = Vec::new();
    for (k, &c) in stations.iter().enumerate() {
        let mut s = Series::new(&h[c], start, Frequency::Daily, std::mem::take(&mut vals[k]))?;
        for (j, &ec) in exog_cols.iter().enumerate() {
            s = s.with_exog(Exog {
                name: h[ec].to_string(),
                values: ex[j].clone(),
            })?;
        }
        series.push(s);
    }
    Ok(series)
}
