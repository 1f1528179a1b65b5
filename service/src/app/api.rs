//! The pages' JSON calls: log in and out, who am I, a courier's round and his reports on a
//! stop, the station's board. Each converts, calls the dairy store, and converts back; the
//! rules (a stop's status, on time, the QR sign-off, the remedy of a failure) are the dairy
//! crate's.
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use milkrun_calendar::Date;
use milkrun_dairy::ids::{CourierId, CustomerId, HouseholdId, TenantId as DairyTenant};
use milkrun_dairy::outcome::FailureReason;
use milkrun_dairy::round::{RoundFigures, RoundStop};
use serde::Deserialize;
use serde_json::{json, Value};

use super::reply::{
    body, courier_day, courier_in_path, figures_json, hm, now_on, open_day, stop_json, store_error,
    MAX_BODY_BYTES,
};
use super::session::{self, Session, UserName};
use super::{caller, same_origin, AppError, AppState, Caller};
use crate::serve::auth::Role;
use crate::serve::config::TenantId;

/// The JSON routes under `/app/api/`.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/app/api/login", post(login))
        .route("/app/api/logout", post(logout))
        .route("/app/api/me", get(me))
        .route("/app/api/couriers/{courier}/round", get(round))
        .route("/app/api/couriers/{courier}/pay", get(pay))
        .route(
            "/app/api/couriers/{courier}/directions",
            get(super::roads::directions),
        )
        .route(
            "/app/api/couriers/{courier}/stops/{household}/deliver",
            post(deliver),
        )
        .route(
            "/app/api/couriers/{courier}/stops/{household}/fail",
            post(fail),
        )
        .route(
            "/app/api/couriers/{courier}/stops/{household}/bottles",
            post(bottles),
        )
        .route("/app/api/board", get(board))
        .route("/app/api/roads", get(super::roads::roads))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    user: String,
    password: String,
}

/// The page a role starts on.
fn home(role: &Role) -> &'static str {
    match role {
        Role::Courier(_) => "/app/courier",
        Role::Customer(_) => "/app/customer",
        Role::Analyst => "/app/cockpit",
        Role::Admin | Role::Dispatcher(_) => "/app/station",
    }
}

/// `POST /app/api/login {user, password}`: a session cookie and the role's home page.
async fn login(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, AppError> {
    same_origin(&headers)?;
    let req: LoginRequest = body(&bytes)?;
    let refused = || AppError::new(StatusCode::UNAUTHORIZED, "wrong user name or password");
    let Some(key) = app.dev_key.as_deref() else {
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "no users: start `milkrun serve` with --dev-key for the demo users",
        ));
    };
    let tenant = TenantId("dev".into());
    super::admit(&app, &tenant)?;
    let name = UserName::parse(&req.user).ok_or_else(refused)?;
    if !app.keys.password_matches(&req.password, key) {
        return Err(refused());
    }
    let dairy = *app.tenants.get(&tenant).ok_or_else(refused)?;
    match name {
        UserName::Courier(id) => {
            let couriers = app.store.couriers(dairy).await.map_err(store_error)?;
            if !couriers.iter().any(|(c, _)| c.0 == id) {
                return Err(refused());
            }
        }
        UserName::Customer(id) => {
            let found = app.store.customer_name(dairy, CustomerId(id)).await;
            if found.map_err(store_error)?.is_none() {
                return Err(refused());
            }
        }
        UserName::StationDispatcher(id) => {
            let stations = app.store.stations(dairy).await.map_err(store_error)?;
            if !stations.iter().any(|(s, _)| s.0 == id) {
                return Err(refused());
            }
        }
        UserName::Dispatcher | UserName::Manager => {}
    }
    let session = Session {
        user: req.user,
        tenant,
        role: name.role(),
        exp: session::now_s().saturating_add(app.session_s),
    };
    let cookie = app.keys.sign(&session)?;
    Ok((
        [(
            header::SET_COOKIE,
            session::set_cookie(&cookie, app.session_s),
        )],
        Json(json!({"home": home(&session.role), "user": session.user})),
    )
        .into_response())
}

/// `POST /app/api/logout`: ends the session.
async fn logout(headers: HeaderMap) -> Result<Response, AppError> {
    same_origin(&headers)?;
    Ok((
        [(header::SET_COOKIE, session::clear_cookie())],
        Json(json!({"home": "/app/login"})),
    )
        .into_response())
}

/// The role's name and its courier's or customer's id for the pages.
pub fn role_json(role: &Role) -> (&'static str, Option<&str>) {
    match role {
        Role::Admin => ("admin", None),
        Role::Dispatcher(_) => ("dispatcher", None),
        Role::Analyst => ("manager", None),
        Role::Courier(id) => ("courier", Some(id.0.as_str())),
        Role::Customer(id) => ("customer", Some(id.0.as_str())),
    }
}

/// `GET /app/api/me`: the user, role, tenant and day.
async fn me(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    let day = open_day(&app, c.tenant).await?;
    let (role, id) = role_json(&c.session.role);
    let stations = c.session.role.stations();
    Ok(Json(json!({
        "user": c.session.user,
        "role": role,
        "stations": stations.as_ref().and_then(|s| s.named()),
        "courier": matches!(c.session.role, Role::Courier(_)).then_some(id),
        "customer": matches!(c.session.role, Role::Customer(_)).then_some(id),
        "tenant": c.session.tenant.0,
        "day": day.to_string(),
        "home": home(&c.session.role),
        "expires": c.session.exp,
    })))
}

/// `GET /app/api/couriers/{courier}/round`: the courier's stops of the day in route order
/// (who may ask: [`courier_day`]).
async fn round(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(courier): Path<String>,
) -> Result<Json<Value>, AppError> {
    let (c, id, day) = courier_day(&app, &headers, &courier).await?;
    let couriers = app.store.couriers(c.tenant).await.map_err(store_error)?;
    let Some((_, name)) = couriers.iter().find(|(k, _)| *k == id) else {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            format!("no courier {courier}"),
        ));
    };
    let stops = app
        .store
        .courier_round(c.tenant, day, id)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "day": day.to_string(),
        "courier": id.0,
        "name": name,
        "figures": figures_json(&RoundFigures::of(&stops)),
        "hint": super::dispatcher::next_hint(&app, c.tenant, &stops).await?,
        "stops": stops.iter().map(stop_json).collect::<Vec<_>>(),
        "reasons": FailureReason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    })))
}

/// `GET /app/api/couriers/{courier}/pay`: the courier's deliveries and pay on the open day,
/// its week (from Monday) and its month (from the 1st), settled by the store, with the
/// customers' ratings of his deliveries (count and average). Who may ask: [`courier_day`].
async fn pay(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(courier): Path<String>,
) -> Result<Json<Value>, AppError> {
    let (c, id, day) = courier_day(&app, &headers, &courier).await?;
    let monday = day.add_days(-(day.weekday() as i32));
    let first = day.add_days(1 - day.ymd().2 as i32);
    let mut out = serde_json::Map::new();
    for (name, from) in [("day", day), ("week", monday), ("month", first)] {
        let p = app
            .store
            .courier_pay(c.tenant, id, from, day)
            .await
            .map_err(store_error)?;
        let r = app
            .store
            .courier_ratings(c.tenant, id, from, day)
            .await
            .map_err(store_error)?;
        out.insert(
            name.into(),
            json!({
                "from": from.to_string(), "to": day.to_string(), "drops": p.drops,
                "bottles": p.bottles, "pay_cents": p.pay.0,
                "ratings": r.count, "rating": r.average.map(|a| (a * 10.0).round() / 10.0),
            }),
        );
    }
    Ok(Json(Value::Object(out)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliverRequest {
    /// The scanned or typed door code.
    token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailRequest {
    /// `not_home`, `damaged`, `refused`, `address_wrong` or `access_closed`.
    reason: String,
}

/// The courier of a report: only the courier himself reports on his round.
fn reporting_courier(c: &Caller, courier: &str) -> Result<CourierId, AppError> {
    match &c.session.role {
        Role::Courier(_) => courier_in_path(c, courier),
        _ => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "only the courier reports on his stops",
        )),
    }
}

/// What every courier's report starts with: the same-origin check, the caller from the
/// session, the courier of the path (the caller himself) and the household of the path.
fn courier_report(
    app: &AppState,
    headers: &HeaderMap,
    courier: &str,
    household: &str,
) -> Result<(Caller, CourierId, HouseholdId), AppError> {
    same_origin(headers)?;
    let c = caller(app, headers)?;
    let id = reporting_courier(&c, courier)?;
    Ok((c, id, household_in_path(household)?))
}

/// A household id of a path (an unknown one answers not found).
fn household_in_path(household: &str) -> Result<HouseholdId, AppError> {
    household.parse::<i64>().map(HouseholdId).map_err(|_| {
        AppError::new(
            StatusCode::NOT_FOUND,
            format!("no stop on the courier's round for household {household}"),
        )
    })
}

/// `POST /app/api/couriers/{courier}/stops/{household}/deliver {token}`: signs the stop off
/// with the door's code; a wrong code is refused (409) and records nothing.
async fn deliver(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((courier, household)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, id, household) = courier_report(&app, &headers, &courier, &household)?;
    let req: DeliverRequest = body(&bytes)?;
    let token = req.token.trim();
    if token.is_empty() || token.len() > 256 {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "token: the door code is empty or too long",
        ));
    }
    let day = open_day(&app, c.tenant).await?;
    let stop = app
        .store
        .deliver_stop(
            c.tenant,
            day,
            id,
            household,
            token,
            now_on(&app.clock, day)?,
        )
        .await
        .map_err(store_error)?;
    reported(&app, c.tenant, day, id, &stop).await
}

/// `POST /app/api/couriers/{courier}/stops/{household}/fail {reason}`: the stop failed; the
/// tenant's remedy is applied to each order.
async fn fail(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((courier, household)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, id, household) = courier_report(&app, &headers, &courier, &household)?;
    let req: FailRequest = body(&bytes)?;
    let reason = FailureReason::parse(&req.reason)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("reason: {e}")))?;
    let day = open_day(&app, c.tenant).await?;
    let stop = app
        .store
        .fail_stop(
            c.tenant,
            day,
            id,
            household,
            reason,
            now_on(&app.clock, day)?,
        )
        .await
        .map_err(store_error)?;
    reported(&app, c.tenant, day, id, &stop).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BottlesRequest {
    /// Empty bottles collected at the door.
    bottles: u32,
}

/// `POST /app/api/couriers/{courier}/stops/{household}/bottles {bottles}`: the empty bottles
/// the courier collected at a stop (once per stop and day: a second count is not recorded).
async fn bottles(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((courier, household)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, id, household) = courier_report(&app, &headers, &courier, &household)?;
    let req: BottlesRequest = body(&bytes)?;
    let day = open_day(&app, c.tenant).await?;
    let recorded = app
        .store
        .collect_bottles(c.tenant, day, id, household, req.bottles)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({"recorded": recorded, "bottles": req.bottles})))
}

/// After a report: the day's figures recounted and pushed with the stop to the station
/// pages; the stop and the courier's own figures answered.
async fn reported(
    app: &AppState,
    tenant: DairyTenant,
    day: Date,
    courier: CourierId,
    stop: &RoundStop,
) -> Result<Json<Value>, AppError> {
    let board = app
        .store
        .day_board(tenant, day)
        .await
        .map_err(store_error)?;
    let stop = stop_json(stop);
    let own: Vec<RoundStop> = board
        .iter()
        .filter(|s| s.courier == Some(courier))
        .cloned()
        .collect();
    let own = figures_json(&RoundFigures::of(&own));
    let station = stop["station"].as_i64();
    let mut event = json!({
        "stop": stop.clone(),
        "figures": figures_json(&RoundFigures::of(&board)),
        "courier": {"id": courier.0, "figures": own.clone()},
    });
    let full = event.to_string();
    // A page bound to some stations gets no day-wide figures (it reloads its own).
    event["figures"] = Value::Null;
    app.push
        .publish_scoped(tenant, "stop", station, full, Some(event.to_string()));
    Ok(Json(json!({"stop": stop, "figures": own})))
}

#[derive(Debug, Deserialize)]
struct BoardQuery {
    /// One station's stops only (the station filter of a tenant with several).
    #[serde(default)]
    station: Option<String>,
}

/// `GET /app/api/board[?station=ID]`: the station staff's view of the day: stations (with
/// their points), couriers, every stop (of one station with `station`), the figures and
/// alerts, and the couriers' last positions ([`super::dispatcher::board_extras`]).
async fn board(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<BoardQuery>,
) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    if !c.is_staff() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "the station's board is for the station's staff",
        ));
    }
    let day = open_day(&app, c.tenant).await?;
    let mut stops = app
        .store
        .day_board(c.tenant, day)
        .await
        .map_err(store_error)?;
    // A dispatcher bound to some stations sees theirs only: the others' stops, couriers
    // and markers are not sent, and asking for another station is refused naming it.
    let mut stations = app.store.stations(c.tenant).await.map_err(store_error)?;
    stations.retain(|(s, _)| c.sees_station(s.0));
    let station = match q.station.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            if let Ok(id) = text.parse::<i64>() {
                c.station_allowed(id)?;
            }
            Some(
                text.parse::<i64>()
                    .ok()
                    .map(milkrun_dairy::ids::StationId)
                    .filter(|id| stations.iter().any(|(s, _)| s == id))
                    .ok_or_else(|| {
                        AppError::new(StatusCode::NOT_FOUND, format!("station: no station {text}"))
                    })?,
            )
        }
    };
    stops.retain(|s| c.sees_station(s.station.0) && station.is_none_or(|id| s.station == id));
    let mut couriers = app.store.couriers(c.tenant).await.map_err(store_error)?;
    if c.session
        .role
        .stations()
        .is_some_and(|s| s.named().is_some())
    {
        let riding: std::collections::HashSet<CourierId> =
            stops.iter().filter_map(|s| s.courier).collect();
        couriers.retain(|(id, _)| riding.contains(id));
    }
    let extras = super::dispatcher::board_extras(&app, c.tenant, day, &stops).await?;
    Ok(Json(json!({
        "day": day.to_string(),
        "now": hm(app.clock.second_of_day()),
        "role": role_json(&c.session.role).0,
        "station": station.map(|s| s.0),
        "bound": c.session.role.stations().and_then(|s| s.named().map(<[i64]>::to_vec)),
        "stations": stations.iter().map(|(id, name)| {
            let point = extras.points.iter().find(|(s, _)| s == id).map(|(_, p)| *p);
            json!({"id": id.0, "name": name, "lat": point.map(|p| p.lat), "lon": point.map(|p| p.lon)})
        }).collect::<Vec<_>>(),
        "couriers": couriers.iter().map(|(id, name)| {
            let own: Vec<RoundStop> = stops.iter().filter(|s| s.courier == Some(*id)).cloned().collect();
            json!({"id": id.0, "name": name, "figures": figures_json(&RoundFigures::of(&own))})
        }).collect::<Vec<_>>(),
        "figures": figures_json(&RoundFigures::of(&stops)),
        "alerts": extras.alerts,
        "positions": extras.positions,
        "stops": stops.iter().map(stop_json).collect::<Vec<_>>(),
    })))
}
