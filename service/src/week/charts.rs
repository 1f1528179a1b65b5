//! The week's charts, drawn with plotters' SVG backend: one SVG text per chart, each with a
//! caption, dated x axis (`Mon 02`), labelled y axis and a legend. Pure functions of the
//! report; [`super::write_all`] writes them to files and into the page.
use milkrun_sim::report::{Figures, WeekReport};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::{self, Mark};
use super::text::day_label;
use super::{Chart, RenderError};

/// Width and height of a chart, pixels.
const SIZE: (u32, u32) = (1000, 380);
/// Most date labels on an x axis (longer runs label every k-th day).
const MAX_X_LABELS: usize = 12;
/// Room right of each plot for its legend, pixels, and the longest label it holds.
const LEGEND_W: u32 = 150;
const LEGEND_CHARS: usize = 14;

const MILKRUN: RGBColor = RGBColor(31, 119, 180);
const BASELINE: RGBColor = RGBColor(230, 120, 20);

/// One line of a panel.
struct Line {
    label: String,
    /// One value per day; non-finite values are left out.
    values: Vec<f64>,
    color: RGBColor,
    dashed: bool,
}

/// How a panel's y axis reads.
#[derive(Clone, Copy, PartialEq)]
enum Scale {
    /// Whole counts from 0.
    Count,
    /// A number with decimals from 0.
    Number,
    /// A share, shown as a percentage, from 0 to 105 %.
    Share,
    /// A share, shown as a percentage, from 0 to a little above the largest value (for
    /// small shares such as waste, which a 0-100 % axis would flatten).
    SmallShare,
}

/// A chart panel: a caption, a y axis and its lines over the days.
struct Panel {
    caption: String,
    y_desc: &'static str,
    scale: Scale,
    lines: Vec<Line>,
}

fn line(label: &str, values: Vec<f64>, color: RGBColor, dashed: bool) -> Line {
    Line {
        label: label.to_string(),
        values,
        color,
        dashed,
    }
}

fn per_day(days: &[Figures], f: impl Fn(&Figures) -> f64) -> Vec<f64> {
    days.iter().map(f).collect()
}

/// The dates of the run (milkrun's days), as the x axis.
fn dates(report: &WeekReport) -> Vec<String> {
    report
        .milkrun
        .per_day
        .iter()
        .enumerate()
        .map(|(i, d)| d.date.clone().unwrap_or_else(|| format!("day {}", i + 1)))
        .collect()
}

/// The upper end of a panel's y axis.
fn y_top(panel: &Panel) -> f64 {
    let max = panel
        .lines
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    match panel.scale {
        Scale::Share => 1.05,
        Scale::SmallShare => (max * 1.2).clamp(0.01, 1.05),
        Scale::Count => (max * 1.15).max(1.0),
        Scale::Number => {
            if max > 0.0 {
                max * 1.15
            } else {
                1.0
            }
        }
    }
}

/// Draws one panel on `area`: dated x axis, y axis, lines with points, legend.
fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    dates: &[String],
    panel: &Panel,
) -> Result<(), String> {
    let n = dates.len().max(1);
    // Plotters puts at most this many labels at round values: whole days here, since the
    // axis spans n days and labels non-integer positions with nothing.
    let x_labels = n.min(MAX_X_LABELS);
    let x_range = -0.5_f64..(n as f64 - 0.5);
    let top = y_top(panel);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, ("sans-serif", 17))
        .margin(12)
        .margin_right(LEGEND_W)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, 0.0..top)
        .map_err(|e| e.to_string())?;
    let x_fmt = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < dates.len() {
            day_label(&dates[i as usize])
        } else {
            String::new()
        }
    };
    let scale = panel.scale;
    let y_fmt = move |y: &f64| match scale {
        Scale::Count => format!("{y:.0}"),
        Scale::Number => format!("{y:.2}"),
        Scale::Share => format!("{:.0}%", y * 100.0),
        Scale::SmallShare => format!("{:.1}%", y * 100.0),
    };
    chart
        .configure_mesh()
        .x_desc("day")
        .x_labels(x_labels)
        .y_desc(panel.y_desc)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(|e| e.to_string())?;
    for l in &panel.lines {
        let points: Vec<(f64, f64)> = l
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (i as f64, v))
            .collect();
        let style = l.color.stroke_width(2);
        if l.dashed {
            chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))
        } else {
            chart.draw_series(LineSeries::new(points.clone(), style))
        }
        .map_err(|e| e.to_string())?;
        let color = l.color;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(|e| e.to_string())?;
    }
    // The legend stands right of the plot, where it hides no line.
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let base = area.get_base_pixel();
    let entries: Vec<(String, Mark)> = panel
        .lines
        .iter()
        .map(|l| {
            let mark = if l.dashed {
                Mark::Dashed(l.color)
            } else {
                Mark::Line(l.color)
            };
            (l.label.clone(), mark)
        })
        .collect();
    legend::draw(
        area,
        (xs.end - base.0 + 10, ys.start - base.1),
        &entries,
        LEGEND_CHARS,
    )
}

/// Draws `panels` side by side into one SVG of `size`.
fn render(
    file: &'static str,
    title: &str,
    dates: &[String],
    panels: &[Panel],
    size: (u32, u32),
) -> Result<Chart, RenderError> {
    let fail = |detail: String| RenderError {
        chart: file,
        detail,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        let areas = root.split_evenly((1, panels.len().max(1)));
        for (area, panel) in areas.iter().zip(panels) {
            draw_panel(area, dates, panel).map_err(fail)?;
        }
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(Chart {
        file,
        title: title.to_string(),
        svg,
    })
}

/// Orders, delivered, failed and cancelled per day (milkrun).
pub fn orders(report: &WeekReport) -> Result<Chart, RenderError> {
    let d = &report.milkrun.per_day;
    let count = |f: fn(&Figures) -> u64| per_day(d, |x| f(x) as f64);
    let panel = Panel {
        caption: "Orders and their outcomes per day (milkrun)".into(),
        y_desc: "orders",
        scale: Scale::Count,
        lines: vec![
            line("orders", count(|x| x.orders), RGBColor(60, 60, 60), false),
            line(
                "delivered",
                count(|x| x.delivered),
                RGBColor(44, 160, 44),
                false,
            ),
            line("failed", count(|x| x.failed), RGBColor(214, 39, 40), false),
            line(
                "cancelled",
                count(|x| x.cancelled),
                RGBColor(148, 103, 189),
                false,
            ),
        ],
    };
    render(
        "orders.svg",
        "Orders per day",
        &dates(report),
        &[panel],
        SIZE,
    )
}

/// A milkrun-versus-baseline panel of one figure.
fn versus(
    report: &WeekReport,
    caption: &str,
    y_desc: &'static str,
    scale: Scale,
    f: fn(&Figures) -> f64,
) -> Panel {
    Panel {
        caption: caption.into(),
        y_desc,
        scale,
        lines: vec![
            line(
                "milkrun",
                per_day(&report.milkrun.per_day, f),
                MILKRUN,
                false,
            ),
            line(
                "baseline",
                per_day(&report.baseline.per_day, f),
                BASELINE,
                true,
            ),
        ],
    }
}

/// On-time rate (deliveries inside the promised window) per day, milkrun against baseline.
pub fn on_time(report: &WeekReport) -> Result<Chart, RenderError> {
    let panel = versus(
        report,
        "On-time rate per day: milkrun vs baseline",
        "deliveries in the promised window",
        Scale::Share,
        |x| x.on_time_rate,
    );
    render(
        "on_time.svg",
        "On-time rate",
        &dates(report),
        &[panel],
        SIZE,
    )
}

/// Kilometres ridden per delivery per day, milkrun against baseline.
pub fn km_per_delivery(report: &WeekReport) -> Result<Chart, RenderError> {
    let panel = versus(
        report,
        "Kilometres per delivery per day: milkrun vs baseline",
        "km per delivery",
        Scale::Number,
        |x| x.km_per_delivery,
    );
    render(
        "km_per_delivery.svg",
        "Kilometres per delivery",
        &dates(report),
        &[panel],
        SIZE,
    )
}

/// Waste rate and fill rate per day, milkrun against baseline, as two panels.
pub fn waste_fill(report: &WeekReport) -> Result<Chart, RenderError> {
    let waste = versus(
        report,
        "Waste rate per day",
        "units wasted / received",
        Scale::SmallShare,
        |x| x.waste_rate,
    );
    let fill = versus(
        report,
        "Fill rate per day",
        "units supplied / demanded",
        Scale::Share,
        |x| x.fill_rate,
    );
    render(
        "waste_fill.svg",
        "Waste and fill rate",
        &dates(report),
        &[waste, fill],
        (SIZE.0 + 300, SIZE.1),
    )
}

/// Stock on hand at close per station per day (all products together).
pub fn stock(report: &WeekReport) -> Result<Chart, RenderError> {
    let dates = dates(report);
    let lines = report
        .company
        .stations
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let values = dates
                .iter()
                .map(|date| {
                    report
                        .stock
                        .iter()
                        .filter(|r| r.station == s.id && &r.date == date)
                        .fold(0u64, |a, r| a.saturating_add(r.on_hand)) as f64
                })
                .collect();
            let (r, g, b) = Palette99::pick(k).rgb();
            line(&s.name, values, RGBColor(r, g, b), false)
        })
        .collect();
    let panel = Panel {
        caption: "Stock on hand at close per station".into(),
        y_desc: "units on hand",
        scale: Scale::Count,
        lines,
    };
    render("stock.svg", "Stock on hand", &dates, &[panel], SIZE)
}

/// Every chart of the report, in the page's order.
pub fn all(report: &WeekReport) -> Result<Vec<Chart>, RenderError> {
    Ok(vec![
        orders(report)?,
        on_time(report)?,
        km_per_delivery(report)?,
        waste_fill(report)?,
        stock(report)?,
    ])
}
