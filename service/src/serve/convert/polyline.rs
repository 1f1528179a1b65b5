//! The encoded polyline format (precision 5: coordinates rounded to 1e-5 degrees, each
//! delta zig-zag encoded in 5-bit chunks offset by 63).
use milkrun_engine::LatLon;

fn push_value(out: &mut String, value: i64) {
    let mut v = if value < 0 { !(value << 1) } else { value << 1 };
    while v >= 0x20 {
        let chunk = ((v & 0x1f) | 0x20) as u8 + 63;
        out.push(char::from(chunk));
        v >>= 5;
    }
    out.push(char::from(v as u8 + 63));
}

/// Encodes points as a polyline string.
pub fn encode(points: &[LatLon]) -> String {
    let mut out = String::with_capacity(points.len() * 8);
    let (mut last_lat, mut last_lon) = (0i64, 0i64);
    for p in points {
        let lat = (p.lat * 1e5).round() as i64;
        let lon = (p.lon * 1e5).round() as i64;
        push_value(&mut out, lat - last_lat);
        push_value(&mut out, lon - last_lon);
        (last_lat, last_lon) = (lat, lon);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The format's published example: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453).
    #[test]
    fn encodes_the_reference_example() {
        let pts = [
            LatLon {
                lat: 38.5,
                lon: -120.2,
            },
            LatLon {
                lat: 40.7,
                lon: -120.95,
            },
            LatLon {
                lat: 43.252,
                lon: -126.453,
            },
        ];
        assert_eq!(encode(&pts), "_p~iF~ps|U_ulLnnqC_mqNvxq`@");
    }
}
