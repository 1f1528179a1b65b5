//! The simulated week through the real store: a small company over three days on a fresh
//! SQLite file (the jam and the breakdown both fall in it), and the refused configurations (of
//! the week and of a dairy group).
use std::path::PathBuf;

use milkrun_calendar::Date;
use milkrun_sim::report::WeekReport;
use milkrun_sim::{run_week, SimError, WeekConfig, BREAKDOWN_DAY, JAM_DAY};
use sqlx::Row;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn osm() -> PathBuf {
    milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf")
}

fn db(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("milkrun-sim-{}-{name}.db", std::process::id()));
    remove_db(&p);
    p
}

fn remove_db(p: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut q = p.as_os_str().to_owned();
        q.push(suffix);
        let _ = std::fs::remove_file(q);
    }
}

fn config(
    path: &std::path::Path,
    days: u32,
    subscriptions: u32,
) -> Result<WeekConfig, Box<dyn std::error::Error>> {
    Ok(WeekConfig {
        days,
        seed: 11,
        subscriptions,
        db_url: format!("sqlite:{}", path.display()),
        osm: osm(),
        first_date: Date::parse_iso("2028-03-06")?,
        osm_buildings: false,
    })
}

fn run(c: &WeekConfig) -> Result<WeekReport, SimError> {
    run_week(c, &mut |_| {})
}

/// Per day: (orders, delivered, failed, cancelled) recounted from the documented view.
async fn recount(
    path: &std::path::Path,
    dates: &[String],
) -> Result<Vec<[u64; 4]>, Box<dyn std::error::Error>> {
    let store = milkrun_dairy::store::Store::open(&format!("sqlite:{}", path.display())).await?;
    let mut out = Vec::new();
    for d in dates {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM v_order_outcomes WHERE tenant_id = 1 \
             AND delivery_date = $1 GROUP BY status",
        )
        .bind(d.as_str())
        .fetch_all(store.pool())
        .await?;
        let mut c = [0u64; 4];
        for r in &rows {
            let status: String = r.try_get("status")?;
            let n = u64::try_from(r.try_get::<i64, _>("n")?)?;
            c[0] += n;
            match status.as_str() {
                "delivered" => c[1] += n,
                "failed" => c[2] += n,
                "cancelled" => c[3] += n,
                other => panic!("order with status {other} on {d}"),
            }
        }
        out.push(c);
    }
    store.close().await;
    Ok(out)
}

/// Three days, about 300 subscriptions: every order of every day ends delivered, failed or
/// cancelled (none unaccounted), the report's counts equal the store's view, a door stays
/// shut and its order is made up or compensated, the jam and the breakdown happen, the
/// baseline rides the same orders; the mid-week promotion is pushed once and converts
/// above its holdout; the same seed on a fresh file gives the same report
/// (timings aside); and a store that already holds the company is refused.
#[test]
fn three_days_through_the_store() -> TestResult {
    let path = db("three");
    let c = config(&path, 3, 300)?;
    let mut report = run(&c)?;
    let days = &report.milkrun.per_day;
    assert_eq!(days.len(), 3);
    let dates: Vec<String> = days.iter().filter_map(|d| d.date.clone()).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let counted = rt.block_on(recount(&path, &dates))?;
    for (d, c) in days.iter().zip(&counted) {
        assert_eq!(d.unaccounted, 0, "{d:?}");
        assert!(d.orders > 100, "{d:?}");
        assert_eq!(d.orders, d.delivered + d.failed + d.cancelled, "{d:?}");
        assert_eq!(d.failed, d.made_up + d.compensated, "{d:?}");
        assert_eq!([d.orders, d.delivered, d.failed, d.cancelled], *c, "{d:?}");
        assert!(d.sums.ridden_m > 0 && d.sums.courier_s > 0, "{d:?}");
    }
    let t = &report.milkrun.totals;
    assert!(t.failed >= 1 && t.made_up + t.compensated >= 1, "{t:?}");
    assert!(t.on_time_rate > 0.5 && t.fill_rate > 0.9, "{t:?}");
    let kinds: Vec<&str> = report.incidents.iter().map(|i| i.kind.as_str()).collect();
    assert!(
        kinds.contains(&"jam") && kinds.contains(&"breakdown"),
        "{kinds:?}"
    );
    for (kind, day) in [("jam", JAM_DAY), ("breakdown", BREAKDOWN_DAY)] {
        let i = report.incidents.iter().find(|i| i.kind == kind);
        assert_eq!(
            i.map(|i| i.date.as_str()),
            Some(dates[day as usize].as_str())
        );
    }
    let b = &report.baseline;
    assert_eq!(b.per_day.len(), 3);
    assert!(b.totals.delivered > 0 && b.totals.sums.ridden_m > 0);
    assert_eq!(report.baseline_policies.len(), 3);
    assert!(
        report
            .calendar
            .iter()
            .map(|a| a.refused_after_cutoff)
            .sum::<u32>()
            > 0
    );
    // The mid-week promotion (pushed on day 1 to the largest segment, 20 % held out) went to
    // each targeted customer once through the outbox, and converts told customers (15 % by
    // the simulation's assumption) well above the holdout (3 %).
    let p = report.promotion.as_ref().ok_or("a mid-week promotion")?;
    assert_eq!(p.pushed, dates[1]);
    let members = p.targeted + p.holdout;
    assert!(members > 100, "{p:?}");
    assert_eq!(p.holdout, (members * 20 + 50) / 100, "{p:?}");
    assert!(
        p.targeted_taken > 0 && p.targeted_taken <= p.targeted,
        "{p:?}"
    );
    assert!(p.uplift.ok_or("an uplift")? > 0.0, "{p:?}");
    let told = rt.block_on(async {
        let store =
            milkrun_dairy::store::Store::open(&format!("sqlite:{}", path.display())).await?;
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox WHERE tenant_id = 1 AND topic = 'promotion'",
        )
        .fetch_one(store.pool())
        .await?
        .try_get("n")?;
        // The open day: the day after the run, planned, its morning not run.
        let open = store.open_day(milkrun_dairy::ids::TenantId(1)).await?;
        let board = match open {
            Some(day) => {
                store
                    .day_board(milkrun_dairy::ids::TenantId(1), day)
                    .await?
            }
            None => Vec::new(),
        };
        store.close().await;
        Ok::<_, Box<dyn std::error::Error>>((n, open, board))
    })?;
    let (told, open, board) = told;
    assert_eq!(open.map(|d| d.to_string()).as_deref(), Some("2028-03-09"));
    assert!(board.len() > 100, "{} stops on the open day", board.len());
    assert!(board
        .iter()
        .all(|s| s.status == milkrun_dairy::round::StopStatus::Pending));
    assert_eq!(u64::try_from(told)?, p.targeted);
    assert_eq!(report.company.stations.len(), 2);
    assert!(!report.map.households.is_empty() && !report.map.roads.is_empty());
    assert!(!report.settlement.is_empty());
    // A store that holds the company already is refused, naming the field.
    match run(&c) {
        Err(SimError::Config {
            field: "db_url", ..
        }) => {}
        other => panic!("expected a refused store, got {other:?}"),
    }
    remove_db(&path);
    let again_path = db("again");
    let mut again = run(&config(&again_path, 3, 300)?)?;
    remove_db(&again_path);
    report.timings = Default::default();
    again.timings = Default::default();
    assert_eq!(
        serde_json::to_value(&report)?,
        serde_json::to_value(&again)?
    );
    Ok(())
}

/// Bad configurations are refused before anything is opened, naming the field.
#[test]
fn bad_configurations_name_the_field() -> TestResult {
    let path = db("bad");
    let good = config(&path, 3, 300)?;
    let field = |c: WeekConfig| match run(&c) {
        Err(SimError::Config { field, .. }) => field,
        other => panic!("expected a config error, got {other:?}"),
    };
    assert_eq!(
        field(WeekConfig {
            days: 0,
            ..good.clone()
        }),
        "days"
    );
    assert_eq!(
        field(WeekConfig {
            days: 61,
            ..good.clone()
        }),
        "days"
    );
    assert_eq!(
        field(WeekConfig {
            subscriptions: 0,
            ..good.clone()
        }),
        "subscriptions"
    );
    assert_eq!(
        field(WeekConfig {
            subscriptions: milkrun_sim::MAX_SUBSCRIPTIONS + 1,
            ..good.clone()
        }),
        "subscriptions"
    );
    assert_eq!(
        field(WeekConfig {
            osm: PathBuf::from("/nonexistent.pbf"),
            ..good.clone()
        }),
        "osm"
    );
    assert!(!path.exists());
    Ok(())
}

/// A dairy group (`milkrun_sim::group`) out of range is refused naming the field, and one
/// that needs more road points than there are is refused before anything is written.
#[test]
fn bad_group_specs_name_the_field() -> TestResult {
    use milkrun_dairy::ids::TenantId;
    use milkrun_sim::group::{GroupSpec, MAX_STATIONS};
    let good = GroupSpec {
        tenant: TenantId(1),
        stations: 2,
        households_per_station: 3,
        couriers_per_station: 1,
        first_date: Date::parse_iso("2028-03-01")?,
        days: 2,
    };
    good.check(8)?;
    let field = |spec: GroupSpec, points: usize| match spec.check(points) {
        Err(SimError::Config { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(
            GroupSpec {
                stations: 0,
                ..good
            },
            8
        ),
        "stations"
    );
    assert_eq!(
        field(
            GroupSpec {
                stations: MAX_STATIONS + 1,
                ..good
            },
            usize::MAX
        ),
        "stations"
    );
    assert_eq!(
        field(
            GroupSpec {
                couriers_per_station: 0,
                ..good
            },
            8
        ),
        "couriers_per_station"
    );
    assert_eq!(field(GroupSpec { days: 0, ..good }, 8), "days");
    // 2 stations of 3 households need 8 points.
    assert_eq!(field(good, 7), "households_per_station");
    Ok(())
}

/// The company in real buildings (issue #25, `milkrun demo --buildings osm`): with no
/// buildings the households are `generate`'s; with Liechtenstein's homes most households'
/// doors are a building's position, within the night's snap limit of a road point, and no
/// building holds more households than its tags give.
#[test]
fn company_households_in_real_buildings() -> TestResult {
    use milkrun_sim::company::{self, metres, MAX_SNAP_M};
    let (graph, _) = milkrun_engine::import_pbf_file(&osm(), milkrun_engine::Profile::Bike)?;
    let pts: Vec<(f64, f64)> = (0..graph.num_nodes() as u32)
        .map(|v| graph.coord(milkrun_engine::NodeId(v)))
        .map(|p| (p.lat, p.lon))
        .collect();
    let (sites, _) = milkrun_station::scenario::residential_sites(&osm())?;
    let sites: Vec<(f64, f64, u32)> = sites.iter().map(|b| (b.lat, b.lon, b.households)).collect();
    let date = Date::parse_iso("2028-03-06")?;
    let plain = company::generate(3, 400, &pts, date)?;
    let none = company::generate_in_buildings(3, 400, &pts, &[], date)?;
    assert_eq!(plain.households, none.households);
    let real = company::generate_in_buildings(3, 400, &pts, &sites, date)?;
    assert_eq!(real.households.len(), plain.households.len());
    let mut used = std::collections::HashMap::new();
    for h in &real.households {
        let p = (h.point.lat, h.point.lon);
        if let Some(k) = sites.iter().position(|s| metres(p, (s.0, s.1)) < 0.01) {
            *used.entry(k).or_insert(0u32) += 1;
            let near = pts
                .iter()
                .map(|&q| metres(p, q))
                .fold(f64::INFINITY, f64::min);
            assert!(
                near <= MAX_SNAP_M,
                "household {:?} {near:.0} m from a road point",
                h.id
            );
        }
    }
    let placed: u32 = used.values().sum();
    eprintln!(
        "{placed} of {} households in real buildings",
        real.households.len()
    );
    assert!(
        placed as usize * 10 >= real.households.len() * 6,
        "{placed}"
    );
    for (k, n) in used {
        assert!(n <= sites[k].2, "building {k}: {n} households");
    }
    Ok(())
}
