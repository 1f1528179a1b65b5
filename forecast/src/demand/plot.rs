//! A forecast plot as an SVG string: the recent history, the mean path and the 80% and 95%
//! bands (from the levels 0.1/0.9 and 0.025/0.975 when configured).
use super::series::Series;
use super::Forecast;
use std::fmt::Write;

fn band(f: &Forecast, lo: f64) -> Option<(usize, usize)> {
    let a = f.levels.iter().position(|l| (l - lo).abs() < 1e-9)?;
    let b = f
        .levels
        .iter()
        .position(|l| (l - (1.0 - lo)).abs() < 1e-9)?;
    Some((a, b))
}

/// Renders `history` last values of the series and the forecast as a 800x300 SVG.
pub fn svg_plot(series: &Series, forecast: &Forecast, history: usize) -> String {
    let (w, h, pad) = (800.0, 300.0, 40.0);
    let y = series.values();
    let hist = &y[y.len().saturating_sub(history)..];
    let n = hist.len() + forecast.mean.len();
    let mut max = hist.iter().copied().fold(0.0_f64, f64::max);
    for row in &forecast.quantiles {
        max = row.iter().copied().fold(max, f64::max);
    }
    max = forecast.mean.iter().copied().fold(max, f64::max).max(1e-9);
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n.max(2) - 1) as f64;
    let yy = |v: f64| h - pad - (h - 2.0 * pad) * v / max;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    let _ = write!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = write!(
        s,
        r#"<text x="{pad}" y="20" font-family="sans-serif" font-size="14">{} ({}) max {max:.1}</text>"#,
        xml_escape(series.id()),
        forecast.model
    );
    let off = hist.len();
    for (lo, color) in [(0.025, "#c6dbef"), (0.1, "#6baed6")] {
        if let Some((a, b)) = band(forecast, lo) {
            let mut pts = String::new();
            for (j, r) in forecast.quantiles.iter().enumerate() {
                let _ = write!(pts, "{:.1},{:.1} ", x(off + j), yy(r[b]));
            }
            for (j, r) in forecast.quantiles.iter().enumerate().rev() {
                let _ = write!(pts, "{:.1},{:.1} ", x(off + j), yy(r[a]));
            }
            let _ = write!(
                s,
                r#"<polygon points="{pts}" fill="{color}" stroke="none"/>"#
            );
        }
    }
    let line = |vals: &mut dyn Iterator<Item = (usize, f64)>| {
        vals.map(|(i, v)| format!("{:.1},{:.1}", x(i), yy(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let hp = line(&mut hist.iter().copied().enumerate());
    let fp = line(
        &mut forecast
            .mean
            .iter()
            .copied()
            .enumerate()
            .map(|(j, v)| (off + j, v)),
    );
    let _ = write!(
        s,
        r#"<polyline points="{hp}" fill="none" stroke="black" stroke-width="1.5"/>"#
    );
    let _ = write!(
        s,
        r##"<polyline points="{fp}" fill="none" stroke="#08519c" stroke-width="2"/>"##
    );
    let _ = write!(
        s,
        r##"<line x1="{pad}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/></svg>"##,
        b = h - pad,
        r = w - pad
    );
    s
}

fn xml_escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG file name of a series' plot: the id with every character other than an ASCII letter,
/// digit or `-` replaced by `_` (at most 64 of them), then `-` and a 64-bit FNV-1a hash of the
/// id's UTF-8 bytes in hex, then `.svg`. Ids that sanitize alike (`lait-é`, `lait-è`) still get
/// different names, and a name does not change between runs or platforms.
pub fn file_name(id: &str) -> String {
    let readable: String = id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{readable}-{hash:016x}.svg")
}
