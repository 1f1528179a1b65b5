//! Subscriptions.
use super::{date_text, to_u32, Cells, Store, StoreError};
use crate::ids::{CustomerId, HouseholdId, PackageId, SubscriptionId, TenantId};
use crate::subscription::{Subscription, Term, WeekdayPattern};

/// The columns [`subscription_from_row`] reads.
pub(crate) const COLUMNS: &str =
    "subscription_id, household_id, package_id, start_date, prepaid, end_date, quantity, weekdays";

impl Store {
    /// Adds a subscription; its household and package must be the tenant's.
    pub async fn add_subscription(
        &self,
        tenant: TenantId,
        s: &Subscription,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_on(&mut conn, tenant, s).await
    }

    /// A subscription of the tenant.
    pub async fn subscription(
        &self,
        tenant: TenantId,
        id: SubscriptionId,
    ) -> Result<Subscription, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND subscription_id = $2"
        ))
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "subscription",
            id: id.0,
        })?;
        subscription_from_row(&row)
    }

    /// The subscriptions of a customer's households, by id (none for an unknown customer).
    pub async fn subscriptions_of_customer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
    ) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND household_id IN \
             (SELECT household_id FROM households WHERE tenant_id = $1 AND customer_id = $2) \
             ORDER BY subscription_id"
        ))
        .bind(tenant.0)
        .bind(customer.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(subscription_from_row).collect()
    }
}

/// A subscription from a row with [`COLUMNS`].
pub(crate) fn subscription_from_row(row: &impl Cells) -> Result<Subscription, StoreError> {
    let start = row.date("start_date", "subscriptions.start_date")?;
    let prepaid = row.opt_int("prepaid")?;
    let end = row.opt_date("end_date", "subscriptions.end_date")?;
    let term = match (prepaid, end) {
        (Some(n), None) => Term::Prepaid(to_u32(n, "subscriptions.prepaid")?),
        (None, Some(d)) => Term::Until(d),
        _ => {
            return Err(StoreError::Corrupt {
                field: "subscriptions.prepaid",
                reason: "needs exactly one of prepaid and end_date".into(),
            })
        }
    };
    let bits = row.int("weekdays")?;
    let bits = u8::try_from(bits).map_err(|_| StoreError::Corrupt {
        field: "subscriptions.weekdays",
        reason: format!("{bits} is not a weekday pattern"),
    })?;
    Ok(Subscription::new(
        SubscriptionId(row.int("subscription_id")?),
        HouseholdId(row.int("household_id")?),
        PackageId(row.int("package_id")?),
        start,
        term,
        to_u32(row.int("quantity")?, "subscriptions.quantity")?,
        WeekdayPattern::from_bits(bits)?,
    )?)
}

/// The tenant's next subscription id, read on a connection (or in a transaction);
/// `field` names the request in the error when the ids are used up.
pub(crate) async fn next_id_on(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    field: &'static str,
) -> Result<SubscriptionId, StoreError> {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT CAST(COALESCE(MAX(subscription_id), 0) AS BIGINT) AS last FROM subscriptions \
         WHERE tenant_id = $1",
    )
    .bind(tenant.0)
    .fetch_one(&mut *conn)
    .await?;
    let last: i64 = row.try_get("last")?;
    Ok(last
        .checked_add(1)
        .map(SubscriptionId)
        .ok_or_else(|| crate::error::invalid(field, "no subscription id is left"))?)
}

/// Inserts a subscription on a connection (or in a transaction).
pub(crate) async fn insert_on(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    s: &Subscription,
) -> Result<(), StoreError> {
    let (prepaid, end) = match s.term {
        Term::Prepaid(n) => (Some(i64::from(n)), None),
        Term::Until(d) => (None, Some(date_text(d))),
    };
    sqlx::query(
        "INSERT INTO subscriptions (tenant_id, subscription_id, household_id, package_id, \
         start_date, prepaid, end_date, quantity, weekdays) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant.0)
    .bind(s.id.0)
    .bind(s.household.0)
    .bind(s.package.0)
    .bind(date_text(s.start))
    .bind(prepaid)
    .bind(end)
    .bind(i64::from(s.quantity))
    .bind(i64::from(s.weekdays.bits()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
