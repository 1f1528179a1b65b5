//! A customer's delivered days of the last [`RATE_DAYS`] days with their ratings (`GET
//! /app/api/customers/{customer}/ratings`, the customer page's list with a rating control
//! on each day not rated yet), and a customer rates a delivery (`POST
//! /app/api/customers/{customer}/ratings {household, date, stars}`): a thin face on [`milkrun_dairy::store::Store::rate_delivery`], which gives
//! the rating to the courier who delivered it; the courier page shows each period's count and
//! average ([`milkrun_dairy::store::Store::courier_ratings`], through the pay call). A
//! customer rates only his own households (another customer's path or household answers
//! not found); a delivery is rated once (a second rating answers 409), and a day with
//! nothing delivered is refused naming the date (409).
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use milkrun_calendar::Date;
use milkrun_dairy::ids::{CustomerId, HouseholdId};
use milkrun_dairy::store::ratings::MAX_STARS;
use serde::Deserialize;
use serde_json::{json, Value};

use super::reply::{body, open_day, store_error};
use super::{caller, same_origin, AppError, AppState, Caller};
use crate::serve::auth::Role;

/// The rating route.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/app/api/customers/{customer}/ratings",
            get(delivered).post(rate),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            super::reply::MAX_BODY_BYTES,
        ))
        .with_state(app)
}

/// How many days back (the open day included) the page lists delivered days to rate.
pub const RATE_DAYS: i32 = 14;

/// The customer of the path: the caller's own (another customer's answers not found; the
/// staff and the couriers do not rate).
fn rating_customer(c: &Caller, customer: &str) -> Result<CustomerId, AppError> {
    let not_found = || AppError::new(StatusCode::NOT_FOUND, format!("no customer {customer}"));
    match &c.session.role {
        Role::Customer(own) if own.0 == customer => customer
            .parse::<i64>()
            .map(CustomerId)
            .map_err(|_| not_found()),
        Role::Customer(_) => Err(not_found()),
        _ => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "only the customer rates his deliveries",
        )),
    }
}

/// `GET /app/api/customers/{customer}/ratings`: the days of the last [`RATE_DAYS`] with a
/// delivery to one of the customer's households, newest first, each with its stars (`null`
/// while not rated).
async fn delivered(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    let id = rating_customer(&c, &customer)?;
    let day = open_day(&app, c.tenant).await?;
    let mut days = app
        .store
        .delivered_days(c.tenant, id, day.add_days(1 - RATE_DAYS), day)
        .await
        .map_err(store_error)?;
    days.reverse();
    Ok(Json(json!({
        "max_stars": MAX_STARS,
        "days": days.iter().map(|d| json!({
            "household": d.household.0, "date": d.date.to_string(), "stars": d.stars,
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateRequest {
    /// The household delivered to.
    household: i64,
    /// The delivery's day, `YYYY-MM-DD`.
    date: String,
    /// 1 to 5.
    stars: i64,
}

/// `POST /app/api/customers/{customer}/ratings {household, date, stars}`.
async fn rate(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(customer): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    same_origin(&headers)?;
    let c = caller(&app, &headers)?;
    let id = rating_customer(&c, &customer)?;
    let req: RateRequest = body(&bytes)?;
    let stars = u8::try_from(req.stars)
        .ok()
        .filter(|s| (1..=MAX_STARS).contains(s))
        .ok_or_else(|| {
            AppError::new(
                StatusCode::BAD_REQUEST,
                format!("stars: must be 1 to {MAX_STARS}"),
            )
        })?;
    let date = Date::parse_iso(&req.date)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("date: {e} (YYYY-MM-DD)")))?;
    let recorded = app
        .store
        .rate_delivery(c.tenant, id, HouseholdId(req.household), date, stars)
        .await
        .map_err(store_error)?;
    if !recorded {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "refused: this delivery is rated already",
        ));
    }
    Ok(Json(json!({"recorded": true, "stars": stars})))
}
