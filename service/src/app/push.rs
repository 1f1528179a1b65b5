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

/// Events a tenant's channel holds for a slow page.
pub const CHANNEL_EVENTS: usize = 1_024;

/// One pushed event: its name and its data (JSON text).
type Pushed = Arc<(&'static str, String)>;

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
        let _ = self.sender(tenant).send(Arc::new((name, event)));
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

/// `GET /app/api/board/events`: the tenant's reports as they happen (station staff only).
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
    let stream = BroadcastStream::new(app.push.subscribe(c.tenant)).map(|item| {
        Ok(match item {
            Ok(pushed) => Event::default().event(pushed.0).data(&pushed.1),
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                Event::default().event("lagged").data(n.to_string())
            }
        })
    });
    let hello = tokio_stream::once(Ok(Event::default().event("ready").data("{}")));
    Ok(
        Sse::new(hello.chain(stream))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
}
