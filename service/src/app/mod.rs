//! `/app/`: the pages people use, served by `milkrun serve` on its port (issue #22): the
//! login ([`session`]), the courier's round on a phone (`/app/courier`), the station's
//! board (`/app/station`: the map, the feed, the day's figures, updated by server push) and
//! the customer's month of deliveries with its changes, consumption chart, recommendations,
//! renewal and complaints (`/app/customer`, [`calendar`]), and the company's cockpit
//! (`/app/cockpit`, [`cockpit`]: the BI cube with drill-down to one courier's day, the daily
//! trend, the alerts, and the promotions with their conversion). The dispatcher reports a
//! jam, a breakdown or a late order from the station's page ([`dispatcher`]): the station's
//! live day re-plans on the engine and the re-plan is pushed to the pages. A customer rates
//! a delivery ([`ratings`]); the courier sees his ratings with his pay.
//!
//! A thin face like the rest of the service: the pages are static files embedded in the
//! binary ([`assets`]: plain HTML, CSS and JavaScript modules, no build step), and their data
//! comes from the dairy store's queries and business steps ([`milkrun_dairy::store::rounds`]:
//! the day's board, a courier's round, a stop delivered with the door's QR token or failed
//! with a reason), converted to JSON by [`api`]. A courier's report is pushed to the open
//! station pages of the same tenant as a server-sent event ([`push`]). The roads on the map
//! come from our own road network as GeoJSON ([`roads`]); there is no tile server.
//!
//! Who may do what: the tenant and the role come from the session cookie only, and every call
//! (a login too) takes a request from the tenant's rate quota, as the API's calls do. A courier sees
//! and reports on his own round (another courier's id answers not found); the station's staff
//! (admin, dispatcher, the read-only manager) see the whole day; a customer sees and changes
//! only his own calendar. The cockpit's marketing steps (segments, promotions) are the admin's
//! and the manager's: the manager reads the day but runs the promotions. Every state-changing
//! call is a
//! POST with the header `x-milkrun-app: 1` (a cross-site form cannot send it) and, when the
//! browser sends one, an `Origin` equal to the `Host`.
pub mod api;
pub mod assets;
pub mod calendar;
pub mod cockpit;
pub mod dispatcher;
pub mod push;
pub mod ratings;
pub mod reply;
pub mod roads;
pub mod session;
pub mod station_log;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use milkrun_dairy::ids::TenantId as DairyTenant;
use milkrun_dairy::store::Store;
use serde_json::json;

use crate::serve::auth::{Role, Stations};
use crate::serve::config::TenantId;
use crate::serve::state::ServiceState;
use push::PushHub;
use session::{Session, SessionError, SessionKeys};

/// The header every state-changing call of the pages carries.
pub const CSRF_HEADER: &str = "x-milkrun-app";

/// What the pages share.
#[derive(Debug)]
pub struct AppState {
    /// The dairy store (the one of `--db`).
    pub store: Store,
    /// Signs and checks session cookies.
    pub keys: SessionKeys,
    /// The password of the demo users (`--dev-key`); `None`: nobody can log in.
    pub dev_key: Option<String>,
    /// The dairy tenant of each service tenant that has pages.
    pub tenants: HashMap<TenantId, DairyTenant>,
    /// The station pages' push channels.
    pub push: PushHub,
    /// The stations' live days, opened by the dispatcher's first control of a day.
    pub live: dispatcher::LiveStations,
    /// The service's state (the road networks).
    pub service: Arc<ServiceState>,
    /// How long a login lasts, seconds (`app.session_s` of the config; default
    /// [`session::SESSION_S`]).
    pub session_s: u64,
    /// The pages' time of day ([`AppClock`]; `--app-clock-start` or `app.clock_start`).
    pub clock: AppClock,
}

/// The pages' clock: the time of day that "now" is on the open day, for every record the
/// pages make (a stop delivered or failed, a customer's change and its cut-off, a complaint,
/// a renewal, the cockpit's watch) and the default time of the station's controls sent to
/// the live day. Without a start, the wall clock's time of day (UTC); started at a time
/// (`milkrun serve --app-clock-start 05:00`), that time when the server started, running at
/// the wall clock's speed, so that the demo's morning can be played in the afternoon. It
/// stops at the day's last second (23:59:59): the open day does not change with it.
#[derive(Debug, Clone, Copy)]
pub struct AppClock {
    /// The time of day at `since`, seconds since midnight; `None`: the wall clock's.
    start: Option<(i64, std::time::Instant)>,
}

impl AppClock {
    /// The wall clock's time of day (UTC).
    pub fn wall() -> AppClock {
        AppClock { start: None }
    }

    /// A clock at `second_of_day` (clamped to the day) now, running at the wall clock's
    /// speed.
    pub fn starting_at(second_of_day: i64) -> AppClock {
        AppClock {
            start: Some((
                second_of_day.clamp(0, LAST_SECOND),
                std::time::Instant::now(),
            )),
        }
    }

    /// Now, seconds since midnight (0..=86 399).
    pub fn second_of_day(&self) -> i64 {
        match self.start {
            None => i64::try_from(session::now_s() % 86_400).unwrap_or(0),
            Some((start, since)) => {
                let run = i64::try_from(since.elapsed().as_secs()).unwrap_or(LAST_SECOND);
                start.saturating_add(run).min(LAST_SECOND)
            }
        }
    }
}

/// The day's last second.
const LAST_SECOND: i64 = 86_399;

impl AppState {
    /// The pages over `store`: with `dev_key`, the demo users of the `dev` tenant, whose
    /// dairy tenant is the demo's ([`milkrun_sim::company::TENANT`]).
    pub fn new(
        store: Store,
        dev_key: Option<String>,
        service: Arc<ServiceState>,
    ) -> std::io::Result<AppState> {
        let mut tenants = HashMap::new();
        if dev_key.is_some() {
            tenants.insert(TenantId("dev".into()), milkrun_sim::company::TENANT);
        }
        Ok(AppState {
            store,
            keys: SessionKeys::random()?,
            dev_key,
            tenants,
            push: PushHub::default(),
            live: dispatcher::LiveStations::default(),
            service,
            session_s: session::SESSION_S,
            clock: AppClock::wall(),
        })
    }
}

/// A failed call of the pages: its HTTP status and a message for the person.
#[derive(Debug)]
pub struct AppError {
    /// The status.
    pub status: StatusCode,
    /// What went wrong, in words.
    pub message: String,
}

impl AppError {
    /// An error with a status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": self.message, "status": self.status.as_u16()})),
        )
            .into_response()
    }
}

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, e.to_string())
    }
}

/// The caller of a request: its session and its dairy tenant.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The session.
    pub session: Session,
    /// The dairy tenant.
    pub tenant: DairyTenant,
}

impl Caller {
    /// Whether the caller is station staff (sees the whole day).
    pub fn is_staff(&self) -> bool {
        matches!(
            self.session.role,
            Role::Admin | Role::Dispatcher(_) | Role::Analyst
        )
    }

    /// Whether the caller sees a station's stops, events and controls: the admin and the
    /// manager every station, a dispatcher its own ([`Stations`]), nobody else any.
    pub fn sees_station(&self, station: i64) -> bool {
        self.session
            .role
            .stations()
            .is_some_and(|s| s.allows(station))
    }

    /// The caller's stations (`None`: a courier or a customer).
    pub fn stations(&self) -> Option<Stations> {
        self.session.role.stations()
    }

    /// Refuses (403, naming the station and the caller's own) a station the caller does not
    /// see.
    pub fn station_allowed(&self, station: i64) -> Result<(), AppError> {
        if self.sees_station(station) {
            return Ok(());
        }
        let own = match self.stations().as_ref().and_then(|s| s.named()) {
            Some(ids) => format!(
                "{} sees and controls station {} only",
                self.session.user,
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!("{} sees no station", self.session.user),
        };
        Err(AppError::new(
            StatusCode::FORBIDDEN,
            format!("station {station}: not yours ({own})"),
        ))
    }
}

/// The caller of a request with these headers (401 without a valid session).
pub fn caller(app: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find_map(session::cookie_value)
        .ok_or(SessionError::Missing)?;
    let session = app.keys.verify(value, session::now_s())?;
    let tenant = *app
        .tenants
        .get(&session.tenant)
        .ok_or(SessionError::Invalid)?;
    admit(app, &session.tenant)?;
    Ok(Caller { session, tenant })
}

/// Takes one request of the tenant's rate quota (the same bucket as its API calls): 429
/// when it is spent.
pub fn admit(app: &AppState, tenant: &TenantId) -> Result<(), AppError> {
    app.service
        .quotas
        .tenant(tenant)
        .and_then(|q| q.admit())
        .map_err(|e| AppError::new(StatusCode::TOO_MANY_REQUESTS, format!("slow down: {e}")))
}

/// Refuses a state-changing call without the pages' header, or from another origin.
pub fn same_origin(headers: &HeaderMap) -> Result<(), AppError> {
    if headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some("1") {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            format!("refused: a change needs the header `{CSRF_HEADER}: 1` (sent by the pages)"),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, h)| h);
        if host.is_none() || origin_host != host {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "refused: the request comes from another origin",
            ));
        }
    }
    Ok(())
}

/// Every route under `/app/`.
pub fn router(app: Arc<AppState>) -> Router {
    assets::router()
        .merge(api::router(Arc::clone(&app)))
        .merge(calendar::router(Arc::clone(&app)))
        .merge(cockpit::router(Arc::clone(&app)))
        .merge(dispatcher::router(Arc::clone(&app)))
        .merge(ratings::router(Arc::clone(&app)))
        .merge(push::router(app))
}
