//! Prices as whole cents with checked arithmetic.
use crate::error::DairyError;

/// An amount of money in integer cents (never a float). Arithmetic is checked: an overflow is
/// an error naming what was being computed, never a wrapped amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

impl Cents {
    /// The sum of two amounts; `what` names the total in the error on overflow.
    pub fn checked_add(self, other: Cents, what: &'static str) -> Result<Cents, DairyError> {
        self.0
            .checked_add(other.0)
            .map(Cents)
            .ok_or(DairyError::Overflow { what })
    }

    /// The amount times a count (a unit price times a quantity); `what` names the total.
    pub fn checked_mul(self, count: u32, what: &'static str) -> Result<Cents, DairyError> {
        self.0
            .checked_mul(i64::from(count))
            .map(Cents)
            .ok_or(DairyError::Overflow { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sums and products are exact in range and an overflow is an error naming the total.
    #[test]
    fn checked_arithmetic() {
        assert_eq!(Cents(150).checked_mul(3, "line"), Ok(Cents(450)));
        assert_eq!(Cents(150).checked_add(Cents(50), "sum"), Ok(Cents(200)));
        assert_eq!(
            Cents(i64::MAX).checked_add(Cents(1), "sum"),
            Err(DairyError::Overflow { what: "sum" })
        );
        assert_eq!(
            Cents(i64::MAX / 2).checked_mul(3, "line"),
            Err(DairyError::Overflow { what: "line" })
        );
    }
}
