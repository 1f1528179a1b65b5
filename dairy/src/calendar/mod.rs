//! The delivery calendar: the operations a customer makes on a subscription's calendar
//! ([`operation`]), the tenant's cut-off that makes them late ([`cutoff`]) and the expansion
//! of a subscription and its operations into the deliveries of any date range ([`expand`]).
//! All pure: "now" is a parameter.
pub mod cutoff;
pub mod expand;
pub mod operation;

pub use cutoff::{CutOff, Moment};
pub use expand::{deliveries, next_delivery_day, Delivery, DeliveryLine, MAX_HORIZON_DAYS};
pub use operation::{Operation, OperationKind};
