//! A lot: one product received at one station, with its expiry.
use milkrun_calendar::Date;

use crate::error::{invalid, DairyError};
use crate::ids::{LotId, ProductId, StationId};

/// The most units one lot may hold (a lorry of milk is far less); bounds every sum of lots.
pub const MAX_LOT_UNITS: u32 = 1_000_000;

/// One product received at one station.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    /// The lot's id, unique per tenant.
    pub id: LotId,
    /// The station it was received at.
    pub station: StationId,
    /// The product.
    pub product: ProductId,
    /// The day it arrived.
    pub received: Date,
    /// The last day it may be delivered; it is wasted at that day's close if still on hand.
    pub expiry: Date,
    /// Units received, 1..=[`MAX_LOT_UNITS`].
    pub quantity: u32,
}

impl Lot {
    /// A checked lot: expiry on or after the received day, 1..=[`MAX_LOT_UNITS`] units.
    pub fn new(
        id: LotId,
        station: StationId,
        product: ProductId,
        received: Date,
        expiry: Date,
        quantity: u32,
    ) -> Result<Lot, DairyError> {
        if expiry < received {
            return Err(invalid(
                "lot.expiry",
                format!("{expiry} is before the received day {received}"),
            ));
        }
        if quantity == 0 || quantity > MAX_LOT_UNITS {
            return Err(invalid(
                "lot.quantity",
                format!("must be 1..={MAX_LOT_UNITS}, got {quantity}"),
            ));
        }
        Ok(Lot {
            id,
            station,
            product,
            received,
            expiry,
            quantity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An expiry before the received day, or an empty or huge lot, is refused naming the field.
    #[test]
    fn lots_are_checked() -> Result<(), Box<dyn std::error::Error>> {
        let d = Date::parse_iso("2028-02-29")?;
        let lot = |exp: Date, q| Lot::new(LotId(1), StationId(1), ProductId(1), d, exp, q);
        assert!(lot(d, 1).is_ok());
        assert!(lot(d.add_days(-1), 1).is_err_and(|e| e.to_string().contains("lot.expiry")));
        assert!(lot(d, 0).is_err_and(|e| e.to_string().contains("lot.quantity")));
        assert!(lot(d, MAX_LOT_UNITS + 1).is_err());
        Ok(())
    }
}
