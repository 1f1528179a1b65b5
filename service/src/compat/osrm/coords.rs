//! The coordinates path segment of an OSRM URL: `lon,lat;lon,lat;...`.

use milkrun_engine::LatLon;

use super::error::OsrmError;

/// Parses `lon,lat;lon,lat;...` (the path segment as routed, already percent-decoded, as
/// axum's `Path` gives it) into points (OSRM order: longitude first). The number of
/// coordinates is counted before anything is allocated: more than `max` is
/// [`OsrmError::TooBig`], fewer than `min` is `InvalidOptions`. A part that is not two
/// numbers is `InvalidQuery`; a number out of range (|lat| > 90, |lon| > 180, NaN, inf) is
/// `InvalidValue` naming `coordinates[i]`. `polyline(...)` coordinates are `NotImplemented`.
pub fn parse_coordinates(path: &str, min: usize, max: usize) -> Result<Vec<LatLon>, OsrmError> {
    if path.starts_with("polyline") {
        return Err(OsrmError::NotImplemented {
            param: "coordinates",
            reason: "polyline(...) coordinates are not supported; send lon,lat;lon,lat",
        });
    }
    let count = if path.is_empty() {
        0
    } else {
        path.bytes().filter(|&b| b == b';').count() + 1
    };
    if count > max {
        return Err(OsrmError::TooBig {
            what: "coordinates",
            count,
            max,
        });
    }
    if count < min {
        return Err(OsrmError::option(
            "coordinates",
            format!("{count} given, at least {min} needed"),
        ));
    }
    path.split(';')
        .enumerate()
        .map(|(i, part)| parse_one(i, part))
        .collect()
}

fn parse_one(i: usize, part: &str) -> Result<LatLon, OsrmError> {
    let bad = |reason: &str| OsrmError::BadCoordinates {
        reason: format!("coordinates[{i}] `{}`: {reason}", clip(part)),
    };
    let (lon, lat) = part
        .split_once(',')
        .ok_or_else(|| bad("expected `lon,lat`"))?;
    let lon: f64 = lon.parse().map_err(|_| bad("longitude is not a number"))?;
    let lat: f64 = lat.parse().map_err(|_| bad("latitude is not a number"))?;
    LatLon::checked(i, lat, lon).map_err(|_| OsrmError::BadValue {
        field: format!("coordinates[{i}]"),
        reason: format!(
            "({}) is not a longitude in [-180, 180] and a latitude in [-90, 90]",
            clip(part)
        ),
    })
}

/// At most 40 characters of user input in a message.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::compat::osrm::OsrmCode;

    /// Longitude comes first in the URL and lands in `lon`.
    #[test]
    fn parses_lon_lat_pairs() {
        let c = parse_coordinates("9.52,47.14;9.5,47.2", 1, 10).unwrap();
        assert_eq!(
            c,
            vec![
                LatLon {
                    lat: 47.14,
                    lon: 9.52
                },
                LatLon {
                    lat: 47.2,
                    lon: 9.5
                }
            ]
        );
    }

    /// Each malformed segment gets its OSRM code and names the coordinate.
    #[test]
    fn refuses_bad_coordinates() {
        for (path, code, name) in [
            ("9.5;47.1", OsrmCode::InvalidQuery, "coordinates[0]"),
            ("9.5,47.1;x,47", OsrmCode::InvalidQuery, "coordinates[1]"),
            ("9.5,47.1;9.5,", OsrmCode::InvalidQuery, "coordinates[1]"),
            ("9.5,47.1;9.5,91", OsrmCode::InvalidValue, "coordinates[1]"),
            ("NaN,47.1", OsrmCode::InvalidValue, "coordinates[0]"),
            ("9.5,inf", OsrmCode::InvalidValue, "coordinates[0]"),
            ("200,47.1", OsrmCode::InvalidValue, "coordinates[0]"),
            ("polyline(abc)", OsrmCode::NotImplemented, "coordinates"),
        ] {
            let e = parse_coordinates(path, 1, 10).unwrap_err();
            assert_eq!(e.code(), code, "{path}: {e}");
            assert!(e.to_string().contains(name), "{path}: {e}");
        }
    }

    /// Too many coordinates is `TooBig` (counted before parsing any); too few is
    /// `InvalidOptions`.
    #[test]
    fn bounds_the_count() {
        let many = ["9.5,47.1"; 11].join(";");
        assert_eq!(
            parse_coordinates(&many, 1, 10).unwrap_err().code(),
            OsrmCode::TooBig
        );
        assert_eq!(
            parse_coordinates("9.5,47.1", 2, 10).unwrap_err().code(),
            OsrmCode::InvalidOptions
        );
        assert_eq!(
            parse_coordinates("", 1, 10).unwrap_err().code(),
            OsrmCode::InvalidOptions
        );
    }
}
