//! Order outcomes: delivered (signed off by scanning the door's QR token), failed with a
//! reason, or cancelled.
use crate::calendar::Moment;
use crate::error::{invalid, DairyError};
use crate::household::QrToken;
use crate::ids::{CourierId, HouseholdId, OrderId};

/// Why a delivery failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// Nobody opened.
    NotHome,
    /// The goods were damaged.
    Damaged,
    /// The customer refused the delivery.
    Refused,
    /// The address was wrong.
    AddressWrong,
    /// The building or gate was closed.
    AccessClosed,
}

impl FailureReason {
    /// Every reason.
    pub const ALL: [FailureReason; 5] = [
        FailureReason::NotHome,
        FailureReason::Damaged,
        FailureReason::Refused,
        FailureReason::AddressWrong,
        FailureReason::AccessClosed,
    ];

    /// The reason's name as stored (`not_home`, `damaged`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::NotHome => "not_home",
            FailureReason::Damaged => "damaged",
            FailureReason::Refused => "refused",
            FailureReason::AddressWrong => "address_wrong",
            FailureReason::AccessClosed => "access_closed",
        }
    }

    /// The reason of a stored name.
    pub fn parse(name: &str) -> Result<FailureReason, DairyError> {
        FailureReason::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| invalid("outcome.reason", format!("unknown reason `{name}`")))
    }
}

/// What happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered and signed off by `courier` at `at`.
    Delivered {
        /// The courier.
        courier: CourierId,
        /// When.
        at: Moment,
    },
    /// `courier` could not deliver, for `reason`.
    Failed {
        /// The courier.
        courier: CourierId,
        /// When.
        at: Moment,
        /// Why.
        reason: FailureReason,
    },
    /// The company cancelled the order.
    Cancelled {
        /// When.
        at: Moment,
    },
}

impl Outcome {
    /// The status name stored and shown in `v_order_outcomes`.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Failed { .. } => "failed",
            Outcome::Cancelled { .. } => "cancelled",
        }
    }
}

/// Checks a delivery's sign-off: the scanned household must be the order's and the scanned
/// token the household's (compared in constant time).
pub fn check_sign_off(
    order: OrderId,
    order_household: HouseholdId,
    household_token: &QrToken,
    scanned_household: HouseholdId,
    scanned_token: &str,
) -> Result<(), DairyError> {
    if scanned_household != order_household {
        return Err(DairyError::WrongHousehold {
            order,
            expected: order_household,
            scanned: scanned_household,
        });
    }
    let (a, b) = (
        household_token.as_str().as_bytes(),
        scanned_token.as_bytes(),
    );
    let differ = a.len() != b.len() || a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0;
    if differ {
        return Err(DairyError::WrongToken {
            order,
            household: order_household,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The right token at the right door passes; a wrong token or a wrong household is
    /// refused with a clear error.
    #[test]
    fn qr_sign_off() -> TestResult {
        let token = QrToken::new("door-0001-abc")?;
        let (o, h) = (OrderId(7), HouseholdId(3));
        assert_eq!(check_sign_off(o, h, &token, h, "door-0001-abc"), Ok(()));
        assert_eq!(
            check_sign_off(o, h, &token, h, "door-0001-abd"),
            Err(DairyError::WrongToken {
                order: o,
                household: h
            })
        );
        let wrong = check_sign_off(o, h, &token, HouseholdId(4), "door-0001-abc");
        assert!(wrong
            .as_ref()
            .is_err_and(|e| e.to_string() == "order 7 goes to household 3, not household 4"));
        Ok(())
    }

    /// Reason names round-trip and an unknown name is refused.
    #[test]
    fn reason_names() {
        for r in FailureReason::ALL {
            assert_eq!(FailureReason::parse(r.as_str()), Ok(r));
        }
        assert!(FailureReason::parse("lost").is_err());
    }
}
