//! Order outcomes. The first accepted outcome of an order is kept: a replay of any report
//! (the same or a different one) inserts nothing and returns the first.
use milkrun_calendar::format_hms;
use sqlx::Row;

use super::outcome_rows::outcome_of;
use super::{date_text, Store, StoreError};
use crate::calendar::Moment;
use crate::household::QrToken;
use crate::ids::{CourierId, HouseholdId, OrderId, TenantId};
use crate::outcome::{check_sign_off, FailureReason, Outcome};

/// A courier's or the company's report on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeReport {
    /// Delivered: the courier scanned a household's door QR token.
    Delivered {
        /// The courier.
        courier: CourierId,
        /// When.
        at: Moment,
        /// The household whose code was scanned.
        scanned_household: HouseholdId,
        /// The scanned token.
        scanned_token: String,
    },
    /// Not delivered, for a reason.
    Failed {
        /// The courier.
        courier: CourierId,
        /// When.
        at: Moment,
        /// Why.
        reason: FailureReason,
    },
    /// Cancelled by the company.
    Cancelled {
        /// When.
        at: Moment,
    },
}

/// The outcome an order has after a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedOutcome {
    /// The order's outcome: the first accepted one.
    pub outcome: Outcome,
    /// Whether this report was the one accepted (false for a replay).
    pub first: bool,
}

impl Store {
    /// Records a report on an order. A delivery whose scanned household or token is not the
    /// order's is refused ([`crate::DairyError::WrongHousehold`],
    /// [`crate::DairyError::WrongToken`]) and records nothing. The first outcome of an order
    /// loaded onto a courier also moves its stock ([`crate::stock::outcome_movements`]); a
    /// replay moves nothing.
    pub async fn record_outcome(
        &self,
        tenant: TenantId,
        order: OrderId,
        report: &OutcomeReport,
    ) -> Result<RecordedOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT o.household_id AS household_id, h.qr_token AS qr_token FROM orders o \
             JOIN households h ON h.tenant_id = o.tenant_id AND h.household_id = o.household_id \
             WHERE o.tenant_id = $1 AND o.order_id = $2",
        )
        .bind(tenant.0)
        .bind(order.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "order",
            id: order.0,
        })?;
        let outcome = match report {
            OutcomeReport::Delivered {
                courier,
                at,
                scanned_household,
                scanned_token,
            } => {
                let token: String = row.try_get("qr_token")?;
                let token = QrToken::new(&token)?;
                let household = HouseholdId(row.try_get("household_id")?);
                check_sign_off(order, household, &token, *scanned_household, scanned_token)?;
                Outcome::Delivered {
                    courier: *courier,
                    at: *at,
                }
            }
            OutcomeReport::Failed {
                courier,
                at,
                reason,
            } => Outcome::Failed {
                courier: *courier,
                at: *at,
                reason: *reason,
            },
            OutcomeReport::Cancelled { at } => Outcome::Cancelled { at: *at },
        };
        let (courier, at, reason) = match outcome {
            Outcome::Delivered { courier, at } => (Some(courier), at, None),
            Outcome::Failed {
                courier,
                at,
                reason,
            } => (Some(courier), at, Some(reason.as_str())),
            Outcome::Cancelled { at } => (None, at, None),
        };
        let done = sqlx::query(
            "INSERT INTO order_outcomes (tenant_id, order_id, status, reason, courier_id, \
             outcome_date, outcome_s, outcome_hms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(order.0)
        .bind(outcome.status())
        .bind(reason)
        .bind(courier.map(|c| c.0))
        .bind(date_text(at.date))
        .bind(at.second_of_day)
        .bind(format_hms(at.second_of_day))
        .execute(&mut *tx)
        .await?;
        let stored = outcome_of(&mut tx, tenant, order)
            .await?
            .ok_or(StoreError::Corrupt {
                field: "order_outcomes",
                reason: format!("order {order}'s outcome vanished inside its transaction"),
            })?;
        if done.rows_affected() == 1 {
            // The stock loaded for the order moves with its first outcome, in this transaction.
            super::stock::post_outcome(&mut tx, tenant, order, &stored).await?;
        }
        tx.commit().await?;
        Ok(RecordedOutcome {
            outcome: stored,
            first: done.rows_affected() == 1,
        })
    }

    /// The order's outcome, `None` while it has none.
    pub async fn outcome(
        &self,
        tenant: TenantId,
        order: OrderId,
    ) -> Result<Option<Outcome>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        outcome_of(&mut conn, tenant, order).await
    }
}
