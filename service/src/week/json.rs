//! `report.json`: the [`WeekReport`] as pretty JSON. Its serde attributes put milkrun's totals
//! at the top level (`days`, `orders`, …, `fill_rate`), the baselines under `baseline` with
//! the same keys, and each day under `per_day`.
use milkrun_sim::report::WeekReport;

/// The report as pretty-printed JSON.
pub fn json(report: &WeekReport) -> serde_json::Result<String> {
    serde_json::to_string_pretty(report)
}
