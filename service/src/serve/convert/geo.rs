//! Points, travel modes and snap limits.
use milkrun_engine::{check_access_speed, Access, LatLon, Profile, DEFAULT_MAX_SNAP_M};

use crate::serve::error::Violations;
use crate::serve::proto::v1 as pb;

/// Largest snap limit accepted, metres.
pub const MAX_SNAP_LIMIT_M: f64 = 50_000.0;

/// The network of a travel mode (unset: car). Unknown enum values are a violation.
pub fn profile(mode: i32, field: &str, v: &mut Violations) -> Profile {
    match pb::TravelMode::try_from(mode) {
        Ok(pb::TravelMode::Unspecified | pb::TravelMode::Car) => Profile::Car,
        Ok(pb::TravelMode::Bike) => Profile::Bike,
        Ok(pb::TravelMode::Foot) => Profile::Foot,
        Err(_) => {
            v.add(field, format!("unknown travel mode {mode}"));
            Profile::Car
        }
    }
}

/// How the ends of trips are counted: road only when asked for, otherwise door to door at
/// `speed_mps` (0: the profile's default); a speed that is not finite or outside 0.1..=50
/// m/s is a violation of `field`.
pub fn access(
    road_only: bool,
    speed_mps: f64,
    profile: Profile,
    field: &str,
    v: &mut Violations,
) -> Access {
    if road_only {
        return Access::RoadOnly;
    }
    if speed_mps == 0.0 {
        return Access::for_profile(profile);
    }
    match check_access_speed("access_speed_mps", speed_mps) {
        Ok(()) => Access::DoorToDoor { speed_mps },
        Err(_) => {
            v.add(
                field,
                format!("{speed_mps} is not a speed between 0.1 and 50 m/s"),
            );
            Access::for_profile(profile)
        }
    }
}

/// The snap limit (0: the default); must be finite, 0 or more and at most
/// [`MAX_SNAP_LIMIT_M`].
pub fn snap_limit(max_snap_m: f64, field: &str, v: &mut Violations) -> f64 {
    if max_snap_m == 0.0 {
        DEFAULT_MAX_SNAP_M
    } else if max_snap_m.is_finite() && max_snap_m > 0.0 && max_snap_m <= MAX_SNAP_LIMIT_M {
        max_snap_m
    } else {
        v.add(
            field,
            format!("{max_snap_m} is not a distance in (0, {MAX_SNAP_LIMIT_M}] metres"),
        );
        DEFAULT_MAX_SNAP_M
    }
}

/// A checked coordinate (finite, in range); `None` (with a violation) otherwise or if unset.
pub fn point(p: Option<&pb::LatLng>, field: &str, v: &mut Violations) -> Option<LatLon> {
    let Some(p) = p else {
        v.add(field, "required");
        return None;
    };
    let mut ok = true;
    if !(p.latitude.is_finite() && (-90.0..=90.0).contains(&p.latitude)) {
        v.add(
            format!("{field}.latitude"),
            format!("{} is not a latitude in [-90, 90]", p.latitude),
        );
        ok = false;
    }
    if !(p.longitude.is_finite() && (-180.0..=180.0).contains(&p.longitude)) {
        v.add(
            format!("{field}.longitude"),
            format!("{} is not a longitude in [-180, 180]", p.longitude),
        );
        ok = false;
    }
    ok.then_some(LatLon {
        lat: p.latitude,
        lon: p.longitude,
    })
}

/// Checked coordinates of a list field (`origins[3]`); `None` if any is bad.
pub fn points(list: &[pb::LatLng], field: &str, v: &mut Violations) -> Option<Vec<LatLon>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        if v.is_full() {
            return None;
        }
        if let Some(q) = point(Some(p), &format!("{field}[{i}]"), v) {
            out.push(q);
        }
    }
    (out.len() == list.len()).then_some(out)
}

/// A library coordinate as a message.
pub fn lat_lng(p: LatLon) -> pb::LatLng {
    pb::LatLng {
        latitude: p.lat,
        longitude: p.lon,
    }
}
