//! The night's plan, stored: a station's frozen orders of a day are planned with an
//! [`Engine`] (stable against the station's previous plan), and the routes, each household's
//! promised window and one outbox message per order are written in one transaction.
//! Idempotent: a plan exists at most once per (tenant, day, station); a re-run returns the
//! stored plan without asking the engine, and re-enqueues nothing new (dedupe keys).
use std::collections::HashMap;

use milkrun_calendar::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::outbox::enqueue_on;
use super::{date_text, to_u32, values_clause, Backend, Store, StoreError, ROWS_PER_INSERT};
use crate::engine::{Engine, PlanCourier, PlanLimits, PlanRequest, Previous, Stability};
use crate::error::invalid;
use crate::household::{DeliveryWindow, GeoPoint};
use crate::ids::{CourierId, HouseholdId, StationId, TenantId};
use crate::night::{arrival_messages, planned_stops, stops, PlannedStop};

/// What the night needs besides the orders: the station's place, its couriers and the search.
#[derive(Debug, Clone, PartialEq)]
pub struct NightSettings {
    /// The station's point (every route starts and ends there).
    pub depot: GeoPoint,
    /// The couriers riding from the station (each must be one of the tenant's).
    pub couriers: Vec<PlanCourier>,
    /// Service time at each door, seconds.
    pub service_s: i64,
    /// Largest distance from a household to its road, metres.
    pub max_snap_m: f64,
    /// What keeping the previous plan is worth; `None`: an unconstrained plan.
    pub stability: Option<Stability>,
    /// Search limits.
    pub limits: PlanLimits,
}

/// A station's stored plan of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NightPlan {
    /// The delivery day.
    pub date: Date,
    /// The station.
    pub station: StationId,
    /// One per household with an order, by household id.
    pub stops: Vec<PlannedStop>,
    /// Planned distance, metres.
    pub dist_m: i64,
    /// Planned riding time, seconds.
    pub travel_s: i64,
    /// Whether it was planned against a previous plan of the station.
    pub stable: bool,
}

/// What a run of the night did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NightReport {
    /// The plan (made now or found).
    pub plan: NightPlan,
    /// Whether this run made the plan (false: it was stored already).
    pub planned_now: bool,
    /// Outbox messages this run inserted (0 on a re-run).
    pub messages: u64,
}

/// Why the night failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NightError<E> {
    /// The store or a domain rule refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine failed.
    #[error("engine: {0}")]
    Engine(#[source] E),
}

impl<E> From<crate::DairyError> for NightError<E> {
    fn from(e: crate::DairyError) -> Self {
        NightError::Store(StoreError::Domain(e))
    }
}

impl<E> From<sqlx::Error> for NightError<E> {
    fn from(e: sqlx::Error) -> Self {
        NightError::Store(StoreError::Db(e))
    }
}

impl Store {
    /// Plans `station`'s morning of `date` from its frozen orders (freeze first:
    /// [`Store::freeze_day`]), stable against the station's latest plan before `date` when
    /// `settings.stability` is set, and stores the routes, the promised windows and one
    /// outbox message per order. A plan already stored for the day and station is returned as
    /// it is (the engine is not asked again).
    pub async fn plan_night<E: Engine>(
        &self,
        engine: &E,
        tenant: TenantId,
        station: StationId,
        date: Date,
        settings: &NightSettings,
    ) -> Result<NightReport, NightError<E::Error>> {
        let orders = self.station_orders_on(tenant, station, date).await?;
        if let Some(plan) = self.night_plan(tenant, date, station).await? {
            let messages = self.enqueue_arrivals(tenant, date, &orders, &plan).await?;
            return Ok(NightReport {
                plan,
                planned_now: false,
                messages,
            });
        }
        let households: HashMap<_, _> = self
            .households_of_station(tenant, station)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        let previous = self.previous_plan(tenant, station, date).await?;
        let stable = settings.stability.is_some() && !previous.is_empty();
        let stops = stops(&orders, &households, &previous, settings.service_s)?;
        let req = PlanRequest {
            depot: settings.depot,
            stops,
            couriers: settings.couriers.clone(),
            max_snap_m: settings.max_snap_m,
            stability: settings.stability,
            limits: settings.limits,
        };
        req.check()?;
        let answer = if req.stops.is_empty() {
            crate::engine::PlanAnswer {
                routes: req
                    .couriers
                    .iter()
                    .map(|c| crate::engine::PlannedRoute {
                        courier: c.id,
                        visits: Vec::new(),
                        dist_m: 0,
                        travel_s: 0,
                    })
                    .collect(),
                unserved: Vec::new(),
            }
        } else {
            engine.plan(&req).await.map_err(NightError::Engine)?
        };
        answer.check(&req)?;
        let plan = NightPlan {
            date,
            station,
            stops: {
                let mut s = planned_stops(&req.stops, &answer);
                s.sort_by_key(|p| p.household);
                s
            },
            dist_m: answer.dist_m(),
            travel_s: answer.routes.iter().map(|r| r.travel_s).sum(),
            stable,
        };
        let messages = arrival_messages(date, &orders, &plan.stops)?;
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO night_plans (tenant_id, delivery_date, station_id, dist_m, travel_s, \
             stable) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .bind(station.0)
        .bind(plan.dist_m)
        .bind(plan.travel_s)
        .bind(i64::from(plan.stable))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Another run stored the day's plan first: that one stands.
            tx.rollback().await?;
            let plan = self
                .night_plan(tenant, date, station)
                .await?
                .ok_or_else(|| invalid("night_plans", "vanished during the night"))?;
            let messages = self.enqueue_arrivals(tenant, date, &orders, &plan).await?;
            return Ok(NightReport {
                plan,
                planned_now: false,
                messages,
            });
        }
        for chunk in plan.stops.chunks(ROWS_PER_INSERT) {
            insert_stops(&mut tx, tenant, date, station, chunk).await?;
        }
        let mut sent = 0;
        for m in &messages {
            sent += u64::from(enqueue_on(&mut tx, tenant, m).await?);
        }
        tx.commit().await?;
        Ok(NightReport {
            plan,
            planned_now: true,
            messages: sent,
        })
    }

    /// The stored plan of a station's day, if any.
    pub async fn night_plan(
        &self,
        tenant: TenantId,
        date: Date,
        station: StationId,
    ) -> Result<Option<NightPlan>, StoreError> {
        let Some(head) = sqlx::query(
            "SELECT dist_m, travel_s, stable FROM night_plans \
             WHERE tenant_id = $1 AND delivery_date = $2 AND station_id = $3",
        )
        .bind(tenant.0)
        .bind(date_text(date))
        .bind(station.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(&format!(
            "SELECT {STOP_COLUMNS} FROM night_stops \
             WHERE tenant_id = $1 AND delivery_date = $2 AND station_id = $3 \
             ORDER BY household_id"
        ))
        .bind(tenant.0)
        .bind(date_text(date))
        .bind(station.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(NightPlan {
            date,
            station,
            stops: rows.iter().map(stop_from_row).collect::<Result<_, _>>()?,
            dist_m: head.try_get("dist_m")?,
            travel_s: head.try_get("travel_s")?,
            stable: head.try_get::<i64, _>("stable")? != 0,
        }))
    }

    /// Each household's courier and arrival in the station's latest plan before `date`.
    async fn previous_plan(
        &self,
        tenant: TenantId,
        station: StationId,
        date: Date,
    ) -> Result<HashMap<HouseholdId, Previous>, StoreError> {
        let rows = sqlx::query(
            "SELECT household_id, courier_id, arrival_s FROM night_stops \
             WHERE tenant_id = $1 AND station_id = $2 AND courier_id IS NOT NULL \
             AND delivery_date = (SELECT MAX(delivery_date) FROM night_plans \
             WHERE tenant_id = $1 AND station_id = $2 AND delivery_date < $3)",
        )
        .bind(tenant.0)
        .bind(station.0)
        .bind(date_text(date))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    HouseholdId(r.try_get("household_id")?),
                    Previous {
                        courier: CourierId(r.try_get("courier_id")?),
                        arrival_s: r.try_get("arrival_s")?,
                    },
                ))
            })
            .collect()
    }

    /// Enqueues the arrival message of every planned order (a re-run inserts none).
    async fn enqueue_arrivals(
        &self,
        tenant: TenantId,
        date: Date,
        orders: &[crate::freeze::Order],
        plan: &NightPlan,
    ) -> Result<u64, StoreError> {
        let messages = arrival_messages(date, orders, &plan.stops)?;
        let mut tx = self.begin_write().await?;
        let mut sent = 0;
        for m in &messages {
            sent += u64::from(enqueue_on(&mut tx, tenant, m).await?);
        }
        tx.commit().await?;
        Ok(sent)
    }
}

/// The columns [`stop_from_row`] reads.
const STOP_COLUMNS: &str = "household_id, quantity, courier_id, seq, arrival_s, \
                            promise_start_s, promise_end_s";

/// A planned stop from a row with [`STOP_COLUMNS`].
fn stop_from_row(r: &AnyRow) -> Result<PlannedStop, StoreError> {
    let courier: Option<i64> = r.try_get("courier_id")?;
    let seq: Option<i64> = r.try_get("seq")?;
    let start: Option<i64> = r.try_get("promise_start_s")?;
    let end: Option<i64> = r.try_get("promise_end_s")?;
    let courier = match (courier, seq) {
        (Some(c), Some(s)) => Some((CourierId(c), to_u32(s, "night_stops.seq")?)),
        _ => None,
    };
    let promise = match (start, end) {
        (Some(start_s), Some(end_s)) if start_s < end_s => Some(DeliveryWindow { start_s, end_s }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt {
                field: "night_stops.promise_start_s",
                reason: "not a window".into(),
            })
        }
    };
    Ok(PlannedStop {
        household: HouseholdId(r.try_get("household_id")?),
        quantity: to_u32(r.try_get("quantity")?, "night_stops.quantity")?,
        courier,
        arrival_s: r.try_get("arrival_s")?,
        promise,
    })
}

/// Inserts up to [`ROWS_PER_INSERT`] planned stops in one statement.
async fn insert_stops(
    conn: &mut AnyConnection,
    tenant: TenantId,
    date: Date,
    station: StationId,
    stops: &[PlannedStop],
) -> Result<(), StoreError> {
    if stops.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO night_stops (tenant_id, delivery_date, station_id, household_id, quantity, \
         courier_id, seq, arrival_s, promise_start_s, promise_end_s) {}",
        values_clause(Backend::of_connection(conn), stops.len(), 10)
    );
    let mut q = sqlx::query(&sql);
    for s in stops {
        q = q
            .bind(tenant.0)
            .bind(date_text(date))
            .bind(station.0)
            .bind(s.household.0)
            .bind(i64::from(s.quantity))
            .bind(s.courier.map(|c| c.0 .0))
            .bind(s.courier.map(|c| i64::from(c.1)))
            .bind(s.arrival_s)
            .bind(s.promise.map(|w| w.start_s))
            .bind(s.promise.map(|w| w.end_s));
    }
    q.execute(&mut *conn).await?;
    Ok(())
}
