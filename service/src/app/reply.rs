//! What every page's call shares: the body limit and reader, the store's errors as a person
//! sees them, the pages' day and "now", and the day's stops and figures as JSON.
use axum::http::StatusCode;
use milkrun_calendar::{format_hms, Date};
use milkrun_dairy::calendar::{DeliveryLine, Moment};
use milkrun_dairy::ids::TenantId as DairyTenant;
use milkrun_dairy::outcome::Outcome;
use milkrun_dairy::round::{RoundFigures, RoundStop};
use milkrun_dairy::store::StoreError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{caller, AppClock, AppError, AppState, Caller};
use crate::serve::auth::Role;
use milkrun_dairy::ids::CourierId;

/// Largest JSON body of the pages' calls, bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A store error as the person sees it: a refused change (a domain rule) is 409 with the
/// rule's words, a missing row 404, anything else 500.
pub fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::Domain(d) => AppError::new(StatusCode::CONFLICT, format!("refused: {d}")),
        StoreError::NotFound { what, id, .. } => {
            AppError::new(StatusCode::NOT_FOUND, format!("no {what} {id}"))
        }
        other => {
            tracing::warn!(error = %other, "a page's store call failed");
            AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the store failed; try again",
            )
        }
    }
}

/// A JSON body, its errors named for the person.
pub fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("the request: {e}")))
}

/// The day the pages run: the store's open day ([`milkrun_dairy::store::Store::open_day`]).
pub async fn open_day(app: &AppState, tenant: DairyTenant) -> Result<Date, AppError> {
    app.store
        .open_day(tenant)
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            AppError::new(
                StatusCode::NOT_FOUND,
                "no planned day in the store: run `milkrun demo` first",
            )
        })
}

/// Now, on the open day: the pages' clock's time of day ([`AppClock`]) on the day
/// the pages run.
pub fn now_on(clock: &AppClock, day: Date) -> Result<Moment, AppError> {
    Moment::new(day, clock.second_of_day())
        .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// Seconds since midnight as `HH:MM`.
pub fn hm(s: i64) -> String {
    let t = format_hms(s);
    t.rsplit_once(':')
        .map_or(t.clone(), |(hm, _)| hm.to_string())
}

/// The day's figures as JSON.
pub fn figures_json(f: &RoundFigures) -> Value {
    json!({
        "stops": f.stops, "done": f.done, "left": f.left, "delivered": f.delivered,
        "failed": f.failed, "on_time": f.on_time, "unassigned": f.unassigned, "late": f.late,
    })
}

/// A stop as JSON (never its door code).
pub fn stop_json(s: &RoundStop) -> Value {
    let orders: Vec<Value> = s
        .orders
        .iter()
        .map(|o| {
            let (status, reason) = match &o.outcome {
                None => ("pending", None),
                Some(Outcome::Delivered { .. }) => ("delivered", None),
                Some(Outcome::Failed { reason, .. }) => ("failed", Some(reason.as_str())),
                Some(Outcome::Cancelled { .. }) => ("cancelled", None),
            };
            json!({
                "order": o.order.0,
                "product": o.product_name,
                "quantity": o.quantity,
                "make_up": matches!(o.line, DeliveryLine::MakeUp(_)),
                "status": status,
                "reason": reason,
            })
        })
        .collect();
    json!({
        "household": s.household.0,
        "customer": s.customer.0,
        "station": s.station.0,
        "courier": s.courier.map(|c| c.0),
        "seq": s.seq,
        "eta": s.arrival_s.map(hm),
        "promise": s.promise_s.map(|(a, b)| [hm(a), hm(b)]),
        "window": [hm(s.window_s.0), hm(s.window_s.1)],
        "address": s.address,
        "lat": s.point.lat,
        "lon": s.point.lon,
        "status": s.status.as_str(),
        "done_at": s.done_s().map(hm),
        "on_time": s.on_time(),
        "late": s.is_late(),
        "note": s.replan_note,
        "orders": orders,
    })
}

/// The courier of a path the caller may see: his own id for a courier (any other answers not
/// found, as if it did not exist), any id for the staff.
pub fn courier_in_path(c: &Caller, courier: &str) -> Result<CourierId, AppError> {
    let not_found = || AppError::new(StatusCode::NOT_FOUND, format!("no courier {courier}"));
    match &c.session.role {
        Role::Courier(own) if own.0 != courier => Err(not_found()),
        Role::Customer(_) => Err(not_found()),
        Role::Courier(_) | Role::Admin | Role::Dispatcher(_) | Role::Analyst => courier
            .parse::<i64>()
            .map(CourierId)
            .map_err(|_| not_found()),
    }
}

/// What the calls on one courier's day start with (his round, his pay, his way to the next
/// door): the caller from the session, the courier of the path he may see
/// ([`courier_in_path`]) and the open day. A dispatcher bound to stations sees the couriers
/// riding from them only: another station's courier is 403 naming that station, as the
/// station page's controls answer; a courier riding from no known station (no site lists
/// him, no stop of the day is his) is 403 too.
pub async fn courier_day(
    app: &AppState,
    headers: &axum::http::HeaderMap,
    courier: &str,
) -> Result<(Caller, CourierId, Date), AppError> {
    let c = caller(app, headers)?;
    let id = courier_in_path(&c, courier)?;
    let day = open_day(app, c.tenant).await?;
    if c.stations().is_some_and(|s| s.named().is_some()) {
        let station = match app
            .store
            .courier_station(c.tenant, id)
            .await
            .map_err(store_error)?
        {
            Some(s) => Some(s),
            None => app
                .store
                .courier_round(c.tenant, day, id)
                .await
                .map_err(store_error)?
                .first()
                .map(|s| s.station),
        };
        match station {
            Some(s) => c.station_allowed(s.0)?,
            None => {
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    format!("courier {}: rides from none of your stations", id.0),
                ))
            }
        }
    }
    Ok((c, id, day))
}
