//! The dispatcher's controls on `/app/station`: report a jam (an area, a slowdown factor, a
//! duration) or a courier's breakdown, and see the re-plan. A thin face: the station's day
//! ([`milkrun_dairy::dispatcher::StationDay`]: the night's stops with the couriers' reports,
//! the station's site) is opened on the dairy layer's engine interface in process
//! ([`milkrun_station::night::LocalEngine`] on the tenant's bike roads, the engine the
//! demo's simulated morning rides on), the reports the engine has not seen go in as its
//! events, then the incident; the re-plan is written back to the night's stops
//! ([`milkrun_dairy::store::Store::write_replan`]) and pushed to the station pages as a
//! `replan` event (which stops moved to which courier, which are left without one and why).
//!
//! A jam's end is kept with the day: the first control at or after it sends the engine's
//! traffic refresh first. Only the dispatcher (and the admin) may use the controls, a
//! dispatcher bound to some stations on those only; every call is a POST with the pages'
//! header, checked like the couriers' reports.
//!
//! A control made before the station's live day opens (the first courier's shift) applies
//! from the opening: a jam holds from then until its end (one that is over by then is
//! refused), a breakdown takes the courier off from the start, a late order joins the day's
//! plan; one made before the day's clock (a report of something earlier) applies at the
//! clock. The reply and the feed say when it applies. A closed live day takes no control.
//!
//! The day survives a restart: the day as opened and every event sent to its engine are
//! stored with the jam's end ([`milkrun_dairy::store::station_days`], as JSON by
//! [`super::station_log`]), each event before its re-plan is answered; the first control
//! after a restart replays them on a fresh engine, which gives the same day (the re-plans
//! are deterministic within their work limit).
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use milkrun_calendar::{format_hms, Date};
use milkrun_dairy::dispatcher::{Jam, Moved, StationDay};
use milkrun_dairy::engine::live_day::MAX_EVENTS_PER_CALL;
use milkrun_dairy::engine::{DayEvent, DayEventKind, DayId, DayView, Engine};
use milkrun_dairy::ids::{CourierId, HouseholdId, StationId, TenantId as DairyTenant};
use milkrun_dairy::round::{RoundFigures, RoundStop};
use milkrun_engine::Profile;
use milkrun_station::night::LocalEngine;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::reply::{body, figures_json, hm, open_day, stop_json, store_error};
use super::station_log;
use super::{caller, same_origin, AppError, AppState, Caller};
use crate::serve::auth::Role;

/// One station's live day on the engine.
struct LiveStation {
    engine: LocalEngine,
    date: Date,
    id: DayId,
    day: StationDay,
    view: DayView,
    /// Households whose report the engine has.
    seen: HashSet<HouseholdId>,
    /// When the reported jam ends (the next control at or after it clears it first).
    jam_until: Option<i64>,
    /// Events sent to the engine (and stored).
    sent: u64,
    /// The day's clock when it opened (its first courier's shift).
    opened_s: i64,
}

impl LiveStation {
    /// Opens `day` on the engine: nothing sent yet, nobody seen.
    async fn open(
        engine: LocalEngine,
        date: Date,
        day: StationDay,
        jam_until: Option<i64>,
    ) -> Result<Self, AppError> {
        let (id, view) = engine.open_day(&day.open).await.map_err(engine_error)?;
        Ok(LiveStation {
            engine,
            date,
            id,
            day,
            opened_s: view.clock_s,
            view,
            seen: HashSet::new(),
            jam_until,
            sent: 0,
        })
    }
}

impl std::fmt::Debug for LiveStation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveStation")
            .field("date", &self.date)
            .field("id", &self.id)
            .field("plan_version", &self.view.plan_version)
            .finish()
    }
}

/// The stations' live days of every tenant, opened by the first control of a day.
#[derive(Debug, Default)]
pub struct LiveStations {
    days: Mutex<HashMap<(DairyTenant, StationId), LiveStation>>,
}

impl LiveStations {
    /// Where each courier of a station's open live day is heading, if its day is open.
    pub async fn heading(&self, tenant: DairyTenant, date: Date) -> Vec<(CourierId, HouseholdId)> {
        let days = self.days.lock().await;
        days.iter()
            .filter(|((t, _), d)| *t == tenant && d.date == date)
            .flat_map(|(_, d)| d.day.heading(&d.view))
            .collect()
    }
}

/// The control routes.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/app/api/stations/{station}/jam", post(jam))
        .route("/app/api/stations/{station}/breakdown", post(breakdown))
        .route("/app/api/stations/{station}/late-order", post(late_order))
        .layer(axum::extract::DefaultBodyLimit::max(
            super::reply::MAX_BODY_BYTES,
        ))
        .with_state(app)
}

/// The time of a control: `HH:MM` (or `HH:MM:SS`) as seconds since midnight, for the field
/// `field`; absent or empty, the pages' clock's now ([`super::AppClock`]).
fn time_of(app: &AppState, field: &str, text: Option<&str>) -> Result<i64, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(app.clock.second_of_day()),
        Some(text) => milkrun_calendar::parse_time_of_day(text).ok_or_else(|| {
            AppError::new(
                StatusCode::BAD_REQUEST,
                format!("{field}: `{text}` is not a time of day (HH:MM)"),
            )
        }),
    }
}

/// The dispatcher of a control: the same-origin check, then the dispatcher or the admin.
fn dispatcher(app: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    same_origin(headers)?;
    let c = caller(app, headers)?;
    match c.session.role {
        Role::Admin | Role::Dispatcher(_) => Ok(c),
        _ => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "only the station's dispatcher reports jams and breakdowns",
        )),
    }
}

/// A station of the path that the tenant has and the caller controls (a dispatcher bound to
/// other stations: 403 naming it).
async fn station_in_path(app: &AppState, c: &Caller, station: &str) -> Result<StationId, AppError> {
    let not_found = || AppError::new(StatusCode::NOT_FOUND, format!("no station {station}"));
    let id = station
        .parse::<i64>()
        .map(StationId)
        .map_err(|_| not_found())?;
    c.station_allowed(id.0)?;
    let stations = app.store.stations(c.tenant).await.map_err(store_error)?;
    if !stations.iter().any(|(s, _)| *s == id) {
        return Err(not_found());
    }
    Ok(id)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JamRequest {
    /// The area's centre.
    lat: f64,
    lon: f64,
    /// The area's radius, metres.
    radius_m: f64,
    /// How many times as long a leg touching the area takes (1 to 10).
    factor: f64,
    /// How long the jam holds, minutes.
    minutes: i64,
    /// When it was reported, `HH:MM`; absent: the pages' clock's now.
    #[serde(default)]
    at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakdownRequest {
    /// The courier whose trike broke down.
    courier: i64,
    /// When, `HH:MM`; absent: the pages' clock's now.
    #[serde(default)]
    at: Option<String>,
}

/// The prelude of a dispatcher's control: a same-origin call by a dispatcher, the station of
/// the path (the tenant's) and the request's body.
async fn station_control<T: for<'de> Deserialize<'de>>(
    app: &AppState,
    headers: &HeaderMap,
    station: &str,
    bytes: &[u8],
) -> Result<(Caller, StationId, T), AppError> {
    let c = dispatcher(app, headers)?;
    let station = station_in_path(app, &c, station).await?;
    let req = body(bytes)?;
    Ok((c, station, req))
}

/// `POST /app/api/stations/{station}/jam {lat, lon, radius_m, factor, minutes, at}`.
async fn jam(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(station): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, station, req): (_, _, JamRequest) =
        station_control(&app, &headers, &station, &bytes).await?;
    if !(req.factor.is_finite() && (1.0..=10.0).contains(&req.factor)) {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "factor: the slowdown must be a number from 1 to 10 (times the riding time)",
        ));
    }
    let at = time_of(&app, "at", req.at.as_deref())?;
    let percent = (req.factor * 100.0).round() as u32;
    let jam = Jam::new((req.lat, req.lon), req.radius_m, percent, req.minutes)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let detail = format!(
        "{}: jam within {:.0} m of ({:.5}, {:.5}), {}× the riding time for {} min",
        &format_hms(at)[..5],
        jam.radius_m,
        jam.centre.lat,
        jam.centre.lon,
        req.factor,
        jam.minutes
    );
    let note = format!(
        "left without a courier by the re-plan after the jam reported at {}",
        &format_hms(at)[..5]
    );
    control(
        &app,
        &c,
        station,
        at,
        "jam",
        detail,
        note,
        None,
        None,
        move |d, live, applies| {
            let end = at.saturating_add(jam.minutes.saturating_mul(60));
            if end <= applies {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    format!(
                        "minutes: the jam reported at {} ends at {}, before the live day's \
                         time {}: nothing to re-plan",
                        hm(at),
                        hm(end),
                        hm(applies)
                    ),
                ));
            }
            live.jam_until = Some(end);
            Ok(Some(d.slowdown(&jam)))
        },
    )
    .await
}

/// `POST /app/api/stations/{station}/breakdown {courier, at}`.
async fn breakdown(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(station): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let (c, station, req): (_, _, BreakdownRequest) =
        station_control(&app, &headers, &station, &bytes).await?;
    let at = time_of(&app, "at", req.at.as_deref())?;
    let courier = CourierId(req.courier);
    let detail = format!(
        "{}: courier {}'s trike broke down",
        &format_hms(at)[..5],
        courier.0
    );
    let note = format!(
        "left without a courier by the re-plan after courier {} broke down at {}",
        courier.0,
        &format_hms(at)[..5]
    );
    control(
        &app,
        &c,
        station,
        at,
        "breakdown",
        detail,
        note,
        None,
        None,
        move |d, live, _| {
            let Some(route) = live.view.route(courier) else {
                return Err(AppError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "courier: courier {} does not ride from station {}",
                        courier.0, d.station.0
                    ),
                ));
            };
            if !route.active {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    format!("courier: courier {} is out of service already", courier.0),
                ));
            }
            Ok(Some(DayEventKind::Breakdown { courier }))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LateOrderRequest {
    /// The subscription delivered on (its household and product).
    subscription: i64,
    /// Units.
    quantity: u32,
    /// When it was placed, `HH:MM` (the live day's time of the new stop); absent: the
    /// pages' clock's now.
    #[serde(default)]
    at: Option<String>,
}

/// `POST /app/api/stations/{station}/late-order {subscription, quantity, at}`: the store
/// places the late order ([`milkrun_dairy::store::Store::place_late_order`], its rules); a
/// household not on the day's plan joins it and goes to the live day as a new stop; one on
/// it has its stop grown ([`grow_stop`]).
async fn late_order(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(station): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    use milkrun_dairy::late_order::LateOrder;
    let (c, station, req): (_, _, LateOrderRequest) =
        station_control(&app, &headers, &station, &bytes).await?;
    let at = time_of(&app, "at", req.at.as_deref())?;
    let date = open_day(&app, c.tenant).await?;
    let sub = app
        .store
        .subscription(
            c.tenant,
            milkrun_dairy::ids::SubscriptionId(req.subscription),
        )
        .await
        .map_err(|e| match e {
            milkrun_dairy::store::StoreError::NotFound { .. } => AppError::new(
                StatusCode::BAD_REQUEST,
                format!("subscription: no subscription {}", req.subscription),
            ),
            other => store_error(other),
        })?;
    let household = app
        .store
        .household(c.tenant, sub.household)
        .await
        .map_err(store_error)?;
    if household.station != station {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "subscription: its household is served by station {}, not {}",
                household.station.0, station.0
            ),
        ));
    }
    let key = milkrun_dairy::dedupe::DedupeKey::new(&format!(
        "app-late:{}:{}:{}",
        req.subscription, date, at
    ))
    .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let late = LateOrder {
        subscription: sub.id,
        date,
        quantity: req.quantity,
        placed: milkrun_dairy::calendar::Moment::new(date, at)
            .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, format!("at: {e}")))?,
        key,
    };
    let domain = |e| match e {
        milkrun_dairy::store::StoreError::Domain(d) => {
            AppError::new(StatusCode::BAD_REQUEST, d.to_string())
        }
        other => store_error(other),
    };
    let board = app
        .store
        .day_board(c.tenant, date)
        .await
        .map_err(store_error)?;
    if let Some(stop) = board
        .iter()
        .find(|s| s.household == sub.household && s.station == station)
    {
        let stop = stop.clone();
        return grow_stop(&app, &c, station, at, &household.address, late, stop).await;
    }
    let placed = app
        .store
        .place_late_order(c.tenant, &late)
        .await
        .map_err(domain)?;
    let joined = app
        .store
        .add_late_stop(c.tenant, date, station, sub.household, req.quantity)
        .await
        .map_err(store_error)?;
    if !joined {
        return Ok(Json(json!({
            "order": placed.order.id.0, "household": sub.household.0, "new_stop": false,
            "moved": [], "unassigned": [],
        })));
    }
    let detail = format!(
        "{}: late order of {} for {}",
        &format_hms(at)[..5],
        req.quantity,
        household.address
    );
    let note = format!(
        "left without a courier by the re-plan after the late order at {}",
        &format_hms(at)[..5]
    );
    let target = sub.household;
    let board = app
        .store
        .day_board(c.tenant, date)
        .await
        .map_err(store_error)?;
    let stop = board
        .into_iter()
        .find(|s| s.household == target)
        .ok_or_else(|| AppError::new(StatusCode::CONFLICT, "the late stop vanished"))?;
    let site_service = app
        .store
        .station_site(c.tenant, station)
        .await
        .map_err(store_error)?
        .map_or(0, |s| s.service_s);
    control(
        &app,
        &c,
        station,
        at,
        "late order",
        detail,
        note,
        Some(target),
        None,
        move |_, live, _| {
            if live.day.stop_of(target).is_some() {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    "the household is on the live day already",
                ));
            }
            live.day
                .new_stop(&stop, site_service)
                .map(Some)
                .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, e.to_string()))
        },
    )
    .await
}

/// A late order for a household already on the day's plan (`stop`, its board stop): the
/// live day's stop takes the order's bottles first ([`DayEventKind::AddBottles`]: it stays
/// on its route where the trike carries them, else it is re-planned), and the order is
/// stored only once the live day took them, so a refusal (the delivery done already, a
/// courier on the way to the door without room) stores nothing. The bottles sent are what
/// the live day lacks against the household's orders with this one, so the same key sent
/// again (the order placed already) grows nothing twice, and a live day that took the
/// bottles before a failed write takes none more.
async fn grow_stop(
    app: &AppState,
    c: &Caller,
    station: StationId,
    at: i64,
    address: &str,
    late: milkrun_dairy::late_order::LateOrder,
    stop: RoundStop,
) -> Result<Json<Value>, AppError> {
    use milkrun_dairy::engine::MAX_STOP_QUANTITY;
    let domain = |e| match e {
        milkrun_dairy::store::StoreError::Domain(d) => {
            AppError::new(StatusCode::BAD_REQUEST, d.to_string())
        }
        other => store_error(other),
    };
    let placed_before = app
        .store
        .placed_late_order(c.tenant, &late)
        .await
        .map_err(domain)?;
    if placed_before.is_none() {
        let sub = app
            .store
            .subscription(c.tenant, late.subscription)
            .await
            .map_err(store_error)?;
        let cutoff = app
            .store
            .tenant(c.tenant)
            .await
            .map_err(store_error)?
            .cutoff;
        late.check(&sub, cutoff)
            .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        if stop.status != milkrun_dairy::round::StopStatus::Pending {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                format!(
                    "household {}: today's delivery is {} already; a late order cannot join it",
                    stop.household.0,
                    stop.status.as_str()
                ),
            ));
        }
    }
    let ordered: u64 = stop.orders.iter().map(|o| u64::from(o.quantity)).sum();
    let new = if placed_before.is_none() {
        u64::from(late.quantity)
    } else {
        0
    };
    let want = ordered
        .saturating_add(new)
        .clamp(1, u64::from(MAX_STOP_QUANTITY));
    let want = u32::try_from(want).unwrap_or(MAX_STOP_QUANTITY);
    let target = stop.household;
    let detail = format!(
        "{}: late order of {} for {}, on the day's plan already",
        hm(at),
        late.quantity,
        address
    );
    let note = format!(
        "left without a courier by the re-plan after the late order at {}: no trike has \
         room for its bottles",
        hm(at)
    );
    let Json(mut reply) = control(
        app,
        c,
        station,
        at,
        "late order",
        detail,
        note,
        None,
        Some(&late),
        move |d, live, _| {
            let Some(index) = d.stop_of(target) else {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    format!("household {}: not on the live day", target.0),
                ));
            };
            let have = live
                .view
                .stops
                .iter()
                .rev()
                .find(|s| s.stop == index)
                .map_or(0, |s| s.quantity);
            Ok(want
                .checked_sub(have)
                .filter(|add| *add > 0)
                .map(|bottles| DayEventKind::AddBottles {
                    stop: index,
                    bottles,
                }))
        },
    )
    .await?;
    // Placed by the control (or before, under the same key): the first order back.
    let placed = app
        .store
        .place_late_order(c.tenant, &late)
        .await
        .map_err(domain)?;
    reply["order"] = json!(placed.order.id.0);
    reply["household"] = json!(target.0);
    reply["new_stop"] = json!(false);
    reply["quantity"] = json!(want);
    Ok(Json(reply))
}

/// The engine's error as the person sees it: a refused input names its field (400), a
/// refused re-plan is a conflict.
fn engine_error(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        format!("the live day refused it: {e}"),
    )
}

/// Runs a control: the station's live day opened (or found), the reports it has not seen
/// sent, the traffic refreshed when a jam ended, then the incident `make` gives; the re-plan
/// written to the store and pushed.
#[allow(clippy::too_many_arguments)]
async fn control(
    app: &AppState,
    c: &Caller,
    station: StationId,
    at: i64,
    kind: &'static str,
    detail: String,
    note: String,
    skip_on_open: Option<HouseholdId>,
    place: Option<&milkrun_dairy::late_order::LateOrder>,
    make: impl FnOnce(&StationDay, &mut LiveStation, i64) -> Result<Option<DayEventKind>, AppError>,
) -> Result<Json<Value>, AppError> {
    let date = open_day(app, c.tenant).await?;
    let board = app
        .store
        .day_board(c.tenant, date)
        .await
        .map_err(store_error)?;
    let site = app
        .store
        .station_site(c.tenant, station)
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            AppError::new(
                StatusCode::CONFLICT,
                format!(
                    "station {}: no site stored (its point and couriers' shifts): set it up \
                     first",
                    station.0
                ),
            )
        })?;
    let mut days = app.live.days.lock().await;
    let key = (c.tenant, station);
    if days.get(&key).is_none_or(|d| d.date != date) {
        let roads = app
            .service
            .roads
            .overlay(&c.session.tenant, Profile::Bike)
            .map_err(|e| AppError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        let engine = LocalEngine::new(roads);
        let stored = app
            .store
            .station_day(c.tenant, station, date)
            .await
            .map_err(store_error)?;
        let live = match stored {
            // A restart: the stored day replayed.
            Some(stored) => reopen(engine, date, stored).await?,
            None => {
                // A late order's stop goes to the day as its own event, not with the opening.
                let opening: Vec<RoundStop> = board
                    .iter()
                    .filter(|s| Some(s.household) != skip_on_open)
                    .cloned()
                    .collect();
                let day = StationDay::new(station, &site, &opening)
                    .map_err(|e| AppError::new(StatusCode::CONFLICT, e.to_string()))?;
                let live = LiveStation::open(engine, date, day, None).await?;
                app.store
                    .open_station_day(
                        c.tenant,
                        station,
                        date,
                        &station_log::opening_json(&live.day),
                    )
                    .await
                    .map_err(store_error)?;
                live
            }
        };
        days.insert(key, live);
    }
    let Some(live) = days.get_mut(&key) else {
        return Err(AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the live day vanished",
        ));
    };
    // What the engine has not seen yet, in order: the couriers' reports, the jam's end.
    let mut pending: Vec<(i64, DayEventKind, Option<HouseholdId>)> = live
        .day
        .reports(&board, &|h| live.seen.contains(&h))
        .into_iter()
        .map(|(h, t, k)| (t, k, Some(h)))
        .collect();
    if !live.view.open {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            format!(
                "station {}: today's live day is closed; it takes no more controls",
                station.0
            ),
        ));
    }
    if let Some(end) = live
        .jam_until
        .filter(|end| *end <= at.max(live.view.clock_s))
    {
        pending.push((
            end.max(live.view.clock_s),
            DayEventKind::TrafficRefresh,
            None,
        ));
        pending.sort_by_key(|x| x.0);
        live.jam_until = None;
    }
    let log = Log {
        app,
        tenant: c.tenant,
        station,
    };
    let result = send(live, pending, Some(&log)).await;
    if let Err(e) = result {
        days.remove(&key);
        return Err(e);
    }
    // Before the day's clock (before the opening, or a report of something earlier), the
    // control applies at the clock.
    let applies = at.max(live.view.clock_s);
    let when = if applies == at {
        None
    } else if applies == live.opened_s {
        Some(format!(
            "reported at {}, before the live day opens: applies from the opening at {}",
            hm(at),
            hm(applies)
        ))
    } else {
        Some(format!(
            "reported at {}, before the live day's time: applies from {}",
            hm(at),
            hm(applies)
        ))
    };
    let incident = {
        let day = live.day.clone();
        make(&day, live, applies)?
    };
    let before = live.view.clone();
    let incident: Vec<_> = incident.map(|k| (applies, k, None)).into_iter().collect();
    if let Err(e) = send(live, incident, Some(&log)).await {
        days.remove(&key);
        return Err(e);
    }
    let day = live.day.clone();
    let after = live.view.clone();
    let moved = day.moved(&before, &after);
    let rows = day.replanned(&after, &note);
    // Written under the day's lock: two controls write their re-plans in the engine's order.
    app.store
        .write_replan(c.tenant, date, station, &rows)
        .await
        .map_err(store_error)?;
    drop(days);
    if let Some(late) = place {
        // The late order the live day took is stored before the board is read again.
        app.store
            .place_late_order(c.tenant, late)
            .await
            .map_err(|e| match e {
                milkrun_dairy::store::StoreError::Domain(d) => {
                    AppError::new(StatusCode::BAD_REQUEST, d.to_string())
                }
                other => store_error(other),
            })?;
    }
    let board = app
        .store
        .day_board(c.tenant, date)
        .await
        .map_err(store_error)?;
    let changed: HashSet<HouseholdId> = moved.iter().map(|m| m.household).collect();
    let mine: Vec<RoundStop> = board
        .iter()
        .filter(|s| s.station == station)
        .cloned()
        .collect();
    let detail = match &when {
        Some(w) => format!("{detail} ({w})"),
        None => detail,
    };
    let event = json!({
        "kind": kind,
        "detail": detail,
        "station": station.0,
        "at": &format_hms(at)[..5],
        "applies_at": hm(applies),
        "applies_note": when,
        "plan_version": after.plan_version,
        "moved": moved.iter().map(moved_json).collect::<Vec<_>>(),
        "unassigned": rows.iter().filter(|r| r.route.is_none()).map(|r| json!({
            "household": r.household.0, "note": r.note,
        })).collect::<Vec<_>>(),
        "changed": mine.iter().filter(|s| changed.contains(&s.household)).map(stop_json).collect::<Vec<_>>(),
        "stops": mine.iter().map(stop_json).collect::<Vec<_>>(),
        "figures": figures_json(&RoundFigures::of(&mine)),
        "heading": day.heading(&after).iter().map(|(c, h)| json!({"courier": c.0, "household": h.0})).collect::<Vec<_>>(),
    });
    app.push
        .publish_scoped(c.tenant, "replan", Some(station.0), event.to_string(), None);
    Ok(Json(event))
}

fn moved_json(m: &Moved) -> Value {
    json!({"household": m.household.0, "from": m.from.map(|c| c.0), "to": m.to.map(|c| c.0)})
}

/// Where the events sent to a station's day are stored.
struct Log<'a> {
    app: &'a AppState,
    tenant: DairyTenant,
    station: StationId,
}

/// A station's stored day replayed on a fresh engine (after a restart): opened as it was,
/// then every stored event in order under the ids it had, the reported households marked
/// seen and the jam's end restored.
async fn reopen(
    engine: LocalEngine,
    date: Date,
    stored: milkrun_dairy::store::station_days::StoredStationDay,
) -> Result<LiveStation, AppError> {
    let corrupt = |e: station_log::LogError| {
        tracing::warn!(error = %e, "a stored station day cannot be read");
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    };
    let day = station_log::opening_from(&stored.opening).map_err(corrupt)?;
    let mut live = LiveStation::open(engine, date, day, stored.jam_until_s).await?;
    let mut events = Vec::with_capacity(stored.events.len());
    let mut added = Vec::with_capacity(stored.events.len());
    for (text, reported) in &stored.events {
        let (t, kind, new_household) = station_log::event_from(text).map_err(corrupt)?;
        events.push((t, kind, *reported));
        added.push(new_household);
    }
    for (chunk, added) in events
        .chunks(MAX_EVENTS_PER_CALL)
        .zip(added.chunks(MAX_EVENTS_PER_CALL))
    {
        live.day.households.extend(added.iter().flatten());
        apply_chunk(&mut live, chunk).await?;
    }
    Ok(live)
}

/// Sends one call's events (at most [`MAX_EVENTS_PER_CALL`]) to the station's live day, each
/// expecting the version before it, and marks the households reported as seen.
async fn apply_chunk(
    live: &mut LiveStation,
    chunk: &[(i64, DayEventKind, Option<HouseholdId>)],
) -> Result<(), AppError> {
    let mut batch = Vec::with_capacity(chunk.len());
    for (i, (t, kind, _)) in chunk.iter().enumerate() {
        live.sent += 1;
        batch.push(DayEvent {
            event_id: format!("app-{}", live.sent),
            expected_version: live.view.plan_version + i as u64,
            time_s: *t,
            kind: kind.clone(),
        });
    }
    let applied = live
        .engine
        .apply_events(&live.id, &live.day.open, &batch)
        .await
        .map_err(engine_error)?;
    live.view = applied.day;
    live.day.open.add_new_stops(&batch);
    live.seen.extend(chunk.iter().filter_map(|x| x.2));
    Ok(())
}

/// Sends events to the station's live day in order (at most [`MAX_EVENTS_PER_CALL`] per
/// call), each expecting the version before it; the households reported are marked seen.
/// With `log`, each call's events are stored once the engine applied them, with the jam's
/// end.
async fn send(
    live: &mut LiveStation,
    events: Vec<(i64, DayEventKind, Option<HouseholdId>)>,
    log: Option<&Log<'_>>,
) -> Result<(), AppError> {
    for chunk in events.chunks(MAX_EVENTS_PER_CALL) {
        let first = i64::try_from(live.sent).unwrap_or(i64::MAX);
        apply_chunk(live, chunk).await?;
        if let Some(log) = log {
            let rows: Vec<(String, Option<HouseholdId>)> = chunk
                .iter()
                .map(|(t, kind, reported)| {
                    let added = match kind {
                        DayEventKind::NewStop { stop, .. } => {
                            live.day.households.get(*stop as usize).copied()
                        }
                        _ => None,
                    };
                    (station_log::event_json(*t, kind, added), *reported)
                })
                .collect();
            log.app
                .store
                .append_station_events(
                    log.tenant,
                    log.station,
                    live.date,
                    first,
                    &rows,
                    live.jam_until,
                )
                .await
                .map_err(store_error)?;
        }
    }
    Ok(())
}

/// What the board adds to the stops: the stations' points, the alerts and the couriers'
/// positions.
#[derive(Debug)]
pub struct BoardExtras {
    /// Each station's point, where it has a site.
    pub points: Vec<(StationId, milkrun_dairy::household::GeoPoint)>,
    /// Late stops, failed deliveries waiting for their make-up, stops without a courier.
    pub alerts: Value,
    /// Each courier's last known position (the door it reported last) and, while the
    /// station's live day is open, the household it heads to.
    pub positions: Vec<Value>,
}

/// The board's extras for `stops` (the day's, or one station's).
pub async fn board_extras(
    app: &AppState,
    tenant: DairyTenant,
    date: Date,
    stops: &[RoundStop],
) -> Result<BoardExtras, AppError> {
    let points = app
        .store
        .station_points(tenant)
        .await
        .map_err(store_error)?;
    let shown: HashSet<HouseholdId> = stops.iter().map(|s| s.household).collect();
    let waiting = app
        .store
        .failed_awaiting_make_up(tenant, date)
        .await
        .map_err(store_error)?;
    let waiting: Vec<i64> = waiting
        .into_iter()
        .filter(|h| shown.contains(h))
        .map(|h| h.0)
        .collect();
    let f = RoundFigures::of(stops);
    let late: Vec<i64> = stops
        .iter()
        .filter(|s| s.is_late())
        .map(|s| s.household.0)
        .collect();
    let unassigned: Vec<i64> = stops
        .iter()
        .filter(|s| s.courier.is_none())
        .map(|s| s.household.0)
        .collect();
    let alerts = json!({
        "late": f.late, "failed_waiting": waiting.len(), "unassigned": f.unassigned,
        "late_households": late, "waiting_households": waiting,
        "unassigned_households": unassigned,
    });
    // Where the live day says each courier heads, while that stop is still pending (the
    // engine hears of a report at the next control).
    let pending: HashSet<HouseholdId> = stops
        .iter()
        .filter(|s| s.status == milkrun_dairy::round::StopStatus::Pending)
        .map(|s| s.household)
        .collect();
    let heading: Vec<(CourierId, HouseholdId)> = app
        .live
        .heading(tenant, date)
        .await
        .into_iter()
        .filter(|(_, h)| pending.contains(h))
        .collect();
    let mut positions: Vec<Value> = milkrun_dairy::dispatcher::last_positions(stops)
        .into_iter()
        .map(|(c, h, p, at)| {
            json!({"courier": c.0, "household": h.0, "lat": p.lat, "lon": p.lon,
                   "at": &format_hms(at)[..5],
                   "heading": heading.iter().find(|x| x.0 == c).map(|x| x.1 .0)})
        })
        .collect();
    positions.sort_by_key(|v| v["courier"].as_i64());
    Ok(BoardExtras {
        points,
        alerts,
        positions,
    })
}

/// The compass point of a bearing (degrees clockwise from north).
fn compass(deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    POINTS[((deg / 45.0).round() as usize) % 8]
}

/// The courier's navigation hint: from where he is (the door he reported last, else his
/// station) to his next pending stop, the straight-line heading and distance; `null` when
/// nothing is left.
pub async fn next_hint(
    app: &AppState,
    tenant: DairyTenant,
    round: &[RoundStop],
) -> Result<Value, AppError> {
    use milkrun_dairy::dispatcher::{bearing, last_positions, metres};
    let Some(next) = round
        .iter()
        .find(|s| s.status == milkrun_dairy::round::StopStatus::Pending)
    else {
        return Ok(Value::Null);
    };
    let (from, from_what) = match last_positions(round).into_iter().max_by_key(|p| p.3) {
        Some((_, _, p, _)) => (Some(p), "your last stop"),
        None => {
            let site = app
                .store
                .station_site(tenant, next.station)
                .await
                .map_err(store_error)?;
            (site.map(|s| s.point), "the station")
        }
    };
    let Some(from) = from else {
        return Ok(Value::Null);
    };
    let deg = bearing(from, next.point);
    Ok(json!({
        "household": next.household.0,
        "address": next.address,
        "from": from_what,
        "distance_m": metres(from, next.point).round() as i64,
        "bearing_deg": deg.round() as i64,
        "compass": compass(deg),
    }))
}
