//! The company's cockpit: the dairy store's BI cube ([`milkrun_dairy::store::Store::cube`])
//! grouped by one dimension (region, station, courier, product, segment or day) under any
//! filters, for the company's staff. The page drills down by adding a row's value as a filter
//! and grouping by the next dimension (region → station → courier → day), and from one
//! courier's day to that courier's stops of the day (`/app/api/cockpit/round`, the store's
//! round). Beside it: the daily trend (`Store::daily_trend`: on time, delivered, failed,
//! waste), the watch list (`Store::watch`, rules in [`milkrun_dairy::watch`]) and the
//! promotions (segments assigned, a promotion created for a segment, pushed through the
//! outbox, its conversion against its holdout). Measures, rates, alerts and conversion are
//! the dairy crate's; this module only converts. Reads are for the company's staff; the
//! marketing steps (segments, promotions) for the admin and the manager.
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use milkrun_calendar::Date;
use milkrun_dairy::cube::{CubeFilter, CubeQuery, DimValue, Dimension, Measures};
use milkrun_dairy::ids::{CourierId, PackageId, ProductId, PromotionId, StationId};
use milkrun_dairy::money::Cents;
use milkrun_dairy::promotion::{Offer, Promotion};
use milkrun_dairy::round::RoundFigures;
use milkrun_dairy::segment::Segment;
use milkrun_dairy::watch::Watch;
use serde::Deserialize;
use serde_json::{json, Value};

use super::reply::{body, figures_json, now_on, open_day, stop_json, store_error};
use super::{caller, same_origin, AppError, AppState, Caller};
use crate::serve::auth::Role;

/// Days the cockpit covers by default: the week before the open day and the open day.
pub const DEFAULT_DAYS: i32 = 7;

/// The cockpit's route.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/app/api/cube", get(cube))
        .route("/app/api/cockpit/round", get(courier_day))
        .route("/app/api/cockpit/trend", get(trend))
        .route("/app/api/cockpit/watch", get(watch))
        .route("/app/api/cockpit/segments", post(segments))
        .route(
            "/app/api/cockpit/promotions",
            get(promotions).post(create_promotion),
        )
        .route("/app/api/cockpit/promotions/{id}/push", post(push))
        .with_state(app)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CubeParams {
    by: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    station: Option<i64>,
    #[serde(default)]
    courier: Option<i64>,
    #[serde(default)]
    product: Option<i64>,
    #[serde(default)]
    segment: Option<String>,
}

/// The caller, when one of the company's staff (403 otherwise).
fn staff(app: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let c = caller(app, headers)?;
    if !c.is_staff() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "the cockpit is for the company's staff",
        ));
    }
    Ok(c)
}

/// The caller of a marketing step: the admin or the manager (403 otherwise).
fn marketer(app: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    same_origin(headers)?;
    let c = caller(app, headers)?;
    if !matches!(c.session.role, Role::Admin | Role::Analyst) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "segments and promotions are the manager's",
        ));
    }
    Ok(c)
}

fn bad(message: String) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, message)
}

/// A dimension by name.
fn dimension(name: &str) -> Result<Dimension, AppError> {
    Ok(match name {
        "region" => Dimension::Region,
        "station" => Dimension::Station,
        "courier" => Dimension::Courier,
        "product" => Dimension::Product,
        "segment" => Dimension::Segment,
        "day" => Dimension::Day,
        other => {
            return Err(bad(format!(
                "by: `{}` is not region, station, courier, product, segment or day",
                other.chars().take(32).collect::<String>()
            )))
        }
    })
}

fn measures_json(m: &Measures) -> Value {
    json!({
        "orders": m.orders, "delivered": m.delivered, "failed": m.failed,
        "cancelled": m.cancelled, "pending": m.pending, "units": m.units,
        "units_delivered": m.units_delivered, "promised": m.promised, "on_time": m.on_time,
        "on_time_rate": m.on_time_rate(),
    })
}

/// `GET /app/api/cube?by=DIM&from=&to=&region=&station=&courier=&product=&segment=`: the
/// orders grouped by one dimension, with the total (station staff and the manager only).
async fn cube(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<CubeParams>,
) -> Result<Json<Value>, AppError> {
    let c = staff(&app, &headers)?;
    let by = dimension(&p.by)?;
    let day = open_day(&app, c.tenant).await?;
    let filter = CubeFilter {
        from: date_param(&p.from, "from", day.add_days(-DEFAULT_DAYS))?,
        to: date_param(&p.to, "to", day)?,
        region: p.region.clone(),
        station: p.station.map(StationId),
        courier: p.courier.map(CourierId),
        product: p.product.map(ProductId),
        segment: p
            .segment
            .as_deref()
            .map(Segment::parse)
            .transpose()
            .map_err(|e| bad(e.to_string()))?,
    };
    let q = CubeQuery {
        dimensions: vec![by],
        filter: filter.clone(),
    };
    q.validate().map_err(|e| bad(e.to_string()))?;
    let rows = app.store.cube(c.tenant, &q).await.map_err(store_error)?;
    let total = Measures::total(&rows).map_err(|e| bad(e.to_string()))?;
    let stations: HashMap<i64, String> = app
        .store
        .stations(c.tenant)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|(id, n)| (id.0, n))
        .collect();
    let couriers: HashMap<i64, String> = app
        .store
        .couriers(c.tenant)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|(id, n)| (id.0, n))
        .collect();
    let products: HashMap<i64, String> = app
        .store
        .product_names(c.tenant)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|(id, n)| (id.0, n))
        .collect();
    let name = |m: &HashMap<i64, String>, id: i64| m.get(&id).cloned().unwrap_or_default();
    let out: Vec<Value> = rows
        .iter()
        .map(|r| {
            let (value, label) = match r.key.first() {
                Some(DimValue::Region(Some(x))) => (json!(x), x.clone()),
                Some(DimValue::Station(s)) => (json!(s.0), name(&stations, s.0)),
                Some(DimValue::Courier(Some(k))) => (json!(k.0), name(&couriers, k.0)),
                Some(DimValue::Product(x)) => (json!(x.0), name(&products, x.0)),
                Some(DimValue::Segment(Some(s))) => (json!(s.as_str()), s.as_str().to_string()),
                Some(DimValue::Day(d)) => (json!(d.to_string()), d.to_string()),
                Some(DimValue::Region(None)) => (Value::Null, "no region".into()),
                Some(DimValue::Courier(None)) => (Value::Null, "no courier".into()),
                Some(DimValue::Segment(None)) => (Value::Null, "no segment".into()),
                None => (Value::Null, "all".into()),
            };
            json!({"value": value, "label": label, "measures": measures_json(&r.measures)})
        })
        .collect();
    Ok(Json(json!({
        "by": p.by,
        "from": filter.from.to_string(),
        "to": filter.to.to_string(),
        "day": day.to_string(),
        "rows": out,
        "total": measures_json(&total),
    })))
}

/// A date parameter (named in the error), or its default.
fn date_param(v: &Option<String>, field: &str, default: Date) -> Result<Date, AppError> {
    match v {
        Some(t) => Date::parse_iso(t).map_err(|e| bad(format!("{field}: {e}"))),
        None => Ok(default),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundParams {
    courier: i64,
    day: String,
}

/// `GET /app/api/cockpit/round?courier=&day=`: one courier's stops of one day in route
/// order, with the day's figures (the store's round; never a door's code).
async fn courier_day(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<RoundParams>,
) -> Result<Json<Value>, AppError> {
    let c = staff(&app, &headers)?;
    let day = Date::parse_iso(&p.day).map_err(|e| bad(format!("day: {e}")))?;
    let courier = CourierId(p.courier);
    let couriers = app.store.couriers(c.tenant).await.map_err(store_error)?;
    let Some((_, name)) = couriers.iter().find(|(k, _)| *k == courier) else {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            format!("courier: no courier {}", p.courier),
        ));
    };
    let stops = app
        .store
        .courier_round(c.tenant, day, courier)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "courier": courier.0,
        "name": name,
        "day": day.to_string(),
        "figures": figures_json(&RoundFigures::of(&stops)),
        "stops": stops.iter().map(stop_json).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeParams {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// The prelude of a staff member's reading over a period: the caller, the open day, and the
/// period (by default the [`DEFAULT_DAYS`] days up to the open day).
async fn staff_range(
    app: &AppState,
    headers: &HeaderMap,
    p: &RangeParams,
) -> Result<(Caller, Date, Date, Date), AppError> {
    let c = staff(app, headers)?;
    let day = open_day(app, c.tenant).await?;
    let from = date_param(&p.from, "from", day.add_days(-DEFAULT_DAYS))?;
    let to = date_param(&p.to, "to", day)?;
    Ok((c, day, from, to))
}

/// `GET /app/api/cockpit/trend?from=&to=`: each day's orders, delivered, failed, on time
/// (of the promised) and units wasted ([`milkrun_dairy::store::Store::daily_trend`]).
async fn trend(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<RangeParams>,
) -> Result<Json<Value>, AppError> {
    let (c, _, from, to) = staff_range(&app, &headers, &p).await?;
    let days = app
        .store
        .daily_trend(c.tenant, from, to)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "days": days.iter().map(|d| json!({
            "day": d.day.to_string(), "wasted": d.wasted, "measures": measures_json(&d.measures),
        })).collect::<Vec<_>>(),
    })))
}

/// `GET /app/api/cockpit/watch?from=&to=`: the watch list at the pages' "now" over the
/// period's orders ([`milkrun_dairy::store::Store::watch`]), with the stations' names.
async fn watch(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<RangeParams>,
) -> Result<Json<Value>, AppError> {
    let (c, day, from, to) = staff_range(&app, &headers, &p).await?;
    let list = app
        .store
        .watch(c.tenant, from, to, now_on(&app.clock, day)?)
        .await
        .map_err(store_error)?;
    let stations: HashMap<i64, String> = app
        .store
        .stations(c.tenant)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|(id, n)| (id.0, n))
        .collect();
    let station = |s: StationId| stations.get(&s.0).cloned().unwrap_or_default();
    let items: Vec<Value> = list
        .iter()
        .map(|w| match *w {
            Watch::LowOnTime {
                station: s,
                rate,
                promised,
            } => json!({"kind": w.kind(), "station": s.0, "station_name": station(s),
                        "rate": rate, "promised": promised}),
            Watch::Unaccounted {
                station: s,
                day,
                orders,
            } => json!({"kind": w.kind(), "station": s.0, "station_name": station(s),
                        "day": day.to_string(), "orders": orders}),
            Watch::StockDrift {
                station: s,
                lot,
                stored,
                recounted,
            } => json!({"kind": w.kind(), "station": s.0, "station_name": station(s),
                        "lot": lot.0,
                        "stored": {"on_hand": stored.on_hand, "in_vehicles": stored.in_vehicles},
                        "recounted": {"on_hand": recounted.on_hand, "in_vehicles": recounted.in_vehicles}}),
            Watch::ComplaintOpen { complaint, open_s } => {
                json!({"kind": w.kind(), "complaint": complaint.0, "open_hours": open_s / 3600})
            }
        })
        .collect();
    Ok(Json(json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "watch": items,
    })))
}

/// Days of history a segment assignment from the cockpit reads.
pub const SEGMENT_WINDOW_DAYS: u32 = 28;

/// `POST /app/api/cockpit/segments`: assigns every customer's segment as of the open day
/// from the [`SEGMENT_WINDOW_DAYS`] days up to it
/// ([`milkrun_dairy::store::Store::assign_segments`]); answers the count per segment.
async fn segments(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let c = marketer(&app, &headers)?;
    let day = open_day(&app, c.tenant).await?;
    let list = app
        .store
        .assign_segments(c.tenant, day, SEGMENT_WINDOW_DAYS)
        .await
        .map_err(store_error)?;
    let counts: serde_json::Map<String, Value> = Segment::ALL
        .iter()
        .map(|s| {
            let n = list.iter().filter(|x| x.segment == *s).count();
            (s.as_str().to_string(), json!(n))
        })
        .collect();
    Ok(Json(json!({"as_of": day.to_string(), "segments": counts})))
}

/// A promotion and its standing as JSON.
async fn promotion_json(app: &AppState, c: &Caller, p: &Promotion) -> Result<Value, AppError> {
    let conv = app
        .store
        .promotion_conversion(c.tenant, p.id)
        .await
        .map_err(store_error)?;
    let offer = match p.offer {
        Offer::Extra {
            product,
            free_units,
        } => json!({"offer": "extra", "product": product.0, "free_units": free_units}),
        Offer::Subscribe { package, price } => {
            json!({"offer": "subscribe", "package": package.0, "price_cents": price.0})
        }
    };
    Ok(json!({
        "id": p.id.0, "offer": offer, "segment": p.segment.as_str(),
        "valid_from": p.valid_from.to_string(), "valid_to": p.valid_to.to_string(),
        "holdout_pct": p.holdout_pct,
        "pushed": conv.targeted + conv.holdout > 0,
        "conversion": {
            "targeted": conv.targeted, "targeted_taken": conv.targeted_taken,
            "holdout": conv.holdout, "holdout_taken": conv.holdout_taken,
            "rate": conv.rate(), "holdout_rate": conv.holdout_rate(), "uplift": conv.uplift(),
        },
    }))
}

/// A package a subscription offer may name, as JSON: its product, unit size, period
/// (`month`, `quarter`, `year` or `deliveries` with their count), units per pack and list
/// price for quantity one.
fn package_json(p: &milkrun_dairy::catalogue::Package) -> Value {
    use milkrun_dairy::catalogue::Period;
    let (period, deliveries) = match p.period {
        Period::Month => ("month", None),
        Period::Quarter => ("quarter", None),
        Period::Year => ("year", None),
        Period::Deliveries(n) => ("deliveries", Some(n)),
    };
    json!({
        "id": p.id.0, "product": p.product.0, "size_ml": p.size_ml, "period": period,
        "deliveries": deliveries, "pack_units": p.pack.units(), "price_cents": p.price.0,
    })
}

/// `GET /app/api/cockpit/promotions`: every promotion with its conversion, the segments'
/// sizes, and the products, packages and segments a new one may name (an extra of a
/// product, or a subscription to a package at a price).
async fn promotions(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let c = staff(&app, &headers)?;
    let mut out = Vec::new();
    for p in app.store.promotions(c.tenant).await.map_err(store_error)? {
        out.push(promotion_json(&app, &c, &p).await?);
    }
    let mut sizes = serde_json::Map::new();
    for s in Segment::ALL {
        let n = app
            .store
            .segment_members(c.tenant, s)
            .await
            .map_err(store_error)?
            .len();
        sizes.insert(s.as_str().to_string(), json!(n));
    }
    let products = app
        .store
        .product_names(c.tenant)
        .await
        .map_err(store_error)?;
    let packages = app.store.packages(c.tenant).await.map_err(store_error)?;
    Ok(Json(json!({
        "day": open_day(&app, c.tenant).await?.to_string(),
        "promotions": out,
        "segments": sizes,
        "products": products.iter().map(|(id, n)| json!({"id": id.0, "name": n})).collect::<Vec<_>>(),
        "packages": packages.iter().map(package_json).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromotionRequest {
    /// `extra` (with `product` and `free_units`) or `subscribe` (with `package` and
    /// `price_cents`).
    offer: String,
    #[serde(default)]
    product: Option<i64>,
    #[serde(default)]
    free_units: Option<u32>,
    #[serde(default)]
    package: Option<i64>,
    #[serde(default)]
    price_cents: Option<i64>,
    valid_from: String,
    valid_to: String,
    segment: String,
    holdout_pct: u8,
    #[serde(default)]
    seed: Option<u64>,
}

/// `POST /app/api/cockpit/promotions {offer, …, valid_from, valid_to, segment, holdout_pct,
/// seed}`: creates a promotion for a segment
/// ([`milkrun_dairy::store::Store::create_promotion`]; the dairy crate checks every field).
async fn create_promotion(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let c = marketer(&app, &headers)?;
    let req: PromotionRequest = body(&bytes)?;
    let missing = |f: &str| bad(format!("{f}: missing"));
    let offer = match req.offer.as_str() {
        "extra" => Offer::Extra {
            product: ProductId(req.product.ok_or_else(|| missing("product"))?),
            free_units: req.free_units.ok_or_else(|| missing("free_units"))?,
        },
        "subscribe" => Offer::Subscribe {
            package: PackageId(req.package.ok_or_else(|| missing("package"))?),
            price: Cents(req.price_cents.ok_or_else(|| missing("price_cents"))?),
        },
        other => {
            return Err(bad(format!(
                "offer: `{}` is not extra or subscribe",
                other.chars().take(32).collect::<String>()
            )))
        }
    };
    let from = Date::parse_iso(&req.valid_from).map_err(|e| bad(format!("valid_from: {e}")))?;
    let to = Date::parse_iso(&req.valid_to).map_err(|e| bad(format!("valid_to: {e}")))?;
    let segment = Segment::parse(&req.segment).map_err(|e| bad(e.to_string()))?;
    let p = app
        .store
        .create_promotion(
            c.tenant,
            offer,
            from,
            to,
            segment,
            req.holdout_pct,
            req.seed.unwrap_or(1),
        )
        .await
        .map_err(|e| match e {
            milkrun_dairy::store::StoreError::Domain(d) => bad(d.to_string()),
            other => store_error(other),
        })?;
    Ok(Json(promotion_json(&app, &c, &p).await?))
}

/// `POST /app/api/cockpit/promotions/{id}/push`: pushes a promotion on the open day
/// ([`milkrun_dairy::store::Store::push_promotion`]: members fixed at the first push, one
/// outbox message per targeted customer and per courier serving them; a repeat adds none).
async fn push(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let c = marketer(&app, &headers)?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::new(StatusCode::NOT_FOUND, format!("no promotion {id}")))?;
    let day = open_day(&app, c.tenant).await?;
    let r = app
        .store
        .push_promotion(c.tenant, PromotionId(id), day)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "targeted": r.targeted, "held_out": r.held_out, "couriers": r.couriers,
        "enqueued": r.enqueued,
    })))
}
