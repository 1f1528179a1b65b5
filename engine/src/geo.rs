//! Geographic helpers: validated coordinates, great-circle distance, a local planar projection.

use crate::EngineError;

/// Mean Earth radius in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

impl LatLon {
    /// Checks the range of a coordinate; `index` names the stop in errors.
    pub fn checked(index: usize, lat: f64, lon: f64) -> Result<LatLon, EngineError> {
        if lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
        {
            Ok(LatLon { lat, lon })
        } else {
            Err(EngineError::CoordinateOutOfRange { index, lat, lon })
        }
    }
}

/// Great-circle distance in metres (haversine).
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Equirectangular projection around a reference latitude: metres east and north of (0, 0).
/// Accurate to well under 1% over a city-sized area, which is all snapping and ordering need.
#[derive(Debug, Clone, Copy)]
pub struct LocalProjection {
    cos_lat0: f64,
}

impl LocalProjection {
    /// A projection centred on the latitude `lat0`.
    pub fn new(lat0: f64) -> LocalProjection {
        LocalProjection {
            cos_lat0: lat0.to_radians().cos().max(1e-6),
        }
    }

    /// Projects a position to planar metres.
    pub fn project(&self, p: LatLon) -> [f64; 2] {
        let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        [p.lon * k * self.cos_lat0, p.lat * k]
    }
}
