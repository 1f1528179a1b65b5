//! Encoded polylines (Google's polyline algorithm format), as OSRM answers with
//! `geometries=polyline` (precision 5) and `geometries=polyline6` (precision 6).
//!
//! Each point is written latitude first, then longitude, each as the difference from the
//! previous point's value: the value times 10^precision rounded to an integer, shifted left
//! by one bit and inverted when negative, cut into 5-bit chunks from the lowest, each chunk
//! but the last or-ed with 0x20, and 63 added to make a printable character.

use milkrun_engine::LatLon;

/// How many decimal digits of a degree an encoded polyline keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 5 digits (about 1 m): OSRM's `polyline`.
    Five,
    /// 6 digits (about 0.1 m): OSRM's `polyline6`.
    Six,
}

impl Precision {
    fn factor(self) -> f64 {
        match self {
            Precision::Five => 1e5,
            Precision::Six => 1e6,
        }
    }
}

/// The encoded polyline of `points`. Coordinates are expected in range (|lat| <= 90,
/// |lon| <= 180, as every engine point is); a non-finite value is written as 0.
pub fn encode(points: &[LatLon], precision: Precision) -> String {
    let factor = precision.factor();
    let mut out = String::with_capacity(points.len().saturating_mul(8));
    let (mut prev_lat, mut prev_lon) = (0i64, 0i64);
    for p in points {
        let lat = scaled(p.lat, factor);
        let lon = scaled(p.lon, factor);
        push_value(&mut out, lat - prev_lat);
        push_value(&mut out, lon - prev_lon);
        (prev_lat, prev_lon) = (lat, lon);
    }
    out
}

/// `value * factor` rounded half away from zero; 0 when not finite. With |value| <= 180 and
/// a factor of at most 1e6 the result is far inside `i64`, so differences cannot overflow.
fn scaled(value: f64, factor: f64) -> i64 {
    let v = (value * factor).round();
    if v.is_finite() && v.abs() < 1e15 {
        v as i64
    } else {
        0
    }
}

fn push_value(out: &mut String, value: i64) {
    let mut v: u64 = if value < 0 {
        !((value as u64) << 1)
    } else {
        (value as u64) << 1
    };
    while v >= 0x20 {
        push_chunk(out, (0x20 | (v & 0x1f)) as u8);
        v >>= 5;
    }
    push_chunk(out, v as u8);
}

fn push_chunk(out: &mut String, chunk: u8) {
    // chunk <= 0x3f, so chunk + 63 <= 126: printable ASCII.
    out.push(char::from(chunk + 63));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pts(v: &[(f64, f64)]) -> Vec<LatLon> {
        v.iter().map(|&(lat, lon)| LatLon { lat, lon }).collect()
    }

    /// No points give the empty string; the origin gives two zero values ('?' = 0 + 63).
    #[test]
    fn empty_and_origin() {
        assert_eq!(encode(&[], Precision::Five), "");
        assert_eq!(encode(&pts(&[(0.0, 0.0)]), Precision::Five), "??");
    }

    /// Hand-computed: 1e-5 -> 1 -> 2 -> 'A'; -1e-5 -> -1 -> !(-2) = 1 -> '@'.
    #[test]
    fn single_units_precision_5() {
        assert_eq!(encode(&pts(&[(0.00001, -0.00001)]), Precision::Five), "A@");
    }

    /// Hand-computed at precision 6: lat 1 -> 'A'; lon -2 -> !(-4) = 3 -> 'B'.
    #[test]
    fn single_units_precision_6() {
        assert_eq!(encode(&pts(&[(0.000001, -0.000002)]), Precision::Six), "AB");
    }

    /// Hand-computed two-chunk value: 0.00016 -> 16 -> 32 = chunks [0 | 0x20, 1] ->
    /// '_' (95) then '@' (64); the second point repeats the first, so both deltas are 0.
    #[test]
    fn multi_chunk_and_deltas() {
        assert_eq!(
            encode(&pts(&[(0.00016, 0.0), (0.00016, 0.0)]), Precision::Five),
            "_@???"
        );
    }

    /// The worked example of the format's public description.
    #[test]
    fn published_example() {
        let line = pts(&[(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]);
        assert_eq!(
            encode(&line, Precision::Five),
            "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
        );
    }
}
