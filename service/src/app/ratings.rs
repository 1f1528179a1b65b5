//! A customer rates a delivery (`POST /app/api/customers/{customer}/ratings {household,
//! date, stars}`): a thin face on [`milkrun_dairy::store::Store::rate_delivery`], which gives
//! the rating to the courier who delivered it; the courier page shows each period's count and
//! average ([`milkrun_dairy::store::Store::courier_ratings`], through the pay call). A
//! customer rates only his own households (another customer's path or household answers
//! not found); a delivery is rated once.
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use milkrun_calendar::Date;
use milkrun_dairy::ids::{CustomerId, HouseholdId};
use milkrun_dairy::store::ratings::MAX_STARS;
use serde::Deserialize;
use serde_json::{json, Value};

use super::reply::{body, store_error};
use super::{caller, same_origin, AppError, AppState};
use crate::serve::auth::Role;

/// The rating route.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/app/api/customers/{customer}/ratings", post(rate))
        .layer(axum::extract::DefaultBodyLimit::max(
            super::reply::MAX_BODY_BYTES,
        ))
        .with_state(app)
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
    let not_found = || AppError::new(StatusCode::NOT_FOUND, format!("no customer {customer}"));
    let id = match &c.session.role {
        Role::Customer(own) if own.0 == customer => customer
            .parse::<i64>()
            .map(CustomerId)
            .map_err(|_| not_found())?,
        Role::Customer(_) => return Err(not_found()),
        _ => {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "only the customer rates his deliveries",
            ))
        }
    };
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
