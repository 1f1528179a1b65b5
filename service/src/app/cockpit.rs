//! The company's cockpit: the dairy store's BI cube ([`milkrun_dairy::store::Store::cube`])
//! grouped by one dimension (region, station, courier, product, segment or day) under any
//! filters, for the company's staff. The page drills down by adding a row's value as a filter
//! and grouping by the next dimension (region → station → courier → day). Measures and rates
//! are the cube's; this module only converts.
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use milkrun_calendar::Date;
use milkrun_dairy::cube::{CubeFilter, CubeQuery, DimValue, Dimension, Measures};
use milkrun_dairy::ids::{CourierId, ProductId, StationId};
use milkrun_dairy::segment::Segment;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{open_day, store_error};
use super::{caller, AppError, AppState};

/// Days the cockpit covers by default: the week before the open day and the open day.
pub const DEFAULT_DAYS: i32 = 7;

/// The cockpit's route.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/app/api/cube", get(cube))
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
    let c = caller(&app, &headers)?;
    if !c.is_staff() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "the cockpit is for the company's staff",
        ));
    }
    let by = dimension(&p.by)?;
    let day = open_day(&app, c.tenant).await?;
    let date = |v: &Option<String>, field: &str, default: Date| match v {
        Some(t) => Date::parse_iso(t).map_err(|e| bad(format!("{field}: {e}"))),
        None => Ok(default),
    };
    let filter = CubeFilter {
        from: date(&p.from, "from", day.add_days(-DEFAULT_DAYS))?,
        to: date(&p.to, "to", day)?,
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
