//! The movements an order's outcome makes to the units loaded for it.
use crate::ids::{CourierId, LotId, OrderId};
use crate::outcome::{FailureReason, Outcome};
use crate::stock::ledger::{Movement, MovementKey, MovementKind, Place};

/// What the outcome of `order` does to the units loaded for it (`loaded`: units per lot, on
/// `courier`'s vehicle): delivered units leave; a delivery failed because the goods were
/// damaged wastes them in the vehicle; any other failure, or a cancellation, brings them back
/// to the station. Keys come from the order and the lot, so an order moves at most once.
pub fn outcome_movements(
    order: OrderId,
    courier: CourierId,
    outcome: &Outcome,
    loaded: &[(LotId, u32)],
) -> Vec<Movement> {
    let (kind, date): (MovementKind, _) = match *outcome {
        Outcome::Delivered { at, .. } => (MovementKind::Delivered, at.date),
        Outcome::Failed {
            at,
            reason: FailureReason::Damaged,
            ..
        } => (MovementKind::Wasted(Place::Vehicle), at.date),
        Outcome::Failed { at, .. } | Outcome::Cancelled { at } => (MovementKind::Returned, at.date),
    };
    loaded
        .iter()
        .filter(|&&(_, q)| q > 0)
        .map(|&(lot, quantity)| Movement {
            key: match kind {
                MovementKind::Delivered => MovementKey::delivered(order, lot),
                MovementKind::Wasted(_) => MovementKey::damaged(order, lot),
                _ => MovementKey::returned(order, lot),
            },
            lot,
            kind,
            quantity,
            date,
            order: Some(order),
            courier: Some(courier),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Moment;
    use milkrun_calendar::Date;

    /// Delivered units leave, damaged ones are wasted in the vehicle, other failures and
    /// cancellations come back; keys name the order and the lot.
    #[test]
    fn outcomes_move_the_loaded_units() -> Result<(), Box<dyn std::error::Error>> {
        let at = Moment::new(Date::parse_iso("2028-03-01")?, 7 * 3600)?;
        let (o, c) = (OrderId(5), CourierId(2));
        let loaded = [(LotId(1), 2), (LotId(3), 1)];
        let kinds = |out: Outcome| {
            outcome_movements(o, c, &out, &loaded)
                .iter()
                .map(|m| (m.key.as_str().to_owned(), m.kind, m.quantity))
                .collect::<Vec<_>>()
        };
        let delivered = kinds(Outcome::Delivered { courier: c, at });
        assert_eq!(
            delivered[0],
            ("deliver:5:1".into(), MovementKind::Delivered, 2)
        );
        assert_eq!(
            delivered[1],
            ("deliver:5:3".into(), MovementKind::Delivered, 1)
        );
        let damaged = kinds(Outcome::Failed {
            courier: c,
            at,
            reason: FailureReason::Damaged,
        });
        assert_eq!(damaged[0].1, MovementKind::Wasted(Place::Vehicle));
        let not_home = kinds(Outcome::Failed {
            courier: c,
            at,
            reason: FailureReason::NotHome,
        });
        assert_eq!(
            not_home[1],
            ("return:5:3".into(), MovementKind::Returned, 1)
        );
        assert_eq!(
            kinds(Outcome::Cancelled { at })[0].1,
            MovementKind::Returned
        );
        Ok(())
    }
}
