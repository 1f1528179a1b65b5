//! SVG drawing of a road network with routes on it (with the OpenStreetMap attribution).

use std::fmt::Write;

use crate::geo::{LatLon, LocalProjection};
use crate::graph::{NodeId, RoadGraph};

/// The attribution printed on every picture of OSM data.
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors (ODbL)";

const ROUTE_COLOURS: [&str; 8] = [
    "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// Draws the graph's road segments in grey and each route as a coloured polyline; 1000 px wide.
pub fn render_svg(graph: &RoadGraph, routes: &[Vec<LatLon>]) -> String {
    let n = graph.num_nodes();
    let lat0 = if n == 0 {
        0.0
    } else {
        graph.lat.iter().sum::<f64>() / n as f64
    };
    let proj = LocalProjection::new(lat0);
    let pts: Vec<[f64; 2]> = (0..n)
        .map(|v| proj.project(graph.coord(NodeId(v as u32))))
        .collect();
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &pts {
        min_x = min_x.min(p[0]);
        max_x = max_x.max(p[0]);
        min_y = min_y.min(p[1]);
        max_y = max_y.max(p[1]);
    }
    if n == 0 {
        (min_x, min_y, max_x, max_y) = (0.0, 0.0, 1.0, 1.0);
    }
    let width = 1000.0;
    let scale = width / (max_x - min_x).max(1.0);
    let height = ((max_y - min_y) * scale).max(1.0);
    let to_px = |p: [f64; 2]| ((p[0] - min_x) * scale, (max_y - p[1]) * scale);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{:.0}" viewBox="0 0 {width:.0} {:.0}">"#,
        height + 24.0,
        height + 24.0
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = write!(
        s,
        r##"<path fill="none" stroke="#9a9a9a" stroke-width="0.6" d=""##
    );
    for u in 0..n {
        for e in graph.out_edges(NodeId(u as u32)) {
            let v = graph.head[e] as usize;
            if u < v
                || graph
                    .find_edge(NodeId(v as u32), NodeId(u as u32))
                    .is_none()
            {
                let (a, b) = (to_px(pts[u]), to_px(pts[v]));
                let _ = write!(s, "M{:.1} {:.1}L{:.1} {:.1}", a.0, a.1, b.0, b.1);
            }
        }
    }
    let _ = writeln!(s, r#""/>"#);
    for (i, route) in routes.iter().enumerate() {
        let colour = ROUTE_COLOURS[i % ROUTE_COLOURS.len()];
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round" points=""#
        );
        for p in route {
            let (x, y) = to_px(proj.project(*p));
            let _ = write!(s, "{x:.1},{y:.1} ");
        }
        let _ = writeln!(s, r#""/>"#);
    }
    let _ = writeln!(
        s,
        r##"<text x="{:.0}" y="{:.0}" font-family="sans-serif" font-size="12" text-anchor="end" fill="#333333">{OSM_ATTRIBUTION}</text>"##,
        width - 6.0,
        height + 18.0
    );
    s.push_str("</svg>\n");
    s
}
