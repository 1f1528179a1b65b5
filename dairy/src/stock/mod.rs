//! Stock per station and lot, pure: lots ([`lot`]), the append-only movement ledger and its
//! checked balances ([`ledger`]), first-expiry-first-out picking and the day's loading plan
//! ([`fefo`]), the movements an order's outcome makes ([`outcome`]) and low-stock alerts
//! ([`alert`]).
//!
//! A lot is one product received at one station with a received date and an expiry date (the
//! last day it may be delivered). Its units are in one of two places: **on hand** at the
//! station or **in vehicles** (loaded onto a courier), and leave through delivery or waste.
//! Every change is a [`ledger::Movement`] with a deterministic key, so replaying the event
//! that caused it moves nothing:
//!
//! | movement | on hand | in vehicles | caused by |
//! |---|---|---|---|
//! | received | + | | a lot arrives at the station |
//! | loaded | − | + | loading the day's frozen orders onto their couriers (FEFO) |
//! | delivered | | − | the order's delivered outcome |
//! | returned | + | − | a failed (not damaged) or cancelled order brought back |
//! | wasted at the station | − | | an expired lot at close of day |
//! | wasted in a vehicle | | − | a delivery failed because the goods were damaged |
//! | transferred out | − | | a transfer to another station takes units of the lot (FEFO) |
//! | transferred in | + | | the lot a transfer makes at the arriving station (same expiry) |
//!
//! So at every moment, per lot and summed over a station:
//! `on hand = received + transferred in − transferred out − delivered − wasted − in vehicles`. Neither place ever goes negative:
//! a movement that would make it so is [`crate::DairyError::NegativeStock`], naming the lot.
pub mod alert;
pub mod fefo;
pub mod ledger;
pub mod lot;
pub mod outcome;

pub use alert::{low_stock, LowStock};
pub use fefo::{pick, plan_loading, Load, LoadPlan, LotStock};
pub use ledger::{LotBalance, LotTotals, Movement, MovementKey, MovementKind, Place, TransferKey};
pub use lot::{Lot, MAX_LOT_UNITS};
pub use outcome::outcome_movements;
