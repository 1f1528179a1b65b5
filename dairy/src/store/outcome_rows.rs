//! The stored form of an order's outcome (the `order_outcomes` row), read by the outcomes,
//! the stock movements it triggers and the rounds.
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{parse_date, StoreError};
use crate::calendar::Moment;
use crate::ids::{CourierId, OrderId, TenantId};
use crate::outcome::{FailureReason, Outcome};

/// The stored outcome of an order.
pub(crate) async fn outcome_of(
    conn: &mut AnyConnection,
    tenant: TenantId,
    order: OrderId,
) -> Result<Option<Outcome>, StoreError> {
    let row = sqlx::query(
        "SELECT status, reason, courier_id, outcome_date, outcome_s FROM order_outcomes \
         WHERE tenant_id = $1 AND order_id = $2",
    )
    .bind(tenant.0)
    .bind(order.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| outcome_from_row(&r)).transpose()
}

/// An outcome from its stored columns.
pub(crate) fn outcome_from_row(row: &AnyRow) -> Result<Outcome, StoreError> {
    let status: String = row.try_get("status")?;
    let date: String = row.try_get("outcome_date")?;
    let at = Moment::new(
        parse_date(&date, "order_outcomes.outcome_date")?,
        row.try_get("outcome_s")?,
    )?;
    let courier: Option<i64> = row.try_get("courier_id")?;
    let courier = || {
        courier.map(CourierId).ok_or(StoreError::Corrupt {
            field: "order_outcomes.courier_id",
            reason: "missing".into(),
        })
    };
    Ok(match status.as_str() {
        "delivered" => Outcome::Delivered {
            courier: courier()?,
            at,
        },
        "failed" => {
            let reason: Option<String> = row.try_get("reason")?;
            let reason = reason.ok_or(StoreError::Corrupt {
                field: "order_outcomes.reason",
                reason: "missing".into(),
            })?;
            Outcome::Failed {
                courier: courier()?,
                at,
                reason: FailureReason::parse(&reason)?,
            }
        }
        "cancelled" => Outcome::Cancelled { at },
        _ => {
            return Err(StoreError::Corrupt {
                field: "order_outcomes.status",
                reason: format!("unknown status `{status}`"),
            })
        }
    })
}
