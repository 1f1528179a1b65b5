//! Promotions, stored: the promotion, its members fixed at the first push (targeted or held
//! out), the push through the outbox (one message per targeted customer and one per courier
//! serving them, each with a dedupe key, so a repeated push adds no row) and the conversion.
use std::collections::{BTreeMap, BTreeSet};

use milkrun_calendar::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::outbox::enqueue_on;
use super::{date_text, parse_date, values_clause, Store, StoreError, ROWS_PER_INSERT};
use crate::error::invalid;
use crate::ids::{CourierId, CustomerId, HouseholdId, PackageId, ProductId, PromotionId, TenantId};
use crate::money::Cents;
use crate::promotion::{
    courier_message, customer_message, split_holdout, Conversion, Offer, Promotion,
};
use crate::segment::Segment;

/// How many days before the push the night plans are searched for the courier serving a
/// targeted household (its latest planned stop in them).
pub const COURIER_LOOKBACK_DAYS: i32 = 14;

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushReport {
    /// Customers told (the segment's members less the holdout).
    pub targeted: usize,
    /// Customers held out.
    pub held_out: usize,
    /// Couriers told.
    pub couriers: usize,
    /// Messages this push added to the outbox (0 on a repeat).
    pub enqueued: usize,
}

const COLUMNS: &str = "promotion_id, offer_kind, package_id, product_id, price_cents, \
                       free_units, valid_from, valid_to, segment, holdout_pct, seed";

/// The most promotions [`Store::promotions`] lists (the newest).
pub const PROMOTIONS_LISTED: i64 = 100;

impl Store {
    /// Adds a promotion; its package or product must be the tenant's
    /// ([`StoreError::NotFound`] otherwise). Adding the same promotion again changes nothing
    /// and returns `false`; another promotion under a taken id is refused, naming
    /// `promotion.id`.
    pub async fn add_promotion(&self, tenant: TenantId, p: &Promotion) -> Result<bool, StoreError> {
        // The fields are public: check them again as `Promotion::new` does.
        let p = &Promotion::new(
            p.id,
            p.offer,
            p.valid_from,
            p.valid_to,
            p.segment,
            p.holdout_pct,
            p.seed,
        )?;
        let (kind, package, product, price, free) = match p.offer {
            Offer::Subscribe { package, price } => {
                self.package(tenant, package).await?;
                ("subscribe", Some(package.0), None, Some(price.0), None)
            }
            Offer::Extra {
                product,
                free_units,
            } => {
                let known = sqlx::query(
                    "SELECT 1 AS one FROM products WHERE tenant_id = $1 AND product_id = $2",
                )
                .bind(tenant.0)
                .bind(product.0)
                .fetch_optional(&self.pool)
                .await?;
                if known.is_none() {
                    return Err(StoreError::NotFound {
                        tenant,
                        what: "product",
                        id: product.0,
                    });
                }
                (
                    "extra",
                    None,
                    Some(product.0),
                    None,
                    Some(i64::from(free_units)),
                )
            }
        };
        let done = sqlx::query(&format!(
            "INSERT INTO promotions (tenant_id, {COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"
        ))
        .bind(tenant.0)
        .bind(p.id.0)
        .bind(kind)
        .bind(package)
        .bind(product)
        .bind(price)
        .bind(free)
        .bind(date_text(p.valid_from))
        .bind(date_text(p.valid_to))
        .bind(p.segment.as_str())
        .bind(i64::from(p.holdout_pct))
        // The seed's bits, as BIGINT holds them.
        .bind(p.seed as i64)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        if self.promotion(tenant, p.id).await? == *p {
            Ok(false)
        } else {
            Err(invalid(
                "promotion.id",
                format!("{} is taken by another promotion", p.id),
            )
            .into())
        }
    }

    /// Adds a promotion under the tenant's next promotion id (one above its highest) and
    /// returns it. Two managers creating at the same moment may draw the same id: the second
    /// is refused naming `promotion.id` and may try again.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_promotion(
        &self,
        tenant: TenantId,
        offer: Offer,
        valid_from: Date,
        valid_to: Date,
        segment: Segment,
        holdout_pct: u8,
        seed: u64,
    ) -> Result<Promotion, StoreError> {
        let last: i64 = sqlx::query(
            "SELECT CAST(COALESCE(MAX(promotion_id), 0) AS BIGINT) AS last FROM promotions \
             WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_one(&self.pool)
        .await?
        .try_get("last")?;
        let id = last
            .checked_add(1)
            .map(PromotionId)
            .ok_or_else(|| invalid("promotion.id", "no promotion id is left"))?;
        let p = Promotion::new(id, offer, valid_from, valid_to, segment, holdout_pct, seed)?;
        if !self.add_promotion(tenant, &p).await? {
            return Err(invalid("promotion.id", format!("{id} is taken: try again")).into());
        }
        Ok(p)
    }

    /// The tenant's newest promotions, at most [`PROMOTIONS_LISTED`], by id.
    pub async fn promotions(&self, tenant: TenantId) -> Result<Vec<Promotion>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM promotions WHERE tenant_id = $1 \
             ORDER BY promotion_id DESC LIMIT $2"
        ))
        .bind(tenant.0)
        .bind(PROMOTIONS_LISTED)
        .fetch_all(&self.pool)
        .await?;
        let mut list = rows
            .iter()
            .map(promotion_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        list.reverse();
        Ok(list)
    }

    /// The promotions a customer was told of (a member at the push, not held out) that are
    /// valid on `today`, by id.
    pub async fn offers_for_customer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        today: Date,
    ) -> Result<Vec<Promotion>, StoreError> {
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("p.{c}")).collect();
        let rows = sqlx::query(&format!(
            "SELECT {} FROM promotions p JOIN promotion_members m \
             ON m.tenant_id = p.tenant_id AND m.promotion_id = p.promotion_id \
             WHERE p.tenant_id = $1 AND m.customer_id = $2 AND m.holdout = 0 \
             AND p.valid_from <= $3 AND p.valid_to >= $3 ORDER BY p.promotion_id",
            columns.join(", ")
        ))
        .bind(tenant.0)
        .bind(customer.0)
        .bind(date_text(today))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(promotion_from_row).collect()
    }

    /// One of the tenant's promotions; another tenant's id is [`StoreError::NotFound`].
    pub async fn promotion(
        &self,
        tenant: TenantId,
        id: PromotionId,
    ) -> Result<Promotion, StoreError> {
        let mut conn = self.pool.acquire().await?;
        promotion_on(&mut conn, tenant, id).await
    }

    /// Pushes a promotion on `today`: on the first push its segment's members (the stored
    /// segments, [`Store::assign_segments`]) are fixed and split into targeted and held out
    /// ([`split_holdout`]); every push then enqueues one message per targeted customer
    /// (`promo:{id}:customer:{c}`) and one per courier serving their households
    /// (`promo:{id}:courier:{k}`: the courier of each household's latest planned stop in the
    /// [`COURIER_LOOKBACK_DAYS`] days up to `today`), in one transaction. Keys already in the
    /// outbox add nothing, so a repeated push adds no row. A push outside the promotion's
    /// validity is refused, naming `promotion.today`.
    pub async fn push_promotion(
        &self,
        tenant: TenantId,
        id: PromotionId,
        today: Date,
    ) -> Result<PushReport, StoreError> {
        let p = self.promotion(tenant, id).await?;
        if !(p.valid_from..=p.valid_to).contains(&today) {
            return Err(invalid(
                "promotion.today",
                format!(
                    "{today} is outside the validity {}..={}",
                    p.valid_from, p.valid_to
                ),
            )
            .into());
        }
        let candidates = self.segment_members(tenant, p.segment).await?;
        let mut tx = self.begin_write().await?;
        if members_on(&mut tx, tenant, id).await?.is_empty() {
            let split = split_holdout(&p, &candidates)?;
            for chunk in split.chunks(ROWS_PER_INSERT) {
                let sql = format!(
                    "INSERT INTO promotion_members (tenant_id, promotion_id, customer_id, \
                     holdout) {} ON CONFLICT DO NOTHING",
                    values_clause(self.backend, chunk.len(), 4)
                );
                let mut q = sqlx::query(&sql);
                for &(c, held) in chunk {
                    q = q.bind(tenant.0).bind(id.0).bind(c.0).bind(i64::from(held));
                }
                q.execute(&mut *tx).await?;
            }
        }
        let members = members_on(&mut tx, tenant, id).await?;
        let targeted: Vec<CustomerId> = members.iter().filter(|m| !m.1).map(|m| m.0).collect();
        let mut report = PushReport {
            targeted: targeted.len(),
            held_out: members.len() - targeted.len(),
            ..PushReport::default()
        };
        for &c in &targeted {
            let m = customer_message(&p, c)?;
            report.enqueued += usize::from(enqueue_on(&mut tx, tenant, &m).await?);
        }
        // The courier of each targeted household's latest planned stop.
        let stops = sqlx::query(
            "SELECT ns.household_id AS household_id, ns.courier_id AS courier_id, \
             ns.delivery_date AS delivery_date FROM night_stops ns \
             JOIN households h ON h.tenant_id = ns.tenant_id AND h.household_id = ns.household_id \
             JOIN promotion_members m ON m.tenant_id = h.tenant_id AND m.customer_id = h.customer_id \
             WHERE ns.tenant_id = $1 AND m.promotion_id = $2 AND m.holdout = 0 \
             AND ns.courier_id IS NOT NULL AND ns.delivery_date >= $3 AND ns.delivery_date <= $4 \
             ORDER BY ns.household_id, ns.delivery_date",
        )
        .bind(tenant.0)
        .bind(id.0)
        .bind(date_text(today.add_days(-COURIER_LOOKBACK_DAYS)))
        .bind(date_text(today))
        .fetch_all(&mut *tx)
        .await?;
        let mut latest: BTreeMap<HouseholdId, CourierId> = BTreeMap::new();
        for r in &stops {
            // Rows come in date order per household: the last one wins.
            latest.insert(
                HouseholdId(r.try_get("household_id")?),
                CourierId(r.try_get("courier_id")?),
            );
        }
        let mut per_courier: BTreeMap<CourierId, Vec<HouseholdId>> = BTreeMap::new();
        for (h, c) in latest {
            per_courier.entry(c).or_default().push(h);
        }
        report.couriers = per_courier.len();
        for (c, households) in &per_courier {
            let m = courier_message(&p, *c, households)?;
            report.enqueued += usize::from(enqueue_on(&mut tx, tenant, &m).await?);
        }
        tx.commit().await?;
        Ok(report)
    }

    /// The promotion's members as fixed at its first push: (customer, held out), in customer
    /// order; empty before the first push.
    pub async fn promotion_members(
        &self,
        tenant: TenantId,
        id: PromotionId,
    ) -> Result<Vec<(CustomerId, bool)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        promotion_on(&mut conn, tenant, id).await?;
        members_on(&mut conn, tenant, id).await
    }

    /// The promotion's conversion: of its targeted members and of its holdout, how many took
    /// the offer within the validity (a subscription to the promoted package starting in it,
    /// or an extra of the promoted product dated in it, on one of their households).
    pub async fn promotion_conversion(
        &self,
        tenant: TenantId,
        id: PromotionId,
    ) -> Result<Conversion, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let p = promotion_on(&mut conn, tenant, id).await?;
        let members = members_on(&mut conn, tenant, id).await?;
        let (sql, offer_id) = match p.offer {
            Offer::Subscribe { package, .. } => (
                "SELECT DISTINCT h.customer_id AS customer_id FROM subscriptions s \
                 JOIN households h ON h.tenant_id = s.tenant_id AND h.household_id = s.household_id \
                 JOIN promotion_members m ON m.tenant_id = h.tenant_id AND m.customer_id = h.customer_id \
                 WHERE s.tenant_id = $1 AND m.promotion_id = $2 AND s.package_id = $3 \
                 AND s.start_date >= $4 AND s.start_date <= $5",
                package.0,
            ),
            Offer::Extra { product, .. } => (
                "SELECT DISTINCT h.customer_id AS customer_id FROM operations op \
                 JOIN subscriptions s ON s.tenant_id = op.tenant_id AND s.subscription_id = op.subscription_id \
                 JOIN households h ON h.tenant_id = s.tenant_id AND h.household_id = s.household_id \
                 JOIN promotion_members m ON m.tenant_id = h.tenant_id AND m.customer_id = h.customer_id \
                 WHERE op.tenant_id = $1 AND m.promotion_id = $2 AND op.kind = 'extra' \
                 AND op.product_id = $3 AND op.date_from >= $4 AND op.date_from <= $5",
                product.0,
            ),
        };
        let rows = sqlx::query(sql)
            .bind(tenant.0)
            .bind(id.0)
            .bind(offer_id)
            .bind(date_text(p.valid_from))
            .bind(date_text(p.valid_to))
            .fetch_all(&mut *conn)
            .await?;
        let taken = rows
            .iter()
            .map(|r| Ok(CustomerId(r.try_get("customer_id")?)))
            .collect::<Result<BTreeSet<_>, StoreError>>()?;
        Ok(Conversion::count(&members, &taken))
    }
}

/// The promotion `id` of the tenant, on a connection.
async fn promotion_on(
    conn: &mut AnyConnection,
    tenant: TenantId,
    id: PromotionId,
) -> Result<Promotion, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM promotions WHERE tenant_id = $1 AND promotion_id = $2"
    ))
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound {
        tenant,
        what: "promotion",
        id: id.0,
    })?;
    promotion_from_row(&row)
}

/// A promotion from a row with [`COLUMNS`].
fn promotion_from_row(r: &AnyRow) -> Result<Promotion, StoreError> {
    let kind: String = r.try_get("offer_kind")?;
    let corrupt = |field: &'static str| StoreError::Corrupt {
        field,
        reason: format!("missing for a `{kind}` offer"),
    };
    let offer = match kind.as_str() {
        "subscribe" => Offer::Subscribe {
            package: PackageId(
                r.try_get::<Option<i64>, _>("package_id")?
                    .ok_or_else(|| corrupt("promotions.package_id"))?,
            ),
            price: Cents(
                r.try_get::<Option<i64>, _>("price_cents")?
                    .ok_or_else(|| corrupt("promotions.price_cents"))?,
            ),
        },
        "extra" => Offer::Extra {
            product: ProductId(
                r.try_get::<Option<i64>, _>("product_id")?
                    .ok_or_else(|| corrupt("promotions.product_id"))?,
            ),
            free_units: super::to_u32(
                r.try_get::<Option<i64>, _>("free_units")?
                    .ok_or_else(|| corrupt("promotions.free_units"))?,
                "promotions.free_units",
            )?,
        },
        _ => {
            return Err(StoreError::Corrupt {
                field: "promotions.offer_kind",
                reason: format!("unknown offer `{kind}`"),
            })
        }
    };
    let from: String = r.try_get("valid_from")?;
    let to: String = r.try_get("valid_to")?;
    let segment: String = r.try_get("segment")?;
    let holdout: i64 = r.try_get("holdout_pct")?;
    let seed: i64 = r.try_get("seed")?;
    Ok(Promotion::new(
        PromotionId(r.try_get("promotion_id")?),
        offer,
        parse_date(&from, "promotions.valid_from")?,
        parse_date(&to, "promotions.valid_to")?,
        Segment::parse(&segment)?,
        u8::try_from(holdout).map_err(|_| StoreError::Corrupt {
            field: "promotions.holdout_pct",
            reason: format!("{holdout} is not a percentage"),
        })?,
        // The seed's bits back from BIGINT.
        seed as u64,
    )?)
}

/// The stored members of a promotion, in customer order.
async fn members_on(
    conn: &mut AnyConnection,
    tenant: TenantId,
    id: PromotionId,
) -> Result<Vec<(CustomerId, bool)>, StoreError> {
    let rows = sqlx::query(
        "SELECT customer_id, holdout FROM promotion_members WHERE tenant_id = $1 \
         AND promotion_id = $2 ORDER BY customer_id",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let held: i64 = r.try_get("holdout")?;
            Ok((CustomerId(r.try_get("customer_id")?), held != 0))
        })
        .collect()
}
