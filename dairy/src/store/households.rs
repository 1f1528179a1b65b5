//! Customers and households.
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Store, StoreError};
use crate::household::{Customer, DeliveryWindow, GeoPoint, Household, QrToken};
use crate::ids::{CustomerId, HouseholdId, StationId, TenantId};

impl Store {
    /// Adds a customer.
    pub async fn add_customer(&self, tenant: TenantId, c: &Customer) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO customers (tenant_id, customer_id, name) VALUES ($1, $2, $3)")
            .bind(tenant.0)
            .bind(c.id.0)
            .bind(&c.name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Adds a household; its customer and station must be the tenant's.
    pub async fn add_household(&self, tenant: TenantId, h: &Household) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO households (tenant_id, household_id, customer_id, station_id, address, \
             lat, lon, window_start_s, window_end_s, qr_token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(tenant.0)
        .bind(h.id.0)
        .bind(h.customer.0)
        .bind(h.station.0)
        .bind(&h.address)
        .bind(h.point.lat)
        .bind(h.point.lon)
        .bind(h.window.start_s)
        .bind(h.window.end_s)
        .bind(h.qr_token.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A household of the tenant.
    pub async fn household(
        &self,
        tenant: TenantId,
        id: HouseholdId,
    ) -> Result<Household, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM households WHERE tenant_id = $1 AND household_id = $2"
        ))
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "household",
            id: id.0,
        })?;
        household_from_row(&row)
    }

    /// The households a station serves, by id.
    pub async fn households_of_station(
        &self,
        tenant: TenantId,
        station: StationId,
    ) -> Result<Vec<Household>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM households WHERE tenant_id = $1 AND station_id = $2 \
             ORDER BY household_id"
        ))
        .bind(tenant.0)
        .bind(station.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(household_from_row).collect()
    }

    /// A customer's name (`None`: the tenant has no such customer).
    pub async fn customer_name(
        &self,
        tenant: TenantId,
        customer: CustomerId,
    ) -> Result<Option<String>, StoreError> {
        let row =
            sqlx::query("SELECT name FROM customers WHERE tenant_id = $1 AND customer_id = $2")
                .bind(tenant.0)
                .bind(customer.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.try_get("name")).transpose()?)
    }
}

/// The columns [`household_from_row`] reads.
const COLUMNS: &str = "household_id, customer_id, station_id, address, lat, lon, \
                       window_start_s, window_end_s, qr_token";

/// A household from a row with [`COLUMNS`].
fn household_from_row(row: &AnyRow) -> Result<Household, StoreError> {
    let address: String = row.try_get("address")?;
    let token: String = row.try_get("qr_token")?;
    Ok(Household::new(
        HouseholdId(row.try_get("household_id")?),
        CustomerId(row.try_get("customer_id")?),
        StationId(row.try_get("station_id")?),
        &address,
        GeoPoint::new(row.try_get("lat")?, row.try_get("lon")?)?,
        DeliveryWindow::new(row.try_get("window_start_s")?, row.try_get("window_end_s")?)?,
        QrToken::new(&token)?,
    )?)
}
