//! The report of `milkrun demo` (issue #21): renders a [`WeekReport`] of the simulated week
//! ([`milkrun_sim`]). Everything here is presentation; the figures come from the simulation.
//!
//! - [`json`]: `report.json`, the report as pretty JSON;
//! - [`charts`]: the charts (plotters, SVG backend) with dated axes and legends;
//! - [`map`]: the map of the last day, zoomed to the delivery area;
//! - [`html`]: `report.html`, one self-contained page with all of it.
//!
//! Each renderer is a pure function of the report returning text; [`write_all`] writes the
//! files and [`summary`] the lines printed at the end of the command.
pub mod charts;
pub mod html;
pub mod json;
pub mod legend;
pub mod map;
pub mod text;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use milkrun_sim::report::{Figures, WeekReport};

/// A rendered chart or map.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Its file name in the output folder (`orders.svg`, …).
    pub file: &'static str,
    /// What it shows, in words (the figure's caption in the page).
    pub title: String,
    /// The SVG text.
    pub svg: String,
}

/// A chart that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("drawing {chart}: {detail}")]
pub struct RenderError {
    /// The chart's file name.
    pub chart: &'static str,
    /// What the drawing library said.
    pub detail: String,
}

/// Writes `report.json`, `report.html`, each chart's SVG and `map.svg` into `dir` (created if
/// missing) and returns the paths written.
pub fn write_all(report: &WeekReport, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let charts = charts::all(report)?;
    let map = map::map(report)?;
    let mut files = vec![
        ("report.json".to_string(), json::json(report)?),
        ("report.html".to_string(), html::page(report, &charts, &map)),
    ];
    for c in charts.iter().chain(std::iter::once(&map)) {
        files.push((c.file.to_string(), c.svg.clone()));
    }
    let mut written = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A line of the summary: its name and how to show a policy's figure.
type SummaryRow = (&'static str, fn(&Figures) -> String);

/// The lines printed after a run: the week's totals against the baseline.
pub fn summary(report: &WeekReport) -> String {
    let (m, b) = (&report.milkrun.totals, &report.baseline.totals);
    let mut out = format!(
        "milkrun demo: {} days from {}, seed {}, {} subscriptions, {} stations\n\
         {:<30} {:>12} {:>12}\n",
        report.milkrun.days,
        report.first_date,
        report.seed,
        report.company.subscriptions,
        report.company.stations.len(),
        "",
        "milkrun",
        "baseline"
    );
    let rows: [SummaryRow; 12] = [
        ("orders", |f| f.orders.to_string()),
        ("delivered", |f| f.delivered.to_string()),
        ("failed", |f| f.failed.to_string()),
        ("made up", |f| f.made_up.to_string()),
        ("compensated", |f| f.compensated.to_string()),
        ("cancelled", |f| f.cancelled.to_string()),
        ("unaccounted", |f| f.unaccounted.to_string()),
        ("on-time rate", |f| text::pct(f.on_time_rate)),
        ("km per delivery", |f| text::num(f.km_per_delivery, 3)),
        ("deliveries per courier-hour", |f| {
            text::num(f.deliveries_per_courier_hour, 2)
        }),
        ("waste rate", |f| text::pct(f.waste_rate)),
        ("fill rate", |f| text::pct(f.fill_rate)),
    ];
    for (name, f) in rows {
        let _ = writeln!(out, "{name:<30} {:>12} {:>12}", f(m), f(b));
    }
    out
}
