//! Line simplification for OSRM's `overview=simplified`: Douglas–Peucker on a local planar
//! projection, keeping every point farther than [`SIMPLIFY_TOLERANCE_M`] from the chord of
//! the part it lies in. The first and last points are always kept.

use milkrun_engine::geo::LocalProjection;
use milkrun_engine::LatLon;

/// Largest distance, metres, by which the simplified line may stray from the full one.
pub const SIMPLIFY_TOLERANCE_M: f64 = 10.0;

/// The points of `line` that Douglas–Peucker keeps with `tolerance_m` (in order).
pub fn simplify(line: &[LatLon], tolerance_m: f64) -> Vec<LatLon> {
    if line.len() <= 2 {
        return line.to_vec();
    }
    let lat0 = line[0].lat;
    let proj = LocalProjection::new(lat0);
    let xy: Vec<[f64; 2]> = line.iter().map(|&p| proj.project(p)).collect();
    let mut keep = vec![false; line.len()];
    keep[0] = true;
    keep[line.len() - 1] = true;
    // An explicit stack of (first, last) parts, so a long line cannot overflow the call stack.
    let mut parts = vec![(0usize, line.len() - 1)];
    while let Some((a, b)) = parts.pop() {
        let mut far = (0.0f64, a);
        for (k, p) in xy.iter().enumerate().take(b).skip(a + 1) {
            let d = distance_to_segment(*p, xy[a], xy[b]);
            if d > far.0 {
                far = (d, k);
            }
        }
        if far.0 > tolerance_m {
            keep[far.1] = true;
            parts.push((a, far.1));
            parts.push((far.1, b));
        }
    }
    line.iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(&p, _)| p)
        .collect()
}

fn distance_to_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - qx).powi(2) + (p[1] - qy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    /// Points on a straight line collapse to its two ends; a corner 1 km off the chord stays.
    #[test]
    fn keeps_ends_and_corners() {
        let straight = [p(47.0, 9.5), p(47.001, 9.5), p(47.002, 9.5), p(47.003, 9.5)];
        assert_eq!(simplify(&straight, 10.0), vec![straight[0], straight[3]]);
        let corner = [p(47.0, 9.5), p(47.0, 9.52), p(47.01, 9.52)];
        assert_eq!(simplify(&corner, 10.0), corner.to_vec());
    }

    /// Lines of zero, one and two points come back unchanged.
    #[test]
    fn short_lines_unchanged() {
        assert!(simplify(&[], 10.0).is_empty());
        let two = [p(47.0, 9.5), p(47.1, 9.6)];
        assert_eq!(simplify(&two, 10.0), two.to_vec());
    }
}
