//! Complaints: filed by a household (a replayed filing is the same complaint), escalated once
//! when overdue (with an outbox message), resolved.
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::outbox::enqueue_on;
use super::{date_text, Store, StoreError};
use crate::calendar::Moment;
use crate::complaint::{
    escalation_message, instant_s, moment_of, Complaint, ComplaintCategory, ComplaintFiling,
    ComplaintState,
};
use crate::error::invalid;
use crate::ids::{ComplaintId, CustomerId, HouseholdId, OrderId, TenantId};

/// The columns [`complaint_from_row`] reads.
const COLUMNS: &str = "complaint_id, household_id, order_id, category, body, state, \
                       filed_at_s, escalated_at_s, resolved_at_s";

/// The most complaints one escalation sweep handles; a later sweep takes the rest.
pub const MAX_ESCALATIONS: u32 = 10_000;

impl Store {
    /// Files a complaint at `now`. The household must be the tenant's, and the order, when
    /// there is one, the household's. Filing again with the same key returns the first
    /// complaint's id and changes nothing.
    pub async fn file_complaint(
        &self,
        tenant: TenantId,
        f: &ComplaintFiling,
        now: Moment,
    ) -> Result<ComplaintId, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(id) = complaint_by_key(&mut tx, tenant, f).await? {
            tx.commit().await?;
            return Ok(id);
        }
        let household: Option<i64> = sqlx::query(
            "SELECT household_id FROM households WHERE tenant_id = $1 AND household_id = $2",
        )
        .bind(tenant.0)
        .bind(f.household.0)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("household_id"))
        .transpose()?;
        if household.is_none() {
            return Err(StoreError::NotFound {
                tenant,
                what: "household",
                id: f.household.0,
            });
        }
        if let Some(order) = f.order {
            let owner: i64 = sqlx::query(
                "SELECT household_id FROM orders WHERE tenant_id = $1 AND order_id = $2",
            )
            .bind(tenant.0)
            .bind(order.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                tenant,
                what: "order",
                id: order.0,
            })?
            .try_get("household_id")?;
            if owner != f.household.0 {
                return Err(invalid(
                    "complaint.order_id",
                    format!("order {order} is not household {}'s", f.household),
                )
                .into());
            }
        }
        let next: i64 = sqlx::query(
            "INSERT INTO complaint_counters (tenant_id, last_complaint_id) VALUES ($1, 1) \
             ON CONFLICT (tenant_id) DO UPDATE \
             SET last_complaint_id = complaint_counters.last_complaint_id + 1 \
             RETURNING last_complaint_id",
        )
        .bind(tenant.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("last_complaint_id")?;
        let inserted = sqlx::query(
            "INSERT INTO complaints (tenant_id, complaint_id, request_key, household_id, \
             order_id, category, body, state, filed_date, filed_at_s) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(next)
        .bind(f.key.as_str())
        .bind(f.household.0)
        .bind(f.order.map(|o| o.0))
        .bind(f.category.as_str())
        .bind(&f.text)
        .bind(ComplaintState::Open.as_str())
        .bind(date_text(now.date))
        .bind(instant_s(now))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // A concurrent filing with the same key won (PostgreSQL, READ COMMITTED).
            let id = complaint_by_key(&mut tx, tenant, f).await?;
            tx.commit().await?;
            return id.ok_or_else(|| {
                invalid("complaint.key", "conflicts with a complaint that vanished").into()
            });
        }
        tx.commit().await?;
        Ok(ComplaintId(next))
    }

    /// One complaint of the tenant.
    pub async fn complaint(
        &self,
        tenant: TenantId,
        id: ComplaintId,
    ) -> Result<Complaint, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM complaints WHERE tenant_id = $1 AND complaint_id = $2"
        ))
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "complaint",
            id: id.0,
        })?;
        complaint_from_row(&row)
    }

    /// The complaints filed by a customer's households, newest first.
    pub async fn complaints_of_customer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
    ) -> Result<Vec<Complaint>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM complaints WHERE tenant_id = $1 AND household_id IN \
             (SELECT household_id FROM households WHERE tenant_id = $1 AND customer_id = $2) \
             ORDER BY complaint_id DESC"
        ))
        .bind(tenant.0)
        .bind(customer.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(complaint_from_row).collect()
    }

    /// The tenant's complaints not resolved yet (open or escalated), oldest first, at most
    /// `limit` of them: for the cockpit's watch list.
    pub async fn unresolved_complaints(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> Result<Vec<Complaint>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM complaints WHERE tenant_id = $1 AND state <> $2 \
             ORDER BY filed_at_s, complaint_id LIMIT $3"
        ))
        .bind(tenant.0)
        .bind(ComplaintState::Resolved.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(complaint_from_row).collect()
    }

    /// Escalates, once, every open complaint of the tenant that is overdue at `now` under
    /// the tenant's SLA, each with a `complaint_escalated` outbox message, in one
    /// transaction. Returns the complaints escalated by this call (none on a rerun).
    pub async fn escalate_overdue_complaints(
        &self,
        tenant: TenantId,
        now: Moment,
    ) -> Result<Vec<ComplaintId>, StoreError> {
        let sla = self.care_settings(tenant).await?.complaint_sla;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM complaints WHERE tenant_id = $1 AND state = $2 \
             AND filed_at_s <= $3 ORDER BY complaint_id LIMIT $4"
        ))
        .bind(tenant.0)
        .bind(ComplaintState::Open.as_str())
        .bind(sla.latest_overdue_filing_s(now))
        .bind(i64::from(MAX_ESCALATIONS))
        .fetch_all(&mut *tx)
        .await?;
        let mut escalated = Vec::new();
        for r in &rows {
            let c = complaint_from_row(r)?;
            if !sla.is_overdue(c.filed_at, now) {
                continue;
            }
            if move_complaint(&mut tx, tenant, &c, ComplaintState::Escalated, now).await? {
                enqueue_on(&mut tx, tenant, &escalation_message(&c, now)?).await?;
                escalated.push(c.id);
            }
        }
        tx.commit().await?;
        Ok(escalated)
    }

    /// Resolves a complaint at `now`; `false` when it was resolved already.
    pub async fn resolve_complaint(
        &self,
        tenant: TenantId,
        id: ComplaintId,
        now: Moment,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let c = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM complaints WHERE tenant_id = $1 AND complaint_id = $2"
        ))
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "complaint",
            id: id.0,
        })?;
        let c = complaint_from_row(&c)?;
        let moved = move_complaint(&mut tx, tenant, &c, ComplaintState::Resolved, now).await?;
        tx.commit().await?;
        Ok(moved)
    }
}

/// The complaint filed with `f`'s key, if any.
async fn complaint_by_key(
    conn: &mut AnyConnection,
    tenant: TenantId,
    f: &ComplaintFiling,
) -> Result<Option<ComplaintId>, StoreError> {
    Ok(
        sqlx::query(
            "SELECT complaint_id FROM complaints WHERE tenant_id = $1 AND request_key = $2",
        )
        .bind(tenant.0)
        .bind(f.key.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("complaint_id"))
        .transpose()?
        .map(ComplaintId),
    )
}

/// Moves `c` to `to` at `now` if the state machine allows it; `false` for a repeat or when a
/// concurrent call moved it first (the update is guarded by the state read).
async fn move_complaint(
    conn: &mut AnyConnection,
    tenant: TenantId,
    c: &Complaint,
    to: ComplaintState,
    now: Moment,
) -> Result<bool, StoreError> {
    if !c.state.move_to(to)? {
        return Ok(false);
    }
    let column = match to {
        ComplaintState::Escalated => "escalated_at_s",
        _ => "resolved_at_s",
    };
    let done = sqlx::query(&format!(
        "UPDATE complaints SET state = $1, {column} = $2 \
         WHERE tenant_id = $3 AND complaint_id = $4 AND state = $5"
    ))
    .bind(to.as_str())
    .bind(instant_s(now))
    .bind(tenant.0)
    .bind(c.id.0)
    .bind(c.state.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A complaint from a row with [`COLUMNS`].
fn complaint_from_row(row: &AnyRow) -> Result<Complaint, StoreError> {
    let at = |v: Option<i64>| v.map(moment_of).transpose();
    let category: String = row.try_get("category")?;
    let state: String = row.try_get("state")?;
    Ok(Complaint {
        id: ComplaintId(row.try_get("complaint_id")?),
        household: HouseholdId(row.try_get("household_id")?),
        order: row.try_get::<Option<i64>, _>("order_id")?.map(OrderId),
        category: ComplaintCategory::parse(&category)?,
        text: row.try_get("body")?,
        state: ComplaintState::parse(&state)?,
        filed_at: moment_of(row.try_get("filed_at_s")?)?,
        escalated_at: at(row.try_get("escalated_at_s")?)?,
        resolved_at: at(row.try_get("resolved_at_s")?)?,
    })
}
