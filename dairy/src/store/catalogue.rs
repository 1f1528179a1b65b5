//! Products and packages.
use sqlx::Row;

use super::{to_u32, Store, StoreError};
use crate::catalogue::{Pack, Package, Period, Product};
use crate::ids::{PackageId, ProductId, TenantId};
use crate::money::Cents;

impl Store {
    /// Adds a product.
    pub async fn add_product(&self, tenant: TenantId, p: &Product) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO products (tenant_id, product_id, name) VALUES ($1, $2, $3)")
            .bind(tenant.0)
            .bind(p.id.0)
            .bind(&p.name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Adds a package; its product must be the tenant's.
    pub async fn add_package(&self, tenant: TenantId, p: &Package) -> Result<(), StoreError> {
        let (period, count) = match p.period {
            Period::Month => ("month", None),
            Period::Quarter => ("quarter", None),
            Period::Year => ("year", None),
            Period::Deliveries(n) => ("deliveries", Some(i64::from(n))),
        };
        sqlx::query(
            "INSERT INTO packages (tenant_id, package_id, product_id, size_ml, period, \
             period_deliveries, pack_units, price_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant.0)
        .bind(p.id.0)
        .bind(p.product.0)
        .bind(i64::from(p.size_ml))
        .bind(period)
        .bind(count)
        .bind(i64::from(p.pack.units()))
        .bind(p.price.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A package of the tenant.
    pub async fn package(&self, tenant: TenantId, id: PackageId) -> Result<Package, StoreError> {
        let row = sqlx::query(
            "SELECT product_id, size_ml, period, period_deliveries, pack_units, price_cents \
             FROM packages WHERE tenant_id = $1 AND package_id = $2",
        )
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "package",
            id: id.0,
        })?;
        let period_name: String = row.try_get("period")?;
        let count: Option<i64> = row.try_get("period_deliveries")?;
        let period = match (period_name.as_str(), count) {
            ("month", _) => Period::Month,
            ("quarter", _) => Period::Quarter,
            ("year", _) => Period::Year,
            ("deliveries", Some(n)) => Period::Deliveries(to_u32(n, "packages.period_deliveries")?),
            _ => {
                return Err(StoreError::Corrupt {
                    field: "packages.period",
                    reason: format!("unknown period `{period_name}`"),
                })
            }
        };
        let units = to_u32(row.try_get("pack_units")?, "packages.pack_units")?;
        let pack = if units == 1 {
            Pack::Single
        } else {
            Pack::Family { units }
        };
        Ok(Package::new(
            id,
            ProductId(row.try_get("product_id")?),
            to_u32(row.try_get("size_ml")?, "packages.size_ml")?,
            period,
            pack,
            Cents(row.try_get("price_cents")?),
        )?)
    }
}

/// The most packages [`Store::packages`] answers (a bound on what it allocates).
pub const MAX_PACKAGES: i64 = 1_000;

impl Store {
    /// The tenant's packages, by id (at most [`MAX_PACKAGES`], the first).
    pub async fn packages(&self, tenant: TenantId) -> Result<Vec<Package>, StoreError> {
        let ids = sqlx::query(
            "SELECT package_id FROM packages WHERE tenant_id = $1 ORDER BY package_id LIMIT $2",
        )
        .bind(tenant.0)
        .bind(MAX_PACKAGES)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for r in &ids {
            out.push(
                self.package(tenant, PackageId(r.try_get("package_id")?))
                    .await?,
            );
        }
        Ok(out)
    }

    /// The tenant's products with their names, by id.
    pub async fn product_names(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(ProductId, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT product_id, name FROM products WHERE tenant_id = $1 ORDER BY product_id",
        )
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((ProductId(r.try_get("product_id")?), r.try_get("name")?)))
            .collect()
    }
}
