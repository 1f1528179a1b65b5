//! The default simulated week (7 days, 3,000 subscriptions, seed 1) on a fresh SQLite file
//! in the temp dir: prints the totals of milkrun and the baselines, and the wall time.
//!
//! `cargo run --release -p milkrun-sim --example week [DAYS] [SUBSCRIPTIONS]`
use std::time::Instant;

use milkrun_calendar::Date;
use milkrun_sim::report::Figures;
use milkrun_sim::{run_week, Progress, WeekConfig};

fn line(name: &str, f: &Figures) {
    println!(
        "{name:9} orders {:5} delivered {:5} failed {:4} made up {:4} compensated {:3} \
         cancelled {:4} unaccounted {} | on time {:.3} km/del {:.3} min/del {:.2} \
         del/courier-h {:.1} waste {:.3} fill {:.3}",
        f.orders,
        f.delivered,
        f.failed,
        f.made_up,
        f.compensated,
        f.cancelled,
        f.unaccounted,
        f.on_time_rate,
        f.km_per_delivery,
        f.minutes_per_delivery,
        f.deliveries_per_courier_hour,
        f.waste_rate,
        f.fill_rate
    );
}

/// This process's CPU time so far (user + system), seconds; 0 where `/proc` is missing.
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let days = args.next().map_or(Ok(7), |a| a.parse())?;
    let subscriptions = args.next().map_or(Ok(3_000), |a| a.parse())?;
    let path = std::env::temp_dir().join(format!("milkrun-sim-example-{}.db", std::process::id()));
    let config = WeekConfig {
        days,
        seed: 1,
        subscriptions,
        db_url: format!("sqlite:{}", path.display()),
        osm: milkrun_datasets::data_dir()
            .join("osm")
            .join("liechtenstein.osm.pbf"),
        first_date: Date::parse_iso("2028-03-06")?,
        osm_buildings: false,
    };
    let t = Instant::now();
    // CPU seconds per phase (Linux: this process's user + system time).
    let mut per_phase: Vec<(&'static str, f64, f64)> = Vec::new();
    let mut last: Option<(&'static str, f64, f64)> = None;
    let mut mark = |name: &'static str| {
        let now = (cpu_s(), t.elapsed().as_secs_f64());
        if let Some((p, c, w)) = last {
            match per_phase.iter_mut().find(|e| e.0 == p) {
                Some(e) => {
                    e.1 += now.0 - c;
                    e.2 += now.1 - w;
                }
                None => per_phase.push((p, now.0 - c, now.1 - w)),
            }
        }
        last = Some((name, now.0, now.1));
    };
    let report = run_week(&config, &mut |p| match p {
        Progress::Day { index, phase, .. } => {
            if phase == "night" {
                eprintln!("{:7.1}s day {index}", t.elapsed().as_secs_f64());
            }
            mark(phase);
        }
        Progress::Setup { what } => mark(what),
    });
    mark("end");
    for (p, c, w) in &per_phase {
        println!("phase {p:13} cpu {c:7.1} s wall {w:7.1} s");
    }
    if std::env::var_os("MILKRUN_SIM_KEEP_DB").is_some() {
        eprintln!("kept {}", path.display());
    } else {
        for suffix in ["", "-wal", "-shm"] {
            let mut q = path.as_os_str().to_owned();
            q.push(suffix);
            let _ = std::fs::remove_file(q);
        }
    }
    let report = report?;
    for d in &report.milkrun.per_day {
        line(d.date.as_deref().unwrap_or(""), d);
    }
    line("milkrun", &report.milkrun.totals);
    line("baseline", &report.baseline.totals);
    for i in &report.incidents {
        println!("{} {}: {}", i.date, i.kind, i.detail);
    }
    println!(
        "setup {} ms, days {:?} ms, total {} ms (wall {:.1} s)",
        report.timings.setup_ms,
        report.timings.per_day_ms,
        report.timings.total_ms,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
