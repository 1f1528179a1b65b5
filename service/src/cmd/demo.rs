//! `milkrun demo`: the README's main job (issue #21). A simulated milk company runs for a week
//! through the real day loop and the real store ([`milkrun_sim::run_week`]), against
//! baselines on the same week; the report is rendered by [`crate::week`].
//!
//! ```text
//! milkrun demo [--days 7] [--seed 1] [--out milkrun-demo] [--subscriptions 3000] [--osm FILE]
//!              [--buildings setback|osm]
//! ```
//! The first simulated day is always [`FIRST_DATE`] (Monday 2 March 2026), so the seed alone
//! decides the report (timings aside). The store is SQLite at `DIR/milkrun.db`, removed and
//! created afresh by every run. Writes `DIR/report.html`, `DIR/report.json`, one SVG per
//! chart and `DIR/map.svg`, and prints the week's totals against the baseline.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use milkrun_calendar::Date;
use milkrun_sim::report::WeekReport;
use milkrun_sim::{Progress, SimError, WeekConfig, MAX_DAYS, MAX_SUBSCRIPTIONS};

use crate::week;

/// The first simulated delivery day, `YYYY-MM-DD` (a Monday).
pub const FIRST_DATE: &str = "2026-03-02";

/// The store's file in the output folder.
pub const DB_FILE: &str = "milkrun.db";

/// Options of `milkrun demo`.
#[derive(Debug, Clone, Args)]
pub struct Opts {
    /// Days to simulate (1 to 60).
    #[arg(long, default_value_t = 7,
          value_parser = super::args::count(1, MAX_DAYS as usize))]
    pub days: usize,
    /// Seed of the company, the customers' behaviour and the incidents.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder: the store (`milkrun.db`, replaced) and the report.
    #[arg(long, default_value = "milkrun-demo")]
    pub out: PathBuf,
    /// Subscriptions at the start (1 to 20,000).
    #[arg(long, default_value_t = 3_000,
          value_parser = super::args::count(1, MAX_SUBSCRIPTIONS as usize))]
    pub subscriptions: usize,
    /// OSM extract of the roads (default: the shipped Liechtenstein extract).
    #[arg(long)]
    pub osm: Option<PathBuf>,
    /// No progress bar (also hidden when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Where the households live: `setback` (5-60 m off the road) or `osm` (the extract's
    /// residential buildings near the drawn road points, the setback elsewhere).
    #[arg(long, value_enum, default_value = "setback")]
    pub buildings: super::morning::BuildingsArg,
}

impl Opts {
    /// The defaults of the command line, writing to `out`.
    pub fn new(out: impl Into<PathBuf>) -> Opts {
        Opts {
            days: 7,
            seed: 1,
            out: out.into(),
            subscriptions: 3_000,
            osm: None,
            quiet: false,
            buildings: super::morning::BuildingsArg::Setback,
        }
    }
}

/// The first simulated day, [`FIRST_DATE`].
pub fn first_date() -> Date {
    Date::from_ymd(2026, 3, 2).expect("2026-03-02 is a valid date")
}

/// Removes the store's files of an earlier run (`milkrun.db` and SQLite's `-wal`, `-shm`).
fn remove_old_store(db: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("--out: removing {}", path.display())),
        }
    }
    Ok(())
}

/// The simulation's configuration for `opts`, after checking the files: the extract must
/// exist, the output folder is created and its old store removed.
pub fn config(opts: &Opts) -> anyhow::Result<WeekConfig> {
    let osm = opts.osm.clone().unwrap_or_else(crate::demo::default_osm);
    if !osm.is_file() {
        bail!("--osm: no such file: {}", osm.display());
    }
    let days = u32::try_from(opts.days)
        .ok()
        .filter(|d| (1..=MAX_DAYS).contains(d))
        .with_context(|| format!("--days: must be from 1 to {MAX_DAYS}"))?;
    let subscriptions = u32::try_from(opts.subscriptions)
        .ok()
        .filter(|s| (1..=MAX_SUBSCRIPTIONS).contains(s))
        .with_context(|| format!("--subscriptions: must be from 1 to {MAX_SUBSCRIPTIONS}"))?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("--out: creating {}", opts.out.display()))?;
    let db = opts.out.join(DB_FILE);
    // sqlx reads `?` as the start of the URL's options.
    let db_text = db
        .to_str()
        .filter(|t| !t.contains('?') && !t.contains('#'))
        .with_context(|| {
            format!(
                "--out: {} must be UTF-8 without `?` or `#` (it becomes a SQLite URL)",
                opts.out.display()
            )
        })?;
    remove_old_store(&db)?;
    Ok(WeekConfig {
        days,
        seed: opts.seed,
        subscriptions,
        db_url: format!("sqlite:{db_text}"),
        osm,
        first_date: first_date(),
        osm_buildings: opts.buildings == super::morning::BuildingsArg::Osm,
    })
}

/// The option a configuration field comes from.
fn flag(field: &str) -> &str {
    match field {
        "days" => "--days",
        "seed" => "--seed",
        "subscriptions" => "--subscriptions",
        "osm" => "--osm",
        "db_url" => "--out",
        other => other,
    }
}

/// The progress bar: setup steps as messages, then one step per phase of each day.
fn progress_bar(quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] [{bar:32}] {pos}/{len} phases  {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// The phases of a day, in the order the simulation reports them (see [`Progress::Day`]; the
/// per-station phases repeat once per station and move the bar within their slot).
const PHASES: [&str; 9] = [
    "night", "plan", "stock", "morning", "outcomes", "baseline", "close", "order", "care",
];

fn show(bar: &ProgressBar, p: Progress) {
    match p {
        Progress::Setup { what } => {
            bar.set_message(format!("setting up: {what}"));
            bar.tick();
        }
        Progress::Day { index, of, phase } => {
            let per_day = PHASES.len() as u64;
            bar.set_length(u64::from(of) * per_day);
            let k = PHASES.iter().position(|&q| q == phase).unwrap_or(0) as u64;
            bar.set_position(u64::from(index) * per_day + k);
            let date = first_date()
                .checked_add_days(i64::from(index))
                .map(|d| d.to_string())
                .unwrap_or_default();
            bar.set_message(format!("day {}/{of} {date}: {phase}", index + 1));
        }
    }
}

/// Runs the simulated week of `opts`, writes the report into `opts.out` and returns it.
pub fn run(opts: &Opts) -> anyhow::Result<WeekReport> {
    let config = config(opts)?;
    let bar = progress_bar(opts.quiet);
    let result = milkrun_sim::run_week(&config, &mut |p| show(&bar, p));
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(SimError::Config { field, reason }) => bail!("{}: {reason}", flag(field)),
        Err(e) => return Err(e).context("the simulated week"),
    };
    let files = week::write_all(&report, &opts.out)?;
    if !opts.quiet {
        print!("{}", week::summary(&report));
        println!(
            "wrote {} files into {}: report.html, report.json, the charts and map.svg",
            files.len(),
            opts.out.display()
        );
    }
    Ok(report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        opts: Opts,
    }

    fn parse(args: &[&str]) -> Result<Opts, String> {
        Cli::try_parse_from(std::iter::once("demo").chain(args.iter().copied()))
            .map(|c| c.opts)
            .map_err(|e| e.to_string())
    }

    /// The defaults are those documented; out-of-range values are refused naming the option.
    #[test]
    fn options_and_bounds() {
        let o = parse(&[]).unwrap();
        assert_eq!((o.days, o.seed, o.subscriptions), (7, 1, 3_000));
        assert_eq!(o.out, PathBuf::from("milkrun-demo"));
        for (args, flag) in [
            (&["--days", "0"][..], "--days"),
            (&["--days", "61"], "--days"),
            (&["--days=-1"], "--days"),
            (&["--subscriptions", "0"], "--subscriptions"),
            (&["--subscriptions", "1000000000"], "--subscriptions"),
            (&["--seed", "x"], "--seed"),
        ] {
            let e = parse(args).unwrap_err();
            assert!(e.contains(flag), "{args:?}: {e}");
        }
        assert_eq!(parse(&["--days", "60"]).unwrap().days, 60);
        assert_eq!(FIRST_DATE, first_date().to_string());
        assert_eq!(first_date().weekday(), 0, "the first day is a Monday");
    }

    /// A missing extract is refused naming `--osm`, before any file is written.
    #[test]
    fn missing_extract_names_the_option() {
        let dir = std::env::temp_dir().join(format!("milkrun-demo-osm-{}", std::process::id()));
        let opts = Opts {
            osm: Some("/no/such/extract.osm.pbf".into()),
            ..Opts::new(&dir)
        };
        let e = config(&opts).unwrap_err().to_string();
        assert!(e.contains("--osm") && e.contains("extract.osm.pbf"), "{e}");
        assert!(!dir.exists());
    }
}
