//! A day's rounds: the planned stops of the night's plan with their households, orders and
//! outcomes ([`crate::round`]), read for the station's board and a courier's round, and a
//! courier's report on one stop (signed off with the door's QR token, or failed with a
//! reason and the tenant's exception policy applied), through [`Store::record_outcome`], and
//! the empty bottles he collected there ([`Store::record_bottle_return`]).
use milkrun_calendar::Date;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::orders::order_from_row;
use super::outcome_rows::outcome_from_row;
use super::outcomes::{OutcomeReport, RecordedOutcome};
use super::{date_text, to_u32, Store, StoreError};
use crate::bottles::BottleReturn;
use crate::calendar::Moment;
use crate::dedupe::DedupeKey;
use crate::household::GeoPoint;
use crate::ids::{CourierId, CustomerId, HouseholdId, OrderId, StationId, TenantId};
use crate::outcome::FailureReason;
use crate::round::{RoundOrder, RoundStop, StopStatus};

/// The columns [`stops_from_rows`] reads: one row per (stop, order).
const ROUND_COLUMNS: &str = "s.household_id AS household_id, s.station_id AS station_id, \
     s.courier_id AS stop_courier, s.seq AS seq, s.arrival_s AS arrival_s, \
     s.promise_start_s AS promise_start_s, s.promise_end_s AS promise_end_s, \
     s.replan_note AS replan_note, \
     h.customer_id AS customer_id, h.address AS address, h.lat AS lat, h.lon AS lon, \
     h.window_start_s AS window_start_s, h.window_end_s AS window_end_s, \
     o.order_id AS order_id, o.subscription_id AS subscription_id, \
     o.delivery_date AS delivery_date, o.line AS line, o.line_kind AS line_kind, \
     o.product_id AS product_id, o.quantity AS quantity, p.name AS product_name, \
     r.status AS status, r.reason AS reason, r.courier_id AS courier_id, \
     r.outcome_date AS outcome_date, r.outcome_s AS outcome_s";

/// The joins behind [`ROUND_COLUMNS`]; `$1` the tenant, `$2` the day.
const ROUND_FROM: &str = "FROM night_stops s \
     JOIN households h ON h.tenant_id = s.tenant_id AND h.household_id = s.household_id \
     JOIN orders o ON o.tenant_id = s.tenant_id AND o.household_id = s.household_id \
          AND o.delivery_date = s.delivery_date \
     JOIN products p ON p.tenant_id = o.tenant_id AND p.product_id = o.product_id \
     LEFT JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
     WHERE s.tenant_id = $1 AND s.delivery_date = $2";

impl Store {
    /// The latest day with a stored night plan: the day the faces run (`None`: no plan yet).
    pub async fn open_day(&self, tenant: TenantId) -> Result<Option<Date>, StoreError> {
        let row =
            sqlx::query("SELECT MAX(delivery_date) AS day FROM night_plans WHERE tenant_id = $1")
                .bind(tenant.0)
                .fetch_one(&self.pool)
                .await?;
        let day: Option<String> = row.try_get("day")?;
        day.map(|d| super::parse_date(&d, "night_plans.delivery_date"))
            .transpose()
    }

    /// Every planned stop of the day, by station, courier, place in the route and household.
    pub async fn day_board(
        &self,
        tenant: TenantId,
        date: Date,
    ) -> Result<Vec<RoundStop>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} {ROUND_FROM} \
             ORDER BY s.station_id, s.courier_id, s.seq, s.household_id, o.order_id"
        ))
        .bind(tenant.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        stops_from_rows(&rows)
    }

    /// A courier's stops of the day in route order (empty when the courier has none; a
    /// courier of another tenant has none).
    pub async fn courier_round(
        &self,
        tenant: TenantId,
        date: Date,
        courier: CourierId,
    ) -> Result<Vec<RoundStop>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} {ROUND_FROM} AND s.courier_id = $3 \
             ORDER BY s.seq, s.household_id, o.order_id"
        ))
        .bind(tenant.0)
        .bind(date_text(date))
        .bind(courier.0)
        .fetch_all(&self.pool)
        .await?;
        stops_from_rows(&rows)
    }

    /// One stop of a courier's round (`NotFound` when the household is not on it).
    pub async fn round_stop(
        &self,
        tenant: TenantId,
        date: Date,
        courier: CourierId,
        household: HouseholdId,
    ) -> Result<RoundStop, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ROUND_COLUMNS} {ROUND_FROM} AND s.courier_id = $3 \
             AND s.household_id = $4 ORDER BY o.order_id"
        ))
        .bind(tenant.0)
        .bind(date_text(date))
        .bind(courier.0)
        .bind(household.0)
        .fetch_all(&self.pool)
        .await?;
        stops_from_rows(&rows)?.pop().ok_or(StoreError::NotFound {
            tenant,
            what: "stop on the courier's round for household",
            id: household.0,
        })
    }

    /// The courier delivered the stop: the scanned door token signs off each of its pending
    /// orders ([`Store::record_outcome`]; a wrong token records nothing). `NotFound` when the
    /// household is not on the courier's round of the day.
    pub async fn deliver_stop(
        &self,
        tenant: TenantId,
        date: Date,
        courier: CourierId,
        household: HouseholdId,
        scanned_token: &str,
        at: Moment,
    ) -> Result<RoundStop, StoreError> {
        let stop = self.round_stop(tenant, date, courier, household).await?;
        let report = OutcomeReport::Delivered {
            courier,
            at,
            scanned_household: household,
            scanned_token: scanned_token.to_string(),
        };
        for o in stop.orders.iter().filter(|o| o.outcome.is_none()) {
            self.record_outcome(tenant, o.order, &report).await?;
        }
        self.round_stop(tenant, date, courier, household).await
    }

    /// The courier could not deliver the stop: each pending order fails for `reason` and gets
    /// the tenant's remedy ([`Store::apply_exception`]). `NotFound` as for
    /// [`Store::deliver_stop`].
    pub async fn fail_stop(
        &self,
        tenant: TenantId,
        date: Date,
        courier: CourierId,
        household: HouseholdId,
        reason: FailureReason,
        at: Moment,
    ) -> Result<RoundStop, StoreError> {
        let stop = self.round_stop(tenant, date, courier, household).await?;
        let report = OutcomeReport::Failed {
            courier,
            at,
            reason,
        };
        for o in stop.orders.iter().filter(|o| o.outcome.is_none()) {
            let RecordedOutcome { first, .. } =
                self.record_outcome(tenant, o.order, &report).await?;
            if first {
                self.apply_exception(tenant, o.order, at).await?;
            }
        }
        self.round_stop(tenant, date, courier, household).await
    }

    /// The courier collected `bottles` empty bottles at a stop of his round: one return per
    /// stop and day (key `round:{date}:{courier}:{household}`; a second count records nothing
    /// and answers `false`). `NotFound` as for [`Store::deliver_stop`].
    pub async fn collect_bottles(
        &self,
        tenant: TenantId,
        date: Date,
        courier: CourierId,
        household: HouseholdId,
        bottles: u32,
    ) -> Result<bool, StoreError> {
        self.round_stop(tenant, date, courier, household).await?;
        let key = DedupeKey::new(&format!("round:{date}:{}:{}", courier.0, household.0))?;
        let r = BottleReturn::new(key, household, courier, date, bottles)?;
        self.record_bottle_return(tenant, &r).await
    }

    /// Households of the day whose failed delivery waits for its make-up (the tenant's
    /// remedy gave it a make-up delivery or a same-day retry): an alert on the board.
    pub async fn failed_awaiting_make_up(
        &self,
        tenant: TenantId,
        date: Date,
    ) -> Result<Vec<HouseholdId>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT o.household_id AS household_id FROM orders o \
             JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             JOIN remedies m ON m.tenant_id = o.tenant_id AND m.order_id = o.order_id \
             WHERE o.tenant_id = $1 AND o.delivery_date = $2 AND r.status = 'failed' \
             AND m.remedy IN ('make_up', 'same_day_retry') ORDER BY o.household_id",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(HouseholdId(r.try_get("household_id")?)))
            .collect()
    }

    /// The tenant's couriers, by id, with their names.
    pub async fn couriers(&self, tenant: TenantId) -> Result<Vec<(CourierId, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT courier_id, name FROM couriers WHERE tenant_id = $1 ORDER BY courier_id",
        )
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((CourierId(r.try_get("courier_id")?), r.try_get("name")?)))
            .collect()
    }

    /// The tenant's stations, by id, with their names.
    pub async fn stations(&self, tenant: TenantId) -> Result<Vec<(StationId, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT station_id, name FROM stations WHERE tenant_id = $1 ORDER BY station_id",
        )
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((StationId(r.try_get("station_id")?), r.try_get("name")?)))
            .collect()
    }
}

/// The stops of rows with [`ROUND_COLUMNS`], consecutive rows of one household making one
/// stop.
fn stops_from_rows(rows: &[AnyRow]) -> Result<Vec<RoundStop>, StoreError> {
    let mut stops: Vec<RoundStop> = Vec::new();
    for row in rows {
        let household = HouseholdId(row.try_get("household_id")?);
        let order = order_from_row(row)?;
        let status: Option<String> = row.try_get("status")?;
        let outcome = match status {
            Some(_) => Some(outcome_from_row(row)?),
            None => None,
        };
        let item = RoundOrder {
            order: OrderId(order.id.0),
            product: order.product,
            product_name: row.try_get("product_name")?,
            quantity: order.quantity,
            line: order.line,
            outcome,
        };
        if let Some(last) = stops.last_mut().filter(|s| s.household == household) {
            last.orders.push(item);
            continue;
        }
        let promise = match (
            row.try_get::<Option<i64>, _>("promise_start_s")?,
            row.try_get::<Option<i64>, _>("promise_end_s")?,
        ) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        let seq: Option<i64> = row.try_get("seq")?;
        stops.push(RoundStop {
            household,
            customer: CustomerId(row.try_get("customer_id")?),
            station: StationId(row.try_get("station_id")?),
            courier: row
                .try_get::<Option<i64>, _>("stop_courier")?
                .map(CourierId),
            seq: seq.map(|s| to_u32(s, "night_stops.seq")).transpose()?,
            arrival_s: row.try_get("arrival_s")?,
            promise_s: promise,
            window_s: (row.try_get("window_start_s")?, row.try_get("window_end_s")?),
            address: row.try_get("address")?,
            point: GeoPoint::new(row.try_get("lat")?, row.try_get("lon")?)?,
            orders: vec![item],
            status: StopStatus::Pending,
            replan_note: row.try_get("replan_note")?,
        });
    }
    for s in &mut stops {
        s.status = StopStatus::of(&s.orders);
    }
    Ok(stops)
}
