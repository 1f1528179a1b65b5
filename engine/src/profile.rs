//! Travel profiles: which OSM ways a vehicle may use, in which directions and how fast.
//!
//! The rules are plain functions of a way's tags, so they are tested without any file.

/// A mode of travel with its own road graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Car or delivery van: public motor roads, one-ways, speeds from `maxspeed` or class defaults.
    Car,
    /// Bicycle or e-trike (20 km/h cruising): no motorways/trunks, cycleways and tracks allowed,
    /// one-ways unless `oneway:bicycle=no` or a contra-flow cycleway.
    Bike,
    /// On foot (5 km/h): everything except motorways/trunks; no one-ways.
    Foot,
}

impl Profile {
    /// The profile's lower-case name (`car`, `bike`, `foot`).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Car => "car",
            Profile::Bike => "bike",
            Profile::Foot => "foot",
        }
    }

    /// The profile's code in prepared-graph files.
    pub(crate) fn code(self) -> u8 {
        match self {
            Profile::Car => 0,
            Profile::Bike => 1,
            Profile::Foot => 2,
        }
    }

    /// The profile of a file code.
    pub(crate) fn from_code(code: u8) -> Option<Profile> {
        match code {
            0 => Some(Profile::Car),
            1 => Some(Profile::Bike),
            2 => Some(Profile::Foot),
            _ => None,
        }
    }
}

/// How a profile may use one way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WayRule {
    /// May travel in the way's node order.
    pub forward: bool,
    /// May travel against the way's node order.
    pub backward: bool,
    /// Travel speed in km/h.
    pub speed_kmh: f64,
}

/// Default car speed (km/h) per highway class; classes not listed are not for cars.
fn car_class_kmh(highway: &str) -> Option<f64> {
    Some(match highway {
        "motorway" => 100.0,
        "motorway_link" => 50.0,
        "trunk" => 85.0,
        "trunk_link" => 40.0,
        "primary" => 65.0,
        "primary_link" => 30.0,
        "secondary" => 55.0,
        "secondary_link" => 25.0,
        "tertiary" => 40.0,
        "tertiary_link" => 20.0,
        "unclassified" => 30.0,
        "residential" => 25.0,
        "living_street" => 10.0,
        "service" => 15.0,
        _ => return None,
    })
}

/// E-trike cruising speed (km/h) per highway class; classes not listed are not for bikes
/// (footways and pedestrian areas need an explicit `bicycle=yes|designated`).
fn bike_class_kmh(highway: &str) -> Option<f64> {
    Some(match highway {
        "primary" | "primary_link" | "secondary" | "secondary_link" | "tertiary"
        | "tertiary_link" => 20.0,
        "unclassified" | "residential" | "cycleway" => 20.0,
        "living_street" | "service" => 15.0,
        "track" | "path" | "bridleway" => 12.0,
        _ => return None,
    })
}

/// Walking speed (km/h) per highway class; classes not listed are not for pedestrians.
fn foot_class_kmh(highway: &str) -> Option<f64> {
    Some(match highway {
        "motorway" | "motorway_link" | "trunk" | "trunk_link" => return None,
        "steps" => 2.5,
        "primary" | "primary_link" | "secondary" | "secondary_link" | "tertiary"
        | "tertiary_link" | "unclassified" | "residential" | "living_street" | "service"
        | "track" | "path" | "footway" | "pedestrian" | "cycleway" | "bridleway" => 5.0,
        _ => return None,
    })
}

const BLOCKING: &[&str] = &[
    "no",
    "private",
    "agricultural",
    "forestry",
    "emergency",
    "psv",
    "delivery",
    "military",
];
const ALLOWING: &[&str] = &[
    "yes",
    "designated",
    "permissive",
    "destination",
    "customers",
];

/// Access decision from the most specific access key present: `Some(true)` allowed,
/// `Some(false)` blocked, `None` no key present.
fn access<'a>(tag: &dyn Fn(&str) -> Option<&'a str>, keys: &[&str]) -> Option<bool> {
    for key in keys {
        if let Some(v) = tag(key) {
            if BLOCKING.contains(&v) {
                return Some(false);
            }
            if ALLOWING.contains(&v) {
                return Some(true);
            }
        }
    }
    None
}

/// Parses an OSM `maxspeed` value into km/h (`50`, `30 mph`, `CH:urban`, `walk`).
pub fn parse_maxspeed_kmh(value: &str) -> Option<f64> {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    if lower.ends_with(":urban") {
        return Some(50.0);
    }
    if lower.ends_with(":rural") {
        return Some(80.0);
    }
    if lower.ends_with(":living_street") || lower == "walk" {
        return Some(7.0);
    }
    if lower.ends_with(":motorway") {
        return Some(120.0);
    }
    let (num, factor) = match lower.strip_suffix("mph") {
        Some(rest) => (rest.trim(), 1.609_344),
        None => (lower.strip_suffix("km/h").unwrap_or(&lower).trim(), 1.0),
    };
    let kmh = num.parse::<f64>().ok()? * factor;
    (kmh.is_finite() && kmh > 0.0 && kmh < 300.0).then_some(kmh)
}

/// One-way direction from tags: `(forward, backward)` allowed for vehicles that obey one-ways.
fn oneway_dirs<'a>(
    tag: &dyn Fn(&str) -> Option<&'a str>,
    highway: &str,
    key: &str,
) -> (bool, bool) {
    match tag(key) {
        Some("yes" | "1" | "true") => (true, false),
        Some("-1" | "reverse") => (false, true),
        Some("no" | "0" | "false") => (true, true),
        _ => {
            let implied = highway == "motorway"
                || highway == "motorway_link"
                || matches!(tag("junction"), Some("roundabout" | "circular"));
            (true, !implied)
        }
    }
}

/// How `profile` may use a way with the given tag lookup, or `None` if it may not.
pub fn way_rule<'a>(profile: Profile, tag: &dyn Fn(&str) -> Option<&'a str>) -> Option<WayRule> {
    let highway = tag("highway")?;
    if matches!(tag("area"), Some("yes")) {
        return None;
    }
    match profile {
        Profile::Car => {
            let class_kmh = car_class_kmh(highway)?;
            if access(tag, &["motorcar", "motor_vehicle", "vehicle", "access"]) == Some(false) {
                return None;
            }
            let speed = tag("maxspeed")
                .and_then(parse_maxspeed_kmh)
                .unwrap_or(class_kmh);
            let (forward, backward) = oneway_dirs(tag, highway, "oneway");
            Some(WayRule {
                forward,
                backward,
                speed_kmh: speed,
            })
        }
        Profile::Bike => {
            let explicit = access(tag, &["bicycle", "vehicle", "access"]);
            let class_kmh = match bike_class_kmh(highway) {
                Some(k) => k,
                None if matches!(highway, "footway" | "pedestrian") && explicit == Some(true) => {
                    12.0
                }
                None => return None,
            };
            if explicit == Some(false) || matches!(tag("motorroad"), Some("yes")) {
                return None;
            }
            let speed = match tag("maxspeed").and_then(parse_maxspeed_kmh) {
                Some(m) => class_kmh.min(m),
                None => class_kmh,
            };
            let contraflow = matches!(tag("oneway:bicycle"), Some("no"))
                || tag("cycleway").is_some_and(|v| v.starts_with("opposite"));
            let (forward, backward) = if contraflow {
                (true, true)
            } else if tag("oneway:bicycle").is_some() {
                oneway_dirs(tag, highway, "oneway:bicycle")
            } else {
                oneway_dirs(tag, highway, "oneway")
            };
            Some(WayRule {
                forward,
                backward,
                speed_kmh: speed,
            })
        }
        Profile::Foot => {
            let class_kmh = foot_class_kmh(highway)?;
            if access(tag, &["foot", "access"]) == Some(false)
                || matches!(tag("motorroad"), Some("yes"))
            {
                return None;
            }
            Some(WayRule {
                forward: true,
                backward: true,
                speed_kmh: class_kmh,
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rule(profile: Profile, tags: &[(&'static str, &'static str)]) -> Option<WayRule> {
        let lookup = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        way_rule(profile, &lookup)
    }

    /// A residential one-way street: cars one direction, walkers both, bikes one unless contra-flow.
    #[test]
    fn oneway_per_profile() {
        let tags = [("highway", "residential"), ("oneway", "yes")];
        let car = rule(Profile::Car, &tags).unwrap();
        assert!(car.forward && !car.backward);
        let foot = rule(Profile::Foot, &tags).unwrap();
        assert!(foot.forward && foot.backward);
        let bike = rule(
            Profile::Bike,
            &[
                ("highway", "residential"),
                ("oneway", "yes"),
                ("oneway:bicycle", "no"),
            ],
        )
        .unwrap();
        assert!(bike.forward && bike.backward);
    }

    /// Motorways are for cars only; footways for walkers only unless bicycles are signed.
    #[test]
    fn classes_per_profile() {
        assert!(rule(Profile::Car, &[("highway", "motorway")]).is_some());
        assert!(rule(Profile::Bike, &[("highway", "motorway")]).is_none());
        assert!(rule(Profile::Foot, &[("highway", "motorway")]).is_none());
        assert!(rule(Profile::Car, &[("highway", "footway")]).is_none());
        assert!(rule(Profile::Bike, &[("highway", "footway")]).is_none());
        assert!(rule(Profile::Bike, &[("highway", "footway"), ("bicycle", "yes")]).is_some());
        assert!(rule(
            Profile::Car,
            &[("highway", "residential"), ("access", "private")]
        )
        .is_none());
        assert!(rule(
            Profile::Car,
            &[
                ("highway", "residential"),
                ("access", "no"),
                ("motor_vehicle", "yes")
            ]
        )
        .is_some());
    }

    /// maxspeed strings in km/h, mph and zone codes.
    #[test]
    fn maxspeed_values() {
        assert_eq!(parse_maxspeed_kmh("50"), Some(50.0));
        assert_eq!(parse_maxspeed_kmh("CH:urban"), Some(50.0));
        assert!((parse_maxspeed_kmh("30 mph").unwrap() - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed_kmh("signals"), None);
        let car = rule(Profile::Car, &[("highway", "primary"), ("maxspeed", "80")]).unwrap();
        assert_eq!(car.speed_kmh, 80.0);
        let bike = rule(
            Profile::Bike,
            &[("highway", "residential"), ("maxspeed", "10")],
        )
        .unwrap();
        assert_eq!(bike.speed_kmh, 10.0);
    }
}
