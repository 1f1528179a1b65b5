//! Customers and their households: the address, a point (stored as given; snapping it to
//! the roads is the engine's job), the delivery window and the door's QR token.
use crate::error::{invalid, DairyError};
use crate::ids::{CustomerId, HouseholdId, StationId};

/// The most bytes of a name, an address or a token.
pub const MAX_TEXT_BYTES: usize = 500;

/// A customer: the person who subscribes and pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The customer's id.
    pub id: CustomerId,
    /// The name; not empty.
    pub name: String,
}

impl Customer {
    /// A customer with a checked name.
    pub fn new(id: CustomerId, name: &str) -> Result<Customer, DairyError> {
        Ok(Customer {
            id,
            name: text("customer.name", name)?,
        })
    }
}

/// A WGS84 point in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude, -90..=90.
    pub lat: f64,
    /// Longitude, -180..=180.
    pub lon: f64,
}

impl GeoPoint {
    /// A checked point (finite, in range).
    pub fn new(lat: f64, lon: f64) -> Result<GeoPoint, DairyError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(invalid("household.lat", "must be a number in -90..=90"));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(invalid("household.lon", "must be a number in -180..=180"));
        }
        Ok(GeoPoint { lat, lon })
    }
}

/// When the household accepts a delivery, as seconds since midnight; `start_s < end_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryWindow {
    /// Opening, seconds since midnight (0..86,400).
    pub start_s: i64,
    /// Closing, seconds since midnight (start_s < end_s <= 86,400).
    pub end_s: i64,
}

impl DeliveryWindow {
    /// A checked window.
    pub fn new(start_s: i64, end_s: i64) -> Result<DeliveryWindow, DairyError> {
        if !(0..86_400).contains(&start_s) || end_s <= start_s || end_s > 86_400 {
            return Err(invalid(
                "household.window",
                "needs 0 <= start_s < end_s <= 86400",
            ));
        }
        Ok(DeliveryWindow { start_s, end_s })
    }
}

/// The token printed in the QR code at a household's door; a delivery is signed off by
/// scanning it. Printable ASCII without spaces, 8..=128 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QrToken(String);

impl QrToken {
    /// A checked token.
    pub fn new(token: &str) -> Result<QrToken, DairyError> {
        if !(8..=128).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "household.qr_token",
                "must be 8 to 128 printable ASCII characters without spaces",
            ));
        }
        Ok(QrToken(token.to_owned()))
    }

    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A household: where and when a customer's milk goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// The household's id.
    pub id: HouseholdId,
    /// The customer who pays.
    pub customer: CustomerId,
    /// The station it is served from.
    pub station: StationId,
    /// The postal address, as text.
    pub address: String,
    /// The point of the door (not snapped).
    pub point: GeoPoint,
    /// The delivery window.
    pub window: DeliveryWindow,
    /// The door's QR token.
    pub qr_token: QrToken,
}

impl Household {
    /// Checks the address and returns the household (the other fields are checked types).
    pub fn new(
        id: HouseholdId,
        customer: CustomerId,
        station: StationId,
        address: &str,
        point: GeoPoint,
        window: DeliveryWindow,
        qr_token: QrToken,
    ) -> Result<Household, DairyError> {
        Ok(Household {
            id,
            customer,
            station,
            address: text("household.address", address)?,
            point,
            window,
            qr_token,
        })
    }
}

/// A trimmed non-empty text of at most [`MAX_TEXT_BYTES`].
fn text(field: &'static str, value: &str) -> Result<String, DairyError> {
    let v = value.trim();
    if v.is_empty() || v.len() > MAX_TEXT_BYTES {
        return Err(invalid(
            field,
            format!("must have 1 to {MAX_TEXT_BYTES} bytes"),
        ));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points, windows, tokens and names are checked, each error naming its field.
    #[test]
    fn fields_are_checked() {
        assert!(GeoPoint::new(47.14, 9.52).is_ok());
        assert!(matches!(
            GeoPoint::new(f64::NAN, 9.0),
            Err(DairyError::Invalid {
                field: "household.lat",
                ..
            })
        ));
        assert!(matches!(
            GeoPoint::new(47.0, 181.0),
            Err(DairyError::Invalid {
                field: "household.lon",
                ..
            })
        ));
        assert!(DeliveryWindow::new(5 * 3600, 7 * 3600).is_ok());
        assert!(DeliveryWindow::new(7 * 3600, 7 * 3600).is_err());
        assert!(QrToken::new("door-0001").is_ok());
        assert!(QrToken::new("short").is_err());
        assert!(QrToken::new("has a space").is_err());
        assert!(matches!(
            Customer::new(CustomerId(1), ""),
            Err(DairyError::Invalid {
                field: "customer.name",
                ..
            })
        ));
    }
}
