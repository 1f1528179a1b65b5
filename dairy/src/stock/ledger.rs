//! The movement ledger: append-only movements with deterministic keys, and the checked
//! balances they give per lot.
use milkrun_calendar::Date;

use crate::error::{invalid, DairyError};
use crate::ids::{CourierId, LotId, OrderId, ProductId, StationId};

/// Where wasted units were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// At the station (expired on the shelf).
    Station,
    /// In a courier's vehicle (damaged on the round).
    Vehicle,
}

/// What a movement does to its lot (see the table in [`crate::stock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// Arrived at the station.
    Received,
    /// Taken from the station onto a courier's vehicle.
    Loaded,
    /// Handed over at the door.
    Delivered,
    /// Brought back from a vehicle to the station.
    Returned,
    /// Thrown away (expired or damaged).
    Wasted(Place),
    /// Sent from the station to another station (a transfer's leaving side).
    TransferredOut,
    /// Arrived from another station (a transfer's arriving side: the lot it makes).
    TransferredIn,
}

impl MovementKind {
    /// Every kind.
    pub const ALL: [MovementKind; 8] = [
        MovementKind::Received,
        MovementKind::Loaded,
        MovementKind::Delivered,
        MovementKind::Returned,
        MovementKind::Wasted(Place::Station),
        MovementKind::Wasted(Place::Vehicle),
        MovementKind::TransferredOut,
        MovementKind::TransferredIn,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Received => "received",
            MovementKind::Loaded => "loaded",
            MovementKind::Delivered => "delivered",
            MovementKind::Returned => "returned",
            MovementKind::Wasted(Place::Station) => "wasted_station",
            MovementKind::Wasted(Place::Vehicle) => "wasted_vehicle",
            MovementKind::TransferredOut => "transferred_out",
            MovementKind::TransferredIn => "transferred_in",
        }
    }

    /// The kind of a stored name.
    pub fn parse(name: &str) -> Result<MovementKind, DairyError> {
        MovementKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| invalid("movement.kind", format!("unknown kind `{name}`")))
    }
}

/// A movement's deterministic key, unique per tenant: the event that caused it and the lot,
/// e.g. `load:<order>:<lot>`. Recording a movement whose key exists changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MovementKey(String);

impl MovementKey {
    /// `receive:<lot>`.
    pub fn received(lot: LotId) -> MovementKey {
        MovementKey(format!("receive:{lot}"))
    }
    /// `load:<order>:<lot>`.
    pub fn loaded(order: OrderId, lot: LotId) -> MovementKey {
        MovementKey(format!("load:{order}:{lot}"))
    }
    /// `deliver:<order>:<lot>`.
    pub fn delivered(order: OrderId, lot: LotId) -> MovementKey {
        MovementKey(format!("deliver:{order}:{lot}"))
    }
    /// `return:<order>:<lot>`.
    pub fn returned(order: OrderId, lot: LotId) -> MovementKey {
        MovementKey(format!("return:{order}:{lot}"))
    }
    /// `damage:<order>:<lot>`.
    pub fn damaged(order: OrderId, lot: LotId) -> MovementKey {
        MovementKey(format!("damage:{order}:{lot}"))
    }
    /// `transfer-out:<transfer>:<lot>`: `lot`'s share of the transfer named `transfer`.
    pub fn transferred_out(transfer: &TransferKey, lot: LotId) -> MovementKey {
        MovementKey(format!("transfer-out:{}:{lot}", transfer.0))
    }
    /// `transfer-in:<transfer>:<lot>`: the arriving lot `lot` of the transfer `transfer`.
    pub fn transferred_in(transfer: &TransferKey, lot: LotId) -> MovementKey {
        MovementKey(format!("transfer-in:{}:{lot}", transfer.0))
    }
    /// `expire:<lot>:<n>`, `n` being the number of movements the lot had before: the lot's
    /// state, so a second expiry of the same lot (after units came back to it) gets a key of
    /// its own, and a replay in the same state finds nothing left to waste.
    pub fn expired(lot: LotId, movements_before: u64) -> MovementKey {
        MovementKey(format!("expire:{lot}:{movements_before}"))
    }
    /// A stored key (1..=200 printable ASCII bytes without spaces).
    pub fn parse(key: &str) -> Result<MovementKey, DairyError> {
        if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "movement.key",
                "must be 1 to 200 printable ASCII characters without spaces",
            ));
        }
        Ok(MovementKey(key.to_owned()))
    }
    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A transfer's deterministic name, unique per tenant: the day, the product and the two
/// stations (`<date>:<product>:<from>-><to>`), so the day's plan carried out twice moves its
/// units once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferKey(String);

impl TransferKey {
    /// The transfer of `product` from `from` to `to` on `date`.
    pub fn of(date: Date, product: ProductId, from: StationId, to: StationId) -> TransferKey {
        TransferKey(format!("{date}:{product}:{from}->{to}"))
    }
    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// Deterministic key.
    pub key: MovementKey,
    /// The lot moved.
    pub lot: LotId,
    /// What happened.
    pub kind: MovementKind,
    /// Units, at least 1.
    pub quantity: u32,
    /// The day it happened.
    pub date: Date,
    /// The order that caused it, if any.
    pub order: Option<OrderId>,
    /// The courier concerned (loaded, delivered, returned, wasted in a vehicle).
    pub courier: Option<CourierId>,
}

/// Where a lot's units are now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LotBalance {
    /// At the station.
    pub on_hand: u64,
    /// In couriers' vehicles.
    pub in_vehicles: u64,
}

impl LotBalance {
    /// The balance after moving `quantity` units of `lot` by `kind`, with checked arithmetic:
    /// taking more than a place holds is [`DairyError::NegativeStock`] naming the lot.
    pub fn apply(
        self,
        lot: LotId,
        kind: MovementKind,
        quantity: u32,
    ) -> Result<LotBalance, DairyError> {
        let q = u64::from(quantity);
        let take = |have: u64, place: &'static str| {
            have.checked_sub(q).ok_or(DairyError::NegativeStock {
                lot,
                place,
                have,
                take: q,
            })
        };
        let add = |have: u64| {
            have.checked_add(q).ok_or(DairyError::Overflow {
                what: "lot balance",
            })
        };
        let mut b = self;
        match kind {
            MovementKind::Received | MovementKind::TransferredIn => b.on_hand = add(b.on_hand)?,
            MovementKind::Loaded => {
                b.on_hand = take(b.on_hand, "on hand")?;
                b.in_vehicles = add(b.in_vehicles)?;
            }
            MovementKind::Delivered | MovementKind::Wasted(Place::Vehicle) => {
                b.in_vehicles = take(b.in_vehicles, "in vehicles")?;
            }
            MovementKind::Returned => {
                b.in_vehicles = take(b.in_vehicles, "in vehicles")?;
                b.on_hand = add(b.on_hand)?;
            }
            MovementKind::Wasted(Place::Station) | MovementKind::TransferredOut => {
                b.on_hand = take(b.on_hand, "on hand")?
            }
        }
        Ok(b)
    }
}

/// A lot's movements summed per kind: the recount from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LotTotals {
    /// Units received.
    pub received: u64,
    /// Units loaded.
    pub loaded: u64,
    /// Units delivered.
    pub delivered: u64,
    /// Units returned.
    pub returned: u64,
    /// Units wasted at the station.
    pub wasted_station: u64,
    /// Units wasted in vehicles.
    pub wasted_vehicle: u64,
    /// Units sent to other stations.
    pub transferred_out: u64,
    /// Units arrived from other stations.
    pub transferred_in: u64,
}

impl LotTotals {
    /// Adds `quantity` units of `kind` (checked).
    pub fn add(&mut self, kind: MovementKind, quantity: u64) -> Result<(), DairyError> {
        let slot = match kind {
            MovementKind::Received => &mut self.received,
            MovementKind::Loaded => &mut self.loaded,
            MovementKind::Delivered => &mut self.delivered,
            MovementKind::Returned => &mut self.returned,
            MovementKind::Wasted(Place::Station) => &mut self.wasted_station,
            MovementKind::Wasted(Place::Vehicle) => &mut self.wasted_vehicle,
            MovementKind::TransferredOut => &mut self.transferred_out,
            MovementKind::TransferredIn => &mut self.transferred_in,
        };
        *slot = slot
            .checked_add(quantity)
            .ok_or(DairyError::Overflow { what: "lot totals" })?;
        Ok(())
    }

    /// The balance these totals give: on hand = received + transferred in + returned − loaded
    /// − wasted at the station − transferred out, in vehicles = loaded − delivered − returned − wasted in vehicles; an error
    /// naming the lot when either would be negative.
    pub fn balance(&self, lot: LotId) -> Result<LotBalance, DairyError> {
        let negative = |place, have, take| DairyError::NegativeStock {
            lot,
            place,
            have,
            take,
        };
        let overflow = DairyError::Overflow { what: "lot totals" };
        let into_station = self
            .received
            .checked_add(self.returned)
            .and_then(|s| s.checked_add(self.transferred_in))
            .ok_or(overflow.clone())?;
        let out_of_station = self
            .loaded
            .checked_add(self.wasted_station)
            .and_then(|s| s.checked_add(self.transferred_out))
            .ok_or(overflow.clone())?;
        let on_hand = into_station.checked_sub(out_of_station).ok_or(negative(
            "on hand",
            into_station,
            out_of_station,
        ))?;
        let out_of_vehicles = self
            .delivered
            .checked_add(self.returned)
            .and_then(|s| s.checked_add(self.wasted_vehicle))
            .ok_or(overflow)?;
        let in_vehicles = self.loaded.checked_sub(out_of_vehicles).ok_or(negative(
            "in vehicles",
            self.loaded,
            out_of_vehicles,
        ))?;
        Ok(LotBalance {
            on_hand,
            in_vehicles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind moves units between the right places; taking more than a place holds is an
    /// error naming the lot and the place, and the totals give the same balance as applying
    /// the movements one by one.
    #[test]
    fn balances_are_checked() -> Result<(), DairyError> {
        let lot = LotId(7);
        let steps = [
            (MovementKind::Received, 10),
            (MovementKind::Loaded, 6),
            (MovementKind::Delivered, 3),
            (MovementKind::Returned, 2),
            (MovementKind::Wasted(Place::Vehicle), 1),
            (MovementKind::Wasted(Place::Station), 4),
        ];
        let mut b = LotBalance::default();
        let mut totals = LotTotals::default();
        for (kind, q) in steps {
            b = b.apply(lot, kind, q)?;
            totals.add(kind, u64::from(q))?;
        }
        // 10 in, 6 out to vehicles, 2 back, 4 wasted: 2 on hand; 6 - 3 - 2 - 1 = 0 out.
        assert_eq!(
            b,
            LotBalance {
                on_hand: 2,
                in_vehicles: 0
            }
        );
        assert_eq!(totals.balance(lot)?, b);
        assert_eq!(
            b.apply(lot, MovementKind::Loaded, 3),
            Err(DairyError::NegativeStock {
                lot,
                place: "on hand",
                have: 2,
                take: 3
            })
        );
        let e = b.apply(lot, MovementKind::Delivered, 1);
        assert!(e.is_err_and(|e| e.to_string() == "lot 7 has 0 units in vehicles, cannot take 1"));
        totals.add(MovementKind::Delivered, 1)?;
        assert!(totals.balance(lot).is_err());
        for k in MovementKind::ALL {
            assert_eq!(MovementKind::parse(k.as_str()), Ok(k));
        }
        assert!(MovementKind::parse("stolen").is_err());
        Ok(())
    }

    proptest::proptest! {
        /// For any sequence of movements, those accepted one by one (a refused one changes
        /// nothing) give the same balance as the recount of their totals, and no place ever
        /// holds a negative count (the types cannot; the refusals are the proof).
        #[test]
        fn sequential_balance_equals_the_recount(
            steps in proptest::collection::vec((0usize..6, 1u32..20), 0..60)
        ) {
            let lot = LotId(1);
            let mut b = LotBalance::default();
            let mut totals = LotTotals::default();
            for (k, q) in steps {
                let kind = MovementKind::ALL[k];
                if let Ok(next) = b.apply(lot, kind, q) {
                    b = next;
                    totals.add(kind, u64::from(q)).map_err(|e| {
                        proptest::test_runner::TestCaseError::fail(e.to_string())
                    })?;
                }
            }
            proptest::prop_assert_eq!(totals.balance(lot), Ok(b));
        }
    }
}
