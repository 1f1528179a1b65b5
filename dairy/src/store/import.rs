//! Bulk loads: customers with their households, and subscriptions, many rows per `INSERT`
//! and one transaction per call, for a company moving its book in (and for the benchmarks).
//! The rows are the same as [`Store::add_customer`], [`Store::add_household`] and
//! [`Store::add_subscription`] write one at a time.
use super::{date_text, values_clause, Store, StoreError, ROWS_PER_INSERT};
use crate::household::{Customer, Household};
use crate::ids::TenantId;
use crate::subscription::{Subscription, Term};

impl Store {
    /// Adds customers and households in one transaction: every customer first, then every
    /// household (whose customer and station must be the tenant's). Any refused row (a
    /// duplicate id, a foreign key) rolls the whole load back.
    pub async fn import_households(
        &self,
        tenant: TenantId,
        customers: &[Customer],
        households: &[Household],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for chunk in customers.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO customers (tenant_id, customer_id, name) {}",
                values_clause(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q.bind(tenant.0).bind(c.id.0).bind(c.name.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in households.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO households (tenant_id, household_id, customer_id, station_id, \
                 address, lat, lon, window_start_s, window_end_s, qr_token) {}",
                values_clause(self.backend, chunk.len(), 10)
            );
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q
                    .bind(tenant.0)
                    .bind(h.id.0)
                    .bind(h.customer.0)
                    .bind(h.station.0)
                    .bind(h.address.as_str())
                    .bind(h.point.lat)
                    .bind(h.point.lon)
                    .bind(h.window.start_s)
                    .bind(h.window.end_s)
                    .bind(h.qr_token.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds subscriptions in one transaction; their households and packages must be the
    /// tenant's. Any refused row rolls the whole load back.
    pub async fn import_subscriptions(
        &self,
        tenant: TenantId,
        subs: &[Subscription],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for chunk in subs.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO subscriptions (tenant_id, subscription_id, household_id, \
                 package_id, start_date, prepaid, end_date, quantity, weekdays) {}",
                values_clause(self.backend, chunk.len(), 9)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                let (prepaid, end) = match s.term {
                    Term::Prepaid(n) => (Some(i64::from(n)), None),
                    Term::Until(d) => (None, Some(date_text(d))),
                };
                q = q
                    .bind(tenant.0)
                    .bind(s.id.0)
                    .bind(s.household.0)
                    .bind(s.package.0)
                    .bind(date_text(s.start))
                    .bind(prepaid)
                    .bind(end)
                    .bind(i64::from(s.quantity))
                    .bind(i64::from(s.weekdays.bits()));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
