//! Tenants (cut-off and exception policy), their stations and couriers.
use sqlx::Row;

use super::{Store, StoreError};
use crate::calendar::CutOff;
use crate::exception::{Credit, ExceptionPolicy, Remedy};
use crate::ids::{CourierId, StationId, TenantId};
use crate::money::Cents;
use crate::tenant::Tenant;

impl Store {
    /// Adds a tenant; adding the same id again is refused by the database.
    pub async fn add_tenant(&self, t: &Tenant) -> Result<(), StoreError> {
        let (other, other_amount) = remedy_columns(t.policy.otherwise);
        let (refused, refused_amount) = remedy_columns(t.policy.refused);
        sqlx::query(
            "INSERT INTO tenants (tenant_id, name, cutoff_days_before, cutoff_at_s, \
             retry_before_s, remedy_otherwise, remedy_otherwise_amount, remedy_refused, \
             remedy_refused_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(t.id.0)
        .bind(&t.name)
        .bind(i64::from(t.cutoff.days_before))
        .bind(t.cutoff.at_s)
        .bind(t.policy.retry_before_s)
        .bind(other)
        .bind(other_amount)
        .bind(refused)
        .bind(refused_amount)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant and its rules.
    pub async fn tenant(&self, id: TenantId) -> Result<Tenant, StoreError> {
        let row = sqlx::query(
            "SELECT name, cutoff_days_before, cutoff_at_s, retry_before_s, remedy_otherwise, \
             remedy_otherwise_amount, remedy_refused, remedy_refused_amount \
             FROM tenants WHERE tenant_id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant: id,
            what: "tenant",
            id: id.0,
        })?;
        let days: i64 = row.try_get("cutoff_days_before")?;
        let cutoff = CutOff::new(
            super::to_u32(days, "tenants.cutoff_days_before")?,
            row.try_get("cutoff_at_s")?,
        )?;
        let otherwise = remedy_from(
            row.try_get("remedy_otherwise")?,
            row.try_get("remedy_otherwise_amount")?,
        )?;
        let refused = remedy_from(
            row.try_get("remedy_refused")?,
            row.try_get("remedy_refused_amount")?,
        )?;
        let policy = ExceptionPolicy::new(row.try_get("retry_before_s")?, otherwise, refused)?;
        let name: String = row.try_get("name")?;
        Ok(Tenant::new(id, &name, cutoff, policy)?)
    }

    /// Adds a station of a tenant.
    pub async fn add_station(
        &self,
        tenant: TenantId,
        id: StationId,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO stations (tenant_id, station_id, name) VALUES ($1, $2, $3)")
            .bind(tenant.0)
            .bind(id.0)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Adds a courier of a tenant.
    pub async fn add_courier(
        &self,
        tenant: TenantId,
        id: CourierId,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO couriers (tenant_id, courier_id, name) VALUES ($1, $2, $3)")
            .bind(tenant.0)
            .bind(id.0)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A remedy as its stored name and amount (cents or points, 0 otherwise).
pub(crate) fn remedy_columns(r: Remedy) -> (&'static str, i64) {
    match r {
        Remedy::SameDayRetry => ("same_day_retry", 0),
        Remedy::MakeUpNextDay => ("make_up", 0),
        Remedy::ExtendOneDay => ("extension", 0),
        Remedy::Credit(Credit::Coupon(c)) => ("coupon", c.0),
        Remedy::Credit(Credit::Points(p)) => ("points", i64::from(p)),
    }
}

/// The remedy of a stored name and amount.
pub(crate) fn remedy_from(name: String, amount: i64) -> Result<Remedy, StoreError> {
    Ok(match name.as_str() {
        "same_day_retry" => Remedy::SameDayRetry,
        "make_up" => Remedy::MakeUpNextDay,
        "extension" => Remedy::ExtendOneDay,
        "coupon" => Remedy::Credit(Credit::Coupon(Cents(amount))),
        "points" => Remedy::Credit(Credit::Points(super::to_u32(amount, "remedy amount")?)),
        _ => {
            return Err(StoreError::Corrupt {
                field: "remedy",
                reason: format!("unknown remedy `{name}`"),
            })
        }
    })
}
