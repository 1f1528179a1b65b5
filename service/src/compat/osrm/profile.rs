//! OSRM's profile names in the URL, mapped to the engine's profiles.

use milkrun_engine::Profile;

use super::error::OsrmError;

/// The engine profile of an OSRM profile name: `car`/`driving` is [`Profile::Car`],
/// `bike`/`bicycle`/`cycling` is [`Profile::Bike`], `foot`/`walking` is [`Profile::Foot`].
/// Anything else is [`OsrmError::UnknownProfile`] (`InvalidUrl`).
pub fn parse_profile(name: &str) -> Result<Profile, OsrmError> {
    match name {
        "car" | "driving" => Ok(Profile::Car),
        "bike" | "bicycle" | "cycling" => Ok(Profile::Bike),
        "foot" | "walking" => Ok(Profile::Foot),
        _ => Err(OsrmError::UnknownProfile(name.chars().take(40).collect())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::compat::osrm::OsrmCode;

    /// Every OSRM alias maps to its profile; an unknown name is `InvalidUrl` and named.
    #[test]
    fn aliases() {
        for (n, p) in [
            ("car", Profile::Car),
            ("driving", Profile::Car),
            ("bike", Profile::Bike),
            ("bicycle", Profile::Bike),
            ("cycling", Profile::Bike),
            ("foot", Profile::Foot),
            ("walking", Profile::Foot),
        ] {
            assert_eq!(parse_profile(n).unwrap(), p);
        }
        let e = parse_profile("truck").unwrap_err();
        assert_eq!(e.code(), OsrmCode::InvalidUrl);
        assert!(e.to_string().contains("truck"));
    }
}
