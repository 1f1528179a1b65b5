//! The map of the report's day, drawn with plotters' SVG backend: zoomed to the households and
//! stations with a small margin, in an equirectangular projection whose x axis is scaled by
//! the cosine of the middle latitude so that a kilometre is as long east-west as north-south.
//! Roads are thin grey lines, each courier's ridden route a coloured line, households dots by
//! [`MapStatus`], stations large triangles with their names; a legend, a kilometre scale bar
//! and the OpenStreetMap attribution.
use milkrun_engine::svg::OSM_ATTRIBUTION;
use milkrun_sim::report::{MapStatus, WeekReport};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{self, Mark};
use super::{Chart, RenderError};

/// Kilometres per degree of latitude (and per projected degree of longitude): the mean
/// Earth radius, 6,371 km, times π/180.
pub const KM_PER_DEGREE: f64 = 6_371.0 * std::f64::consts::PI / 180.0;

/// Width of the map's drawing, pixels.
pub const WIDTH_PX: u32 = 900;
/// Room right of the drawing for the legend, pixels, and the longest label it holds.
const LEGEND_W: u32 = 200;
const LEGEND_CHARS: usize = 22;
/// Most couriers given a legend entry each; more share one entry.
const MAX_ROUTE_ENTRIES: usize = 12;
/// Blank border around the drawing, pixels.
const PAD_PX: u32 = 12;
/// The drawing's height is kept between these (pixels; the view widens to keep the scale).
const MIN_PLOT_H: f64 = 320.0;
const MAX_PLOT_H: f64 = 1_000.0;
/// Smallest span of the view, degrees (about 450 m), so one household still gets a map.
const MIN_SPAN_DEG: f64 = 0.004;
/// Margin around the households and stations, as a share of their span on each side.
const MARGIN: f64 = 0.06;

/// Equirectangular projection: `x = lon · cos(lat0)`, `y = lat`, degrees. With `cos_lat0` the
/// cosine of the view's middle latitude, one unit is [`KM_PER_DEGREE`] kilometres on both axes.
pub fn project(lat: f64, lon: f64, cos_lat0: f64) -> (f64, f64) {
    (lon * cos_lat0, lat)
}

/// The view of a map: the projection and the projected bounds, with the pixel size that
/// keeps one kilometre the same length on both axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Cosine of the middle latitude of the points fitted.
    pub cos_lat0: f64,
    /// Projected x range (west, east).
    pub x: (f64, f64),
    /// Projected y range (south, north).
    pub y: (f64, f64),
    /// Width of the drawing, pixels (without the border).
    pub plot_w: f64,
    /// Height of the drawing, pixels (without the border).
    pub plot_h: f64,
}

impl Frame {
    /// Fits `points` (`(lat, lon)`; non-finite or out-of-range ones are ignored) with a margin
    /// into a drawing `width_px` wide; `None` when no point is valid.
    pub fn fit(points: impl IntoIterator<Item = (f64, f64)>, width_px: u32) -> Option<Frame> {
        let valid: Vec<(f64, f64)> = points
            .into_iter()
            .filter(|&(lat, lon)| {
                lat.is_finite() && lon.is_finite() && lat.abs() <= 89.0 && lon.abs() <= 180.0
            })
            .collect();
        let (lat_lo, lat_hi) = min_max(valid.iter().map(|p| p.0))?;
        let cos_lat0 = ((lat_lo + lat_hi) / 2.0).to_radians().cos();
        let projected: Vec<(f64, f64)> = valid
            .iter()
            .map(|&(lat, lon)| project(lat, lon, cos_lat0))
            .collect();
        let (x_lo, x_hi) = min_max(projected.iter().map(|p| p.0))?;
        let (y_lo, y_hi) = min_max(projected.iter().map(|p| p.1))?;
        let mut dx = (x_hi - x_lo).max(MIN_SPAN_DEG) * (1.0 + 2.0 * MARGIN);
        let mut dy = (y_hi - y_lo).max(MIN_SPAN_DEG) * (1.0 + 2.0 * MARGIN);
        let plot_w = f64::from(width_px.saturating_sub(2 * PAD_PX).max(100));
        let plot_h = (plot_w * dy / dx).clamp(MIN_PLOT_H, MAX_PLOT_H);
        // Widen the shorter side so that a projected degree has as many pixels on both axes.
        if dy / dx > plot_h / plot_w {
            dx = dy * plot_w / plot_h;
        } else {
            dy = dx * plot_h / plot_w;
        }
        let (cx, cy) = ((x_lo + x_hi) / 2.0, (y_lo + y_hi) / 2.0);
        Some(Frame {
            cos_lat0,
            x: (cx - dx / 2.0, cx + dx / 2.0),
            y: (cy - dy / 2.0, cy + dy / 2.0),
            plot_w,
            plot_h,
        })
    }

    /// `(lat, lon)` in projected coordinates.
    pub fn project(&self, lat: f64, lon: f64) -> (f64, f64) {
        project(lat, lon, self.cos_lat0)
    }

    /// Kilometres per pixel along x and along y (equal by construction).
    pub fn km_per_px(&self) -> (f64, f64) {
        (
            (self.x.1 - self.x.0) * KM_PER_DEGREE / self.plot_w,
            (self.y.1 - self.y.0) * KM_PER_DEGREE / self.plot_h,
        )
    }

    /// The part of segment `a`–`b` (projected) inside the view (Liang–Barsky), if any.
    pub fn clip(&self, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.0 - self.x.0),
            (dx, self.x.1 - a.0),
            (-dy, a.1 - self.y.0),
            (dy, self.y.1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        (t0 <= t1).then_some((
            (a.0 + t0 * dx, a.1 + t0 * dy),
            (a.0 + t1 * dx, a.1 + t1 * dy),
        ))
    }

    /// A `[lat, lon]` polyline projected and cut to the view: the pieces inside it.
    pub fn clip_polyline(&self, line: &[[f64; 2]]) -> Vec<Vec<(f64, f64)>> {
        let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current: Vec<(f64, f64)> = Vec::new();
        let points: Vec<(f64, f64)> = line
            .iter()
            .filter(|p| p[0].is_finite() && p[1].is_finite())
            .map(|p| self.project(p[0], p[1]))
            .collect();
        for w in points.windows(2) {
            match self.clip(w[0], w[1]) {
                Some((a, b)) => {
                    if current.last() != Some(&a) {
                        if current.len() >= 2 {
                            pieces.push(std::mem::take(&mut current));
                        }
                        current.clear();
                        current.push(a);
                    }
                    current.push(b);
                }
                None => {
                    if current.len() >= 2 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current.clear();
                }
            }
        }
        if current.len() >= 2 {
            pieces.push(current);
        }
        pieces
    }
}

fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Every status, in drawing order (the rarest and most important on top), with its legend
/// name and colour.
pub const STATUSES: [(MapStatus, &str, RGBColor); 6] = [
    (MapStatus::NoOrder, "no order", RGBColor(190, 190, 190)),
    (MapStatus::Delivered, "delivered", RGBColor(44, 160, 44)),
    (MapStatus::MadeUp, "made up", RGBColor(31, 119, 180)),
    (MapStatus::Compensated, "compensated", RGBColor(255, 150, 0)),
    (MapStatus::Cancelled, "cancelled", RGBColor(120, 80, 160)),
    (MapStatus::Failed, "failed", RGBColor(214, 39, 40)),
];

/// A length for the scale bar: the longest "round" length at most a quarter of the view.
fn scale_bar_km(view_km: f64) -> f64 {
    const ROUND_KM: [f64; 13] = [
        0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 50.0, 100.0,
    ];
    ROUND_KM
        .iter()
        .rev()
        .copied()
        .find(|&k| k <= view_km / 4.0)
        .unwrap_or(ROUND_KM[0])
}

/// The map of `report.map` as SVG text.
pub fn map(report: &WeekReport) -> Result<Chart, RenderError> {
    let fail = |e: String| RenderError {
        chart: "map.svg",
        detail: e,
    };
    let data = &report.map;
    let stations = &report.company.stations;
    let frame = Frame::fit(
        data.households
            .iter()
            .map(|h| (h.lat, h.lon))
            .chain(stations.iter().map(|s| (s.lat, s.lon))),
        WIDTH_PX,
    );
    let title = format!("Households on {}", data.date);
    let mut svg = String::new();
    let Some(frame) = frame else {
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, 60)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
            root.draw(&Text::new(
                "no household or station to map",
                (20, 25),
                ("sans-serif", 15),
            ))
            .map_err(|e| fail(e.to_string()))?;
            root.present().map_err(|e| fail(e.to_string()))?;
        }
        return Ok(Chart {
            file: "map.svg",
            title,
            svg,
        });
    };
    let size = (
        frame.plot_w.round() as u32 + 2 * PAD_PX + LEGEND_W,
        frame.plot_h.round() as u32 + 2 * PAD_PX,
    );
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(PAD_PX)
            .margin_right(PAD_PX + LEGEND_W)
            .build_cartesian_2d(frame.x.0..frame.x.1, frame.y.0..frame.y.1)
            .map_err(|e| fail(e.to_string()))?;
        let e = |e: DrawingAreaErrorKind<_>| fail(e.to_string());

        // The view's border.
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(frame.x.0, frame.y.0), (frame.x.1, frame.y.1)],
                RGBColor(200, 200, 200).stroke_width(1),
            )))
            .map_err(e)?;

        // Roads.
        let road_style = RGBColor(205, 205, 205).stroke_width(1);
        let roads: Vec<Vec<(f64, f64)>> = data
            .roads
            .iter()
            .flat_map(|r| frame.clip_polyline(r))
            .collect();
        let mut entries: Vec<(String, Mark)> = Vec::new();
        if !roads.is_empty() {
            chart
                .draw_series(roads.into_iter().map(|p| PathElement::new(p, road_style)))
                .map_err(e)?;
            entries.push(("roads".into(), Mark::Line(RGBColor(205, 205, 205))));
        }

        // Routes, one colour per courier.
        for (k, (courier, line)) in data.routes.iter().enumerate() {
            let (r, g, b) = Palette99::pick(k).rgb();
            let style = RGBColor(r, g, b).mix(0.8).stroke_width(2);
            let pieces = frame.clip_polyline(line);
            chart
                .draw_series(pieces.into_iter().map(|p| PathElement::new(p, style)))
                .map_err(e)?;
            if data.routes.len() <= MAX_ROUTE_ENTRIES {
                entries.push((
                    format!("route of courier {courier}"),
                    Mark::Line(RGBColor(r, g, b)),
                ));
            }
        }

        if data.routes.len() > MAX_ROUTE_ENTRIES {
            entries.push((
                format!("routes of {} couriers", data.routes.len()),
                Mark::Line(RGBColor(31, 119, 180)),
            ));
        }

        // Households by status.
        for (status, name, color) in STATUSES {
            let points: Vec<(f64, f64)> = data
                .households
                .iter()
                .filter(|h| h.status == status && h.lat.is_finite() && h.lon.is_finite())
                .map(|h| frame.project(h.lat, h.lon))
                .collect();
            if points.is_empty() {
                continue;
            }
            let count = points.len();
            let radius = if status == MapStatus::NoOrder { 2 } else { 3 };
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(move |p| Circle::new(p, radius, color.filled())),
                )
                .map_err(e)?;
            entries.push((format!("{name} ({count})"), Mark::Dot(color)));
        }

        // Stations.
        let station_points: Vec<((f64, f64), &str)> = stations
            .iter()
            .filter(|s| s.lat.is_finite() && s.lon.is_finite())
            .map(|s| (frame.project(s.lat, s.lon), s.name.as_str()))
            .collect();
        if !station_points.is_empty() {
            chart
                .draw_series(station_points.iter().map(|&(p, name)| {
                    EmptyElement::at(p)
                        + TriangleMarker::new((0, 0), 11, BLACK.filled())
                        + Text::new(
                            name.to_string(),
                            (12, -4),
                            TextStyle::from(("sans-serif", 14).into_font())
                                .pos(Pos::new(HPos::Left, VPos::Center)),
                        )
                }))
                .map_err(e)?;
            entries.push(("station".into(), Mark::Triangle));
        }

        // Scale bar, bottom left.
        let view_km = (frame.x.1 - frame.x.0) * KM_PER_DEGREE;
        let bar_km = scale_bar_km(view_km);
        let bar_deg = bar_km / KM_PER_DEGREE;
        let x0 = frame.x.0 + (frame.x.1 - frame.x.0) * 0.03;
        let y0 = frame.y.0 + (frame.y.1 - frame.y.0) * 0.04;
        let tick = (frame.y.1 - frame.y.0) * 0.01;
        let bar = BLACK.stroke_width(2);
        chart
            .draw_series([
                PathElement::new(vec![(x0, y0), (x0 + bar_deg, y0)], bar),
                PathElement::new(vec![(x0, y0 - tick), (x0, y0 + tick)], bar),
                PathElement::new(
                    vec![(x0 + bar_deg, y0 - tick), (x0 + bar_deg, y0 + tick)],
                    bar,
                ),
            ])
            .map_err(e)?;
        let bar_label = if bar_km < 1.0 {
            format!("{:.0} m", bar_km * 1000.0)
        } else {
            format!("{bar_km} km")
        };
        chart
            .draw_series(std::iter::once(Text::new(
                bar_label,
                (x0, y0 + 2.0 * tick),
                TextStyle::from(("sans-serif", 13).into_font())
                    .pos(Pos::new(HPos::Left, VPos::Bottom)),
            )))
            .map_err(e)?;

        legend::draw(
            &root,
            ((PAD_PX as f64 + frame.plot_w) as i32 + 12, PAD_PX as i32),
            &entries,
            LEGEND_CHARS,
        )
        .map_err(fail)?;

        root.draw(&Text::new(
            OSM_ATTRIBUTION,
            (
                (PAD_PX as f64 + frame.plot_w) as i32 - 4,
                size.1 as i32 - PAD_PX as i32 - 4,
            ),
            TextStyle::from(("sans-serif", 11).into_font())
                .pos(Pos::new(HPos::Right, VPos::Bottom)),
        ))
        .map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(Chart {
        file: "map.svg",
        title,
        svg,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// At 60° north a degree of longitude is half a degree of latitude long: the projection
    /// halves x there, and leaves it unchanged on the equator.
    #[test]
    fn projection_scales_longitude_by_cos_latitude() {
        let cos60 = 60.0_f64.to_radians().cos();
        let (x, y) = project(60.0, 10.0, cos60);
        assert!((x - 5.0).abs() < 1e-9, "{x}");
        assert_eq!(y, 60.0);
        assert_eq!(project(0.0, 10.0, 1.0), (10.0, 0.0));
    }

    /// A fitted frame shows every point, takes its cosine from the middle latitude, and has
    /// the same kilometres per pixel on both axes, however tall or wide the points lie.
    #[test]
    fn fitted_frame_keeps_distances() {
        for points in [
            vec![(47.10, 9.50), (47.20, 9.55)], // tall
            vec![(47.10, 9.40), (47.12, 9.60)], // wide
            vec![(47.14, 9.52)],                // one point
            vec![(60.0, 10.0), (60.01, 10.01)], // far north
        ] {
            let f = Frame::fit(points.clone(), WIDTH_PX).unwrap();
            let mid = (points.iter().map(|p| p.0).fold(f64::MAX, f64::min)
                + points.iter().map(|p| p.0).fold(f64::MIN, f64::max))
                / 2.0;
            assert!((f.cos_lat0 - mid.to_radians().cos()).abs() < 1e-12);
            let (kx, ky) = f.km_per_px();
            assert!((kx - ky).abs() < 1e-9 * kx.max(ky), "{kx} {ky} {points:?}");
            for &(lat, lon) in &points {
                let (x, y) = f.project(lat, lon);
                assert!(f.x.0 < x && x < f.x.1 && f.y.0 < y && y < f.y.1);
            }
        }
        assert_eq!(Frame::fit([(f64::NAN, 9.5)], WIDTH_PX), None);
        assert_eq!(Frame::fit(Vec::new(), WIDTH_PX), None);
    }

    /// Segments are cut at the view's edge; those wholly outside disappear, and a polyline
    /// leaving and re-entering the view becomes two pieces.
    #[test]
    fn clipping_to_the_view() {
        let f = Frame {
            cos_lat0: 1.0,
            x: (0.0, 10.0),
            y: (0.0, 10.0),
            plot_w: 100.0,
            plot_h: 100.0,
        };
        assert_eq!(
            f.clip((-5.0, 5.0), (5.0, 5.0)),
            Some(((0.0, 5.0), (5.0, 5.0)))
        );
        assert_eq!(f.clip((-5.0, -5.0), (-1.0, 20.0)), None);
        let pieces = f.clip_polyline(&[
            [5.0, 2.0],
            [5.0, 8.0],
            [5.0, 20.0],
            [5.0, 30.0],
            [6.0, 9.0],
            [7.0, 9.0],
        ]);
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        assert_eq!(pieces[0], vec![(2.0, 5.0), (8.0, 5.0), (10.0, 5.0)]);
        assert_eq!(pieces[1].last(), Some(&(9.0, 7.0)));
        assert_eq!(scale_bar_km(10.0), 2.5);
        assert_eq!(scale_bar_km(0.1), 0.05);
    }
}
