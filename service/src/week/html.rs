//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
//! for a person: the week's totals against the baselines, every day, the charts, the map,
//! settlement, stock, transfers, calendar activity, incidents, complaints, the company and
//! how each figure was measured. Every string from the report is escaped.
use std::fmt::Write as _;

use milkrun_sim::report::{Figures, PolicyWeek, WeekReport};

use super::text::{esc, money, num, pct};
use super::Chart;

const STYLE: &str =
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
h1{margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.6em 0;font-size:14px}\
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}\
tr.total td{font-weight:bold;background:#fafafa}\
.ok{background:#e6f4e6;border:2px solid #2c9f2c}.bad{background:#fbe4e4;border:2px solid #d62728}\
.banner{padding:.6em 1em;margin:1em 0;font-size:18px}\
figure{margin:1.2em 0}figcaption{font-size:14px;color:#555}\
svg{max-width:100%;height:auto}.muted{color:#666;font-size:14px}";

/// How a figure is shown.
#[derive(Clone, Copy)]
enum Kind {
    /// A whole count; differences in units.
    Count,
    /// A share, as a percentage; differences in percentage points.
    Share,
    /// A number with this many decimals.
    Number(usize),
}

/// The figures of the headline and per-day tables: name, kind, value.
type Row = (&'static str, Kind, fn(&Figures) -> f64);

const FIGURES: [Row; 13] = [
    ("orders", Kind::Count, |f| f.orders as f64),
    ("delivered", Kind::Count, |f| f.delivered as f64),
    ("failed at the door", Kind::Count, |f| f.failed as f64),
    ("made up", Kind::Count, |f| f.made_up as f64),
    ("compensated", Kind::Count, |f| f.compensated as f64),
    ("cancelled", Kind::Count, |f| f.cancelled as f64),
    ("unaccounted", Kind::Count, |f| f.unaccounted as f64),
    ("on-time rate", Kind::Share, |f| f.on_time_rate),
    ("km per delivery", Kind::Number(3), |f| f.km_per_delivery),
    ("minutes per delivery", Kind::Number(2), |f| {
        f.minutes_per_delivery
    }),
    ("deliveries per courier-hour", Kind::Number(2), |f| {
        f.deliveries_per_courier_hour
    }),
    ("waste rate", Kind::Share, |f| f.waste_rate),
    ("fill rate", Kind::Share, |f| f.fill_rate),
];

fn show(kind: Kind, v: f64) -> String {
    match kind {
        Kind::Count => num(v, 0),
        Kind::Share => pct(v),
        Kind::Number(d) => num(v, d),
    }
}

/// `a - b` with its sign, or an unsigned 0 when it rounds to nothing at the shown precision.
fn difference(kind: Kind, a: f64, b: f64) -> String {
    let d = a - b;
    if !d.is_finite() {
        return "–".into();
    }
    let (value, decimals, unit) = match kind {
        Kind::Count => (d, 0, ""),
        Kind::Share => (d * 100.0, 1, " pp"),
        Kind::Number(k) => (d, k, ""),
    };
    if (value * 10f64.powi(decimals as i32)).round() == 0.0 {
        format!("{:.decimals$}{unit}", 0.0)
    } else {
        format!("{value:+.decimals$}{unit}")
    }
}

fn station_name(report: &WeekReport, id: i64) -> String {
    report
        .company
        .stations
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| format!("#{id}"))
}

fn date_of_day(report: &WeekReport, i: usize) -> String {
    report
        .milkrun
        .per_day
        .get(i)
        .and_then(|d| d.date.clone())
        .unwrap_or_else(|| format!("day {}", i + 1))
}

/// Appends `<table>` with a header row and escaped cells; `total` marks the last row.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], total: bool) {
    out.push_str("<table><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr>\n");
    for (i, row) in rows.iter().enumerate() {
        if total && i + 1 == rows.len() {
            out.push_str("<tr class=\"total\">");
        } else {
            out.push_str("<tr>");
        }
        for cell in row {
            let _ = write!(out, "<td>{}</td>", esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn headline(out: &mut String, r: &WeekReport) {
    let rows: Vec<Vec<String>> = FIGURES
        .iter()
        .map(|&(name, kind, f)| {
            let (a, b) = (f(&r.milkrun.totals), f(&r.baseline.totals));
            vec![
                name.to_string(),
                show(kind, a),
                show(kind, b),
                difference(kind, a, b),
            ]
        })
        .collect();
    table(
        out,
        &["the week", "milkrun", "baseline", "difference"],
        &rows,
        false,
    );
}

fn per_day_table(out: &mut String, week: &PolicyWeek) {
    let mut header = vec!["date"];
    header.extend(FIGURES.iter().map(|f| f.0));
    let row = |label: String, day: &Figures| {
        let mut cells = vec![label];
        cells.extend(FIGURES.iter().map(|&(_, kind, f)| show(kind, f(day))));
        cells
    };
    let mut rows: Vec<Vec<String>> = week
        .per_day
        .iter()
        .enumerate()
        .map(|(i, d)| {
            row(
                d.date.clone().unwrap_or_else(|| format!("day {}", i + 1)),
                d,
            )
        })
        .collect();
    rows.push(row("week".into(), &week.totals));
    table(out, &header, &rows, true);
}

fn figure(out: &mut String, chart: &Chart) {
    // The SVG comes from plotters, which escapes the text it draws.
    let _ = writeln!(
        out,
        "<figure>{}<figcaption>{} (also <code>{}</code>)</figcaption></figure>",
        chart.svg,
        esc(&chart.title),
        esc(chart.file)
    );
}

fn unaccounted_banner(out: &mut String, r: &WeekReport) {
    let n = r.milkrun.totals.unaccounted;
    if n == 0 {
        let _ = writeln!(
            out,
            "<p class=\"banner ok\"><b>unaccounted = 0</b>: every one of the week's {} orders \
             ended delivered, failed with what became of it, or cancelled.</p>",
            r.milkrun.totals.orders
        );
    } else {
        let _ = writeln!(
            out,
            "<p class=\"banner bad\"><b>unaccounted = {n}</b>: {n} of the week's {} orders \
             ended a day with no outcome. This is an error, not a loss to accept.</p>",
            r.milkrun.totals.orders
        );
    }
}

fn settlement(out: &mut String, r: &WeekReport) {
    let rows: Vec<Vec<String>> = r
        .settlement
        .iter()
        .map(|c| {
            vec![
                format!("{} (#{})", c.name, c.courier),
                station_name(r, c.station),
                c.drops.to_string(),
                c.bottles.to_string(),
                money(c.pay_cents),
                pct(c.on_time_rate),
                num(c.km, 1),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("<p>No courier was settled.</p>\n");
    } else {
        table(
            out,
            &[
                "courier", "station", "drops", "bottles", "pay", "on time", "km",
            ],
            &rows,
            false,
        );
    }
}

fn stock(out: &mut String, r: &WeekReport) {
    let rows: Vec<Vec<String>> = r
        .stock
        .iter()
        .map(|s| {
            vec![
                s.date.clone(),
                station_name(r, s.station),
                format!("#{}", s.product),
                s.received.to_string(),
                s.delivered.to_string(),
                s.returned.to_string(),
                s.wasted.to_string(),
                s.on_hand.to_string(),
                s.ordered_for_tomorrow.to_string(),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("<p>No stock was recorded.</p>\n");
    } else {
        table(
            out,
            &[
                "date",
                "station",
                "product",
                "received",
                "delivered",
                "returned",
                "wasted",
                "on hand at close",
                "ordered for tomorrow",
            ],
            &rows,
            false,
        );
    }
}

fn transfers(out: &mut String, r: &WeekReport) {
    if r.transfers.is_empty() {
        out.push_str("<p>No transfer between stations was needed.</p>\n");
        return;
    }
    let rows: Vec<Vec<String>> = r
        .transfers
        .iter()
        .map(|t| {
            vec![
                t.date.clone(),
                format!("#{}", t.product),
                station_name(r, t.from),
                station_name(r, t.to),
                t.units.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &["date", "product", "from", "to", "units"],
        &rows,
        false,
    );
}

fn calendar(out: &mut String, r: &WeekReport) {
    let rows: Vec<Vec<String>> = r
        .calendar
        .iter()
        .enumerate()
        .map(|(i, c)| {
            vec![
                date_of_day(r, i),
                c.pauses.to_string(),
                c.skips.to_string(),
                c.swaps.to_string(),
                c.postpones.to_string(),
                c.quantity_changes.to_string(),
                c.extras.to_string(),
                c.refused_after_cutoff.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &[
            "date",
            "pauses",
            "skips",
            "swaps",
            "postponements",
            "quantity changes",
            "extras",
            "refused after the cut-off",
        ],
        &rows,
        false,
    );
}

fn incidents(out: &mut String, r: &WeekReport) {
    if r.incidents.is_empty() {
        out.push_str("<p>No incident.</p>\n");
        return;
    }
    let rows: Vec<Vec<String>> = r
        .incidents
        .iter()
        .map(|i| vec![i.date.clone(), i.kind.clone(), i.detail.clone()])
        .collect();
    table(out, &["date", "kind", "what happened"], &rows, false);
}

fn company(out: &mut String, r: &WeekReport) {
    let c = &r.company;
    let _ = writeln!(
        out,
        "<p>{} customers (one household each), {} subscriptions at the start, {} products in \
         {} packages, {} stations.</p>",
        c.customers,
        c.subscriptions,
        c.products,
        c.packages,
        c.stations.len()
    );
    let rows: Vec<Vec<String>> = c
        .stations
        .iter()
        .map(|s| {
            vec![
                format!("{} (#{})", s.name, s.id),
                num(s.lat, 5),
                num(s.lon, 5),
                s.couriers.to_string(),
                s.households.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &["station", "latitude", "longitude", "couriers", "households"],
        &rows,
        false,
    );
}

fn measured(out: &mut String, r: &WeekReport) {
    out.push_str(
        "<p>Every figure is counted from the store and from the routes the simulation rode. \
         An order is <i>delivered</i> when signed off at the door; <i>failed</i> when it \
         failed there, whatever became of it (<i>made up</i>: a same-day retry or a make-up \
         on a later delivery day; <i>compensated</i>: an extension, a coupon or points); \
         <i>cancelled</i> for want of stock, of a courier who could reach it, or by a late \
         cancellation; <i>unaccounted</i> when it ended a day with none of these, an error. \
         The <i>on-time rate</i> is the share of deliveries whose arrival lay inside the \
         window promised to the household the night before. Kilometres and courier minutes \
         (riding, waiting and serving) are divided by deliveries; deliveries per courier-hour \
         is the inverse of the minutes. The <i>waste rate</i> is units wasted (expired or \
         damaged) over units received at the stations; the <i>fill rate</i> is units the \
         stations could supply over units ordered. A week's rate is the rate of the week's \
         summed counts, not an average of daily rates; a rate with nothing to divide by is \
         shown as 0.</p>\n<p>The baseline runs the same simulated week (the same customers, \
         calendars, doors and incidents) with these policies:</p>\n<ul>\n",
    );
    for p in &r.baseline_policies {
        let _ = writeln!(out, "<li>{}</li>", esc(p));
    }
    out.push_str("</ul>\n");
}

fn timings(out: &mut String, r: &WeekReport) {
    let t = &r.timings;
    let per_day: Vec<String> = t.per_day_ms.iter().map(|ms| format!("{ms} ms")).collect();
    let _ = writeln!(
        out,
        "<p class=\"muted\">Wall-clock timings (the only part of the report that differs \
         between two runs with the same seed): setup {} ms; per day {}; in all {} ms.</p>",
        t.setup_ms,
        esc(&per_day.join(", ")),
        t.total_ms
    );
}

/// The page, with `charts` and `map` inlined.
pub fn page(report: &WeekReport, charts: &[Chart], map: &Chart) -> String {
    let r = report;
    let mut out =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>());
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>milkrun: a simulated week from {}</title><style>{STYLE}</style></head><body>",
        esc(&r.first_date)
    );
    let _ = writeln!(
        out,
        "<h1>milkrun: a simulated week</h1>\n<p>{} days from {} (seed {}): {} customers, {} \
         subscriptions, {} stations, run through the real day loop and store.</p>",
        r.milkrun.days,
        esc(&r.first_date),
        r.seed,
        r.company.customers,
        r.company.subscriptions,
        r.company.stations.len()
    );
    unaccounted_banner(&mut out, r);

    out.push_str("<h2>The week: milkrun against the baseline</h2>\n");
    headline(&mut out, r);

    out.push_str("<h2>Per day: milkrun</h2>\n");
    per_day_table(&mut out, &r.milkrun);
    out.push_str("<h2>Per day: baseline</h2>\n");
    per_day_table(&mut out, &r.baseline);

    out.push_str("<h2>Charts</h2>\n");
    for c in charts {
        figure(&mut out, c);
    }

    let _ = writeln!(out, "<h2>Map of {}</h2>", esc(&r.map.date));
    figure(&mut out, map);

    out.push_str("<h2>Settlement per courier</h2>\n");
    settlement(&mut out, r);
    out.push_str("<h2>Stock per station and day</h2>\n");
    stock(&mut out, r);
    out.push_str("<h2>Stock transfers</h2>\n");
    transfers(&mut out, r);
    out.push_str("<h2>Calendar activity</h2>\n");
    calendar(&mut out, r);
    out.push_str("<h2>Incidents</h2>\n");
    incidents(&mut out, r);
    out.push_str("<h2>Complaints and messages</h2>\n");
    let [filed, escalated, resolved] = r.complaints;
    let _ = writeln!(
        out,
        "<p>Complaints: {filed} filed, {escalated} escalated, {resolved} resolved. Outbox \
         messages written (arrival windows, renewals, remedies, alerts, promotions): {}.</p>",
        r.outbox_messages
    );
    if let Some(p) = &r.promotion {
        let share = |x: Option<f64>| x.map_or("n/a".to_string(), |v| format!("{:.1} %", 100.0 * v));
        let _ = writeln!(
            out,
            "<p>Promotion pushed on {} to the segment <em>{}</em> (product {} as an extra):              {} of {} told customers took it ({}), against {} of {} held out ({}); uplift {}.              Simulated take-up: {:.0} % when told, {:.0} % when not.</p>",
            esc(&p.pushed),
            esc(&p.segment),
            p.product,
            p.targeted_taken,
            p.targeted,
            share(p.conversion_rate),
            p.holdout_taken,
            p.holdout,
            share(p.holdout_rate),
            p.uplift
                .map_or("n/a".to_string(), |u| format!("{:+.1} pp", 100.0 * u)),
            100.0 * p.take_probability_told,
            100.0 * p.take_probability_untold
        );
    }
    out.push_str("<h2>The company</h2>\n");
    company(&mut out, r);
    out.push_str("<h2>How this was measured</h2>\n");
    measured(&mut out, r);
    timings(&mut out, r);
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Differences carry their sign and unit; one that rounds to nothing is a plain 0.
    #[test]
    fn differences() {
        assert_eq!(difference(Kind::Count, 10.0, 7.0), "+3");
        assert_eq!(difference(Kind::Count, 7.0, 7.0), "0");
        assert_eq!(difference(Kind::Share, 0.9, 0.95), "-5.0 pp");
        assert_eq!(difference(Kind::Share, 0.9, 0.90001), "0.0 pp");
        assert_eq!(difference(Kind::Number(3), 1.0, 1.0000001), "0.000");
        assert_eq!(difference(Kind::Number(2), f64::NAN, 1.0), "–");
    }
}
