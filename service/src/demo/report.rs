//! Step 6: the outputs. `report.json` (machine-readable), `report.md` (for a person, with
//! `map.svg` and `forecast.svg`), `routes.csv` (one row per stop) and the stdout summary.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use milkrun_datasets::scenario::format_time;
use milkrun_engine::svg::OSM_ATTRIBUTION;
use serde_json::{json, Value};

use super::order::totals;
use super::stats::percentile;
use super::DemoOutcome;
use milkrun_dispatch::plan_stats::RouteStats;

fn km(m: i64) -> f64 {
    (m as f64 / 100.0).round() / 10.0
}

fn minutes(s: i64) -> f64 {
    (s as f64 / 6.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Totals of a set of rounds: (travel s, metres, stops, late stops).
fn sum_rounds(rounds: &[RouteStats]) -> (i64, i64, usize, usize) {
    rounds.iter().fold((0, 0, 0, 0), |a, r| {
        (
            a.0 + r.travel_s,
            a.1 + r.dist_m,
            a.2 + r.stops.len(),
            a.3 + r.late,
        )
    })
}

/// On-time rate of rounds over all `households` (unrouted households count as not on time).
fn on_time(rounds: &[RouteStats], households: usize) -> f64 {
    let (_, _, stops, late) = sum_rounds(rounds);
    if households == 0 {
        1.0
    } else {
        (stops - late) as f64 / households as f64
    }
}

/// `report.json`. Wall-clock values are only in `timings` and `replans[].latency_ms`.
pub fn json(o: &DemoOutcome) -> Value {
    let n = o.stops.len();
    let household = |s: u32| o.stops[s as usize].household;
    let (travel_s, dist_m, routed, _) = sum_rounds(&o.plan.rounds);
    let (b_travel, b_dist, _, b_late) = sum_rounds(&o.baseline);
    let routes: Vec<Value> = o
        .plan
        .rounds
        .iter()
        .zip(&o.couriers)
        .map(|(r, c)| {
            json!({
                "courier": c.id,
                "households": r.stops.iter().map(|&s| household(s)).collect::<Vec<_>>(),
                "bottles": r.bottles,
                "travel_s": r.travel_s,
                "distance_m": r.dist_m,
                "first_arrival": r.arrivals_s.first().map(|&t| format_time(t)),
                "last_arrival": r.arrivals_s.last().map(|&t| format_time(t)),
                "back_at_depot": format_time(r.back_s),
            })
        })
        .collect();
    let latencies: Vec<f64> = o.morning.rows.iter().map(|r| r.latency_ms).collect();
    let replans: Vec<Value> = o
        .morning
        .rows
        .iter()
        .map(|r| {
            json!({
                "time": format_time(r.time_s),
                "event": r.kind,
                "what": r.what,
                "latency_ms": round3(r.latency_ms),
                "stops_moved": r.stops_moved,
                "remaining": r.remaining,
                "couriers_affected": r.couriers_affected,
                "arrivals_shifted": r.arrivals_shifted,
                "max_shift_s": r.max_shift_s,
                "unserved": r.unserved.iter().map(|(h, why)| json!({"household": h, "reason": why})).collect::<Vec<_>>(),
                "notes": r.notes,
                "done_kept": r.done_kept,
            })
        })
        .collect();
    let ord = &o.ordering;
    let ours = totals(ord.products.iter().map(|p| &p.ours));
    let base = totals(ord.products.iter().map(|p| &p.baseline));
    let (ty, tm, td) = ord.tomorrow;
    json!({
        "seed": o.config.seed,
        "osm": o.config.osm.file_name().map(|f| f.to_string_lossy().into_owned()),
        "solver_budget": {
            "mode": if o.plan.limits.is_some() { "iterations" } else { "seconds" },
            "wall_cap_seconds": o.plan.budget.as_secs_f64(),
            "solver_iterations": o.plan.limits.map(|l| l.0),
            "polish_iterations_limit": o.plan.limits.map(|l| l.1),
            "polish_iterations": o.plan.polish_iterations,
            "plan": "milkrun_dispatch::Dispatch::plan_with_solver (VRP solver, then polished)",
        },
        "plan_cost": o.plan.cost,
        "roads": {
            "nodes": o.road_size.0,
            "edges": o.road_size.1,
            "snap_m_median": round3(o.snapped.quantile_m(0.5)),
            "snap_m_p95": round3(o.snapped.quantile_m(0.95)),
            "snap_m_max": round3(o.snapped.quantile_m(1.0)),
            "far_from_road": o.snapped.far.iter().map(|&i| o.scenario.households[i].id).collect::<Vec<_>>(),
        },
        "households": n,
        "couriers": o.couriers.len(),
        "bottles": o.stops.iter().map(|s| s.bottles).sum::<i64>(),
        "routed": routed,
        "unassigned": o.plan.unassigned.iter().map(|(s, why)| json!({"household": household(*s), "reason": why})).collect::<Vec<_>>(),
        "routes": routes,
        "travel_s": travel_s,
        "distance_m": dist_m,
        "on_time_rate": round3(on_time(&o.plan.rounds, n)),
        "checker": {
            "feasible": o.check.violations.is_empty(),
            "travel_s": o.check.travel_s,
            "violations": o.check.violations,
        },
        "baseline": {
            "method": "sweep by angle + nearest neighbour",
            "travel_s": b_travel,
            "distance_m": b_dist,
            "late": b_late,
            "on_time_rate": round3(on_time(&o.baseline, n)),
        },
        "replans": replans,
        "morning": {
            "due": o.morning.due(),
            "on_time": o.morning.on_time(),
            "late": o.morning.late,
            "on_time_rate": round3(o.morning.on_time_rate()),
            "travel_s": o.morning.travel_s,
            "distance_m": o.morning.dist_m,
            "delivered": o.morning.summary.delivered,
            "delivered_new": o.morning.summary.delivered_new,
            "delivered_retry": o.morning.summary.delivered_retry,
            "failed": o.morning.summary.failed,
            "carried_over": o.morning.summary.carried_over,
            "cancelled": o.morning.summary.cancelled,
            "unserved": o.morning.summary.unserved_total(),
            "retry_unserved": o.morning.summary.retry_unserved_total(),
            "summary": o.morning.summary.to_string(),
        },
        "order_date": format!("{ty:04}-{tm:02}-{td:02}"),
        "order": ord.products.iter().map(|p| json!({
            "product": p.product,
            "quantity": p.quantity,
            "forecast_mean": round3(p.forecast_mean),
            "safety_stock": round3(p.safety_stock),
            "on_hand": round3(p.on_hand),
        })).collect::<Vec<_>>(),
        "ordering": {
            "replay_days": super::order::REPLAY_DAYS,
            "shelf_life_days": super::order::SHELF_LIFE_DAYS,
            "ours": {"waste_rate": round3(ours.waste_rate), "fill_rate": round3(ours.fill_rate), "cost": round3(ours.cost)},
            "baseline": {"policy": "same weekday last week", "waste_rate": round3(base.waste_rate), "fill_rate": round3(base.fill_rate), "cost": round3(base.cost)},
            "products": ord.products.iter().map(|p| json!({
                "product": p.product,
                "ours": {"waste_pct": round3(p.ours.waste_pct), "fill_rate": round3(p.ours.fill_rate), "cost": round3(p.ours.total_cost)},
                "baseline": {"waste_pct": round3(p.baseline.waste_pct), "fill_rate": round3(p.baseline.fill_rate), "cost": round3(p.baseline.total_cost)},
            })).collect::<Vec<_>>(),
        },
        "timings": {
            "roads_s": round3(o.timings.roads_s),
            "matrix_s": round3(o.timings.matrix_s),
            "solve_s": round3(o.timings.solve_s),
            "baseline_s": round3(o.timings.baseline_s),
            "morning_s": round3(o.timings.morning_s),
            "order_s": round3(o.timings.order_s),
            "total_s": round3(o.timings.total_s),
            "replan_latency_ms_p50": round3(percentile(&latencies, 0.5)),
            "replan_latency_ms_p99": round3(percentile(&latencies, 0.99)),
        },
    })
}

/// `report.json` without its wall-clock fields (`timings`, `replans[].latency_ms`): what is
/// the same for a seed on every run.
pub fn strip_wall_clock(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("timings");
        if let Some(Value::Array(rows)) = m.get_mut("replans") {
            for r in rows {
                if let Some(r) = r.as_object_mut() {
                    r.remove("latency_ms");
                }
            }
        }
    }
    v
}

/// `routes.csv`: one row per stop of the nightly plan.
pub fn routes_csv(o: &DemoOutcome) -> String {
    let mut s =
        String::from("courier,sequence,household,lat,lon,arrival,window_start,window_end\n");
    for (r, c) in o.plan.rounds.iter().zip(&o.couriers) {
        for (k, (&stop, &arr)) in r.stops.iter().zip(&r.arrivals_s).enumerate() {
            let h = &o.scenario.households[stop as usize];
            let _ = writeln!(
                s,
                "{},{},{},{:.7},{:.7},{},{},{}",
                c.id,
                k + 1,
                h.id,
                h.lat,
                h.lon,
                format_time(arr),
                format_time(h.window_s.0),
                format_time(h.window_s.1)
            );
        }
    }
    s
}

/// `report.md`.
pub fn markdown(o: &DemoOutcome, j: &Value) -> String {
    let mut s = String::new();
    let c = &o.config;
    let _ = writeln!(s, "# A morning at a milk station\n");
    let _ = writeln!(
        s,
        "`milkrun morning --osm {} --households {} --couriers {} --seconds {} --seed {}`\n",
        c.osm
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
        c.households,
        c.couriers,
        c.seconds,
        c.seed,
    );
    let _ = writeln!(s, "## 1. Roads\n");
    let _ = writeln!(
        s,
        "E-trike (bike profile) network: {} nodes, {} directed edges. {} households and one milk \
         station snapped: median {:.1} m, 95th percentile {:.1} m, max {:.1} m from a road; {} \
         household(s) farther than {:.0} m (listed, still routed from the nearest road node){}.\n",
        o.road_size.0,
        o.road_size.1,
        o.stops.len(),
        o.snapped.quantile_m(0.5),
        o.snapped.quantile_m(0.95),
        o.snapped.quantile_m(1.0),
        o.snapped.far.len(),
        super::roads::FAR_FROM_ROAD_M,
        if o.snapped.far.is_empty() {
            String::new()
        } else {
            format!(": {:?}", j["roads"]["far_from_road"])
        }
    );
    let _ = writeln!(s, "## 2. The nightly plan\n");
    let _ = writeln!(
        s,
        "{} households, {} bottles, {} couriers. Planned {} by \
         `Dispatch::plan_with_solver` (the VRP solver for half, then polished); objective {} \
         (travel seconds + penalties). The independent checker (`milkrun_datasets::checker`, \
         explicit travel-time matrix) finds {} violation(s). {} household(s) unassigned.\n",
        o.stops.len(),
        j["bottles"],
        o.couriers.len(),
        match o.plan.limits {
            Some((solver, polish)) => format!(
                "with {solver} solver iterations and {polish} polish iterations (reproducible)"
            ),
            None => format!("in {:.1} s of wall-clock time", o.plan.budget.as_secs_f64()),
        },
        o.plan.cost,
        o.check.violations.len(),
        o.plan.unassigned.len()
    );
    for (h, why) in &o.plan.unassigned {
        let household = o.stops.get(*h as usize).map_or(*h, |sp| sp.household);
        let _ = writeln!(s, "- household {household}: {why}");
    }
    let _ = writeln!(
        s,
        "| courier | stops | bottles | km | travel min | first arrival | last arrival | back |\n|---|---|---|---|---|---|---|---|"
    );
    for (r, cr) in o.plan.rounds.iter().zip(&o.couriers) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.1} | {:.1} | {} | {} | {} |",
            cr.id,
            r.stops.len(),
            r.bottles,
            km(r.dist_m),
            minutes(r.travel_s),
            r.arrivals_s.first().map_or("-".into(), |&t| format_time(t)),
            r.arrivals_s.last().map_or("-".into(), |&t| format_time(t)),
            format_time(r.back_s)
        );
    }
    let _ = writeln!(
        s,
        "\n![routes of the nightly plan on the road network](map.svg)\n\n\
         Map data {OSM_ATTRIBUTION}, <https://www.openstreetmap.org/copyright>.\n"
    );
    let (t, d, _, _) = sum_rounds(&o.plan.rounds);
    let (bt, bd, _, _) = sum_rounds(&o.baseline);
    let _ = writeln!(s, "## 3. Against a habit-based baseline\n");
    let _ = writeln!(
        s,
        "Baseline: households split among couriers by a sweep by angle around the station, each \
         courier in nearest-neighbour order from the station, on the same matrix.\n\n\
         | plan | km | travel min | on time |\n|---|---|---|---|\n\
         | milkrun | {:.1} | {:.0} | {:.1}% |\n| sweep + nearest neighbour | {:.1} | {:.0} | {:.1}% |\n",
        km(d),
        minutes(t),
        on_time(&o.plan.rounds, o.stops.len()) * 100.0,
        km(bd),
        minutes(bt),
        on_time(&o.baseline, o.stops.len()) * 100.0
    );
    let _ = writeln!(s, "## 4. The morning\n");
    let _ = writeln!(
        s,
        "| time | event | stops moved (of pending) | couriers affected | arrivals shifted >5 min (max) | became unserved | re-plan ms |\n|---|---|---|---|---|---|---|"
    );
    for r in &o.morning.rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} ({}) | {:?} | {} ({} min) | {} | {:.1} |",
            format_time(r.time_s),
            r.what,
            r.stops_moved,
            r.remaining,
            r.couriers_affected,
            r.arrivals_shifted,
            r.max_shift_s / 60,
            r.unserved.len(),
            r.latency_ms
        );
    }
    let m = &o.morning;
    let _ = writeln!(
        s,
        "\nAt the end: {} of {} due deliveries on time ({:.1}%), {} late; driven {:.1} km. \
         Re-plan latency p50 {:.1} ms, p99 {:.1} ms (wall clock, this machine).\n\n\
         The day, counted by the re-planner: {}.\n",
        m.on_time(),
        m.due(),
        m.on_time_rate() * 100.0,
        m.late,
        km(m.dist_m),
        j["timings"]["replan_latency_ms_p50"]
            .as_f64()
            .unwrap_or(0.0),
        j["timings"]["replan_latency_ms_p99"]
            .as_f64()
            .unwrap_or(0.0),
        m.summary
    );
    let ord = &o.ordering;
    let (y, mo, d) = ord.tomorrow;
    let _ = writeln!(s, "\n## 5. Tomorrow's order ({y:04}-{mo:02}-{d:02})\n");
    let _ = writeln!(
        s,
        "Two years of generated daily sales (weekly pattern, holidays, two promotions), \
         forecast with the automatic model choice, ordered by the perishable newsvendor for a \
         {}-day shelf life (bottle cost 0.90, price 1.60, 1.00 goodwill per missed delivery). \
         The order nets out the bottles still sellable tomorrow that tonight's shelf holds (the \
         stock the replay of our policy ends with).\n\n\
         | product | forecast mean | on hand | order | safety stock |\n|---|---|---|---|---|",
        super::order::SHELF_LIFE_DAYS
    );
    for p in &ord.products {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.0} | {:.0} | {:.1} |",
            p.product, p.forecast_mean, p.on_hand, p.quantity, p.safety_stock
        );
    }
    let ours = totals(ord.products.iter().map(|p| &p.ours));
    let base = totals(ord.products.iter().map(|p| &p.baseline));
    let _ = writeln!(
        s,
        "\nReplay of the last {} days:\n\n| policy | waste | fill rate | cost |\n|---|---|---|---|\n\
         | ours | {:.2}% | {:.2}% | {:.0} |\n| same weekday last week | {:.2}% | {:.2}% | {:.0} |\n",
        super::order::REPLAY_DAYS,
        ours.waste_rate * 100.0,
        ours.fill_rate * 100.0,
        ours.cost,
        base.waste_rate * 100.0,
        base.fill_rate * 100.0,
        base.cost
    );
    let _ = writeln!(
        s,
        "![forecast of {} with 80% and 95% bands ({})](forecast.svg)\n",
        ord.products.first().map_or("", |p| p.product.as_str()),
        ord.plot_model
    );
    s
}

/// The stdout summary.
pub fn summary(o: &DemoOutcome, j: &Value) -> String {
    let (t, d, routed, _) = sum_rounds(&o.plan.rounds);
    let (bt, bd, _, _) = sum_rounds(&o.baseline);
    let ours = totals(o.ordering.products.iter().map(|p| &p.ours));
    let base = totals(o.ordering.products.iter().map(|p| &p.baseline));
    format!(
        "milkrun morning: {} households, {} couriers, seed {}\n\
         nightly plan: {routed} routed, {} unassigned, {:.1} km, {:.0} travel min, on time {:.1}% (checker: {} violations)\n\
         baseline    : {:.1} km, {:.0} travel min, on time {:.1}% (sweep + nearest neighbour)\n\
         morning     : {} events, on time {:.1}% of {} due, {} not delivered; re-plan p50 {:.1} ms, p99 {:.1} ms\n\
         order       : {}\n\
         ordering    : ours waste {:.2}% fill {:.2}% cost {:.0}; last-week baseline waste {:.2}% fill {:.2}% cost {:.0}\n\
         run time    : {:.1} s",
        o.stops.len(),
        o.couriers.len(),
        o.config.seed,
        o.plan.unassigned.len(),
        km(d),
        minutes(t),
        on_time(&o.plan.rounds, o.stops.len()) * 100.0,
        o.check.violations.len(),
        km(bd),
        minutes(bt),
        on_time(&o.baseline, o.stops.len()) * 100.0,
        o.morning.rows.len(),
        o.morning.on_time_rate() * 100.0,
        o.morning.due(),
        o.morning.due().saturating_sub(o.morning.delivered()),
        j["timings"]["replan_latency_ms_p50"].as_f64().unwrap_or(0.0),
        j["timings"]["replan_latency_ms_p99"].as_f64().unwrap_or(0.0),
        o.ordering
            .products
            .iter()
            .map(|p| format!("{} {:.0}", p.product, p.quantity))
            .collect::<Vec<_>>()
            .join(", "),
        ours.waste_rate * 100.0,
        ours.fill_rate * 100.0,
        ours.cost,
        base.waste_rate * 100.0,
        base.fill_rate * 100.0,
        base.cost,
        o.timings.total_s
    )
}

/// Writes `report.json`, `report.md`, `map.svg`, `forecast.svg` and `routes.csv` into `dir`
/// (created if missing); returns the JSON written.
pub fn write_all(o: &DemoOutcome, dir: &Path) -> anyhow::Result<Value> {
    std::fs::create_dir_all(dir).with_context(|| format!("--out: creating {}", dir.display()))?;
    let j = json(o);
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
    };
    write("report.json", &serde_json::to_string_pretty(&j)?)?;
    write("report.md", &markdown(o, &j))?;
    write("map.svg", &o.map_svg)?;
    write("forecast.svg", &o.ordering.plot_svg)?;
    write("routes.csv", &routes_csv(o))?;
    Ok(j)
}
