//! Server push to the station pages: each courier's report is published on its tenant's
//! channel and sent to every open station page of that tenant as a server-sent event
//! (`GET /app/api/board/events`, an `EventSource`: the session cookie goes with it). An
//! event named `stop` carries the changed stop and the day's figures, one named `replan` a
//! dispatcher's incident and its re-plan ([`super::dispatcher`]); a page that fell more
//! than [`CHANNEL_EVENTS`] events behind gets `lagged` and reloads the board.
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use milkrun_dairy::ids::TenantId as DairyTenant;
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use super::{caller, AppError, AppState};
use crate::serve::auth::Stations;

/// Events a tenant's channel holds for a slow page.
pub const CHANNEL_EVENTS: usize = 1_024;

/// One pushed event: its name, the station it is about (`None`: the tenant's), its data
/// (JSON text) and, where it differs, the data a page bound to some stations gets.
#[derive(Debug)]
pub struct PushedEvent {
    name: &'static str,
    station: Option<i64>,
    data: String,
    scoped: Option<String>,
}

type Pushed = Arc<PushedEvent>;

/// Each tenant's channel of reports (JSON text), created on first use.
#[derive(Debug, Default)]
pub struct PushHub {
    channels: Mutex<HashMap<DairyTenant, broadcast::Sender<Pushed>>>,
}

impl PushHub {
    fn sender(&self, tenant: DairyTenant) -> broadcast::Sender<Pushed> {
        let mut map = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(tenant)
            .or_insert_with(|| broadcast::channel(CHANNEL_EVENTS).0)
            .clone()
    }

    /// Sends an event named `name` to the tenant's open pages (none open: dropped).
    pub fn publish(&self, tenant: DairyTenant, name: &'static str, event: String) {
        self.publish_scoped(tenant, name, None, event, None);
    }

    /// Sends an event about `station` to the tenant's open pages that see it: `data` to
    /// the pages of every station, `scoped` (when given) to those bound to some stations.
    pub fn publish_scoped(
        &self,
        tenant: DairyTenant,
        name: &'static str,
        station: Option<i64>,
        data: String,
        scoped: Option<String>,
    ) {
        let _ = self.sender(tenant).send(Arc::new(PushedEvent {
            name,
            station,
            data,
            scoped,
        }));
    }

    /// A new receiver of the tenant's reports.
    pub fn subscribe(&self, tenant: DairyTenant) -> broadcast::Receiver<Pushed> {
        self.sender(tenant).subscribe()
    }
}

/// The push route.
pub fn router(app: Arc<AppState>) -> Router {
    Router::new()
        .route("/app/api/board/events", get(events))
        .with_state(app)
}

/// `GET /app/api/board/events`: the tenant's reports as they happen (station staff only; a
/// dispatcher bound to some stations gets theirs only, an event of no station none).
async fn events(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let c = caller(&app, &headers)?;
    if !c.is_staff() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "the station's events are for the station's staff",
        ));
    }
    // A dispatcher bound to some stations hears of those only.
    let stations = c.stations().unwrap_or(Stations::All);
    let bound = stations.named().is_some();
    let stream = BroadcastStream::new(app.push.subscribe(c.tenant)).filter_map(move |item| {
        Some(Ok(match item {
            Ok(p) => {
                if bound && !p.station.is_some_and(|s| stations.allows(s)) {
                    return None;
                }
                let data = match (&p.scoped, bound) {
                    (Some(scoped), true) => scoped,
                    _ => &p.data,
                };
                Event::default().event(p.name).data(data)
            }
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                Event::default().event("lagged").data(n.to_string())
            }
        }))
    });
    let hello = tokio_stream::once(Ok(Event::default().event("ready").data("{}")));
    Ok(
        Sse::new(hello.chain(stream))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
}
