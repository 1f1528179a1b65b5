//! `milkrun morning`: a milk station's morning end to end (issue #12): roads, nightly plan
//! against a baseline, the morning's re-plans, tomorrow's order. See [`crate::demo`]. (It was
//! `milkrun demo` until the simulated week of issue #21 took that name: [`super::demo`].)
//!
//! ```text
//! milkrun morning [--osm FILE] [--households 1500] [--couriers 9] [--seconds 30] [--seed 1]
//!              [--buildings setback|osm] [--out ./milkrun-morning]
//! ```
//! The nightly plan is the dispatch crate's polished plan, limited by wall-clock time
//! (`--seconds`); `--time-limited` is still accepted and changes nothing.
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::demo::{report, run_demo, Buildings, DemoConfig};

/// Where the households live (`--buildings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BuildingsArg {
    /// Building-like positions 5-40 m off the road (the generator's own).
    Setback,
    /// The extract's residential buildings where an area has them.
    Osm,
}

/// Options of `milkrun morning`.
#[derive(Debug, Args)]
pub struct Opts {
    /// OSM extract (default: the shipped Liechtenstein extract).
    #[arg(long)]
    pub osm: Option<PathBuf>,
    /// Households to deliver to (1 to 5,000).
    #[arg(long, default_value_t = 1_500,
          value_parser = super::args::count(1, crate::demo::MAX_HOUSEHOLDS))]
    pub households: usize,
    /// E-trike couriers (1 to 1,000).
    #[arg(long, default_value_t = 9,
          value_parser = super::args::count(1, crate::demo::MAX_COURIERS))]
    pub couriers: usize,
    /// Nightly planning budget, wall-clock seconds (more than 0, at most 7 days).
    #[arg(long, default_value = "30", value_parser = super::args::positive_seconds)]
    pub seconds: f64,
    /// Seed of the scenario, the events and the history.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder.
    #[arg(long, default_value = "milkrun-morning")]
    pub out: PathBuf,
    /// Stop the nightly plan on wall-clock time (--seconds) instead of the work limits that
    /// make it reproducible (--seconds x the calibrated iterations per second).
    #[arg(long)]
    pub time_limited: bool,
    /// Where the households live: `setback` (building-like positions 5-40 m off the road) or
    /// `osm` (the extract's residential buildings, the setback where an area has none).
    #[arg(long, value_enum, default_value = "setback")]
    pub buildings: BuildingsArg,
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let config = DemoConfig {
        osm: opts.osm.unwrap_or_else(crate::demo::default_osm),
        households: opts.households,
        couriers: opts.couriers,
        seconds: opts.seconds,
        time_limited: opts.time_limited,
        seed: opts.seed,
        progress: true,
        buildings: match opts.buildings {
            BuildingsArg::Setback => Buildings::Setback,
            BuildingsArg::Osm => Buildings::Osm,
        },
        ..DemoConfig::new()
    };
    let outcome = run_demo(&config)?;
    let j = report::write_all(&outcome, &opts.out)?;
    println!("{}", report::summary(&outcome, &j));
    println!(
        "wrote {}/{{report.md, report.json, routes.csv, map.svg, forecast.svg}}",
        opts.out.display()
    );
    Ok(())
}
